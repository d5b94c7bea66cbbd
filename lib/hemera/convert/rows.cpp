// SPDX-License-Identifier: Apache-2.0
// NASA Ames to CSV and JSON: the rows of na_input.hpp, streamed to a file.
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include <hemera/convert/convert.hpp>
#include <hemera/convert/na_input.hpp>
#include <hemera/convert/output.hpp>

namespace hemera::convert {

namespace na = nasa_ames;

std::string number_text(double v)
{
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string csv_field(const std::string& text)
{
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    return text;
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string units_of(const std::string& name)
{
  auto close = name.rfind(')');
  if (close == std::string::npos) {
    return {};
  }
  // The matching "(" of the last ")".
  int depth = 0;
  for (std::size_t i = close + 1; i-- > 0;) {
    if (name[i] == ')') {
      ++depth;
    } else if (name[i] == '(' && --depth == 0) {
      std::string u = name.substr(i + 1, close - i - 1);
      auto b = u.find_first_not_of(' ');
      auto e = u.find_last_not_of(' ');
      return b == std::string::npos ? std::string() : u.substr(b, e - b + 1);
    }
  }
  return {};
}

std::string label_of(const std::string& name)
{
  std::string u = units_of(name);
  std::string s = name;
  if (!u.empty()) {
    auto close = name.rfind(')');
    int depth = 0;
    for (std::size_t i = close + 1; i-- > 0;) {
      if (name[i] == ')') {
        ++depth;
      } else if (name[i] == '(' && --depth == 0) {
        s = name.substr(0, i) + name.substr(close + 1);
        break;
      }
    }
  }
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string::npos ? name : s.substr(b, e - b + 1);
}

namespace {

nlohmann::json header_json(const na::Header& h)
{
  nlohmann::json d;
  d["ffi"] = h.ffi;
  d["oname"] = h.oname;
  d["org"] = h.org;
  d["sname"] = h.sname;
  d["mname"] = h.mname;
  d["ivol"] = h.ivol;
  d["nvol"] = h.nvol;
  d["date"] = h.date.iso();
  d["rdate"] = h.rdate.iso();
  d["dx"] = h.dx;
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
  nlohmann::json axes = nlohmann::json::array();
  for (const auto& a : h.axes) {
    axes.push_back({{"nx", a.nx}, {"nxdef", a.listed.size()}, {"listed", a.listed}});
  }
  d["axes"] = axes;
  if (h.ffi == 1020) {
    d["nvpm"] = h.nvpm;
  }
  if (h.ffi == 2160) {
    d["lenx"] = h.lenx;
  }
  d["special_comments"] = h.scom;
  d["normal_comments"] = h.ncom;
  return d;
}

// Writes rows as CSV: optional "# " header lines, one header row, one line per row.
class CsvSink : public RowSink {
 public:
  CsvSink(AtomicOutput& out, bool annotated) : m_out(out), m_annotated(annotated) {}

  Result<void> begin(const na::Header& h, const std::vector<NaColumn>& columns) override
  {
    std::string s;
    if (m_annotated) {
      s += fmt::format("# NASA Ames FFI {}\n", h.ffi);
      s += "# ONAME: " + h.oname + "\n";
      s += "# ORG: " + h.org + "\n";
      s += "# SNAME: " + h.sname + "\n";
      s += "# MNAME: " + h.mname + "\n";
      s += fmt::format("# IVOL NVOL: {} {}\n", h.ivol, h.nvol);
      s += "# DATE: " + h.date.iso() + "\n";
      s += "# RDATE: " + h.rdate.iso() + "\n";
      for (std::size_t a = 0; a < h.vars.size(); ++a) {
        s += fmt::format("# V{} scale {} missing {}: {}\n", a + 1, number_text(h.vars[a].scale),
                         number_text(h.vars[a].missing), h.vars[a].name);
      }
      for (const auto& c : h.scom) {
        s += "# SCOM: " + c + "\n";
      }
      for (const auto& c : h.ncom) {
        s += "# NCOM: " + c + "\n";
      }
    }
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) {
        s += ',';
      }
      s += csv_field(columns[i].name);
    }
    s += '\n';
    return m_out.write(s);
  }

  Result<void> row(std::span<const Cell> cells) override
  {
    m_line.clear();
    char buf[64];
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) {
        m_line += ',';
      }
      const Cell& c = cells[i];
      if (c.is_text) {
        m_line += csv_field(std::string(c.text));
      } else if (std::isfinite(c.value)) {
        auto r = std::to_chars(buf, buf + sizeof buf, c.value);
        m_line.append(buf, r.ptr);
      }
    }
    m_line += '\n';
    return m_out.write(m_line);
  }

  Result<void> end() override { return {}; }

 private:
  AtomicOutput& m_out;
  bool m_annotated;
  std::string m_line;
};

// Writes {"format", "header", "columns", "rows": [[...], ...]} as the rows stream by.
class JsonSink : public RowSink {
 public:
  explicit JsonSink(AtomicOutput& out) : m_out(out) {}

  Result<void> begin(const na::Header& h, const std::vector<NaColumn>& columns) override
  {
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& c : columns) {
      nlohmann::json o = {{"name", c.name}, {"role", c.role}, {"units", units_of(c.name)}};
      if (c.text) {
        o["text"] = true;
      }
      cols.push_back(o);
    }
    std::string s = "{\"format\":\"nasa-ames\",\"header\":" + header_json(h).dump() +
                    ",\n\"columns\":" + cols.dump() + ",\n\"rows\":[";
    return m_out.write(s);
  }

  Result<void> row(std::span<const Cell> cells) override
  {
    m_line.assign(m_first ? "\n[" : ",\n[");
    m_first = false;
    char buf[64];
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) {
        m_line += ',';
      }
      const Cell& c = cells[i];
      if (c.is_text) {
        m_line += nlohmann::json(std::string(c.text)).dump();
      } else if (!std::isfinite(c.value)) {
        m_line += "null";
      } else {
        auto r = std::to_chars(buf, buf + sizeof buf, c.value);
        m_line.append(buf, r.ptr);
      }
    }
    m_line += ']';
    return m_out.write(m_line);
  }

  Result<void> end() override { return m_out.write("\n]}\n"); }

 private:
  AtomicOutput& m_out;
  std::string m_line;
  bool m_first = true;
};

}  // namespace

Result<Report> nasa_ames_to_rows(const std::filesystem::path& in, const std::filesystem::path& out,
                                 Format to, const Options& options)
{
  if (to != Format::csv && to != Format::json) {
    return fail(Errc::usage, "NASA Ames rows convert to csv or json");
  }
  auto output = HEMERA_TRY(AtomicOutput::open(out, options.overwrite));
  CsvSink csv(output, options.annotated);
  JsonSink json(output);
  RowSink& sink = to == Format::csv ? static_cast<RowSink&>(csv) : static_cast<RowSink&>(json);
  RowBuilder builder(sink);
  struct FfiSpy : NaSink {
    RowBuilder& inner;
    int ffi = 0;
    explicit FfiSpy(RowBuilder& b) : inner(b) {}
    Result<void> header(const na::Header& h) override
    {
      ffi = h.ffi;
      return inner.header(h);
    }
    Result<void> mark(const na::Mark& m) override { return inner.mark(m); }
    Result<void> values(const na::Values& v) override { return inner.values(v); }
    Result<void> finish() override { return inner.finish(); }
  } spy(builder);
  auto read = HEMERA_TRY(read_nasa_ames(in, spy, options.profile));
  HEMERA_TRY(output.commit());
  Report r;
  r.input = in.string();
  r.output = out.string();
  r.from = Format::nasa_ames;
  r.to = to;
  r.ffi = spy.ffi;
  r.rows = builder.rows();
  r.values = builder.cells();
  r.input_bytes = static_cast<std::uint64_t>(read.stats.bytes);
  r.output_bytes = output.bytes();
  r.warnings = std::move(read.warnings);
  return r;
}

}  // namespace hemera::convert
