// SPDX-License-Identifier: Apache-2.0
// Format-neutral validation findings and profiles (DESIGN.md "A finding").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hemera::validate {

enum class Severity { error, warning, info };

// Return "error", "warning" or "info".
const char* severity_name(Severity s) noexcept;

// Where a finding is: a text position (NASA Ames, forms) or a FITS position.
struct Location {
  std::optional<std::int64_t> line;    // 1-based
  std::optional<std::int64_t> column;  // 1-based
  std::optional<int> hdu;              // 1-based HDU number
  std::string extname;
  std::string keyword;
  std::optional<std::int64_t> record;  // 1-based header card number in the HDU
};

// One finding, the same shape for every format.
struct Finding {
  std::string file;
  std::string format;  // "nasa-ames", "fits", "manifest"…
  Severity severity = Severity::error;
  std::string rule;  // stable id: "D1", "fits.keyword-order"
  Location location;
  std::string message;
};

// A validation profile: which rules are downgraded to warnings, and policies.
struct Profile {
  std::string name = "strict";
  // Rules downgraded from error to warning by this profile (the audited list).
  std::map<std::string, std::string> downgrades;  // rule -> reason
  bool warnings_as_errors = false;
  // Policies settled by configuration (NASA Ames ambiguities).
  bool strict_monotonic = true;     // D2: a repeated mark is an error
  bool rdate_after_date = true;     // H6: RDATE >= DATE enforced
  bool fits_decompress = false;     // decompress tile-compressed FITS images (cfitsio)
  std::size_t max_findings = 1000;  // stop reporting after this many per file

  // Return the strict profile (the archive's gate).
  static Profile strict();
  // Return the legacy profile (named downgrades, for recovery).
  static Profile legacy();
  // Return the profile called `name`, or nullopt.
  static std::optional<Profile> by_name(const std::string& name);

  // Return the severity a rule's finding gets under this profile.
  [[nodiscard]] Severity apply(const std::string& rule, Severity native) const;
};

// The findings of one file, plus format-specific details for --json.
struct FileReport {
  std::string file;
  std::string format;
  std::vector<Finding> findings;
  std::size_t suppressed = 0;  // findings past Profile::max_findings
  nlohmann::json details;      // format details for --json (HDU list…), or null

  // Return the number of findings at `s`.
  [[nodiscard]] std::size_t count(Severity s) const;
  // Return true when the file passes under `profile` (no error; no warning
  // when warnings_as_errors).
  [[nodiscard]] bool passes(const Profile& profile) const;
};

// Collects the findings of one file, applying a profile's downgrades and its
// limit on the number of findings.
class Collector {
 public:
  Collector(std::string file, std::string format, const Profile& profile);

  // Record a finding of `rule`, whose native severity is `native`.
  void add(const std::string& rule, Severity native, Location location,
           std::string message);
  // Return true once the profile's limit on findings is reached.
  [[nodiscard]] bool full() const;
  // Return true if an error (after the profile) was recorded.
  [[nodiscard]] bool has_errors() const;
  // Return the report, leaving the collector empty.
  FileReport take();

 private:
  FileReport m_report;
  const Profile& m_profile;
};

// Return the human line: "o3.na:27:5: error: message [D1]" or
// "obs.fits: HDU 2 (EVENTS): record 6: message [fits.keyword-order]".
std::string to_text(const Finding& f);

// Return the finding as DESIGN.md's JSON object.
nlohmann::json to_json(const Finding& f);

}  // namespace hemera::validate
