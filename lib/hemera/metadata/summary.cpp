// SPDX-License-Identifier: Apache-2.0
#include <hemera/metadata/summary.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <unistd.h>

#include <fmt/format.h>

namespace hemera::metadata {

namespace {

constexpr std::size_t k_max_track_points = 500;
constexpr double k_point_tolerance_deg = 0.05;

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return s;
}

bool is_date_only(const std::string& s)
{
  return s.size() == 10;
}

// Compare two ISO 8601 values at the precision of the coarser one.
int compare_time(const std::string& a, const std::string& b)
{
  if (is_date_only(a) || is_date_only(b)) {
    return a.substr(0, 10).compare(b.substr(0, 10));
  }
  return a.compare(b);
}

bool empty_field(const json& form, const char* key)
{
  auto it = form.find(key);
  return it == form.end() || it->is_null() || (it->is_array() && it->empty()) ||
         (it->is_object() && it->empty());
}

Text bilingual(const std::string& en, const std::string& fr)
{
  Text t;
  t.values["en"] = en;
  t.values["fr"] = fr;
  return t;
}

Platform balloon_platform()
{
  Platform p;
  p.thesaurus_concat = "BALLOONS_ROCKETS.NULL.BALLOONS";
  ThesaurusClass c;
  c.code = "BALLOONS_ROCKETS";
  c.name = bilingual("Balloons/Rockets", "Ballons/Fusées");
  ThesaurusCode code;
  code.code = "NULL";
  ThesaurusEntry name;
  name.code = "BALLOONS";
  name.name = bilingual("Balloons", "Ballons");
  code.thesaurus_name = name;
  c.thesaurus_code = code;
  p.thesaurus_class = c;
  return p;
}

// The overall time range of the files.
std::pair<std::optional<std::string>, std::optional<std::string>> time_range(
  const std::vector<FileSummary>& files, std::string& begin_file, std::string& end_file)
{
  std::optional<std::string> begin;
  std::optional<std::string> end;
  for (const auto& f : files) {
    if (f.begin && (!begin || compare_time(*f.begin, *begin) < 0)) {
      begin = f.begin;
      begin_file = f.file;
    }
    auto e = f.end ? f.end : f.begin;
    if (e && (!end || compare_time(*e, *end) > 0)) {
      end = e;
      end_file = f.file;
    }
  }
  return {begin, end};
}

void check_temporal(const Record& record, const std::vector<FileSummary>& files,
                    std::vector<Contradiction>& out)
{
  auto extents = record.temporal_extents();
  if (!extents || extents->empty()) {
    return;
  }
  std::string bf;
  std::string ef;
  auto [begin, end] = time_range(files, bf, ef);
  std::optional<std::string> fbegin;
  std::optional<std::string> fend;
  for (const auto& e : *extents) {
    if (e.begin_date && (!fbegin || compare_time(*e.begin_date, *fbegin) < 0)) {
      fbegin = e.begin_date;
    }
    auto en = e.end_date ? e.end_date : e.begin_date;
    if (en && (!fend || compare_time(*en, *fend) > 0)) {
      fend = en;
    }
  }
  if (begin && fbegin && compare_time(*begin, *fbegin) < 0) {
    out.push_back({"temporalExtents.beginDate", *fbegin, *begin, bf,
                   fmt::format("the form's begin date {} is after the data's first time {} ({})",
                               *fbegin, *begin, bf)});
  }
  if (end && fend && compare_time(*end, *fend) > 0) {
    out.push_back({"temporalExtents.endDate", *fend, *end, ef,
                   fmt::format("the form's end date {} is before the data's last time {} ({})",
                               *fend, *end, ef)});
  }
}

// Return the points an extent covers (a bbox as its corners).
std::vector<std::pair<double, double>> points_of(const Area& a)
{
  std::vector<std::pair<double, double>> out;
  if (a.latitude && a.longitude) {
    out.emplace_back(*a.latitude, *a.longitude);
  }
  if (a.points) {
    for (const auto& p : *a.points) {
      if (p.latitude && p.longitude) {
        out.emplace_back(*p.latitude, *p.longitude);
      }
    }
  }
  return out;
}

bool covers(const Area& form, double lat, double lon)
{
  if (form.south && form.north && form.west && form.east) {
    double t = 0.01;
    bool lat_ok = lat >= *form.south - t && lat <= *form.north + t;
    bool lon_ok = *form.west <= *form.east ? (lon >= *form.west - t && lon <= *form.east + t)
                                           : (lon >= *form.west - t || lon <= *form.east + t);
    return lat_ok && lon_ok;
  }
  for (const auto& [flat, flon] : points_of(form)) {
    if (std::fabs(flat - lat) <= k_point_tolerance_deg &&
        std::fabs(flon - lon) <= k_point_tolerance_deg) {
      return true;
    }
  }
  return false;
}

void check_spatial(const Record& record, const std::vector<FileSummary>& files,
                   std::vector<Contradiction>& out)
{
  auto extents = record.spatial_extents();
  if (!extents || extents->empty()) {
    return;
  }
  for (const auto& f : files) {
    for (const auto& e : f.extents) {
      if (!e.area) {
        continue;
      }
      for (const auto& point : points_of(*e.area)) {
        // Named copies, not structured bindings: clang 14 cannot capture those.
        const double lat = point.first;
        const double lon = point.second;
        bool ok = std::any_of(extents->begin(), extents->end(), [&](const SpatialExtent& fe) {
          return fe.area && covers(*fe.area, lat, lon);
        });
        if (!ok) {
          out.push_back({"spatialExtents.area", "the form's area",
                         fmt::format("{:.5f}, {:.5f}", lat, lon), f.file,
                         fmt::format("{} places the data at latitude {:.5f}, longitude {:.5f}, "
                                     "outside the form's spatial extents",
                                     f.file, lat, lon)});
          break;
        }
      }
    }
  }
}

void check_instruments(const Record& record, const std::vector<FileSummary>& files,
                       std::vector<Contradiction>& out)
{
  auto instruments = record.instruments();
  if (!instruments || instruments->empty()) {
    return;
  }
  std::vector<std::string> names;
  for (const auto& i : *instruments) {
    for (const auto* s : {&i.display_name, &i.model, &i.thesaurus_concat}) {
      if (*s) {
        names.push_back(lower(**s));
      }
    }
  }
  for (const auto& f : files) {
    for (const auto& name : f.instruments) {
      std::string n = lower(name);
      bool known = std::any_of(names.begin(), names.end(), [&](const std::string& k) {
        return !k.empty() && (k.find(n) != std::string::npos || n.find(k) != std::string::npos);
      });
      if (!known) {
        out.push_back({"instruments", fmt::format("{}", fmt::join(names, ", ")), name, f.file,
                       fmt::format("{} names the instrument '{}', which the form does not list",
                                   f.file, name)});
      }
    }
  }
}

void fill_from_files(Record& record, const std::vector<FileSummary>& files, bool fill_silent)
{
  // Formats: always from the files (unique name + version), after the record's.
  auto formats = record.formats().value_or(std::vector<Format>{});
  for (const auto& f : files) {
    if (f.format_name.empty()) {
      continue;
    }
    bool seen = std::any_of(formats.begin(), formats.end(), [&](const Format& x) {
      return x.name == f.format_name && x.version.value_or("") == f.format_version;
    });
    if (!seen) {
      Format x;
      x.name = f.format_name;
      if (!f.format_version.empty()) {
        x.version = f.format_version;
      }
      formats.push_back(std::move(x));
    }
  }
  record.set_formats(formats);
  if (!fill_silent) {
    return;
  }
  const json& doc = record.doc();
  if (empty_field(doc, "temporalExtents")) {
    std::string bf;
    std::string ef;
    auto [begin, end] = time_range(files, bf, ef);
    if (begin) {
      TemporalExtent t;
      t.begin_date = begin;
      t.end_date = end ? end : begin;
      record.set_temporal_extents({t});
    }
  }
  if (empty_field(doc, "spatialExtents")) {
    std::vector<SpatialExtent> all;
    for (const auto& f : files) {
      all.insert(all.end(), f.extents.begin(), f.extents.end());
    }
    if (!all.empty()) {
      record.set_spatial_extents(all);
    }
  }
  if (empty_field(doc, "skyCoverage")) {
    std::vector<SkyPosition> all;
    for (const auto& f : files) {
      all.insert(all.end(), f.sky.begin(), f.sky.end());
    }
    if (!all.empty()) {
      record.set_sky_coverage(all);
    }
  }
  if (empty_field(doc, "parameters")) {
    std::vector<Parameter> all;
    for (const auto& f : files) {
      for (const auto& p : f.parameters) {
        bool seen = std::any_of(all.begin(), all.end(), [&](const Parameter& q) {
          return q.short_name == p.short_name && q.uom == p.uom;
        });
        if (!seen) {
          all.push_back(p);
        }
      }
    }
    if (!all.empty()) {
      record.set_parameters(all);
    }
  }
  if (empty_field(doc, "instruments")) {
    std::vector<Instrument> all;
    for (const auto& f : files) {
      for (const auto& n : f.instruments) {
        bool seen = std::any_of(all.begin(), all.end(),
                                [&](const Instrument& i) { return i.display_name == n; });
        if (!seen) {
          Instrument i;
          i.display_name = n;
          all.push_back(std::move(i));
        }
      }
    }
    if (!all.empty()) {
      record.set_instruments(all);
    }
  }
}

}  // namespace

Record build_record(const json& form, const RecordDefaults& d, const std::vector<FileSummary>& files,
                    std::vector<Contradiction>& contradictions)
{
  json doc = form.is_object() ? form : json::object();
  auto rec = Record::from_json(doc);
  Record record = rec ? std::move(*rec) : Record();
  record.set_id(d.uuid);
  record.set_identifier(d.uuid);
  record.set_last_modification(d.now);
  record.set_metadata_level("Dataset");
  record.set_type("DATASET");
  const json& cur = record.doc();
  if (empty_field(cur, "resourceTitle")) {
    Text t;
    t.values["en"] = fmt::format("Dataset {}", d.uuid);
    record.set_resource_title(t);
  }
  if (empty_field(cur, "language")) {
    record.set_language("en");
  }
  if (empty_field(cur, "aerisDataCenter")) {
    record.set_raw("aerisDataCenter", "ESPRI");
  }
  if (empty_field(cur, "programName")) {
    record.set_raw("programName", "HEMERA");
  }
  if (empty_field(cur, "collectionName")) {
    record.set_raw("collectionName", "HEMERA");
  }
  if (empty_field(cur, "platforms")) {
    record.set_platforms({balloon_platform()});
  }
  auto keywords = record.keywords().value_or(std::vector<Keyword>{});
  if (std::none_of(keywords.begin(), keywords.end(),
                   [](const Keyword& k) { return k.concept_name == "HEMERA"; })) {
    Keyword k;
    k.concept_name = "HEMERA";
    keywords.insert(keywords.begin(), k);
    record.set_keywords(keywords);
  }
  // Links: the download directory and the landing page, from the configured bases.
  auto links = record.links().value_or(std::vector<Link>{});
  auto add_link = [&](const std::string& type, const std::string& url, const std::string& name,
                      const Text& description) {
    bool seen = std::any_of(links.begin(), links.end(),
                            [&](const Link& l) { return l.type == type && l.url == url; });
    if (!seen && !url.empty()) {
      Link l;
      l.type = type;
      l.url = url;
      l.name = name;
      l.description = description;
      links.push_back(std::move(l));
    }
  };
  auto trim = [](std::string s) {
    while (!s.empty() && s.back() == '/') {
      s.pop_back();
    }
    return s;
  };
  if (!d.download_url.empty()) {
    add_link("FTP_DOWNLOAD_LINK", fmt::format("{}/{}", trim(d.download_url), d.dataset_path),
             "Download", bilingual("Dataset files", "Fichiers du jeu de données"));
  }
  if (!d.catalogue_url.empty()) {
    add_link("INFORMATION_LINK", fmt::format("{}/{}", trim(d.catalogue_url), d.uuid),
             "Landing page", bilingual("Landing page of the dataset", "Page d'accueil du jeu de données"));
  }
  record.set_links(links);
  merge_files(record, files, contradictions, true);
  return record;
}

void merge_files(Record& record, const std::vector<FileSummary>& files,
                 std::vector<Contradiction>& contradictions, bool fill_silent)
{
  check_temporal(record, files, contradictions);
  check_spatial(record, files, contradictions);
  check_instruments(record, files, contradictions);
  fill_from_files(record, files, fill_silent);
}

void add_version(Record& record, int version, const std::string& date, std::int64_t files,
                 std::int64_t bytes, const std::string& path)
{
  auto versions = record.versions().value_or(std::vector<VersionEntry>{});
  versions.erase(std::remove_if(versions.begin(), versions.end(),
                                [&](const VersionEntry& v) { return v.version == version; }),
                 versions.end());
  VersionEntry v;
  v.version = version;
  v.date = date;
  v.files = files;
  v.bytes = bytes;
  v.path = path;
  versions.push_back(std::move(v));
  record.set_versions(versions);
  record.set_last_modification(date);
}

Result<std::optional<std::pair<std::int64_t, std::int64_t>>> check_printable(
  const std::filesystem::path& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  std::int64_t line = 1;
  std::int64_t col = 0;
  std::vector<char> buf(1U << 16);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      return tl::unexpected(errno_error(err, "cannot read", path.string()));
    }
    if (n == 0) {
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      auto c = static_cast<unsigned char>(buf[static_cast<std::size_t>(i)]);
      ++col;
      if (c == '\n') {
        ++line;
        col = 0;
      } else if (!(c == '\t' || c == '\r' || (c >= 32 && c <= 126))) {
        ::close(fd);
        return std::optional<std::pair<std::int64_t, std::int64_t>>(std::make_pair(line, col));
      }
    }
  }
  ::close(fd);
  return std::optional<std::pair<std::int64_t, std::int64_t>>();
}

namespace {

struct Fix {
  double lat = 0;
  double lon = 0;
  std::optional<double> alt;
  std::optional<std::string> time;
};

// Keeps a bounded, evenly thinned track and the exact bounds.
class Track {
 public:
  void add(Fix f)
  {
    if (!std::isfinite(f.lat) || !std::isfinite(f.lon) || std::fabs(f.lat) > 90 ||
        f.lon < -180 || f.lon > 360) {
      return;
    }
    m_south = std::min(m_south, f.lat);
    m_north = std::max(m_north, f.lat);
    m_west = std::min(m_west, f.lon);
    m_east = std::max(m_east, f.lon);
    if (f.alt) {
      m_min_alt = std::min(m_min_alt, *f.alt);
      m_max_alt = std::max(m_max_alt, *f.alt);
    }
    if (f.time) {
      if (!m_first_time) {
        m_first_time = f.time;
      }
      m_last_time = f.time;
    }
    if (m_count++ % m_stride == 0) {
      m_points.push_back(std::move(f));
      if (m_points.size() >= 2 * k_max_track_points) {
        std::vector<Fix> kept;
        for (std::size_t i = 0; i < m_points.size(); i += 2) {
          kept.push_back(std::move(m_points[i]));
        }
        m_points = std::move(kept);
        m_stride *= 2;
      }
    }
  }
  [[nodiscard]] std::size_t count() const { return m_count; }

  void fill(FileSummary& s) const
  {
    if (m_count == 0) {
      return;
    }
    SpatialExtent box;
    Area a;
    a.type = "bbox";
    a.west = m_west;
    a.east = m_east;
    a.south = m_south;
    a.north = m_north;
    if (m_min_alt <= m_max_alt) {
      a.min_altitude = m_min_alt;
      a.max_altitude = m_max_alt;
    }
    box.area = a;
    box.name = fmt::format("GPS track bounds ({})", s.file);
    box.source = "gps";
    s.extents.push_back(box);
    if (m_points.size() >= 2) {
      SpatialExtent tr;
      Area t;
      t.type = "trajectory";
      std::vector<TrackPoint> pts;
      for (const auto& f : m_points) {
        TrackPoint p;
        p.latitude = f.lat;
        p.longitude = f.lon;
        p.altitude = f.alt;
        p.time = f.time;
        pts.push_back(std::move(p));
      }
      t.points = std::move(pts);
      tr.area = t;
      tr.name = fmt::format("GPS track ({})", s.file);
      tr.source = "gps";
      s.extents.push_back(tr);
    }
    s.begin = m_first_time;
    s.end = m_last_time;
    if (m_first_time) {
      s.time_source = "GPS";
    }
  }

 private:
  std::vector<Fix> m_points;
  std::size_t m_count = 0;
  std::size_t m_stride = 1;
  double m_south = 90, m_north = -90, m_west = 360, m_east = -180;
  double m_min_alt = std::numeric_limits<double>::max();
  double m_max_alt = std::numeric_limits<double>::lowest();
  std::optional<std::string> m_first_time, m_last_time;
};

std::optional<double> number(std::string_view s)
{
  while (!s.empty() && (s.front() == ' ' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '"' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

std::vector<std::string_view> split(std::string_view line, char sep)
{
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = line.find(sep, start);
    out.push_back(line.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) {
      break;
    }
    start = pos + 1;
  }
  return out;
}

// NMEA ddmm.mmmm (or dddmm.mmmm) and hemisphere to signed degrees.
std::optional<double> nmea_angle(std::string_view v, std::string_view hemi)
{
  auto n = number(v);
  if (!n || hemi.empty()) {
    return std::nullopt;
  }
  double deg = std::floor(*n / 100);
  double val = deg + (*n - deg * 100) / 60;
  if (hemi == "S" || hemi == "W") {
    val = -val;
  }
  return val;
}

bool nmea_checksum_ok(std::string_view line)
{
  auto star = line.rfind('*');
  if (star == std::string_view::npos) {
    return true;  // no checksum given
  }
  unsigned sum = 0;
  for (char c : line.substr(1, star - 1)) {
    sum ^= static_cast<unsigned char>(c);
  }
  auto hex = line.substr(star + 1, 2);
  unsigned want = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), want, 16);
  return ec == std::errc{} && want == sum;
}

std::string nmea_time(std::string_view date_ddmmyy, std::string_view hhmmss)
{
  if (date_ddmmyy.size() != 6 || hhmmss.size() < 6) {
    return {};
  }
  return fmt::format("20{}-{}-{}T{}:{}:{}Z", date_ddmmyy.substr(4, 2), date_ddmmyy.substr(2, 2),
                     date_ddmmyy.substr(0, 2), hhmmss.substr(0, 2), hhmmss.substr(2, 2),
                     hhmmss.substr(4, 2));
}

std::string attr(std::string_view tag, std::string_view name)
{
  std::string key = fmt::format(" {}=\"", name);
  auto p = tag.find(key);
  char quote = '"';
  if (p == std::string_view::npos) {
    key = fmt::format(" {}='", name);
    p = tag.find(key);
    quote = '\'';
  }
  if (p == std::string_view::npos) {
    return {};
  }
  p += key.size();
  auto e = tag.find(quote, p);
  return e == std::string_view::npos ? std::string() : std::string(tag.substr(p, e - p));
}

std::string element(std::string_view text, std::string_view name)
{
  std::string open = fmt::format("<{}>", name);
  std::string close = fmt::format("</{}>", name);
  auto p = text.find(open);
  if (p == std::string_view::npos) {
    return {};
  }
  p += open.size();
  auto e = text.find(close, p);
  return e == std::string_view::npos ? std::string() : std::string(text.substr(p, e - p));
}

bool looks_iso(std::string_view s)
{
  return s.size() >= 10 && s[4] == '-' && s[7] == '-';
}

}  // namespace

Result<FileSummary> summarize_gps(const std::filesystem::path& path, const std::string& name)
{
  FileSummary s;
  s.file = name;
  std::string ext = lower(std::filesystem::path(name).extension().string());
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  Track track;
  std::string line;
  std::string last_date;  // RMC date for GGA times
  // CSV state.
  int lat_col = -1;
  int lon_col = -1;
  int alt_col = -1;
  int time_col = -1;
  char sep = ',';
  bool header_seen = false;
  bool gpx = ext == ".gpx";
  bool nmea = false;
  std::string gpx_pending;  // text of the current <trkpt …>…</trkpt>
  while (std::getline(in, line)) {
    if (line.size() > (1U << 20)) {
      line.resize(1U << 20);
    }
    std::string_view l = line;
    if (!l.empty() && l.back() == '\r') {
      l.remove_suffix(1);
    }
    if (gpx || l.find("<gpx") != std::string_view::npos) {
      gpx = true;
      gpx_pending += std::string(l);
      gpx_pending += '\n';
      for (;;) {
        auto start = gpx_pending.find("<trkpt");
        if (start == std::string::npos) {
          start = gpx_pending.find("<wpt");
        }
        if (start == std::string::npos) {
          if (gpx_pending.size() > 4096) {
            gpx_pending.erase(0, gpx_pending.size() - 64);
          }
          break;
        }
        auto tag_end = gpx_pending.find('>', start);
        if (tag_end == std::string::npos) {
          break;
        }
        bool self_closing = gpx_pending[tag_end - 1] == '/';
        std::size_t end = tag_end + 1;
        if (!self_closing) {
          auto close = gpx_pending.find("</", tag_end);
          auto close2 = close == std::string::npos ? close : gpx_pending.find("pt>", close);
          if (close2 == std::string::npos) {
            break;
          }
          end = close2 + 3;
        }
        std::string_view pt = std::string_view(gpx_pending).substr(start, end - start);
        auto lat = number(attr(pt.substr(0, tag_end - start + 1), "lat"));
        auto lon = number(attr(pt.substr(0, tag_end - start + 1), "lon"));
        if (lat && lon) {
          Fix f{*lat, *lon, number(element(pt, "ele")), std::nullopt};
          std::string t = element(pt, "time");
          if (looks_iso(t)) {
            f.time = t;
          }
          track.add(std::move(f));
        }
        gpx_pending.erase(0, end);
      }
      continue;
    }
    if (l.size() > 6 && l[0] == '$') {
      nmea = true;
      if (!nmea_checksum_ok(l)) {
        continue;
      }
      auto star = l.rfind('*');
      auto f = split(l.substr(0, star), ',');
      std::string_view type = f[0].size() >= 6 ? f[0].substr(3) : std::string_view();
      if (type == "RMC" && f.size() >= 10) {
        last_date = std::string(f[9]);
        if (f[2] == "A") {
          auto lat = nmea_angle(f[3], f[4]);
          auto lon = nmea_angle(f[5], f[6]);
          if (lat && lon) {
            std::string t = nmea_time(f[9], f[1]);
            track.add(Fix{*lat, *lon, std::nullopt,
                          t.empty() ? std::nullopt : std::optional<std::string>(t)});
          }
        }
      } else if (type == "GGA" && f.size() >= 10 && f[6] != "0" && !f[6].empty()) {
        auto lat = nmea_angle(f[2], f[3]);
        auto lon = nmea_angle(f[4], f[5]);
        if (lat && lon) {
          std::string t = nmea_time(last_date, f[1]);
          track.add(Fix{*lat, *lon, number(f[9]),
                        t.empty() ? std::nullopt : std::optional<std::string>(t)});
        }
      }
      continue;
    }
    if (nmea || l.empty() || l[0] == '#') {
      continue;
    }
    if (!header_seen) {
      for (char c : {',', ';', '\t'}) {
        if (l.find(c) != std::string_view::npos) {
          sep = c;
          break;
        }
      }
      auto cols = split(l, sep);
      for (int i = 0; i < static_cast<int>(cols.size()); ++i) {
        std::string c = lower(std::string(cols[static_cast<std::size_t>(i)]));
        c.erase(std::remove_if(c.begin(), c.end(), [](char ch) { return ch == ' ' || ch == '"'; }),
                c.end());
        auto starts = [&](const char* p) { return c.rfind(p, 0) == 0; };
        if (lat_col < 0 && (c == "lat" || starts("latitude") || starts("lat("))) {
          lat_col = i;
        } else if (lon_col < 0 && (c == "lon" || c == "long" || c == "lng" ||
                                   starts("longitude") || starts("lon("))) {
          lon_col = i;
        } else if (alt_col < 0 && (c == "alt" || starts("altitude") || starts("height") ||
                                   starts("alt("))) {
          alt_col = i;
        } else if (time_col < 0 && (c == "time" || c == "datetime" || c == "utc" ||
                                    starts("time(") || c == "timestamp")) {
          time_col = i;
        }
      }
      header_seen = true;
      if (lat_col < 0 || lon_col < 0) {
        break;  // not a CSV track we understand
      }
      continue;
    }
    auto cols = split(l, sep);
    auto col = [&](int i) -> std::string_view {
      return i >= 0 && static_cast<std::size_t>(i) < cols.size() ? cols[static_cast<std::size_t>(i)]
                                                                 : std::string_view();
    };
    auto lat = number(col(lat_col));
    auto lon = number(col(lon_col));
    if (lat && lon) {
      Fix f{*lat, *lon, alt_col >= 0 ? number(col(alt_col)) : std::nullopt, std::nullopt};
      std::string t(col(time_col));
      if (looks_iso(t)) {
        f.time = t;
      }
      track.add(std::move(f));
    }
  }
  if (in.bad()) {
    return tl::unexpected(errno_error(errno, "cannot read", path.string()));
  }
  s.format_name = gpx ? "GPX" : nmea ? "NMEA 0183" : ext == ".csv" ? "CSV" : "text";
  if (track.count() > 0 && !gpx && !nmea) {
    s.format_name = ext == ".csv" ? "CSV" : "text";
  }
  track.fill(s);
  return s;
}

}  // namespace hemera::metadata
