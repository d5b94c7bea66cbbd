// SPDX-License-Identifier: Apache-2.0
// The NASA Ames rules: stable ids, native severities and one-line titles,
// numbered as in the project's NASA Ames notes (R = bytes and lines,
// H = header, D = data). H0 is the project's id for a preamble line.
#pragma once

#include <string_view>

#include <hemera/validate/finding.hpp>

namespace hemera::nasa_ames {

// One rule of the table.
struct Rule {
  std::string_view id;
  validate::Severity severity;  // native severity of its main finding
  std::string_view title;
};

// Every rule the parser reports, in documentation order.
inline constexpr Rule k_rules[] = {
  {"R1", validate::Severity::error, "only printable ASCII (32-126) and line ends"},
  {"R2", validate::Severity::error, "a line has at most 132 characters"},
  {"R3", validate::Severity::error, "a record has at most 32766 characters"},
  {"R4", validate::Severity::warning, "mixed line ends, or no line end at end of file"},
  {"R5", validate::Severity::error, "a record starts a line; no line ends one record and starts another"},
  {"R6", validate::Severity::error, "numbers match [+-]?(d+.?d*|.d+)(E[+-]?d+)?"},
  {"R7", validate::Severity::error, "counts, dates and NX(m,1) are integers"},
  {"R8", validate::Severity::warning, "reals have at most 7 significant digits, 1E-38 <= |x| <= 1E+38"},
  {"H0", validate::Severity::error, "no line before NLHEAD FFI (NDACC preamble)"},
  {"H1", validate::Severity::error, "line 1 is NLHEAD FFI with a defined FFI"},
  {"H2", validate::Severity::error, "NLHEAD is the number of the last header line"},
  {"H3", validate::Severity::error, "scale, missing and name items match NV and NAUXV"},
  {"H4", validate::Severity::error, "1 <= IVOL <= NVOL"},
  {"H5", validate::Severity::error, "DATE and RDATE are valid dates with 4-digit years"},
  {"H6", validate::Severity::error, "RDATE >= DATE (policy validation.rdate_after_date)"},
  {"H7", validate::Severity::error, "FFI 1020: DX(1) != 0 and NVPM >= 1"},
  {"H8", validate::Severity::error, "NX(s) >= 1, 1 <= NXDEF(s) <= NX(s)"},
  {"H9", validate::Severity::error, "header axes are monotonic and agree with DX"},
  {"H10", validate::Severity::error, "NAUXV and NAUXC agree with the FFI"},
  {"H11", validate::Severity::error, "1 <= LENX, LENA <= 132; character missing values fit LENA"},
  {"H12", validate::Severity::warning, "names and organisation lines are not empty"},
  {"D1", validate::Severity::error, "the data follow the FFI's record layout to the end of file"},
  {"D2", validate::Severity::error, "marks are monotonic (policy validation.strict_monotonic)"},
  {"D3", validate::Severity::error, "bounded X within a mark is monotonic"},
  {"D4", validate::Severity::error, "marks and bounded X are spaced DX when DX != 0"},
  {"D5", validate::Severity::error, "good values are below their missing value"},
  {"D6", validate::Severity::error, "NX(m,1) is a non-negative integer; omitted records need DX(2) != 0"},
  {"D7", validate::Severity::error, "FFI 2160 strings fit LENX and LENA"},
  {"D8", validate::Severity::warning, "no text after the last value of a data record"},
  {"D9", validate::Severity::warning, "no leading or trailing all-missing marks"},
  {"D10", validate::Severity::error, "volumes of a set agree and continue each other"},
};

}  // namespace hemera::nasa_ames
