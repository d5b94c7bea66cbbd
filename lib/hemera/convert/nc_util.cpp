// SPDX-License-Identifier: Apache-2.0
#include <hemera/convert/nc_util.hpp>

#include <netcdf.h>

#include <fmt/format.h>

namespace hemera::convert::nc {

Result<void> check(int status, const std::string& what, const std::string& path, Errc code)
{
  if (status == NC_NOERR) {
    return {};
  }
  if (status == NC_ENOMEM || status == NC_EHDFERR || status == NC_EPERM || status == NC_EACCESS) {
    code = status == NC_EPERM || status == NC_EACCESS ? Errc::no_perm : code;
  }
  return fail(code, fmt::format("{}: {}", what, nc_strerror(status)), path);
}

std::string unique_name(const std::string& text, std::set<std::string>& used)
{
  std::string s;
  bool underscore = false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (ok) {
      s += c;
      underscore = false;
    } else if (!underscore && !s.empty()) {
      s += '_';
      underscore = true;
    }
    if (s.size() >= 60) {
      break;
    }
  }
  while (!s.empty() && s.back() == '_') {
    s.pop_back();
  }
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) {
    s = "v_" + s;
  }
  std::string name = s;
  for (int i = 2; used.count(name) > 0; ++i) {
    name = fmt::format("{}_{}", s, i);
  }
  used.insert(name);
  return name;
}

std::optional<std::string> time_unit_word(double seconds)
{
  if (seconds == 1) {
    return "seconds";
  }
  if (seconds == 60) {
    return "minutes";
  }
  if (seconds == 3600) {
    return "hours";
  }
  if (seconds == 86400) {
    return "days";
  }
  return std::nullopt;
}

}  // namespace hemera::convert::nc
