// SPDX-License-Identifier: Apache-2.0
// The format-neutral entry point: detect a file's format and validate it.
#pragma once

#include <filesystem>
#include <string>

#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::validate {

enum class Format { unknown, nasa_ames, fits };

// Return "nasa-ames", "fits" or "unknown".
const char* format_name(Format f) noexcept;

// Return the format named "nasa-ames" or "fits", or Format::unknown.
Format format_from_name(const std::string& name) noexcept;

// Detect the format from the content: FITS by its first 2880-byte record
// ("SIMPLE  =" card), NASA Ames by its first line ("NLHEAD FFI").
Result<Format> detect(const std::filesystem::path& path);

// Validate one file as `format` (detected when unknown) under `profile`.
// Errors are for files that cannot be read at all; defects are findings.
Result<FileReport> validate_file(const std::filesystem::path& path, Format format,
                                 const Profile& profile);

}  // namespace hemera::validate
