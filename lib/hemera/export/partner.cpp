// SPDX-License-Identifier: Apache-2.0
// Partner converters from the configuration, the record source over the
// archive tree, the open/embargo rule and the searchable summary of a record.
#include <hemera/export/export.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include <hemera/uuid.hpp>

namespace hemera::interop {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string> string_list(const json& j)
{
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) {
        out.push_back(e.get<std::string>());
      }
    }
  }
  return out;
}

Error bad_key(const std::string& partner, const std::string& key, const std::string& what)
{
  return Error{Errc::config, fmt::format("partners.{}.{}: {}", partner, key, what), {},
               fmt::format("partners.{}.{}", partner, key), "config.partner"};
}

// The 34 INSPIRE themes (GEMET - INSPIRE themes, version 1.0): code, English label.
constexpr std::array<std::array<const char*, 2>, 34> k_themes = {{
  {"rs", "Coordinate reference systems"}, {"gg", "Geographical grid systems"},
  {"gn", "Geographical names"}, {"au", "Administrative units"}, {"ad", "Addresses"},
  {"cp", "Cadastral parcels"}, {"tn", "Transport networks"}, {"hy", "Hydrography"},
  {"ps", "Protected sites"}, {"el", "Elevation"}, {"lc", "Land cover"}, {"oi", "Orthoimagery"},
  {"ge", "Geology"}, {"su", "Statistical units"}, {"bu", "Buildings"}, {"so", "Soil"},
  {"lu", "Land use"}, {"hh", "Human health and safety"},
  {"us", "Utility and governmental services"}, {"ef", "Environmental monitoring facilities"},
  {"pf", "Production and industrial facilities"},
  {"af", "Agricultural and aquaculture facilities"},
  {"pd", "Population distribution — demography"},
  {"am", "Area management/restriction/regulation zones and reporting units"},
  {"nz", "Natural risk zones"}, {"ac", "Atmospheric conditions"},
  {"mf", "Meteorological geographical features"}, {"of", "Oceanographic geographical features"},
  {"sr", "Sea regions"}, {"br", "Bio-geographical regions"}, {"hb", "Habitats and biotopes"},
  {"sd", "Species distribution"}, {"er", "Energy resources"}, {"mr", "Mineral resources"},
}};

}  // namespace

std::string inspire_theme_code(std::string_view label)
{
  std::string l = lower(std::string(label));
  for (const auto& t : k_themes) {
    if (lower(t[1]) == l || t[0] == l) {
      return t[0];
    }
  }
  return {};
}

std::string now_utc()
{
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<Schema> parse_schema(std::string_view name)
{
  std::string n = lower(std::string(name));
  if (n == "iso19139" || n == "iso" || n == "gmd") {
    return Schema::iso19139;
  }
  if (n == "dc" || n == "dublin-core" || n == "csw") {
    return Schema::dublin_core;
  }
  if (n == "datacite") {
    return Schema::datacite;
  }
  if (n == "json") {
    return Schema::json;
  }
  return fail(Errc::usage, fmt::format("unknown output schema '{}' (iso19139, dc, datacite, json)", name));
}

const char* schema_name(Schema schema) noexcept
{
  switch (schema) {
  case Schema::iso19139: return "iso19139";
  case Schema::dublin_core: return "dc";
  case Schema::datacite: return "datacite";
  case Schema::json: return "json";
  }
  return "?";
}

std::vector<std::string> partner_names(const config::Config& config)
{
  std::vector<std::string> names{"default"};
  if (const json* p = config.find("partners"); p != nullptr && p->is_object()) {
    for (const auto& [k, v] : p->items()) {
      if (k != "default") {
        names.push_back(k);
      }
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Partner> load_partner(const config::Config& config, const std::string& name)
{
  Partner p;
  p.name = name;
  p.landing_page_base = config.get_string("catalogue_url");
  while (!p.landing_page_base.empty() && p.landing_page_base.back() == '/') {
    p.landing_page_base.pop_back();
  }
  p.publisher = config.get_string("doi.publisher");
  p.doi_prefix = config.get_string("doi.prefix");
  if (const json* d = config.find("catalogue.defaults"); d != nullptr && d->is_object()) {
    p.inspire = *d;
    if (const json* mc = d->contains("metadataContact") ? &(*d)["metadataContact"] : nullptr;
        mc != nullptr && mc->is_object()) {
      p.point_of_contact = Party{mc->value("name", ""), mc->value("organisation", ""),
                                 mc->value("email", ""), "pointOfContact"};
    }
  }
  const json* all = config.find("partners");
  const json* e = nullptr;
  if (all != nullptr && all->is_object() && all->contains(name)) {
    e = &(*all)[name];
  }
  if (e == nullptr) {
    if (name != "default") {
      return fail(Errc::usage, fmt::format("no partner '{}' in the configuration (partners: {})", name,
                                           fmt::join(partner_names(config), ", ")),
                  {}, "--partner");
    }
    return p;
  }
  if (e->is_null()) {
    return p;
  }
  if (!e->is_object()) {
    return tl::unexpected(bad_key(name, "", "a partner is a mapping"));
  }
  p.collections = string_list(e->value("collections", json()));
  for (auto& c : p.collections) {
    while (!c.empty() && c.back() == '/') {
      c.pop_back();
    }
  }
  for (const auto& d : string_list(e->value("databases", json()))) {
    std::string u = d;
    std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (u != "DATB" && u != "DASB") {
      return tl::unexpected(bad_key(name, "databases", fmt::format("'{}' is not DATB or DASB", d)));
    }
    p.databases.push_back(u);
  }
  p.keywords = string_list(e->value("keywords", json()));
  p.include_embargoed = e->value("include_embargoed", false);
  p.include_non_public = e->value("include_non_public", false);
  if (e->contains("schemas")) {
    p.schemas.clear();
    for (const auto& s : string_list((*e)["schemas"])) {
      auto sc = parse_schema(s);
      if (!sc) {
        return tl::unexpected(bad_key(name, "schemas", sc.error().message));
      }
      p.schemas.push_back(*sc);
    }
  }
  p.extra_keywords = string_list(e->value("extra_keywords", json()));
  if (const auto it = e->find("keyword_map"); it != e->end()) {
    if (!it->is_object()) {
      return tl::unexpected(bad_key(name, "keyword_map", "a mapping of keyword to keyword"));
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        return tl::unexpected(bad_key(name, "keyword_map." + k, "a string"));
      }
      p.keyword_map[lower(k)] = v.get<std::string>();
    }
  }
  if (const auto it = e->find("point_of_contact"); it != e->end()) {
    if (!it->is_object()) {
      return tl::unexpected(bad_key(name, "point_of_contact", "a mapping (organisation, email, name)"));
    }
    p.point_of_contact = Party{it->value("name", ""), it->value("organisation", ""),
                               it->value("email", ""), "pointOfContact"};
  }
  p.landing_page_base = e->value("landing_page_base", p.landing_page_base);
  p.title = e->value("title", p.title);
  p.abstract = e->value("abstract", p.abstract);
  p.publisher = e->value("publisher", p.publisher);
  p.doi_prefix = e->value("doi_prefix", p.doi_prefix);
  if (const auto it = e->find("inspire"); it != e->end()) {
    if (!it->is_object()) {
      return tl::unexpected(bad_key(name, "inspire", "a mapping of INSPIRE defaults"));
    }
    p.inspire.update(*it);
  }
  if (const auto it = e->find("max_records"); it != e->end()) {
    if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 10000) {
      return tl::unexpected(bad_key(name, "max_records", "an integer from 1 to 10000"));
    }
    p.max_records = it->get<std::size_t>();
  }
  while (!p.landing_page_base.empty() && p.landing_page_base.back() == '/') {
    p.landing_page_base.pop_back();
  }
  return p;
}

// ---- The archive tree as a record source.

namespace {

class ArchiveSource final : public RecordSource {
 public:
  explicit ArchiveSource(fs::path root) : m_root(std::move(root)) {}

  Result<std::vector<Entry>> list() override
  {
    std::vector<Entry> out;
    m_skipped = 0;
    for (const char* db : {"DATB", "DASB"}) {
      walk(m_root / db, db, "", 0, out);
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.uuid < b.uuid; });
    return out;
  }

  Result<Entry> find(const std::string& id) override
  {
    if (!uuid::check_rfc4122(id)) {
      return fail(Errc::usage, fmt::format("not a UUID: {}", id));
    }
    std::string want = lower(id);
    std::vector<Entry> found;
    for (const char* db : {"DATB", "DASB"}) {
      walk(m_root / db, db, "", 0, found, &want);
      if (!found.empty()) {
        return std::move(found.front());
      }
    }
    return fail(Errc::no_input, fmt::format("no dataset {} in {}", id, m_root.string()));
  }

  [[nodiscard]] std::size_t skipped() const override { return m_skipped; }

 private:
  void walk(const fs::path& dir, const char* db, const std::string& collection, int depth,
            std::vector<Entry>& out, const std::string* only = nullptr)
  {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      return;
    }
    for (const auto& de : it) {
      std::error_code sec;
      if (!de.is_directory(sec) || de.is_symlink(sec)) {
        continue;
      }
      std::string name = de.path().filename().string();
      if (name.empty() || name[0] == '.') {
        continue;
      }
      if (depth >= 1 && uuid::check_rfc4122(name)) {
        if (only != nullptr && lower(name) != *only) {
          continue;
        }
        auto e = read(de.path() / "metadata.json", db, collection, name);
        if (e) {
          out.push_back(std::move(*e));
          if (only != nullptr) {
            return;
          }
        } else {
          ++m_skipped;
        }
      } else if (depth < 3) {
        walk(de.path(), db, collection.empty() ? name : collection + "/" + name, depth + 1, out, only);
        if (only != nullptr && !out.empty()) {
          return;
        }
      }
    }
  }

  static Result<Entry> read(const fs::path& file, const char* db, const std::string& collection,
                            const std::string& id)
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return fail(Errc::no_input, fmt::format("cannot read {}", file.string()));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    auto rec = HEMERA_TRY(metadata::Record::parse(ss.str(), file.string()));
    return Entry{lower(id), db, collection, std::move(rec)};
  }

  fs::path m_root;
  std::size_t m_skipped = 0;
};

}  // namespace

std::unique_ptr<RecordSource> archive_source(const fs::path& root)
{
  return std::make_unique<ArchiveSource>(root);
}

Result<Entry> read_entry(const fs::path& root, const std::string& path)
{
  auto first = path.find('/');
  auto last = path.rfind('/');
  std::string base = path.substr(0, first);
  std::string id = last == std::string::npos ? "" : path.substr(last + 1);
  bool ok = (base == "DATB" || base == "DASB") && first < last && uuid::check_rfc4122(id) &&
            path.find("..") == std::string::npos && path.find("//") == std::string::npos &&
            path.find('\\') == std::string::npos;
  if (!ok) {
    return fail(Errc::data, fmt::format("not a dataset path: '{}'", path));
  }
  fs::path file = root / path / "metadata.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(Errc::no_input, fmt::format("cannot read {}", file.string()));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto rec = HEMERA_TRY(metadata::Record::parse(ss.str(), file.string()));
  return Entry{lower(id), base, path.substr(first + 1, last - first - 1), std::move(rec)};
}

bool is_open(const metadata::Record& record, std::string_view now)
{
  std::string status = lower(record.status().value_or(""));
  if (status != "public") {
    return false;
  }
  if (auto di = record.distribution_information(); di && di->embargo_end) {
    // ISO 8601 strings in UTC compare in time order; a date alone ends at its start.
    if (std::string_view(*di->embargo_end) > now.substr(0, di->embargo_end->size())) {
      return false;
    }
  }
  return true;
}

bool accepts(const Partner& partner, const Entry& entry, std::string_view now)
{
  if (!partner.databases.empty() &&
      std::find(partner.databases.begin(), partner.databases.end(), entry.database) == partner.databases.end()) {
    return false;
  }
  if (!partner.collections.empty()) {
    bool ok = std::any_of(partner.collections.begin(), partner.collections.end(), [&](const std::string& c) {
      return entry.collection == c || entry.collection.rfind(c + "/", 0) == 0;
    });
    if (!ok) {
      return false;
    }
  }
  if (!partner.keywords.empty()) {
    bool ok = false;
    for (const auto& k : entry.record.keywords().value_or(std::vector<metadata::Keyword>{})) {
      std::string c = lower(k.concept_name.value_or(""));
      ok = ok || std::any_of(partner.keywords.begin(), partner.keywords.end(),
                             [&](const std::string& w) { return lower(w) == c; });
    }
    if (!ok) {
      return false;
    }
  }
  std::string status = lower(entry.record.status().value_or(""));
  if (status != "public" && status != "embargoed" && !partner.include_non_public) {
    return false;
  }
  if (!is_open(entry.record, now)) {
    bool embargoed = status == "embargoed" || status == "public";
    if (embargoed && !partner.include_embargoed) {
      return false;
    }
    if (!embargoed && !partner.include_non_public) {
      return false;
    }
  }
  return true;
}

Summary summarize(const Entry& entry, const Partner& partner, const config::Config& config)
{
  const auto& r = entry.record;
  Summary s;
  s.uuid = entry.uuid;
  s.database = entry.database;
  s.collection = entry.collection;
  if (auto t = r.resource_title()) {
    s.title = t->get("en");
    if (auto it = t->values.find("fr"); it != t->values.end()) {
      s.title_fr = it->second;
    }
  }
  if (s.title.empty()) {
    s.title = s.uuid;
  }
  if (auto a = r.resource_abstract()) {
    s.abstract = a->get("en");
    if (auto it = a->values.find("fr"); it != a->values.end()) {
      s.abstract_fr = it->second;
    }
  }
  s.modified = r.last_modification().value_or("");
  if (s.modified.empty()) {
    if (auto vs = r.versions(); vs && !vs->empty() && vs->back().date) {
      s.modified = *vs->back().date;
    }
  }
  s.language = r.language().value_or("en");
  for (const auto& k : r.keywords().value_or(std::vector<metadata::Keyword>{})) {
    if (k.concept_name && !k.concept_name->empty()) {
      auto it = partner.keyword_map.find(lower(*k.concept_name));
      s.keywords.push_back(it != partner.keyword_map.end() ? it->second : *k.concept_name);
    }
  }
  for (const auto& k : partner.extra_keywords) {
    s.keywords.push_back(k);
  }
  for (const auto& f : r.formats().value_or(std::vector<metadata::Format>{})) {
    if (f.name) {
      s.formats.push_back(*f.name);
    }
  }
  for (const auto& c : r.contacts().value_or(std::vector<metadata::Contact>{})) {
    if (c.name) {
      s.creators.push_back(*c.name);
    } else if (c.organisation) {
      s.creators.push_back(*c.organisation);
    }
  }
  for (const auto& te : r.temporal_extents().value_or(std::vector<metadata::TemporalExtent>{})) {
    if (te.begin_date && (s.begin.empty() || *te.begin_date < s.begin)) {
      s.begin = *te.begin_date;
    }
    if (te.end_date && (s.end.empty() || *te.end_date > s.end)) {
      s.end = *te.end_date;
    }
  }
  double w = 1e9, e = -1e9, so = 1e9, n = -1e9;
  bool any = false;
  auto add = [&](std::optional<double> lon, std::optional<double> lat) {
    if (lon && lat && *lon >= -180 && *lon <= 180 && *lat >= -90 && *lat <= 90) {
      w = std::min(w, *lon);
      e = std::max(e, *lon);
      so = std::min(so, *lat);
      n = std::max(n, *lat);
      any = true;
    }
  };
  for (const auto& se : r.spatial_extents().value_or(std::vector<metadata::SpatialExtent>{})) {
    if (!se.area) {
      continue;
    }
    const auto& a = *se.area;
    std::string type = a.type.value_or("");
    if (type == "bbox") {
      add(a.west, a.south);
      add(a.east, a.north);
    } else if (type == "point") {
      add(a.longitude, a.latitude);
    } else if (type == "trajectory" && a.points) {
      for (const auto& p : *a.points) {
        add(p.longitude, p.latitude);
      }
    }
  }
  if (any) {
    s.bbox = std::array<double, 4>{w, so, e, n};
  } else if (auto it = partner.inspire.find("bbox"); it != partner.inspire.end() && it->is_array() &&
                                                     it->size() == 4) {
    // A default extent (W, S, E, N) for records without one (INSPIRE needs a bounding box).
    std::array<double, 4> b{};
    bool ok = true;
    for (std::size_t i = 0; i < 4; ++i) {
      const json& v = (*it)[i];
      if (v.is_number()) {
        b[i] = v.get<double>();
      } else if (v.is_string()) {
        const std::string text = v.get<std::string>();  // `end` points into it
        char* end = nullptr;
        b[i] = std::strtod(text.c_str(), &end);
        ok = ok && end != nullptr && *end == '\0' && !text.empty();
      } else {
        ok = false;
      }
    }
    if (ok && b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[1] <= b[3]) {
      s.bbox = b;
    }
  }
  for (const auto& id : r.identifiers().value_or(std::vector<metadata::Identifier>{})) {
    if (id.code && (lower(id.code_space.value_or("")).find("doi") != std::string::npos ||
                    id.code->rfind("10.", 0) == 0)) {
      s.doi = *id.code;
      for (const char* p : {"https://doi.org/", "http://dx.doi.org/", "https://dx.doi.org/", "doi:"}) {
        if (s.doi.rfind(p, 0) == 0) {
          s.doi = s.doi.substr(std::string_view(p).size());
        }
      }
      break;
    }
  }
  if (auto di = r.distribution_information()) {
    s.licence = di->licence_name.value_or("");
    if (di->licence_version && !s.licence.empty()) {
      s.licence += " " + *di->licence_version;
    }
  }
  s.publisher = partner.publisher.empty() ? config.get_string("doi.publisher") : partner.publisher;
  s.landing_page = partner.landing_page_base + "/" + s.uuid;
  std::string any_text = s.title + "\n" + s.title_fr + "\n" + s.abstract + "\n" + s.abstract_fr + "\n" +
                         s.uuid + "\n" + s.collection;
  for (const auto* list : {&s.keywords, &s.formats, &s.creators}) {
    for (const auto& v : *list) {
      any_text.append("\n").append(v);
    }
  }
  for (const auto& p : r.parameters().value_or(std::vector<metadata::Parameter>{})) {
    any_text.append("\n").append(p.short_name.value_or("")).append("\n").append(p.long_name.value_or(""));
  }
  s.any_text = lower(any_text);
  return s;
}

}  // namespace hemera::interop
