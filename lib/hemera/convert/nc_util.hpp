// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the netCDF reader and writer (libnetcdf status
// codes as Result, CF names).
#pragma once

#include <optional>
#include <set>
#include <string>

#include <hemera/error.hpp>

namespace hemera::convert::nc {

// Return an error for libnetcdf status `status` (nothing when NC_NOERR).
Result<void> check(int status, const std::string& what, const std::string& path,
                   Errc code = Errc::io);

// Return a valid, unique netCDF name made from `text` (letters, digits and
// underscores, starting with a letter), recording it in `used`.
std::string unique_name(const std::string& text, std::set<std::string>& used);

// Return the CF unit word for `seconds` per unit (1 "seconds", 60 "minutes",
// 3600 "hours", 86400 "days"), or nullopt.
std::optional<std::string> time_unit_word(double seconds);

}  // namespace hemera::convert::nc
