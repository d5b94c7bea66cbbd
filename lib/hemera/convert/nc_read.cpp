// SPDX-License-Identifier: Apache-2.0
// netCDF (CF) to NASA Ames FFI 1001, 1010, 2010 and 2110, marks read in
// blocks; the file written is parsed under the strict profile before it is
// committed, so what this writes is what hemera-validate accepts.
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <set>

#include <netcdf.h>

#include <fmt/format.h>

#include <hemera/convert/convert.hpp>
#include <hemera/convert/na_input.hpp>
#include <hemera/convert/nc_util.hpp>
#include <hemera/convert/output.hpp>
#include <hemera/nasa_ames/writer.hpp>

namespace hemera::convert {

namespace na = nasa_ames;

namespace {

constexpr std::size_t k_block = 1 << 16;
constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

// Return `v` rounded to `digits` significant digits (removes binary noise).
double round_sig(double v, int digits)
{
  if (!std::isfinite(v) || v == 0) {
    return v;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
  double out = v;
  std::from_chars(buf, r.ptr, out);
  return out;
}

// Return the days from 1970-01-01 to the civil date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<na::Date> parse_date(std::string_view s)
{
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') {
    return std::nullopt;
  }
  na::Date d;
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return r.ec == std::errc() && r.ptr == s.data() + pos + len;
  };
  if (!num(0, 4, d.year) || !num(5, 2, d.month) || !num(8, 2, d.day) || !d.valid()) {
    return std::nullopt;
  }
  return d;
}

struct Var {
  int id = -1;
  std::string name;
  nc_type type = NC_NAT;
  std::vector<int> dims;
  std::map<std::string, std::string> text;  // text attributes
  std::map<std::string, double> num;        // first value of numeric attributes
  bool numeric = false;
};

class Reader {
 public:
  Reader(std::string path) : m_path(std::move(path)) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader()
  {
    if (m_ncid >= 0) {
      nc_close(m_ncid);
    }
  }

  Result<void> open()
  {
    HEMERA_TRY(nc::check(nc_open(m_path.c_str(), NC_NOWRITE, &m_ncid), "cannot open as netCDF",
                         m_path, Errc::data));
    int nvars = 0, ndims = 0;
    HEMERA_TRY(nc::check(nc_inq_nvars(m_ncid, &nvars), "cannot list variables", m_path, Errc::data));
    HEMERA_TRY(nc::check(nc_inq_ndims(m_ncid, &ndims), "cannot list dimensions", m_path, Errc::data));
    std::vector<int> dimids(static_cast<std::size_t>(ndims));
    HEMERA_TRY(nc::check(nc_inq_dimids(m_ncid, &ndims, dimids.data(), 0), "cannot list dimensions",
                         m_path, Errc::data));
    for (int d : dimids) {
      char name[NC_MAX_NAME + 1] = {};
      std::size_t len = 0;
      HEMERA_TRY(nc::check(nc_inq_dim(m_ncid, d, name, &len), "cannot read a dimension", m_path,
                           Errc::data));
      m_dim_name[d] = name;
      m_dim_len[d] = len;
    }
    m_global = HEMERA_TRY(read_var_atts(NC_GLOBAL));
    for (int v = 0; v < nvars; ++v) {
      Var var = HEMERA_TRY(read_var_atts(v));
      var.id = v;
      char name[NC_MAX_NAME + 1] = {};
      int nd = 0;
      HEMERA_TRY(nc::check(nc_inq_var(m_ncid, v, name, &var.type, &nd, nullptr, nullptr),
                           "cannot read a variable", m_path, Errc::data));
      if (nd < 0 || nd > NC_MAX_VAR_DIMS) {
        return fail(Errc::data, "a variable with an impossible number of dimensions", m_path);
      }
      var.dims.resize(static_cast<std::size_t>(nd));
      HEMERA_TRY(nc::check(nc_inq_vardimid(m_ncid, v, var.dims.data()), "cannot read a variable",
                           m_path, Errc::data));
      var.name = name;
      var.numeric = var.type == NC_BYTE || var.type == NC_SHORT || var.type == NC_INT ||
                    var.type == NC_FLOAT || var.type == NC_DOUBLE || var.type == NC_UBYTE ||
                    var.type == NC_USHORT || var.type == NC_UINT || var.type == NC_INT64 ||
                    var.type == NC_UINT64;
      m_vars.push_back(std::move(var));
    }
    return {};
  }

  Result<Var> read_var_atts(int varid)
  {
    Var var;
    int natts = 0;
    HEMERA_TRY(nc::check(nc_inq_varnatts(m_ncid, varid, &natts), "cannot read attributes", m_path,
                         Errc::data));
    for (int a = 0; a < natts; ++a) {
      char name[NC_MAX_NAME + 1] = {};
      nc_type type = NC_NAT;
      std::size_t len = 0;
      HEMERA_TRY(nc::check(nc_inq_attname(m_ncid, varid, a, name), "cannot read an attribute",
                           m_path, Errc::data));
      HEMERA_TRY(nc::check(nc_inq_att(m_ncid, varid, name, &type, &len), "cannot read an attribute",
                           m_path, Errc::data));
      if (type == NC_CHAR) {
        if (len > (1U << 24)) {
          return fail(Errc::data, fmt::format("attribute {} is too long", name), m_path);
        }
        std::string s(len, '\0');
        HEMERA_TRY(nc::check(nc_get_att_text(m_ncid, varid, name, s.data()),
                             "cannot read an attribute", m_path, Errc::data));
        while (!s.empty() && s.back() == '\0') {
          s.pop_back();
        }
        var.text[name] = s;
      } else if (type == NC_STRING && len == 1) {
        char* p = nullptr;
        HEMERA_TRY(nc::check(nc_get_att_string(m_ncid, varid, name, &p), "cannot read an attribute",
                             m_path, Errc::data));
        var.text[name] = p != nullptr ? p : "";
        nc_free_string(1, &p);
      } else if (len >= 1 && type != NC_STRING && len < (1U << 20)) {
        std::vector<double> vals(len);
        if (nc_get_att_double(m_ncid, varid, name, vals.data()) == NC_NOERR) {
          var.num[name] = vals[0];
        }
      }
    }
    return var;
  }

  const Var* find(const std::string& name) const
  {
    for (const auto& v : m_vars) {
      if (v.name == name) {
        return &v;
      }
    }
    return nullptr;
  }

  // Return the coordinate variable of dimension `d`, or nullptr.
  const Var* coordinate(int d) const
  {
    const Var* v = find(m_dim_name.at(d));
    return v != nullptr && v->dims.size() == 1 && v->dims[0] == d && v->numeric ? v : nullptr;
  }

  // Read values [start, start+count) along the first dimension of `v`,
  // whole rows, as physical doubles (NaN where fill, missing or unpacked NaN).
  Result<void> read(const Var& v, std::size_t start, std::size_t count, std::vector<double>& out)
  {
    std::vector<std::size_t> st(v.dims.size(), 0), ct(v.dims.size(), 0);
    std::size_t row = 1;
    for (std::size_t d = 0; d < v.dims.size(); ++d) {
      ct[d] = m_dim_len.at(v.dims[d]);
      if (d > 0) {
        row *= ct[d];
      }
    }
    if (!v.dims.empty()) {
      st[0] = start;
      ct[0] = count;
    }
    out.resize(v.dims.empty() ? 1 : row * count);
    if (out.empty()) {
      return {};
    }
    HEMERA_TRY(nc::check(nc_get_vara_double(m_ncid, v.id, st.data(), ct.data(), out.data()),
                         "cannot read " + v.name, m_path, Errc::data));
    double fill = NC_FILL_DOUBLE;
    switch (v.type) {
    case NC_FLOAT: fill = static_cast<double>(NC_FILL_FLOAT); break;
    case NC_INT: fill = NC_FILL_INT; break;
    case NC_SHORT: fill = NC_FILL_SHORT; break;
    case NC_BYTE: fill = NC_FILL_BYTE; break;
    default: break;
    }
    if (auto it = v.num.find("_FillValue"); it != v.num.end()) {
      fill = it->second;
    }
    std::optional<double> missing;
    if (auto it = v.num.find("missing_value"); it != v.num.end()) {
      missing = it->second;
    }
    double sf = v.num.count("scale_factor") ? v.num.at("scale_factor") : 1.0;
    double ao = v.num.count("add_offset") ? v.num.at("add_offset") : 0.0;
    for (double& x : out) {
      if (x == fill || (missing && x == *missing) || !std::isfinite(x)) {
        x = k_nan;
      } else {
        x = x * sf + ao;
        if (v.type == NC_FLOAT && sf == 1.0 && ao == 0.0) {
          x = round_sig(x, 9);
        }
      }
    }
    return {};
  }

  std::size_t len(int d) const { return m_dim_len.at(d); }
  const std::string& dim_name(int d) const { return m_dim_name.at(d); }
  const std::vector<Var>& vars() const { return m_vars; }
  const Var& global() const { return m_global; }
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
  int m_ncid = -1;
  std::map<int, std::string> m_dim_name;
  std::map<int, std::size_t> m_dim_len;
  std::vector<Var> m_vars;
  Var m_global;
};

Error cannot_hold(const std::string& message, const std::string& where, std::string rule = {})
{
  return Error{Errc::cant_create, "NASA Ames cannot hold this: " + message, where, {},
               std::move(rule)};
}

std::optional<std::string> text_of(const Var& v, const std::string& key)
{
  auto it = v.text.find(key);
  if (it == v.text.end()) {
    return std::nullopt;
  }
  return it->second;
}

// Return the NASA Ames name line of a variable.
std::string name_line(const Var& v)
{
  if (auto n = text_of(v, "nasa_ames_name")) {
    return *n;
  }
  std::string label = text_of(v, "long_name").value_or(v.name);
  if (auto u = text_of(v, "units"); u && !u->empty()) {
    return label + " (" + *u + ")";
  }
  return label;
}

std::vector<std::string> split_lines(const std::string& s)
{
  std::vector<std::string> out;
  std::size_t pos = 0;
  for (;;) {
    auto nl = s.find('\n', pos);
    std::string line = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    out.push_back(line);
    if (nl == std::string::npos) {
      break;
    }
    pos = nl + 1;
  }
  return out;
}

// Check that a header text fits NASA Ames: printable ASCII, at most 132 characters.
Result<void> check_line(const std::string& line, const std::string& what, const std::string& where)
{
  for (char c : line) {
    auto u = static_cast<unsigned char>(c);
    if (u < 32 || u > 126) {
      return tl::unexpected(cannot_hold(
        fmt::format("{} holds a character outside printable ASCII", what), where, "R1"));
    }
  }
  if (line.size() > 132) {
    return tl::unexpected(cannot_hold(
      fmt::format("{} is {} characters long; a NASA Ames line holds 132", what, line.size()), where,
      "R2"));
  }
  return {};
}

// Return a missing value above every value of `max` ("all nines").
double missing_above(double max)
{
  if (!std::isfinite(max) || max < 9) {
    return 9;
  }
  double k = std::floor(std::log10(max)) + 1;
  double vm = std::pow(10.0, k) - 1;
  if (vm <= max) {
    vm = std::pow(10.0, k + 1) - 1;
  }
  return vm;
}

struct Plan {
  int ffi = 0;
  const Var* mark = nullptr;            // coordinate of the unbounded dimension
  int mark_dim = -1;
  std::vector<const Var*> prim;
  std::vector<const Var*> aux;
  const Var* count = nullptr;           // 2110 ragged: NX(m,1)
  const Var* x1 = nullptr;              // 2010: axis; 2110: X(i,m,1)
  bool ragged = false;                  // 2110 from a contiguous ragged array
  double time_scale = 1;                // mark values: seconds per unit when re-based
  double time_offset = 0;               // seconds added to re-based mark values
};

}  // namespace

Result<Report> netcdf_to_nasa_ames(const std::filesystem::path& in, const std::filesystem::path& out,
                                   const Options& options)
{
  const std::string where = in.string();
  Reader nc(where);
  HEMERA_TRY(nc.open());
  Plan p;
  std::set<std::string> aux_names(options.auxiliary.begin(), options.auxiliary.end());
  // The count variable of a contiguous ragged array, if any.
  for (const auto& v : nc.vars()) {
    if (v.text.count("sample_dimension") > 0 && v.dims.size() == 1 && v.numeric) {
      p.count = &v;
    }
  }
  auto is_role = [](const Var& v, const char* role) {
    auto r = text_of(v, "nasa_ames_role");
    return r && *r == role;
  };
  // Variables named in a "coordinates" attribute are CF auxiliary coordinates, not data.
  std::set<std::string> aux_coords;
  for (const auto& v : nc.vars()) {
    if (auto c = text_of(v, "coordinates")) {
      std::size_t pos = 0;
      while (pos < c->size()) {
        auto end = c->find(' ', pos);
        if (end == std::string::npos) {
          end = c->size();
        }
        if (end > pos) {
          aux_coords.insert(c->substr(pos, end - pos));
        }
        pos = end + 1;
      }
    }
  }
  for (const auto& v : nc.vars()) {
    bool coord = v.dims.size() == 1 && nc.dim_name(v.dims[0]) == v.name;
    if (!v.numeric || v.dims.empty() || coord || &v == p.count || is_role(v, "independent") ||
        aux_coords.count(v.name) > 0) {
      continue;
    }
    if (aux_names.count(v.name) > 0 || (aux_names.empty() && is_role(v, "auxiliary"))) {
      p.aux.push_back(&v);
    } else if (options.variables.empty()) {
      p.prim.push_back(&v);
    }
  }
  if (!options.variables.empty()) {
    for (const auto& name : options.variables) {
      const Var* v = nc.find(name);
      if (v == nullptr) {
        return fail(Errc::usage, fmt::format("no variable {} in the file", name), where);
      }
      if (!v->numeric) {
        return tl::unexpected(cannot_hold(fmt::format("variable {} is not numeric", name), where));
      }
      p.prim.push_back(v);
    }
  }
  for (const auto& name : aux_names) {
    if (nc.find(name) == nullptr) {
      return fail(Errc::usage, fmt::format("no variable {} in the file", name), where);
    }
  }
  if (p.prim.empty()) {
    return tl::unexpected(cannot_hold("no numeric data variable to write", where));
  }
  // Choose the FFI.
  std::size_t rank = p.prim[0]->dims.size();
  for (const Var* v : p.prim) {
    if (v->dims != p.prim[0]->dims) {
      return tl::unexpected(cannot_hold(
        fmt::format("variables {} and {} have different dimensions: convert them separately "
                    "(--variables)",
                    p.prim[0]->name, v->name),
        where));
    }
  }
  int ffi = options.ffi;
  if (ffi == 0) {
    if (p.count != nullptr && rank == 1 &&
        nc.dim_name(p.prim[0]->dims[0]) == p.count->text.at("sample_dimension")) {
      ffi = 2110;
    } else if (rank == 2) {
      ffi = 2010;
    } else if (rank == 1) {
      ffi = p.aux.empty() ? 1001 : 1010;
    } else {
      return tl::unexpected(cannot_hold(
        fmt::format("variable {} has {} dimensions; this converter writes FFI 1001, 1010, 2010 "
                    "and 2110",
                    p.prim[0]->name, rank),
        where));
    }
  }
  if (ffi != 1001 && ffi != 1010 && ffi != 2010 && ffi != 2110) {
    return fail(Errc::usage, fmt::format("--ffi {}: this converter writes 1001, 1010, 2010 or 2110", ffi));
  }
  p.ffi = ffi;
  if (ffi == 1001 && !p.aux.empty()) {
    return tl::unexpected(cannot_hold("FFI 1001 has no auxiliary variables: use --ffi 1010", where));
  }
  if (ffi == 2110 && p.count != nullptr && rank == 1) {
    p.ragged = true;
    if (nc.dim_name(p.prim[0]->dims[0]) != p.count->text.at("sample_dimension")) {
      return tl::unexpected(cannot_hold("the data variables are not along the ragged array's "
                                        "sample dimension", where));
    }
    p.mark_dim = p.count->dims[0];
    for (const auto& v : nc.vars()) {
      if (v.dims == p.prim[0]->dims && is_role(v, "independent")) {
        p.x1 = &v;
      }
    }
    if (p.x1 == nullptr) {
      for (const auto& name : aux_coords) {
        const Var* v = nc.find(name);
        if (v != nullptr && v->numeric && v->dims == p.prim[0]->dims && p.x1 == nullptr) {
          p.x1 = v;
        }
      }
    }
    if (p.x1 == nullptr) {
      return tl::unexpected(cannot_hold("no bounded independent variable along the sample "
                                        "dimension (nasa_ames_role or coordinates)", where));
    }
  } else {
    std::size_t want = ffi == 2010 || ffi == 2110 ? 2 : 1;
    if (rank != want) {
      return tl::unexpected(cannot_hold(
        fmt::format("FFI {} needs data variables of {} dimension(s); {} has {}", ffi, want,
                    p.prim[0]->name, rank),
        where));
    }
    p.mark_dim = p.prim[0]->dims[0];
    if (want == 2) {
      p.x1 = nc.coordinate(p.prim[0]->dims[1]);
      if (p.x1 == nullptr) {
        return tl::unexpected(cannot_hold(
          fmt::format("dimension {} has no coordinate variable", nc.dim_name(p.prim[0]->dims[1])),
          where));
      }
    }
  }
  p.mark = nc.coordinate(p.mark_dim);
  if (p.mark == nullptr) {
    return tl::unexpected(cannot_hold(
      fmt::format("dimension {} has no coordinate variable for the marks", nc.dim_name(p.mark_dim)),
      where));
  }
  for (const Var* a : p.aux) {
    if (a->dims.size() != 1 || a->dims[0] != p.mark_dim) {
      return tl::unexpected(cannot_hold(
        fmt::format("auxiliary variable {} is not along the marks' dimension {}", a->name,
                    nc.dim_name(p.mark_dim)),
        where));
    }
  }

  // The header.
  const Var& g = nc.global();
  na::Header h;
  h.ffi = ffi;
  const bool ours = g.num.count("nasa_ames_ffi") > 0;
  auto first_of = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* k : keys) {
      if (auto t = text_of(g, k); t && !t->empty()) {
        return *t;
      }
    }
    return "Unknown";
  };
  h.oname = first_of({"originator", "creator_name", "institution"});
  h.org = first_of({"institution", "creator_institution", "publisher_name"});
  h.sname = first_of({"source", "platform", "instrument"});
  h.mname = first_of({"mission", "project", "title"});
  h.ivol = g.num.count("nasa_ames_ivol") ? static_cast<int>(g.num.at("nasa_ames_ivol")) : 1;
  h.nvol = g.num.count("nasa_ames_nvol") ? static_cast<int>(g.num.at("nasa_ames_nvol")) : 1;
  std::optional<na::Date> date;
  if (auto t = text_of(g, "nasa_ames_date")) {
    date = parse_date(*t);
  }
  if (!date && !options.date.empty()) {
    date = parse_date(options.date);
    if (!date) {
      return fail(Errc::usage, "--date: not YYYY-MM-DD", {}, "--date");
    }
  }
  // A CF time coordinate for the marks: "<unit> since <date>[ time]".
  std::optional<na::Date> ref_date;
  double ref_seconds = 0;
  double unit_seconds = 0;
  if (auto u = text_of(*p.mark, "units")) {
    auto pos = u->find(" since ");
    if (pos != std::string::npos) {
      std::string word = u->substr(0, pos);
      std::string rest = u->substr(pos + 7);
      if (word == "seconds" || word == "second" || word == "s") {
        unit_seconds = 1;
      } else if (word == "minutes" || word == "minute") {
        unit_seconds = 60;
      } else if (word == "hours" || word == "hour" || word == "h") {
        unit_seconds = 3600;
      } else if (word == "days" || word == "day") {
        unit_seconds = 86400;
      }
      ref_date = parse_date(rest);
      if (ref_date && rest.size() >= 19 && (rest[10] == ' ' || rest[10] == 'T')) {
        int hh = 0, mm = 0, ss = 0;
        std::from_chars(rest.data() + 11, rest.data() + 13, hh);
        std::from_chars(rest.data() + 14, rest.data() + 16, mm);
        std::from_chars(rest.data() + 17, rest.data() + 19, ss);
        ref_seconds = hh * 3600.0 + mm * 60.0 + ss;
      }
    }
  }
  if (!date && ref_date) {
    date = ref_date;
  }
  if (!date) {
    if (auto t = text_of(g, "time_coverage_start")) {
      date = parse_date(*t);
    }
  }
  if (!date) {
    return tl::unexpected(cannot_hold(
      "no date for the NASA Ames DATE line (no nasa_ames_date, CF time units or "
      "time_coverage_start): give --date YYYY-MM-DD",
      where, "H5"));
  }
  h.date = *date;
  std::optional<na::Date> rdate;
  for (const char* k : {"nasa_ames_revision_date", "date_modified", "date_created"}) {
    if (!rdate) {
      if (auto t = text_of(g, k)) {
        rdate = parse_date(*t);
      }
    }
  }
  if (!rdate) {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    rdate = na::Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
  }
  h.rdate = *rdate < h.date ? h.date : *rdate;

  std::string mark_line = name_line(*p.mark);
  if (!text_of(*p.mark, "nasa_ames_name") && unit_seconds > 0 && ref_date) {
    // Re-base a CF time on 0 h UT of DATE, in seconds.
    p.time_scale = unit_seconds;
    p.time_offset =
      static_cast<double>(days_from_civil(ref_date->year, static_cast<unsigned>(ref_date->month),
                                          static_cast<unsigned>(ref_date->day)) -
                          days_from_civil(h.date.year, static_cast<unsigned>(h.date.month),
                                          static_cast<unsigned>(h.date.day))) *
        86400.0 +
      ref_seconds;
    mark_line = "Time (UT seconds from 0 hours on the day given by DATE)";
  }
  auto interval = [](const Var& v) {
    return v.num.count("nasa_ames_interval") ? v.num.at("nasa_ames_interval") : 0.0;
  };
  if (ffi == 2010 || ffi == 2110) {
    h.xname = {name_line(*p.x1), mark_line};
    h.dx = {interval(*p.x1), p.time_scale == 1 ? interval(*p.mark) : 0.0};
  } else {
    h.xname = {mark_line};
    h.dx = {p.time_scale == 1 ? interval(*p.mark) : 0.0};
  }

  // Missing values: as recorded before, else "all nines" above the data (a first pass).
  auto scale_of = [](const Var& v) {
    double s = v.num.count("nasa_ames_scale_factor") ? v.num.at("nasa_ames_scale_factor") : 1.0;
    return s == 0 || !std::isfinite(s) ? 1.0 : s;
  };
  std::vector<double> buf;
  auto max_of = [&](const Var& v) -> Result<double> {
    double mx = -std::numeric_limits<double>::infinity();
    std::size_t n = nc.len(v.dims[0]);
    std::size_t row = 1;
    for (std::size_t d = 1; d < v.dims.size(); ++d) {
      row *= nc.len(v.dims[d]);
    }
    std::size_t step = std::max<std::size_t>(1, k_block / std::max<std::size_t>(row, 1));
    for (std::size_t s = 0; s < n; s += step) {
      HEMERA_TRY(nc.read(v, s, std::min(step, n - s), buf));
      for (double x : buf) {
        if (std::isfinite(x) && x / scale_of(v) > mx) {
          mx = x / scale_of(v);
        }
      }
    }
    return mx;
  };
  auto variable = [&](const Var& v) -> Result<na::Variable> {
    na::Variable nav;
    nav.name = name_line(v);
    nav.scale = scale_of(v);
    if (v.num.count("nasa_ames_missing_value")) {
      nav.missing = v.num.at("nasa_ames_missing_value");
    } else {
      nav.missing = missing_above(HEMERA_TRY(max_of(v)));
    }
    return nav;
  };
  for (const Var* v : p.prim) {
    h.vars.push_back(HEMERA_TRY(variable(*v)));
  }
  if (ffi == 2110) {
    na::Variable nx;
    if (p.count != nullptr && p.ragged) {
      nx = HEMERA_TRY(variable(*p.count));
    } else {
      nx.name = "Number of " + label_of(h.xname[0]) + " values in this mark";
      nx.missing = missing_above(static_cast<double>(nc.len(p.prim[0]->dims[1])));
    }
    nx.scale = 1;
    h.aux.push_back(nx);
  }
  for (const Var* a : p.aux) {
    h.aux.push_back(HEMERA_TRY(variable(*a)));
  }
  if (ffi == 2010) {
    na::Axis axis;
    axis.nx = static_cast<std::int64_t>(nc.len(p.x1->dims[0]));
    HEMERA_TRY(nc.read(*p.x1, 0, nc.len(p.x1->dims[0]), buf));
    for (double x : buf) {
      if (!std::isfinite(x)) {
        return tl::unexpected(cannot_hold(
          fmt::format("coordinate {} has missing values", p.x1->name), where, "H9"));
      }
    }
    std::size_t nxdef = buf.size();
    if (p.x1->num.count("nasa_ames_nxdef")) {
      auto want = static_cast<std::size_t>(std::max(1.0, p.x1->num.at("nasa_ames_nxdef")));
      na::Axis trial{axis.nx, static_cast<std::int64_t>(std::min(want, buf.size())),
                     std::vector<double>(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(
                                                                      std::min(want, buf.size())))};
      bool same = true;
      for (std::size_t i = 0; i < buf.size() && same; ++i) {
        same = std::fabs(trial.value(static_cast<std::int64_t>(i), h.dx[0]) - buf[i]) <=
               1e-9 * std::max(1.0, std::fabs(buf[i]));
      }
      if (same) {
        nxdef = std::min(want, buf.size());
      }
    }
    axis.nxdef = static_cast<std::int64_t>(nxdef);
    axis.listed.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(nxdef));
    h.axes.push_back(std::move(axis));
  }
  if (auto t = text_of(g, "special_comments")) {
    h.scom = split_lines(*t);
  }
  if (auto t = text_of(g, "normal_comments")) {
    h.ncom = split_lines(*t);
  } else if (!ours) {
    // A netCDF of another origin: its global attributes become normal comments.
    static const std::set<std::string> used = {"originator", "institution", "source", "mission"};
    for (const auto& [k, v] : g.text) {
      if (used.count(k) > 0) {
        continue;
      }
      for (const auto& line : split_lines(v)) {
        std::string l = k + ": " + line;
        h.ncom.push_back(l.size() > 132 ? l.substr(0, 132) : l);
      }
    }
  }
  for (auto& c : h.ncom) {
    for (auto& ch : c) {
      if (static_cast<unsigned char>(ch) < 32 || static_cast<unsigned char>(ch) > 126) {
        ch = '?';
      }
    }
  }
  // Every header line must fit.
  HEMERA_TRY(check_line(h.oname, "ONAME (originator)", where));
  HEMERA_TRY(check_line(h.org, "ORG (institution)", where));
  HEMERA_TRY(check_line(h.sname, "SNAME (source)", where));
  HEMERA_TRY(check_line(h.mname, "MNAME (mission)", where));
  for (const auto& x : h.xname) {
    HEMERA_TRY(check_line(x, "the name of " + x.substr(0, 40), where));
  }
  for (const auto& v : h.vars) {
    HEMERA_TRY(check_line(v.name, "the name of variable " + v.name.substr(0, 40), where));
  }
  for (const auto& v : h.aux) {
    HEMERA_TRY(check_line(v.name, "the name of variable " + v.name.substr(0, 40), where));
  }
  for (const auto& c : h.scom) {
    HEMERA_TRY(check_line(c, "a special comment line", where));
  }

  // Write: header, then the marks in blocks.
  auto output = HEMERA_TRY(AtomicOutput::open(out, options.overwrite));
  std::string text = HEMERA_TRY(na::format_header(h));
  HEMERA_TRY(output.write(text));
  const std::size_t nmarks = nc.len(p.mark_dim);
  std::size_t row_len = 1;
  if (ffi == 2010 || (ffi == 2110 && !p.ragged)) {
    row_len = nc.len(p.prim[0]->dims[1]);
  }
  if (row_len > 16383) {
    return tl::unexpected(cannot_hold(
      fmt::format("{} values of {} per mark: a NASA Ames record holds at most 32766 characters",
                  row_len, p.prim[0]->name),
      where, "R3"));
  }
  const std::size_t obs_len = p.ragged ? nc.len(p.prim[0]->dims[0]) : 0;
  const std::size_t step = std::max<std::size_t>(1, k_block / std::max<std::size_t>(row_len, 1));
  std::vector<double> marks;
  std::vector<double> counts;
  std::vector<std::vector<double>> auxv(p.aux.size()), primv(p.prim.size());
  std::vector<double> x1v;
  std::size_t obs = 0;
  std::int64_t values = 0;
  auto recorded = [&](const na::Variable& var, double physical, const Var& v) {
    if (std::isnan(physical)) {
      return var.missing;
    }
    double r = var.scale == 1 ? physical : physical / var.scale;
    return round_sig(r, v.type == NC_FLOAT ? 9 : 15);
  };
  auto value_error = [&](const Var& v, std::size_t m) {
    return cannot_hold(fmt::format("variable {} at mark {} is not below its missing value", v.name,
                                   m + 1),
                       where, "D5");
  };
  na::MarkData md;
  std::string chunk;
  for (std::size_t s = 0; s < nmarks; s += step) {
    std::size_t n = std::min(step, nmarks - s);
    HEMERA_TRY(nc.read(*p.mark, s, n, marks));
    for (std::size_t a = 0; a < p.aux.size(); ++a) {
      HEMERA_TRY(nc.read(*p.aux[a], s, n, auxv[a]));
    }
    if (p.ragged) {
      HEMERA_TRY(nc.read(*p.count, s, n, counts));
    } else {
      for (std::size_t k = 0; k < p.prim.size(); ++k) {
        HEMERA_TRY(nc.read(*p.prim[k], s, n, primv[k]));
      }
      if (ffi == 2110) {
        HEMERA_TRY(nc.read(*p.x1, 0, row_len, x1v));
      }
    }
    chunk.clear();
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t m = s + i;
      if (std::isnan(marks[i])) {
        return tl::unexpected(cannot_hold(
          fmt::format("mark {} of {} is missing: NASA Ames marks have no missing value", m + 1,
                      p.mark->name),
          where, "D1"));
      }
      md.x = round_sig(marks[i] * p.time_scale + p.time_offset, 15);
      md.aux.clear();
      md.records.clear();
      std::size_t a0 = 0;
      if (ffi == 2110) {
        a0 = 1;
        md.aux.push_back(p.ragged ? counts[i] : static_cast<double>(row_len));
      }
      for (std::size_t a = 0; a < p.aux.size(); ++a) {
        double r = recorded(h.aux[a + a0], auxv[a][i], *p.aux[a]);
        if (r > h.aux[a + a0].missing) {
          return tl::unexpected(value_error(*p.aux[a], m));
        }
        md.aux.push_back(r);
      }
      if (ffi == 1001 || ffi == 1010) {
        std::vector<double> rec;
        for (std::size_t k = 0; k < p.prim.size(); ++k) {
          double r = recorded(h.vars[k], primv[k][i], *p.prim[k]);
          if (r > h.vars[k].missing) {
            return tl::unexpected(value_error(*p.prim[k], m));
          }
          rec.push_back(r);
        }
        md.records.push_back(std::move(rec));
      } else if (ffi == 2010) {
        for (std::size_t k = 0; k < p.prim.size(); ++k) {
          std::vector<double> rec;
          for (std::size_t j = 0; j < row_len; ++j) {
            double r = recorded(h.vars[k], primv[k][i * row_len + j], *p.prim[k]);
            if (r > h.vars[k].missing) {
              return tl::unexpected(value_error(*p.prim[k], m));
            }
            rec.push_back(r);
          }
          md.records.push_back(std::move(rec));
        }
      } else {
        std::size_t nx = row_len;
        std::size_t first = 0;
        if (p.ragged) {
          if (!std::isfinite(counts[i]) || counts[i] < 0 ||
              counts[i] > static_cast<double>(obs_len - obs)) {
            return fail(Errc::data,
                        fmt::format("count {} of {} is not a count of the remaining {} values",
                                    m + 1, p.count->name, obs_len - obs),
                        where);
          }
          nx = static_cast<std::size_t>(counts[i]);
          first = obs;
          obs += nx;
          HEMERA_TRY(nc.read(*p.x1, first, nx, x1v));
          for (std::size_t k = 0; k < p.prim.size(); ++k) {
            HEMERA_TRY(nc.read(*p.prim[k], first, nx, primv[k]));
          }
        }
        for (std::size_t j = 0; j < nx; ++j) {
          std::vector<double> rec;
          std::size_t at = p.ragged ? j : i * row_len + j;
          if (std::isnan(x1v[j])) {
            return tl::unexpected(cannot_hold(
              fmt::format("{} is missing in mark {}: independent variables have no missing value",
                          p.x1->name, m + 1),
              where, "D1"));
          }
          rec.push_back(round_sig(x1v[j], p.x1->type == NC_FLOAT ? 9 : 15));
          for (std::size_t k = 0; k < p.prim.size(); ++k) {
            double r = recorded(h.vars[k], primv[k][at], *p.prim[k]);
            if (r > h.vars[k].missing) {
              return tl::unexpected(value_error(*p.prim[k], m));
            }
            rec.push_back(r);
          }
          md.records.push_back(std::move(rec));
        }
      }
      for (const auto& r : md.records) {
        values += static_cast<std::int64_t>(r.size());
      }
      values += static_cast<std::int64_t>(md.aux.size()) + 1;
      HEMERA_TRY(na::format_mark(h, md, chunk));
    }
    HEMERA_TRY(output.write(chunk));
  }
  // What was written must pass the strict profile before it is committed.
  HEMERA_TRY(output.commit_check([&](const std::filesystem::path& written) -> Result<void> {
    struct Ignore : NaSink {
      Result<void> header(const na::Header&) override { return {}; }
      Result<void> mark(const na::Mark&) override { return {}; }
      Result<void> values(const na::Values&) override { return {}; }
      Result<void> finish() override { return {}; }
    } ignore;
    auto r = read_nasa_ames(written, ignore, validate::Profile::strict());
    if (!r) {
      Error e = r.error();
      e.code = Errc::cant_create;
      e.message = "the NASA Ames written would not pass the strict profile: " + e.message;
      e.where = out.string() + e.where.substr(std::min(e.where.size(), written.string().size()));
      return tl::unexpected(e);
    }
    return {};
  }));
  Report rep;
  rep.input = in.string();
  rep.output = out.string();
  rep.from = Format::netcdf;
  rep.to = Format::nasa_ames;
  rep.ffi = ffi;
  rep.rows = static_cast<std::int64_t>(nmarks);
  rep.values = values;
  std::error_code ec;
  rep.input_bytes = std::filesystem::file_size(in, ec);
  rep.output_bytes = output.bytes();
  return rep;
}

}  // namespace hemera::convert
