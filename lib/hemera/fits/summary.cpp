// SPDX-License-Identifier: Apache-2.0
#include <hemera/fits/summary.hpp>

#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include <hemera/fits/validate.hpp>

namespace hemera::fits {

namespace {

// The first value card of each keyword, looked up once per header.
class Index {
 public:
  explicit Index(const std::vector<Card>& cards) : m_cards(cards)
  {
    for (const auto& c : cards) {
      if (c.type != ValueType::none && !c.is_continue && c.hierarch.empty()) {
        m_first.emplace(c.keyword, &c);
      }
    }
  }
  const Card* find(std::string_view key) const
  {
    auto it = m_first.find(key);
    return it == m_first.end() ? nullptr : it->second;
  }
  const std::vector<Card>& cards() const { return m_cards; }

 private:
  const std::vector<Card>& m_cards;
  std::unordered_map<std::string_view, const Card*> m_first;
};

const Card* find(const Index& cards, std::string_view key)
{
  return cards.find(key);
}

std::optional<std::string> str(const Index& index, std::string_view key)
{
  const Card* c = find(index, key);
  if (c == nullptr || c->type != ValueType::string) {
    return std::nullopt;
  }
  const auto& cards = index.cards();
  // Long strings (CONTINUE): join the continuation cards that follow.
  std::string v = c->text;
  auto idx = static_cast<std::size_t>(c - cards.data());
  while (!v.empty() && v.back() == '&' && idx + 1 < cards.size() && cards[idx + 1].is_continue &&
         cards[idx + 1].type == ValueType::string) {
    v.pop_back();
    v += cards[++idx].text;
  }
  std::size_t a = v.find_first_not_of(' ');
  if (a == std::string::npos) {
    return std::nullopt;
  }
  return printable(std::string_view(v).substr(a));
}

std::optional<double> num(const Index& cards, std::string_view key)
{
  const Card* c = find(cards, key);
  if (c == nullptr) {
    return std::nullopt;
  }
  if (c->is_number()) {
    return std::isfinite(c->real) ? std::optional<double>(c->real) : std::nullopt;
  }
  if (c->type == ValueType::string) {
    char* end = nullptr;
    double v = std::strtod(c->text.c_str(), &end);
    if (end != c->text.c_str() && *end == '\0' && std::isfinite(v)) {
      return v;
    }
  }
  return std::nullopt;
}

// An angle from a number (degrees) or a sexagesimal string.
std::optional<double> angle(const Index& cards, std::string_view key, bool hours)
{
  const Card* c = find(cards, key);
  if (c == nullptr) {
    return std::nullopt;
  }
  if (c->is_number()) {
    return std::isfinite(c->real) ? std::optional<double>(c->real) : std::nullopt;
  }
  if (c->type == ValueType::string) {
    return parse_angle(c->text, hours);
  }
  return std::nullopt;
}

// Geocentric (ITRS) metres to geodetic WGS84 latitude, longitude, height.
Site geodetic(double x, double y, double z)
{
  constexpr double a = 6378137.0;
  constexpr double f = 1.0 / 298.257223563;
  constexpr double e2 = f * (2 - f);
  double p = std::hypot(x, y);
  double lon = std::atan2(y, x);
  double lat = std::atan2(z, p * (1 - e2));
  double h = 0;
  for (int i = 0; i < 10; ++i) {
    double s = std::sin(lat);
    double n = a / std::sqrt(1 - e2 * s * s);
    h = p / std::cos(lat) - n;
    lat = std::atan2(z, p * (1 - e2 * n / (n + h)));
  }
  constexpr double deg = 180.0 / M_PI;
  Site site;
  site.latitude_deg = lat * deg;
  site.longitude_deg = lon * deg;
  site.height_m = h;
  site.source = "OBSGEO-X/Y/Z";
  return site;
}

}  // namespace

std::optional<double> parse_angle(const std::string& text, bool hours)
{
  std::string t = text;
  for (auto& c : t) {
    if (c == ':' || c == 'h' || c == 'm' || c == 'd' || c == 's') {
      c = ' ';
    }
  }
  const char* p = t.c_str();
  while (*p == ' ') {
    ++p;
  }
  bool negative = *p == '-';
  double parts[3] = {0, 0, 0};
  int n = 0;
  while (*p != '\0' && n < 3) {
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p || !std::isfinite(v)) {
      return std::nullopt;
    }
    parts[n++] = std::fabs(v);
    p = end;
    while (*p == ' ') {
      ++p;
    }
  }
  if (n == 0 || *p != '\0') {
    return std::nullopt;
  }
  if (n == 1) {
    // One number: degrees (or hours when the text says so with a separator).
    double v = negative ? -parts[0] : parts[0];
    return v;
  }
  double v = parts[0] + parts[1] / 60 + parts[2] / 3600;
  v = hours ? v * 15 : v;
  return negative ? -v : v;
}

HeaderSummary summarize_header(const std::vector<Card>& all, int hdu, std::string extname)
{
  Index cards(all);
  HeaderSummary s;
  s.hdu = hdu;
  s.extname = std::move(extname);
  s.telescope = str(cards, "TELESCOP");
  s.instrument = str(cards, "INSTRUME");
  s.object = str(cards, "OBJECT");
  s.observer = str(cards, "OBSERVER");
  s.origin = str(cards, "ORIGIN");
  s.date = str(cards, "DATE");
  s.date_obs = str(cards, "DATE-OBS");
  if (!s.date_obs) {
    s.date_obs = str(cards, "DATE-BEG");
  }
  s.date_end = str(cards, "DATE-END");
  s.mjd_obs = num(cards, "MJD-OBS");
  s.exptime = num(cards, "EXPTIME");
  if (!s.exptime) {
    s.exptime = num(cards, "EXPOSURE");
  }
  s.bunit = str(cards, "BUNIT");

  auto frame = str(cards, "RADESYS");
  if (!frame) {
    frame = str(cards, "RADECSYS");
  }
  const std::pair<const char*, const char*> pairs[] = {
    {"RA", "DEC"}, {"RA_OBJ", "DEC_OBJ"}, {"OBJCTRA", "OBJCTDEC"}, {"RA_PNT", "DEC_PNT"}};
  for (const auto& [rk, dk] : pairs) {
    auto ra = angle(cards, rk, true);
    auto dec = angle(cards, dk, false);
    if (ra && dec && *dec >= -90 && *dec <= 90) {
      s.sky = SkyPosition{*ra, *dec, std::string(rk) + "/" + dk, frame.value_or("")};
      break;
    }
  }
  if (!s.sky) {
    auto t1 = str(cards, "CTYPE1");
    auto t2 = str(cards, "CTYPE2");
    auto v1 = num(cards, "CRVAL1");
    auto v2 = num(cards, "CRVAL2");
    if (t1 && t2 && v1 && v2 && *v1 >= -90 && *v1 <= 360 && *v2 >= -90 && *v2 <= 360) {
      if (t1->rfind("RA--", 0) == 0 && t2->rfind("DEC-", 0) == 0 && *v2 <= 90) {
        s.sky = SkyPosition{*v1, *v2, "WCS CRVAL", frame.value_or("")};
      } else if (t1->rfind("DEC-", 0) == 0 && t2->rfind("RA--", 0) == 0 && *v1 <= 90) {
        s.sky = SkyPosition{*v2, *v1, "WCS CRVAL", frame.value_or("")};
      }
    }
  }

  auto x = num(cards, "OBSGEO-X");
  auto y = num(cards, "OBSGEO-Y");
  auto z = num(cards, "OBSGEO-Z");
  if (x && y && z && (*x != 0 || *y != 0 || *z != 0)) {
    Site g = geodetic(*x, *y, *z);
    if (std::isfinite(g.latitude_deg) && std::isfinite(g.longitude_deg) && std::isfinite(*g.height_m)) {
      s.site = g;
    }
  } else {
    auto b = num(cards, "OBSGEO-B");
    auto l = num(cards, "OBSGEO-L");
    if (b && l && *b >= -90 && *b <= 90) {
      s.site = Site{*b, *l, num(cards, "OBSGEO-H"), "OBSGEO-B/L/H"};
    } else {
      auto lat = angle(cards, "SITELAT", false);
      auto lon = angle(cards, "SITELONG", false);
      if (lat && lon && *lat >= -90 && *lat <= 90) {
        s.site = Site{*lat, *lon, num(cards, "SITEELEV"), "SITELAT/SITELONG"};
      }
    }
  }
  return s;
}

void merge_summary(Summary& summary)
{
  HeaderSummary out;
  out.hdu = 0;
  for (const auto& h : summary.hdus) {
    auto take = [](auto& dst, const auto& src) {
      if (!dst && src) {
        dst = src;
      }
    };
    take(out.telescope, h.telescope);
    take(out.instrument, h.instrument);
    take(out.object, h.object);
    take(out.observer, h.observer);
    take(out.origin, h.origin);
    take(out.date, h.date);
    take(out.date_obs, h.date_obs);
    take(out.date_end, h.date_end);
    take(out.mjd_obs, h.mjd_obs);
    take(out.exptime, h.exptime);
    take(out.bunit, h.bunit);
    take(out.sky, h.sky);
    take(out.site, h.site);
  }
  summary.file = std::move(out);
}

nlohmann::json to_json(const HeaderSummary& s)
{
  nlohmann::json j = nlohmann::json::object();
  auto put = [&j](const char* key, const auto& v) {
    if (v) {
      j[key] = *v;
    }
  };
  if (s.hdu > 0) {
    j["hdu"] = s.hdu;
    j["extname"] = s.extname;
  }
  put("telescope", s.telescope);
  put("instrument", s.instrument);
  put("object", s.object);
  put("observer", s.observer);
  put("origin", s.origin);
  put("date", s.date);
  put("date_obs", s.date_obs);
  put("date_end", s.date_end);
  put("mjd_obs", s.mjd_obs);
  put("exptime", s.exptime);
  put("bunit", s.bunit);
  if (s.sky) {
    j["sky"] = {{"ra_deg", s.sky->ra_deg}, {"dec_deg", s.sky->dec_deg}, {"source", s.sky->source}};
    if (!s.sky->frame.empty()) {
      j["sky"]["frame"] = s.sky->frame;
    }
  }
  if (s.site) {
    j["site"] = {{"latitude_deg", s.site->latitude_deg},
                 {"longitude_deg", s.site->longitude_deg},
                 {"source", s.site->source}};
    if (s.site->height_m) {
      j["site"]["height_m"] = *s.site->height_m;
    }
  }
  return j;
}

nlohmann::json to_json(const Summary& s)
{
  nlohmann::json hdus = nlohmann::json::array();
  for (const auto& h : s.hdus) {
    hdus.push_back(to_json(h));
  }
  return {{"file", to_json(s.file)}, {"hdus", hdus}};
}

Result<Summary> summary(const std::filesystem::path& path)
{
  Options opts;
  opts.check_data = false;
  auto r = HEMERA_TRY(validate(path, validate::Profile::strict(), opts));
  return std::move(r.summary);
}

}  // namespace hemera::fits
