// SPDX-License-Identifier: Apache-2.0
// ASCII and binary table layout (TFORMn, TBCOLn, TDIMn, THEAP, TDISPn…) and
// the streaming check of table contents (logicals, bits, strings, VLA
// descriptors), FITS 4.0 §7.2-7.3.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <hemera/error.hpp>
#include <hemera/fits/card.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::fits {

// One column as its keywords describe it.
struct Column {
  int index = 0;
  std::string name;   // TTYPEn
  std::string tform;  // TFORMn
  std::string unit;   // TUNITn
  std::string tnull;  // TNULLn of an ASCII table (the null field), trimmed
  bool ok = false;    // TFORMn parsed
  char type = 0;      // binary: L X B I J K A E D C M P Q; ASCII: A I F E D
  char vla_type = 0;  // element type of a P/Q column
  std::int64_t repeat = 1;
  std::int64_t vla_max = -1;   // P(max) / Q(max)
  std::int64_t width = 0;      // bytes in a row
  std::int64_t offset = 0;     // byte offset in the row (0-based)
};

// The table's size keywords.
struct TableLayout {
  bool ascii = false;
  std::int64_t naxis1 = 0;
  std::int64_t naxis2 = 0;
  std::int64_t pcount = 0;
  std::int64_t tfields = 0;
};

// A parsed table: its columns and heap.
struct Table {
  bool valid = false;  // layout usable for the content checks
  bool ascii = false;
  std::int64_t row_bytes = 0;
  std::int64_t rows = 0;
  std::int64_t theap = 0;      // heap offset from the start of the data
  std::int64_t heap_size = 0;  // bytes of heap proper (PCOUNT minus the gap)
  std::vector<Column> columns;
};

// A finding produced by the table checks.
struct TableFinding {
  std::string rule;
  validate::Severity severity = validate::Severity::error;
  std::string keyword;
  std::string message;
};

// Report a finding on the card `card` (nullptr: no card) under `keyword`.
using TableSink = std::function<void(const std::string& rule, validate::Severity,
                                     const Card* card, const std::string& keyword,
                                     const std::string& message)>;

// Parse and check the column keywords; `lookup` finds a keyword's first card.
// `compressed_image` relaxes the image-keyword rules of tile-compressed images.
Table build_table(const TableLayout& layout,
                  const std::function<const Card*(const std::string&)>& lookup,
                  const TableSink& sink, bool compressed_image);

// Read `n` bytes at file offset `off` into `buf`.
using Reader = std::function<Result<void>(unsigned char* buf, std::size_t n, std::uint64_t off)>;

// Checks a table's rows as the data unit streams by, with bounded memory.
class TableScan {
 public:
  TableScan(const Table& table, std::uint64_t data_bytes);

  // Return true if the table has contents to check.
  [[nodiscard]] bool active() const noexcept { return m_active; }
  // Give up on the content checks (the data is not read).
  void skip() noexcept { m_active = false; }
  // Check the data bytes [pos, pos + n) of the data unit.
  void feed(const unsigned char* data, std::size_t n, std::uint64_t pos);
  // Finish: check the heap contents of logical VLA columns through `read`
  // (data unit at file offset `data_start`) and return the findings.
  Result<std::vector<TableFinding>> finish(const Reader& read, std::uint64_t data_start);

 private:
  enum class Kind { logical, bits, chars, desc32, desc64, ascii_row, ascii_number };
  struct Check {
    Kind kind = Kind::logical;
    const Column* col = nullptr;
    std::int64_t offset = 0;
    std::int64_t repeat = 0;
    int elem_size = 1;  // VLA element size (0: bits)
    std::uint64_t bad = 0;
    std::int64_t first_row = 0;
    std::string first_detail;
  };
  void row(const unsigned char* r, std::int64_t index);
  void bad(Check& c, std::int64_t row, std::string detail);

  const Table& m_table;
  bool m_active = false;
  std::uint64_t m_main_bytes = 0;  // NAXIS1 x NAXIS2
  std::vector<Check> m_checks;
  std::vector<unsigned char> m_carry;
  std::size_t m_carry_len = 0;
  std::int64_t m_row = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> m_logical_vla;  // heap offset, count
  bool m_logical_vla_overflow = false;
};

// Return the width in bytes of `count` elements of binary type `t` (0 if unknown).
std::int64_t binary_width(char t, std::int64_t count) noexcept;

}  // namespace hemera::fits
