// SPDX-License-Identifier: Apache-2.0
// Reading a NASA Ames file for conversion: the strict streaming parser under
// a profile, stopped at the first error, with the data handed to a sink.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <hemera/error.hpp>
#include <hemera/nasa_ames/header.hpp>
#include <hemera/nasa_ames/parser.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::convert {

// Receives a NASA Ames file's header and marks; a returned error stops the parse.
class NaSink {
 public:
  virtual ~NaSink() = default;
  // Receive the header.
  virtual Result<void> header(const nasa_ames::Header& h) = 0;
  // Receive the start of a mark.
  virtual Result<void> mark(const nasa_ames::Mark& m) = 0;
  // Receive one data record of the current mark.
  virtual Result<void> values(const nasa_ames::Values& v) = 0;
  // Receive the end of the data.
  virtual Result<void> finish() = 0;
};

// What reading a file gave.
struct NaRead {
  nasa_ames::Stats stats;
  std::vector<validate::Finding> warnings;
};

// Parse `path` under `profile`, feeding `sink`; the first error finding (as
// Errc::data with file:line and rule) or the sink's first error stops it.
Result<NaRead> read_nasa_ames(const std::filesystem::path& path, NaSink& sink,
                              const validate::Profile& profile);

// One column of the tabular view of a NASA Ames file.
struct NaColumn {
  std::string name;   // the name line as written (XNAME, VNAME, ANAME)
  std::string role;   // "independent", "auxiliary" or "primary"
  bool text = false;  // FFI 2160 character mark or auxiliary
};

// One cell of a row: a number (NaN when missing) or a text.
struct Cell {
  double value = 0;
  std::string_view text;
  bool is_text = false;
};

// Receives the rows of the tabular view of a NASA Ames file.
class RowSink {
 public:
  virtual ~RowSink() = default;
  // Receive the header and the columns.
  virtual Result<void> begin(const nasa_ames::Header& h, const std::vector<NaColumn>& columns) = 0;
  // Receive one row, one cell per column.
  virtual Result<void> row(std::span<const Cell> cells) = 0;
  // Receive the end.
  virtual Result<void> end() = 0;
};

// Return the columns of the tabular view of a file with header `h`: the
// unbounded X, the auxiliaries, the bounded X (slowest first), the primaries.
std::vector<NaColumn> table_columns(const nasa_ames::Header& h);

// Turns marks into rows (physical values: recorded x scale, missing as NaN);
// FFIs whose records run per variable buffer one mark.
class RowBuilder : public NaSink {
 public:
  explicit RowBuilder(RowSink& out) : m_out(out) {}
  Result<void> header(const nasa_ames::Header& h) override;
  Result<void> mark(const nasa_ames::Mark& m) override;
  Result<void> values(const nasa_ames::Values& v) override;
  Result<void> finish() override;
  // Return the number of rows emitted.
  [[nodiscard]] std::int64_t rows() const { return m_rows; }
  // Return the number of numeric cells emitted.
  [[nodiscard]] std::int64_t cells() const { return m_cells; }

 private:
  Result<void> flush_mark();
  Result<void> emit();
  double var_value(std::size_t n, double recorded) const;

  RowSink& m_out;
  nasa_ames::Header m_h;
  std::size_t m_ncols = 0;
  bool m_in_mark = false;
  double m_x = 0;
  std::string m_x_text;
  std::vector<double> m_aux;                 // physical
  std::vector<std::string> m_aux_text;
  std::vector<std::vector<double>> m_records;  // per (var, row) of the mark
  std::vector<Cell> m_row;
  std::int64_t m_rows = 0;
  std::int64_t m_cells = 0;
};

}  // namespace hemera::convert
