// SPDX-License-Identifier: Apache-2.0
#include <hemera/fits/table.hpp>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace hemera::fits {

using validate::Severity;

namespace {

constexpr std::int64_t k_max_row_bytes = std::int64_t{64} << 20;
constexpr std::size_t k_max_logical_vla = std::size_t{1} << 20;

bool digit(char c)
{
  return c >= '0' && c <= '9';
}

// Read digits at s[i...]; return false if none.
bool read_uint(std::string_view s, std::size_t& i, std::int64_t& v)
{
  std::size_t a = i;
  v = 0;
  while (i < s.size() && digit(s[i]) && i - a < 15) {
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  return i > a;
}

std::string col_label(const Column& c)
{
  return c.name.empty() ? fmt::format("column {}", c.index)
                        : fmt::format("column {} ({})", c.index, c.name);
}

bool integer_type(char t)
{
  return t == 'B' || t == 'I' || t == 'J' || t == 'K';
}

bool float_type(char t)
{
  return t == 'E' || t == 'D' || t == 'C' || t == 'M';
}

// Check a TDISPn value against the column type: "" when fine, else the problem.
std::string tdisp_problem(std::string_view v, const Column& col)
{
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  std::string code;
  std::size_t i = 0;
  if (v.size() >= 2 && (v.substr(0, 2) == "EN" || v.substr(0, 2) == "ES")) {
    code = std::string(v.substr(0, 2));
    i = 2;
  } else if (!v.empty()) {
    code = std::string(1, v[0]);
    i = 1;
  }
  static const std::string codes = "ALIBOZFEGD";
  if (code.empty() || (code.size() == 1 && codes.find(code[0]) == std::string::npos)) {
    return "is not a display format (A, L, I, B, O, Z, F, E, EN, ES, G, D)";
  }
  std::int64_t w = 0;
  std::int64_t d = 0;
  if (!read_uint(v, i, w) || w == 0) {
    return "has no field width";
  }
  char c = code[0];
  bool needs_d = c == 'F' || c == 'E' || c == 'D' || (c == 'G');
  if (i < v.size() && v[i] == '.') {
    ++i;
    if (!read_uint(v, i, d)) {
      return "has no digits after '.'";
    }
  } else if (needs_d && c != 'G') {
    return "needs a number of decimals (w.d)";
  }
  if (i < v.size() && (v[i] == 'E') && (c == 'E' || c == 'G' || c == 'D')) {
    ++i;
    std::int64_t e = 0;
    if (!read_uint(v, i, e)) {
      return "has no exponent width after 'E'";
    }
  }
  if (i != v.size()) {
    return "has extra characters";
  }
  char t = col.type == 'P' || col.type == 'Q' ? col.vla_type : col.type;
  if (!col.ok || t == 0) {
    return "";
  }
  bool is_int_fmt = c == 'I' || c == 'B' || c == 'O' || c == 'Z';
  if (t == 'A' && c != 'A') {
    return fmt::format("cannot be used for the character column TFORM '{}'", col.tform);
  }
  if (c == 'A' && t != 'A') {
    return fmt::format("(a character format) cannot be used for TFORM '{}'", col.tform);
  }
  if (c == 'L' && t != 'L') {
    return fmt::format("(a logical format) cannot be used for TFORM '{}'", col.tform);
  }
  if (t == 'L' && c != 'L') {
    return fmt::format("cannot be used for the logical column TFORM '{}'", col.tform);
  }
  if (is_int_fmt && float_type(t)) {
    return fmt::format("(an integer format) cannot be used for TFORM '{}'", col.tform);
  }
  return "";
}

// Return true if `f` (trimmed) is an ASCII-table integer, or a real when not
// `integer`: sign, digits, optional point, optional E/D exponent.
bool ascii_number(std::string_view f, bool integer)
{
  std::size_t i = 0;
  if (i < f.size() && (f[i] == '+' || f[i] == '-')) {
    ++i;
  }
  std::size_t digits = 0;
  while (i < f.size() && digit(f[i])) {
    ++i;
    ++digits;
  }
  if (integer) {
    return digits > 0 && i == f.size();
  }
  if (i < f.size() && f[i] == '.') {
    ++i;
    while (i < f.size() && digit(f[i])) {
      ++i;
      ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < f.size() && (f[i] == 'E' || f[i] == 'D')) {
    ++i;
    if (i < f.size() && (f[i] == '+' || f[i] == '-')) {
      ++i;
    }
    std::size_t e = 0;
    while (i < f.size() && digit(f[i])) {
      ++i;
      ++e;
    }
    if (e == 0) {
      return false;
    }
  }
  return i == f.size();
}

}  // namespace

std::int64_t binary_width(char t, std::int64_t count) noexcept
{
  switch (t) {
  case 'L':
  case 'B':
  case 'A': return count;
  case 'X': return (count + 7) / 8;
  case 'I': return 2 * count;
  case 'J':
  case 'E': return 4 * count;
  case 'K':
  case 'D':
  case 'C': return 8 * count;
  case 'M': return 16 * count;
  case 'P': return 8 * count;
  case 'Q': return 16 * count;
  default: return -1;
  }
}

Table build_table(const TableLayout& layout,
                  const std::function<const Card*(const std::string&)>& lookup,
                  const TableSink& sink, bool compressed_image)
{
  (void)compressed_image;
  Table t;
  t.ascii = layout.ascii;
  t.row_bytes = layout.naxis1;
  t.rows = layout.naxis2;
  bool all_ok = true;
  bool any_vla = false;
  std::int64_t sum = 0;
  for (std::int64_t n = 1; n <= layout.tfields; ++n) {
    Column col;
    col.index = static_cast<int>(n);
    std::string key = fmt::format("TFORM{}", n);
    const Card* tf = lookup(key);
    if (const Card* tt = lookup(fmt::format("TTYPE{}", n)); tt && tt->type == ValueType::string) {
      col.name = tt->text;
    }
    if (const Card* tu = lookup(fmt::format("TUNIT{}", n)); tu && tu->type == ValueType::string) {
      col.unit = tu->text;
    }
    if (tf == nullptr) {
      sink("fits.keyword-missing", Severity::error, nullptr, key,
           fmt::format("{} missing: TFIELDS = {}", key, layout.tfields));
      all_ok = false;
      t.columns.push_back(col);
      continue;
    }
    if (tf->type != ValueType::string) {
      all_ok = false;
      t.columns.push_back(col);
      continue;
    }
    col.tform = tf->text;
    std::string_view v = tf->text;
    if (!v.empty() && v.front() == ' ') {
      sink("fits.tform", Severity::error, tf, key,
           fmt::format("{} = '{}' starts with blanks", key, tf->text));
      while (!v.empty() && v.front() == ' ') {
        v.remove_prefix(1);
      }
    }
    std::size_t i = 0;
    if (layout.ascii) {
      // Aw, Iw, Fw.d, Ew.d, Dw.d (§7.2.1).
      bool ok = !v.empty() && std::string_view("AIFED").find(v[0]) != std::string_view::npos;
      std::int64_t w = 0;
      std::int64_t d = 0;
      if (ok) {
        col.type = v[0];
        i = 1;
        ok = read_uint(v, i, w) && w > 0;
        if (ok && (col.type == 'F' || col.type == 'E' || col.type == 'D')) {
          ok = i < v.size() && v[i] == '.';
          ++i;
          ok = ok && read_uint(v, i, d);
        }
        ok = ok && i == v.size();
      }
      if (!ok) {
        sink("fits.tform", Severity::error, tf, key,
             fmt::format("{} = '{}' is not an ASCII table format (Aw, Iw, Fw.d, Ew.d, Dw.d)", key,
                         tf->text));
        all_ok = false;
        t.columns.push_back(col);
        continue;
      }
      col.width = w;
      col.ok = true;
      if (const Card* tn = lookup(fmt::format("TNULL{}", n)); tn && tn->type == ValueType::string) {
        auto a = tn->text.find_first_not_of(' ');
        col.tnull = a == std::string::npos ? "" : tn->text.substr(a);
      }
      std::string bkey = fmt::format("TBCOL{}", n);
      const Card* tb = lookup(bkey);
      if (tb == nullptr) {
        sink("fits.keyword-missing", Severity::error, nullptr, bkey,
             fmt::format("{} missing: TFIELDS = {}", bkey, layout.tfields));
        all_ok = false;
      } else if (tb->type == ValueType::integer) {
        col.offset = tb->integer - 1;
        if (tb->integer < 1 || tb->integer + w - 1 > layout.naxis1) {
          sink("fits.tbcol", Severity::error, tb, bkey,
               fmt::format("{} = {} with width {} does not fit in NAXIS1 = {}", bkey, tb->integer,
                           w, layout.naxis1));
          all_ok = false;
        }
      } else {
        all_ok = false;
      }
    } else {
      // rTa, rPt(max), rQt(max) (§7.3.1).
      std::int64_t r = 1;
      if (i < v.size() && digit(v[i])) {
        read_uint(v, i, r);
      }
      if (r > (std::int64_t{1} << 40)) {
        sink("fits.tform", Severity::error, tf, key,
             fmt::format("{} = '{}': the repeat count is too large", key, tf->text));
        all_ok = false;
        t.columns.push_back(col);
        continue;
      }
      char type = i < v.size() ? v[i] : 0;
      ++i;
      bool ok = type != 0 && std::string_view("LXBIJKAEDCMPQ").find(type) != std::string_view::npos;
      if (ok && (type == 'P' || type == 'Q')) {
        any_vla = true;
        char et = i < v.size() ? v[i] : 0;
        ++i;
        ok = et != 0 && std::string_view("LXBIJKAEDCM").find(et) != std::string_view::npos;
        col.vla_type = et;
        if (ok && i < v.size() && v[i] == '(') {
          ++i;
          std::int64_t m = 0;
          ok = read_uint(v, i, m) && i < v.size() && v[i] == ')';
          ++i;
          col.vla_max = m;
        }
        if (ok && r > 1) {
          sink("fits.tform", Severity::error, tf, key,
               fmt::format("{} = '{}': the repeat count of a P or Q column is 0 or 1", key,
                           tf->text));
        }
      }
      if (!ok) {
        sink("fits.tform", Severity::error, tf, key,
             fmt::format("{} = '{}' is not a binary table format (rL, rX, rB, rI, rJ, rK, rA, "
                         "rE, rD, rC, rM, rPt(max), rQt(max))",
                         key, tf->text));
        all_ok = false;
        t.columns.push_back(col);
        continue;
      }
      col.type = type;
      col.repeat = r;
      col.width = binary_width(type, r);
      col.offset = sum;
      col.ok = true;
      sum += col.width;
    }

    // TDIMn: the array shape must fit the repeat count (§7.3.2).
    std::string dkey = fmt::format("TDIM{}", n);
    if (const Card* td = lookup(dkey); td != nullptr && td->type == ValueType::string && !layout.ascii) {
      std::string_view s = td->text;
      std::size_t k = 0;
      bool ok = !s.empty() && s[0] == '(';
      ++k;
      std::int64_t prod = 1;
      while (ok) {
        while (k < s.size() && s[k] == ' ') {
          ++k;
        }
        std::int64_t d = 0;
        ok = read_uint(s, k, d) && d >= 0;
        if (__builtin_mul_overflow(prod, d, &prod) || prod > (std::int64_t{1} << 50)) {
          prod = std::int64_t{1} << 50;
        }
        while (k < s.size() && s[k] == ' ') {
          ++k;
        }
        if (ok && k < s.size() && s[k] == ',') {
          ++k;
          continue;
        }
        ok = ok && k < s.size() && s[k] == ')';
        break;
      }
      if (!ok) {
        sink("fits.tdim", Severity::error, td, dkey,
             fmt::format("{} = '{}' is not of the form '(d1,d2,...)'", dkey, td->text));
      } else if (col.ok && col.type != 'P' && col.type != 'Q' && prod > col.repeat) {
        sink("fits.tdim", Severity::error, td, dkey,
             fmt::format("{} = '{}' describes {} elements, more than the repeat count of TFORM{} "
                         "= '{}' ({})",
                         dkey, td->text, prod, n, col.tform, col.repeat));
      }
    }
    // TDISPn (§7.3.4).
    std::string skey = fmt::format("TDISP{}", n);
    if (const Card* ds = lookup(skey); ds != nullptr && ds->type == ValueType::string) {
      auto p = tdisp_problem(ds->text, col);
      if (!p.empty()) {
        sink("fits.tdisp", Severity::error, ds, skey,
             fmt::format("{} = '{}' {}", skey, ds->text, p));
      }
    }
    // TNULLn: integer columns only; TSCALn/TZEROn: not on A, L, X.
    char et = col.type == 'P' || col.type == 'Q' ? col.vla_type : col.type;
    std::string nkey = fmt::format("TNULL{}", n);
    if (const Card* tn = lookup(nkey); tn != nullptr && !layout.ascii && col.ok && !integer_type(et)) {
      sink("fits.tnull", Severity::error, tn, nkey,
           fmt::format("{} is allowed only on integer columns (B, I, J, K), not TFORM '{}'", nkey,
                       col.tform));
    }
    for (const char* root : {"TSCAL", "TZERO"}) {
      std::string zkey = fmt::format("{}{}", root, n);
      if (const Card* tz = lookup(zkey); tz != nullptr && col.ok && (et == 'A' || et == 'L' || et == 'X')) {
        sink("fits.tscal", Severity::error, tz, zkey,
             fmt::format("{} is not allowed on a {} column (TFORM '{}')", zkey,
                         et == 'A' ? "character" : et == 'L' ? "logical" : "bit", col.tform));
      }
    }
    t.columns.push_back(col);
  }

  if (!layout.ascii && all_ok && sum != layout.naxis1) {
    sink("fits.naxis1", Severity::error, lookup("NAXIS1"), "NAXIS1",
         fmt::format("NAXIS1 = {} but the columns (TFORMn) add up to {} bytes", layout.naxis1,
                     sum));
    all_ok = false;
  }
  std::int64_t main = 0;
  if (__builtin_mul_overflow(layout.naxis1, layout.naxis2, &main) || main > (std::int64_t{1} << 62) ||
      layout.pcount > (std::int64_t{1} << 62)) {
    t.valid = false;
    return t;
  }
  t.theap = main;
  if (!layout.ascii) {
    if (const Card* th = lookup("THEAP"); th != nullptr && th->type == ValueType::integer) {
      if (th->integer < main || th->integer > main + layout.pcount) {
        sink("fits.theap", Severity::error, th, "THEAP",
             fmt::format("THEAP = {} is outside NAXIS1 x NAXIS2 ({}) to NAXIS1 x NAXIS2 + PCOUNT "
                         "({})",
                         th->integer, main, main + layout.pcount));
        all_ok = false;
      } else {
        t.theap = th->integer;
      }
    }
    if (layout.pcount > 0 && !any_vla && all_ok) {
      sink("fits.heap-unused", Severity::warning, lookup("PCOUNT"), "PCOUNT",
           fmt::format("PCOUNT = {} but no column is variable-length (P or Q)", layout.pcount));
    }
  }
  t.heap_size = layout.pcount - (t.theap - main);
  t.valid = all_ok && layout.naxis1 > 0 && layout.naxis2 > 0;
  return t;
}

TableScan::TableScan(const Table& table, std::uint64_t data_bytes) : m_table(table)
{
  if (!table.valid || table.row_bytes > k_max_row_bytes) {
    return;
  }
  m_main_bytes = static_cast<std::uint64_t>(table.row_bytes) * static_cast<std::uint64_t>(table.rows);
  if (m_main_bytes > data_bytes) {
    return;
  }
  if (table.ascii) {
    Check c;
    c.kind = Kind::ascii_row;
    c.repeat = table.row_bytes;
    m_checks.push_back(c);
    for (const auto& col : table.columns) {
      if (col.ok && col.type != 'A' && col.offset >= 0 && col.offset + col.width <= table.row_bytes) {
        Check n;
        n.kind = Kind::ascii_number;
        n.col = &col;
        n.offset = col.offset;
        n.repeat = col.width;
        m_checks.push_back(n);
      }
    }
  } else {
    for (const auto& col : table.columns) {
      Check c;
      c.col = &col;
      c.offset = col.offset;
      c.repeat = col.repeat;
      if (col.repeat == 0) {
        continue;
      }
      switch (col.type) {
      case 'L': c.kind = Kind::logical; break;
      case 'A': c.kind = Kind::chars; break;
      case 'X':
        if (col.repeat % 8 == 0) {
          continue;
        }
        c.kind = Kind::bits;
        break;
      case 'P':
      case 'Q':
        c.kind = col.type == 'P' ? Kind::desc32 : Kind::desc64;
        c.elem_size = col.vla_type == 'X' ? 0 : static_cast<int>(binary_width(col.vla_type, 1));
        break;
      default: continue;
      }
      m_checks.push_back(c);
    }
  }
  m_active = !m_checks.empty();
  if (m_active) {
    m_carry.resize(static_cast<std::size_t>(table.row_bytes));
  }
}

void TableScan::bad(Check& c, std::int64_t row, std::string detail)
{
  if (c.bad++ == 0) {
    c.first_row = row;
    c.first_detail = std::move(detail);
  }
}

void TableScan::row(const unsigned char* r, std::int64_t index)
{
  std::int64_t rownum = index + 1;
  for (auto& c : m_checks) {
    const unsigned char* p = r + c.offset;
    switch (c.kind) {
    case Kind::logical:
      for (std::int64_t k = 0; k < c.repeat; ++k) {
        unsigned char b = p[k];
        if (b != 'T' && b != 'F' && b != 0) {
          bad(c, rownum, fmt::format("logical value 0x{:02X} is not 'T', 'F' or 0", b));
          break;
        }
      }
      break;
    case Kind::chars:
      for (std::int64_t k = 0; k < c.repeat; ++k) {
        unsigned char b = p[k];
        if (b == 0) {
          break;
        }
        if (b < 0x20 || b > 0x7E) {
          bad(c, rownum, fmt::format("character 0x{:02X} is not printable ASCII", b));
          break;
        }
      }
      break;
    case Kind::bits: {
      std::int64_t nbytes = (c.repeat + 7) / 8;
      unsigned mask = (1U << (8 - c.repeat % 8)) - 1;
      if ((p[nbytes - 1] & mask) != 0) {
        bad(c, rownum, "the unused bits of the last byte are not zero");
      }
      break;
    }
    case Kind::desc32:
    case Kind::desc64: {
      std::int64_t count = 0;
      std::int64_t off = 0;
      if (c.kind == Kind::desc32) {
        std::uint32_t a = 0;
        std::uint32_t b = 0;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + 4, 4);
        count = static_cast<std::int32_t>(__builtin_bswap32(a));
        off = static_cast<std::int32_t>(__builtin_bswap32(b));
      } else {
        std::uint64_t a = 0;
        std::uint64_t b = 0;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, 8);
        count = static_cast<std::int64_t>(__builtin_bswap64(a));
        off = static_cast<std::int64_t>(__builtin_bswap64(b));
      }
      if (count < 0 || off < 0) {
        bad(c, rownum, fmt::format("descriptor ({}, {}) is negative", count, off));
        break;
      }
      std::int64_t bytes = count > (std::int64_t{1} << 56)
                             ? std::int64_t{1} << 62
                             : (c.elem_size == 0 ? (count + 7) / 8 : count * c.elem_size);
      if (bytes > m_table.heap_size || off > m_table.heap_size - bytes) {
        bad(c, rownum,
            fmt::format("descriptor ({} elements at heap offset {}) runs past the heap ({} bytes)",
                        count, off, m_table.heap_size));
      } else if (c.col->vla_max >= 0 && count > c.col->vla_max) {
        bad(c, rownum, fmt::format("{} elements, more than the maximum {} of TFORM{} = '{}'",
                                   count, c.col->vla_max, c.col->index, c.col->tform));
      } else if (c.col->vla_type == 'L' && count > 0) {
        if (m_logical_vla.size() < k_max_logical_vla) {
          m_logical_vla.emplace_back(off, count);
        } else {
          m_logical_vla_overflow = true;
        }
      }
      break;
    }
    case Kind::ascii_number: {
      // Blanks (a null field), or one number with no embedded blank (section 7.2.5).
      std::string_view f(reinterpret_cast<const char*>(p), static_cast<std::size_t>(c.repeat));
      auto a = f.find_first_not_of(' ');
      if (a == std::string_view::npos) {
        break;
      }
      f = f.substr(a, f.find_last_not_of(' ') - a + 1);
      bool ok = f == c.col->tnull || ascii_number(f, c.col->type == 'I');
      if (!ok) {
        bad(c, rownum, fmt::format("'{}' is not {} (TFORM{} = '{}')", printable(f),
                                   c.col->type == 'I' ? "an integer" : "a number", c.col->index,
                                   c.col->tform));
      }
      break;
    }
    case Kind::ascii_row:
      for (std::int64_t k = 0; k < c.repeat; ++k) {
        unsigned char b = r[k];
        if (b < 0x20 || b > 0x7E) {
          bad(c, rownum,
              fmt::format("byte 0x{:02X} at row byte {} is not printable ASCII", b, k + 1));
          break;
        }
      }
      break;
    }
  }
}

void TableScan::feed(const unsigned char* data, std::size_t n, std::uint64_t pos)
{
  if (!m_active || pos >= m_main_bytes) {
    return;
  }
  n = static_cast<std::size_t>(std::min<std::uint64_t>(n, m_main_bytes - pos));
  auto rb = static_cast<std::size_t>(m_table.row_bytes);
  while (n > 0) {
    if (m_carry_len > 0) {
      std::size_t take = std::min(rb - m_carry_len, n);
      std::memcpy(m_carry.data() + m_carry_len, data, take);
      m_carry_len += take;
      data += take;
      n -= take;
      if (m_carry_len == rb) {
        row(m_carry.data(), m_row++);
        m_carry_len = 0;
      }
      continue;
    }
    while (n >= rb) {
      row(data, m_row++);
      data += rb;
      n -= rb;
    }
    if (n > 0) {
      std::memcpy(m_carry.data(), data, n);
      m_carry_len = n;
      n = 0;
    }
  }
}

Result<std::vector<TableFinding>> TableScan::finish(const Reader& read, std::uint64_t data_start)
{
  std::vector<TableFinding> out;
  if (!m_active) {
    return out;
  }
  for (const auto& c : m_checks) {
    if (c.bad == 0) {
      continue;
    }
    std::string more = c.bad > 1 ? fmt::format(" ({} rows in all)", c.bad) : "";
    const char* rule = "fits.table-data";
    switch (c.kind) {
    case Kind::logical: rule = "fits.logical-value"; break;
    case Kind::chars: rule = "fits.string-chars"; break;
    case Kind::bits: rule = "fits.bit-fill"; break;
    case Kind::desc32:
    case Kind::desc64: rule = "fits.vla-descriptor"; break;
    case Kind::ascii_row: rule = "fits.ascii-table"; break;
    case Kind::ascii_number: rule = "fits.ascii-number"; break;
    }
    std::string where = c.col != nullptr ? col_label(*c.col) + ": " : "";
    std::string key = c.col != nullptr ? fmt::format("TFORM{}", c.col->index) : "";
    out.push_back({rule, Severity::error, key,
                   fmt::format("{}row {}: {}{}", where, c.first_row, c.first_detail, more)});
  }
  // Logical VLA elements in the heap.
  if (!m_logical_vla.empty()) {
    std::sort(m_logical_vla.begin(), m_logical_vla.end());
    std::vector<unsigned char> buf(1 << 16);
    std::uint64_t bad_count = 0;
    std::int64_t first_off = 0;
    unsigned char first_byte = 0;
    std::int64_t done_to = 0;  // heap bytes already checked
    for (auto [off, count] : m_logical_vla) {
      std::int64_t a = std::max(off, done_to);
      std::int64_t b = off + count;
      while (a < b) {
        auto n = static_cast<std::size_t>(std::min<std::int64_t>(b - a, static_cast<std::int64_t>(buf.size())));
        HEMERA_TRY(read(buf.data(), n, data_start + static_cast<std::uint64_t>(m_table.theap + a)));
        for (std::size_t k = 0; k < n; ++k) {
          unsigned char x = buf[k];
          if (x != 'T' && x != 'F' && x != 0) {
            if (bad_count++ == 0) {
              first_off = a + static_cast<std::int64_t>(k);
              first_byte = x;
            }
          }
        }
        a += static_cast<std::int64_t>(n);
      }
      done_to = std::max(done_to, b);
    }
    if (bad_count != 0) {
      out.push_back({"fits.logical-value", Severity::error, "",
                     fmt::format("variable-length logical array: value 0x{:02X} at heap offset {} "
                                 "is not 'T', 'F' or 0 ({} bad values in all)",
                                 first_byte, first_off, bad_count)});
    }
  }
  if (m_logical_vla_overflow) {
    out.push_back({"fits.table-data", Severity::info, "",
                   "more than 1048576 logical variable-length arrays: the rest were not checked"});
  }
  return out;
}

}  // namespace hemera::fits
