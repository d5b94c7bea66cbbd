// SPDX-License-Identifier: Apache-2.0
// FITS validation (raw header cards + cfitsio).
#pragma once

#include <filesystem>

#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::fits {

// Validate every HDU of the FITS file at `path` under `profile`; the report's
// `details` holds the HDU list for --json.
Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile);

}  // namespace hemera::fits
