// SPDX-License-Identifier: Apache-2.0
#include <hemera/nasa_ames/parser.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <limits>
#include <memory>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/nasa_ames/rules.hpp>
#include <hemera/util/fd.hpp>

namespace hemera::nasa_ames {

using validate::Severity;

bool is_known_ffi(int ffi) noexcept
{
  return std::find(std::begin(k_ffis), std::end(k_ffis), ffi) != std::end(k_ffis);
}

bool Date::valid() const noexcept
{
  if (year < 1000 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = k_days[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

std::string Date::iso() const
{
  return fmt::format("{:04d}-{:02d}-{:02d}", year, month, day);
}

double Axis::value(std::int64_t i, double dx) const
{
  if (i < static_cast<std::int64_t>(listed.size())) {
    return listed[static_cast<std::size_t>(i)];
  }
  if (listed.empty()) {
    return 0;
  }
  auto last = static_cast<std::int64_t>(listed.size()) - 1;
  return listed.back() + static_cast<double>(i - last) * dx;
}

const std::string& Header::mark_name() const
{
  static const std::string k_empty;
  return xname.empty() ? k_empty : xname.back();
}

namespace {

constexpr std::size_t k_max_line = 132;
constexpr std::size_t k_max_record = 32766;
// A record of more values than this cannot fit in 32766 characters.
constexpr std::int64_t k_max_values = static_cast<std::int64_t>(k_max_record / 2 + 1);
constexpr std::int64_t k_max_comment_lines = 20000;
constexpr int k_per_rule_limit = 20;
constexpr std::size_t k_buffer = std::size_t{1} << 20;
constexpr std::size_t k_keep_long = 4096;

enum class Term : std::uint8_t { none, lf, crlf, cr };

struct Line {
  std::string_view text;  // without its line end (the first k_keep_long bytes if truncated)
  std::int64_t number = 0;
  std::size_t length = 0;  // full length without the line end
  Term term = Term::none;
  bool truncated = false;
};

// Thrown inside the parser to stop it (fatal defect, findings limit,
// consumer's request); never leaves this file.
struct Stop {};

// Byte source over a file descriptor or an in-memory text, read in large
// chunks into one fixed buffer: lines are views into the buffer.
class Source {
 public:
  Source(int fd, std::size_t capacity) : m_fd(fd), m_cap(capacity), m_buf(new char[capacity]) {}
  Source(std::string_view text, std::size_t capacity)
    : m_fd(-1), m_text(text), m_cap(capacity), m_buf(new char[capacity])
  {
  }

  // Read the next line into `out`; return false at end of file.
  bool next(Line& out)
  {
    for (;;) {
      if (m_skipping) {
        // Discard the rest of an over-long line, up to its line end.
        const char* b = m_buf.get() + m_pos;
        const char* e = m_buf.get() + m_end;
        const char* p = find_end(b, e);
        if (p != nullptr) {
          m_long_len += static_cast<std::size_t>(p - b);
          m_pos = static_cast<std::size_t>(p - m_buf.get());
          Term t = take_end();
          m_skipping = false;
          out.text = m_long;
          out.length = m_long_len;
          out.term = t;
          out.truncated = true;
          out.number = ++m_line;
          return true;
        }
        m_long_len += static_cast<std::size_t>(e - b);
        m_pos = m_end = 0;
        if (!fill()) {
          m_skipping = false;
          out.text = m_long;
          out.length = m_long_len;
          out.term = Term::none;
          out.truncated = true;
          out.number = ++m_line;
          return true;
        }
        continue;
      }
      const char* b = m_buf.get() + m_pos;
      const char* e = m_buf.get() + m_end;
      const char* p = find_end(b, e);
      if (p != nullptr && !(*p == '\r' && p + 1 == e && !m_eof)) {
        out.text = std::string_view(b, static_cast<std::size_t>(p - b));
        out.length = out.text.size();
        out.truncated = false;
        m_pos = static_cast<std::size_t>(p - m_buf.get());
        out.term = take_end();
        out.number = ++m_line;
        return true;
      }
      if (m_eof) {
        if (m_pos < m_end) {
          out.text = std::string_view(b, m_end - m_pos);
          out.length = out.text.size();
          out.truncated = false;
          out.term = Term::none;
          out.number = ++m_line;
          m_pos = m_end;
          return true;
        }
        return false;
      }
      // Move the partial line to the front and read more.
      if (m_pos == 0 && m_end == m_cap) {
        m_long.assign(m_buf.get(), std::min(k_keep_long, m_cap));
        m_long_len = m_end;
        m_pos = m_end = 0;
        m_skipping = true;
        if (!fill()) {
          m_skipping = false;
          out.text = m_long;
          out.length = m_long_len;
          out.term = Term::none;
          out.truncated = true;
          out.number = ++m_line;
          return true;
        }
        continue;
      }
      if (m_pos > 0) {
        std::memmove(m_buf.get(), m_buf.get() + m_pos, m_end - m_pos);
        m_end -= m_pos;
        m_pos = 0;
      }
      fill();
    }
  }

  [[nodiscard]] std::int64_t bytes() const { return m_bytes; }
  [[nodiscard]] bool at_eof() const { return m_eof && m_pos >= m_end && !m_skipping; }
  [[nodiscard]] std::int64_t line() const { return m_line; }
  [[nodiscard]] int read_errno() const { return m_errno; }
  [[nodiscard]] std::int64_t count(Term t) const { return m_terms[static_cast<int>(t)]; }

 private:
  // Return the first line end in [b, e), or nullptr.
  const char* find_end(const char* b, const char* e)
  {
    if (m_mode == Term::none) {
      // Decide the file's line end from its first one.
      for (const char* p = b; p < e; ++p) {
        if (*p == '\n') {
          m_mode = Term::lf;
          break;
        }
        if (*p == '\r') {
          if (p + 1 < e) {
            m_mode = p[1] == '\n' ? Term::lf : Term::cr;
            break;
          }
          if (m_eof) {
            m_mode = Term::cr;
            break;
          }
          return p;  // wait for the next byte
        }
      }
      if (m_mode == Term::none) {
        return nullptr;
      }
    }
    const char* p = static_cast<const char*>(
      std::memchr(b, m_mode == Term::cr ? '\r' : '\n', static_cast<std::size_t>(e - b)));
    if (p != nullptr && m_mode == Term::lf && p > b && p[-1] == '\r') {
      return p - 1;
    }
    return p;
  }

  // Consume the line end at m_pos and return its kind.
  Term take_end()
  {
    Term t = Term::lf;
    char c = m_buf[m_pos];
    if (c == '\r') {
      if (m_pos + 1 < m_end && m_buf[m_pos + 1] == '\n') {
        t = Term::crlf;
        m_pos += 2;
      } else {
        t = Term::cr;
        m_pos += 1;
      }
    } else {
      m_pos += 1;
    }
    ++m_terms[static_cast<int>(t)];
    return t;
  }

  // Append more bytes to the buffer; return false at end of file.
  bool fill()
  {
    if (m_eof || m_end == m_cap) {
      return false;
    }
    std::size_t want = m_cap - m_end;
    std::size_t got = 0;
    if (m_fd >= 0) {
      for (;;) {
        ssize_t n = ::read(m_fd, m_buf.get() + m_end, want);
        if (n < 0 && errno == EINTR) {
          continue;
        }
        if (n < 0) {
          m_errno = errno;
          n = 0;
        }
        got = static_cast<std::size_t>(n);
        break;
      }
    } else {
      got = std::min(want, m_text.size() - m_text_pos);
      std::memcpy(m_buf.get() + m_end, m_text.data() + m_text_pos, got);
      m_text_pos += got;
    }
    if (got == 0) {
      m_eof = true;
      return false;
    }
    m_end += got;
    m_bytes += static_cast<std::int64_t>(got);
    return true;
  }

  int m_fd;
  std::string_view m_text;
  std::size_t m_text_pos = 0;
  std::size_t m_cap;
  std::unique_ptr<char[]> m_buf;
  std::size_t m_pos = 0, m_end = 0;
  bool m_eof = false;
  bool m_skipping = false;
  std::string m_long;
  std::size_t m_long_len = 0;
  std::int64_t m_line = 0;
  std::int64_t m_bytes = 0;
  int m_errno = 0;
  Term m_mode = Term::none;
  std::array<std::int64_t, 4> m_terms{};
};

enum RuleId : std::uint8_t {
  R1, R2, R3, R4, R5, R6, R7, R8,
  H0, H1, H2, H3, H4, H5, H6, H7, H8, H9, H10, H11, H12,
  D1, D2, D3, D4, D5, D6, D7, D8, D9, D10,
  k_rule_count
};

// Where a number sits in a record, for the checks made while it is read.
struct Slot {
  double missing = std::numeric_limits<double>::quiet_NaN();  // D5 limit; NaN: none
  bool primary = false;  // a primary variable (D9)
  char kind = 0;         // 'V' or 'A' for messages; 0: unnamed
  int index = 0;         // 1-based variable number
};

// What a record is, for messages and rules.
struct RecordSpec {
  RuleId count_rule = D1;   // rule for a wrong number of values
  RuleId extra_rule = D8;   // rule for text after the last value
  bool integers = false;    // R7: integers only
  bool header = false;
  const Slot* slots = nullptr;  // one per value, or null
  Slot uniform{};               // used when slots is null
  std::string_view what;        // "NV", "VSCAL record"…
};

// Character classes of the tokenizer.
enum : std::uint8_t { k_other = 0, k_blank = 1, k_digit = 2, k_sign = 3, k_dot = 4, k_exp = 5, k_lexp = 6 };

constexpr std::array<std::uint8_t, 256> make_classes()
{
  std::array<std::uint8_t, 256> t{};
  t[' '] = k_blank;
  t['\t'] = k_blank;
  for (int c = '0'; c <= '9'; ++c) {
    t[static_cast<std::size_t>(c)] = k_digit;
  }
  t['+'] = k_sign;
  t['-'] = k_sign;
  t['.'] = k_dot;
  t['E'] = k_exp;
  t['e'] = k_lexp;
  return t;
}
constexpr auto k_class = make_classes();

std::string_view trim_right(std::string_view s)
{
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_blank(std::string_view s)
{
  return trim_right(s).empty();
}

std::string printable(std::string_view s)
{
  std::string out;
  for (char c : s.substr(0, 40)) {
    auto u = static_cast<unsigned char>(c);
    out += u >= 32 && u < 127 ? std::string(1, c) : fmt::format("\\x{:02X}", u);
  }
  if (s.size() > 40) {
    out += "...";
  }
  return out;
}

std::string fmt_num(double v)
{
  return fmt::format("{}", v);
}

// The parser proper: one instance per file.
class Parser {
 public:
  Parser(Source& src, Consumer& consumer, validate::Collector& collector,
         const validate::Profile& profile)
    : m_src(src), m_consumer(consumer), m_collector(collector), m_profile(profile)
  {
  }

  Stats run()
  {
    try {
      read_header();
      if (m_data_ok && m_consumer.on_header(m_h)) {
        read_data();
      } else if (!m_data_ok) {
        skip_data();
      }
    } catch (const Stop&) {
    }
    finish();
    return m_stats;
  }

  Header& header() { return m_h; }

 private:
  // ----------------------------------------------------------------- findings

  // Return true when a finding of `rule` is still to be listed; otherwise
  // count it for the closing summary finding of the rule.
  bool listed(RuleId rule, Severity sev)
  {
    if (m_rule_count[rule] < k_per_rule_limit) [[likely]] {
      return true;
    }
    ++m_rule_count[rule];
    if (sev == Severity::error) {
      m_rule_more_error[rule] = true;
    }
    return false;
  }

  void report(RuleId rule, Severity sev, std::int64_t line, std::int64_t col, std::string message)
  {
    if (!listed(rule, sev)) {
      return;
    }
    ++m_rule_count[rule];
    validate::Location loc;
    if (line > 0) {
      loc.line = line;
    }
    if (col > 0) {
      loc.column = col;
    }
    if (m_collector.full()) {
      ++m_stats.suppressed;
      return;
    }
    m_collector.add(std::string(k_rules[rule].id), sev, loc, std::move(message));
  }

  void error(RuleId rule, std::int64_t line, std::int64_t col, std::string message)
  {
    report(rule, Severity::error, line, col, std::move(message));
  }

  void warn(RuleId rule, std::int64_t line, std::int64_t col, std::string message)
  {
    report(rule, Severity::warning, line, col, std::move(message));
  }

  [[noreturn]] void fatal(RuleId rule, std::int64_t line, std::int64_t col, std::string message)
  {
    error(rule, line, col, std::move(message) + "; cannot read further");
    throw Stop{};
  }

  // -------------------------------------------------------------------- lines

  // Fetch the next physical line and check its bytes and length; false at EOF.
  // With `defer_bytes` the byte check is left to the caller (numeric data
  // lines: the tokenizer sees every byte and asks for it only on an anomaly).
  bool next_line(Line& l, bool defer_bytes = false)
  {
    if (!m_src.next(l)) {
      return false;
    }
    m_last_term = l.term;
    if (!defer_bytes) {
      check_bytes(l);
    }
    check_length(l);
    return true;
  }

  void check_bytes(const Line& l)
  {
    const auto* p = reinterpret_cast<const unsigned char*>(l.text.data());
    std::size_t n = l.text.size();
    unsigned bad = 0;
    for (std::size_t i = 0; i < n; ++i) {
      bad |= static_cast<unsigned>(static_cast<unsigned char>(p[i] - 32) > 94);
    }
    if (bad != 0) [[unlikely]] {
      for (std::size_t i = 0; i < n; ++i) {
        if (static_cast<unsigned char>(p[i] - 32) > 94) {
          bad_byte(l, i);
          break;
        }
      }
    }
  }

  void check_length(const Line& l)
  {
    if (l.length > k_max_line && listed(R2, Severity::error)) [[unlikely]] {
      error(R2, l.number, static_cast<std::int64_t>(k_max_line) + 1,
            fmt::format("line has {} characters, more than {}", l.length, k_max_line));
    }
  }

  void bad_byte(const Line& l, std::size_t at)
  {
    const auto* p = reinterpret_cast<const unsigned char*>(l.text.data());
    // Report the first byte of each kind on the line: TAB (legacy: a blank) and others.
    bool tab_done = false;
    bool other_done = false;
    for (std::size_t i = at; i < l.text.size() && !(tab_done && other_done); ++i) {
      unsigned c = p[i];
      if (c - 32U <= 94U) {
        continue;
      }
      auto col = static_cast<std::int64_t>(i) + 1;
      if (c == '\t') {
        if (!tab_done) {
          tab_done = true;
          if (listed(R1, Severity::error)) {
            error(R1, l.number, col, "TAB character (values are separated by spaces only)");
          }
        }
      } else if (!other_done) {
        other_done = true;
        if (!listed(R1, Severity::error)) {
          continue;
        }
        if (l.number == 1 && i == 0 && l.text.substr(0, 3) == "\xEF\xBB\xBF") {
          error(R1, l.number, col, "byte-order mark (bytes EF BB BF) before NLHEAD");
        } else if (c == 13) {
          error(R1, l.number, col, "carriage return (0x0D) inside a line");
        } else {
          error(R1, l.number, col,
                fmt::format("byte 0x{:02X} is not printable ASCII (32-126)", c));
        }
      }
    }
  }

  // Fetch the next line of a header item; a missing line is fatal.
  Line header_line(std::string_view what)
  {
    Line l;
    if (!next_line(l)) {
      fatal(H2, m_src.line() + 1, 0,
            fmt::format("the file ends inside the header, before {}", what));
    }
    return l;
  }

  std::string header_string(std::string_view what)
  {
    Line l = header_line(what);
    return std::string(l.text);
  }

  // ------------------------------------------------------------------ numbers

  // Tokenize numbers from `l` starting at column index `pos` into m_vals until
  // `n` values are held; return the index after the last value read.
  std::size_t tokenize(const Line& l, std::size_t pos, std::size_t n, const RecordSpec& spec)
  {
    static constexpr double k_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char* s = l.text.data();
    const char* const end = s + l.text.size();
    const char* p = s + pos;
    auto cls = [](char c) { return k_class[static_cast<unsigned char>(c)]; };
    while (m_vals.size() < n) {
      while (p < end && (*p == ' ' || *p == '\t')) {
        m_dirty |= *p == '\t';
        ++p;
      }
      if (p >= end) {
        break;
      }
      const char* start = p;
      // One token: [+-]? digits [. digits] [(E|e) [+-]? digits], read into an
      // integer mantissa and a decimal exponent as it is scanned.
      bool neg = false;
      if (*p == '-') {
        neg = true;
        ++p;
      } else if (*p == '+') {
        ++p;
      }
      std::uint64_t mant = 0;
      int nd = 0;       // digits from the first non-zero one
      int last_nz = 0;  // nd at the last non-zero digit: the significant digits
      int adj = 0;      // decimal exponent adjustment
      int mdigits = 0;  // mantissa digits, leading zeros included
      bool exact = true;
      while (p < end && static_cast<unsigned>(*p - '0') <= 9U) {
        unsigned d = static_cast<unsigned>(*p - '0');
        if (mant != 0 || d != 0) {
          if (nd < 19) {
            mant = mant * 10 + d;
          } else {
            ++adj;
            exact = exact && d == 0;
          }
          ++nd;
          last_nz = d != 0 ? nd : last_nz;
        }
        ++mdigits;
        ++p;
      }
      bool dot = false;
      if (p < end && *p == '.') {
        dot = true;
        ++p;
        while (p < end && static_cast<unsigned>(*p - '0') <= 9U) {
          unsigned d = static_cast<unsigned>(*p - '0');
          if (mant != 0 || d != 0) {
            if (nd < 19) {
              mant = mant * 10 + d;
              --adj;
            } else {
              exact = exact && d == 0;
            }
            ++nd;
            last_nz = d != 0 ? nd : last_nz;
          } else {
            --adj;
          }
          ++mdigits;
          ++p;
        }
      }
      bool ok = mdigits > 0;
      bool expo = false;
      bool lower_e = false;
      if (ok && p < end && (*p == 'E' || *p == 'e')) {
        expo = true;
        lower_e = *p == 'e';
        ++p;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) {
          eneg = *p == '-';
          ++p;
        }
        int e = 0;
        int edigits = 0;
        while (p < end && static_cast<unsigned>(*p - '0') <= 9U) {
          e = std::min(e * 10 + (*p - '0'), 100000);
          ++edigits;
          ++p;
        }
        ok = edigits > 0;
        adj += eneg ? -e : e;
      }
      if (p < end && cls(*p) != k_blank) {
        ok = false;
      }
      while (p < end && cls(*p) != k_blank) {
        ++p;
      }
      std::size_t idx = m_vals.size();
      const Slot& slot = spec.slots != nullptr ? spec.slots[idx] : spec.uniform;
      std::string_view tok(start, static_cast<std::size_t>(p - start));
      auto col = static_cast<std::int64_t>(start - s) + 1;
      double v = std::numeric_limits<double>::quiet_NaN();
      if (ok) [[likely]] {
        if (mant == 0) {
          v = 0;
        } else if (exact && mant <= (std::uint64_t{1} << 53) && adj >= -22 && adj <= 22) {
          // Exact: both operands are exact doubles (Clinger's fast path).
          auto m = static_cast<double>(mant);
          v = adj < 0 ? m / k_pow10[-adj] : m * k_pow10[adj];
        } else {
          const char* b = tok.data() + (tok[0] == '+' ? 1 : 0);
          auto r = std::from_chars(b, tok.data() + tok.size(), v);
          if (r.ec == std::errc::result_out_of_range) {
            v = std::strtod(std::string(tok).c_str(), nullptr);
          } else if (r.ec != std::errc() || r.ptr != tok.data() + tok.size()) {
            ok = false;
          }
          neg = false;
        }
        v = neg ? -v : v;
      }
      if (!ok) [[unlikely]] {
        m_dirty = true;
        if (listed(R6, Severity::error)) {
          error(R6, l.number, col, fmt::format("\"{}\" is not a number", printable(tok)));
        }
        v = std::numeric_limits<double>::quiet_NaN();
      } else {
        if (lower_e && listed(R6, Severity::warning)) [[unlikely]] {
          warn(R6, l.number, col, fmt::format("{}: lower-case exponent e (GH lists E)", tok));
        }
        if (spec.integers && (dot || expo)) [[unlikely]] {
          error(R7, l.number, col,
                fmt::format("{} must be an integer written without a decimal point",
                            spec.what));
        }
        if (last_nz > 7) [[unlikely]] {
          if (listed(R8, Severity::warning)) {
            warn(R8, l.number, col,
                 fmt::format("{} has {} significant digits, more than 7", tok, last_nz));
          }
        } else if (int k = std::min(nd, 19); mant != 0 && (k - 1 + adj < -38 || k + adj > 38) &&
                   (std::fabs(v) < 1.0e-38 || std::fabs(v) > 1.0e38) &&
                   listed(R8, Severity::warning)) [[unlikely]] {
          warn(R8, l.number, col, fmt::format("{} is outside 1.0E-38..1.0E+38", tok));
        }
        if (!std::isnan(slot.missing)) {
          if (v == slot.missing) {
            ++m_missing_in_record;
            m_stats.missing += spec.header ? 0 : 1;
            if (slot.primary) {
              ++m_primary_missing;
            }
          } else if (v > slot.missing && listed(D5, Severity::error)) [[unlikely]] {
            error(D5, l.number, col,
                  fmt::format("{} is above the missing value {} of {}", tok,
                              fmt_num(slot.missing), slot_name(slot, idx)));
          }
        }
        if (slot.primary) {
          ++m_primary_values;
        }
      }
      m_vals.push_back(v);
      if (ok && !spec.header) {
        m_stats.value_sum += v;
      }
    }
    return static_cast<std::size_t>(p - s);
  }

  // Read a record of `n` numbers, starting on a fresh line. Returns false at a
  // clean end of file (no line at all); a partial record is reported and ends
  // the parse. In the data, `first` may hold an already fetched first line.
  bool read_record(std::size_t n, const RecordSpec& spec, const Line* first = nullptr)
  {
    m_vals.clear();
    m_missing_in_record = 0;
    Line l;
    if (first != nullptr) {
      l = *first;
    } else if (!next_line(l)) {
      return false;
    }
    m_record_line = l.number;
    std::size_t record_len = l.length;
    const bool deferred = !spec.header;
    m_dirty = false;
    std::size_t pos = tokenize(l, 0, n, spec);
    if (deferred && (m_dirty || pos < l.text.size())) [[unlikely]] {
      check_bytes(l);
    }
    std::int64_t first_line_values = static_cast<std::int64_t>(m_vals.size());
    bool spanned = false;
    while (m_vals.size() < n) {
      Line c;
      if (!next_line(c, deferred)) {
        if (spec.header) {
          fatal(H2, m_src.line() + 1, 0,
                fmt::format("the file ends inside the header, in the {} ({} of {} values)",
                            spec.what, m_vals.size(), n));
        }
        error(D1, m_src.line(), 0,
              fmt::format("the file ends inside a record ({}): {} of {} values", spec.what,
                          m_vals.size(), n));
        throw Stop{};
      }
      if (is_blank(c.text)) {
        if (deferred) {
          check_bytes(c);
        }
        error(spec.header ? spec.count_rule : D1, c.number, 1,
              fmt::format("blank line inside a record ({}: {} of {} values read)", spec.what,
                          m_vals.size(), n));
        continue;
      }
      spanned = true;
      record_len += c.length + 1;
      l = c;
      m_dirty = false;
      pos = tokenize(l, 0, n, spec);
      if (deferred && (m_dirty || pos < l.text.size())) [[unlikely]] {
        check_bytes(l);
      }
    }
    if (record_len > k_max_record) [[unlikely]] {
      error(R3, m_record_line, 0,
            fmt::format("record has {} characters, more than {}", record_len, k_max_record));
    }
    // The rest of the record's last line.
    std::string_view rest = l.text.substr(std::min(pos, l.text.size()));
    std::size_t skip = 0;
    while (skip < rest.size() && k_class[static_cast<unsigned char>(rest[skip])] == k_blank) {
      ++skip;
    }
    if (skip < rest.size()) [[unlikely]] {
      extra_text(l, pos + skip, rest.substr(skip), n, spec, spanned, first_line_values);
    }
    return true;
  }

  void extra_text(const Line& l, std::size_t at, std::string_view rest, std::size_t n,
                  const RecordSpec& spec, bool spanned, std::int64_t first_line_values)
  {
    auto col = static_cast<std::int64_t>(at) + 1;
    auto c = k_class[static_cast<unsigned char>(rest[0])];
    bool numeric = c == k_digit || c == k_sign || c == k_dot;
    if (numeric) {
      std::size_t extra = 0;
      std::string_view r = rest;
      while (!r.empty()) {
        std::size_t e = 0;
        while (e < r.size() && k_class[static_cast<unsigned char>(r[e])] != k_blank) {
          ++e;
        }
        ++extra;
        while (e < r.size() && k_class[static_cast<unsigned char>(r[e])] == k_blank) {
          ++e;
        }
        r.remove_prefix(e);
      }
      if (spanned) {
        error(R5, l.number, col,
              fmt::format("line {} ends one record and starts another (a record starts a line)",
                          l.number));
        error(spec.count_rule, m_record_line, 0,
              fmt::format("{} has {} values on line {}, expected {} (line {} then holds {} more: "
                          "a line never ends one record and starts the next)",
                          record_name(), first_line_values, m_record_line, n, l.number, extra));
      } else {
        error(spec.count_rule, l.number, col,
              fmt::format("{} has {} values, expected {} ({})", record_name(), n + extra, n,
                          spec.what));
      }
      return;
    }
    if (spec.header) {
      warn(spec.extra_rule, l.number, col,
           fmt::format("annotation \"{}\" after the last value of the {}", printable(rest),
                       spec.what));
    } else {
      warn(D8, l.number, col,
           fmt::format("text \"{}\" after the last value of a data record", printable(rest)));
    }
  }

  // Header helpers: read `n` integers / reals as one record.
  std::vector<std::int64_t> header_ints(std::size_t n, std::string_view what,
                                        RuleId count_rule = H3)
  {
    RecordSpec spec;
    spec.count_rule = count_rule;
    spec.extra_rule = R6;
    spec.integers = true;
    spec.header = true;
    spec.what = what;
    if (!read_record(n, spec)) {
      fatal(H2, m_src.line() + 1, 0, fmt::format("the file ends inside the header, before {}", what));
    }
    std::vector<std::int64_t> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      double v = m_vals[i];
      if (std::isnan(v) || std::fabs(v) > 9.0e15) {
        fatal(R7, m_record_line, 0, fmt::format("{} is not an integer", what));
      }
      if (v != std::floor(v)) {
        error(R7, m_record_line, 0, fmt::format("{} is not an integer", what));
      }
      out.push_back(static_cast<std::int64_t>(std::llround(v)));
    }
    return out;
  }

  std::int64_t header_int(std::string_view what) { return header_ints(1, what)[0]; }

  std::vector<double> header_reals(std::size_t n, std::string_view what,
                                   const Slot* slots = nullptr)
  {
    RecordSpec spec;
    spec.count_rule = H3;
    spec.extra_rule = R6;
    spec.header = true;
    spec.what = what;
    spec.slots = slots;
    if (n == 0) {
      return {};
    }
    if (!read_record(n, spec)) {
      fatal(H2, m_src.line() + 1, 0, fmt::format("the file ends inside the header, before {}", what));
    }
    return {m_vals.begin(), m_vals.begin() + static_cast<std::ptrdiff_t>(n)};
  }

  // Check a count read from the header: within [lo, hi] or fatal.
  std::int64_t count(std::int64_t v, std::int64_t lo, std::int64_t hi, RuleId rule,
                     std::string_view what)
  {
    if (v < lo || v > hi) {
      fatal(rule, m_record_line, 0,
            fmt::format("{} is {}, outside {}..{}", what, v, lo, hi));
    }
    return v;
  }

  void name_line(std::string& out, std::string_view what)
  {
    Line l = header_line(what);
    out = std::string(l.text);
    if (is_blank(out)) {
      warn(H12, l.number, 1, fmt::format("{} is empty", what));
    }
  }

  // ------------------------------------------------------------------- header

  void read_line1()
  {
    Line l;
    if (!next_line(l)) {
      fatal(H1, 1, 0, "empty file: line 1 must hold NLHEAD FFI");
    }
    std::string_view text = l.text;
    std::size_t skip_bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    auto two_ints = [](std::string_view t, std::int64_t& a, std::int64_t& b) {
      auto ws = [&](std::size_t i) {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) {
          ++i;
        }
        return i;
      };
      std::size_t i = ws(0);
      auto r1 = std::from_chars(t.data() + i, t.data() + t.size(), a);
      if (r1.ec != std::errc() || r1.ptr == t.data() + i) {
        return false;
      }
      i = static_cast<std::size_t>(r1.ptr - t.data());
      if (i >= t.size() || (t[i] != ' ' && t[i] != '\t')) {
        return false;
      }
      i = ws(i);
      auto r2 = std::from_chars(t.data() + i, t.data() + t.size(), b);
      return r2.ec == std::errc() && r2.ptr != t.data() + i &&
             (r2.ptr == t.data() + t.size() || *r2.ptr == ' ' || *r2.ptr == '\t');
    };
    std::int64_t a = 0;
    std::int64_t b = 0;
    if (!two_ints(text.substr(skip_bom), a, b)) {
      // An NDACC preamble line? Then line 2 is NLHEAD FFI.
      Line l2;
      if (!next_line(l2) || !two_ints(l2.text, a, b) || !is_known_ffi(static_cast<int>(b))) {
        fatal(H1, 1, 1,
              fmt::format("line 1 must hold NLHEAD FFI, found \"{}\"", printable(text)));
      }
      error(H0, 1, 1, "line before NLHEAD FFI (an NDACC preamble); the header starts on line 2");
      m_h.preamble_lines = 1;
      l = l2;
    }
    RecordSpec spec;
    spec.count_rule = H1;
    spec.extra_rule = H1;
    spec.integers = true;
    spec.header = true;
    spec.what = "NLHEAD FFI";
    std::string_view body = l.text;
    Line shown = l;
    if (m_h.preamble_lines == 0 && skip_bom != 0) {
      shown.text = body.substr(skip_bom);
    }
    m_vals.clear();
    m_record_line = l.number;
    std::size_t pos = tokenize(shown, 0, 2, spec);
    std::string_view rest = shown.text.substr(std::min(pos, shown.text.size()));
    std::size_t s = 0;
    while (s < rest.size() && (rest[s] == ' ' || rest[s] == '\t')) {
      ++s;
    }
    if (s < rest.size()) {
      extra_text(shown, pos + s, rest.substr(s), 2, spec, false, 2);
    }
    m_h.nlhead = static_cast<int>(std::clamp<std::int64_t>(a, -1, 1 << 30));
    m_h.ffi = static_cast<int>(std::clamp<std::int64_t>(b, -1, 1 << 30));
    if (!is_known_ffi(m_h.ffi)) {
      fatal(H1, l.number, 0,
            fmt::format("FFI {} is not one of 1001 1010 1020 2010 2110 2160 2310 3010 4010",
                        b));
    }
  }

  void read_v_block()
  {
    auto nv = count(header_int("NV"), 1, k_max_values, H3, "NV");
    auto scal = header_reals(static_cast<std::size_t>(nv), "VSCAL record (NV values)");
    auto miss = header_reals(static_cast<std::size_t>(nv), "VMISS record (NV values)");
    m_h.vars.resize(static_cast<std::size_t>(nv));
    for (std::size_t n = 0; n < m_h.vars.size(); ++n) {
      m_h.vars[n].scale = scal[n];
      m_h.vars[n].missing = miss[n];
      name_line(m_h.vars[n].name, fmt::format("VNAME({})", n + 1));
    }
  }

  void read_a_block(std::int64_t min_nauxv)
  {
    auto nauxv = count(header_int("NAUXV"), 0, k_max_values, H3, "NAUXV");
    if (nauxv < min_nauxv) {
      error(H10, m_record_line, 0,
            fmt::format("NAUXV is {}, FFI {} needs at least {}", nauxv, m_h.ffi, min_nauxv));
      m_data_ok = false;
    }
    if (nauxv == 0) {
      return;
    }
    auto scal = header_reals(static_cast<std::size_t>(nauxv), "ASCAL record (NAUXV values)");
    auto miss = header_reals(static_cast<std::size_t>(nauxv), "AMISS record (NAUXV values)");
    m_h.aux.resize(static_cast<std::size_t>(nauxv));
    for (std::size_t a = 0; a < m_h.aux.size(); ++a) {
      m_h.aux[a].scale = scal[a];
      m_h.aux[a].missing = miss[a];
      name_line(m_h.aux[a].name, fmt::format("ANAME({})", a + 1));
    }
  }

  void read_2160_a_block()
  {
    auto nauxv = count(header_int("NAUXV"), 0, k_max_values, H3, "NAUXV");
    auto nauxc = count(header_int("NAUXC"), 0, k_max_values, H3, "NAUXC");
    if (nauxv < 1 || nauxc > nauxv - 1) {
      error(H10, m_record_line, 0,
            fmt::format("FFI 2160 needs NAUXV >= 1 and 0 <= NAUXC <= NAUXV - 1 (NAUXV {}, "
                        "NAUXC {})",
                        nauxv, nauxc));
      m_data_ok = false;
      if (nauxc > nauxv) {
        fatal(H10, m_record_line, 0, "NAUXC is larger than NAUXV");
      }
    }
    auto nreal = static_cast<std::size_t>(nauxv - nauxc);
    m_h.nauxc = static_cast<int>(nauxc);
    m_h.aux.resize(static_cast<std::size_t>(nauxv));
    auto scal = header_reals(nreal, "ASCAL record (NAUXV - NAUXC values)");
    auto miss = header_reals(nreal, "AMISS record (NAUXV - NAUXC values)");
    for (std::size_t a = 0; a < nreal; ++a) {
      m_h.aux[a].scale = scal[a];
      m_h.aux[a].missing = miss[a];
    }
    if (nauxc > 0) {
      auto lena = header_ints(static_cast<std::size_t>(nauxc), "LENA record (NAUXC values)");
      for (std::size_t c = 0; c < lena.size(); ++c) {
        auto& v = m_h.aux[nreal + c];
        v.is_text = true;
        v.scale = 1;
        v.missing = 0;
        if (lena[c] < 1 || lena[c] > 132) {
          error(H11, m_record_line, 0,
                fmt::format("LENA({}) is {}, outside 1..132", nreal + c + 1, lena[c]));
        }
        v.length = static_cast<int>(std::clamp<std::int64_t>(lena[c], 0, 1 << 20));
      }
      for (std::size_t c = 0; c < lena.size(); ++c) {
        auto& v = m_h.aux[nreal + c];
        Line l = header_line("a character AMISS line");
        v.missing_text = std::string(trim_right(l.text));
        if (v.length > 0 && l.length > static_cast<std::size_t>(v.length)) {
          error(H11, l.number, v.length + 1,
                fmt::format("character AMISS({}) has {} characters, LENA is {}", nreal + c + 1,
                            l.length, v.length));
        }
      }
    }
    for (std::size_t a = 0; a < m_h.aux.size(); ++a) {
      name_line(m_h.aux[a].name, fmt::format("ANAME({})", a + 1));
    }
  }

  void read_k_block()
  {
    auto nscoml = count(header_int("NSCOML"), 0, k_max_comment_lines, H3, "NSCOML");
    for (std::int64_t i = 0; i < nscoml; ++i) {
      m_h.scom.push_back(header_string("a special comment line (NSCOML)"));
    }
    auto nncoml = count(header_int("NNCOML"), 0, k_max_comment_lines, H3, "NNCOML");
    for (std::int64_t i = 0; i < nncoml; ++i) {
      m_h.ncom.push_back(header_string("a normal comment line (NNCOML)"));
    }
  }

  void read_axes(std::size_t dims)
  {
    auto nx = header_ints(dims, dims == 1 ? "NX(1)" : "the NX record");
    std::int64_t nx_line = m_record_line;
    auto nxdef = header_ints(dims, dims == 1 ? "NXDEF(1)" : "the NXDEF record");
    std::int64_t nxdef_line = m_record_line;
    m_h.axes.resize(dims);
    for (std::size_t s = 0; s < dims; ++s) {
      auto& ax = m_h.axes[s];
      ax.nx = nx[s];
      ax.nxdef = nxdef[s];
      if (ax.nx < 1) {
        fatal(H8, nx_line, 0, fmt::format("NX({}) is {}, must be at least 1", s + 1, ax.nx));
      }
      if (ax.nxdef < 1 || ax.nxdef > ax.nx) {
        fatal(H8, nxdef_line, 0,
              fmt::format("NXDEF({}) is {}, must be within 1..NX({}) = {}", s + 1, ax.nxdef,
                          s + 1, ax.nx));
      }
      if (ax.nxdef > k_max_values) {
        fatal(R3, nxdef_line, 0,
              fmt::format("NXDEF({}) is {}: the record of X({}) cannot fit in {} characters",
                          s + 1, ax.nxdef, s + 1, k_max_record));
      }
      if (ax.nxdef != 1 && ax.nxdef != ax.nx) {
        warn(H8, nxdef_line, 0,
             fmt::format("NXDEF({}) is {}: GH defines only 1 and NX({}) = {}; the values "
                         "after the listed ones continue at DX({})",
                         s + 1, ax.nxdef, s + 1, ax.nx, s + 1));
      }
      if (ax.nxdef < ax.nx && m_h.dx[s] == 0) {
        error(H8, nxdef_line, 0,
              fmt::format("NXDEF({}) < NX({}) needs DX({}) != 0 to generate the missing values",
                          s + 1, s + 1, s + 1));
      }
    }
    if (m_h.axes[0].nx > k_max_values) {
      fatal(R3, nx_line, 0,
            fmt::format("NX(1) is {}: a data record of NX(1) values cannot fit in {} characters",
                        m_h.axes[0].nx, k_max_record));
    }
    for (std::size_t s = 0; s < dims; ++s) {
      auto& ax = m_h.axes[s];
      ax.listed = header_reals(static_cast<std::size_t>(ax.nxdef),
                               fmt::format("X(i,{}) record (NXDEF({}) values)", s + 1, s + 1));
      check_axis(ax, s, m_record_line);
    }
  }

  void check_axis(const Axis& ax, std::size_t s, std::int64_t line)
  {
    double dx = m_h.dx[s];
    int dir = 0;
    for (std::size_t i = 1; i < ax.listed.size(); ++i) {
      double d = ax.listed[i] - ax.listed[i - 1];
      int sd = d > 0 ? 1 : d < 0 ? -1 : 0;
      if (sd == 0) {
        if (m_profile.strict_monotonic) {
          error(H9, line, 0, fmt::format("X({},{}) repeats X({},{}) = {}", i + 1, s + 1, i, s + 1,
                                         fmt_num(ax.listed[i])));
        }
      } else if (dir != 0 && sd != dir) {
        error(H9, line, 0,
              fmt::format("X(i,{}) is not monotonic at i = {}", s + 1, i + 1));
        return;
      } else {
        dir = sd;
      }
      if (dx != 0 && std::fabs(d - dx) > 1e-3 * std::fabs(dx)) {
        error(H9, line, 0,
              fmt::format("X({},{}) - X({},{}) is {}, DX({}) is {}", i + 1, s + 1, i, s + 1,
                          fmt_num(d), s + 1, fmt_num(dx)));
        return;
      }
    }
  }

  void read_header()
  {
    read_line1();
    name_line(m_h.oname, "ONAME");
    name_line(m_h.org, "ORG");
    name_line(m_h.sname, "SNAME");
    name_line(m_h.mname, "MNAME");
    auto vol = header_ints(2, "IVOL NVOL");
    m_h.ivol = static_cast<int>(std::clamp<std::int64_t>(vol[0], -1, 1 << 30));
    m_h.nvol = static_cast<int>(std::clamp<std::int64_t>(vol[1], -1, 1 << 30));
    if (vol[0] < 1 || vol[0] > vol[1]) {
      error(H4, m_record_line, 0,
            fmt::format("IVOL {} NVOL {}: need 1 <= IVOL <= NVOL", vol[0], vol[1]));
    }
    read_dates();
    int ffi = m_h.ffi;
    int niv = ffi / 1000;
    m_h.dx.assign(static_cast<std::size_t>(niv), 0.0);
    switch (ffi) {
    case 1001:
    case 1010:
    case 1020: {
      m_h.dx[0] = header_reals(1, "DX(1)")[0];
      if (ffi == 1020) {
        std::int64_t line = m_record_line;
        m_h.nvpm = static_cast<int>(count(header_int("NVPM"), -(1LL << 40), k_max_values, H7, "NVPM"));
        if (m_h.dx[0] == 0) {
          error(H7, line, 0, "FFI 1020 needs DX(1) != 0");
        }
        if (m_h.nvpm < 1) {
          fatal(H7, m_record_line, 0, fmt::format("NVPM is {}, must be at least 1", m_h.nvpm));
        }
      }
      m_h.xname.resize(1);
      name_line(m_h.xname[0], "XNAME(1)");
      read_v_block();
      if (ffi != 1001) {
        read_a_block(0);
      }
      break;
    }
    case 2010:
    case 3010:
    case 4010: {
      m_h.dx = header_reals(static_cast<std::size_t>(niv), "the DX record (NIV values)");
      read_axes(static_cast<std::size_t>(niv - 1));
      m_h.xname.resize(static_cast<std::size_t>(niv));
      for (int s = 0; s < niv; ++s) {
        name_line(m_h.xname[static_cast<std::size_t>(s)], fmt::format("XNAME({})", s + 1));
      }
      read_v_block();
      read_a_block(0);
      break;
    }
    case 2110:
    case 2310: {
      if (ffi == 2110) {
        m_h.dx = header_reals(2, "the DX record (DX(1) DX(2))");
      } else {
        m_h.dx[1] = header_reals(1, "DX(2) (FFI 2310 writes only DX(2))")[0];
      }
      m_h.xname.resize(2);
      name_line(m_h.xname[0], "XNAME(1)");
      name_line(m_h.xname[1], "XNAME(2)");
      read_v_block();
      read_a_block(ffi == 2110 ? 1 : 3);
      break;
    }
    case 2160: {
      m_h.dx[0] = header_reals(1, "DX(1)")[0];
      auto lenx = header_int("LENX(2)");
      if (lenx < 1 || lenx > 132) {
        error(H11, m_record_line, 0, fmt::format("LENX(2) is {}, outside 1..132", lenx));
      }
      m_h.lenx = static_cast<int>(std::clamp<std::int64_t>(lenx, 0, 1 << 20));
      m_h.xname.resize(2);
      name_line(m_h.xname[0], "XNAME(1)");
      name_line(m_h.xname[1], "XNAME(2)");
      read_v_block();
      read_2160_a_block();
      break;
    }
    default: break;
    }
    read_k_block();
    m_h.header_lines = static_cast<int>(m_src.line()) - m_h.preamble_lines;
    m_stats.header_complete = true;
    if (m_h.nlhead != m_h.header_lines) {
      error(H2, 1 + m_h.preamble_lines, 1,
            fmt::format("NLHEAD is {}, but by its own counts the header has {} lines{}",
                        m_h.nlhead, m_h.header_lines,
                        m_h.nlhead > m_h.header_lines
                          ? " (a reader trusting NLHEAD would skip data records)"
                          : " (a reader trusting NLHEAD would read comments as data)"));
    }
  }

  void read_dates()
  {
    RecordSpec spec;
    spec.count_rule = H5;
    spec.extra_rule = R6;
    spec.integers = true;
    spec.header = true;
    spec.what = "DATE RDATE";
    if (!read_record(6, spec)) {
      fatal(H2, m_src.line() + 1, 0, "the file ends inside the header, before DATE RDATE");
    }
    std::array<int, 6> v{};
    for (std::size_t i = 0; i < 6; ++i) {
      double d = m_vals[i];
      v[i] = std::isnan(d) || std::fabs(d) > 1e9 ? 0 : static_cast<int>(d);
    }
    m_h.date = {v[0], v[1], v[2]};
    m_h.rdate = {v[3], v[4], v[5]};
    std::int64_t line = m_record_line;
    for (int k = 0; k < 2; ++k) {
      const Date& d = k == 0 ? m_h.date : m_h.rdate;
      if (!d.valid()) {
        error(H5, line, 0,
              fmt::format("{} {} {} {} is not a valid date (YYYY MM DD, 4-digit year)",
                          k == 0 ? "DATE" : "RDATE", v[3 * k], v[3 * k + 1], v[3 * k + 2]));
      }
    }
    if (m_profile.rdate_after_date && m_h.date.valid() && m_h.rdate.valid() &&
        m_h.rdate < m_h.date) {
      error(H6, line, 0,
            fmt::format("RDATE {} is before DATE {}", m_h.rdate.iso(), m_h.date.iso()));
    }
  }

  // --------------------------------------------------------------------- data

  // Return the name of the current record for messages.
  std::string record_name() const
  {
    if (!m_in_data) {
      return fmt::format("the record at line {}", m_record_line);
    }
    return fmt::format("record of mark {}", m_stats.marks + 1);
  }

  static std::string slot_name(const Slot& slot, std::size_t idx)
  {
    return slot.kind != 0 ? fmt::format("{}({})", slot.kind, slot.index)
                          : fmt::format("value {}", idx + 1);
  }

  // Fetch the first line of the next record: skip blank lines (D1); false at EOF.
  // With `defer_bytes` the byte check of a non-blank line is the caller's.
  bool record_start(Line& l, bool defer_bytes = false)
  {
    if (!next_line(l, defer_bytes)) {
      return false;
    }
    if (!is_blank(l.text)) [[likely]] {
      return true;
    }
    if (defer_bytes) {
      check_bytes(l);
    }
    std::int64_t first_blank = l.number;
    while (next_line(l, defer_bytes)) {
      if (!is_blank(l.text)) {
        error(D1, first_blank, 1, "blank line inside the data");
        return true;
      }
      if (defer_bytes) {
        check_bytes(l);
      }
    }
    warn(D1, first_blank, 1, "blank lines at the end of the file");
    return false;
  }

  // Read one numeric data record of `n` values; the file may end only if `may_end`.
  bool data_record(std::size_t n, const RecordSpec& spec, bool may_end)
  {
    Line l;
    if (!record_start(l, true)) {
      if (!may_end) {
        error(D1, m_src.line(), 0,
              fmt::format("the file ends inside mark {}: {} expected", m_stats.marks + 1,
                          spec.what));
        throw Stop{};
      }
      return false;
    }
    read_record(n, spec, &l);
    ++m_stats.records;
    m_stats.values += static_cast<std::int64_t>(n);
    return true;
  }

  void check_mark(double x, std::int64_t line)
  {
    if (m_have_prev) {
      double d = x - m_prev_mark;
      int sd = d > 0 ? 1 : d < 0 ? -1 : 0;
      if (sd == 0) {
        if (m_profile.strict_monotonic) {
          if (listed(D2, Severity::error)) {
            error(D2, line, 1,
                  fmt::format("mark {} repeats the previous mark {}", fmt_num(x),
                              fmt_num(m_prev_mark)));
          }
        }
      } else if (m_dir != 0 && sd != m_dir) {
        if (listed(D2, Severity::error)) {
          error(D2, line, 1,
                fmt::format("mark {} after {}: marks must be monotonic", fmt_num(x),
                            fmt_num(m_prev_mark)));
        }
      } else {
        m_dir = sd;
      }
      if (m_mark_step != 0 && sd != 0 &&
          std::fabs(d - m_mark_step) > 1e-3 * std::fabs(m_mark_step)) {
        if (listed(D4, Severity::error)) {
          error(D4, line, 1,
                fmt::format("mark {} is {} after the previous one, expected {}", fmt_num(x),
                            fmt_num(d), fmt_num(m_mark_step)));
        }
      }
    }
    if (!m_have_prev) {
      m_stats.first_mark = x;
    }
    m_stats.last_mark = x;
    m_prev_mark = x;
    m_have_prev = true;
  }

  void check_text_mark(std::string_view x, std::int64_t line)
  {
    if (m_have_prev) {
      int c = x.compare(m_prev_text);
      int sd = c > 0 ? 1 : c < 0 ? -1 : 0;
      if (sd == 0) {
        if (m_profile.strict_monotonic) {
          if (listed(D2, Severity::error)) {
            error(D2, line, 1, fmt::format("mark \"{}\" repeats the previous mark", printable(x)));
          }
        }
      } else if (m_dir != 0 && sd != m_dir) {
        if (listed(D2, Severity::error)) {
          error(D2, line, 1,
                fmt::format("mark \"{}\" after \"{}\": character marks must be monotonic",
                            printable(x), printable(m_prev_text)));
        }
      } else {
        m_dir = sd;
      }
    } else {
      m_stats.first_mark_text = std::string(x);
    }
    m_prev_text.assign(x);
    m_stats.last_mark_text = m_prev_text;
    m_have_prev = true;
  }

  // Check the bounded X(i,m,1) of 2110/2160 within the current mark.
  void check_bounded(double x, std::int64_t line)
  {
    if (m_row > 0) {
      double d = x - m_prev_x1;
      int sd = d > 0 ? 1 : d < 0 ? -1 : 0;
      if (sd == 0 || (m_dir1 != 0 && sd != m_dir1)) {
        if (listed(D3, Severity::error)) {
          error(D3, line, 1,
                fmt::format("X(i,m,1) = {} after {} in mark {}: must be monotonic within a mark",
                            fmt_num(x), fmt_num(m_prev_x1), m_stats.marks + 1));
        }
      } else {
        m_dir1 = sd;
      }
      double dx1 = m_h.dx[0];
      if (dx1 != 0 && sd != 0 && std::fabs(d - dx1) > 1e-3 * std::fabs(dx1)) {
        if (listed(D4, Severity::error)) {
          error(D4, line, 1,
                fmt::format("X(i,m,1) = {} is {} after the previous one, DX(1) is {}", fmt_num(x),
                            fmt_num(d), fmt_num(dx1)));
        }
      }
    } else {
      m_dir1 = 0;
    }
    m_prev_x1 = x;
    ++m_row;
  }

  // Return NX(m,1) from a mark record value; report R7/D6.
  std::int64_t nx_of_mark(double v, double amiss, std::int64_t max)
  {
    if (std::isnan(v)) {
      return 0;
    }
    if (v == amiss) {
      omitted(amiss);
      return 0;
    }
    if (v < 0 || v != std::floor(v)) {
      error(D6, m_record_line, 0,
            fmt::format("NX(m,1) is {} in mark {}: must be a non-negative integer", fmt_num(v),
                        m_stats.marks + 1));
      return 0;
    }
    if (v > static_cast<double>(max)) {
      fatal(R3, m_record_line, 0,
            fmt::format("NX(m,1) is {}: the records of this mark cannot fit in {} characters",
                        fmt_num(v), k_max_record));
    }
    auto nx = static_cast<std::int64_t>(v);
    if (nx == 0) {
      omitted(amiss);
    }
    return nx;
  }

  void omitted(double /*amiss*/)
  {
    if (m_h.dx[1] == 0) {
      warn(D6, m_record_line, 0,
           fmt::format("mark {} omits its records (NX(m,1) is 0 or AMISS(1)), which GH "
                       "defines only when DX(2) != 0",
                       m_stats.marks + 1));
    }
  }

  void mark_done(const Mark& mk)
  {
    bool all_missing = m_primary_values > 0 && m_primary_missing == m_primary_values;
    if (m_stats.marks == 0 && all_missing) {
      warn(D9, mk.line, 0, "the first mark's values are all missing (do not pad with missing values)");
    }
    m_last_all_missing = all_missing;
    m_last_mark_line = mk.line;
    ++m_stats.marks;
  }

  void read_data()
  {
    m_in_data = true;
    const Header& h = m_h;
    const std::size_t nv = h.nv();
    const std::size_t nauxv = h.nauxv();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const int ffi = h.ffi;
    // The mark record's slots.
    std::vector<Slot> mark_slots;
    std::size_t nreal = nauxv - static_cast<std::size_t>(h.nauxc);
    if (ffi == 1001) {
      mark_slots.push_back({nan, false, 0, 0});
      for (std::size_t n = 0; n < nv; ++n) {
        mark_slots.push_back({h.vars[n].missing, true, 'V', static_cast<int>(n + 1)});
      }
    } else if (ffi == 2160) {
      for (std::size_t a = 0; a < nreal; ++a) {
        mark_slots.push_back({h.aux[a].missing, false, 'A', static_cast<int>(a + 1)});
      }
    } else {
      mark_slots.push_back({nan, false, 0, 0});
      for (std::size_t a = 0; a < nauxv; ++a) {
        mark_slots.push_back({h.aux[a].missing, false, 'A', static_cast<int>(a + 1)});
      }
    }
    RecordSpec mark_spec;
    mark_spec.slots = mark_slots.data();
    mark_spec.what = ffi == 1001 ? "X and NV values" : "the mark record";
    // Row records of 2110/2160 and the 1010 record.
    std::vector<Slot> row_slots;
    if (ffi == 2110 || ffi == 2160) {
      row_slots.push_back({nan, false, 0, 0});
    }
    for (std::size_t n = 0; n < nv; ++n) {
      row_slots.push_back({h.vars[n].missing, true, 'V', static_cast<int>(n + 1)});
    }
    RecordSpec row_spec;
    row_spec.slots = row_slots.data();
    row_spec.what = ffi == 1010 ? "NV values" : "X(i,m,1) and NV values";
    // The step between marks (D4).
    switch (ffi) {
    case 1001:
    case 1010: m_mark_step = h.dx[0]; break;
    case 1020: m_mark_step = h.dx[0] * h.nvpm; break;
    case 2010:
    case 3010:
    case 4010:
    case 2110:
    case 2310: m_mark_step = h.dx[static_cast<std::size_t>(h.niv() - 1)]; break;
    default: m_mark_step = 0; break;
    }

    std::vector<double> mark_vals;
    std::vector<std::string> text_aux(static_cast<std::size_t>(h.nauxc));
    std::string x_text;
    for (;;) {
      m_primary_values = 0;
      m_primary_missing = 0;
      Mark mk;
      mk.index = m_stats.marks;
      mk.x = nan;
      std::int64_t nx1 = -1;
      if (ffi == 2160) {
        Line l;
        if (!record_start(l)) {
          break;
        }
        mk.line = l.number;
        m_record_line = l.number;
        x_text.assign(trim_right(l.text));
        if (h.lenx > 0 && x_text.size() > static_cast<std::size_t>(h.lenx)) {
          error(D7, l.number, h.lenx + 1,
                fmt::format("mark \"{}\" has {} characters, LENX(2) is {}", printable(x_text),
                            x_text.size(), h.lenx));
        }
        check_text_mark(x_text, l.number);
        mk.x_text = x_text;
        if (nreal > 0) {
          data_record(nreal, mark_spec, false);
        }
        mark_vals.assign(m_vals.begin(), m_vals.begin() + static_cast<std::ptrdiff_t>(nreal));
        for (std::size_t c = 0; c < text_aux.size(); ++c) {
          Line t;
          if (!next_line(t)) {
            error(D1, m_src.line(), 0,
                  fmt::format("the file ends inside mark {}: character auxiliary {} expected",
                              m_stats.marks + 1, nreal + c + 1));
            throw Stop{};
          }
          text_aux[c].assign(trim_right(t.text));
          const auto& var = h.aux[nreal + c];
          if (var.length > 0 && text_aux[c].size() > static_cast<std::size_t>(var.length)) {
            error(D7, t.number, var.length + 1,
                  fmt::format("character auxiliary A({}) has {} characters, LENA is {}",
                              nreal + c + 1, text_aux[c].size(), var.length));
          }
        }
        mk.aux_text = text_aux;
        nx1 = mark_vals.empty() ? 0
                                : nx_of_mark(mark_vals[0], h.aux[0].missing,
                                             std::numeric_limits<std::int64_t>::max());
      } else {
        if (!data_record(mark_slots.size(), mark_spec, true)) {
          break;
        }
        mk.line = m_record_line;
        mark_vals.assign(m_vals.begin(),
                         m_vals.begin() + static_cast<std::ptrdiff_t>(mark_slots.size()));
        mk.x = mark_vals[0];
        if (std::isnan(mk.x)) {
          // Not a number: already reported (R6); keep the order checks quiet.
        } else {
          check_mark(mk.x, mk.line);
        }
        if (ffi == 2110) {
          nx1 = nx_of_mark(mark_vals[1], h.aux[0].missing,
                           std::numeric_limits<std::int64_t>::max());
        } else if (ffi == 2310) {
          nx1 = nx_of_mark(mark_vals[1], h.aux[0].missing, k_max_values);
          if (nx1 > 1 && mark_vals[3] == 0) {
            error(D3, mk.line, 0,
                  fmt::format("DX(m,1) is 0 with NX(m,1) = {} in mark {}: repeated X(i,m,1)",
                              nx1, m_stats.marks + 1));
          }
        }
      }
      mk.nx1 = nx1;
      std::span<const double> all(mark_vals);
      if (ffi == 1001) {
        mk.aux = {};
      } else {
        mk.aux = ffi == 2160 ? all : all.subspan(1);
      }
      if (!m_consumer.on_mark(mk)) {
        throw Stop{};
      }
      if (ffi == 1001) {
        Values vals{mk.line, -1, 0, all.subspan(1)};
        if (!m_consumer.on_values(vals)) {
          throw Stop{};
        }
        mark_done(mk);
        continue;
      }
      emit_records(mk, nx1, row_spec);
      mark_done(mk);
    }
    if (m_stats.marks > 1 && m_last_all_missing) {
      warn(D9, m_last_mark_line, 0,
           "the last mark's values are all missing (do not pad with missing values)");
    }
  }

  // Read the records that follow a mark record.
  void emit_records(const Mark& mk, std::int64_t nx1, const RecordSpec& row_spec)
  {
    const Header& h = m_h;
    const int ffi = h.ffi;
    auto values = [&](int var, std::int64_t row, std::size_t n) {
      Values v{m_record_line, var, row, std::span<const double>(m_vals.data(), n)};
      if (!m_consumer.on_values(v)) {
        throw Stop{};
      }
    };
    auto block = [&](std::size_t n, int var, std::int64_t row) {
      RecordSpec spec;
      spec.uniform = {h.vars[static_cast<std::size_t>(var)].missing, true, 'V', var + 1};
      spec.what = m_block_what;
      data_record(n, spec, false);
      values(var, row, n);
    };
    switch (ffi) {
    case 1010:
      m_block_what = "NV values";
      data_record(h.nv(), row_spec, false);
      values(-1, 0, h.nv());
      break;
    case 1020:
      m_block_what = "NVPM values";
      for (std::size_t n = 0; n < h.nv(); ++n) {
        block(static_cast<std::size_t>(h.nvpm), static_cast<int>(n), 0);
      }
      break;
    case 2010:
    case 2310: {
      std::size_t count = ffi == 2010 ? static_cast<std::size_t>(h.axes[0].nx)
                                      : static_cast<std::size_t>(std::max<std::int64_t>(nx1, 0));
      m_block_what = ffi == 2010 ? "NX(1) values" : "NX(m,1) values";
      if (count == 0) {
        break;
      }
      for (std::size_t n = 0; n < h.nv(); ++n) {
        block(count, static_cast<int>(n), 0);
      }
      break;
    }
    case 2110:
    case 2160:
      m_row = 0;
      for (std::int64_t i = 0; i < nx1; ++i) {
        data_record(h.nv() + 1, row_spec, false);
        if (!std::isnan(m_vals[0])) {
          check_bounded(m_vals[0], m_record_line);
        }
        values(-1, i, h.nv() + 1);
      }
      break;
    case 3010:
      m_block_what = "NX(1) values";
      for (std::size_t n = 0; n < h.nv(); ++n) {
        for (std::int64_t j = 0; j < h.axes[1].nx; ++j) {
          block(static_cast<std::size_t>(h.axes[0].nx), static_cast<int>(n), j);
        }
      }
      break;
    case 4010:
      m_block_what = "NX(1) values";
      for (std::size_t n = 0; n < h.nv(); ++n) {
        for (std::int64_t k = 0; k < h.axes[2].nx; ++k) {
          for (std::int64_t j = 0; j < h.axes[1].nx; ++j) {
            block(static_cast<std::size_t>(h.axes[0].nx), static_cast<int>(n),
                  k * h.axes[1].nx + j);
          }
        }
      }
      break;
    default: break;
    }
    (void)mk;
  }

  // Count the lines after a header whose data cannot be read.
  void skip_data()
  {
    Line l;
    while (next_line(l)) {
    }
  }

  void finish()
  {
    m_stats.lines = m_src.line();
    m_stats.bytes = m_src.bytes();
    std::int64_t lf = m_src.count(Term::lf);
    std::int64_t crlf = m_src.count(Term::crlf);
    std::int64_t cr = m_src.count(Term::cr);
    int kinds = (lf > 0 ? 1 : 0) + (crlf > 0 ? 1 : 0) + (cr > 0 ? 1 : 0);
    m_stats.line_ends = kinds > 1 ? "mixed" : lf > 0 ? "LF" : crlf > 0 ? "CRLF" : cr > 0 ? "CR" : "";
    try {
      if (kinds > 1) {
        warn(R4, 0, 0,
             fmt::format("mixed line ends: {} LF, {} CRLF, {} CR", lf, crlf, cr));
      }
      if (m_stats.lines > 0 && m_last_term == Term::none && m_src.at_eof()) {
        warn(R4, m_stats.lines, 0, "no line end at the end of the file");
      }
      for (int r = 0; r < k_rule_count; ++r) {
        int n = m_rule_count[r];
        if (n > k_per_rule_limit) {
          m_collector.add(std::string(k_rules[r].id),
                          m_rule_more_error[r] ? Severity::error : Severity::warning, {},
                          fmt::format("{} more findings of rule {} not listed",
                                      n - k_per_rule_limit, k_rules[r].id));
        }
      }
    } catch (const Stop&) {
    }
  }

  Source& m_src;
  Consumer& m_consumer;
  validate::Collector& m_collector;
  const validate::Profile& m_profile;
  Header m_h;
  Stats m_stats;
  bool m_data_ok = true;
  bool m_in_data = false;
  Term m_last_term = Term::none;
  std::array<int, k_rule_count> m_rule_count{};
  std::array<bool, k_rule_count> m_rule_more_error{};
  std::vector<double> m_vals;
  bool m_dirty = false;  // the tokenizer saw a TAB or a bad token on this line
  std::int64_t m_record_line = 0;
  std::int64_t m_missing_in_record = 0;
  std::int64_t m_primary_values = 0;
  std::int64_t m_primary_missing = 0;
  bool m_last_all_missing = false;
  std::int64_t m_last_mark_line = 0;
  // Mark order.
  bool m_have_prev = false;
  int m_dir = 0;
  double m_prev_mark = 0;
  std::string m_prev_text;
  double m_mark_step = 0;
  // Bounded X within a mark.
  std::int64_t m_row = 0;
  int m_dir1 = 0;
  double m_prev_x1 = 0;
  std::string_view m_block_what;
};

// A consumer that keeps nothing.
class NullConsumer : public Consumer {};

}  // namespace

Stats parse_text(std::string_view text, Consumer& consumer, validate::Collector& collector,
                 const validate::Profile& profile, std::size_t buffer_size)
{
  Source src(text, buffer_size == 0 ? k_buffer : std::max<std::size_t>(buffer_size, 16));
  Parser p(src, consumer, collector, profile);
  return p.run();
}

namespace {

// Parse with a header-capturing consumer.
class HeaderKeeper : public Consumer {
 public:
  explicit HeaderKeeper(Consumer* inner, bool header_only) : m_inner(inner), m_header_only(header_only) {}
  bool on_header(const Header& h) override
  {
    header = h;
    have = true;
    if (m_header_only) {
      return false;
    }
    return m_inner == nullptr || m_inner->on_header(h);
  }
  bool on_mark(const Mark& m) override { return m_inner == nullptr || m_inner->on_mark(m); }
  bool on_values(const Values& v) override { return m_inner == nullptr || m_inner->on_values(v); }
  Header header;
  bool have = false;

 private:
  Consumer* m_inner;
  bool m_header_only;
};

}  // namespace

Result<Stats> parse(const std::filesystem::path& path, Consumer& consumer,
                    validate::Collector& collector, const validate::Profile& profile)
{
  util::UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  ::posix_fadvise(f.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  Source src(f.get(), k_buffer);
  Parser p(src, consumer, collector, profile);
  Stats st = p.run();
  if (src.read_errno() != 0) {
    return tl::unexpected(errno_error(src.read_errno(), "cannot read", path.string()));
  }
  return st;
}

Result<Header> read_header(const std::filesystem::path& path)
{
  validate::Profile profile = validate::Profile::legacy();
  validate::Collector collector(path.string(), k_format, profile);
  HeaderKeeper keeper(nullptr, true);
  HEMERA_TRY(parse(path, keeper, collector, profile));
  if (!keeper.have) {
    auto report = collector.take();
    std::string msg = "not a readable NASA Ames header";
    std::string rule;
    for (const auto& f : report.findings) {
      if (f.severity == Severity::error) {
        msg = f.message;
        rule = f.rule;
        break;
      }
    }
    return fail(Errc::data, msg, path.string(), {}, rule);
  }
  return keeper.header;
}

std::optional<double> seconds_per_unit(const std::string& xname)
{
  std::string s;
  for (char c : xname) {
    s += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  auto has = [&](std::string_view w) { return s.find(w) != std::string::npos; };
  // Only times counted from the start of DATE: refuse elapsed times from an event.
  if (has("launch") || has("release") || has("since 19") || has("since 20") ||
      has("julian")) {
    return std::nullopt;
  }
  bool timeish = has("time") || has("ut") || has("utc");
  if (!timeish) {
    return std::nullopt;
  }
  // Whole words only: split into alphabetic words.
  std::vector<std::string> words;
  std::string w;
  for (char c : s) {
    if (c >= 'a' && c <= 'z') {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) {
    words.push_back(w);
  }
  for (const auto& word : words) {
    if (word == "s" || word == "sec" || word == "secs" || word == "second" || word == "seconds") {
      return 1.0;
    }
    if (word == "min" || word == "mins" || word == "minute" || word == "minutes") {
      return 60.0;
    }
    if (word == "h" || word == "hr" || word == "hrs" || word == "hour" || word == "hours") {
      return 3600.0;
    }
    if (word == "day" || word == "days") {
      return 86400.0;
    }
  }
  return std::nullopt;
}

namespace {

std::string iso_time(const Date& d, double seconds)
{
  std::tm tm{};
  tm.tm_year = d.year - 1900;
  tm.tm_mon = d.month - 1;
  tm.tm_mday = d.day;
  std::time_t base = timegm(&tm);
  auto t = static_cast<std::time_t>(static_cast<double>(base) + std::floor(seconds));
  std::tm out{};
  gmtime_r(&t, &out);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &out);
  return buf;
}

}  // namespace

Result<Summary> summary(const std::filesystem::path& path, const validate::Profile& profile)
{
  validate::Collector collector(path.string(), k_format, profile);
  HeaderKeeper keeper(nullptr, false);
  Summary s;
  s.stats = HEMERA_TRY(parse(path, keeper, collector, profile));
  s.valid = !collector.has_errors() && s.stats.header_complete;
  if (!keeper.have) {
    auto report = collector.take();
    std::string msg = "not a readable NASA Ames file";
    std::string rule;
    for (const auto& f : report.findings) {
      if (f.severity == Severity::error) {
        msg = f.message;
        rule = f.rule;
        break;
      }
    }
    return fail(Errc::data, msg, path.string(), {}, rule);
  }
  s.header = std::move(keeper.header);
  if (s.header.ffi != 2160 && s.header.date.valid() && s.stats.first_mark && s.stats.last_mark) {
    if (auto unit = seconds_per_unit(s.header.mark_name())) {
      double a = std::min(*s.stats.first_mark, *s.stats.last_mark) * *unit;
      double b = std::max(*s.stats.first_mark, *s.stats.last_mark) * *unit;
      if (std::isfinite(a) && std::isfinite(b) && std::fabs(a) < 1e11 && std::fabs(b) < 1e11) {
        s.time_range = TimeRange{iso_time(s.header.date, a), iso_time(s.header.date, b)};
      }
    }
  }
  return s;
}

nlohmann::json details_json(const Header& h, const Stats& st)
{
  nlohmann::json d = nlohmann::json::object();
  d["header_complete"] = st.header_complete;
  d["lines"] = st.lines;
  d["bytes"] = st.bytes;
  d["line_ends"] = st.line_ends;
  if (h.ffi == 0) {
    return d;
  }
  d["ffi"] = h.ffi;
  d["nlhead"] = h.nlhead;
  if (!st.header_complete) {
    return d;
  }
  d["header_lines"] = h.header_lines;
  d["preamble_lines"] = h.preamble_lines;
  d["oname"] = h.oname;
  d["org"] = h.org;
  d["sname"] = h.sname;
  d["mname"] = h.mname;
  d["ivol"] = h.ivol;
  d["nvol"] = h.nvol;
  d["date"] = h.date.valid() ? nlohmann::json(h.date.iso()) : nlohmann::json(nullptr);
  d["rdate"] = h.rdate.valid() ? nlohmann::json(h.rdate.iso()) : nlohmann::json(nullptr);
  d["independent"] = h.xname;
  nlohmann::json vars = nlohmann::json::array();
  for (const auto& v : h.vars) {
    vars.push_back({{"name", v.name}, {"scale", v.scale}, {"missing", v.missing}});
  }
  d["variables"] = vars;
  nlohmann::json aux = nlohmann::json::array();
  for (const auto& v : h.aux) {
    if (v.is_text) {
      aux.push_back({{"name", v.name}, {"length", v.length}, {"missing", v.missing_text}});
    } else {
      aux.push_back({{"name", v.name}, {"scale", v.scale}, {"missing", v.missing}});
    }
  }
  d["auxiliary"] = aux;
  d["special_comments"] = h.scom.size();
  d["normal_comments"] = h.ncom.size();
  d["marks"] = st.marks;
  d["records"] = st.records;
  d["values"] = st.values;
  d["missing_values"] = st.missing;
  d["value_sum"] = st.value_sum;
  if (h.ffi == 2160) {
    d["first_mark"] = st.marks > 0 ? nlohmann::json(st.first_mark_text) : nlohmann::json(nullptr);
    d["last_mark"] = st.marks > 0 ? nlohmann::json(st.last_mark_text) : nlohmann::json(nullptr);
  } else {
    d["first_mark"] = st.first_mark ? nlohmann::json(*st.first_mark) : nlohmann::json(nullptr);
    d["last_mark"] = st.last_mark ? nlohmann::json(*st.last_mark) : nlohmann::json(nullptr);
  }
  return d;
}

}  // namespace hemera::nasa_ames
