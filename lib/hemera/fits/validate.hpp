// SPDX-License-Identifier: Apache-2.0
// FITS validation: header cards parsed from the raw 2880-byte blocks, every
// HDU's structure, keywords, tables and checksums checked in one streaming
// pass (rules "fits.*"; the list is in man/hemera-validate.1).
#pragma once

#include <cstddef>
#include <filesystem>

#include <hemera/error.hpp>
#include <hemera/fits/summary.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::fits {

// What to read.
struct Options {
  bool check_data = true;  // read data units (checksums, fill, table contents)
  std::size_t buffer_size = std::size_t{1} << 20;  // bytes per read of a data unit
  bool decompress = true;  // allow Profile::fits_decompress to load cfitsio
};

// The outcome of validating one FITS file.
struct Report {
  validate::FileReport report;  // findings; details = {"hdus": [...], "summary": {...}}
  Summary summary;              // the header summary for ingestion
};

// Validate every HDU of the FITS file at `path` under `profile`. Errors are
// for files that cannot be opened or read; defects are findings.
Result<Report> validate(const std::filesystem::path& path, const validate::Profile& profile,
                        const Options& options = {});

// Validate every HDU of the FITS file at `path` under `profile`; the report's
// `details` holds the HDU list and the header summary for --json.
Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile);

}  // namespace hemera::fits
