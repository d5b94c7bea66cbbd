// SPDX-License-Identifier: Apache-2.0
// File-name policy (seed §4.1.4 made safe), file kinds and routing to DATB or
// DASB (DESIGN.md "The archive on disk").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <hemera/error.hpp>

namespace hemera::archive {

// What a file's name claims it is.
enum class FileKind { nasa_ames, fits, auxiliary, unknown };

// Return "nasa-ames", "fits", "auxiliary" or "unknown".
const char* kind_name(FileKind k) noexcept;

// Return the kind claimed by the name's extension (case-insensitive):
// .na .nas .ames → NASA Ames; .fits .fit .fts .fz → FITS; .gps .nmea .gpx
// .csv .txt → auxiliary; anything else → unknown.
FileKind kind_of(std::string_view name) noexcept;

// The two databases of seed §4.1.2.
enum class Base { datb, dasb };

// Return "DATB" or "DASB".
const char* base_name(Base b) noexcept;

// A refusal: which file, which rule, why.
struct NameProblem {
  std::string file;
  std::string rule;  // "name.space", "name.collision", "route.mixed"…
  std::string message;
};

// Check one file name against the policy; return the stored (lower-cased)
// name, or the problem (rule "name.*").
Result<std::string> check_name(std::string_view name);

// Check a whole set of names (each, then collisions once lower-cased) and
// return every problem found.
std::vector<NameProblem> check_names(const std::vector<std::string>& names);

// Route a set of file kinds: DASB when every file is FITS; DATB when there is
// at least one NASA Ames file, the rest being NASA Ames or auxiliary. Return
// the problems otherwise (rules "route.*").
Result<Base> route(const std::vector<std::string>& names, std::vector<NameProblem>& problems);

// Check a collection path ("campaign/instrument"): one to three lower-case
// segments of [a-z0-9._-], not starting with '.' or '-'. Return it normalised
// (no trailing '/').
Result<std::string> check_collection(std::string_view collection);

}  // namespace hemera::archive
