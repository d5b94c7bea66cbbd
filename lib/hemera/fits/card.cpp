// SPDX-License-Identifier: Apache-2.0
#include <hemera/fits/card.hpp>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

namespace hemera::fits {

using validate::Severity;

const char* value_type_name(ValueType t) noexcept
{
  switch (t) {
  case ValueType::none: return "no value";
  case ValueType::undefined: return "an undefined value";
  case ValueType::string: return "a string";
  case ValueType::logical: return "a logical";
  case ValueType::integer: return "an integer";
  case ValueType::real: return "a real number";
  case ValueType::complex: return "a complex number";
  case ValueType::invalid: return "an invalid value";
  }
  return "?";
}

namespace {

bool is_name_char(char c) noexcept
{
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool is_digit(char c) noexcept
{
  return c >= '0' && c <= '9';
}

// Describe a byte that is not printable ASCII, and how many bytes it spans.
std::string describe_bad_byte(std::string_view s, std::size_t i, std::size_t& span)
{
  auto b = static_cast<unsigned char>(s[i]);
  span = 1;
  switch (b) {
  case 0x00: return "NUL byte (0x00)";
  case 0x09: return "tab character (0x09)";
  case 0x0A: return "line feed (0x0A)";
  case 0x0D: return "carriage return (0x0D)";
  case 0x7F: return "DEL character (0x7F)";
  default: break;
  }
  if (b < 0x20) {
    return fmt::format("control character 0x{:02X}", b);
  }
  // A well-formed UTF-8 sequence is named as such: the usual cause.
  std::size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
  if (len != 0 && i + len <= s.size()) {
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k) {
      ok = ok && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok) {
      span = len;
      std::string hex;
      for (std::size_t k = 0; k < len; ++k) {
        hex += fmt::format("{}{:02X}", k == 0 ? "" : " ", static_cast<unsigned char>(s[i + k]));
      }
      return fmt::format("UTF-8 character (bytes {})", hex);
    }
  }
  return fmt::format("non-ASCII byte 0x{:02X}", b);
}

// Parse a FITS real or integer token; set `lower_exp` for an e/d exponent.
bool parse_number(std::string_view tok, bool& is_int, double& out, bool& lower_exp)
{
  std::size_t i = 0;
  if (i < tok.size() && (tok[i] == '+' || tok[i] == '-')) {
    ++i;
  }
  std::size_t digits = 0;
  while (i < tok.size() && is_digit(tok[i])) {
    ++i;
    ++digits;
  }
  bool dot = false;
  if (i < tok.size() && tok[i] == '.') {
    dot = true;
    ++i;
    while (i < tok.size() && is_digit(tok[i])) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  bool exp = false;
  if (i < tok.size() && (tok[i] == 'E' || tok[i] == 'D' || tok[i] == 'e' || tok[i] == 'd')) {
    lower_exp = tok[i] == 'e' || tok[i] == 'd';
    exp = true;
    ++i;
    if (i < tok.size() && (tok[i] == '+' || tok[i] == '-')) {
      ++i;
    }
    std::size_t ed = 0;
    while (i < tok.size() && is_digit(tok[i])) {
      ++i;
      ++ed;
    }
    if (ed == 0) {
      return false;
    }
  }
  if (i != tok.size()) {
    return false;
  }
  is_int = !dot && !exp;
  std::string copy(tok);
  for (auto& c : copy) {
    if (c == 'D' || c == 'd') {
      c = 'E';
    }
  }
  out = std::strtod(copy.c_str(), nullptr);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_int(std::string_view s) noexcept
{
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::string printable(std::string_view s)
{
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b <= 0x7E) {
      out += c;
    } else {
      out += fmt::format("\\x{:02X}", b);
    }
  }
  return out;
}

std::string_view card_name(std::string_view raw) noexcept
{
  auto name = raw.substr(0, std::min<std::size_t>(8, raw.size()));
  while (!name.empty() && name.back() == ' ') {
    name.remove_suffix(1);
  }
  return name;
}

bool looks_like_card(std::string_view raw) noexcept
{
  for (std::size_t i = 0; i < 8 && i < raw.size(); ++i) {
    char c = raw[i];
    if (!is_name_char(c) && c != ' ' && !(c >= 'a' && c <= 'z')) {
      return false;
    }
  }
  return true;
}

Card parse_card(std::string_view raw_in, std::vector<CardIssue>& issues)
{
  char buf[k_card_size];
  for (std::size_t i = 0; i < k_card_size; ++i) {
    buf[i] = i < raw_in.size() ? raw_in[i] : ' ';
  }
  std::string_view raw(buf, k_card_size);
  Card card;

  // Keyword name, columns 1-8.
  std::string_view name = card_name(raw);
  card.keyword = std::string(name);
  bool hierarch = raw.substr(0, 9) == "HIERARCH ";
  if (!hierarch) {
    std::size_t lead = 0;
    while (lead < name.size() && name[lead] == ' ') {
      ++lead;
    }
    if (lead != 0 && lead < name.size()) {
      issues.push_back({"fits.keyword-name", Severity::error,
                        fmt::format("keyword name '{}' is not left-justified in columns 1-8",
                                    name.substr(lead))});
    } else {
      for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) {
          break;  // reported by the character check below
        }
        if (!is_name_char(c)) {
          std::string what = (c >= 'a' && c <= 'z') ? "a lower-case letter"
                             : c == ' '             ? "an embedded blank"
                                                    : fmt::format("the character '{}'", c);
          issues.push_back(
            {"fits.keyword-name", Severity::error,
             fmt::format("keyword name '{}' contains {}: only A-Z, 0-9, '-' and '_' are allowed",
                         std::string(name.begin(), name.end()), what)});
          break;
        }
      }
    }
  }

  bool commentary = name == "COMMENT" || name == "HISTORY" || name.empty();
  std::size_t value_pos = 0;  // 0-based index where the value field starts
  if (hierarch) {
    auto eq = raw.find('=', 9);
    if (eq == std::string_view::npos) {
      commentary = true;
    } else {
      auto h = raw.substr(9, eq - 9);
      while (!h.empty() && h.back() == ' ') {
        h.remove_suffix(1);
      }
      card.hierarch = std::string(h);
      value_pos = eq + 1;
    }
  } else if (name == "CONTINUE" && raw.substr(8, 2) == "  ") {
    card.is_continue = true;
    value_pos = 10;
  } else if (!commentary && raw.substr(8, 2) == "= ") {
    value_pos = 10;
  } else {
    commentary = true;
  }

  // Bytes outside printable ASCII, anywhere in the record: one issue per card.
  for (std::size_t i = 0; i < k_card_size; ++i) {
    auto b = static_cast<unsigned char>(raw[i]);
    if (b >= 0x20 && b <= 0x7E) {
      continue;
    }
    std::size_t span = 1;
    std::string what = describe_bad_byte(raw, i, span);
    std::string where;
    if (i < 8) {
      where = "the keyword name";
    } else if (commentary) {
      where = name.empty() ? "the text of a blank-keyword card" : fmt::format("the {} text", name);
    } else {
      // Find whether the byte is inside a quoted string, the value or the comment.
      bool in_string = false;
      bool after_slash = false;
      for (std::size_t k = value_pos; k < i; ++k) {
        if (raw[k] == '\'') {
          in_string = !in_string;
        } else if (raw[k] == '/' && !in_string) {
          after_slash = true;
        }
      }
      where = after_slash ? fmt::format("the comment of {}", name)
              : in_string ? fmt::format("the string value of {}", name)
                          : fmt::format("the value of {}", name);
    }
    issues.push_back({"fits.card-chars", Severity::error,
                      fmt::format("{} at column {} in {}: header records may hold only "
                                  "printable ASCII (32-126)",
                                  what, i + 1, where)});
    break;
  }

  if (commentary) {
    card.type = ValueType::none;
    card.comment = std::string(raw.substr(8));
    while (!card.comment.empty() && card.comment.back() == ' ') {
      card.comment.pop_back();
    }
    return card;
  }

  // The value field.
  std::size_t i = value_pos;
  while (i < k_card_size && raw[i] == ' ') {
    ++i;
  }
  std::string label = hierarch ? "HIERARCH " + card.hierarch : std::string(name);
  std::size_t after = i;
  if (i >= k_card_size || raw[i] == '/') {
    card.type = ValueType::undefined;
  } else if (raw[i] == '\'') {
    card.value_first = static_cast<int>(i + 1);
    std::string s;
    std::size_t k = i + 1;
    bool closed = false;
    while (k < k_card_size) {
      if (raw[k] == '\'') {
        if (k + 1 < k_card_size && raw[k + 1] == '\'') {
          s += '\'';
          k += 2;
          continue;
        }
        closed = true;
        break;
      }
      s += raw[k];
      ++k;
    }
    if (!closed) {
      issues.push_back({"fits.value-syntax", Severity::error,
                        fmt::format("the string value of {} has no closing quote", label)});
      after = k_card_size;
    } else {
      after = k + 1;
    }
    card.value_last = static_cast<int>(std::min(after, k_card_size));
    while (!s.empty() && s.back() == ' ') {
      s.pop_back();
    }
    card.type = ValueType::string;
    card.text = std::move(s);
  } else {
    std::size_t end = i;
    if (raw[i] == '(') {
      while (end < k_card_size && raw[end] != ')' && raw[end] != '/') {
        ++end;
      }
      if (end < k_card_size && raw[end] == ')') {
        ++end;
      }
    } else {
      while (end < k_card_size && raw[end] != ' ' && raw[end] != '/') {
        ++end;
      }
    }
    std::string_view tok = raw.substr(i, end - i);
    card.text = std::string(tok);
    card.value_first = static_cast<int>(i + 1);
    card.value_last = static_cast<int>(end);
    after = end;
    bool is_int = false;
    bool lower_exp = false;
    double v = 0;
    if (tok == "T" || tok == "F") {
      card.type = ValueType::logical;
      card.logical = tok == "T";
    } else if (parse_number(tok, is_int, v, lower_exp)) {
      card.real = v;
      if (is_int) {
        auto n = parse_int(tok);
        if (n) {
          card.type = ValueType::integer;
          card.integer = *n;
        } else {
          card.type = ValueType::real;
          card.integer_overflow = true;
        }
      } else {
        card.type = ValueType::real;
      }
      if (lower_exp) {
        issues.push_back({"fits.value-syntax", Severity::error,
                          fmt::format("the value of {} ('{}') has a lower-case exponent: write E or D",
                                      label, tok)});
      }
    } else if (tok.size() >= 2 && tok.front() == '(' && tok.back() == ')') {
      auto inner = tok.substr(1, tok.size() - 2);
      auto comma = inner.find(',');
      auto trim = [](std::string_view s) {
        while (!s.empty() && s.front() == ' ') {
          s.remove_prefix(1);
        }
        while (!s.empty() && s.back() == ' ') {
          s.remove_suffix(1);
        }
        return s;
      };
      bool ok = comma != std::string_view::npos;
      if (ok) {
        bool i1 = false;
        bool i2 = false;
        double a = 0;
        double b = 0;
        bool le = false;
        ok = parse_number(trim(inner.substr(0, comma)), i1, a, le) &&
             parse_number(trim(inner.substr(comma + 1)), i2, b, le);
      }
      card.type = ok ? ValueType::complex : ValueType::invalid;
      if (!ok) {
        issues.push_back({"fits.value-syntax", Severity::error,
                          fmt::format("the value of {} ('{}') is not a valid complex number", label,
                                      tok)});
      }
    } else {
      card.type = ValueType::invalid;
      issues.push_back({"fits.value-syntax", Severity::error,
                        fmt::format("the value of {} ('{}') is not a FITS string, logical, "
                                    "number or complex number",
                                    label, tok)});
    }
  }

  // After the value: blanks, then an optional comment starting with '/'.
  std::size_t k = after;
  while (k < k_card_size && raw[k] == ' ') {
    ++k;
  }
  if (k < k_card_size) {
    if (raw[k] == '/') {
      card.comment = std::string(raw.substr(k + 1));
      while (!card.comment.empty() && card.comment.back() == ' ') {
        card.comment.pop_back();
      }
      if (!card.comment.empty() && card.comment.front() == ' ') {
        card.comment.erase(0, 1);
      }
    } else if (card.type != ValueType::invalid) {
      auto rest = raw.substr(k);
      while (!rest.empty() && rest.back() == ' ') {
        rest.remove_suffix(1);
      }
      issues.push_back({"fits.value-syntax", Severity::error,
                        fmt::format("text after the value of {} does not start with '/': '{}'",
                                    label, rest)});
    }
  }
  return card;
}

}  // namespace hemera::fits
