// SPDX-License-Identifier: Apache-2.0
// What one data file's headers (or a GPS file) tell the record, and how a
// record is built from a P.I.'s form and those summaries (DESIGN.md "The
// record": geographic extents from the form, a GPS file or FITS site
// keywords, never from RA/DEC; NASA Ames time from the independent variable
// only when it is a time, else from DATE).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <hemera/error.hpp>
#include <hemera/metadata/record.hpp>

namespace hemera::metadata {

// The record-relevant facts of one file.
struct FileSummary {
  std::string file;                        // stored name
  std::string format_name;                 // "NASA Ames", "FITS", "NMEA 0183"…
  std::string format_version;              // "FFI 1001", "4.0"…
  std::optional<std::string> begin, end;   // ISO 8601 time range
  std::string time_source;                 // "independent variable", "DATE", "DATE-OBS"…
  std::vector<SpatialExtent> extents;      // geographic: GPS track, FITS site
  std::vector<SkyPosition> sky;            // FITS RA/DEC
  std::vector<Parameter> parameters;       // variables with units
  std::vector<std::string> instruments;    // instrument names
};

// A form field that disagrees with what the files say.
struct Contradiction {
  std::string field;    // "temporalExtents[0].beginDate"
  std::string form;     // the form's value
  std::string header;   // the files' value
  std::string file;     // which file says so
  std::string message;
};

// The archive-wide values written into every new record.
struct RecordDefaults {
  std::string uuid;
  std::string now;            // ISO 8601 UTC
  std::string download_url;   // FTP_DOWNLOAD_LINK = {download_url}/{dataset path}
  std::string catalogue_url;  // landing page = {catalogue_url}/{uuid}
  std::string dataset_path;   // "DATB/campaign/<uuid>"
};

// Build the first revision of a record from the form and the files'
// summaries, filling what the form is silent about; report (and keep the
// form's value for) every contradiction.
Record build_record(const json& form, const RecordDefaults& defaults,
                    const std::vector<FileSummary>& files, std::vector<Contradiction>& contradictions);

// Apply the files of a new version to an existing record: formats, the
// extents, parameters and instruments the record lacks; report contradictions.
void merge_files(Record& record, const std::vector<FileSummary>& files,
                 std::vector<Contradiction>& contradictions, bool fill_silent);

// Append a version entry and refresh lastModification.
void add_version(Record& record, int version, const std::string& date, std::int64_t files,
                 std::int64_t bytes, const std::string& path);

// Read a GPS auxiliary file (NMEA 0183 GGA/RMC, GPX track points, or CSV with
// latitude/longitude columns) into a summary: a trajectory (or a point) and
// the time range; nullopt fields when nothing usable is found.
Result<FileSummary> summarize_gps(const std::filesystem::path& path, const std::string& name);

// Check that the file at `path` holds printable ASCII only (32-126, with
// TAB, CR and LF); return the 1-based line and column of the first other byte.
Result<std::optional<std::pair<std::int64_t, std::int64_t>>> check_printable(
  const std::filesystem::path& path);

}  // namespace hemera::metadata
