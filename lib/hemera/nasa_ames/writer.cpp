// SPDX-License-Identifier: Apache-2.0
#include <hemera/nasa_ames/writer.hpp>

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include <hemera/util/fs.hpp>

namespace hemera::nasa_ames {

bool DocumentBuilder::on_header(const Header& header)
{
  m_doc.header = header;
  return true;
}

bool DocumentBuilder::on_mark(const Mark& mark)
{
  MarkData m;
  m.x = m_doc.header.ffi == 2160 ? 0 : mark.x;
  m.x_text = std::string(mark.x_text);
  m.aux.assign(mark.aux.begin(), mark.aux.end());
  m.aux_text.assign(mark.aux_text.begin(), mark.aux_text.end());
  m_doc.marks.push_back(std::move(m));
  return true;
}

bool DocumentBuilder::on_values(const Values& values)
{
  if (!m_doc.marks.empty()) {
    m_doc.marks.back().records.emplace_back(values.values.begin(), values.values.end());
  }
  return true;
}

std::string format_number(double v)
{
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  for (auto& c : s) {
    if (c == 'e') {
      c = 'E';
    }
  }
  return s;
}

namespace {

constexpr std::size_t k_line = 132;

// Collects header or data lines; records wrap at 132 characters.
class Lines {
 public:
  void line(std::string_view text)
  {
    m_out.append(text);
    m_out += '\n';
    ++m_count;
  }

  // Write one record of numbers, continuing on further lines when needed.
  Result<void> record(const std::vector<double>& values)
  {
    std::string cur;
    for (double v : values) {
      if (!std::isfinite(v)) {
        return fail(Errc::data, "cannot write a value that is not a finite number");
      }
      std::string t = format_number(v);
      if (!cur.empty() && cur.size() + 1 + t.size() > k_line) {
        line(cur);
        cur.clear();
      }
      if (!cur.empty()) {
        cur += ' ';
      }
      cur += t;
    }
    line(cur);
    return {};
  }

  Result<void> ints(const std::vector<std::int64_t>& values)
  {
    std::string cur;
    for (auto v : values) {
      std::string t = std::to_string(v);
      if (!cur.empty() && cur.size() + 1 + t.size() > k_line) {
        line(cur);
        cur.clear();
      }
      if (!cur.empty()) {
        cur += ' ';
      }
      cur += t;
    }
    line(cur);
    return {};
  }

  [[nodiscard]] int count() const { return m_count; }
  std::string& text() { return m_out; }

 private:
  std::string m_out;
  int m_count = 0;
};

Result<void> v_block(Lines& l, const Header& h)
{
  l.line(std::to_string(h.vars.size()));
  std::vector<double> scal, miss;
  for (const auto& v : h.vars) {
    scal.push_back(v.scale);
    miss.push_back(v.missing);
  }
  HEMERA_TRY(l.record(scal));
  HEMERA_TRY(l.record(miss));
  for (const auto& v : h.vars) {
    l.line(v.name);
  }
  return {};
}

Result<void> a_block(Lines& l, const Header& h)
{
  l.line(std::to_string(h.aux.size()));
  if (h.aux.empty()) {
    return {};
  }
  std::vector<double> scal, miss;
  for (const auto& v : h.aux) {
    scal.push_back(v.scale);
    miss.push_back(v.missing);
  }
  HEMERA_TRY(l.record(scal));
  HEMERA_TRY(l.record(miss));
  for (const auto& v : h.aux) {
    l.line(v.name);
  }
  return {};
}

Result<void> a_block_2160(Lines& l, const Header& h)
{
  auto nauxc = static_cast<std::size_t>(h.nauxc);
  if (nauxc > h.aux.size()) {
    return fail(Errc::data, "NAUXC is larger than NAUXV");
  }
  std::size_t nreal = h.aux.size() - nauxc;
  l.line(std::to_string(h.aux.size()));
  l.line(std::to_string(nauxc));
  std::vector<double> scal, miss;
  for (std::size_t a = 0; a < nreal; ++a) {
    scal.push_back(h.aux[a].scale);
    miss.push_back(h.aux[a].missing);
  }
  if (nreal > 0) {
    HEMERA_TRY(l.record(scal));
    HEMERA_TRY(l.record(miss));
  }
  if (nauxc > 0) {
    std::vector<std::int64_t> lena;
    for (std::size_t a = nreal; a < h.aux.size(); ++a) {
      lena.push_back(h.aux[a].length);
    }
    HEMERA_TRY(l.ints(lena));
    for (std::size_t a = nreal; a < h.aux.size(); ++a) {
      l.line(h.aux[a].missing_text);
    }
  }
  for (const auto& v : h.aux) {
    l.line(v.name);
  }
  return {};
}

}  // namespace

Result<std::string> format_header(const Header& h)
{
  if (!is_known_ffi(h.ffi)) {
    return fail(Errc::data, fmt::format("FFI {} is not a NASA Ames FFI", h.ffi), {}, {}, "H1");
  }
  auto niv = static_cast<std::size_t>(h.niv());
  if (h.xname.size() != niv || h.dx.size() != niv) {
    return fail(Errc::data, fmt::format("FFI {} needs {} XNAME and DX values", h.ffi, niv));
  }
  if (h.vars.empty()) {
    return fail(Errc::data, "NV must be at least 1", {}, {}, "H3");
  }
  Lines l;
  l.line(h.oname);
  l.line(h.org);
  l.line(h.sname);
  l.line(h.mname);
  l.line(fmt::format("{} {}", h.ivol, h.nvol));
  l.line(fmt::format("{:04d} {:02d} {:02d} {:04d} {:02d} {:02d}", h.date.year, h.date.month,
                     h.date.day, h.rdate.year, h.rdate.month, h.rdate.day));
  switch (h.ffi) {
  case 1001:
  case 1010:
  case 1020:
    HEMERA_TRY(l.record({h.dx[0]}));
    if (h.ffi == 1020) {
      l.line(std::to_string(h.nvpm));
    }
    l.line(h.xname[0]);
    HEMERA_TRY(v_block(l, h));
    if (h.ffi != 1001) {
      HEMERA_TRY(a_block(l, h));
    }
    break;
  case 2010:
  case 3010:
  case 4010: {
    if (h.axes.size() != niv - 1) {
      return fail(Errc::data, fmt::format("FFI {} needs {} header axes", h.ffi, niv - 1));
    }
    HEMERA_TRY(l.record(h.dx));
    std::vector<std::int64_t> nx, nxdef;
    for (const auto& ax : h.axes) {
      nx.push_back(ax.nx);
      nxdef.push_back(static_cast<std::int64_t>(ax.listed.size()));
    }
    HEMERA_TRY(l.ints(nx));
    HEMERA_TRY(l.ints(nxdef));
    for (const auto& ax : h.axes) {
      HEMERA_TRY(l.record(ax.listed));
    }
    for (const auto& x : h.xname) {
      l.line(x);
    }
    HEMERA_TRY(v_block(l, h));
    HEMERA_TRY(a_block(l, h));
    break;
  }
  case 2110:
  case 2310:
    if (h.ffi == 2110) {
      HEMERA_TRY(l.record(h.dx));
    } else {
      HEMERA_TRY(l.record({h.dx[1]}));
    }
    l.line(h.xname[0]);
    l.line(h.xname[1]);
    HEMERA_TRY(v_block(l, h));
    HEMERA_TRY(a_block(l, h));
    break;
  case 2160:
    HEMERA_TRY(l.record({h.dx[0]}));
    l.line(std::to_string(h.lenx));
    l.line(h.xname[0]);
    l.line(h.xname[1]);
    HEMERA_TRY(v_block(l, h));
    HEMERA_TRY(a_block_2160(l, h));
    break;
  default: break;
  }
  l.line(std::to_string(h.scom.size()));
  for (const auto& c : h.scom) {
    l.line(c);
  }
  l.line(std::to_string(h.ncom.size()));
  for (const auto& c : h.ncom) {
    l.line(c);
  }
  return fmt::format("{} {}\n", l.count() + 1, h.ffi) + l.text();
}

Result<void> format_mark(const Header& h, const MarkData& m, std::string& out)
{
  Lines l;
  std::vector<double> first;
  if (h.ffi == 2160) {
    l.line(m.x_text);
    HEMERA_TRY(l.record(m.aux));
    for (const auto& t : m.aux_text) {
      l.line(t);
    }
  } else {
    first.push_back(m.x);
    if (h.ffi == 1001) {
      if (m.records.size() != 1) {
        return fail(Errc::data, "an FFI 1001 mark has exactly one record of NV values");
      }
      first.insert(first.end(), m.records[0].begin(), m.records[0].end());
    } else {
      first.insert(first.end(), m.aux.begin(), m.aux.end());
    }
    HEMERA_TRY(l.record(first));
  }
  if (h.ffi != 1001) {
    for (const auto& r : m.records) {
      HEMERA_TRY(l.record(r));
    }
  }
  out += l.text();
  return {};
}

Result<std::string> format_document(const Document& doc)
{
  std::string out = HEMERA_TRY(format_header(doc.header));
  for (const auto& m : doc.marks) {
    HEMERA_TRY(format_mark(doc.header, m, out));
  }
  return out;
}

Result<void> write_file(const std::filesystem::path& path, const Document& doc)
{
  std::string text = HEMERA_TRY(format_document(doc));
  return util::write_file_atomic(path, text);
}

}  // namespace hemera::nasa_ames
