// SPDX-License-Identifier: Apache-2.0
#include <hemera/csw/csw.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <hemera/catalog/select.hpp>
#include <hemera/export/xml_tree.hpp>
#include <hemera/log.hpp>

namespace hemera::csw {

namespace {

using interop::tree::attr;
using interop::tree::children;
using interop::tree::Doc;
using interop::tree::el;
using interop::tree::is;
using interop::tree::prop;
using interop::tree::serialize;
using interop::tree::X;

constexpr const char* k_csw = "http://www.opengis.net/cat/csw/2.0.2";
constexpr const char* k_ows = "http://www.opengis.net/ows";
constexpr const char* k_ogc = "http://www.opengis.net/ogc";
constexpr const char* k_gml311 = "http://www.opengis.net/gml";
constexpr const char* k_gmd = "http://www.isotc211.org/2005/gmd";
constexpr const char* k_xlink = "http://www.w3.org/1999/xlink";
constexpr const char* k_xs = "http://www.w3.org/2001/XMLSchema";

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(std::string s)
{
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) {
    return {};
  }
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string node_text(xmlNodePtr n)
{
  xmlChar* c = xmlNodeGetContent(n);
  std::string s = c != nullptr ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return trim(s);
}


// ---- OWS exception reports.

struct OwsError {
  std::string code, locator, text;
  int status = 400;
};

Response exception_report(const OwsError& e)
{
  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNodePtr root = xmlNewDocNode(doc.get(), nullptr, X("ExceptionReport"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlNsPtr ows = xmlNewNs(root, X(k_ows), X("ows"));
  xmlSetNs(root, ows);
  attr(root, "version", "1.2.0");
  attr(root, "language", "en");
  xmlNodePtr ex = el(root, ows, "Exception");
  attr(ex, "exceptionCode", e.code);
  if (!e.locator.empty()) {
    attr(ex, "locator", e.locator);
  }
  el(ex, ows, "ExceptionText", e.text);
  return Response{e.status, "application/xml; charset=UTF-8", serialize(doc.get())};
}

// ---- Filters.

enum class Op { all, and_, or_, not_, eq, ne, lt, gt, le, ge, like, bbox };

struct Filter {
  Op op = Op::all;
  std::vector<Filter> kids;
  std::string property;  // canonical: title, abstract, subject, identifier, anytext, modified, type, format, begin, end, bbox
  std::string value;
  char wild = '*', single = '_', escape = '\\';
  bool match_case = false;
  std::array<double, 4> box{};  // west, south, east, north
};

// Map a queryable name (any prefix, any case) to the canonical property.
std::optional<std::string> canonical(const std::string& name)
{
  std::string n = lower(name);
  if (auto c = n.find(':'); c != std::string::npos) {
    n = n.substr(c + 1);
  }
  static const std::map<std::string, std::string> k = {
    {"title", "title"}, {"abstract", "abstract"}, {"subject", "subject"}, {"keywords", "subject"},
    {"identifier", "identifier"}, {"fileidentifier", "identifier"}, {"anytext", "anytext"},
    {"modified", "modified"}, {"date", "modified"}, {"revisiondate", "modified"}, {"type", "type"},
    {"format", "format"}, {"tempextent_begin", "begin"}, {"tempextent_end", "end"},
    {"boundingbox", "bbox"}, {"envelope", "bbox"}, {"anyText", "anytext"}, {"creator", "creator"},
    {"publisher", "publisher"}, {"language", "language"}};
  if (auto it = k.find(n); it != k.end()) {
    return it->second;
  }
  return std::nullopt;
}


using FilterResult = tl::expected<Filter, OwsError>;

OwsError bad_constraint(const std::string& what)
{
  return OwsError{"InvalidParameterValue", "Constraint", what};
}

// Whether an srsName puts latitude first (EPSG::4326 URNs); CRS84 and none are lon/lat.
bool lat_first(const std::string& srs)
{
  std::string s = lower(srs);
  return s.find("epsg::4326") != std::string::npos || s.find("epsg:6.11:4326") != std::string::npos ||
         s.find("def/crs/epsg/0/4326") != std::string::npos;
}

tl::expected<std::array<double, 4>, OwsError> make_box(double a, double b, double c, double d, bool latlon)
{
  std::array<double, 4> box = latlon ? std::array<double, 4>{b, a, d, c} : std::array<double, 4>{a, b, c, d};
  if (!(box[0] >= -180 && box[2] <= 180 && box[1] >= -90 && box[3] <= 90 && box[0] <= box[2] && box[1] <= box[3])) {
    return tl::unexpected(bad_constraint("BBOX out of range or inverted"));
  }
  return box;
}

bool parse_pair(const std::string& text, double& x, double& y)
{
  const char* p = text.c_str();
  char* end = nullptr;
  x = std::strtod(p, &end);
  if (end == p) {
    return false;
  }
  p = end;
  y = std::strtod(p, &end);
  return end != p && trim(end).empty();
}

FilterResult parse_ogc(xmlNodePtr n, int depth)
{
  if (depth > 32) {
    return tl::unexpected(bad_constraint("filter nested too deeply"));
  }
  std::string name = reinterpret_cast<const char*>(n->name);
  Filter f;
  if (name == "And" || name == "Or" || name == "Not") {
    f.op = name == "And" ? Op::and_ : name == "Or" ? Op::or_ : Op::not_;
    for (xmlNodePtr c : children(n)) {
      auto k = parse_ogc(c, depth + 1);
      if (!k) {
        return k;
      }
      f.kids.push_back(std::move(*k));
    }
    if (f.kids.empty() || (f.op == Op::not_ && f.kids.size() != 1)) {
      return tl::unexpected(bad_constraint(name + " needs operands"));
    }
    return f;
  }
  static const std::map<std::string, Op> k_ops = {
    {"PropertyIsEqualTo", Op::eq}, {"PropertyIsNotEqualTo", Op::ne}, {"PropertyIsLessThan", Op::lt},
    {"PropertyIsGreaterThan", Op::gt}, {"PropertyIsLessThanOrEqualTo", Op::le},
    {"PropertyIsGreaterThanOrEqualTo", Op::ge}, {"PropertyIsLike", Op::like}, {"BBOX", Op::bbox}};
  auto it = k_ops.find(name);
  if (it == k_ops.end()) {
    return tl::unexpected(bad_constraint("unsupported filter operator " + name));
  }
  f.op = it->second;
  std::string pname;
  std::optional<std::string> literal;
  xmlNodePtr envelope = nullptr;
  for (xmlNodePtr c : children(n)) {
    std::string cn = reinterpret_cast<const char*>(c->name);
    if (cn == "PropertyName") {
      pname = node_text(c);
    } else if (cn == "Literal") {
      literal = node_text(c);
    } else if (cn == "Envelope") {
      envelope = c;
    }
  }
  if (f.op == Op::bbox) {
    if (envelope == nullptr) {
      return tl::unexpected(bad_constraint("BBOX needs a gml:Envelope"));
    }
    double a = 0, b = 0, c = 0, d = 0;
    bool lo = false, up = false;
    for (xmlNodePtr e : children(envelope)) {
      std::string en = reinterpret_cast<const char*>(e->name);
      if (en == "lowerCorner") {
        lo = parse_pair(node_text(e), a, b);
      } else if (en == "upperCorner") {
        up = parse_pair(node_text(e), c, d);
      }
    }
    if (!lo || !up) {
      return tl::unexpected(bad_constraint("BBOX envelope needs lowerCorner and upperCorner"));
    }
    auto box = make_box(a, b, c, d, lat_first(prop(envelope, "srsName")));
    if (!box) {
      return tl::unexpected(box.error());
    }
    f.box = *box;
    f.property = "bbox";
    return f;
  }
  auto p = canonical(pname);
  if (!p || *p == "bbox") {
    return tl::unexpected(bad_constraint("unknown queryable '" + pname + "'"));
  }
  if (!literal) {
    return tl::unexpected(bad_constraint(name + " needs a Literal"));
  }
  f.property = *p;
  f.value = *literal;
  if (f.op == Op::like) {
    std::string w = prop(n, "wildCard"), s = prop(n, "singleChar"), e = prop(n, "escapeChar");
    f.wild = w.size() == 1 ? w[0] : '*';
    f.single = s.size() == 1 ? s[0] : '_';
    f.escape = e.size() == 1 ? e[0] : '\\';
  }
  // Filter 1.1 gives PropertyIsLike no matchCase, but clients send it (GDAL:
  // "true" for LIKE, "false" for ILIKE); absent, text comparisons ignore case.
  std::string mc = prop(n, "matchCase");
  f.match_case = mc == "true" || mc == "1";
  return f;
}

// ---- CQL_TEXT (the subset harvesters send).

class Cql {
 public:
  explicit Cql(std::string text) : m_s(std::move(text)) {}

  FilterResult parse()
  {
    auto f = expr(0);
    if (!f) {
      return f;
    }
    skip();
    if (m_i != m_s.size()) {
      return tl::unexpected(bad_constraint("unexpected text in CQL at " + std::to_string(m_i + 1)));
    }
    return f;
  }

 private:
  void skip()
  {
    while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i]))) {
      ++m_i;
    }
  }
  bool keyword(const char* kw)
  {
    skip();
    std::size_t n = std::char_traits<char>::length(kw);
    if (m_i + n <= m_s.size() && lower(m_s.substr(m_i, n)) == lower(kw) &&
        (m_i + n == m_s.size() || !std::isalnum(static_cast<unsigned char>(m_s[m_i + n])))) {
      m_i += n;
      return true;
    }
    return false;
  }
  FilterResult expr(int depth)
  {
    if (depth > 32) {
      return tl::unexpected(bad_constraint("CQL nested too deeply"));
    }
    auto left = term(depth);
    if (!left) {
      return left;
    }
    Filter f;
    f.op = Op::or_;
    f.kids.push_back(std::move(*left));
    while (keyword("OR")) {
      auto r = term(depth);
      if (!r) {
        return r;
      }
      f.kids.push_back(std::move(*r));
    }
    return f.kids.size() == 1 ? std::move(f.kids.front()) : f;
  }
  FilterResult term(int depth)
  {
    auto left = factor(depth);
    if (!left) {
      return left;
    }
    Filter f;
    f.op = Op::and_;
    f.kids.push_back(std::move(*left));
    while (keyword("AND")) {
      auto r = factor(depth);
      if (!r) {
        return r;
      }
      f.kids.push_back(std::move(*r));
    }
    return f.kids.size() == 1 ? std::move(f.kids.front()) : f;
  }
  FilterResult factor(int depth)
  {
    if (keyword("NOT")) {
      auto k = factor(depth + 1);
      if (!k) {
        return k;
      }
      Filter f;
      f.op = Op::not_;
      f.kids.push_back(std::move(*k));
      return f;
    }
    skip();
    if (m_i < m_s.size() && m_s[m_i] == '(') {
      ++m_i;
      auto f = expr(depth + 1);
      skip();
      if (!f || m_i >= m_s.size() || m_s[m_i] != ')') {
        return f ? FilterResult(tl::unexpected(bad_constraint("missing ) in CQL"))) : f;
      }
      ++m_i;
      return f;
    }
    if (keyword("BBOX")) {
      return bbox();
    }
    return predicate();
  }
  std::optional<std::string> ident()
  {
    skip();
    std::size_t b = m_i;
    while (m_i < m_s.size() && (std::isalnum(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == ':' ||
                                m_s[m_i] == '_' || m_s[m_i] == '.')) {
      ++m_i;
    }
    if (b == m_i) {
      return std::nullopt;
    }
    return m_s.substr(b, m_i - b);
  }
  std::optional<std::string> literal()
  {
    skip();
    if (m_i < m_s.size() && m_s[m_i] == '\'') {
      std::string out;
      ++m_i;
      while (m_i < m_s.size()) {
        if (m_s[m_i] == '\'') {
          if (m_i + 1 < m_s.size() && m_s[m_i + 1] == '\'') {
            out.push_back('\'');
            m_i += 2;
            continue;
          }
          ++m_i;
          return out;
        }
        out.push_back(m_s[m_i++]);
      }
      return std::nullopt;
    }
    std::size_t b = m_i;
    while (m_i < m_s.size() && (std::isdigit(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '.' ||
                                m_s[m_i] == '-' || m_s[m_i] == '+' || m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
      ++m_i;
    }
    if (b == m_i) {
      return std::nullopt;
    }
    return m_s.substr(b, m_i - b);
  }
  FilterResult bbox()
  {
    skip();
    if (m_i >= m_s.size() || m_s[m_i] != '(') {
      return tl::unexpected(bad_constraint("BBOX( expected"));
    }
    ++m_i;
    auto name = ident();
    std::array<double, 4> v{};
    for (double& x : v) {
      skip();
      if (m_i < m_s.size() && m_s[m_i] == ',') {
        ++m_i;
      }
      auto l = literal();
      char* end = nullptr;
      if (!l || (x = std::strtod(l->c_str(), &end), end == l->c_str() || *end != '\0')) {
        return tl::unexpected(bad_constraint("BBOX needs four numbers"));
      }
    }
    std::string crs;
    skip();
    if (m_i < m_s.size() && m_s[m_i] == ',') {
      ++m_i;
      crs = literal().value_or("");
    }
    skip();
    if (!name || m_i >= m_s.size() || m_s[m_i] != ')') {
      return tl::unexpected(bad_constraint("malformed BBOX"));
    }
    ++m_i;
    auto box = make_box(v[0], v[1], v[2], v[3], lat_first(crs));
    if (!box) {
      return tl::unexpected(box.error());
    }
    Filter f;
    f.op = Op::bbox;
    f.property = "bbox";
    f.box = *box;
    return f;
  }
  FilterResult predicate()
  {
    auto name = ident();
    if (!name) {
      return tl::unexpected(bad_constraint("a queryable name expected in CQL"));
    }
    auto p = canonical(*name);
    if (!p || *p == "bbox") {
      return tl::unexpected(bad_constraint("unknown queryable '" + *name + "'"));
    }
    Filter f;
    f.property = *p;
    skip();
    static const std::array<std::pair<const char*, Op>, 6> k_ops = {
      {{"<>", Op::ne}, {"<=", Op::le}, {">=", Op::ge}, {"=", Op::eq}, {"<", Op::lt}, {">", Op::gt}}};
    bool found = false;
    for (const auto& [sym, op] : k_ops) {
      std::size_t n = std::char_traits<char>::length(sym);
      if (m_s.compare(m_i, n, sym) == 0) {
        m_i += n;
        f.op = op;
        found = true;
        break;
      }
    }
    if (!found) {
      if (keyword("ILIKE") || keyword("LIKE")) {
        f.op = Op::like;
        f.wild = '%';
        f.single = '_';
        f.escape = '\\';
      } else {
        return tl::unexpected(bad_constraint("an operator expected after " + *name));
      }
    }
    auto l = literal();
    if (!l) {
      return tl::unexpected(bad_constraint("a literal expected after " + *name));
    }
    f.value = *l;
    return f;
  }

  std::string m_s;
  std::size_t m_i = 0;
};

// ---- Requests.

struct Request {
  std::string request, service, version;
  std::string result_type = "hits_default";
  std::string output_schema = k_csw;
  std::string element_set = "summary";
  std::vector<std::string> element_names;
  std::size_t start = 1;
  std::size_t max = 10;
  std::string type_names;
  std::string constraint_language;
  std::string constraint;
  xmlNodePtr filter = nullptr;
  std::string sort_by;  // "prop:A,prop2:D"
  std::vector<std::string> ids;
};

tl::expected<std::size_t, OwsError> parse_count(const std::string& v, const char* name, std::size_t min)
{
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < static_cast<long long>(min) || n > 1000000000LL) {
    return tl::unexpected(OwsError{"InvalidParameterValue", name, fmt::format("{} must be an integer >= {}", name, min)});
  }
  return static_cast<std::size_t>(n);
}

std::vector<std::string> split(const std::string& s, char sep)
{
  std::vector<std::string> out;
  std::size_t b = 0;
  while (b <= s.size()) {
    auto e = s.find(sep, b);
    if (e == std::string::npos) {
      e = s.size();
    }
    std::string part = trim(s.substr(b, e - b));
    if (!part.empty()) {
      out.push_back(part);
    }
    b = e + 1;
  }
  return out;
}

std::string schema_uri(const std::string& v)
{
  std::string l = lower(v);
  if (l == "gmd" || l == k_gmd || l == "http://www.isotc211.org/2005/gmd/") {
    return k_gmd;
  }
  if (l == "csw" || l == "csw:record" || l == k_csw || l.empty()) {
    return k_csw;
  }
  return v;
}

tl::expected<Request, OwsError> from_kvp(const std::multimap<std::string, std::string>& kvp)
{
  Request r;
  std::map<std::string, std::string> p;
  for (const auto& [k, v] : kvp) {
    p[lower(k)] = v;
  }
  auto get = [&](const char* k) -> std::string {
    auto it = p.find(k);
    return it == p.end() ? std::string() : it->second;
  };
  r.request = get("request");
  r.service = get("service");
  r.version = get("version");
  if (auto v = get("resulttype"); !v.empty()) {
    r.result_type = v;
  }
  if (auto v = get("outputschema"); !v.empty()) {
    r.output_schema = schema_uri(v);
  }
  if (auto v = get("elementsetname"); !v.empty()) {
    r.element_set = lower(v);
  } else if (lower(r.request) == "getrecordbyid") {
    r.element_set = "summary";
  }
  if (auto v = get("startposition"); !v.empty()) {
    auto n = parse_count(v, "startPosition", 1);
    if (!n) {
      return tl::unexpected(n.error());
    }
    r.start = *n;
  }
  if (auto v = get("maxrecords"); !v.empty()) {
    auto n = parse_count(v, "maxRecords", 0);
    if (!n) {
      return tl::unexpected(n.error());
    }
    r.max = *n;
  }
  r.type_names = get("typenames");
  r.constraint_language = get("constraintlanguage");
  r.constraint = get("constraint");
  r.sort_by = get("sortby");
  r.ids = split(get("id"), ',');
  return r;
}

tl::expected<Request, OwsError> from_xml(xmlNodePtr root)
{
  Request r;
  r.request = reinterpret_cast<const char*>(root->name);
  r.service = prop(root, "service");
  r.version = prop(root, "version");
  if (auto v = prop(root, "resultType"); !v.empty()) {
    r.result_type = v;
  }
  if (auto v = prop(root, "outputSchema"); !v.empty()) {
    r.output_schema = schema_uri(v);
  }
  if (auto v = prop(root, "startPosition"); !v.empty()) {
    auto n = parse_count(v, "startPosition", 1);
    if (!n) {
      return tl::unexpected(n.error());
    }
    r.start = *n;
  }
  if (auto v = prop(root, "maxRecords"); !v.empty()) {
    auto n = parse_count(v, "maxRecords", 0);
    if (!n) {
      return tl::unexpected(n.error());
    }
    r.max = *n;
  }
  if (r.request == "GetRecordById") {
    r.element_set = "summary";
  }
  for (xmlNodePtr c : children(root)) {
    std::string cn = reinterpret_cast<const char*>(c->name);
    if (cn == "Id") {
      r.ids.push_back(node_text(c));
    } else if (cn == "ElementSetName") {
      r.element_set = lower(node_text(c));
    } else if (cn == "Query") {
      r.type_names = prop(c, "typeNames");
      for (xmlNodePtr q : children(c)) {
        std::string qn = reinterpret_cast<const char*>(q->name);
        if (qn == "ElementSetName") {
          r.element_set = lower(node_text(q));
        } else if (qn == "ElementName") {
          r.element_names.push_back(node_text(q));
        } else if (qn == "Constraint") {
          for (xmlNodePtr k : children(q)) {
            if (is(k, k_ogc, "Filter")) {
              r.constraint_language = "FILTER";
              r.filter = k;
            } else if (is(k, k_csw, "CqlText")) {
              r.constraint_language = "CQL_TEXT";
              r.constraint = node_text(k);
            }
          }
        } else if (qn == "SortBy") {
          std::string sort;
          for (xmlNodePtr sp : children(q)) {
            std::string name, order = "A";
            for (xmlNodePtr x : children(sp)) {
              if (xmlStrEqual(x->name, X("PropertyName"))) {
                name = node_text(x);
              } else if (xmlStrEqual(x->name, X("SortOrder"))) {
                order = node_text(x).substr(0, 1);
              }
            }
            sort += (sort.empty() ? "" : ",") + name + ":" + order;
          }
          r.sort_by = sort;
        }
      }
    }
  }
  return r;
}

FilterResult make_filter(const Request& r, std::vector<Doc>& keep)
{
  if (r.filter != nullptr) {
    auto kids = children(r.filter);
    if (kids.size() != 1) {
      return tl::unexpected(bad_constraint("ogc:Filter needs one operator"));
    }
    return parse_ogc(kids.front(), 0);
  }
  if (r.constraint.empty()) {
    return Filter{};
  }
  std::string lang = lower(r.constraint_language);
  if (lang == "cql_text" || lang.empty()) {
    return Cql(r.constraint).parse();
  }
  if (lang == "filter") {
    Doc doc(xmlReadMemory(r.constraint.data(), static_cast<int>(r.constraint.size()), "constraint.xml", nullptr,
                          XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
            xmlFreeDoc);
    if (!doc || doc->intSubset != nullptr) {
      return tl::unexpected(bad_constraint("the FILTER constraint is not well-formed XML (or has a DTD)"));
    }
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    auto kids = children(root);
    if (!is(root, k_ogc, "Filter") || kids.size() != 1) {
      return tl::unexpected(bad_constraint("the FILTER constraint must be one ogc:Filter"));
    }
    auto f = parse_ogc(kids.front(), 0);
    keep.push_back(std::move(doc));
    return f;
  }
  return tl::unexpected(OwsError{"InvalidParameterValue", "CONSTRAINTLANGUAGE", "use CQL_TEXT or FILTER"});
}

// ---- Responses.

xmlNodePtr new_root(xmlDocPtr doc, const char* name, xmlNsPtr* csw)
{
  xmlNodePtr root = xmlNewDocNode(doc, nullptr, X(name), nullptr);
  xmlDocSetRootElement(doc, root);
  *csw = xmlNewNs(root, X(k_csw), X("csw"));
  xmlSetNs(root, *csw);
  xmlNewNs(root, X("http://purl.org/dc/elements/1.1/"), X("dc"));
  xmlNewNs(root, X("http://purl.org/dc/terms/"), X("dct"));
  xmlNewNs(root, X(k_ows), X("ows"));
  return root;
}

Response capabilities(const Catalogue& cat, const Container& c)
{
  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNsPtr csw = nullptr;
  xmlNodePtr root = new_root(doc.get(), "Capabilities", &csw);
  xmlNsPtr ows = xmlSearchNsByHref(doc.get(), root, X(k_ows));
  xmlNsPtr ogc = xmlNewNs(root, X(k_ogc), X("ogc"));
  xmlNsPtr xlink = xmlNewNs(root, X(k_xlink), X("xlink"));
  xmlNewNs(root, X(k_gml311), X("gml"));
  xmlNewNs(root, X(k_gmd), X("gmd"));
  attr(root, "version", "2.0.2");
  xmlNodePtr si = el(root, ows, "ServiceIdentification");
  el(si, ows, "Title", c.partner.title);
  el(si, ows, "Abstract", c.partner.abstract.empty()
                            ? "Metadata of the HEMERA balloon-experiment data centre, for partner " + c.partner.name
                            : c.partner.abstract);
  el(si, ows, "ServiceType", std::string("CSW"));
  el(si, ows, "ServiceTypeVersion", std::string("2.0.2"));
  el(si, ows, "Fees", std::string("none"));
  el(si, ows, "AccessConstraints", std::string("none"));
  xmlNodePtr sp = el(root, ows, "ServiceProvider");
  el(sp, ows, "ProviderName", c.partner.publisher.empty() ? std::string("HEMERA") : c.partner.publisher);
  xmlNodePtr site = el(sp, ows, "ProviderSite");
  xmlSetNsProp(site, xlink, X("href"), X(cat.public_url.c_str()));
  xmlNodePtr contact = el(sp, ows, "ServiceContact");
  if (c.partner.point_of_contact) {
    el(contact, ows, "IndividualName", c.partner.point_of_contact->organisation);
  }
  xmlNodePtr om = el(root, ows, "OperationsMetadata");
  std::string url = cat.public_url + "/csw/" + c.partner.name;
  auto op = [&](const char* name, bool post) {
    xmlNodePtr o = el(om, ows, "Operation");
    attr(o, "name", name);
    xmlNodePtr http = el(el(o, ows, "DCP"), ows, "HTTP");
    xmlSetNsProp(el(http, ows, "Get"), xlink, X("href"), X(url.c_str()));
    if (post) {
      xmlSetNsProp(el(http, ows, "Post"), xlink, X("href"), X(url.c_str()));
    }
    return o;
  };
  auto param = [&](xmlNodePtr o, const char* name, std::initializer_list<const char*> values) {
    xmlNodePtr p = el(o, ows, "Parameter");
    attr(p, "name", name);
    for (const char* v : values) {
      el(p, ows, "Value", std::string(v));
    }
  };
  param(op("GetCapabilities", false), "sections",
        {"ServiceIdentification", "ServiceProvider", "OperationsMetadata", "Filter_Capabilities"});
  xmlNodePtr dr = op("DescribeRecord", true);
  param(dr, "typeName", {"csw:Record", "gmd:MD_Metadata"});
  param(dr, "outputFormat", {"application/xml"});
  param(dr, "schemaLanguage", {"http://www.w3.org/XML/Schema"});
  xmlNodePtr gr = op("GetRecords", true);
  param(gr, "typeNames", {"csw:Record", "gmd:MD_Metadata"});
  param(gr, "outputFormat", {"application/xml"});
  param(gr, "outputSchema", {k_csw, k_gmd});
  param(gr, "resultType", {"hits", "results"});
  param(gr, "ElementSetName", {"brief", "summary", "full"});
  param(gr, "CONSTRAINTLANGUAGE", {"FILTER", "CQL_TEXT"});
  xmlNodePtr q = el(gr, ows, "Constraint");
  attr(q, "name", "SupportedDublinCoreQueryables");
  for (const char* v : {"csw:AnyText", "dc:title", "dc:subject", "dc:identifier", "dc:type", "dc:creator",
                        "dct:abstract", "dct:modified", "ows:BoundingBox"}) {
    el(q, ows, "Value", std::string(v));
  }
  xmlNodePtr qi = el(gr, ows, "Constraint");
  attr(qi, "name", "SupportedISOQueryables");
  for (const char* v : {"apiso:AnyText", "apiso:Title", "apiso:Abstract", "apiso:Subject", "apiso:Identifier",
                        "apiso:Modified", "apiso:TempExtent_begin", "apiso:TempExtent_end", "apiso:BoundingBox"}) {
    el(qi, ows, "Value", std::string(v));
  }
  xmlNodePtr gbi = op("GetRecordById", true);
  param(gbi, "outputSchema", {k_csw, k_gmd});
  param(gbi, "ElementSetName", {"brief", "summary", "full"});
  param(om, "service", {"CSW"});
  param(om, "version", {"2.0.2"});
  xmlNodePtr pe = el(om, ows, "Constraint");
  attr(pe, "name", "PostEncoding");
  el(pe, ows, "Value", std::string("XML"));
  xmlNodePtr mr = el(om, ows, "Constraint");
  attr(mr, "name", "MaxRecordDefault");
  el(mr, ows, "Value", std::to_string(c.partner.max_records));

  xmlNodePtr fc = el(root, ogc, "Filter_Capabilities");
  xmlNodePtr spc = el(fc, ogc, "Spatial_Capabilities");
  el(el(spc, ogc, "GeometryOperands"), ogc, "GeometryOperand", std::string("gml:Envelope"));
  attr(el(el(spc, ogc, "SpatialOperators"), ogc, "SpatialOperator"), "name", "BBOX");
  xmlNodePtr sc = el(fc, ogc, "Scalar_Capabilities");
  el(sc, ogc, "LogicalOperators");
  xmlNodePtr co = el(sc, ogc, "ComparisonOperators");
  for (const char* v : {"EqualTo", "NotEqualTo", "LessThan", "GreaterThan", "LessThanEqualTo", "GreaterThanEqualTo",
                        "Like"}) {
    el(co, ogc, "ComparisonOperator", std::string(v));
  }
  xmlNodePtr idc = el(fc, ogc, "Id_Capabilities");
  el(idc, ogc, "EID");
  el(idc, ogc, "FID");
  return Response{200, "application/xml; charset=UTF-8", serialize(doc.get())};
}

Response describe_record()
{
  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNsPtr csw = nullptr;
  xmlNodePtr root = new_root(doc.get(), "DescribeRecordResponse", &csw);
  auto component = [&](const char* ns, const char* location) {
    xmlNodePtr sc = el(root, csw, "SchemaComponent");
    attr(sc, "targetNamespace", ns);
    attr(sc, "schemaLanguage", "http://www.w3.org/XML/Schema");
    xmlNodePtr schema = xmlNewChild(sc, nullptr, X("schema"), nullptr);
    xmlNsPtr xs = xmlNewNs(schema, X(k_xs), X("xs"));
    xmlSetNs(schema, xs);
    attr(schema, "targetNamespace", ns);
    attr(schema, "elementFormDefault", "qualified");
    xmlNodePtr inc = el(schema, xs, "include");
    attr(inc, "schemaLocation", location);
  };
  component(k_csw, "http://schemas.opengis.net/csw/2.0.2/record.xsd");
  component(k_gmd, "http://schemas.opengis.net/iso/19139/20070417/gmd/gmd.xsd");
  return Response{200, "application/xml; charset=UTF-8", serialize(doc.get())};
}

tl::expected<interop::ElementSet, OwsError> element_set(const std::string& v)
{
  if (v == "brief") {
    return interop::ElementSet::brief;
  }
  if (v == "summary") {
    return interop::ElementSet::summary;
  }
  if (v == "full") {
    return interop::ElementSet::full;
  }
  return tl::unexpected(OwsError{"InvalidParameterValue", "ElementSetName", "use brief, summary or full"});
}

// ---- The catalogue index.

// This thread's read-only connection to the archive's index (opened on first use).
Result<db::Database*> index_for(const Catalogue& cat)
{
  thread_local std::unique_ptr<db::Database> t_db;
  thread_local std::filesystem::path t_root;
  if (!t_db || t_root != cat.root) {
    t_db.reset();
    auto d = HEMERA_TRY(catalog::open_index(cat.root));
    t_db = std::make_unique<db::Database>(std::move(d));
    t_root = cat.root;
  }
  return t_db.get();
}

// An index failure as an OWS exception (the details go to the log, not to the client).
Response index_failure(const Error& e)
{
  log::warn("catalogue index: {}", e.to_string());
  OwsError o{"NoApplicableCode", "", "the catalogue is unavailable; try again later"};
  o.status = e.code == Errc::temp_fail ? 503 : 500;
  return exception_report(o);
}

// The records a partner may receive, as index criteria (interop::accepts
// checks each record read again, for a record changed in between).
catalog::Scope scope_of(const interop::Partner& p)
{
  catalog::Scope s;
  s.databases = p.databases;
  s.collections = p.collections;
  s.keywords = p.keywords;
  if (!p.include_non_public) {
    s.statuses = {"public"};
    if (p.include_embargoed) {
      s.statuses.emplace_back("embargoed");
    }
  }
  if (!p.include_embargoed) {
    s.embargoed_at = interop::now_utc();
  }
  return s;
}

using ConditionResult = tl::expected<catalog::Condition, OwsError>;

// Translate a parsed constraint into a condition over the catalogue index.
ConditionResult to_condition(const Filter& f)
{
  using catalog::Condition;
  using catalog::Field;
  Condition c;
  switch (f.op) {
  case Op::all: return c;
  case Op::and_:
  case Op::or_:
  case Op::not_:
    c.kind = f.op == Op::and_ ? Condition::Kind::and_ : f.op == Op::or_ ? Condition::Kind::or_ : Condition::Kind::not_;
    for (const auto& k : f.kids) {
      auto kc = to_condition(k);
      if (!kc) {
        return kc;
      }
      c.kids.push_back(std::move(*kc));
    }
    return c;
  case Op::bbox:
    c.kind = Condition::Kind::bbox;
    c.box = f.box;
    return c;
  default: break;
  }
  if (f.property == "type") {
    // Every record is a dataset.
    bool hold = false;
    if (f.op == Op::like) {
      auto words = catalog::like_words(lower(f.value), f.wild, f.single, f.escape);
      hold = std::all_of(words.begin(), words.end(), [](const std::string& w) { return std::string("dataset").rfind(w, 0) == 0; });
    } else if (f.op == Op::eq || f.op == Op::ne) {
      hold = (lower(f.value) == "dataset") == (f.op == Op::eq);
    }
    c.kind = hold ? Condition::Kind::all : Condition::Kind::none;
    return c;
  }
  static const std::map<std::string, Field> k_fields = {
    {"title", Field::title},         {"abstract", Field::abstract}, {"subject", Field::keywords},
    {"anytext", Field::any},         {"identifier", Field::identifier}, {"modified", Field::modified},
    {"begin", Field::begin},         {"end", Field::end},           {"creator", Field::contact}};
  auto it = k_fields.find(f.property);
  if (it == k_fields.end()) {
    return tl::unexpected(bad_constraint("the queryable " + f.property + " cannot be used in a constraint"));
  }
  c.field = it->second;
  c.match_case = f.match_case;
  const bool text = c.field == Field::title || c.field == Field::abstract || c.field == Field::keywords ||
                    c.field == Field::any;
  const bool free_text = c.field == Field::abstract || c.field == Field::any;
  if (f.op == Op::like || (free_text && (f.op == Op::eq || f.op == Op::ne))) {
    if (!text) {
      return tl::unexpected(bad_constraint("PropertyIsLike applies to AnyText, title, abstract and subject"));
    }
    c.kind = Condition::Kind::words;
    c.words = catalog::like_words(f.value, f.wild, f.single, f.escape);
    if (f.op == Op::ne) {
      Condition n;
      n.kind = Condition::Kind::not_;
      n.kids.push_back(std::move(c));
      return n;
    }
    return c;
  }
  if (free_text) {
    return tl::unexpected(bad_constraint("AnyText and abstract are matched with PropertyIsLike"));
  }
  static const std::map<Op, const char*> k_ops = {{Op::eq, "="}, {Op::ne, "<>"}, {Op::lt, "<"},
                                                 {Op::gt, ">"}, {Op::le, "<="}, {Op::ge, ">="}};
  if ((c.field == Field::keywords || c.field == Field::contact) && f.op != Op::eq && f.op != Op::ne) {
    return tl::unexpected(bad_constraint("subject and creator are compared with = or <> only"));
  }
  c.kind = Condition::Kind::compare;
  c.op = k_ops.at(f.op);
  c.value = f.value;
  return c;
}

// Read the records of a page and keep those the partner receives (the embargo check).
std::vector<interop::Entry> read_page(const Catalogue& cat, const interop::Partner& partner,
                                      const std::vector<catalog::Selected>& page)
{
  std::vector<interop::Entry> out;
  std::string now = interop::now_utc();
  for (const auto& s : page) {
    auto e = interop::read_entry(cat.root, s.path);
    if (!e) {
      log::warn("{}: {}", s.uuid, e.error().to_string());
      continue;
    }
    if (interop::accepts(partner, *e, now)) {
      out.push_back(std::move(*e));
    }
  }
  return out;
}

void append_record(xmlNodePtr parent, const Catalogue& cat, const interop::Partner& partner,
                   const interop::Entry& entry, const std::string& schema, interop::ElementSet set)
{
  if (schema == k_gmd) {
    interop::append_iso19139(parent, entry, partner, cat.config, set);
  } else {
    interop::append_dublin_core(parent, interop::summarize(entry, partner, cat.config), set);
  }
}

Response get_records(const Catalogue& cat, const Container& c, const Request& r)
{
  std::vector<Doc> keep;
  std::string rt = lower(r.result_type);
  if (rt == "hits_default") {
    rt = "hits";
  }
  if (rt != "hits" && rt != "results" && rt != "validate") {
    return exception_report({"InvalidParameterValue", "resultType", "use hits, results or validate"});
  }
  if (r.output_schema != k_csw && r.output_schema != k_gmd) {
    return exception_report({"InvalidParameterValue", "outputSchema", "unsupported output schema " + r.output_schema});
  }
  if (!r.type_names.empty()) {
    for (const auto& t : split(r.type_names, ' ')) {
      for (const auto& tn : split(t, ',')) {
        std::string l = lower(tn);
        if (l != "csw:record" && l != "gmd:md_metadata" && l != "record" && l != "md_metadata") {
          return exception_report({"InvalidParameterValue", "typeNames", "unknown type " + tn});
        }
      }
    }
  }
  auto set = element_set(r.element_set);
  if (!set) {
    return exception_report(set.error());
  }
  auto filter = make_filter(r, keep);
  if (!filter) {
    return exception_report(filter.error());
  }
  auto cond = to_condition(*filter);
  if (!cond) {
    return exception_report(cond.error());
  }
  catalog::Selection sel;
  sel.where = std::move(*cond);
  sel.scope = scope_of(c.partner);
  if (!r.sort_by.empty()) {
    static const std::map<std::string, catalog::Field> k_sort = {
      {"title", catalog::Field::title}, {"identifier", catalog::Field::identifier},
      {"modified", catalog::Field::modified}, {"begin", catalog::Field::begin}, {"end", catalog::Field::end}};
    for (const auto& part : split(r.sort_by, ',')) {
      auto colon = part.rfind(':');
      std::string name = part, order = "A";
      if (colon != std::string::npos && (part.substr(colon + 1) == "A" || part.substr(colon + 1) == "D" ||
                                         lower(part.substr(colon + 1)) == "asc" || lower(part.substr(colon + 1)) == "desc")) {
        name = part.substr(0, colon);
        order = part.substr(colon + 1, 1);
      }
      auto p = canonical(name);
      auto it = p ? k_sort.find(*p) : k_sort.end();
      if (it == k_sort.end()) {
        return exception_report({"InvalidParameterValue", "SortBy", "cannot sort by " + name});
      }
      sel.sort.emplace_back(it->second, lower(order) == "d");
    }
  }
  std::size_t max = std::min(r.max, c.partner.max_records);
  std::size_t first = r.start - 1;
  sel.limit = rt == "results" ? max : 0;
  sel.offset = first;
  auto database = index_for(cat);
  if (!database) {
    return index_failure(database.error());
  }
  auto found = catalog::select(**database, sel);
  if (!found) {
    if (found.error().code == Errc::usage) {
      return exception_report(bad_constraint(found.error().message));
    }
    return index_failure(found.error());
  }
  std::size_t matched = found->total;
  std::size_t paged = found->records.size();
  auto entries = read_page(cat, c.partner, found->records);

  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNsPtr csw = nullptr;
  xmlNodePtr root = new_root(doc.get(), "GetRecordsResponse", &csw);
  xmlNewNs(root, X(k_gmd), X("gmd"));
  attr(root, "version", "2.0.2");
  attr(el(root, csw, "SearchStatus"), "timestamp", interop::now_utc());
  xmlNodePtr sr = el(root, csw, "SearchResults");
  std::size_t next = 0;
  if (rt == "results" && first + paged < matched) {
    next = first + paged + 1;
  } else if (rt != "results" && matched > 0) {
    next = 1;
  }
  attr(sr, "numberOfRecordsMatched", std::to_string(matched));
  attr(sr, "numberOfRecordsReturned", std::to_string(entries.size()));
  attr(sr, "nextRecord", std::to_string(next));
  attr(sr, "recordSchema", r.output_schema);
  attr(sr, "elementSet", r.element_set);
  for (const auto& e : entries) {
    append_record(sr, cat, c.partner, e, r.output_schema, *set);
  }
  return Response{200, "application/xml; charset=UTF-8", serialize(doc.get())};
}

// Select records by UUID (at most 100) within the partner's scope.
Result<std::vector<interop::Entry>> by_ids(const Catalogue& cat, const interop::Partner& partner,
                                           const std::vector<std::string>& ids)
{
  catalog::Selection sel;
  sel.scope = scope_of(partner);
  sel.where.kind = catalog::Condition::Kind::or_;
  for (const auto& id : ids) {
    if (sel.where.kids.size() >= 100) {
      break;
    }
    catalog::Condition c;
    c.kind = catalog::Condition::Kind::compare;
    c.field = catalog::Field::identifier;
    c.op = "=";
    c.value = id;
    sel.where.kids.push_back(std::move(c));
  }
  sel.limit = sel.where.kids.size();
  sel.count = false;
  auto database = HEMERA_TRY(index_for(cat));
  auto found = HEMERA_TRY(catalog::select(*database, sel));
  return read_page(cat, partner, found.records);
}

Response get_record_by_id(const Catalogue& cat, const Container& c, const Request& r)
{
  if (r.ids.empty()) {
    return exception_report({"MissingParameterValue", "id", "GetRecordById needs id"});
  }
  if (r.output_schema != k_csw && r.output_schema != k_gmd) {
    return exception_report({"InvalidParameterValue", "outputSchema", "unsupported output schema " + r.output_schema});
  }
  auto set = element_set(r.element_set);
  if (!set) {
    return exception_report(set.error());
  }
  auto entries = by_ids(cat, c.partner, r.ids);
  if (!entries) {
    return index_failure(entries.error());
  }
  Doc doc(xmlNewDoc(X("1.0")), xmlFreeDoc);
  xmlNsPtr csw = nullptr;
  xmlNodePtr root = new_root(doc.get(), "GetRecordByIdResponse", &csw);
  xmlNewNs(root, X(k_gmd), X("gmd"));
  for (const auto& e : *entries) {
    append_record(root, cat, c.partner, e, r.output_schema, *set);
  }
  return Response{200, "application/xml; charset=UTF-8", serialize(doc.get())};
}

}  // namespace

Result<std::shared_ptr<const Catalogue>> open(const config::Config& config, const std::filesystem::path& root)
{
  xmlInitParser();  // once, before the server's threads use libxml2
  auto cat = std::make_shared<Catalogue>();
  cat->config = config;
  cat->root = root;
  cat->public_url = config.get_string("public_url");
  while (!cat->public_url.empty() && cat->public_url.back() == '/') {
    cat->public_url.pop_back();
  }
  for (const auto& name : interop::partner_names(config)) {
    Container c;
    c.partner = HEMERA_TRY(interop::load_partner(config, name));
    cat->containers.emplace(name, std::move(c));
  }
  HEMERA_TRY(catalog::open_index(root));  // fail at start-up, not on the first request
  return std::shared_ptr<const Catalogue>(std::move(cat));
}

Result<interop::Entry> find_record(const Catalogue& catalogue, const std::string& partner, const std::string& uuid)
{
  auto cit = catalogue.containers.find(partner);
  if (cit == catalogue.containers.end()) {
    return fail(Errc::no_input, "no such partner");
  }
  auto entries = HEMERA_TRY(by_ids(catalogue, cit->second.partner, {uuid}));
  if (entries.empty()) {
    return fail(Errc::no_input, "no such record");
  }
  return std::move(entries.front());
}

Response handle(const Catalogue& catalogue, const std::string& partner,
                const std::multimap<std::string, std::string>& kvp, const std::string& body)
{
  auto cit = catalogue.containers.find(partner);
  if (cit == catalogue.containers.end()) {
    OwsError e{"InvalidParameterValue", "partner", "no CSW container for partner " + partner};
    e.status = 404;
    return exception_report(e);
  }
  const Container& c = cit->second;
  Doc doc(nullptr, xmlFreeDoc);
  tl::expected<Request, OwsError> req;
  if (!trim(body).empty()) {
    doc.reset(xmlReadMemory(body.data(), static_cast<int>(body.size()), "request.xml", nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING));
    if (!doc || doc->intSubset != nullptr || xmlDocGetRootElement(doc.get()) == nullptr) {
      return exception_report({"NoApplicableCode", "", "the request is not well-formed XML (DTDs are refused)"});
    }
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    if (root->ns == nullptr || !xmlStrEqual(root->ns->href, X(k_csw))) {
      return exception_report({"OperationNotSupported", "request", "the request root is not a CSW 2.0.2 element"});
    }
    req = from_xml(root);
  } else {
    req = from_kvp(kvp);
  }
  if (!req) {
    return exception_report(req.error());
  }
  const Request& r = *req;
  if (r.request.empty()) {
    return exception_report({"MissingParameterValue", "request", "the request parameter is missing"});
  }
  std::string op = lower(r.request);
  if (op != "getcapabilities" && lower(r.service) != "csw") {
    return exception_report({r.service.empty() ? "MissingParameterValue" : "InvalidParameterValue", "service",
                             "service must be CSW"});
  }
  if (op != "getcapabilities" && !r.version.empty() && r.version != "2.0.2") {
    return exception_report({"InvalidParameterValue", "version", "only version 2.0.2 is supported"});
  }
  if (op == "getcapabilities") {
    return capabilities(catalogue, c);
  }
  if (op == "describerecord") {
    return describe_record();
  }
  if (op == "getrecords") {
    return get_records(catalogue, c, r);
  }
  if (op == "getrecordbyid") {
    return get_record_by_id(catalogue, c, r);
  }
  return exception_report({"OperationNotSupported", "request", "operation " + r.request + " is not supported"});
}

}  // namespace hemera::csw
