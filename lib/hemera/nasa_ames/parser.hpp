// SPDX-License-Identifier: Apache-2.0
// The strict streaming NASA Ames parser: one pass over large read() buffers,
// numbers through std::from_chars, no locale, no allocation per value.
//
// The parser is also the validator: it reports every rule of the NASA Ames
// notes (R1-R8, H0-H12, D1-D9; D10 is validate_volumes) to a Collector as it
// reads, keeps going after an error up to the profile's limit, and never reads
// past the end, hangs or grows with the file on hostile input. It works out
// the header length from the header's own counts and never trusts NLHEAD.
//
// Typical uses:
//   validation   parse(path, consumer_that_ignores, collector, profile)
//   ingestion    summary(path, profile): header, marks, first/last mark, time range
//   conversion   a Consumer that writes each mark as it arrives
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>
#include <hemera/nasa_ames/header.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::nasa_ames {

// The format name used in findings: "nasa-ames".
inline constexpr const char* k_format = "nasa-ames";

// What a parse saw, beyond the header.
struct Stats {
  bool header_complete = false;  // the header was read to its last NCOM line
  std::int64_t lines = 0;         // lines read
  std::int64_t bytes = 0;         // bytes read
  std::int64_t marks = 0;         // complete marks read
  std::int64_t records = 0;       // data records read (mark records included)
  std::int64_t values = 0;        // numeric data values read
  std::int64_t missing = 0;       // primary or auxiliary values equal to their missing value
  double value_sum = 0;           // sum of the numeric data values read (a cross-check)
  std::int64_t suppressed = 0;    // findings past the profile's limit
  std::optional<double> first_mark, last_mark;  // X(m,NIV) of the first and last marks
  std::string first_mark_text, last_mark_text;  // FFI 2160 character marks
  std::string line_ends;  // "LF", "CRLF", "CR", "mixed" or "" (no line end)
};

// Parse the file at `path`, handing the header and the data to `consumer`
// and reporting findings to `collector` under `profile`. Returns an error only
// when the file cannot be read at all.
Result<Stats> parse(const std::filesystem::path& path, Consumer& consumer,
                    validate::Collector& collector, const validate::Profile& profile);

// Parse `text` (an in-memory file), as parse() does. `buffer_size` (0: the
// default 1 MiB) sets the read buffer, so tests can split lines across reads.
Stats parse_text(std::string_view text, Consumer& consumer, validate::Collector& collector,
                 const validate::Profile& profile, std::size_t buffer_size = 0);

// Read only the header of the file at `path`; header defects that make the
// structure unreadable are an Errc::data error carrying the rule.
Result<Header> read_header(const std::filesystem::path& path);

// A UTC time range, when the marks are times from DATE.
struct TimeRange {
  std::string start;  // ISO 8601, "2017-06-09T18:49:44Z"
  std::string end;
};

// What ingestion needs from a file: header, counts, mark range and time range.
struct Summary {
  Header header;
  Stats stats;
  bool valid = false;  // no error under the profile used
  std::optional<TimeRange> time_range;  // when the unbounded X is a time from DATE
};

// Parse the whole file under `profile` and return its summary.
Result<Summary> summary(const std::filesystem::path& path,
                        const validate::Profile& profile = validate::Profile::strict());

// Return the seconds per unit when `xname` names a time counted from 0 h UT of
// DATE ("Time (seconds since midnight UT)", "UT seconds from 0 hours on day
// given by DATE", "Time in hours"), or nullopt.
std::optional<double> seconds_per_unit(const std::string& xname);

// Return the JSON details of a parse for hemera-validate --json.
nlohmann::json details_json(const Header& header, const Stats& stats);

}  // namespace hemera::nasa_ames
