// SPDX-License-Identifier: Apache-2.0
// Writing NASA Ames files from the parser's structures, and an in-memory
// document for small files (tests, conversion of small files, recovery).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <hemera/error.hpp>
#include <hemera/nasa_ames/header.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::nasa_ames {

// One mark's data, as the file holds it.
//  x          X(m,NIV) (not used for 2160)
//  x_text     FFI 2160: the character mark
//  aux        real A(m,a) in header order (2110/2160/2310: NX(m,1) first)
//  aux_text   FFI 2160: the NAUXC character auxiliaries
//  records    the data records after the mark record, in file order (the
//             Values layout of header.hpp); FFI 1001: one record, V(m,1..NV)
struct MarkData {
  double x = 0;
  std::string x_text;
  std::vector<double> aux;
  std::vector<std::string> aux_text;
  std::vector<std::vector<double>> records;

  friend bool operator==(const MarkData&, const MarkData&) = default;
};

// A whole file in memory.
struct Document {
  Header header;
  std::vector<MarkData> marks;
};

// A consumer that builds a Document (memory grows with the file: small files only).
class DocumentBuilder : public Consumer {
 public:
  bool on_header(const Header& header) override;
  bool on_mark(const Mark& mark) override;
  bool on_values(const Values& values) override;
  // Return the document built so far, leaving the builder empty.
  Document take() { return std::move(m_doc); }

 private:
  Document m_doc;
};

// Return `v` as the shortest text that reads back as exactly `v`, with an
// upper-case exponent ("1.5E-05", "230", "-0.9").
std::string format_number(double v);

// Return the header lines of `header`; NLHEAD on line 1 is computed from them
// (header.nlhead and header.header_lines are ignored). Records longer than 132
// characters continue on further lines.
Result<std::string> format_header(const Header& header);

// Append the records of one mark to `out`.
Result<void> format_mark(const Header& header, const MarkData& mark, std::string& out);

// Return the whole file text of `doc`.
Result<std::string> format_document(const Document& doc);

// Write `doc` to `path` atomically.
Result<void> write_file(const std::filesystem::path& path, const Document& doc);

}  // namespace hemera::nasa_ames
