// SPDX-License-Identifier: Apache-2.0
// NASA Ames validation (streaming parser + rules R*, H*, D*).
#pragma once

#include <filesystem>

#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::nasa_ames {

// Validate the NASA Ames file at `path` under `profile`.
Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile);

}  // namespace hemera::nasa_ames
