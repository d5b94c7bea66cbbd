// SPDX-License-Identifier: Apache-2.0
// The publishability profile of a record: the normative JSON Schema, what
// INSPIRE conformance class 1 needs of a dataset (docs/interop.md §2a), what a
// DataCite DOI needs (docs/identity-doi.md §4.4), and value checks (ORCID iDs
// with their ISO 7064 MOD 11-2 check digit, ISO 8601 dates, coordinates,
// embargo against status). Every finding names the JSON path it is about.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>
#include <hemera/metadata/record.hpp>

namespace hemera::metadata {

// One finding of the profile; `path` is a JSONPath ("$.contacts[0].orcId").
struct Check {
  enum class Level { error, warning };
  Level level = Level::error;
  std::string rule;     // "schema", "inspire.lineage", "doi.creator", "value.orcid"…
  std::string path;
  std::string message;
};

// Return "error" or "warning".
const char* level_name(Check::Level level) noexcept;

// Defaults for INSPIRE-only elements that records may leave out, from the
// configuration (catalogue.defaults, then catalogue.collections.<collection>),
// using the keys of the record's "inspire" object plus "language",
// "metadataContact" {organisation, email} and "publisher".
struct Defaults {
  nlohmann::json values = nlohmann::json::object();
  // Return the default at top-level `key`, or nullptr.
  [[nodiscard]] const nlohmann::json* find(const std::string& key) const;
};

// What the profile concluded.
struct ProfileReport {
  std::vector<Check> checks;
  bool schema_valid = true;   // no "schema" error
  bool publishable = true;    // no error at all
  bool doi_ready = true;      // no "doi.*" or value error
  [[nodiscard]] std::size_t errors() const;
  [[nodiscard]] std::size_t warnings() const;
};

// Check `doc` against the normative record schema (schemas/record.schema.json,
// built in) and the identity invariants; append "schema" findings.
void check_schema(const nlohmann::json& doc, std::vector<Check>& out);

// Run the whole profile (schema, INSPIRE, DOI, values) on `record`, taking
// missing INSPIRE-only elements from `defaults`; `now` is an ISO 8601 UTC
// time used for embargo checks.
ProfileReport check_record(const Record& record, const Defaults& defaults, const std::string& now);

// Return the ISO 7064 MOD 11-2 check character ('0'…'9' or 'X') of the 15
// base digits of an ORCID iD.
char orcid_check_digit(std::string_view base15);

// Return the canonical "dddd-dddd-dddd-dddC" form of an ORCID iD given in
// that form, compact (16 characters), as https://orcid.org/… (or http://), or
// with a lower-case x; Errc::data naming what is wrong (format or check digit).
Result<std::string> normalize_orcid(std::string_view text);

// Return true if the canonical iD lies in a block the ORCID registry assigns
// from (0000-0001-5000-0007…0000-0003-5000-0001, or 0009-…).
bool orcid_in_assigned_range(std::string_view canonical);

// A parsed ISO 8601 date or date-time.
struct Instant {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int offset_minutes = 0;   // zone offset east of UTC
  bool has_time = false;
  bool has_zone = false;
  int precision = 0;        // 1 year, 2 month, 3 day, 4 minute, 5 second
};

// Parse ISO 8601 "YYYY", "YYYY-MM", "YYYY-MM-DD" and "YYYY-MM-DDThh:mm[:ss[.f…]][Z|±hh:mm]",
// checking every field's range (leap years included); nullopt if invalid.
std::optional<Instant> parse_iso8601(std::string_view text);

// Return the instant as UTC "YYYY-MM-DDThh:mm:ssZ"; a date without time is the
// start of its period, or its last second when `end_of_period` is set.
std::string to_utc_string(const Instant& t, bool end_of_period);

// Fold `text` for matching: ASCII lower case, Latin accents removed ("É" → "e",
// "œ" → "oe"), other bytes kept.
std::string fold(std::string_view text);

}  // namespace hemera::metadata
