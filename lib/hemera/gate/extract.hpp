// SPDX-License-Identifier: Apache-2.0
// What the headers of NASA Ames and FITS files say, as a partial record
// (hemera-meta extract): the fields ingestion would fill from the files, plus
// the header facts a data manager completes a form from.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>

namespace hemera::gate {

// The partial record of a set of files, and each file's header facts.
struct Extract {
  nlohmann::json record = nlohmann::json::object();  // partial: no id, no versions
  std::vector<nlohmann::json> files;  // {file, format, format_version, header: {...}}
};

// Read the headers of `files` (NASA Ames or FITS, by their names) and return
// what they say. A file that is neither, or whose header cannot be read, is
// Errc::data naming the file; a missing file is Errc::no_input.
Result<Extract> extract(const std::vector<std::filesystem::path>& files);

}  // namespace hemera::gate
