// SPDX-License-Identifier: Apache-2.0
// The converters: ISO 19139 (INSPIRE TG 2.x conformance class 1, datasets),
// Dublin Core csw:Record and DataCite 4.x, built with libxml2's tree API
// (which escapes every text and attribute value).
#include <hemera/export/export.hpp>
#include <hemera/export/xml_tree.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

namespace hemera::interop {

using json = nlohmann::json;

std::string xml_text(std::string_view s)
{
  static constexpr std::string_view k_replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence (RFC 3629): no overlong form, no surrogate, at most
    // U+10FFFF, and not U+FFFE or U+FFFF, which XML 1.0 excludes.
    std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    char32_t cp = len == 4 ? c & 0x07U : len == 3 ? c & 0x0FU : c & 0x1FU;
    bool ok = len != 0 && c <= 0xF4 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xC0U) == 0x80U;
      cp = (cp << 6U) | (cc & 0x3FU);
    }
    static constexpr char32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
    ok = ok && cp >= k_min[len] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append(k_replacement);
      ++i;
    }
  }
  return out;
}

namespace {

using tree::attr;
using tree::Doc;
using tree::el;
using tree::ns_at;
using tree::serialize;
using tree::X;

constexpr const char* k_gmd = "http://www.isotc211.org/2005/gmd";
constexpr const char* k_gco = "http://www.isotc211.org/2005/gco";
constexpr const char* k_gmx = "http://www.isotc211.org/2005/gmx";
constexpr const char* k_gml = "http://www.opengis.net/gml/3.2";
constexpr const char* k_xlink = "http://www.w3.org/1999/xlink";
constexpr const char* k_xsi = "http://www.w3.org/2001/XMLSchema-instance";
constexpr const char* k_csw = "http://www.opengis.net/cat/csw/2.0.2";
constexpr const char* k_dc = "http://purl.org/dc/elements/1.1/";
constexpr const char* k_dct = "http://purl.org/dc/terms/";
constexpr const char* k_ows = "http://www.opengis.net/ows";
constexpr const char* k_datacite = "http://datacite.org/schema/kernel-4";
constexpr const char* k_codelists = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml";
constexpr const char* k_iso639 = "http://www.loc.gov/standards/iso639-2/";

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Format a coordinate with enough digits and no exponent.
std::string coord(double v)
{
  std::string s = fmt::format("{:.6f}", v);
  while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') {
    s.pop_back();
  }
  return s;
}

// Return "YYYY-MM-DD" from an ISO 8601 date or date-time, or "".
std::string date_part(const std::string& s)
{
  if (s.size() >= 10 && std::isdigit(static_cast<unsigned char>(s[0])) && s[4] == '-' && s[7] == '-') {
    return s.substr(0, 10);
  }
  return {};
}

// Return an xs:dateTime without fractional seconds ("YYYY-MM-DDThh:mm:ssZ"),
// or "" when `s` is not a date-time.
std::string date_time(const std::string& s)
{
  if (s.size() < 19 || date_part(s).empty() || (s[10] != 'T' && s[10] != ' ')) {
    return {};
  }
  std::string out = s.substr(0, 10) + "T" + s.substr(11, 8);
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
    }
  }
  std::string tz = s.substr(i);
  if (tz.empty() || tz == "Z" || tz == "+00:00") {
    return out + "Z";
  }
  if (tz.size() == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':') {
    return out + tz;
  }
  return out + "Z";
}

// ISO 639-2/B code of a record language ("en" → "eng").
std::string iso639_2(const std::string& lang)
{
  static const std::map<std::string, std::string> k = {
    {"en", "eng"}, {"fr", "fre"}, {"de", "ger"}, {"es", "spa"}, {"it", "ita"}, {"nl", "dut"},
    {"sv", "swe"}, {"fi", "fin"}, {"no", "nor"}, {"da", "dan"}, {"pt", "por"}, {"pl", "pol"},
    {"fra", "fre"}, {"deu", "ger"}};
  std::string l = lower(lang);
  if (auto it = k.find(l); it != k.end()) {
    return it->second;
  }
  return l.size() == 3 ? l : "eng";
}

// ---- ISO 19139.

struct Iso {
  xmlNsPtr gmd, gco, gmx, gml, xlink, xsi;
  bool french = false;  // a French locale is declared (PT_FreeText)
  std::string locale;   // its id, unique per record ("fr-<uuid>")

  xmlNodePtr cs(xmlNodePtr parent, const char* name, const std::string& text) const
  {
    xmlNodePtr p = el(parent, gmd, name);
    el(p, gco, "CharacterString", text);
    return p;
  }
  // A free text element; PT_FreeText with the French text when there is one.
  xmlNodePtr free_text(xmlNodePtr parent, const char* name, const std::string& en, const std::string& fr) const
  {
    xmlNodePtr p = el(parent, gmd, name);
    el(p, gco, "CharacterString", en);
    if (french && !fr.empty()) {
      attr(p, xsi, "type", "gmd:PT_FreeText_PropertyType");
      xmlNodePtr g = el(el(p, gmd, "PT_FreeText"), gmd, "textGroup");
      attr(el(g, gmd, "LocalisedCharacterString", fr), "locale", "#" + locale);
    }
    return p;
  }
  xmlNodePtr anchor(xmlNodePtr parent, const char* name, const std::string& href, const std::string& text) const
  {
    xmlNodePtr p = el(parent, gmd, name);
    attr(el(p, gmx, "Anchor", text), xlink, "href", href);
    return p;
  }
  xmlNodePtr code(xmlNodePtr parent, const char* name, const char* list, const std::string& value,
                  const char* list_url = nullptr) const
  {
    xmlNodePtr p = el(parent, gmd, name);
    xmlNodePtr c = el(p, gmd, list, value);
    attr(c, "codeList", list_url != nullptr ? std::string(list_url) : fmt::format("{}#{}", k_codelists, list));
    attr(c, "codeListValue", value);
    return p;
  }
  void language(xmlNodePtr parent, const char* name, const std::string& code3) const
  {
    xmlNodePtr p = el(parent, gmd, name);
    xmlNodePtr c = el(p, gmd, "LanguageCode", code3);
    attr(c, "codeList", k_iso639);
    attr(c, "codeListValue", code3);
  }
  void date(xmlNodePtr citation, const std::string& day, const char* type) const
  {
    xmlNodePtr d = el(el(citation, gmd, "date"), gmd, "CI_Date");
    el(el(d, gmd, "date"), gco, "Date", day);
    code(d, "dateType", "CI_DateTypeCode", type);
  }
  void party(xmlNodePtr parent, const char* name, const Party& p) const
  {
    xmlNodePtr rp = el(el(parent, gmd, name), gmd, "CI_ResponsibleParty");
    if (!p.name.empty()) {
      cs(rp, "individualName", p.name);
    }
    if (!p.organisation.empty()) {
      cs(rp, "organisationName", p.organisation);
    }
    if (!p.email.empty()) {
      xmlNodePtr a = el(el(el(el(rp, gmd, "contactInfo"), gmd, "CI_Contact"), gmd, "address"), gmd, "CI_Address");
      cs(a, "electronicMailAddress", p.email);
    }
    code(rp, "role", "CI_RoleCode", p.role);
  }
};

// Return the value of INSPIRE element `key`: the record's "inspire" object,
// then the partner's defaults (catalogue.defaults overlaid by partners.<name>.inspire).
const json* inspire(const metadata::Record& r, const Partner& partner, const char* key)
{
  const json& doc = r.doc();
  if (auto it = doc.find("inspire"); it != doc.end() && it->is_object()) {
    if (auto v = it->find(key); v != it->end() && !v->is_null()) {
      return &*v;
    }
  }
  if (auto v = partner.inspire.find(key); v != partner.inspire.end() && !v->is_null()) {
    return &*v;
  }
  return nullptr;
}

std::vector<std::string> strings(const json* j, std::vector<std::string> fallback)
{
  if (j == nullptr) {
    return fallback;
  }
  std::vector<std::string> out;
  if (j->is_string()) {
    out.push_back(j->get<std::string>());
  } else if (j->is_array()) {
    for (const auto& e : *j) {
      if (e.is_string()) {
        out.push_back(e.get<std::string>());
      }
    }
  }
  return out.empty() ? fallback : out;
}

std::string text_of(const json* j, const std::string& fallback)
{
  if (j == nullptr) {
    return fallback;
  }
  if (j->is_string() && !j->get<std::string>().empty()) {
    return j->get<std::string>();
  }
  if (j->is_object()) {
    for (const char* l : {"en", "fr"}) {
      if (j->contains(l) && (*j)[l].is_string()) {
        return (*j)[l].get<std::string>();
      }
    }
  }
  return fallback;
}

// CI_RoleCode value of a record role.
std::string role_code(const std::string& role)
{
  static const char* k_roles[] = {"resourceProvider", "custodian", "owner", "user", "distributor",
                                  "originator", "pointOfContact", "principalInvestigator",
                                  "processor", "publisher", "author"};
  for (const char* r : k_roles) {
    if (lower(role) == lower(r)) {
      return r;
    }
  }
  return "pointOfContact";
}

// The metadata point of contact: the partner's, else a record contact with
// role pointOfContact, else the first contact with an organisation and e-mail.
Party metadata_contact(const metadata::Record& r, const Partner& partner)
{
  if (partner.point_of_contact) {
    return *partner.point_of_contact;
  }
  auto contacts = r.contacts().value_or(std::vector<metadata::Contact>{});
  const metadata::Contact* best = nullptr;
  for (const auto& c : contacts) {
    bool poc = false;
    for (const auto& role : c.roles.value_or(std::vector<std::string>{})) {
      poc = poc || lower(role) == "pointofcontact";
    }
    if (c.organisation && c.email && (poc || best == nullptr)) {
      best = &c;
      if (poc) {
        break;
      }
    }
  }
  if (best != nullptr) {
    return Party{"", *best->organisation, *best->email, "pointOfContact"};
  }
  return Party{"", partner.publisher.empty() ? std::string("HEMERA data centre") : partner.publisher, "",
               "pointOfContact"};
}

struct Licence {
  std::string href, text;
};

Licence licence_of(const metadata::Record& r)
{
  auto di = r.distribution_information();
  if (!di || !di->licence_name) {
    if (di && di->data_policy_url) {
      return {*di->data_policy_url, di->data_policy_name.value_or(*di->data_policy_url)};
    }
    return {};
  }
  std::string name = *di->licence_name;
  std::string version = di->licence_version.value_or("");
  std::string l = lower(name);
  for (std::string p : {"cc-", "cc ", "cc_"}) {
    if (l.rfind(p, 0) == 0) {
      l = l.substr(3);
    }
  }
  std::replace(l.begin(), l.end(), ' ', '-');
  std::replace(l.begin(), l.end(), '_', '-');
  static const std::map<std::string, std::string> k_cc = {
    {"by", "Attribution"}, {"by-sa", "Attribution-ShareAlike"}, {"by-nc", "Attribution-NonCommercial"},
    {"by-nd", "Attribution-NoDerivatives"}, {"by-nc-sa", "Attribution-NonCommercial-ShareAlike"},
    {"by-nc-nd", "Attribution-NonCommercial-NoDerivatives"}};
  if (auto it = k_cc.find(l); it != k_cc.end()) {
    std::string v = version.empty() ? "4.0" : version;
    std::string up = l;
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return {fmt::format("https://creativecommons.org/licenses/{}/{}/", l, v),
            fmt::format("Creative Commons {} {} (CC {} {})", it->second, v, up, v)};
  }
  if (l == "cc0" || l == "0") {
    return {"https://creativecommons.org/publicdomain/zero/1.0/", "Creative Commons Zero 1.0 (CC0 1.0)"};
  }
  std::string text = version.empty() ? name : name + " " + version;
  return {di->licence_policy_url.value_or(""), text};
}

const char* k_reg_1089 =
  "COMMISSION REGULATION (EU) No 1089/2010 of 23 November 2010 implementing Directive 2007/2/EC of the "
  "European Parliament and of the Council as regards interoperability of spatial data sets and services";

// The ISO element sets follow the CSW ISO AP: brief holds fileIdentifier,
// hierarchyLevel, title, bounding box and graphic overviews, plus what gmd.xsd
// makes mandatory (contact, dateStamp, citation date, abstract, language);
// summary adds the discovery elements (languages, reference system, dates and
// identifiers, points of contact, keywords, topic category, temporal extent,
// distribution); full adds constraints, data quality and lineage.
xmlNodePtr build_iso(xmlDocPtr doc, xmlNodePtr parent, const Entry& entry, const Partner& partner,
                     const config::Config& config, ElementSet set)
{
  const bool summary = set != ElementSet::brief;
  const bool full = set == ElementSet::full;
  const auto& r = entry.record;
  Summary s = summarize(entry, partner, config);
  xmlNodePtr root = xmlNewDocNode(doc, nullptr, X("MD_Metadata"), nullptr);
  if (parent == nullptr) {
    xmlDocSetRootElement(doc, root);
  } else {
    xmlAddChild(parent, root);
  }
  Iso n{};
  n.gmd = xmlNewNs(root, X(k_gmd), X("gmd"));
  xmlSetNs(root, n.gmd);
  n.gco = xmlNewNs(root, X(k_gco), X("gco"));
  n.gmx = xmlNewNs(root, X(k_gmx), X("gmx"));
  n.gml = xmlNewNs(root, X(k_gml), X("gml"));
  n.xlink = xmlNewNs(root, X(k_xlink), X("xlink"));
  n.xsi = ns_at(root, k_xsi, "xsi");
  if (parent == nullptr) {
    attr(root, n.xsi, "schemaLocation",
         "http://www.isotc211.org/2005/gmd http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd "
         "http://www.isotc211.org/2005/gmx http://schemas.opengis.net/iso/19139/20070417/gmx/gmx.xsd");
  }
  n.french = summary && (!s.title_fr.empty() || !s.abstract_fr.empty());
  n.locale = "fr-" + s.uuid;
  std::string lang = iso639_2(s.language);

  n.cs(root, "fileIdentifier", s.uuid);
  if (summary) {
    n.language(root, "language", lang);
    n.code(root, "characterSet", "MD_CharacterSetCode", "utf8");
  }
  n.code(root, "hierarchyLevel", "MD_ScopeCode", "dataset");
  n.party(root, "contact", metadata_contact(r, partner));
  {
    std::string stamp = date_time(s.modified);
    xmlNodePtr ds = el(root, n.gmd, "dateStamp");
    if (!stamp.empty()) {
      el(ds, n.gco, "DateTime", stamp);
    } else {
      std::string day = date_part(s.modified);
      el(ds, n.gco, "Date", day.empty() ? date_part(now_utc()) : day);
    }
  }
  if (summary) {
    n.cs(root, "metadataStandardName", "ISO 19115:2003/19139");
    n.cs(root, "metadataStandardVersion", "1.0");
  }
  if (n.french) {
    xmlNodePtr loc = el(el(root, n.gmd, "locale"), n.gmd, "PT_Locale");
    attr(loc, "id", n.locale);
    n.language(loc, "languageCode", "fre");
    n.code(loc, "characterEncoding", "MD_CharacterSetCode", "utf8");
  }
  if (summary) {
    xmlNodePtr rs = el(el(el(el(root, n.gmd, "referenceSystemInfo"), n.gmd, "MD_ReferenceSystem"), n.gmd,
                          "referenceSystemIdentifier"),
                       n.gmd, "RS_Identifier");
    n.anchor(rs, "code", "http://www.opengis.net/def/crs/EPSG/0/4326", "EPSG:4326");
  }

  xmlNodePtr id = el(el(root, n.gmd, "identificationInfo"), n.gmd, "MD_DataIdentification");
  {
    xmlNodePtr cit = el(el(id, n.gmd, "citation"), n.gmd, "CI_Citation");
    n.free_text(cit, "title", s.title, s.title_fr);
    std::string published;
    std::string created;
    if (auto vs = r.versions(); vs && !vs->empty()) {
      created = date_part(vs->front().date.value_or(""));
      published = created;
    }
    if (published.empty()) {
      published = date_part(s.modified);
    }
    if (published.empty()) {
      published = date_part(now_utc());
    }
    n.date(cit, published, "publication");
    std::string revised = date_part(s.modified);
    if (summary && !revised.empty() && revised != published) {
      n.date(cit, revised, "revision");
    }
    if (summary) {
      n.cs(el(el(cit, n.gmd, "identifier"), n.gmd, "MD_Identifier"), "code", s.uuid);
    }
    if (summary && !s.doi.empty()) {
      std::string uri = "https://doi.org/" + s.doi;
      n.anchor(el(el(cit, n.gmd, "identifier"), n.gmd, "MD_Identifier"), "code", uri, uri);
    }
  }
  n.free_text(id, "abstract", s.abstract.empty() ? s.title : s.abstract, s.abstract_fr);
  if (summary) {
    bool any = false;
    for (const auto& c : r.contacts().value_or(std::vector<metadata::Contact>{})) {
      if (!c.organisation && !c.name) {
        continue;
      }
      auto roles = c.roles.value_or(std::vector<std::string>{});
      Party p{c.name.value_or(""), c.organisation.value_or(""), c.email.value_or(""),
              role_code(roles.empty() ? std::string("pointOfContact") : roles.front())};
      n.party(id, "pointOfContact", p);
      any = true;
    }
    if (!any) {
      Party p = metadata_contact(r, partner);
      p.role = "custodian";
      n.party(id, "pointOfContact", p);
    }
  }
  for (const auto& q : r.quicklooks().value_or(std::vector<metadata::Quicklook>{})) {
    std::string url = q.url.value_or("");
    if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) {
      xmlNodePtr bg = el(el(id, n.gmd, "graphicOverview"), n.gmd, "MD_BrowseGraphic");
      n.cs(bg, "fileName", url);
    }
  }
  // INSPIRE theme (GEMET), then the free keywords.
  if (summary) {
    auto themes = strings(inspire(r, partner, "theme"), {"Atmospheric conditions"});
    xmlNodePtr kw = el(el(id, n.gmd, "descriptiveKeywords"), n.gmd, "MD_Keywords");
    for (const auto& t : themes) {
      std::string code = inspire_theme_code(t);
      if (!code.empty()) {
        n.anchor(kw, "keyword", "http://inspire.ec.europa.eu/theme/" + code, t);
      } else {
        n.cs(kw, "keyword", t);
      }
    }
    xmlNodePtr th = el(el(kw, n.gmd, "thesaurusName"), n.gmd, "CI_Citation");
    n.anchor(th, "title", "http://www.eionet.europa.eu/gemet/inspire_themes", "GEMET - INSPIRE themes, version 1.0");
    n.date(th, "2008-06-01", "publication");
    if (!s.keywords.empty()) {
      xmlNodePtr fk = el(el(id, n.gmd, "descriptiveKeywords"), n.gmd, "MD_Keywords");
      for (const auto& k : s.keywords) {
        n.cs(fk, "keyword", k);
      }
    }
  }
  // Limitations on public access, then conditions for access and use (two distinct constraints).
  if (full) {
    std::string lim = text_of(inspire(r, partner, "limitationsOnPublicAccess"), "noLimitations");
    xmlNodePtr a = el(el(id, n.gmd, "resourceConstraints"), n.gmd, "MD_LegalConstraints");
    n.code(a, "accessConstraints", "MD_RestrictionCode", "otherRestrictions");
    n.anchor(a, "otherConstraints",
             "http://inspire.ec.europa.eu/metadata-codelist/LimitationsOnPublicAccess/" + lim,
             lim == "noLimitations" ? std::string("No limitations on public access") : lim);
    xmlNodePtr u = el(el(id, n.gmd, "resourceConstraints"), n.gmd, "MD_LegalConstraints");
    n.code(u, "useConstraints", "MD_RestrictionCode", "otherRestrictions");
    Licence lic = licence_of(r);
    std::string cond = text_of(inspire(r, partner, "accessConditions"), "");
    if (!lic.text.empty() && !lic.href.empty()) {
      n.anchor(u, "otherConstraints", lic.href, lic.text);
    } else if (!lic.text.empty()) {
      n.cs(u, "otherConstraints", lic.text);
    } else if (!cond.empty()) {
      n.cs(u, "otherConstraints", cond);
    } else {
      n.anchor(u, "otherConstraints",
               "http://inspire.ec.europa.eu/metadata-codelist/ConditionsApplyingToAccessAndUse/conditionsUnknown",
               "Conditions unknown");
    }
  }
  n.language(id, "language", lang);
  if (summary) {
    n.code(id, "characterSet", "MD_CharacterSetCode", "utf8");
    for (const auto& tc : strings(inspire(r, partner, "topicCategory"), {"climatologyMeteorologyAtmosphere"})) {
      el(el(id, n.gmd, "topicCategory"), n.gmd, "MD_TopicCategoryCode", tc);
    }
  }
  {
    xmlNodePtr ex = el(el(id, n.gmd, "extent"), n.gmd, "EX_Extent");
    if (s.bbox) {
      xmlNodePtr bb = el(el(ex, n.gmd, "geographicElement"), n.gmd, "EX_GeographicBoundingBox");
      el(el(bb, n.gmd, "westBoundLongitude"), n.gco, "Decimal", coord((*s.bbox)[0]));
      el(el(bb, n.gmd, "eastBoundLongitude"), n.gco, "Decimal", coord((*s.bbox)[2]));
      el(el(bb, n.gmd, "southBoundLatitude"), n.gco, "Decimal", coord((*s.bbox)[1]));
      el(el(bb, n.gmd, "northBoundLatitude"), n.gco, "Decimal", coord((*s.bbox)[3]));
    }
    if (summary && !s.begin.empty()) {
      xmlNodePtr tp = el(el(el(el(ex, n.gmd, "temporalElement"), n.gmd, "EX_TemporalExtent"), n.gmd, "extent"),
                         n.gml, "TimePeriod");
      attr(tp, n.gml, "id", "tp-" + s.uuid);
      std::string b = date_time(s.begin);
      el(tp, n.gml, "beginPosition", b.empty() ? date_part(s.begin) : b);
      if (!s.end.empty()) {
        std::string e = date_time(s.end);
        el(tp, n.gml, "endPosition", e.empty() ? date_part(s.end) : e);
      } else {
        attr(el(tp, n.gml, "endPosition"), "indeterminatePosition", "unknown");
      }
    }
    if (ex->children == nullptr) {
      n.cs(ex, "description", "Extent not recorded");
    }
  }
  if (!summary) {
    return root;
  }

  xmlNodePtr dist = el(el(root, n.gmd, "distributionInfo"), n.gmd, "MD_Distribution");
  for (const auto& f : r.formats().value_or(std::vector<metadata::Format>{})) {
    if (!f.name) {
      continue;
    }
    xmlNodePtr mf = el(el(dist, n.gmd, "distributionFormat"), n.gmd, "MD_Format");
    n.cs(mf, "name", *f.name);
    if (f.version) {
      n.cs(mf, "version", *f.version);
    } else {
      attr(el(mf, n.gmd, "version"), n.gco, "nilReason", "unknown");
    }
  }
  {
    xmlNodePtr dto = el(el(dist, n.gmd, "transferOptions"), n.gmd, "MD_DigitalTransferOptions");
    auto online = [&](const std::string& url, const std::string& protocol, const std::string& name,
                      const std::string& function) {
      xmlNodePtr o = el(el(dto, n.gmd, "onLine"), n.gmd, "CI_OnlineResource");
      el(el(o, n.gmd, "linkage"), n.gmd, "URL", url);
      n.cs(o, "protocol", protocol);
      n.cs(o, "name", name);
      n.code(o, "function", "CI_OnLineFunctionCode", function);
    };
    online(s.landing_page, "WWW:LINK", "Landing page", "information");
    for (const auto& l : r.links().value_or(std::vector<metadata::Link>{})) {
      if (!l.url || l.url->empty() || *l.url == s.landing_page || l.type.value_or("") == "INFORMATION_LINK") {
        continue;
      }
      bool download = l.type.value_or("").find("DOWNLOAD") != std::string::npos;
      online(*l.url, download ? "WWW:DOWNLOAD-1.0-ftp--download" : "WWW:LINK",
             l.name.value_or(download ? "Download" : "Link"), download ? "download" : "information");
    }
  }

  if (!full) {
    return root;
  }
  xmlNodePtr dq = el(el(root, n.gmd, "dataQualityInfo"), n.gmd, "DQ_DataQuality");
  n.code(el(el(dq, n.gmd, "scope"), n.gmd, "DQ_Scope"), "level", "MD_ScopeCode", "dataset");
  {
    xmlNodePtr cr = el(el(el(el(dq, n.gmd, "report"), n.gmd, "DQ_DomainConsistency"), n.gmd, "result"), n.gmd,
                       "DQ_ConformanceResult");
    xmlNodePtr spec = el(el(cr, n.gmd, "specification"), n.gmd, "CI_Citation");
    n.anchor(spec, "title", "http://data.europa.eu/eli/reg/2010/1089", k_reg_1089);
    n.date(spec, "2010-12-08", "publication");
    const json* conf = inspire(r, partner, "conformity");
    std::optional<bool> pass;
    if (conf != nullptr && conf->is_boolean()) {
      pass = conf->get<bool>();
    } else if (conf != nullptr && conf->is_string() && (*conf == "true" || *conf == "false")) {
      pass = *conf == "true";  // a YAML default arrives as text
    }
    if (pass) {
      n.cs(cr, "explanation", *pass ? "The data set conforms to the implementing rules."
                                    : "The data set does not conform to the implementing rules.");
      el(el(cr, n.gmd, "pass"), n.gco, "Boolean", *pass ? "true" : "false");
    } else {
      n.cs(cr, "explanation", "Conformity not evaluated.");
      attr(el(cr, n.gmd, "pass"), n.gco, "nilReason", "unknown");
    }
  }
  {
    std::string lineage = text_of(inspire(r, partner, "lineage"),
                                  "Measured during a scientific balloon flight; files validated, checksummed and "
                                  "archived unchanged by the HEMERA data centre.");
    n.cs(el(el(dq, n.gmd, "lineage"), n.gmd, "LI_Lineage"), "statement", lineage);
  }
  return root;
}

// ---- Dublin Core (csw:Record and its brief/summary forms).

xmlNodePtr build_dc(xmlDocPtr doc, xmlNodePtr parent, const Summary& s, ElementSet set)
{
  const char* name = set == ElementSet::brief ? "BriefRecord" : set == ElementSet::summary ? "SummaryRecord" : "Record";
  xmlNodePtr root = xmlNewDocNode(doc, nullptr, X(name), nullptr);
  if (parent == nullptr) {
    xmlDocSetRootElement(doc, root);
  } else {
    xmlAddChild(parent, root);
  }
  xmlNsPtr csw = ns_at(root, k_csw, "csw");
  xmlSetNs(root, csw);
  xmlNsPtr dc = ns_at(root, k_dc, "dc");
  xmlNsPtr dct = ns_at(root, k_dct, "dct");
  xmlNsPtr ows = ns_at(root, k_ows, "ows");
  el(root, dc, "identifier", s.uuid);
  el(root, dc, "title", s.title);
  el(root, dc, "type", s.type);
  if (set != ElementSet::brief) {
    for (const auto& k : s.keywords) {
      el(root, dc, "subject", k);
    }
    for (const auto& f : s.formats) {
      el(root, dc, "format", f);
    }
    if (!s.doi.empty()) {
      el(root, dc, "relation", "https://doi.org/" + s.doi);
    }
    if (!s.modified.empty()) {
      std::string m = date_time(s.modified);
      el(root, dct, "modified", m.empty() ? s.modified : m);
    }
    if (!s.abstract.empty()) {
      el(root, dct, "abstract", s.abstract);
    }
  }
  if (set == ElementSet::full) {
    for (const auto& c : s.creators) {
      el(root, dc, "creator", c);
    }
    if (!s.publisher.empty()) {
      el(root, dc, "publisher", s.publisher);
    }
    el(root, dc, "language", iso639_2(s.language));
    if (!s.licence.empty()) {
      el(root, dc, "rights", s.licence);
    }
    if (!s.begin.empty()) {
      el(root, dct, "temporal", s.end.empty() ? s.begin : s.begin + "/" + s.end);
    }
    attr(el(root, dct, "references", s.landing_page), "scheme", "WWW:LINK");
  }
  if (s.bbox) {
    xmlNodePtr bb = el(root, ows, "BoundingBox");
    attr(bb, "crs", "urn:ogc:def:crs:EPSG::4326");
    el(bb, ows, "LowerCorner", coord((*s.bbox)[1]) + " " + coord((*s.bbox)[0]));
    el(bb, ows, "UpperCorner", coord((*s.bbox)[3]) + " " + coord((*s.bbox)[2]));
  }
  return root;
}

// ---- DataCite 4.x.

Result<std::string> build_datacite(const Entry& entry, const Partner& partner, const config::Config& config)
{
  const auto& r = entry.record;
  Summary s = summarize(entry, partner, config);
  std::string doi = s.doi;
  if (doi.empty()) {
    if (partner.doi_prefix.empty()) {
      return fail(Errc::config,
                  fmt::format("{}: no DOI in the record and no doi.prefix configured for DataCite", s.uuid), {},
                  "doi.prefix");
    }
    doi = partner.doi_prefix + "/" + s.uuid;
  }
  if (s.publisher.empty()) {
    return fail(Errc::config, "DataCite needs a publisher (doi.publisher)", {}, "doi.publisher");
  }
  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNodePtr root = xmlNewDocNode(doc.get(), nullptr, X("resource"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlNsPtr d = xmlNewNs(root, X(k_datacite), nullptr);
  xmlSetNs(root, d);
  xmlNsPtr xsi = xmlNewNs(root, X(k_xsi), X("xsi"));
  xmlNsPtr xml = xmlSearchNs(doc.get(), root, X("xml"));
  attr(root, xsi, "schemaLocation",
       "http://datacite.org/schema/kernel-4 http://schema.datacite.org/meta/kernel-4/metadata.xsd");
  attr(el(root, d, "identifier", doi), "identifierType", "DOI");
  xmlNodePtr creators = el(root, d, "creators");
  std::vector<metadata::Contact> cs = r.contacts().value_or(std::vector<metadata::Contact>{});
  std::vector<const metadata::Contact*> authors;
  for (const auto& c : cs) {
    for (const auto& role : c.roles.value_or(std::vector<std::string>{})) {
      std::string l = lower(role);
      if ((l == "principalinvestigator" || l == "author" || l == "originator") && (c.name || c.organisation)) {
        authors.push_back(&c);
        break;
      }
    }
  }
  for (const auto* c : authors) {
    xmlNodePtr cr = el(creators, d, "creator");
    if (c->name) {
      std::string full = *c->name;
      auto sp = full.rfind(' ');
      std::string given = sp == std::string::npos ? "" : full.substr(0, sp);
      std::string family = sp == std::string::npos ? full : full.substr(sp + 1);
      attr(el(cr, d, "creatorName", given.empty() ? family : family + ", " + given), "nameType", "Personal");
      if (!given.empty()) {
        el(cr, d, "givenName", given);
      }
      el(cr, d, "familyName", family);
    } else {
      attr(el(cr, d, "creatorName", *c->organisation), "nameType", "Organizational");
    }
    if (c->orc_id && !c->orc_id->empty()) {
      std::string id = *c->orc_id;
      if (id.rfind("http", 0) != 0) {
        id = "https://orcid.org/" + id;
      }
      xmlNodePtr ni = el(cr, d, "nameIdentifier", id);
      attr(ni, "nameIdentifierScheme", "ORCID");
      attr(ni, "schemeURI", "https://orcid.org");
    }
    if (c->name && c->organisation) {
      el(cr, d, "affiliation", *c->organisation);
    }
  }
  if (authors.empty()) {
    attr(el(el(creators, d, "creator"), d, "creatorName", s.publisher), "nameType", "Organizational");
  }
  xmlNodePtr titles = el(root, d, "titles");
  attr(el(titles, d, "title", s.title), xml, "lang", "en");
  if (!s.title_fr.empty()) {
    attr(el(titles, d, "title", s.title_fr), xml, "lang", "fr");
  }
  el(root, d, "publisher", s.publisher);
  std::string year;
  if (auto vs = r.versions(); vs && !vs->empty()) {
    year = date_part(vs->front().date.value_or("")).substr(0, 4);
  }
  if (year.empty()) {
    year = date_part(s.modified).substr(0, 4);
  }
  if (year.empty()) {
    year = now_utc().substr(0, 4);
  }
  el(root, d, "publicationYear", year);
  attr(el(root, d, "resourceType", entry.database == "DASB" ? "Astrophysical balloon dataset"
                                                            : "Atmospheric balloon dataset"),
       "resourceTypeGeneral", "Dataset");
  xmlNodePtr subjects = el(root, d, "subjects");
  for (const auto& t : strings(inspire(r, partner, "theme"), {"Atmospheric conditions"})) {
    xmlNodePtr sub = el(subjects, d, "subject", t);
    std::string code = inspire_theme_code(t);
    attr(sub, "subjectScheme", "GEMET - INSPIRE themes, version 1.0");
    attr(sub, "schemeURI", "http://www.eionet.europa.eu/gemet/inspire_themes");
    if (!code.empty()) {
      attr(sub, "valueURI", "http://inspire.ec.europa.eu/theme/" + code);
    }
  }
  for (const auto& k : s.keywords) {
    el(subjects, d, "subject", k);
  }
  {
    Party poc = metadata_contact(r, partner);
    xmlNodePtr cons = el(root, d, "contributors");
    xmlNodePtr ct = el(cons, d, "contributor");
    attr(ct, "contributorType", "ContactPerson");
    attr(el(ct, d, "contributorName", poc.organisation.empty() ? s.publisher : poc.organisation), "nameType",
         "Organizational");
  }
  {
    xmlNodePtr dates = el(root, d, "dates");
    if (!s.begin.empty()) {
      attr(el(dates, d, "date", s.end.empty() ? s.begin : s.begin + "/" + s.end), "dateType", "Collected");
    }
    std::string issued;
    if (auto vs = r.versions(); vs && !vs->empty()) {
      issued = date_part(vs->front().date.value_or(""));
    }
    if (!issued.empty()) {
      attr(el(dates, d, "date", issued), "dateType", "Issued");
    }
    if (!date_part(s.modified).empty()) {
      attr(el(dates, d, "date", date_part(s.modified)), "dateType", "Updated");
    }
    if (dates->children == nullptr) {
      xmlUnlinkNode(dates);
      xmlFreeNode(dates);
    }
  }
  std::string lang2 = lower(s.language).substr(0, 2);
  el(root, d, "language", lang2.empty() ? std::string("en") : lang2);
  attr(el(el(root, d, "alternateIdentifiers"), d, "alternateIdentifier", s.uuid), "alternateIdentifierType",
       "UUID");
  // One DOI per dataset: its versions are parts of the landing page (#v<N>).
  std::vector<metadata::VersionEntry> versions = r.versions().value_or(std::vector<metadata::VersionEntry>{});
  if (!partner.landing_page_base.empty() && !versions.empty()) {
    xmlNodePtr rel = el(root, d, "relatedIdentifiers");
    for (const auto& v : versions) {
      if (v.version) {
        xmlNodePtr ri = el(rel, d, "relatedIdentifier", fmt::format("{}#v{}", s.landing_page, *v.version));
        attr(ri, "relatedIdentifierType", "URL");
        attr(ri, "relationType", "HasVersion");
      }
    }
    if (rel->children == nullptr) {
      xmlUnlinkNode(rel);
      xmlFreeNode(rel);
    }
  }
  if (!versions.empty() && (versions.back().bytes || versions.back().files)) {
    xmlNodePtr sizes = el(root, d, "sizes");
    if (versions.back().bytes) {
      el(sizes, d, "size", fmt::format("{} bytes", *versions.back().bytes));
    }
    if (versions.back().files) {
      el(sizes, d, "size", fmt::format("{} files", *versions.back().files));
    }
  }
  if (!s.formats.empty()) {
    xmlNodePtr fs = el(root, d, "formats");
    for (const auto& f : s.formats) {
      el(fs, d, "format", f);
    }
  }
  if (auto vs = r.versions(); vs && !vs->empty() && vs->back().version) {
    el(root, d, "version", std::to_string(*vs->back().version));
  }
  Licence lic = licence_of(r);
  if (!lic.text.empty()) {
    xmlNodePtr rights = el(el(root, d, "rightsList"), d, "rights", lic.text);
    attr(rights, xml, "lang", "en");
    if (!lic.href.empty()) {
      attr(rights, "rightsURI", lic.href);
    }
  }
  xmlNodePtr descs = el(root, d, "descriptions");
  xmlNodePtr ab = el(descs, d, "description", s.abstract.empty() ? s.title : s.abstract);
  attr(ab, "descriptionType", "Abstract");
  attr(ab, xml, "lang", "en");
  if (!s.abstract_fr.empty()) {
    xmlNodePtr fr = el(descs, d, "description", s.abstract_fr);
    attr(fr, "descriptionType", "Abstract");
    attr(fr, xml, "lang", "fr");
  }
  if (s.bbox) {
    xmlNodePtr box = el(el(el(root, d, "geoLocations"), d, "geoLocation"), d, "geoLocationBox");
    el(box, d, "westBoundLongitude", coord((*s.bbox)[0]));
    el(box, d, "eastBoundLongitude", coord((*s.bbox)[2]));
    el(box, d, "southBoundLatitude", coord((*s.bbox)[1]));
    el(box, d, "northBoundLatitude", coord((*s.bbox)[3]));
  }
  return serialize(doc.get());
}

}  // namespace

_xmlNode* append_iso19139(_xmlNode* parent, const Entry& entry, const Partner& partner,
                          const config::Config& config, ElementSet set)
{
  return build_iso(parent->doc, parent, entry, partner, config, set);
}

_xmlNode* append_dublin_core(_xmlNode* parent, const Summary& summary, ElementSet set)
{
  return build_dc(parent->doc, parent, summary, set);
}

Result<std::string> render(Schema schema, const Entry& entry, const Partner& partner, const config::Config& config)
{
  switch (schema) {
  case Schema::json: return entry.record.dump();
  case Schema::datacite: return build_datacite(entry, partner, config);
  case Schema::iso19139: {
    Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
    build_iso(doc.get(), nullptr, entry, partner, config, ElementSet::full);
    return serialize(doc.get());
  }
  case Schema::dublin_core: {
    Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
    xmlNodePtr root = build_dc(doc.get(), nullptr, summarize(entry, partner, config), ElementSet::full);
    attr(root, ns_at(root, k_xsi, "xsi"), "schemaLocation",
         "http://www.opengis.net/cat/csw/2.0.2 http://schemas.opengis.net/csw/2.0.2/record.xsd");
    return serialize(doc.get());
  }
  }
  return fail(Errc::internal, "unknown schema");
}

}  // namespace hemera::interop
