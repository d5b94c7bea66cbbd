// SPDX-License-Identifier: Apache-2.0
#include <hemera/error.hpp>

#include <cerrno>
#include <cstring>

namespace hemera {

std::string Error::to_string() const
{
  std::string out;
  if (!where.empty()) {
    out += where + ": ";
  }
  if (!field.empty()) {
    out += field + ": ";
  }
  out += message;
  if (!rule.empty()) {
    out += " [" + rule + "]";
  }
  return out;
}

Error errno_error(int err, const std::string& what, const std::string& path)
{
  Errc code = Errc::io;
  switch (err) {
  case ENOENT:
  case ENOTDIR:
    code = Errc::no_input;
    break;
  case EACCES:
  case EPERM:
  case EROFS:
    code = Errc::no_perm;
    break;
  case EEXIST:
    code = Errc::cant_create;
    break;
  default:
    break;
  }
  return Error{code, what + ": " + std::strerror(err), path, {}, {}};
}

const char* errc_name(Errc code) noexcept
{
  switch (code) {
  case Errc::usage: return "usage";
  case Errc::data: return "data";
  case Errc::no_input: return "no_input";
  case Errc::unavailable: return "unavailable";
  case Errc::cant_create: return "cant_create";
  case Errc::io: return "io";
  case Errc::temp_fail: return "temp_fail";
  case Errc::no_perm: return "no_perm";
  case Errc::config: return "config";
  case Errc::internal: return "internal";
  }
  return "internal";
}

Error with_where(Error e, const std::string& where)
{
  if (e.where.empty()) {
    e.where = where;
  }
  return e;
}

}  // namespace hemera
