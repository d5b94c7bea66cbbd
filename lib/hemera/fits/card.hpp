// SPDX-License-Identifier: Apache-2.0
// FITS header cards: the 80-byte keyword records of a 2880-byte header block,
// parsed from the raw bytes (FITS 4.0 §4.1-4.2) with the column of each part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hemera/validate/finding.hpp>

namespace hemera::fits {

inline constexpr std::size_t k_card_size = 80;
inline constexpr std::size_t k_block_size = 2880;
inline constexpr std::size_t k_cards_per_block = k_block_size / k_card_size;

// What the value field of a card holds.
enum class ValueType {
  none,       // commentary card: COMMENT, HISTORY, blank, or no "= " in columns 9-10
  undefined,  // "= " followed by nothing (a null value)
  string,
  logical,
  integer,
  real,
  complex,
  invalid,  // "= " followed by something that is not a FITS value
};

// Return "string", "logical", "integer"… for messages.
const char* value_type_name(ValueType t) noexcept;

// One parsed keyword record.
struct Card {
  std::string keyword;  // name without trailing blanks ("" for a blank name);
                        // "HIERARCH" cards keep "HIERARCH" here and the rest in `hierarch`
  std::string hierarch;  // the long name of an ESO HIERARCH card
  ValueType type = ValueType::none;
  std::string text;         // decoded string value (trailing blanks dropped), or the value token
  bool logical = false;     // for ValueType::logical
  std::int64_t integer = 0; // for ValueType::integer
  bool integer_overflow = false;
  double real = 0;          // for integer and real values
  int value_first = 0;      // 1-based column of the value's first character (0: none)
  int value_last = 0;       // 1-based column of the value's last character
  bool is_continue = false; // a CONTINUE card carrying a string
  std::string comment;      // text after '/' (or the commentary text)

  // Return true if the card has a number (integer or real) value.
  [[nodiscard]] bool is_number() const noexcept
  {
    return type == ValueType::integer || type == ValueType::real;
  }
};

// A syntax problem found in one card.
struct CardIssue {
  std::string rule;  // "fits.card-chars", "fits.keyword-name", "fits.value-syntax"…
  validate::Severity severity = validate::Severity::error;
  std::string message;
};

// Parse the 80-byte record `raw`; append its syntax problems to `issues`.
// Never reads outside `raw`; shorter input is treated as blank-padded.
Card parse_card(std::string_view raw, std::vector<CardIssue>& issues);

// Return true if the first 8 bytes of `raw` could be a keyword name (A-Z,
// 0-9, '-', '_', blanks), used to tell a header block from data.
bool looks_like_card(std::string_view raw) noexcept;

// Return the keyword name of `raw` (columns 1-8 without trailing blanks).
std::string_view card_name(std::string_view raw) noexcept;

// Parse a whole decimal integer (optional sign); nullopt if not one or out of range.
std::optional<std::int64_t> parse_int(std::string_view s) noexcept;

// Return `s` with every byte outside printable ASCII written as \xNN, so that
// it is safe in messages and JSON.
std::string printable(std::string_view s);

}  // namespace hemera::fits
