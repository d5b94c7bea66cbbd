// SPDX-License-Identifier: Apache-2.0
// NASA Ames (Gaines & Hipskind 1998, v1.3) data model: the typed header of the
// nine file format indices (FFI) and the data marks handed to a consumer.
//
// Indices in these structures are 0-based; the spec's are 1-based. Values are
// the recorded (unscaled) numbers: physical value = recorded * scale.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hemera::nasa_ames {

// The nine file format indices of GH §6.
inline constexpr int k_ffis[] = {1001, 1010, 1020, 2010, 2110, 2160, 2310, 3010, 4010};

// Return true when `ffi` is one of the nine defined FFIs.
bool is_known_ffi(int ffi) noexcept;

// A calendar date as written on header line 7.
struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  // Return true for a valid Gregorian date with a 4-digit year.
  [[nodiscard]] bool valid() const noexcept;
  // Return "YYYY-MM-DD".
  [[nodiscard]] std::string iso() const;
  friend auto operator<=>(const Date&, const Date&) = default;
};

// A primary or auxiliary variable: its name line, scale factor, missing value.
// Character auxiliaries (FFI 2160) have `is_text`, `length` (LENA) and
// `missing_text` instead of `scale` and `missing`.
struct Variable {
  std::string name;
  double scale = 1.0;
  double missing = 0.0;
  bool is_text = false;
  int length = 0;
  std::string missing_text;

  friend bool operator==(const Variable&, const Variable&) = default;
};

// One bounded independent variable's header definition (FFI 2010, 3010, 4010):
// NX(s), NXDEF(s) and the NXDEF listed values X(i,s).
struct Axis {
  std::int64_t nx = 0;
  std::int64_t nxdef = 0;
  std::vector<double> listed;

  // Return X(i,s) for 0 <= i < nx: listed, else extended at `dx`.
  [[nodiscard]] double value(std::int64_t i, double dx) const;
  friend bool operator==(const Axis&, const Axis&) = default;
};

// The header of a NASA Ames file, in the order of GH §6.
struct Header {
  int nlhead = 0;        // as written on line 1
  int ffi = 0;           // as written on line 1
  int header_lines = 0;  // computed from the header's own counts (the true NLHEAD)
  int preamble_lines = 0;  // lines before "NLHEAD FFI" (NDACC preamble: 1)
  std::string oname, org, sname, mname;
  int ivol = 1, nvol = 1;
  Date date, rdate;
  // DX(s), s = 0..NIV-1. FFI 2310 writes only DX(2): dx[0] is 0 there.
  // FFI 2160 writes only DX(1): dx[1] is 0 there.
  std::vector<double> dx;
  std::vector<Axis> axes;  // bounded axes defined in the header (2010: 1, 3010: 2, 4010: 3)
  int nvpm = 0;            // FFI 1020
  int lenx = 0;            // FFI 2160: LENX(2)
  std::vector<std::string> xname;  // XNAME(s), s = 0..NIV-1
  std::vector<Variable> vars;      // V(n)
  std::vector<Variable> aux;       // A(a), real ones first, then NAUXC text ones
  int nauxc = 0;                   // FFI 2160
  std::vector<std::string> scom, ncom;

  // Return NIV, the first digit of the FFI.
  [[nodiscard]] int niv() const noexcept { return ffi / 1000; }
  // Return NV.
  [[nodiscard]] std::size_t nv() const noexcept { return vars.size(); }
  // Return NAUXV.
  [[nodiscard]] std::size_t nauxv() const noexcept { return aux.size(); }
  // Return the name of the unbounded independent variable (the marks).
  [[nodiscard]] const std::string& mark_name() const;
  friend bool operator==(const Header&, const Header&) = default;
};

// The start of one mark: its independent variable mark and auxiliary values.
struct Mark {
  std::int64_t index = 0;  // 0-based mark number m
  std::int64_t line = 0;   // line of the mark record (2160: of the X(m,2) string)
  double x = 0;            // X(m,NIV); NaN for FFI 2160 (see x_text)
  std::string_view x_text;             // FFI 2160: the character mark X(m,2)
  std::span<const double> aux;         // real A(m,a) in header order; 2110/2160/2310 start with NX(m,1)
  std::span<const std::string> aux_text;  // FFI 2160: the NAUXC character auxiliaries
  std::int64_t nx1 = -1;  // 2110/2160/2310: NX(m,1) (records that follow); else -1
};

// One data record after the mark record, values in file order.
//  1001, 1010:  values = V(m,1..NV)                       (var = -1)
//  1020:        values = V(i,n), i = 1..NVPM              (var = n)
//  2010, 2310:  values = V(i,m,n), i = 1..NX(1)           (var = n)
//  2110, 2160:  values = X(i,m,1), V(i,m,1..NV)           (var = -1, row = i)
//  3010:        values = V(i,j,m,n), i = 1..NX(1)         (var = n, row = j)
//  4010:        values = V(i,j,k,m,n), i = 1..NX(1)       (var = n, row = k * NX(2) + j)
struct Values {
  std::int64_t line = 0;
  int var = -1;
  std::int64_t row = 0;
  std::span<const double> values;
};

// Receives a file's content as it is parsed; the data never sit in memory.
class Consumer {
 public:
  virtual ~Consumer() = default;
  // Receive the header; return false to stop before the data.
  virtual bool on_header(const Header& /*header*/) { return true; }
  // Receive the start of a mark; return false to stop.
  virtual bool on_mark(const Mark& /*mark*/) { return true; }
  // Receive one data record of the current mark; return false to stop.
  virtual bool on_values(const Values& /*values*/) { return true; }
};

}  // namespace hemera::nasa_ames
