// SPDX-License-Identifier: Apache-2.0
// NASA Ames validation (streaming parser + rules R*, H*, D*).
#pragma once

#include <filesystem>
#include <vector>

#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::nasa_ames {

// Validate the NASA Ames file at `path` under `profile`.
Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile);

// Check the volumes of one multi-volume set together (rule D10): headers equal
// apart from IVOL, IVOL 1..NVOL each once, marks continuing monotonically.
// The report's file is the first path.
Result<validate::FileReport> validate_volumes(const std::vector<std::filesystem::path>& paths,
                                              const validate::Profile& profile);

}  // namespace hemera::nasa_ames
