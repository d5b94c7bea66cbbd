// SPDX-License-Identifier: Apache-2.0
// The catalogue index and search.
#include <hemera/catalog/catalog.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>

namespace hemera::catalog {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;
using metadata::fold;

// The catalogue's tables, created on first use (kept out of the numbered
// migrations so that the catalogue can evolve on its own: catalog.schema in
// the meta table says which version is in place).
constexpr int k_schema_version = 1;
constexpr const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS catalog (
  uuid              TEXT PRIMARY KEY,
  base              TEXT NOT NULL,
  collection        TEXT NOT NULL,
  path              TEXT NOT NULL,
  revision          INTEGER NOT NULL,
  title             TEXT NOT NULL,
  title_sort        TEXT NOT NULL,
  status            TEXT NOT NULL,
  status_folded     TEXT NOT NULL,
  has_doi           INTEGER NOT NULL,
  publishable       INTEGER NOT NULL,
  begin_time        TEXT,
  end_time          TEXT,
  last_modification TEXT,
  run               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS catalog_collection ON catalog(collection);
CREATE INDEX IF NOT EXISTS catalog_title ON catalog(title_sort);
CREATE TABLE IF NOT EXISTS catalog_time (
  uuid       TEXT NOT NULL,
  begin_time TEXT,
  end_time   TEXT
);
CREATE INDEX IF NOT EXISTS catalog_time_uuid ON catalog_time(uuid);
CREATE TABLE IF NOT EXISTS catalog_extent (
  uuid  TEXT NOT NULL,
  west  INTEGER NOT NULL,
  east  INTEGER NOT NULL,
  south INTEGER NOT NULL,
  north INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_extent_uuid ON catalog_extent(uuid);
CREATE TABLE IF NOT EXISTS catalog_term (
  kind  TEXT NOT NULL,
  value TEXT NOT NULL,
  uuid  TEXT NOT NULL,
  PRIMARY KEY (kind, value, uuid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS catalog_term_uuid ON catalog_term(uuid);
CREATE VIRTUAL TABLE IF NOT EXISTS catalog_text USING fts5(
  title, abstract, keywords, parameters,
  tokenize = 'unicode61 remove_diacritics 2'
);
)sql";

Result<void> ensure_schema(db::Database& database)
{
  auto rows = HEMERA_TRY(database.query("SELECT value FROM meta WHERE key = 'catalog.schema'"));
  if (!rows.empty() && rows[0][0].text == std::to_string(k_schema_version)) {
    return {};
  }
  HEMERA_TRY(database.exec_script("BEGIN IMMEDIATE;"));
  auto r = database.exec_script(k_schema);
  if (r) {
    r = database.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('catalog.schema', ?1)",
                      {std::to_string(k_schema_version)});
  }
  if (!r) {
    (void)database.exec_script("ROLLBACK;");
    return r;
  }
  return database.exec_script("COMMIT;");
}

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

Result<void> delete_entry(db::Database& d, const std::string& uuid)
{
  auto rows = HEMERA_TRY(d.query("SELECT rowid FROM catalog WHERE uuid = ?1", {uuid}));
  if (!rows.empty()) {
    HEMERA_TRY(d.exec("DELETE FROM catalog_text WHERE rowid = ?1", {rows[0][0].integer}));
  }
  HEMERA_TRY(d.exec("DELETE FROM catalog WHERE uuid = ?1", {uuid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_time WHERE uuid = ?1", {uuid}));
  HEMERA_TRY(d.exec("DELETE FROM catalog_extent WHERE uuid = ?1", {uuid}));
  return d.exec("DELETE FROM catalog_term WHERE uuid = ?1", {uuid});
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

  auto ins = HEMERA_TRY(d.query(
    "INSERT INTO catalog(uuid, base, collection, path, revision, title, title_sort, status, "
    "status_folded, has_doi, publishable, begin_time, end_time, last_modification, run) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING rowid",
    {uuid, base, collection, path, revision, title, fold(title), status, fold(status),
     record_has_doi(r) ? 1 : 0, report.publishable ? 1 : 0,
     begin_all.empty() ? db::Value() : db::Value(begin_all),
     open_end || end_all.empty() ? db::Value() : db::Value(end_all),
     r.last_modification() ? db::Value(*r.last_modification()) : db::Value(), run}));
  std::int64_t rowid = ins.at(0).at(0).integer;

  for (const auto& [b, e] : times) {
    HEMERA_TRY(d.exec("INSERT INTO catalog_time(uuid, begin_time, end_time) VALUES (?1, ?2, ?3)",
                      {uuid, b, e ? db::Value(*e) : db::Value()}));
  }
  for (const auto& ext : r.spatial_extents().value_or(std::vector<metadata::SpatialExtent>{})) {
    if (!ext.area) {
      continue;
    }
    for (const auto& bx : boxes_of(*ext.area)) {
      HEMERA_TRY(d.exec(
        "INSERT INTO catalog_extent(uuid, west, east, south, north) VALUES (?1, ?2, ?3, ?4, ?5)",
        {uuid, micro(bx.west), micro(bx.east), micro(bx.south), micro(bx.north)}));
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
  // Many terms in few statements.
  std::vector<std::pair<std::string, std::string>> list(terms.begin(), terms.end());
  for (std::size_t i = 0; i < list.size(); i += 100) {
    std::size_t n = std::min<std::size_t>(100, list.size() - i);
    std::string sql = "INSERT OR IGNORE INTO catalog_term(kind, value, uuid) VALUES ";
    std::vector<db::Value> params;
    for (std::size_t k = 0; k < n; ++k) {
      sql += fmt::format("{}(?{}, ?{}, ?1)", k == 0 ? "" : ", ", 2 * k + 2, 2 * k + 3);
    }
    params.emplace_back(uuid);
    for (std::size_t k = 0; k < n; ++k) {
      params.emplace_back(list[i + k].first);
      params.emplace_back(list[i + k].second);
    }
    HEMERA_TRY(d.exec(sql, params));
  }

  std::string title_text, abstract_text;
  add_text(title_text, r.resource_title());
  add_text(abstract_text, r.resource_abstract());
  return d.exec("INSERT INTO catalog_text(rowid, title, abstract, keywords, parameters) "
                "VALUES (?1, ?2, ?3, ?4, ?5)",
                {rowid, title_text, abstract_text, kw_text, param_text});
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

// Add "any of `values`" on terms of `kind` to the WHERE clause.
void term_clause(std::string& where, std::vector<db::Value>& params, const char* kind,
                 const std::vector<std::string>& values)
{
  if (values.empty()) {
    return;
  }
  std::string any;
  for (const auto& v : values) {
    std::string f = fold(v);
    if (!any.empty()) {
      any += " OR ";
    }
    if (!f.empty() && f.back() == '*') {
      f.pop_back();
      params.emplace_back(f);
      params.emplace_back(f + "\xff");
      any += fmt::format("(x.value >= ?{} AND x.value < ?{})", params.size() - 1, params.size());
    } else {
      params.emplace_back(f);
      any += fmt::format("x.value = ?{}", params.size());
    }
  }
  params.emplace_back(kind);
  where += fmt::format(" AND EXISTS (SELECT 1 FROM catalog_term x WHERE x.kind = ?{} AND x.uuid = c.uuid AND ({}))",
                       params.size(), any);
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
  HEMERA_TRY(ensure_schema(d));
  return in_transaction(d, [&]() -> Result<void> {
    return write_entry(d, path, revision, record, defaults, 0);
  });
}

Result<ReindexResult> reindex(archive::Archive& archive, const config::Config& config)
{
  auto started = std::chrono::steady_clock::now();
  auto& d = archive.db();
  HEMERA_TRY(ensure_schema(d));
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
  HEMERA_TRY(ensure_schema(d));
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
  HEMERA_TRY(ensure_schema(d));
  std::string from = "catalog c";
  std::string where = "1";
  std::vector<db::Value> params;
  bool text = false;
  std::string fts = fts_query(q.text);
  if (!fts.empty()) {
    params.emplace_back(fts);
    from = fmt::format("catalog_text t JOIN catalog c ON c.rowid = t.rowid");
    where += fmt::format(" AND catalog_text MATCH ?{}", params.size());
    text = true;
  }
  if (q.from || q.to) {
    std::string cond;
    if (q.from) {
      auto t = metadata::parse_iso8601(*q.from);
      if (!t) {
        return fail(Errc::usage, fmt::format("--from: '{}' is not an ISO 8601 date", *q.from), {}, "--from");
      }
      params.emplace_back(metadata::to_utc_string(*t, false));
      cond += fmt::format(" AND (y.end_time IS NULL OR y.end_time >= ?{})", params.size());
    }
    if (q.to) {
      auto t = metadata::parse_iso8601(*q.to);
      if (!t) {
        return fail(Errc::usage, fmt::format("--to: '{}' is not an ISO 8601 date", *q.to), {}, "--to");
      }
      params.emplace_back(metadata::to_utc_string(*t, true));
      cond += fmt::format(" AND y.begin_time <= ?{}", params.size());
    }
    if (q.from && q.to && metadata::to_utc_string(*metadata::parse_iso8601(*q.from), false) >
                            metadata::to_utc_string(*metadata::parse_iso8601(*q.to), true)) {
      return fail(Errc::usage, "--from is after --to", {}, "--from");
    }
    where += fmt::format(" AND EXISTS (SELECT 1 FROM catalog_time y WHERE y.uuid = c.uuid{})", cond);
  }
  if (q.bbox) {
    const auto& b = *q.bbox;
    std::vector<std::pair<double, double>> lons;
    if (b[0] <= b[2]) {
      lons.emplace_back(b[0], b[2]);
    } else {
      lons.emplace_back(b[0], 180);
      lons.emplace_back(-180, b[2]);
    }
    params.emplace_back(micro(b[3]));
    std::size_t pn = params.size();
    params.emplace_back(micro(b[1]));
    std::size_t ps = params.size();
    std::string any;
    for (const auto& [w, e] : lons) {
      params.emplace_back(micro(e));
      params.emplace_back(micro(w));
      any += fmt::format("{}(g.west <= ?{} AND g.east >= ?{})", any.empty() ? "" : " OR ",
                         params.size() - 1, params.size());
    }
    where += fmt::format(
      " AND EXISTS (SELECT 1 FROM catalog_extent g WHERE g.uuid = c.uuid AND g.south <= ?{} AND "
      "g.north >= ?{} AND ({}))",
      pn, ps, any);
  }
  term_clause(where, params, "platform", q.platforms);
  term_clause(where, params, "instrument", q.instruments);
  term_clause(where, params, "parameter", q.parameters);
  term_clause(where, params, "keyword", q.keywords);
  if (!q.contact.empty()) {
    std::string c = q.contact;
    if (auto n = metadata::normalize_orcid(c)) {
      c = *n;
    }
    term_clause(where, params, "contact", {c});
  }
  if (!q.collection.empty()) {
    std::string col = q.collection;
    while (!col.empty() && col.back() == '/') {
      col.pop_back();
    }
    params.emplace_back(fold(col));
    params.emplace_back(fold(col) + "/");
    params.emplace_back(fold(col) + "0");  // '/' + 1
    where += fmt::format(" AND (c.collection = ?{} OR (c.collection >= ?{} AND c.collection < ?{}))",
                         params.size() - 2, params.size() - 1, params.size());
  }
  if (!q.database.empty()) {
    std::string db = q.database;
    std::transform(db.begin(), db.end(), db.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (db != "DATB" && db != "DASB") {
      return fail(Errc::usage, fmt::format("--database is DATB or DASB, not '{}'", q.database), {}, "--database");
    }
    params.emplace_back(db);
    where += fmt::format(" AND c.base = ?{}", params.size());
  }
  if (!q.status.empty()) {
    params.emplace_back(fold(q.status));
    where += fmt::format(" AND c.status_folded = ?{}", params.size());
  }
  if (q.has_doi) {
    where += " AND c.has_doi = 1";
  }
  if (q.publishable_only) {
    where += " AND c.publishable = 1";
  }
  if (!q.all_projects) {
    params.emplace_back(fold(q.project));
    where += fmt::format(
      " AND EXISTS (SELECT 1 FROM catalog_term p WHERE p.kind IN ('project', 'keyword') AND "
      "p.value = ?{} AND p.uuid = c.uuid)",
      params.size());
  }

  SearchResult out;
  auto count = HEMERA_TRY(d.query(fmt::format("SELECT COUNT(*) FROM {} WHERE {}", from, where), params));
  out.total = static_cast<std::size_t>(count.at(0).at(0).integer);

  std::string dir = q.descending ? "DESC" : "ASC";
  std::string order;
  if (q.sort == "relevance") {
    order = text ? "bm25(catalog_text) " + std::string(q.descending ? "DESC" : "ASC") + ", c.title_sort, c.uuid"
                 : "c.title_sort, c.uuid";
  } else if (q.sort == "title") {
    order = fmt::format("c.title_sort {}, c.uuid", dir);
  } else if (q.sort == "date") {
    order = fmt::format("c.begin_time IS NULL, c.begin_time {}, c.uuid", dir);
  } else if (q.sort == "modified") {
    order = fmt::format("c.last_modification IS NULL, c.last_modification {}, c.uuid", dir);
  } else if (q.sort == "uuid") {
    order = fmt::format("c.uuid {}", dir);
  } else {
    return fail(Errc::usage, fmt::format("--sort is relevance, title, date, modified or uuid, not '{}'", q.sort),
                {}, "--sort");
  }
  params.emplace_back(static_cast<std::int64_t>(q.limit));
  params.emplace_back(static_cast<std::int64_t>(q.offset));
  auto rows = HEMERA_TRY(d.query(
    fmt::format("SELECT c.uuid, c.title, c.base, c.collection, c.path, c.status, c.begin_time, "
                "c.end_time, c.last_modification, c.publishable, c.has_doi, c.revision FROM {} "
                "WHERE {} ORDER BY {} LIMIT ?{} OFFSET ?{}",
                from, where, order, params.size() - 1, params.size()),
    params));
  for (const auto& r : rows) {
    Hit h;
    h.uuid = r[0].text;
    h.title = r[1].text;
    h.base = r[2].text;
    h.collection = r[3].text;
    h.path = r[4].text;
    h.status = r[5].text;
    h.begin = r[6].text;
    h.end = r[7].text;
    h.last_modification = r[8].text;
    h.publishable = r[9].integer != 0;
    h.has_doi = r[10].integer != 0;
    h.revision = static_cast<int>(r[11].integer);
    out.hits.push_back(std::move(h));
  }
  return out;
}

}  // namespace hemera::catalog
