// SPDX-License-Identifier: Apache-2.0
// GCC 12 reports a false -Wrestrict inside libstdc++'s std::string as inlined
// into valijson (GCC bug 105329); it is silenced for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
#include <hemera/metadata/publishability.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>

#include <fmt/format.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <hemera/uuid.hpp>
#include <hemera/util/json.hpp>

namespace hemera::metadata {

// The text of schemas/record.schema.json, built in (record_schema.cpp, generated).
extern const char* const k_record_schema_text;

namespace {

using nlohmann::json;

// INSPIRE topic categories (ISO 19115 MD_TopicCategoryCode).
constexpr std::array<const char*, 19> k_topic_categories = {
  "farming", "biota", "boundaries", "climatologyMeteorologyAtmosphere", "economy", "elevation",
  "environment", "geoscientificInformation", "health", "imageryBaseMapsEarthCover",
  "intelligenceMilitary", "inlandWaters", "location", "oceans", "planningCadastre", "society",
  "structure", "transportation", "utilitiesCommunication"};

// The 34 INSPIRE spatial data themes (GEMET - INSPIRE themes, version 1.0).
constexpr std::array<const char*, 34> k_inspire_themes = {
  "Coordinate reference systems", "Geographical grid systems", "Geographical names",
  "Administrative units", "Addresses", "Cadastral parcels", "Transport networks", "Hydrography",
  "Protected sites", "Elevation", "Land cover", "Orthoimagery", "Geology",
  "Statistical units", "Buildings", "Soil", "Land use", "Human health and safety",
  "Utility and governmental services", "Environmental monitoring facilities",
  "Production and industrial facilities", "Agricultural and aquaculture facilities",
  "Population distribution — demography", "Area management/restriction/regulation zones and reporting units",
  "Natural risk zones", "Atmospheric conditions", "Meteorological geographical features",
  "Oceanographic geographical features", "Sea regions", "Bio-geographical regions",
  "Habitats and biotopes", "Species distribution", "Energy resources", "Mineral resources"};

// INSPIRE limitations on public access (code list values).
constexpr std::array<const char*, 9> k_access_limitations = {
  "noLimitations", "INSPIRE_Directive_Article13_1a", "INSPIRE_Directive_Article13_1b",
  "INSPIRE_Directive_Article13_1c", "INSPIRE_Directive_Article13_1d",
  "INSPIRE_Directive_Article13_1e", "INSPIRE_Directive_Article13_1f",
  "INSPIRE_Directive_Article13_1g", "INSPIRE_Directive_Article13_1h"};

bool blank(const std::string& s)
{
  return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

// Return true if `j` is a non-empty string or a text object with a non-blank value.
bool has_text(const json* j)
{
  if (j == nullptr || j->is_null()) {
    return false;
  }
  if (j->is_string()) {
    return !blank(j->get<std::string>());
  }
  if (j->is_object()) {
    for (const auto& [k, v] : j->items()) {
      if (v.is_string() && !blank(v.get<std::string>())) {
        return true;
      }
    }
  }
  if (j->is_array()) {
    return std::any_of(j->begin(), j->end(), [](const json& e) { return has_text(&e); });
  }
  return false;
}

const json* at(const json& j, std::initializer_list<const char*> keys)
{
  const json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object()) {
      return nullptr;
    }
    auto it = cur->find(k);
    if (it == cur->end()) {
      return nullptr;
    }
    cur = &*it;
  }
  return cur;
}

// The string at top-level `key`, "" when absent or of another type.
std::string text_at(const json& j, const char* key)
{
  const json* v = at(j, {key});
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct Ctx {
  ProfileReport& report;
  void add(Check::Level level, std::string rule, std::string path, std::string message)
  {
    report.checks.push_back(Check{level, std::move(rule), std::move(path), std::move(message)});
  }
  void error(std::string rule, std::string path, std::string message)
  {
    add(Check::Level::error, std::move(rule), std::move(path), std::move(message));
  }
  void warning(std::string rule, std::string path, std::string message)
  {
    add(Check::Level::warning, std::move(rule), std::move(path), std::move(message));
  }
};

// Return the record's value at inspire.<key>, else the default.
const json* inspire_value(const json& doc, const Defaults& d, const char* key, bool& from_default)
{
  from_default = false;
  const json* v = at(doc, {"inspire", key});
  if (v != nullptr && !v->is_null()) {
    return v;
  }
  from_default = true;
  return d.find(key);
}

std::vector<std::string> strings_of(const json* j)
{
  std::vector<std::string> out;
  if (j == nullptr) {
    return out;
  }
  if (j->is_string()) {
    out.push_back(j->get<std::string>());
  } else if (j->is_array()) {
    for (const auto& e : *j) {
      if (e.is_string()) {
        out.push_back(e.get<std::string>());
      }
    }
  }
  return out;
}

bool valid_email(const std::string& s)
{
  auto at_pos = s.find('@');
  return at_pos != std::string::npos && at_pos > 0 && s.find('@', at_pos + 1) == std::string::npos &&
         s.find('.', at_pos) != std::string::npos && s.back() != '.' &&
         s.find_first_of(" \t<>,;") == std::string::npos;
}

void check_date(Ctx& c, const json& doc, const std::string& path, const json* v, bool required)
{
  (void)doc;
  if (v == nullptr || v->is_null()) {
    if (required) {
      c.error("value.date", path, "a date is required here");
    }
    return;
  }
  if (!v->is_string() || !parse_iso8601(v->get<std::string>())) {
    c.error("value.date", path,
            fmt::format("not an ISO 8601 date or date-time: {}", v->dump()));
  }
}

void check_lat(Ctx& c, const std::string& path, const json* v)
{
  if (v != nullptr && v->is_number()) {
    double d = v->get<double>();
    if (!(d >= -90.0 && d <= 90.0)) {
      c.error("value.coordinates", path, fmt::format("latitude {} outside [-90, 90]", d));
    }
  }
}

void check_lon(Ctx& c, const std::string& path, const json* v)
{
  if (v != nullptr && v->is_number()) {
    double d = v->get<double>();
    if (!(d >= -180.0 && d <= 180.0)) {
      c.error("value.coordinates", path, fmt::format("longitude {} outside [-180, 180]", d));
    }
  }
}

// Check the spatial extents' coordinates; return true if one gives a usable area.
bool check_extents(Ctx& c, const json& doc)
{
  const json* exts = at(doc, {"spatialExtents"});
  bool usable = false;
  if (exts == nullptr || !exts->is_array()) {
    return false;
  }
  for (std::size_t i = 0; i < exts->size(); ++i) {
    const json& e = (*exts)[i];
    std::string base = fmt::format("$.spatialExtents[{}].area", i);
    const json* area = at(e, {"area"});
    if (area == nullptr || !area->is_object()) {
      continue;
    }
    std::string type = util::member_or<std::string>(*area, "type", "");
    if (type == "point") {
      check_lat(c, base + ".latitude", at(*area, {"latitude"}));
      check_lon(c, base + ".longitude", at(*area, {"longitude"}));
      const json* la = at(*area, {"latitude"});
      const json* lo = at(*area, {"longitude"});
      usable = usable || (la != nullptr && la->is_number() && lo != nullptr && lo->is_number());
    } else if (type == "bbox") {
      for (const char* k : {"south", "north"}) {
        check_lat(c, base + "." + k, at(*area, {k}));
      }
      for (const char* k : {"west", "east"}) {
        check_lon(c, base + "." + k, at(*area, {k}));
      }
      const json* s = at(*area, {"south"});
      const json* n = at(*area, {"north"});
      if (s != nullptr && n != nullptr && s->is_number() && n->is_number() &&
          s->get<double>() > n->get<double>()) {
        c.error("value.coordinates", base + ".south",
                fmt::format("south ({}) is north of north ({})", s->get<double>(), n->get<double>()));
      }
      bool all = true;
      for (const char* k : {"west", "east", "south", "north"}) {
        const json* v = at(*area, {k});
        all = all && v != nullptr && v->is_number();
      }
      usable = usable || all;
    } else if (type == "trajectory") {
      const json* pts = at(*area, {"points"});
      if (pts != nullptr && pts->is_array()) {
        for (std::size_t k = 0; k < pts->size(); ++k) {
          std::string p = fmt::format("{}.points[{}]", base, k);
          check_lat(c, p + ".latitude", at((*pts)[k], {"latitude"}));
          check_lon(c, p + ".longitude", at((*pts)[k], {"longitude"}));
          if (const json* t = at((*pts)[k], {"time"}); t != nullptr && !t->is_null()) {
            check_date(c, doc, p + ".time", t, false);
          }
        }
        usable = usable || !pts->empty();
      }
    }
  }
  return usable;
}

std::string json_path(const std::vector<std::string>& context)
{
  // valijson: "<root>", "[key]", "[0]"…
  std::string out = "$";
  for (const auto& part : context) {
    if (part == "<root>") {
      continue;
    }
    std::string inner = part;
    if (inner.size() >= 2 && inner.front() == '[' && inner.back() == ']') {
      inner = inner.substr(1, inner.size() - 2);
    }
    bool index = !inner.empty() && std::all_of(inner.begin(), inner.end(),
                                                [](unsigned char ch) { return std::isdigit(ch); });
    bool quoted = inner.size() >= 2 && inner.front() == '"' && inner.back() == '"';
    if (quoted) {
      inner = inner.substr(1, inner.size() - 2);
    }
    out += index ? fmt::format("[{}]", inner) : "." + inner;
  }
  return out;
}

const valijson::Schema& record_schema()
{
  static valijson::Schema schema;
  static std::once_flag once;
  std::call_once(once, [] {
    json doc = json::parse(k_record_schema_text);
    doc.erase("$id");      // resolve every $ref inside this document
    doc.erase("$schema");
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, schema);
  });
  return schema;
}

}  // namespace

const char* level_name(Check::Level level) noexcept
{
  return level == Check::Level::error ? "error" : "warning";
}

const nlohmann::json* Defaults::find(const std::string& key) const
{
  if (!values.is_object()) {
    return nullptr;
  }
  auto it = values.find(key);
  return it == values.end() || it->is_null() ? nullptr : &*it;
}

std::size_t ProfileReport::errors() const
{
  return static_cast<std::size_t>(std::count_if(
    checks.begin(), checks.end(), [](const Check& c) { return c.level == Check::Level::error; }));
}

std::size_t ProfileReport::warnings() const
{
  return checks.size() - errors();
}

void check_schema(const nlohmann::json& doc, std::vector<Check>& out)
{
  // One validator per thread: it keeps the compiled "pattern" regexes.
  thread_local valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (!validator.validate(record_schema(), target, &results)) {
    valijson::ValidationResults::Error e;
    // valijson reports each failure with its enclosing ones; keep the innermost
    // failure per path.
    std::vector<Check> found;
    while (results.popError(e)) {
      std::string path = json_path(e.context);
      found.push_back(Check{Check::Level::error, "schema", path, e.description});
    }
    for (const auto& f : found) {
      bool dup = std::any_of(out.begin(), out.end(), [&](const Check& o) {
        return o.rule == f.rule && o.path == f.path;
      });
      bool enclosing = std::any_of(found.begin(), found.end(), [&](const Check& o) {
        return o.path.size() > f.path.size() && o.path.compare(0, f.path.size(), f.path) == 0 &&
               (o.path[f.path.size()] == '.' || o.path[f.path.size()] == '[');
      });
      dup = dup || enclosing;
      if (!dup) {
        out.push_back(f);
      }
    }
  }
  if (doc.is_object()) {
    auto id = doc.find("id");
    auto ident = doc.find("identifier");
    if (id != doc.end() && ident != doc.end() && *id != *ident) {
      out.push_back(Check{Check::Level::error, "schema", "$.identifier",
                          "id and identifier differ (both are the dataset's UUID)"});
    }
  }
}

ProfileReport check_record(const Record& record, const Defaults& defaults, const std::string& now)
{
  ProfileReport report;
  Ctx c{report};
  const json& doc = record.doc();
  check_schema(doc, report.checks);
  bool dflt = false;

  // --- INSPIRE conformance class 1 (datasets).
  if (!has_text(at(doc, {"resourceTitle"}))) {
    c.error("inspire.title", "$.resourceTitle", "a resource title is required");
  }
  if (!has_text(at(doc, {"resourceAbstract"}))) {
    c.error("inspire.abstract", "$.resourceAbstract", "a resource abstract is required");
  }
  if (text_at(doc, "metadataLevel") != "Dataset" || text_at(doc, "type") != "DATASET") {
    c.error("inspire.resource-type", "$.metadataLevel",
            "the resource type must be a dataset (metadataLevel Dataset, type DATASET)");
  }
  bool locator = false;
  if (const json* links = at(doc, {"links"}); links != nullptr && links->is_array()) {
    for (const auto& l : *links) {
      locator = locator || (l.is_object() && l.contains("url") && has_text(&l["url"]));
    }
  }
  if (!locator) {
    c.error("inspire.locator", "$.links", "a resource locator (a link with a URL) is required");
  }
  if (!record.id() || !uuid::check_rfc4122(*record.id())) {
    c.error("inspire.identifier", "$.id", "a unique resource identifier (the dataset's UUID) is required");
  }
  {
    const json* lang = at(doc, {"language"});
    if (lang == nullptr || !has_text(lang)) {
      lang = defaults.find("language");
    }
    if (lang == nullptr || !has_text(lang)) {
      c.error("inspire.language", "$.language", "a resource language is required");
    }
  }
  {
    const json* tc = inspire_value(doc, defaults, "topicCategory", dflt);
    auto cats = strings_of(tc);
    if (cats.empty()) {
      c.error("inspire.topic-category", "$.inspire.topicCategory",
              "a topic category is required (e.g. climatologyMeteorologyAtmosphere)");
    }
    for (const auto& cat : cats) {
      if (std::find(k_topic_categories.begin(), k_topic_categories.end(), cat) ==
          k_topic_categories.end()) {
        c.error("inspire.topic-category", dflt ? "defaults.topicCategory" : "$.inspire.topicCategory",
                fmt::format("'{}' is not an ISO 19115 topic category", cat));
      }
    }
  }
  {
    const json* kws = at(doc, {"keywords"});
    bool any_kw = false;
    bool theme = false;
    if (kws != nullptr && kws->is_array()) {
      for (const auto& k : *kws) {
        if (k.is_object() && k.contains("concept") && has_text(&k["concept"])) {
          any_kw = true;
          std::string v = k["concept"].is_string() ? k["concept"].get<std::string>() : "";
          theme = theme || std::any_of(k_inspire_themes.begin(), k_inspire_themes.end(),
                                       [&](const char* t) { return lower(v) == lower(t); });
        }
      }
    }
    if (!any_kw) {
      c.error("inspire.keyword", "$.keywords", "at least one keyword is required");
    }
    const json* th = inspire_value(doc, defaults, "theme", dflt);
    for (const auto& t : strings_of(th)) {
      bool known = std::any_of(k_inspire_themes.begin(), k_inspire_themes.end(),
                               [&](const char* k) { return lower(t) == lower(k); });
      if (!known) {
        c.error("inspire.theme", dflt ? "defaults.theme" : "$.inspire.theme",
                fmt::format("'{}' is not an INSPIRE theme (GEMET - INSPIRE themes, version 1.0)", t));
      }
      theme = theme || known;
    }
    if (!theme) {
      c.error("inspire.theme", "$.inspire.theme",
              "a keyword from the INSPIRE themes is required (e.g. \"Atmospheric conditions\")");
    }
  }
  if (!check_extents(c, doc)) {
    c.error("inspire.bbox", "$.spatialExtents",
            "a geographic extent (point, bounding box or trajectory) is required");
  }
  {
    const json* te = at(doc, {"temporalExtents"});
    bool any = false;
    if (te != nullptr && te->is_array()) {
      for (std::size_t i = 0; i < te->size(); ++i) {
        const json& e = (*te)[i];
        std::string p = fmt::format("$.temporalExtents[{}]", i);
        const json* b = at(e, {"beginDate"});
        const json* en = at(e, {"endDate"});
        check_date(c, doc, p + ".beginDate", b, true);
        check_date(c, doc, p + ".endDate", en, false);
        any = any || (b != nullptr && b->is_string());
        if (b != nullptr && en != nullptr && b->is_string() && en->is_string()) {
          auto bt = parse_iso8601(b->get<std::string>());
          auto et = parse_iso8601(en->get<std::string>());
          if (bt && et && to_utc_string(*bt, false) > to_utc_string(*et, true)) {
            c.error("value.date", p + ".endDate", "the end date is before the begin date");
          }
        }
      }
    }
    if (!any) {
      c.error("inspire.temporal", "$.temporalExtents", "a temporal extent (begin date) is required");
    }
  }
  if (!has_text(inspire_value(doc, defaults, "lineage", dflt))) {
    c.error("inspire.lineage", "$.inspire.lineage", "a lineage statement is required");
  }
  if (inspire_value(doc, defaults, "conformity", dflt) == nullptr) {
    c.warning("inspire.conformity", "$.inspire.conformity",
              "no conformity statement: exported as not evaluated against Regulation (EU) 1089/2010");
  }
  {
    const json* di = at(doc, {"distributionInformation"});
    bool conditions = di != nullptr &&
                      (has_text(at(*di, {"licenceName"})) || has_text(at(*di, {"dataPolicyUrl"})) ||
                       has_text(at(*di, {"dataPolicyName"})) || has_text(at(*di, {"useConstraints"})));
    conditions = conditions || has_text(inspire_value(doc, defaults, "accessConditions", dflt));
    if (!conditions) {
      c.error("inspire.access-conditions", "$.distributionInformation.licenceName",
              "conditions for access and use are required (a licence or data policy)");
    }
    const json* lim = inspire_value(doc, defaults, "limitationsOnPublicAccess", dflt);
    if (lim == nullptr) {
      c.error("inspire.access-limitations", "$.inspire.limitationsOnPublicAccess",
              "limitations on public access are required (noLimitations or an Article 13 code)");
    } else if (!lim->is_string() ||
               std::find(k_access_limitations.begin(), k_access_limitations.end(),
                         lim->get<std::string>()) == k_access_limitations.end()) {
      c.error("inspire.access-limitations",
              dflt ? "defaults.limitationsOnPublicAccess" : "$.inspire.limitationsOnPublicAccess",
              fmt::format("{} is not an INSPIRE LimitationsOnPublicAccess code", lim->dump()));
    }
  }

  // --- contacts: responsible party, metadata point of contact, ORCID iDs, DOI creators.
  bool responsible = false;
  bool point_of_contact = false;
  bool creator = false;
  if (const json* cs = at(doc, {"contacts"}); cs != nullptr && cs->is_array()) {
    for (std::size_t i = 0; i < cs->size(); ++i) {
      const json& ct = (*cs)[i];
      if (!ct.is_object()) {
        continue;
      }
      std::string p = fmt::format("$.contacts[{}]", i);
      bool org = has_text(at(ct, {"organisation"}));
      bool mail = has_text(at(ct, {"email"}));
      if (mail && !valid_email(ct["email"].is_string() ? ct["email"].get<std::string>() : "")) {
        c.error("value.email", p + ".email", fmt::format("not an e-mail address: {}", ct["email"].dump()));
        mail = false;
      }
      std::vector<std::string> roles;
      for (const auto& r : strings_of(at(ct, {"roles"}))) {
        roles.push_back(lower(r));
      }
      bool has_role = std::any_of(roles.begin(), roles.end(), [](const std::string& r) { return !blank(r); });
      responsible = responsible || (org && mail && has_role);
      point_of_contact = point_of_contact ||
                         (org && mail && std::find(roles.begin(), roles.end(), "pointofcontact") != roles.end());
      bool pi = std::find(roles.begin(), roles.end(), "principalinvestigator") != roles.end();
      creator = creator || (has_text(at(ct, {"name"})) &&
                            (pi || std::find(roles.begin(), roles.end(), "author") != roles.end() ||
                             std::find(roles.begin(), roles.end(), "originator") != roles.end()));
      const json* orcid = at(ct, {"orcId"});
      if (orcid != nullptr && has_text(orcid)) {
        if (!orcid->is_string()) {
          c.error("value.orcid", p + ".orcId", "an ORCID iD is a string");
        } else if (auto n = normalize_orcid(orcid->get<std::string>()); !n) {
          c.error("value.orcid", p + ".orcId", n.error().message);
        } else if (!orcid_in_assigned_range(*n)) {
          c.warning("value.orcid", p + ".orcId",
                    fmt::format("{} lies outside the blocks the ORCID registry assigns from", *n));
        }
      } else if (pi) {
        c.warning("doi.orcid", p + ".orcId", "the principal investigator has no ORCID iD");
      }
    }
  }
  if (!responsible) {
    c.error("inspire.responsible-party", "$.contacts",
            "a responsible party (a contact with organisation, e-mail and role) is required");
  }
  if (!point_of_contact) {
    const json* mc = defaults.find("metadataContact");
    if (mc == nullptr || !has_text(at(*mc, {"organisation"})) || !has_text(at(*mc, {"email"}))) {
      c.error("inspire.metadata-contact", "$.contacts",
              "a metadata point of contact (a contact with role pointOfContact, organisation and "
              "e-mail, or metadataContact in the defaults) is required");
    }
  }
  {
    const json* lm = at(doc, {"lastModification", "value"});
    if (lm == nullptr) {
      c.error("inspire.metadata-date", "$.lastModification.value", "the metadata date is required");
    } else {
      check_date(c, doc, "$.lastModification.value", lm, true);
    }
  }

  // --- DataCite minimum.
  if (!creator) {
    c.error("doi.creator", "$.contacts",
            "a creator is required (a named contact with role principalInvestigator, author or originator)");
  }
  if (defaults.find("publisher") == nullptr || !has_text(defaults.find("publisher"))) {
    c.error("doi.publisher", "defaults.publisher", "a publisher is required (doi.publisher in the configuration)");
  }
  if (!at(doc, {"lastModification", "value"}) && !at(doc, {"versions"})) {
    c.error("doi.publication-year", "$.versions", "a publication year (first version date) is required");
  }

  // --- other values.
  if (const json* vs = at(doc, {"versions"}); vs != nullptr && vs->is_array()) {
    for (std::size_t i = 0; i < vs->size(); ++i) {
      if (const json* d = at((*vs)[i], {"date"}); d != nullptr) {
        check_date(c, doc, fmt::format("$.versions[{}].date", i), d, false);
      }
    }
  }
  {
    const json* di = at(doc, {"distributionInformation"});
    const json* end = di != nullptr ? at(*di, {"embargoEnd"}) : nullptr;
    std::string status = lower(text_at(doc, "status"));
    if (end != nullptr && !end->is_null()) {
      check_date(c, doc, "$.distributionInformation.embargoEnd", end, false);
      auto t = end->is_string() ? parse_iso8601(end->get<std::string>()) : std::nullopt;
      if (t) {
        bool future = to_utc_string(*t, true) > now;
        if (future && status == "public") {
          c.error("value.embargo", "$.status",
                  fmt::format("status is Public but the embargo runs until {}", end->get<std::string>()));
        }
        if (!future && status == "embargoed") {
          c.error("value.embargo", "$.status",
                  fmt::format("status is Embargoed but the embargo ended on {}", end->get<std::string>()));
        }
      }
    } else if (status == "embargoed") {
      c.error("value.embargo", "$.distributionInformation.embargoEnd",
              "status is Embargoed but no embargo end date is given");
    }
    const json* dur = di != nullptr ? at(*di, {"embargoDuration"}) : nullptr;
    if (dur != nullptr && dur->is_number() && dur->get<double>() < 0) {
      c.error("value.embargo", "$.distributionInformation.embargoDuration",
              "the embargo duration is negative");
    }
  }
  if (!at(doc, {"status"}) || !has_text(at(doc, {"status"}))) {
    c.error("inspire.access-limitations", "$.status", "a status (Public, Embargoed…) is required");
  }

  for (const auto& ch : report.checks) {
    if (ch.level != Check::Level::error) {
      continue;
    }
    report.publishable = false;
    if (ch.rule == "schema") {
      report.schema_valid = false;
    }
    if (ch.rule.rfind("doi.", 0) == 0 || ch.rule.rfind("value.", 0) == 0 || ch.rule == "schema" ||
        ch.rule == "inspire.title" || ch.rule == "inspire.identifier") {
      report.doi_ready = false;
    }
  }
  return report;
}

char orcid_check_digit(std::string_view base15)
{
  int total = 0;
  for (char ch : base15) {
    total = ((total + (ch - '0')) * 2) % 11;
  }
  int result = (12 - total) % 11;
  return result == 10 ? 'X' : static_cast<char>('0' + result);
}

Result<std::string> normalize_orcid(std::string_view text)
{
  std::string s(text);
  for (const char* prefix : {"https://orcid.org/", "http://orcid.org/"}) {
    if (s.rfind(prefix, 0) == 0) {
      s = s.substr(std::string_view(prefix).size());
      break;
    }
  }
  std::string digits;
  if (s.size() == 19) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i == 4 || i == 9 || i == 14) {
        if (s[i] != '-') {
          return fail(Errc::data, fmt::format("'{}' is not an ORCID iD (dddd-dddd-dddd-dddX)", text));
        }
      } else {
        digits += s[i];
      }
    }
  } else if (s.size() == 16) {
    digits = s;
  } else {
    return fail(Errc::data, fmt::format("'{}' is not an ORCID iD (16 characters: dddd-dddd-dddd-dddX)", text));
  }
  for (std::size_t i = 0; i < 15; ++i) {
    if (digits[i] < '0' || digits[i] > '9') {
      return fail(Errc::data, fmt::format("'{}' is not an ORCID iD (digits expected)", text));
    }
  }
  char last = digits[15] == 'x' ? 'X' : digits[15];
  if (!((last >= '0' && last <= '9') || last == 'X')) {
    return fail(Errc::data, fmt::format("'{}' is not an ORCID iD (last character 0-9 or X)", text));
  }
  char want = orcid_check_digit(std::string_view(digits).substr(0, 15));
  if (want != last) {
    return fail(Errc::data, fmt::format("ORCID iD '{}' has a wrong check digit (ISO 7064 MOD 11-2 gives {})",
                                        text, want));
  }
  return fmt::format("{}-{}-{}-{}{}", digits.substr(0, 4), digits.substr(4, 4), digits.substr(8, 4),
                     digits.substr(12, 3), last);
}

bool orcid_in_assigned_range(std::string_view canonical)
{
  std::string s(canonical);
  return (s >= "0000-0001-5000-0007" && s <= "0000-0003-5000-0001") || s.rfind("0009-", 0) == 0;
}

namespace {

bool digits_at(std::string_view s, std::size_t pos, std::size_t n, int& out)
{
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int days_in_month(int y, int m)
{
  static const int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : k_days[m - 1];
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
long long days_from_civil(int y, int m, int d)
{
  y -= m <= 2 ? 1 : 0;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(long long z, int& y, int& m, int& d)
{
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long yy = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2 ? 1 : 0));
}

}  // namespace

std::optional<Instant> parse_iso8601(std::string_view s)
{
  Instant t;
  if (!digits_at(s, 0, 4, t.year)) {
    return std::nullopt;
  }
  t.precision = 1;
  std::size_t p = 4;
  if (p == s.size()) {
    return t;
  }
  if (s[p] != '-' || !digits_at(s, p + 1, 2, t.month) || t.month < 1 || t.month > 12) {
    return std::nullopt;
  }
  t.precision = 2;
  p += 3;
  if (p == s.size()) {
    return t;
  }
  if (s[p] != '-' || !digits_at(s, p + 1, 2, t.day) || t.day < 1 ||
      t.day > days_in_month(t.year, t.month)) {
    return std::nullopt;
  }
  t.precision = 3;
  p += 3;
  if (p == s.size()) {
    return t;
  }
  if (s[p] != 'T' || !digits_at(s, p + 1, 2, t.hour) || t.hour > 23 || p + 3 >= s.size() ||
      s[p + 3] != ':' || !digits_at(s, p + 4, 2, t.minute) || t.minute > 59) {
    return std::nullopt;
  }
  t.has_time = true;
  t.precision = 4;
  p += 6;
  if (p < s.size() && s[p] == ':') {
    if (!digits_at(s, p + 1, 2, t.second) || t.second > 60) {
      return std::nullopt;
    }
    t.precision = 5;
    p += 3;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      std::size_t q = p + 1;
      while (q < s.size() && s[q] >= '0' && s[q] <= '9') {
        ++q;
      }
      if (q == p + 1) {
        return std::nullopt;
      }
      p = q;
    }
  }
  if (p == s.size()) {
    return t;
  }
  if (s[p] == 'Z' && p + 1 == s.size()) {
    t.has_zone = true;
    return t;
  }
  if ((s[p] == '+' || s[p] == '-') && p + 6 == s.size() && s[p + 3] == ':') {
    int hh = 0;
    int mm = 0;
    if (!digits_at(s, p + 1, 2, hh) || !digits_at(s, p + 4, 2, mm) || hh > 14 || mm > 59) {
      return std::nullopt;
    }
    t.has_zone = true;
    t.offset_minutes = (s[p] == '-' ? -1 : 1) * (hh * 60 + mm);
    return t;
  }
  return std::nullopt;
}

std::string to_utc_string(const Instant& t, bool end_of_period)
{
  int y = t.year;
  int m = t.month;
  int d = t.day;
  int hh = t.hour;
  int mi = t.minute;
  int ss = t.second;
  if (t.precision < 4 && end_of_period) {
    if (t.precision == 1) {
      m = 12;
    }
    if (t.precision <= 2) {
      d = days_in_month(y, m);
    }
    hh = 23;
    mi = 59;
    ss = 59;
  } else if (t.precision == 4 && end_of_period) {
    ss = 59;
  }
  if (t.offset_minutes != 0) {
    long long secs = days_from_civil(y, m, d) * 86400LL + hh * 3600LL + mi * 60LL + std::min(ss, 59);
    secs -= t.offset_minutes * 60LL;
    long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    long long rem = secs - days * 86400;
    civil_from_days(days, y, m, d);
    hh = static_cast<int>(rem / 3600);
    mi = static_cast<int>(rem % 3600 / 60);
    ss = static_cast<int>(rem % 60);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, m, d, hh, mi, ss);
}

std::string fold(std::string_view text)
{
  // U+00C0…U+00FF folded; '\0' keeps the character.
  static const char* const k_latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", nullptr, "o", "u", "u", "u", "u", "y", "th", "y"};
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto ch = static_cast<unsigned char>(text[i]);
    if (ch < 0x80) {
      out += static_cast<char>(std::tolower(ch));
      continue;
    }
    if ((ch == 0xC3 || ch == 0xC5) && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (ch == 0xC3 && next >= 0x80 && next <= 0xBF && k_latin1[next - 0x80] != nullptr) {
        out += k_latin1[next - 0x80];
        ++i;
        continue;
      }
      if (ch == 0xC5 && (next == 0x92 || next == 0x93)) {  // Œ œ
        out += "oe";
        ++i;
        continue;
      }
    }
    out += static_cast<char>(ch);
  }
  return out;
}

}  // namespace hemera::metadata
