// SPDX-License-Identifier: Apache-2.0
// Data interoperability (seed §12.4): NASA Ames to netCDF-4/CF, CSV and JSON;
// netCDF (CF) back to NASA Ames FFI 1001, 1010, 2010 and 2110; FITS tables to
// CSV and FITS headers to JSON. Outputs appear whole or not at all.
//
// Errors: Errc::data (65) for an input that is invalid or unreadable as its
// format, Errc::cant_create (73) for what the target format cannot hold (a
// variable-length FITS column in CSV, a netCDF name line longer than NASA
// Ames allows…) and for an existing output, Errc::io (74) for I/O.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::convert {

// The formats the converter reads or writes.
enum class Format { unknown, nasa_ames, netcdf, csv, json, fits };

// Return "nasa-ames", "netcdf", "csv", "json", "fits" or "unknown".
const char* format_name(Format f) noexcept;
// Return the format called `name` ("netcdf", "nc", "csv"…), or Format::unknown.
Format format_from_name(const std::string& name) noexcept;
// Detect an input file's format from its first bytes (netCDF classic or
// HDF5 signature, FITS primary header, NASA Ames "NLHEAD FFI").
Result<Format> detect(const std::filesystem::path& path);

// What a conversion may be asked.
struct Options {
  bool overwrite = false;       // replace an existing output
  bool annotated = false;       // CSV: keep the NASA Ames header as "# " lines
  validate::Profile profile = validate::Profile::strict();  // NASA Ames input check
  int deflate = 0;              // netCDF: deflate level 0-9
  int ffi = 0;                  // netCDF → NASA Ames: 1001, 1010, 2010, 2110 (0: choose)
  std::vector<std::string> variables;  // netCDF → NASA Ames: primary variables (empty: all)
  std::vector<std::string> auxiliary;  // netCDF → NASA Ames: auxiliary variables
  std::string date;             // netCDF → NASA Ames: DATE when the file does not say
  std::optional<int> hdu;       // FITS: 1-based HDU (table: default the first table)
};

// What a conversion did.
struct Report {
  std::string input;
  std::string output;
  Format from = Format::unknown;
  Format to = Format::unknown;
  int ffi = 0;                  // NASA Ames FFI read or written (0: none)
  std::int64_t rows = 0;        // CSV/JSON rows, NASA Ames marks, netCDF marks
  std::int64_t values = 0;      // numeric values written
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
  std::vector<validate::Finding> warnings;  // input warnings under the profile
};

// Return the report as the JSON object of hemera-convert --json.
nlohmann::json to_json(const Report& r);

// Convert the NASA Ames file `in` to CSV (`to` csv) or JSON (`to` json),
// streaming; `out` "-" writes to standard output.
Result<Report> nasa_ames_to_rows(const std::filesystem::path& in, const std::filesystem::path& out,
                                 Format to, const Options& options);

// Convert the NASA Ames file `in` (any FFI) to netCDF-4 following CF,
// writing the marks incrementally along unlimited dimensions.
Result<Report> nasa_ames_to_netcdf(const std::filesystem::path& in,
                                   const std::filesystem::path& out, const Options& options);

// Convert the netCDF file `in` to NASA Ames FFI 1001, 1010, 2010 or 2110;
// the result is checked under the strict profile before it is committed.
Result<Report> netcdf_to_nasa_ames(const std::filesystem::path& in,
                                   const std::filesystem::path& out, const Options& options);

// Convert a FITS binary or ASCII table to CSV with a header row of names and units.
Result<Report> fits_table_to_csv(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const Options& options);

// Write the FITS headers (one HDU with options.hdu, else all) as JSON.
Result<Report> fits_header_to_json(const std::filesystem::path& in,
                                   const std::filesystem::path& out, const Options& options);

// Convert `in` to `to`, choosing the converter from the detected input format.
Result<Report> convert(const std::filesystem::path& in, const std::filesystem::path& out,
                       Format to, const Options& options);

// Return the units of a NASA Ames name line: the text of its last "(...)",
// or "" ("Pressure (hPa)" → "hPa").
std::string units_of(const std::string& name);
// Return a name line without its last "(...)", trimmed ("Pressure (hPa)" → "Pressure").
std::string label_of(const std::string& name);
// Return `text` as a CSV field (RFC 4180 quoting when needed).
std::string csv_field(const std::string& text);
// Return `v` as the shortest text that reads back as `v` ("1.5e-05", "230").
std::string number_text(double v);

}  // namespace hemera::convert
