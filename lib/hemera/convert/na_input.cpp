// SPDX-License-Identifier: Apache-2.0
#include <hemera/convert/na_input.hpp>

#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace hemera::convert {

namespace na = nasa_ames;

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// Adapts a NaSink to the parser: stops at the first error, the sink's or the collector's.
class Adapter : public na::Consumer {
 public:
  Adapter(NaSink& sink, validate::Collector& collector) : m_sink(sink), m_collector(collector) {}

  bool on_header(const na::Header& h) override
  {
    m_header_seen = true;
    return step(m_sink.header(h));
  }
  bool on_mark(const na::Mark& m) override { return step(m_sink.mark(m)); }
  bool on_values(const na::Values& v) override { return step(m_sink.values(v)); }

  std::optional<Error> error;
  bool m_header_seen = false;

 private:
  bool step(Result<void> r)
  {
    if (!r) {
      error = std::move(r.error());
      return false;
    }
    return !m_collector.has_errors();
  }

  NaSink& m_sink;
  validate::Collector& m_collector;
};

}  // namespace

Result<NaRead> read_nasa_ames(const std::filesystem::path& path, NaSink& sink,
                              const validate::Profile& profile)
{
  validate::Collector collector(path.string(), na::k_format, profile);
  Adapter adapter(sink, collector);
  auto stats = HEMERA_TRY(na::parse(path, adapter, collector, profile));
  if (adapter.error) {
    return tl::unexpected(with_where(*adapter.error, path.string()));
  }
  auto report = collector.take();
  NaRead out;
  out.stats = stats;
  for (auto& f : report.findings) {
    if (f.severity == validate::Severity::error) {
      std::string where = path.string();
      if (f.location.line) {
        where += fmt::format(":{}", *f.location.line);
        if (f.location.column) {
          where += fmt::format(":{}", *f.location.column);
        }
      }
      return fail(Errc::data,
                  fmt::format("not valid NASA Ames under the {} profile: {}", profile.name,
                              f.message),
                  where, {}, f.rule);
    }
    out.warnings.push_back(std::move(f));
  }
  if (!adapter.m_header_seen || !stats.header_complete) {
    return fail(Errc::data, "no complete NASA Ames header", path.string(), {}, "H1");
  }
  HEMERA_TRY(sink.finish());
  return out;
}

std::vector<NaColumn> table_columns(const na::Header& h)
{
  std::vector<NaColumn> cols;
  cols.push_back({h.mark_name(), "independent", h.ffi == 2160});
  for (const auto& a : h.aux) {
    cols.push_back({a.name, "auxiliary", a.is_text});
  }
  int niv = h.niv();
  if (h.ffi != 1020) {
    for (int s = niv - 2; s >= 0; --s) {
      cols.push_back({h.xname[static_cast<std::size_t>(s)], "independent", false});
    }
  }
  for (const auto& v : h.vars) {
    cols.push_back({v.name, "primary", false});
  }
  return cols;
}

Result<void> RowBuilder::header(const na::Header& h)
{
  m_h = h;
  auto cols = table_columns(h);
  m_ncols = cols.size();
  m_row.resize(m_ncols);
  return m_out.begin(h, cols);
}

double RowBuilder::var_value(std::size_t n, double recorded) const
{
  const auto& v = m_h.vars[n];
  return recorded == v.missing ? k_nan : recorded * v.scale;
}

Result<void> RowBuilder::mark(const na::Mark& m)
{
  if (m_in_mark) {
    HEMERA_TRY(flush_mark());
  }
  m_in_mark = true;
  m_x = m.x;
  m_x_text = std::string(m.x_text);
  m_aux.clear();
  for (std::size_t a = 0; a < m.aux.size(); ++a) {
    const auto& var = m_h.aux[a];
    m_aux.push_back(m.aux[a] == var.missing ? k_nan : m.aux[a] * var.scale);
  }
  m_aux_text.assign(m.aux_text.begin(), m.aux_text.end());
  for (auto& r : m_records) {
    r.clear();
  }
  return {};
}

Result<void> RowBuilder::emit()
{
  for (const auto& c : m_row) {
    if (!c.is_text) {
      ++m_cells;
    }
  }
  ++m_rows;
  return m_out.row(m_row);
}

Result<void> RowBuilder::values(const na::Values& v)
{
  const int ffi = m_h.ffi;
  std::size_t c = 0;
  auto put_mark = [&] {
    c = 0;
    if (ffi == 2160) {
      m_row[c++] = Cell{0, m_x_text, true};
    } else {
      m_row[c++] = Cell{m_x, {}, false};
    }
    for (double a : m_aux) {
      m_row[c++] = Cell{a, {}, false};
    }
    for (const auto& t : m_aux_text) {
      m_row[c++] = Cell{0, t, true};
    }
  };
  if (ffi == 1001 || ffi == 1010) {
    put_mark();
    if (v.values.size() != m_h.nv()) {
      return fail(Errc::internal, "a record does not hold NV values");
    }
    for (std::size_t n = 0; n < v.values.size(); ++n) {
      m_row[c++] = Cell{var_value(n, v.values[n]), {}, false};
    }
    return emit();
  }
  if (ffi == 2110 || ffi == 2160) {
    put_mark();
    if (v.values.size() != m_h.nv() + 1) {
      return fail(Errc::internal, "a record does not hold X and NV values");
    }
    m_row[c++] = Cell{v.values[0], {}, false};
    for (std::size_t n = 0; n + 1 < v.values.size(); ++n) {
      m_row[c++] = Cell{var_value(n, v.values[n + 1]), {}, false};
    }
    return emit();
  }
  std::size_t per_var = 1;
  if (ffi == 3010) {
    per_var = static_cast<std::size_t>(m_h.axes[1].nx);
  } else if (ffi == 4010) {
    per_var = static_cast<std::size_t>(m_h.axes[1].nx * m_h.axes[2].nx);
  }
  if (v.var < 0 || static_cast<std::size_t>(v.var) >= m_h.nv() || v.row < 0 ||
      static_cast<std::size_t>(v.row) >= per_var) {
    return fail(Errc::internal, "a data record out of the mark's layout");
  }
  std::size_t idx = static_cast<std::size_t>(v.var) * per_var + static_cast<std::size_t>(v.row);
  if (m_records.size() <= idx) {
    m_records.resize(idx + 1);  // grows with the records read, never with a header count
  }
  m_records[idx].assign(v.values.begin(), v.values.end());
  return {};
}

Result<void> RowBuilder::flush_mark()
{
  m_in_mark = false;
  const int ffi = m_h.ffi;
  if (ffi == 1001 || ffi == 1010 || ffi == 2110 || ffi == 2160) {
    return {};
  }
  const std::size_t nv = m_h.nv();
  auto base = [&] {
    std::size_t c = 0;
    m_row[c++] = Cell{m_x, {}, false};
    for (double a : m_aux) {
      m_row[c++] = Cell{a, {}, false};
    }
    return c;
  };
  auto rec = [&](std::size_t idx, std::size_t i) -> Result<double> {
    if (idx >= m_records.size() || i >= m_records[idx].size()) {
      return fail(Errc::internal, "a mark's data records are incomplete");
    }
    return m_records[idx][i];
  };
  if (ffi == 1020) {
    auto nvpm = static_cast<std::size_t>(m_h.nvpm);
    for (std::size_t i = 0; i < nvpm; ++i) {
      std::size_t c = base();
      m_row[0].value = m_x + static_cast<double>(i) * m_h.dx[0];
      for (std::size_t n = 0; n < nv; ++n) {
        m_row[c++] = Cell{var_value(n, HEMERA_TRY(rec(n, i))), {}, false};
      }
      HEMERA_TRY(emit());
    }
    return {};
  }
  if (ffi == 2010 || ffi == 2310) {
    std::int64_t nx = ffi == 2010 ? m_h.axes[0].nx : 0;
    if (ffi == 2310) {
      if (m_aux.size() < 3 || !std::isfinite(m_aux[0])) {
        return {};  // NX(m,1) missing: records omitted
      }
      nx = static_cast<std::int64_t>(m_aux[0]);
    }
    for (std::int64_t i = 0; i < nx; ++i) {
      std::size_t c = base();
      double x1 = ffi == 2010 ? m_h.axes[0].value(i, m_h.dx[0])
                              : m_aux[1] + static_cast<double>(i) * m_aux[2];
      m_row[c++] = Cell{x1, {}, false};
      for (std::size_t n = 0; n < nv; ++n) {
        m_row[c++] = Cell{var_value(n, HEMERA_TRY(rec(n, static_cast<std::size_t>(i)))), {}, false};
      }
      HEMERA_TRY(emit());
    }
    return {};
  }
  // 3010, 4010: rows over the bounded axes, slowest first.
  std::int64_t nx1 = m_h.axes[0].nx, nx2 = m_h.axes[1].nx;
  std::int64_t nx3 = ffi == 4010 ? m_h.axes[2].nx : 1;
  std::size_t per_var = static_cast<std::size_t>(nx2 * nx3);
  for (std::int64_t k = 0; k < nx3; ++k) {
    for (std::int64_t j = 0; j < nx2; ++j) {
      for (std::int64_t i = 0; i < nx1; ++i) {
        std::size_t c = base();
        if (ffi == 4010) {
          m_row[c++] = Cell{m_h.axes[2].value(k, m_h.dx[2]), {}, false};
        }
        m_row[c++] = Cell{m_h.axes[1].value(j, m_h.dx[1]), {}, false};
        m_row[c++] = Cell{m_h.axes[0].value(i, m_h.dx[0]), {}, false};
        std::size_t row = static_cast<std::size_t>(k * nx2 + j);
        for (std::size_t n = 0; n < nv; ++n) {
          m_row[c++] = Cell{var_value(n, HEMERA_TRY(rec(n * per_var + row,
                                                        static_cast<std::size_t>(i)))),
                            {}, false};
        }
        HEMERA_TRY(emit());
      }
    }
  }
  return {};
}

Result<void> RowBuilder::finish()
{
  if (m_in_mark) {
    HEMERA_TRY(flush_mark());
  }
  return m_out.end();
}

}  // namespace hemera::convert
