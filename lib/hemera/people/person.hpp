// SPDX-License-Identifier: Apache-2.0
// Names and e-mail addresses of people, read from ORCID's public API when a
// tool shows them (GET {base}/{iD}/person, JSON), never stored: the archive
// keeps only ORCID iDs. Only what the person made public is returned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hemera/auth/orcid.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>

namespace hemera::orcid {

// ORCID's public API, version 3.0, for each registry.
inline constexpr const char* k_public_api_production = "https://pub.orcid.org/v3.0";
inline constexpr const char* k_public_api_sandbox = "https://pub.sandbox.orcid.org/v3.0";

// The longest name and e-mail address kept, and how many addresses.
inline constexpr std::size_t k_max_name = 200;
inline constexpr std::size_t k_max_email = 254;
inline constexpr std::size_t k_max_emails = 8;

// What ORCID says publicly about one person; empty fields are private or unset.
struct Person {
  std::string orcid;
  std::string given_names;
  std::string family_name;
  std::string credit_name;
  std::vector<std::string> emails;  // public addresses, the primary one first

  // Return the name to show: the credit name, else given and family names,
  // else "".
  [[nodiscard]] std::string display_name() const;
};

// Read the JSON document of GET /{iD}/person (ORCID API v3.0): name.given-names,
// name.family-name and name.credit-name (each {"value": …}, or null), and
// emails.email[] (email, primary, visibility). Any other shape is ignored
// field by field; text that is not JSON, or not an object, is Errc::data.
// Control characters are dropped and long values cut, so the result is safe
// to print.
Result<Person> parse_person(std::string_view json_text, std::string_view orcid_id);

// Where and how to reach the public API.
struct PublicApi {
  std::string base_url;  // no trailing slash
  std::string ca_file;   // extra CA bundle, optional (orcid.ca_file)
  long timeout_seconds = 10;
};

// Return the public API of the configuration: orcid.public_api, else the one
// of the configured registry (orcid.issuer). Errc::config for a URL that is
// neither https:// nor plain http:// to the loopback interface.
Result<PublicApi> public_api(const config::Config& config);

// Fetch the public person record of canonical iD `orcid_id`; nullopt when
// ORCID does not know the iD (HTTP 404 or 410). Errc::temp_fail or
// Errc::unavailable when the API cannot be reached (rule
// "orcid.unreachable") or answers another status ("orcid.http").
// Nothing is written to disk.
Result<std::optional<Person>> fetch_person(const PublicApi& api, std::string_view orcid_id);

}  // namespace hemera::orcid
