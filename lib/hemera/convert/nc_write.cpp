// SPDX-License-Identifier: Apache-2.0
// NASA Ames (all nine FFIs) to netCDF-4 following CF 1.8, one pass, the marks
// written in blocks along unlimited dimensions.
//
// Layout: the unbounded X is an unlimited coordinate dimension; 2010/3010/4010
// add one fixed coordinate dimension per header axis; 2110/2160/2310 store
// their per-mark bounded records as a CF contiguous ragged array (an unlimited
// "obs" dimension and a count variable, A(1) = NX(m,1), with
// sample_dimension); 1020's implied X has its own unlimited dimension beside
// the marks'. Values are physical (recorded x scale) doubles with _FillValue;
// nasa_ames_* attributes keep what is needed to write the file back.
#include <cmath>
#include <ctime>
#include <limits>
#include <set>

#include <netcdf.h>

#include <fmt/format.h>

#include <hemera/convert/convert.hpp>
#include <hemera/convert/na_input.hpp>
#include <hemera/convert/nc_util.hpp>
#include <hemera/convert/output.hpp>
#include <hemera/version.hpp>

namespace hemera::convert {

namespace na = nasa_ames;

namespace {

constexpr std::size_t k_block = 1 << 16;  // values buffered per variable
constexpr std::size_t k_chunk = 1 << 12;  // values per netCDF chunk
constexpr std::size_t k_chunk_cache = 1 << 20;  // bytes of chunk cache per variable

// One numeric variable written in blocks along its first (unlimited) dimension.
struct Column {
  int varid = -1;
  std::size_t row_len = 1;            // values per step of the unlimited dimension
  std::vector<std::size_t> fixed;     // lengths of the other dimensions
  std::vector<double> buf;
  std::size_t start = 0;              // rows already written
};

// One character variable (name, fixed length) written in blocks.
struct TextColumn {
  int varid = -1;
  std::size_t len = 1;
  std::string buf;
  std::size_t start = 0;
};

class NcWriter : public NaSink {
 public:
  NcWriter(std::string path, std::string temp, std::string source, int deflate)
    : m_path(std::move(path)), m_temp(std::move(temp)), m_source(std::move(source)),
      m_deflate(deflate)
  {
  }
  NcWriter(const NcWriter&) = delete;
  NcWriter& operator=(const NcWriter&) = delete;
  ~NcWriter() override
  {
    if (m_ncid >= 0) {
      nc_close(m_ncid);
    }
  }

  Result<void> header(const na::Header& h) override;
  Result<void> mark(const na::Mark& m) override;
  Result<void> values(const na::Values& v) override;
  Result<void> finish() override;

  std::int64_t marks = 0;
  std::int64_t values_written = 0;
  int ffi = 0;

 private:
  Result<void> ok(int status, const std::string& what) { return nc::check(status, what, m_path); }
  Result<int> def_dim(const std::string& name, std::size_t len);
  Result<int> def_var(const std::string& name, nc_type type, const std::vector<int>& dims);
  Result<void> text_att(int varid, const std::string& name, const std::string& value);
  Result<void> double_att(int varid, const std::string& name, double value);
  Result<void> int_att(int varid, const std::string& name, int value);
  Result<void> describe_x(int varid, std::size_t s, bool with_interval);
  Result<void> describe_var(int varid, const na::Variable& v, const char* role);
  Result<Column> numeric(const std::string& name, const std::vector<int>& dims,
                         const std::vector<std::size_t>& fixed, nc_type type = NC_DOUBLE);
  Result<void> push(Column& c, double v);
  Result<void> flush(Column& c, bool all);
  Result<void> push_text(TextColumn& c, std::string_view v);
  Result<void> flush_text(TextColumn& c);
  Result<void> write_axis(int varid, const na::Axis& axis, double dx);
  double physical(const na::Variable& v, double recorded) const
  {
    return recorded == v.missing ? fill(v) : recorded * v.scale;
  }
  static double fill(const na::Variable& v)
  {
    double f = v.missing * v.scale;
    return std::isfinite(f) && v.scale != 0 ? f : NC_FILL_DOUBLE;
  }

  std::string m_path, m_temp, m_source;
  int m_deflate = 0;
  int m_ncid = -1;
  na::Header m_h;
  std::set<std::string> m_used;
  std::optional<double> m_time_unit;  // seconds per unit of the time X
  Column m_x;                // the unbounded X (1020: the implied X)
  Column m_mark_x;           // 1020: X(m)
  TextColumn m_mark_text;    // 2160: the character mark
  std::vector<Column> m_aux;
  std::vector<TextColumn> m_aux_text;
  Column m_count;            // 2110/2160/2310: NX(m,1) with sample_dimension
  Column m_x1;               // 2110/2160/2310: X(i,m,1) along obs
  std::vector<Column> m_vars;
  std::vector<std::pair<int, std::size_t>> m_axis_vars;  // header axes to write at the end
};

Result<int> NcWriter::def_dim(const std::string& name, std::size_t len)
{
  int id = -1;
  HEMERA_TRY(ok(nc_def_dim(m_ncid, name.c_str(), len, &id), "cannot define dimension " + name));
  return id;
}

Result<int> NcWriter::def_var(const std::string& name, nc_type type, const std::vector<int>& dims)
{
  int id = -1;
  HEMERA_TRY(ok(nc_def_var(m_ncid, name.c_str(), type, static_cast<int>(dims.size()), dims.data(),
                           &id),
                "cannot define variable " + name));
  return id;
}

Result<void> NcWriter::text_att(int varid, const std::string& name, const std::string& value)
{
  return ok(nc_put_att_text(m_ncid, varid, name.c_str(), value.size(), value.data()),
            "cannot write attribute " + name);
}

Result<void> NcWriter::double_att(int varid, const std::string& name, double value)
{
  return ok(nc_put_att_double(m_ncid, varid, name.c_str(), NC_DOUBLE, 1, &value),
            "cannot write attribute " + name);
}

Result<void> NcWriter::int_att(int varid, const std::string& name, int value)
{
  return ok(nc_put_att_int(m_ncid, varid, name.c_str(), NC_INT, 1, &value),
            "cannot write attribute " + name);
}

Result<void> NcWriter::describe_x(int varid, std::size_t s, bool with_interval)
{
  const std::string& name = m_h.xname[s];
  HEMERA_TRY(text_att(varid, "long_name", label_of(name)));
  auto unit = na::seconds_per_unit(name);
  auto word = unit ? nc::time_unit_word(*unit) : std::nullopt;
  if (word && m_h.date.valid()) {
    HEMERA_TRY(text_att(varid, "standard_name", "time"));
    HEMERA_TRY(text_att(varid, "units", fmt::format("{} since {} 00:00:00", *word, m_h.date.iso())));
    HEMERA_TRY(text_att(varid, "calendar", "standard"));
    HEMERA_TRY(text_att(varid, "axis", "T"));
  } else if (auto u = units_of(name); !u.empty()) {
    HEMERA_TRY(text_att(varid, "units", u));
  }
  HEMERA_TRY(text_att(varid, "nasa_ames_name", name));
  HEMERA_TRY(text_att(varid, "nasa_ames_role", "independent"));
  if (with_interval) {
    HEMERA_TRY(double_att(varid, "nasa_ames_interval", m_h.dx[s]));
  }
  return {};
}

Result<void> NcWriter::describe_var(int varid, const na::Variable& v, const char* role)
{
  HEMERA_TRY(text_att(varid, "long_name", label_of(v.name)));
  if (auto u = units_of(v.name); !u.empty()) {
    HEMERA_TRY(text_att(varid, "units", u));
  }
  HEMERA_TRY(text_att(varid, "nasa_ames_name", v.name));
  HEMERA_TRY(text_att(varid, "nasa_ames_role", role));
  if (v.is_text) {
    HEMERA_TRY(int_att(varid, "nasa_ames_length", v.length));
    return text_att(varid, "nasa_ames_missing_value", v.missing_text);
  }
  HEMERA_TRY(double_att(varid, "nasa_ames_scale_factor", v.scale));
  return double_att(varid, "nasa_ames_missing_value", v.missing);
}

Result<Column> NcWriter::numeric(const std::string& name, const std::vector<int>& dims,
                                 const std::vector<std::size_t>& fixed, nc_type type)
{
  Column c;
  c.varid = HEMERA_TRY(def_var(name, type, dims));
  c.fixed = fixed;
  for (auto f : fixed) {
    c.row_len *= f;
  }
  // Chunks of about k_block values: whole rows when they are small.
  std::vector<std::size_t> chunk(dims.size(), 1);
  std::size_t budget = k_chunk;
  for (std::size_t d = dims.size(); d-- > 1;) {
    chunk[d] = std::max<std::size_t>(1, std::min(fixed[d - 1], budget));
    budget = std::max<std::size_t>(1, budget / chunk[d]);
  }
  chunk[0] = budget;
  HEMERA_TRY(ok(nc_def_var_chunking(m_ncid, c.varid, NC_CHUNKED, chunk.data()),
                "cannot set the chunking of " + name));
  // Chunks are written once, in order: a small cache per variable is enough,
  // and keeps memory flat however large the file (the default is 16 MiB each).
  HEMERA_TRY(ok(nc_set_var_chunk_cache(m_ncid, c.varid, k_chunk_cache, 37, 1.0f),
                "cannot set the chunk cache of " + name));
  if (m_deflate > 0) {
    HEMERA_TRY(ok(nc_def_var_deflate(m_ncid, c.varid, 1, 1, m_deflate),
                  "cannot set the compression of " + name));
  }
  return c;
}

Result<void> NcWriter::flush(Column& c, bool all)
{
  std::size_t rows = c.buf.size() / c.row_len;
  if (rows == 0 || (!all && c.buf.size() < k_block)) {
    return {};
  }
  std::vector<std::size_t> start(1 + c.fixed.size(), 0), count(1 + c.fixed.size(), 0);
  start[0] = c.start;
  count[0] = rows;
  for (std::size_t d = 0; d < c.fixed.size(); ++d) {
    count[d + 1] = c.fixed[d];
  }
  HEMERA_TRY(ok(nc_put_vara_double(m_ncid, c.varid, start.data(), count.data(), c.buf.data()),
                "cannot write values"));
  c.start += rows;
  c.buf.erase(c.buf.begin(), c.buf.begin() + static_cast<std::ptrdiff_t>(rows * c.row_len));
  return {};
}

Result<void> NcWriter::push(Column& c, double v)
{
  c.buf.push_back(v);
  ++values_written;
  if (c.buf.size() >= k_block) {
    return flush(c, false);
  }
  return {};
}

Result<void> NcWriter::flush_text(TextColumn& c)
{
  std::size_t rows = c.buf.size() / c.len;
  if (rows == 0) {
    return {};
  }
  std::size_t start[2] = {c.start, 0};
  std::size_t count[2] = {rows, c.len};
  HEMERA_TRY(ok(nc_put_vara_text(m_ncid, c.varid, start, count, c.buf.data()),
                "cannot write text values"));
  c.start += rows;
  c.buf.clear();
  return {};
}

Result<void> NcWriter::push_text(TextColumn& c, std::string_view v)
{
  std::string s(v.substr(0, c.len));
  s.resize(c.len, '\0');
  c.buf += s;
  if (c.buf.size() >= k_block) {
    return flush_text(c);
  }
  return {};
}

Result<void> NcWriter::write_axis(int varid, const na::Axis& axis, double dx)
{
  std::vector<double> block;
  for (std::int64_t i = 0; i < axis.nx;) {
    block.clear();
    std::size_t start = static_cast<std::size_t>(i);
    for (; i < axis.nx && block.size() < k_block; ++i) {
      block.push_back(axis.value(i, dx));
    }
    std::size_t count = block.size();
    HEMERA_TRY(ok(nc_put_vara_double(m_ncid, varid, &start, &count, block.data()),
                  "cannot write an axis"));
  }
  return {};
}

Result<void> NcWriter::header(const na::Header& h)
{
  m_h = h;
  ffi = h.ffi;
  HEMERA_TRY(ok(nc_create(m_temp.c_str(), NC_CLOBBER | NC_NETCDF4, &m_ncid),
                "cannot create the netCDF file"));
  // Global attributes.
  HEMERA_TRY(text_att(NC_GLOBAL, "Conventions", "CF-1.8"));
  HEMERA_TRY(text_att(NC_GLOBAL, "title", h.mname));
  HEMERA_TRY(text_att(NC_GLOBAL, "originator", h.oname));
  HEMERA_TRY(text_att(NC_GLOBAL, "institution", h.org));
  HEMERA_TRY(text_att(NC_GLOBAL, "source", h.sname));
  HEMERA_TRY(text_att(NC_GLOBAL, "mission", h.mname));
  auto join = [](const std::vector<std::string>& lines) {
    std::string s;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      s += (i > 0 ? "\n" : "") + lines[i];
    }
    return s;
  };
  std::vector<std::string> all = h.scom;
  all.insert(all.end(), h.ncom.begin(), h.ncom.end());
  if (!all.empty()) {
    HEMERA_TRY(text_att(NC_GLOBAL, "comment", join(all)));
  }
  if (!h.scom.empty()) {
    HEMERA_TRY(text_att(NC_GLOBAL, "special_comments", join(h.scom)));
  }
  if (!h.ncom.empty()) {
    HEMERA_TRY(text_att(NC_GLOBAL, "normal_comments", join(h.ncom)));
  }
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  HEMERA_TRY(text_att(NC_GLOBAL, "history",
                      fmt::format("{}: hemera-convert {}: from NASA Ames FFI {} file {}", stamp,
                                  version(), h.ffi, m_source)));
  HEMERA_TRY(text_att(NC_GLOBAL, "date_modified", h.rdate.iso()));
  HEMERA_TRY(int_att(NC_GLOBAL, "nasa_ames_ffi", h.ffi));
  HEMERA_TRY(text_att(NC_GLOBAL, "nasa_ames_date", h.date.iso()));
  HEMERA_TRY(text_att(NC_GLOBAL, "nasa_ames_revision_date", h.rdate.iso()));
  HEMERA_TRY(int_att(NC_GLOBAL, "nasa_ames_ivol", h.ivol));
  HEMERA_TRY(int_att(NC_GLOBAL, "nasa_ames_nvol", h.nvol));
  if (h.ffi == 1020) {
    HEMERA_TRY(int_att(NC_GLOBAL, "nasa_ames_nvpm", h.nvpm));
  }
  if (h.ffi == 2160) {
    HEMERA_TRY(int_att(NC_GLOBAL, "nasa_ames_lenx", h.lenx));
  }

  const std::size_t niv = static_cast<std::size_t>(h.niv());
  const std::size_t u = niv - 1;  // the unbounded X
  auto xname_of = [&](std::size_t s) {
    auto unit = na::seconds_per_unit(h.xname[s]);
    if (unit && nc::time_unit_word(*unit) && h.date.valid() && m_used.count("time") == 0) {
      return nc::unique_name("time", m_used);
    }
    return nc::unique_name(label_of(h.xname[s]), m_used);
  };
  const bool ragged = h.ffi == 2110 || h.ffi == 2160 || h.ffi == 2310;
  std::string uname = xname_of(u);
  int udim = HEMERA_TRY(def_dim(uname, NC_UNLIMITED));
  int markdim = udim;
  if (h.ffi == 2160) {
    int slen = HEMERA_TRY(def_dim(uname + "_strlen", static_cast<std::size_t>(std::max(1, h.lenx))));
    m_mark_text.varid = HEMERA_TRY(def_var(uname, NC_CHAR, {udim, slen}));
    m_mark_text.len = static_cast<std::size_t>(std::max(1, h.lenx));
    HEMERA_TRY(describe_x(m_mark_text.varid, u, true));
    HEMERA_TRY(text_att(m_mark_text.varid, "cf_role", "profile_id"));
  } else if (h.ffi == 1020) {
    markdim = HEMERA_TRY(def_dim(uname + "_mark", NC_UNLIMITED));
    m_x = HEMERA_TRY(numeric(uname, {udim}, {}));
    HEMERA_TRY(describe_x(m_x.varid, u, true));
    m_mark_x = HEMERA_TRY(numeric(uname + "_mark", {markdim}, {}));
    HEMERA_TRY(describe_x(m_mark_x.varid, u, false));
    HEMERA_TRY(text_att(m_mark_x.varid, "long_name", label_of(h.xname[u]) + " at each mark"));
  } else {
    m_x = HEMERA_TRY(numeric(uname, {udim}, {}));
    HEMERA_TRY(describe_x(m_x.varid, u, true));
  }
  // Bounded dimensions: header axes (2010/3010/4010) or the ragged obs dimension.
  std::vector<int> vdims = {udim};
  std::vector<std::size_t> vfixed;
  std::vector<std::pair<int, std::size_t>> axis_vars;  // varid, axis index
  int obsdim = -1;
  if (ragged) {
    obsdim = HEMERA_TRY(def_dim(nc::unique_name("obs", m_used), NC_UNLIMITED));
    m_x1 = HEMERA_TRY(numeric(nc::unique_name(label_of(h.xname[0]), m_used), {obsdim}, {}));
    HEMERA_TRY(describe_x(m_x1.varid, 0, h.ffi != 2310));
    vdims = {obsdim};
  } else if (niv >= 2) {
    double cells = 1;
    for (const auto& ax : h.axes) {
      cells *= static_cast<double>(ax.nx);
    }
    if (cells > 1e12) {
      return fail(Errc::data, "the header axes define more than 10^12 values per mark",
                  m_path, {}, "H8");
    }
    for (std::size_t s = niv - 1; s-- > 0;) {
      std::string name = xname_of(s);
      auto len = static_cast<std::size_t>(h.axes[s].nx);
      int dim = HEMERA_TRY(def_dim(name, len));
      int var = HEMERA_TRY(def_var(name, NC_DOUBLE, {dim}));
      HEMERA_TRY(describe_x(var, s, true));
      HEMERA_TRY(int_att(var, "nasa_ames_nxdef", static_cast<int>(h.axes[s].listed.size())));
      axis_vars.emplace_back(var, s);
      vdims.push_back(dim);
      vfixed.push_back(len);
    }
  }
  // Auxiliary variables, per mark.
  for (std::size_t a = 0; a < h.aux.size(); ++a) {
    const auto& av = h.aux[a];
    std::string name = nc::unique_name(label_of(av.name), m_used);
    if (av.is_text) {
      TextColumn t;
      t.len = static_cast<std::size_t>(std::max(1, av.length));
      int slen = HEMERA_TRY(def_dim(name + "_strlen", t.len));
      t.varid = HEMERA_TRY(def_var(name, NC_CHAR, {markdim, slen}));
      HEMERA_TRY(describe_var(t.varid, av, "auxiliary"));
      m_aux_text.push_back(std::move(t));
      continue;
    }
    if (ragged && a == 0) {
      m_count = HEMERA_TRY(numeric(name, {markdim}, {}, NC_INT));
      HEMERA_TRY(describe_var(m_count.varid, av, "auxiliary"));
      HEMERA_TRY(text_att(m_count.varid, "sample_dimension",
                          [&] {
                            char buf[NC_MAX_NAME + 1] = {};
                            nc_inq_dimname(m_ncid, obsdim, buf);
                            return std::string(buf);
                          }()));
      m_aux.emplace_back();  // placeholder keeps the indices of h.aux
      continue;
    }
    Column c = HEMERA_TRY(numeric(name, {markdim}, {}));
    HEMERA_TRY(describe_var(c.varid, av, "auxiliary"));
    double f = fill(av);
    HEMERA_TRY(ok(nc_put_att_double(m_ncid, c.varid, "_FillValue", NC_DOUBLE, 1, &f),
                  "cannot write _FillValue"));
    m_aux.push_back(std::move(c));
  }
  // Primary variables.
  std::string coords;
  if (ragged) {
    char buf[NC_MAX_NAME + 1] = {};
    nc_inq_varname(m_ncid, m_x1.varid, buf);
    coords = buf;
  }
  for (const auto& v : h.vars) {
    Column c = HEMERA_TRY(numeric(nc::unique_name(label_of(v.name), m_used), vdims, vfixed));
    HEMERA_TRY(describe_var(c.varid, v, "primary"));
    double f = fill(v);
    HEMERA_TRY(ok(nc_put_att_double(m_ncid, c.varid, "_FillValue", NC_DOUBLE, 1, &f),
                  "cannot write _FillValue"));
    if (!coords.empty()) {
      HEMERA_TRY(text_att(c.varid, "coordinates", coords));
    }
    m_vars.push_back(std::move(c));
  }
  HEMERA_TRY(ok(nc_enddef(m_ncid), "cannot end the netCDF definitions"));
  // The header axes are written at the end, once the data proved the header
  // right (a hostile NX would otherwise be written before any check).
  m_axis_vars = std::move(axis_vars);
  return {};
}

Result<void> NcWriter::mark(const na::Mark& m)
{
  ++marks;
  const int f = m_h.ffi;
  if (f == 2160) {
    HEMERA_TRY(push_text(m_mark_text, m.x_text));
  } else if (f == 1020) {
    HEMERA_TRY(push(m_mark_x, m.x));
    for (int i = 0; i < m_h.nvpm; ++i) {
      HEMERA_TRY(push(m_x, m.x + static_cast<double>(i) * m_h.dx[0]));
    }
  } else {
    HEMERA_TRY(push(m_x, m.x));
  }
  const bool ragged = f == 2110 || f == 2160 || f == 2310;
  for (std::size_t a = 0; a < m.aux.size() && a < m_aux.size(); ++a) {
    if (ragged && a == 0) {
      HEMERA_TRY(push(m_count, static_cast<double>(std::max<std::int64_t>(m.nx1, 0))));
      continue;
    }
    HEMERA_TRY(push(m_aux[a], physical(m_h.aux[a], m.aux[a])));
  }
  for (std::size_t a = 0; a < m.aux_text.size() && a < m_aux_text.size(); ++a) {
    HEMERA_TRY(push_text(m_aux_text[a], m.aux_text[a]));
  }
  if (f == 2310) {
    for (std::int64_t i = 0; i < m.nx1; ++i) {
      HEMERA_TRY(push(m_x1, m.aux[1] + static_cast<double>(i) * m.aux[2]));
    }
  }
  return {};
}

Result<void> NcWriter::values(const na::Values& v)
{
  const int f = m_h.ffi;
  if (f == 1001 || f == 1010) {
    for (std::size_t n = 0; n < v.values.size() && n < m_vars.size(); ++n) {
      HEMERA_TRY(push(m_vars[n], physical(m_h.vars[n], v.values[n])));
    }
    return {};
  }
  if (f == 2110 || f == 2160) {
    if (v.values.empty()) {
      return {};
    }
    HEMERA_TRY(push(m_x1, v.values[0]));
    for (std::size_t n = 0; n + 1 < v.values.size() && n < m_vars.size(); ++n) {
      HEMERA_TRY(push(m_vars[n], physical(m_h.vars[n], v.values[n + 1])));
    }
    return {};
  }
  if (v.var < 0 || static_cast<std::size_t>(v.var) >= m_vars.size()) {
    return fail(Errc::internal, "a data record names no variable");
  }
  auto n = static_cast<std::size_t>(v.var);
  for (double x : v.values) {
    HEMERA_TRY(push(m_vars[n], physical(m_h.vars[n], x)));
  }
  return {};
}

Result<void> NcWriter::finish()
{
  if (m_ncid < 0) {
    return fail(Errc::data, "no NASA Ames header", m_path);
  }
  for (Column* c : {&m_x, &m_mark_x, &m_count, &m_x1}) {
    if (c->varid >= 0) {
      HEMERA_TRY(flush(*c, true));
    }
  }
  HEMERA_TRY(flush_text(m_mark_text));
  for (auto& c : m_aux) {
    if (c.varid >= 0) {
      HEMERA_TRY(flush(c, true));
    }
  }
  for (auto& t : m_aux_text) {
    HEMERA_TRY(flush_text(t));
  }
  for (auto& c : m_vars) {
    if (c.buf.size() % c.row_len != 0) {
      return fail(Errc::internal, "a variable ends with a partial row");
    }
    HEMERA_TRY(flush(c, true));
  }
  for (auto [var, s] : m_axis_vars) {
    HEMERA_TRY(write_axis(var, m_h.axes[s], m_h.dx[s]));
  }
  int id = m_ncid;
  m_ncid = -1;
  return ok(nc_close(id), "cannot close the netCDF file");
}

}  // namespace

Result<Report> nasa_ames_to_netcdf(const std::filesystem::path& in, const std::filesystem::path& out,
                                   const Options& options)
{
  if (out == "-") {
    return fail(Errc::usage, "netCDF cannot be written to standard output: give --output FILE");
  }
  auto output = HEMERA_TRY(AtomicOutput::open(out, options.overwrite));
  HEMERA_TRY(output.hand_over());
  NcWriter writer(out.string(), output.temp_path().string(), in.filename().string(),
                  options.deflate);
  auto read = HEMERA_TRY(read_nasa_ames(in, writer, options.profile));
  HEMERA_TRY(output.commit());
  Report r;
  r.input = in.string();
  r.output = out.string();
  r.from = Format::nasa_ames;
  r.to = Format::netcdf;
  r.ffi = writer.ffi;
  r.rows = writer.marks;
  r.values = writer.values_written;
  r.input_bytes = static_cast<std::uint64_t>(read.stats.bytes);
  std::error_code ec;
  r.output_bytes = std::filesystem::file_size(out, ec);
  r.warnings = std::move(read.warnings);
  return r;
}

}  // namespace hemera::convert
