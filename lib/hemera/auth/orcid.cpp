// SPDX-License-Identifier: Apache-2.0
#include <hemera/auth/orcid.hpp>

#include <fmt/format.h>

#include <hemera/metadata/publishability.hpp>

namespace hemera::orcid {

namespace {

constexpr std::string_view k_production_hosts[] = {"https://orcid.org/", "http://orcid.org/"};
constexpr std::string_view k_sandbox_hosts[] = {"https://sandbox.orcid.org/", "http://sandbox.orcid.org/"};

bool starts_with(std::string_view s, std::string_view prefix)
{
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Registry registry_of(std::string_view issuer)
{
  for (auto h : k_sandbox_hosts) {
    if (starts_with(issuer, h.substr(0, h.size() - 1))) {
      return Registry::sandbox;
    }
  }
  return Registry::production;
}

char check_digit(std::string_view base15)
{
  return metadata::orcid_check_digit(base15);
}

Result<std::string> parse(std::string_view text, Registry registry)
{
  std::string_view rest = text;
  for (auto h : k_sandbox_hosts) {
    if (starts_with(rest, h)) {
      if (registry != Registry::sandbox) {
        return fail(Errc::data,
                    fmt::format("'{}' is a sandbox ORCID iD; the configured ORCID provider is production", text),
                    {}, {}, "orcid.registry");
      }
      rest.remove_prefix(h.size());
    }
  }
  for (auto h : k_production_hosts) {
    if (starts_with(rest, h)) {
      if (registry != Registry::production) {
        return fail(Errc::data,
                    fmt::format("'{}' is a production ORCID iD; the configured ORCID provider is the sandbox", text),
                    {}, {}, "orcid.registry");
      }
      rest.remove_prefix(h.size());
    }
  }
  if (rest.size() > 64) {
    return fail(Errc::data, "not an ORCID iD (too long)", {}, {}, "orcid.format");
  }
  auto r = metadata::normalize_orcid(rest);
  if (!r) {
    Error e = r.error();
    e.rule = e.message.find("check digit") != std::string::npos ? "orcid.check-digit" : "orcid.format";
    if (rest.size() != text.size()) {
      e.message += fmt::format(" (from '{}')", text);
    }
    return tl::unexpected(e);
  }
  return r;
}

bool looks_like_orcid(std::string_view text)
{
  return (!text.empty() && text.front() >= '0' && text.front() <= '9') ||
         text.find("orcid.org") != std::string_view::npos;
}

std::string uri(std::string_view canonical, Registry registry)
{
  return fmt::format("{}{}", registry == Registry::sandbox ? k_sandbox_hosts[0] : k_production_hosts[0],
                     canonical);
}

}  // namespace hemera::orcid
