// SPDX-License-Identifier: Apache-2.0
// The catalogue index and search.
#include <hemera/catalog/catalog.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include <fmt/format.h>

#include <hemera/catalog/rank.hpp>
#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>

namespace hemera::catalog {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;
using metadata::fold;

// The range of catalog_when's minutes (32-bit signed integers).
constexpr std::int64_t k_min_minute = -2147483647;
constexpr std::int64_t k_max_minute = 2147483647;

std::int64_t micro(double deg)
{
  return static_cast<std::int64_t>(std::llround(deg * 1e6));
}

struct Box {
  double west, east, south, north;
};

void add_text(std::string& out, const std::optional<metadata::Text>& t)
{
  if (t) {
    for (const auto& [k, v] : t->values) {
      out += v;
      out += '\n';
    }
  }
}

void add_term(std::set<std::pair<std::string, std::string>>& terms, const char* kind,
              const std::optional<std::string>& v, bool thesaurus = false)
{
  if (!v || v->find_first_not_of(" \t") == std::string::npos) {
    return;
  }
  terms.emplace(kind, fold(*v));
  if (!thesaurus) {
    return;
  }
  // Thesaurus paths ("BALLOONS_ROCKETS.NULL.BALLOONS", "A > B"): each segment too.
  const std::string& s = *v;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find_first_of(".>", start);
    std::string seg = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto a = seg.find_first_not_of(' ');
    auto b = seg.find_last_not_of(' ');
    if (a != std::string::npos && seg.substr(a, b - a + 1) != "NULL") {
      terms.emplace(kind, fold(seg.substr(a, b - a + 1)));
    }
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
}

void add_text_term(std::set<std::pair<std::string, std::string>>& terms, const char* kind,
                   const std::optional<metadata::Text>& t)
{
  if (t) {
    for (const auto& [k, v] : t->values) {
      add_term(terms, kind, v);
    }
  }
}

void add_thesaurus(std::set<std::pair<std::string, std::string>>& terms, const char* kind,
                   const std::optional<metadata::ThesaurusClass>& c)
{
  if (!c) {
    return;
  }
  add_term(terms, kind, c->code);
  add_text_term(terms, kind, c->name);
  if (c->thesaurus_code) {
    add_term(terms, kind, c->thesaurus_code->code);
    add_text_term(terms, kind, c->thesaurus_code->name);
    if (c->thesaurus_code->thesaurus_name) {
      add_term(terms, kind, c->thesaurus_code->thesaurus_name->code);
      add_text_term(terms, kind, c->thesaurus_code->thesaurus_name->name);
      add_text_term(terms, kind, c->thesaurus_code->thesaurus_name->long_name);
    }
  }
}

// The geographic boxes of one extent; a dateline-crossing one as two.
std::vector<Box> boxes_of(const metadata::Area& a)
{
  std::vector<Box> out;
  auto lon_ok = [](double v) { return std::isfinite(v) && v >= -180 && v <= 180; };
  auto lat_ok = [](double v) { return std::isfinite(v) && v >= -90 && v <= 90; };
  std::string type = a.type.value_or("");
  if (type == "point" && a.latitude && a.longitude && lat_ok(*a.latitude) && lon_ok(*a.longitude)) {
    out.push_back({*a.longitude, *a.longitude, *a.latitude, *a.latitude});
  } else if (type == "bbox" && a.west && a.east && a.south && a.north && lon_ok(*a.west) &&
             lon_ok(*a.east) && lat_ok(*a.south) && lat_ok(*a.north) && *a.south <= *a.north) {
    if (*a.west <= *a.east) {
      out.push_back({*a.west, *a.east, *a.south, *a.north});
    } else {
      out.push_back({*a.west, 180, *a.south, *a.north});
      out.push_back({-180, *a.east, *a.south, *a.north});
    }
  } else if (type == "trajectory" && a.points) {
    double mn = 1e9, mx = -1e9, mn360 = 1e9, mx360 = -1e9, s = 1e9, n = -1e9;
    bool any = false;
    for (const auto& p : *a.points) {
      if (!p.latitude || !p.longitude || !lat_ok(*p.latitude) || !lon_ok(*p.longitude)) {
        continue;
      }
      any = true;
      double lon = *p.longitude;
      double l360 = lon < 0 ? lon + 360 : lon;
      mn = std::min(mn, lon);
      mx = std::max(mx, lon);
      mn360 = std::min(mn360, l360);
      mx360 = std::max(mx360, l360);
      s = std::min(s, *p.latitude);
      n = std::max(n, *p.latitude);
    }
    if (any) {
      if (mx360 - mn360 < mx - mn && mx360 > 180 && mn360 <= 180) {
        out.push_back({mn360, 180, s, n});
        out.push_back({-180, mx360 - 360, s, n});
      } else if (mx360 - mn360 < mx - mn) {
        double w = mn360 > 180 ? mn360 - 360 : mn360;
        double e = mx360 > 180 ? mx360 - 360 : mx360;
        out.push_back({w, e, s, n});
      } else {
        out.push_back({mn, mx, s, n});
      }
    }
  }
  return out;
}

bool record_has_doi(const metadata::Record& r)
{
  if (r.doc().contains("doi") && r.doc()["doi"].is_string() && !r.doc()["doi"].get<std::string>().empty()) {
    return true;
  }
  for (const auto& id : r.identifiers().value_or(std::vector<metadata::Identifier>{})) {
    std::string code = id.code.value_or("");
    std::string space = fold(id.code_space.value_or(""));
    if (code.find_first_not_of(' ') != std::string::npos &&
        (space.find("doi") != std::string::npos || code.rfind("10.", 0) == 0)) {
      return true;
    }
  }
  return false;
}

// Minutes since 1970-01-01T00:00Z of a "YYYY-MM-DDThh:mm:ssZ" string, rounded
// down (or up, when `up`), clamped to the R*Tree's 32-bit range.
std::int64_t minutes_of(const std::string& utc, bool up)
{
  auto num = [&](std::size_t pos, std::size_t len) {
    std::int64_t v = 0;
    for (std::size_t i = pos; i < pos + len && i < utc.size(); ++i) {
      v = v * 10 + (utc[i] - '0');
    }
    return v;
  };
  std::int64_t y = num(0, 4), m = num(5, 2), d = num(8, 2);
  // Days from civil (H. Hinnant's algorithm).
  y -= m <= 2 ? 1 : 0;
  std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = era * 146097 + doe - 719468;
  std::int64_t minutes = days * 1440 + num(11, 2) * 60 + num(14, 2);
  if (up && num(17, 2) > 0) {
    ++minutes;
  }
  return std::clamp<std::int64_t>(minutes, k_min_minute, k_max_minute);
}

Result<void> delete_entry(db::Database& d, const std::string& uuid)
{
  auto rows = HEMERA_TRY(d.query_ids("SELECT rid FROM catalog WHERE uuid = ?1", {uuid}));
  if (rows.empty()) {
    return {};
  }
  std::int64_t rid = rows[0];
  HEMERA_TRY(d.exec("DELETE FROM catalog_text WHERE rowid = ?1", {rid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_when WHERE id IN (SELECT rowid FROM catalog_time WHERE rid = ?1)", {rid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_time WHERE rid = ?1", {rid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_where WHERE id IN (SELECT id FROM catalog_extent WHERE rid = ?1)", {rid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_extent WHERE rid = ?1", {rid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_term WHERE rid = ?1", {rid}));
  return d.exec("DELETE FROM catalog WHERE rid = ?1", {rid});
}

// Write one record's rows (inside the caller's transaction).
Result<void> write_entry(db::Database& d, const std::string& path, int revision,
                         const metadata::Record& r, const metadata::Defaults& defaults,
                         std::int64_t run)
{
  std::string uuid = r.id().value_or("");
  if (!uuid::check_rfc4122(uuid)) {
    return fail(Errc::data, "the record has no valid id", path);
  }
  HEMERA_TRY(delete_entry(d, uuid));
  auto slash = path.find('/');
  std::string base = path.substr(0, slash);
  auto last = path.rfind('/');
  std::string collection = slash < last ? path.substr(slash + 1, last - slash - 1) : "";

  std::string title = r.resource_title() ? r.resource_title()->get("en") : "";
  std::string status = r.status().value_or("");
  std::optional<std::string> embargo_end;
  if (auto di = r.distribution_information(); di && di->embargo_end && !di->embargo_end->empty()) {
    embargo_end = di->embargo_end;
  }
  auto report = metadata::check_record(r, defaults, archive::now_iso8601());

  std::string begin_all, end_all;
  bool open_end = false;
  std::vector<std::pair<std::string, std::optional<std::string>>> times;
  for (const auto& t : r.temporal_extents().value_or(std::vector<metadata::TemporalExtent>{})) {
    auto b = t.begin_date ? metadata::parse_iso8601(*t.begin_date) : std::nullopt;
    if (!b) {
      continue;
    }
    auto e = t.end_date ? metadata::parse_iso8601(*t.end_date) : std::nullopt;
    std::string bs = metadata::to_utc_string(*b, false);
    std::optional<std::string> es;
    if (e) {
      es = metadata::to_utc_string(*e, true);
    }
    times.emplace_back(bs, es);
    begin_all = begin_all.empty() ? bs : std::min(begin_all, bs);
    if (!es) {
      open_end = true;
    } else {
      end_all = std::max(end_all, *es);
    }
  }

  std::set<std::pair<std::string, std::string>> terms;
  std::string kw_text, param_text;
  for (const auto& k : r.keywords().value_or(std::vector<metadata::Keyword>{})) {
    add_term(terms, "keyword", k.concept_name);
    kw_text += k.concept_name.value_or("") + "\n";
  }
  for (const auto& p : r.parameters().value_or(std::vector<metadata::Parameter>{})) {
    for (const auto* v : {&p.short_name, &p.long_name, &p.cf_standard_name}) {
      add_term(terms, "parameter", *v);
      param_text += v->value_or("") + "\n";
    }
    add_term(terms, "parameter", p.thesaurus_concat, true);
    const std::vector<metadata::ThesaurusVariable>* tv = &p.thesaurus_variable;
    for (int depth = 0; depth < 8 && !tv->empty(); ++depth) {
      add_term(terms, "parameter", tv->front().code);
      add_text_term(terms, "parameter", tv->front().name);
      add_text(param_text, tv->front().name);
      tv = &tv->front().child;
    }
  }
  for (const auto& i : r.instruments().value_or(std::vector<metadata::Instrument>{})) {
    for (const auto* v : {&i.display_name, &i.model, &i.manufacturer}) {
      add_term(terms, "instrument", *v);
    }
    add_term(terms, "instrument", i.thesaurus_concat, true);
    add_thesaurus(terms, "instrument", i.thesaurus_class);
  }
  for (const auto& p : r.platforms().value_or(std::vector<metadata::Platform>{})) {
    add_term(terms, "platform", p.thesaurus_concat, true);
    add_term(terms, "platform", p.name);
    add_thesaurus(terms, "platform", p.thesaurus_class);
  }
  for (const auto& c : r.contacts().value_or(std::vector<metadata::Contact>{})) {
    add_term(terms, "contact", c.name);
    add_term(terms, "contact", c.email);
    if (c.orc_id) {
      if (auto n = metadata::normalize_orcid(*c.orc_id)) {
        terms.emplace("contact", fold(*n));
      }
    }
  }
  for (const auto& p : r.projects().value_or(std::vector<metadata::Project>{})) {
    add_term(terms, "project", p.thesaurus_concat, true);
    if (p.thesaurus_category) {
      add_term(terms, "project", p.thesaurus_category->code);
      add_text_term(terms, "project", p.thesaurus_category->name);
      if (p.thesaurus_category->thesaurus_name) {
        add_term(terms, "project", p.thesaurus_category->thesaurus_name->code);
        add_text_term(terms, "project", p.thesaurus_category->thesaurus_name->name);
      }
    }
  }
  if (r.doc().contains("programName") && r.doc()["programName"].is_string()) {
    add_term(terms, "project", r.doc()["programName"].get<std::string>());
  }
  // A record belongs to a project named by one of its project or keyword terms.
  std::string projects = "|";
  for (const auto& [kind, value] : terms) {
    if ((kind == "project" || kind == "keyword") && value.find('|') == std::string::npos &&
        projects.find("|" + value + "|") == std::string::npos) {
      projects += value + "|";
    }
  }

  auto ins = HEMERA_TRY(d.query_ids(
    "INSERT INTO catalog(uuid, base, collection, path, revision, title, title_sort, status, "
    "status_folded, has_doi, publishable, begin_time, end_time, last_modification, projects, run, embargo_end) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) RETURNING rid",
    {uuid, base, collection, path, revision, title, fold(title), status, fold(status),
     record_has_doi(r) ? 1 : 0, report.publishable ? 1 : 0,
     begin_all.empty() ? db::Value() : db::Value(begin_all),
     open_end || end_all.empty() ? db::Value() : db::Value(end_all),
     r.last_modification() ? db::Value(*r.last_modification()) : db::Value(), projects, run,
     embargo_end ? db::Value(*embargo_end) : db::Value()}));
  std::int64_t rid = ins.at(0);

  for (const auto& [b, e] : times) {
    auto id = HEMERA_TRY(d.query_ids(
      "INSERT INTO catalog_time(rid, begin_time, end_time) VALUES (?1, ?2, ?3) RETURNING rowid",
      {rid, b, e ? db::Value(*e) : db::Value()}));
    HEMERA_TRY(d.exec("INSERT INTO catalog_when(id, t0, t1, rid) VALUES (?1, ?2, ?3, ?4)",
                      {id.at(0), minutes_of(b, false), e ? minutes_of(*e, true) : k_max_minute, rid}));
  }
  for (const auto& ext : r.spatial_extents().value_or(std::vector<metadata::SpatialExtent>{})) {
    if (!ext.area) {
      continue;
    }
    for (const auto& bx : boxes_of(*ext.area)) {
      std::vector<db::Value> v{rid, micro(bx.west), micro(bx.east), micro(bx.south), micro(bx.north)};
      auto id = HEMERA_TRY(d.query_ids(
        "INSERT INTO catalog_extent(rid, west, east, south, north) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id", v));
      v.insert(v.begin(), id.at(0));
      HEMERA_TRY(d.exec("INSERT INTO catalog_where(id, rid, west, east, south, north) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        v));
    }
  }

  for (const auto& [kind, value] : terms) {
    HEMERA_TRY(d.exec("INSERT OR IGNORE INTO catalog_term(kind, value, rid) VALUES (?1, ?2, ?3)",
                      {kind, value, rid}));
  }

  std::string title_text, abstract_text;
  add_text(title_text, r.resource_title());
  add_text(abstract_text, r.resource_abstract());
  return d.exec("INSERT INTO catalog_text(rowid, title, abstract, keywords, parameters) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
                {rid, title_text, abstract_text, kw_text, param_text});
}

Result<void> in_transaction(db::Database& d, const std::function<Result<void>()>& body)
{
  HEMERA_TRY(d.exec_script("BEGIN IMMEDIATE;"));
  auto r = body();
  if (!r) {
    (void)d.exec_script("ROLLBACK;");
    return r;
  }
  return d.exec_script("COMMIT;");
}

std::string collection_of(const std::string& path)
{
  auto slash = path.find('/');
  auto last = path.rfind('/');
  return slash < last ? path.substr(slash + 1, last - slash - 1) : "";
}

// Turn free text into an FTS5 query: every word a quoted prefix, all required.
std::string fts_query(const std::string& text)
{
  std::string out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) {
      out += fmt::format("{}\"{}\"*", out.empty() ? "" : " AND ", word);
      word.clear();
    }
  };
  for (char ch : text) {
    auto u = static_cast<unsigned char>(ch);
    if (u >= 0x80 || std::isalnum(u) != 0) {
      word += ch;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// A criterion of a query: as a SQL condition on one catalogue row `c`, and,
// when it can drive the query, as a query yielding the rids it admits.
struct Criterion {
  std::string check;                     // boolean SQL over c (placeholders "?")
  std::vector<db::Value> check_params;
  std::string set_sql;                   // "SELECT rid FROM … LIMIT ?" (empty: cannot drive)
  std::vector<db::Value> set_params;
  bool exact_set = true;                 // false: the set is a superset, keep the check
  int prior = 0;                         // lower is tried first (more selective as a rule)
  bool text = false;                     // the free-text criterion (FTS5)
  bool broad = false;                    // admits most records as a rule: check, do not fetch
};

// "any of `values`" on terms of `kind`.
Criterion term_criterion(const std::string& kind, const std::vector<std::string>& values, int prior)
{
  Criterion c;
  c.prior = prior;
  std::string any;
  std::vector<db::Value> params;
  for (const auto& v : values) {
    std::string f = fold(v);
    any += any.empty() ? "" : " OR ";
    if (!f.empty() && f.back() == '*') {
      f.pop_back();
      params.emplace_back(f);
      params.emplace_back(f + "\xff");
      any += "(x.value >= ? AND x.value < ?)";
    } else {
      params.emplace_back(f);
      any += "x.value = ?";
    }
  }
  c.check = fmt::format("EXISTS (SELECT 1 FROM catalog_term x WHERE x.kind = ? AND ({}) AND x.rid = c.rid)", any);
  c.check_params.emplace_back(kind);
  c.check_params.insert(c.check_params.end(), params.begin(), params.end());
  c.set_sql = fmt::format("SELECT x.rid FROM catalog_term x WHERE x.kind = ? AND ({}) LIMIT ?", any);
  c.set_params = c.check_params;
  return c;
}

// Map hemera.db into memory and give it a large page cache (the catalogue is
// read many times per query; pread copies would dominate).
Result<void> tune(db::Database& d)
{
  HEMERA_TRY(d.query("PRAGMA mmap_size = 1073741824"));
  return d.exec("PRAGMA cache_size = -65536");
}

// Sorted, unique.
void normalize(std::vector<std::int64_t>& v)
{
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// The candidate rids as a JSON array (bound to json_each).
std::string id_array(const std::vector<std::int64_t>& ids)
{
  std::string out = "[";
  out.reserve(ids.size() * 8 + 2);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += std::to_string(ids[i]);
  }
  return out + "]";
}

// The columns a hit is made from (after `skip` leading ones).
constexpr const char* k_hit_columns =
  "c.uuid, c.title, c.base, c.collection, c.path, c.status, c.begin_time, c.end_time, c.last_modification, "
  "c.publishable, c.has_doi, c.revision";

Hit hit_of(db::Row&& r, std::size_t skip)
{
  Hit h;
  h.uuid = std::move(r[skip + 0].text);
  h.title = std::move(r[skip + 1].text);
  h.base = std::move(r[skip + 2].text);
  h.collection = std::move(r[skip + 3].text);
  h.path = std::move(r[skip + 4].text);
  h.status = std::move(r[skip + 5].text);
  h.begin = std::move(r[skip + 6].text);
  h.end = std::move(r[skip + 7].text);
  h.last_modification = std::move(r[skip + 8].text);
  h.publishable = r[skip + 9].integer != 0;
  h.has_doi = r[skip + 10].integer != 0;
  h.revision = static_cast<int>(r[skip + 11].integer);
  return h;
}

// The hits of `page` (rids), in the page's order: only these rows are read.
Result<std::vector<Hit>> page_hits(db::Database& d, const std::vector<std::int64_t>& page)
{
  std::vector<Hit> out;
  if (page.empty()) {
    return out;
  }
  auto rows = HEMERA_TRY(d.query(
    fmt::format("SELECT c.rid, {} FROM json_each(?) j CROSS JOIN catalog c ON c.rid = j.value", k_hit_columns),
    {id_array(page)}));
  std::map<std::int64_t, Hit> by_rid;
  for (auto& r : rows) {
    std::int64_t rid = r[0].integer;
    by_rid.emplace(rid, hit_of(std::move(r), 1));
  }
  for (auto rid : page) {
    if (auto it = by_rid.find(rid); it != by_rid.end()) {
      out.push_back(std::move(it->second));
    }
  }
  return out;
}

// The page of `candidates` (sorted rids) in `order`, an order an index
// walks: the walk reads the rids in that order and keeps the candidates (a
// binary search each); then only the page's rows are read. No candidate list
// is handed to SQLite (building its ephemeral index cost more than the rest
// of the query). About (offset + limit) * rows / candidates rids are read
// when the candidates are spread over the order; when they gather late in it
// (a keyword that is also the first word of their titles), the walk gives up
// once it has read four rids per candidate (nullopt): sorting the candidates
// costs less then.
Result<std::optional<std::vector<Hit>>> walk_page(db::Database& d, const std::string& order,
                                                  const std::vector<std::int64_t>& candidates,
                                                  std::size_t n_rows, std::size_t offset, std::size_t limit)
{
  const std::size_t want = offset + limit;
  const std::size_t most = std::min(n_rows, 4 * candidates.size());
  std::size_t chunk = std::max<std::size_t>(64, 2 * want * (n_rows / std::max<std::size_t>(1, candidates.size()) + 1));
  std::vector<std::int64_t> page;
  const std::string sql = fmt::format("SELECT c.rid FROM catalog c ORDER BY {} LIMIT ?", order);
  for (;;) {
    auto rids = HEMERA_TRY(d.query_ids(sql, {static_cast<std::int64_t>(chunk)}));
    page.clear();
    std::size_t seen = 0;
    for (auto rid : rids) {
      if (!std::binary_search(candidates.begin(), candidates.end(), rid)) {
        continue;
      }
      if (seen++ >= offset) {
        page.push_back(rid);
        if (page.size() == limit) {
          break;
        }
      }
    }
    if (page.size() == limit || rids.size() < chunk) {
      break;
    }
    if (chunk >= most) {
      return std::nullopt;
    }
    chunk = std::min(chunk * 4, std::max(most, chunk + 1));
  }
  return page_hits(d, page);
}

// The page of the text matches among `candidates` in the order
// "bm25(catalog_text) [DESC], title_sort, uuid": every candidate match is
// scored (rank_text), only those up to the page's last score are looked up
// for their title and UUID, and only the page's rows are read.
Result<std::vector<Hit>> relevance_page(db::Database& d, Cache& cache, const std::string& fts,
                                        const std::vector<std::int64_t>& candidates, std::size_t n_rows,
                                        const Query& q)
{
  auto scored = HEMERA_TRY(rank_text(d, cache, fts, candidates, n_rows));
  if (scored.size() <= q.offset || q.limit == 0) {
    return std::vector<Hit>{};
  }
  auto better = [&](double a, double b) { return q.descending ? a > b : a < b; };
  const std::size_t want = q.offset + q.limit;
  if (want < scored.size()) {
    auto nth = scored.begin() + static_cast<std::ptrdiff_t>(want - 1);
    std::nth_element(scored.begin(), nth, scored.end(),
                     [&](const Scored& a, const Scored& b) { return better(a.score, b.score); });
    double edge = nth->score;
    auto end = std::partition(scored.begin(), scored.end(), [&](const Scored& s) { return !better(edge, s.score); });
    scored.erase(end, scored.end());
  }
  std::vector<std::int64_t> ids;
  ids.reserve(scored.size());
  for (const auto& s : scored) {
    ids.push_back(s.rid);
  }
  std::map<std::int64_t, std::pair<std::string, std::string>> keys;
  for (auto& r : HEMERA_TRY(d.query("SELECT c.rid, c.title_sort, c.uuid FROM json_each(?) j "
                                    "CROSS JOIN catalog c ON c.rid = j.value",
                                    {id_array(ids)}))) {
    keys.emplace(r[0].integer, std::make_pair(std::move(r[1].text), std::move(r[2].text)));
  }
  std::sort(scored.begin(), scored.end(), [&](const Scored& a, const Scored& b) {
    if (a.score != b.score) {
      return better(a.score, b.score);
    }
    return keys[a.rid] < keys[b.rid];
  });
  std::vector<std::int64_t> page;
  for (std::size_t i = q.offset; i < std::min(want, scored.size()); ++i) {
    page.push_back(scored[i].rid);
  }
  return page_hits(d, page);
}

}  // namespace

metadata::Defaults defaults_for(const config::Config& config, const std::string& collection)
{
  metadata::Defaults d;
  if (const json* g = config.find("catalogue.defaults"); g != nullptr && g->is_object()) {
    d.values = *g;
  }
  if (const json* cs = config.find("catalogue.collections"); cs != nullptr && cs->is_object()) {
    std::string best;
    for (const auto& [prefix, v] : cs->items()) {
      bool match = collection == prefix || collection.rfind(prefix + "/", 0) == 0;
      if (match && prefix.size() >= best.size() && v.is_object()) {
        best = prefix;
      }
    }
    if (!best.empty()) {
      d.values.update((*cs)[best]);
    }
  }
  std::string publisher = config.get_string("doi.publisher");
  if (!publisher.empty() && !d.values.contains("publisher")) {
    d.values["publisher"] = publisher;
  }
  return d;
}

Result<void> index_record(archive::Archive& archive, const std::string& path, int revision,
                          const metadata::Record& record, const metadata::Defaults& defaults)
{
  auto& d = archive.db();
  return in_transaction(d, [&]() -> Result<void> {
    return write_entry(d, path, revision, record, defaults, 0);
  });
}

Result<ReindexResult> reindex(archive::Archive& archive, const config::Config& config)
{
  auto started = std::chrono::steady_clock::now();
  auto& d = archive.db();
  HEMERA_TRY(tune(d));
  ReindexResult out;
  // Revisions as hemera.db knows them (the tree is the truth for the records).
  std::map<std::string, int> revisions;
  for (const auto& row : HEMERA_TRY(d.query("SELECT uuid, record_revision FROM datasets"))) {
    revisions[row[0].text] = static_cast<int>(row[1].integer);
  }
  auto run_rows = HEMERA_TRY(d.query("SELECT COALESCE(MAX(run), 0) + 1 FROM catalog"));
  std::int64_t run = run_rows.at(0).at(0).integer;

  // Walk DATB/ and DASB/: <base>/<collection: 1-3 segments>/<uuid>/metadata.json.
  std::vector<std::string> paths;
  const fs::path root = archive.layout().root;
  for (const char* base : {"DATB", "DASB"}) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root / base, fs::directory_options::none, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory(ec) || it->is_symlink(ec)) {
        continue;
      }
      std::string name = it->path().filename().string();
      if (uuid::check_rfc4122(name)) {
        std::error_code e2;
        if (fs::exists(it->path() / "metadata.json", e2)) {
          paths.push_back(fs::relative(it->path(), root).generic_string());
        }
        it.disable_recursion_pending();
      } else if (it.depth() >= 3) {
        it.disable_recursion_pending();
      }
    }
  }
  std::sort(paths.begin(), paths.end());

  constexpr std::size_t k_batch = 1000;
  for (std::size_t i = 0; i < paths.size(); i += k_batch) {
    std::size_t n = std::min(k_batch, paths.size() - i);
    std::vector<std::pair<std::string, metadata::Record>> batch;
    for (std::size_t k = 0; k < n; ++k) {
      const std::string& p = paths[i + k];
      auto text = util::read_file(root / p / "metadata.json");
      auto rec = text ? metadata::Record::parse(*text, p + "/metadata.json")
                      : Result<metadata::Record>(tl::unexpected(text.error()));
      if (!rec) {
        log::warn("not indexed: {}", rec.error().to_string());
        ++out.skipped;
        continue;
      }
      batch.emplace_back(p, std::move(*rec));
    }
    auto written = in_transaction(d, [&]() -> Result<void> {
      for (const auto& [p, rec] : batch) {
        std::string uuid = fs::path(p).filename().string();
        auto rv = revisions.find(uuid);
        auto r = write_entry(d, p, rv == revisions.end() ? 0 : rv->second, rec,
                             defaults_for(config, collection_of(p)), run);
        if (!r) {
          if (r.error().code != Errc::data) {
            return r;
          }
          log::warn("not indexed: {}", r.error().to_string());
          ++out.skipped;
          continue;
        }
        ++out.records;
      }
      return {};
    });
    if (!written) {
      return tl::unexpected(written.error());
    }
  }
  // Entries of records no longer in the tree.
  auto stale = HEMERA_TRY(d.query("SELECT uuid FROM catalog WHERE run <> ?1", {run}));
  auto removed = in_transaction(d, [&]() -> Result<void> {
    for (const auto& row : stale) {
      auto r = delete_entry(d, row[0].text);
      if (!r) {
        return r;
      }
    }
    return {};
  });
  if (!removed) {
    return tl::unexpected(removed.error());
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

Result<std::size_t> refresh(archive::Archive& archive, const config::Config& config)
{
  auto& d = archive.db();
  auto rows = HEMERA_TRY(d.query(
    "SELECT x.uuid, x.path, x.record_revision FROM datasets x LEFT JOIN catalog c ON c.uuid = x.uuid "
    "WHERE c.uuid IS NULL OR c.revision <> x.record_revision"));
  std::size_t n = 0;
  for (const auto& row : rows) {
    auto text = util::read_file(archive.layout().root / row[1].text / "metadata.json");
    if (!text) {
      log::warn("not indexed: {}", text.error().to_string());
      continue;
    }
    auto rec = metadata::Record::parse(*text, row[1].text + "/metadata.json");
    if (!rec) {
      log::warn("not indexed: {}", rec.error().to_string());
      continue;
    }
    auto r = index_record(archive, row[1].text, static_cast<int>(row[2].integer), *rec,
                          defaults_for(config, collection_of(row[1].text)));
    if (!r) {
      if (r.error().code != Errc::data) {
        return tl::unexpected(r.error());
      }
      log::warn("not indexed: {}", r.error().to_string());
      continue;
    }
    ++n;
  }
  return n;
}

Result<std::array<double, 4>> parse_bbox(const std::string& text)
{
  std::array<double, 4> v{};
  std::size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    auto comma = text.find(',', start);
    if ((i < 3) != (comma != std::string::npos)) {
      return fail(Errc::usage, fmt::format("--bbox wants W,S,E,N in degrees, not '{}'", text), {}, "--bbox");
    }
    std::string part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    v[static_cast<std::size_t>(i)] = std::strtod(part.c_str(), &end);
    if (part.empty() || end == nullptr || *end != '\0' || !std::isfinite(v[static_cast<std::size_t>(i)])) {
      return fail(Errc::usage, fmt::format("--bbox: '{}' is not a number", part), {}, "--bbox");
    }
    start = comma + 1;
  }
  if (v[0] < -180 || v[0] > 180 || v[2] < -180 || v[2] > 180 || v[1] < -90 || v[1] > 90 ||
      v[3] < -90 || v[3] > 90 || v[1] > v[3]) {
    return fail(Errc::usage,
                fmt::format("--bbox {}: longitudes in [-180, 180], latitudes in [-90, 90], S <= N", text),
                {}, "--bbox");
  }
  return v;
}

Result<SearchResult> search(archive::Archive& archive, const Query& q)
{
  auto& d = archive.db();
  HEMERA_TRY(tune(d));
  std::vector<Criterion> criteria;

  // Time: the R*Tree (minutes, rounded outwards) proposes, the exact check decides.
  if (q.from || q.to) {
    std::optional<std::string> from, to;
    if (q.from) {
      auto t = metadata::parse_iso8601(*q.from);
      if (!t) {
        return fail(Errc::usage, fmt::format("--from: '{}' is not an ISO 8601 date", *q.from), {}, "--from");
      }
      from = metadata::to_utc_string(*t, false);
    }
    if (q.to) {
      auto t = metadata::parse_iso8601(*q.to);
      if (!t) {
        return fail(Errc::usage, fmt::format("--to: '{}' is not an ISO 8601 date", *q.to), {}, "--to");
      }
      to = metadata::to_utc_string(*t, true);
    }
    if (from && to && *from > *to) {
      return fail(Errc::usage, "--from is after --to", {}, "--from");
    }
    Criterion c;
    c.prior = 2;
    c.exact_set = false;
    c.check = "EXISTS (SELECT 1 FROM catalog_time y WHERE y.rid = c.rid";
    if (from) {
      c.check += " AND (y.end_time IS NULL OR y.end_time >= ?)";
      c.check_params.emplace_back(*from);
    }
    if (to) {
      c.check += " AND y.begin_time <= ?";
      c.check_params.emplace_back(*to);
    }
    c.check += ")";
    c.set_sql = "SELECT rid FROM catalog_when WHERE t1 >= ? AND t0 <= ? LIMIT ?";
    c.set_params = {from ? minutes_of(*from, false) : k_min_minute, to ? minutes_of(*to, true) : k_max_minute};
    criteria.push_back(std::move(c));
  }
  // Space: one box, or two across the dateline; the R*Tree is exact (micro-degrees).
  if (q.bbox) {
    const auto& b = *q.bbox;
    std::vector<std::pair<double, double>> lons;
    if (b[0] <= b[2]) {
      lons.emplace_back(b[0], b[2]);
    } else {
      lons.emplace_back(b[0], 180);
      lons.emplace_back(-180, b[2]);
    }
    Criterion c;
    c.prior = 1;
    std::string any;
    std::vector<db::Value> lon_params;
    for (const auto& [w, e] : lons) {
      any += any.empty() ? "" : " OR ";
      any += "(g.west <= ? AND g.east >= ?)";
      lon_params.emplace_back(micro(e));
      lon_params.emplace_back(micro(w));
    }
    c.check = fmt::format("EXISTS (SELECT 1 FROM catalog_extent g WHERE g.rid = c.rid AND g.south <= ? AND "
                          "g.north >= ? AND ({}))", any);
    c.check_params = {micro(b[3]), micro(b[1])};
    c.check_params.insert(c.check_params.end(), lon_params.begin(), lon_params.end());
    c.set_sql = fmt::format("SELECT g.rid FROM catalog_where g WHERE g.south <= ? AND g.north >= ? AND ({}) LIMIT ?",
                            any);
    c.set_params = c.check_params;
    criteria.push_back(std::move(c));
  }
  if (!q.contact.empty()) {
    std::string who = q.contact;
    if (auto n = metadata::normalize_orcid(who)) {
      who = *n;
    }
    criteria.push_back(term_criterion("contact", {who}, 0));
  }
  if (!q.platforms.empty()) {
    criteria.push_back(term_criterion("platform", q.platforms, 3));
  }
  if (!q.instruments.empty()) {
    criteria.push_back(term_criterion("instrument", q.instruments, 3));
  }
  if (!q.keywords.empty()) {
    criteria.push_back(term_criterion("keyword", q.keywords, 4));
  }
  if (!q.parameters.empty()) {
    criteria.push_back(term_criterion("parameter", q.parameters, 5));
  }
  if (!q.collection.empty()) {
    std::string col = q.collection;
    while (!col.empty() && col.back() == '/') {
      col.pop_back();
    }
    Criterion c;
    c.prior = 6;
    c.check = "(c.collection = ? OR (c.collection >= ? AND c.collection < ?))";
    c.check_params = {fold(col), fold(col) + "/", fold(col) + "0"};  // '0' is '/' + 1
    c.set_sql = "SELECT rid FROM catalog c WHERE c.collection = ? OR (c.collection >= ? AND c.collection < ?) LIMIT ?";
    c.set_params = c.check_params;
    criteria.push_back(std::move(c));
  }
  // Free text: FTS5 yields the matching rowids (prefix queries, accents folded).
  std::string fts = fts_query(q.text);
  bool text = !fts.empty();
  if (text) {
    Criterion c;
    c.prior = 7;
    c.text = true;
    c.check = "c.rid IN (SELECT rowid FROM catalog_text WHERE catalog_text MATCH ?)";
    c.check_params = {fts};
    c.set_sql = "SELECT rowid FROM catalog_text WHERE catalog_text MATCH ? LIMIT ?";
    c.set_params = {fts};
    criteria.push_back(std::move(c));
  }
  // Column conditions (database, status, DOI, publishable, project), as one
  // criterion: its set comes from the catalog_facets index.
  std::string columns;
  std::vector<db::Value> column_params;
  if (!q.database.empty()) {
    std::string base = q.database;
    std::transform(base.begin(), base.end(), base.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (base != "DATB" && base != "DASB") {
      return fail(Errc::usage, fmt::format("--database is DATB or DASB, not '{}'", q.database), {}, "--database");
    }
    columns += " AND c.base = ?";
    column_params.emplace_back(base);
  }
  if (!q.status.empty()) {
    columns += " AND c.status_folded = ?";
    column_params.emplace_back(fold(q.status));
  }
  if (q.has_doi) {
    columns += " AND c.has_doi = 1";
  }
  if (q.publishable_only) {
    columns += " AND c.publishable = 1";
  }
  if (!q.all_projects) {
    columns += " AND instr(c.projects, ?) > 0";
    column_params.emplace_back("|" + fold(q.project) + "|");
  }
  if (!columns.empty()) {
    Criterion c;
    c.prior = 8;
    c.check = "(1" + columns + ")";
    c.check_params = column_params;
    c.set_sql = fmt::format("SELECT c.rid FROM catalog c INDEXED BY catalog_facets WHERE 1{} LIMIT ?", columns);
    c.set_params = column_params;
    // Project, database and publishability admit most records: fetching
    // their set to find out costs a scan of the catalogue.
    c.broad = q.status.empty() && !q.has_doi;
    criteria.push_back(std::move(c));
  }

  std::string dir = q.descending ? "DESC" : "ASC";
  std::string order;
  if (q.sort == "relevance") {
    order = text ? fmt::format("bm25(catalog_text) {}, c.title_sort, c.uuid", dir) : "c.title_sort, c.uuid";
  } else if (q.sort == "title") {
    order = fmt::format("c.title_sort {0}, c.uuid {0}", dir);
  } else if (q.sort == "date") {
    order = fmt::format("c.begin_time IS NULL, c.begin_time {0}, c.uuid {0}", dir);
  } else if (q.sort == "modified") {
    order = fmt::format("c.last_modification IS NULL, c.last_modification {0}, c.uuid {0}", dir);
  } else if (q.sort == "uuid") {
    order = fmt::format("c.uuid {}", dir);
  } else {
    return fail(Errc::usage, fmt::format("--sort is relevance, title, date, modified or uuid, not '{}'", q.sort),
                {}, "--sort");
  }

  // Candidates: intersect the sets of the criteria, most selective first. A
  // set larger than the budget (a multiple of the candidates so far) is not
  // fetched: its criterion is checked on each candidate instead, unless the
  // candidates are still many: then its set is fetched whole. When no set
  // fits the first budget, the first one is fetched whole; so is the only
  // selective criterion. Broad criteria come last: their sets are fetched
  // (whole, and kept for the connection's next searches) only when the
  // candidates are many or when they are the only criterion.
  auto size_rows = HEMERA_TRY(d.query_ids("SELECT COALESCE(MAX(rid), 0) FROM catalog"));
  const auto n_rows = static_cast<std::size_t>(size_rows.at(0));
  Cache* cache = HEMERA_TRY(cache_of(d));
  std::stable_sort(criteria.begin(), criteria.end(), [](const Criterion& a, const Criterion& b) {
    return a.broad != b.broad ? b.broad : a.prior < b.prior;
  });
  const auto narrow = static_cast<std::size_t>(
    std::count_if(criteria.begin(), criteria.end(), [](const Criterion& c) { return !c.broad; }));
  std::optional<std::vector<std::int64_t>> candidates;
  std::vector<const Criterion*> checks;
  auto intersect = [&](const Criterion& c, std::vector<std::int64_t> ids) {
    normalize(ids);
    if (!c.exact_set) {
      checks.push_back(&c);
    }
    if (!candidates) {
      candidates = std::move(ids);
    } else {
      std::vector<std::int64_t> both;
      std::set_intersection(candidates->begin(), candidates->end(), ids.begin(), ids.end(),
                            std::back_inserter(both));
      candidates = std::move(both);
    }
  };
  auto fetch = [&](const Criterion& c, std::int64_t limit) {
    auto params = c.set_params;
    params.emplace_back(limit);
    return d.query_ids(c.set_sql, params);
  };
  // The whole set of `c`: a broad one from the cache, or fetched and kept.
  auto whole = [&](const Criterion& c) -> Result<std::vector<std::int64_t>> {
    if (!c.broad) {
      return fetch(c, -1);
    }
    std::string key = c.set_sql;
    for (const auto& p : c.set_params) {
      key += '\x1f' + (p.kind == db::Value::Kind::text ? p.text : std::to_string(p.integer));
    }
    if (const auto* kept = find_set(*cache, key)) {
      return *kept;
    }
    auto ids = HEMERA_TRY(fetch(c, -1));
    normalize(ids);
    keep_set(*cache, key, ids);
    return ids;
  };
  auto cached = [&](const Criterion& c) {
    std::string key = c.set_sql;
    for (const auto& p : c.set_params) {
      key += '\x1f' + (p.kind == db::Value::Kind::text ? p.text : std::to_string(p.integer));
    }
    return find_set(*cache, key) != nullptr;
  };
  // Try `c` within the budget: intersect, or leave it for later.
  auto attempt = [&](const Criterion& c, std::vector<const Criterion*>& later) -> Result<void> {
    if (c.broad) {
      later.push_back(&c);
      return {};
    }
    if (!candidates && narrow == 1) {
      intersect(c, HEMERA_TRY(whole(c)));
      return {};
    }
    std::size_t budget = candidates ? std::max<std::size_t>(256, candidates->size() * 8)
                                    : std::max<std::size_t>(2000, n_rows / 8);
    auto ids = HEMERA_TRY(fetch(c, static_cast<std::int64_t>(budget + 1)));
    if (ids.size() > budget) {
      later.push_back(&c);
    } else {
      intersect(c, std::move(ids));
    }
    return {};
  };
  std::vector<const Criterion*> deferred;
  for (const auto& c : criteria) {
    if (!candidates && c.broad && narrow == 0 && deferred.empty()) {
      intersect(c, HEMERA_TRY(whole(c)));  // the only criterion
    } else if (!candidates || !candidates->empty()) {
      HEMERA_TRY(attempt(c, deferred));
    }
  }
  if (!candidates && !deferred.empty()) {
    // Nothing selective: start from the first set, whole.
    intersect(*deferred.front(), HEMERA_TRY(whole(*deferred.front())));
    std::vector<const Criterion*> rest(deferred.begin() + 1, deferred.end());
    deferred.clear();
    for (const auto* c : rest) {
      if (!candidates->empty()) {
        HEMERA_TRY(attempt(*c, deferred));
      }
    }
  }
  for (const auto* c : deferred) {
    if (candidates->empty()) {
      break;
    }
    if (c->broad ? cached(*c) || candidates->size() > n_rows / 16 : candidates->size() > n_rows / 8) {
      intersect(*c, HEMERA_TRY(whole(*c)));
    } else {
      checks.push_back(c);
    }
  }

  SearchResult out;
  if (candidates && candidates->empty()) {
    return out;
  }
  // The checks, once: the candidates become the matches.
  if (candidates && !checks.empty()) {
    std::string where = "1";
    std::vector<db::Value> params{id_array(*candidates)};
    for (const auto* c : checks) {
      where += " AND " + c->check;
      params.insert(params.end(), c->check_params.begin(), c->check_params.end());
    }
    candidates = HEMERA_TRY(d.query_ids(
      fmt::format("SELECT c.rid FROM json_each(?) j CROSS JOIN catalog c ON c.rid = j.value WHERE {}", where),
      params));
    normalize(*candidates);
    if (candidates->empty()) {
      return out;
    }
  }
  if (q.count) {
    if (candidates) {
      out.total = candidates->size();
    } else {
      auto count = HEMERA_TRY(d.query_ids("SELECT COUNT(*) FROM catalog"));
      out.total = static_cast<std::size_t>(count.at(0));
    }
  }

  // The page. Many candidates: walk the sort order (an index) and keep the
  // candidates (the unary + keeps SQLite from looking them up one by one);
  // few: fetch them and sort. bm25 wants the FTS5 cursor: walk the text
  // matches and keep the candidates.
  // The walk reads about (offset + limit) * rows / candidates index entries,
  // the sort looks every candidate up: walk when the first is the smaller.
  const std::size_t want = q.offset + q.limit;
  // A time range sorted by date puts its candidates together in the walk's
  // order (often near its end): sort them instead.
  bool dense = candidates && (candidates->size() * 4 > n_rows ||
                              want * n_rows <= candidates->size() * candidates->size()) &&
               !(q.sort == "date" && (q.from || q.to));
  std::string from = "catalog c";
  std::string where = "1";
  std::vector<db::Value> params;
  if (text && q.sort == "relevance") {
    out.hits = HEMERA_TRY(relevance_page(d, *cache, fts, *candidates, n_rows, q));
    if (!q.count) {
      out.total = q.offset + out.hits.size();
    }
    return out;
  }
  // Orders an index walks (a descending date or modification order mixes
  // directions with its IS NULL key: SQLite sorts those).
  const bool walkable = q.sort == "title" || q.sort == "uuid" || q.sort == "relevance" ||
                        ((q.sort == "date" || q.sort == "modified") && !q.descending);
  if (candidates && dense && walkable) {
    if (auto walked = HEMERA_TRY(walk_page(d, order, *candidates, n_rows, q.offset, q.limit))) {
      out.hits = std::move(*walked);
      if (!q.count) {
        out.total = q.offset + out.hits.size();
      }
      return out;
    }
    dense = false;  // the candidates gather late in the order: sort them
  }
  if (candidates && dense) {
    where += " AND +c.rid IN (SELECT value FROM json_each(?))";
    params.emplace_back(id_array(*candidates));
  } else if (candidates) {
    from = "json_each(?) j CROSS JOIN catalog c ON c.rid = j.value";
    params.emplace_back(id_array(*candidates));
  }
  params.emplace_back(static_cast<std::int64_t>(q.limit));
  params.emplace_back(static_cast<std::int64_t>(q.offset));
  auto rows = HEMERA_TRY(d.query(
    fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} LIMIT ? OFFSET ?", k_hit_columns, from, where, order),
    params));
  for (auto& r : rows) {
    out.hits.push_back(hit_of(std::move(r), 0));
  }
  if (!q.count) {
    out.total = q.offset + out.hits.size();
  }
  return out;
}

}  // namespace hemera::catalog
