// SPDX-License-Identifier: Apache-2.0
// Boolean selections over the catalogue index (see select.hpp). The SQL is
// built from fixed fragments; every value is a bound parameter.
#include <hemera/catalog/select.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <sqlite3.h>

#include <hemera/metadata/publishability.hpp>

namespace hemera::catalog {

namespace {

using metadata::fold;

std::int64_t micro(double deg)
{
  return static_cast<std::int64_t>(std::llround(deg * 1e6));
}

bool word_byte(char ch)
{
  auto u = static_cast<unsigned char>(ch);
  return u >= 0x80 || std::isalnum(u) != 0;
}

// The FTS5 columns of a text field ("" for all of them).
const char* fts_columns(Field f)
{
  switch (f) {
  case Field::title: return "title";
  case Field::abstract: return "abstract";
  case Field::keywords: return "keywords";
  default: return "";
  }
}

class Builder {
 public:
  explicit Builder(std::vector<db::Value>& params) : m_params(params) {}

  Result<std::string> build(const Condition& c, int depth = 0)
  {
    if (depth > 64) {
      return fail(Errc::usage, "the condition is nested too deeply");
    }
    switch (c.kind) {
    case Condition::Kind::all: return std::string("1");
    case Condition::Kind::none: return std::string("0");
    case Condition::Kind::and_:
    case Condition::Kind::or_: {
      if (c.kids.empty()) {
        return std::string(c.kind == Condition::Kind::and_ ? "1" : "0");
      }
      std::string out = "(";
      for (std::size_t i = 0; i < c.kids.size(); ++i) {
        out += i == 0 ? "" : (c.kind == Condition::Kind::and_ ? " AND " : " OR ");
        out += HEMERA_TRY(build(c.kids[i], depth + 1));
      }
      return out + ")";
    }
    case Condition::Kind::not_: {
      if (c.kids.size() != 1) {
        return fail(Errc::usage, "Not needs one operand");
      }
      return "NOT " + HEMERA_TRY(build(c.kids.front(), depth + 1));
    }
    case Condition::Kind::words: return words(c);
    case Condition::Kind::compare: return compare(c);
    case Condition::Kind::bbox: {
      const auto& b = c.box;
      if (!(b[0] <= b[2] && b[1] <= b[3])) {
        return fail(Errc::usage, "the box is inverted");
      }
      add(micro(b[2]));
      add(micro(b[0]));
      add(micro(b[3]));
      add(micro(b[1]));
      return std::string("c.rid IN (SELECT g.rid FROM catalog_where g WHERE g.west <= ? AND g.east >= ? "
                         "AND g.south <= ? AND g.north >= ?)");
    }
    }
    return fail(Errc::internal, "unknown condition");
  }

 private:
  void add(db::Value v) { m_params.push_back(std::move(v)); }

  Result<std::string> words(const Condition& c)
  {
    if (c.words.empty()) {
      return std::string("1");
    }
    return "c.rid IN (SELECT rowid FROM catalog_text WHERE " + HEMERA_TRY(text_match(c)) + ")";
  }

 public:
  // The WHERE clause on catalog_text of a words condition (with its parameters).
  Result<std::string> text_match(const Condition& c)
  {
    std::string fts;
    for (const auto& w : c.words) {
      if (w.empty() || !std::all_of(w.begin(), w.end(), word_byte)) {
        return fail(Errc::internal, "a text word holds a separator");
      }
      fts += fmt::format("{}\"{}\"*", fts.empty() ? "" : " AND ", w);
    }
    std::string cols = fts_columns(c.field);
    if (!cols.empty()) {
      fts = "{" + cols + "} : (" + fts + ")";
    } else if (c.field != Field::any) {
      return fail(Errc::usage, "words are matched in titles, abstracts, keywords or any text");
    }
    add(fts);
    std::string sql = "catalog_text MATCH ?";
    if (c.match_case) {
      std::vector<const char*> columns;
      if (cols.empty()) {
        columns = {"title", "abstract", "keywords", "parameters"};
      } else {
        columns = {fts_columns(c.field)};
      }
      for (const auto& w : c.words) {
        std::string any;
        for (const char* col : columns) {
          any += fmt::format("{}{} GLOB ?", any.empty() ? "" : " OR ", col);
          add("*" + w + "*");
        }
        sql += " AND (" + any + ")";
      }
    }
    return sql;
  }

 private:

  Result<std::string> compare(const Condition& c)
  {
    static const char* const k_ops[] = {"=", "<>", "<", ">", "<=", ">="};
    if (std::find(std::begin(k_ops), std::end(k_ops), c.op) == std::end(k_ops)) {
      return fail(Errc::usage, fmt::format("unknown comparison '{}'", c.op));
    }
    switch (c.field) {
    case Field::identifier: {
      std::string v = c.value;
      std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
      add(v);
      return fmt::format("c.uuid {} ?", c.op);
    }
    case Field::title:
      add(c.match_case ? c.value : fold(c.value));
      return fmt::format("{} {} ?", c.match_case ? "c.title" : "c.title_sort", c.op);
    case Field::keywords:
    case Field::contact: {
      if (c.op != "=" && c.op != "<>") {
        return fail(Errc::usage, "keywords and contacts are compared with = or <> only");
      }
      add(c.field == Field::keywords ? "keyword" : "contact");
      add(fold(c.value));
      return fmt::format("{}EXISTS (SELECT 1 FROM catalog_term x WHERE x.kind = ? AND x.value = ? AND x.rid = c.rid)",
                         c.op == "=" ? "" : "NOT ");
    }
    case Field::modified:
    case Field::begin:
    case Field::end: {
      // ISO 8601 text in UTC compares in time order over the literal's length.
      const char* col = c.field == Field::modified ? "c.last_modification"
                        : c.field == Field::begin  ? "c.begin_time"
                                                   : "COALESCE(c.end_time, c.begin_time)";
      add(static_cast<std::int64_t>(c.value.size()));
      add(c.value);
      return fmt::format("COALESCE(substr({}, 1, ?) {} ?, 0)", col, c.op);
    }
    default: break;
    }
    return fail(Errc::usage, "this field cannot be compared");
  }

  std::vector<db::Value>& m_params;
};

Result<std::string> scope_sql(const Scope& s, std::vector<db::Value>& params)
{
  std::string out = "1";
  auto in_list = [&](const char* column, const std::vector<std::string>& values) {
    std::string marks;
    for (const auto& v : values) {
      marks += marks.empty() ? "?" : ", ?";
      params.emplace_back(v);
    }
    out += fmt::format(" AND {} IN ({})", column, marks);
  };
  if (!s.databases.empty()) {
    in_list("c.base", s.databases);
  }
  if (!s.statuses.empty()) {
    in_list("c.status_folded", s.statuses);
  }
  if (!s.collections.empty()) {
    std::string any;
    for (auto col : s.collections) {
      while (!col.empty() && col.back() == '/') {
        col.pop_back();
      }
      col = fold(col);
      any += any.empty() ? "" : " OR ";
      any += "c.collection = ? OR (c.collection >= ? AND c.collection < ?)";
      params.emplace_back(col);
      params.emplace_back(col + "/");
      params.emplace_back(col + "0");  // '0' is '/' + 1
    }
    out += " AND (" + any + ")";
  }
  if (!s.keywords.empty()) {
    std::string marks;
    params.emplace_back("keyword");
    for (const auto& k : s.keywords) {
      marks += marks.empty() ? "?" : ", ?";
      params.emplace_back(fold(k));
    }
    out += fmt::format(" AND EXISTS (SELECT 1 FROM catalog_term k WHERE k.kind = ? AND k.value IN ({}) "
                       "AND k.rid = c.rid)",
                       marks);
  }
  if (s.embargoed_at) {
    out += " AND NOT (c.status_folded = 'embargoed' OR (c.status_folded = 'public' AND c.embargo_end IS NOT NULL "
           "AND c.embargo_end > substr(?, 1, length(c.embargo_end))))";
    params.emplace_back(*s.embargoed_at);
  }
  return out;
}

Result<std::string> order_sql(const std::vector<std::pair<Field, bool>>& sort)
{
  std::string out;
  for (const auto& [field, desc] : sort) {
    const char* dir = desc ? "DESC" : "ASC";
    std::string key;
    switch (field) {
    case Field::title: key = fmt::format("c.title_sort {}", dir); break;
    case Field::identifier: key = fmt::format("c.uuid {}", dir); break;
    case Field::modified: key = fmt::format("c.last_modification IS NULL, c.last_modification {}", dir); break;
    case Field::begin: key = fmt::format("c.begin_time IS NULL, c.begin_time {}", dir); break;
    case Field::end: key = fmt::format("c.end_time IS NULL, c.end_time {}", dir); break;
    default: return fail(Errc::usage, "records are sorted by title, identifier, modification or time only");
    }
    out += key + ", ";
  }
  return out + "c.rid";
}

}  // namespace

std::vector<std::string> like_words(const std::string& pattern, char wild, char single, char escape)
{
  std::vector<std::string> out;
  std::string word;
  bool inside = false;  // the current run started after a single-character wildcard
  bool after_single = false;
  auto flush = [&] {
    if (!word.empty() && !inside) {
      out.push_back(word);
    }
    word.clear();
    inside = false;
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char ch = pattern[i];
    bool literal = false;
    if (ch == escape && i + 1 < pattern.size()) {
      ch = pattern[++i];
      literal = true;
    }
    if (!literal && ch == wild) {
      flush();
      after_single = false;
      continue;
    }
    if (!literal && ch == single) {
      if (!word.empty()) {
        // A word cut by '_' is still a prefix; what follows starts inside the word.
        flush();
      }
      after_single = true;
      continue;
    }
    if (word_byte(ch)) {
      if (word.empty()) {
        inside = after_single;
      }
      word.push_back(ch);
    } else {
      flush();
    }
    after_single = false;
  }
  flush();
  return out;
}

Result<db::Database> open_index(const std::filesystem::path& root)
{
  auto path = root / ".hemera" / "hemera.db";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return fail(Errc::no_input, "no catalogue index (not an initialised archive)", path.string());
  }
  auto d = HEMERA_TRY(db::Database::open(path, false));
  HEMERA_TRY(d.exec_script("PRAGMA query_only = ON;"));
  auto cols = HEMERA_TRY(d.query("SELECT COUNT(*) FROM pragma_table_info('catalog') WHERE name IN ('rid', 'uuid', "
                                 "'path', 'title_sort', 'status_folded', 'embargo_end')"));
  if (cols.empty() || cols[0].empty() || cols[0][0].integer != 6) {
    return fail(Errc::config, "the catalogue index is missing or older than this toolkit; run hemera-search --reindex",
                path.string());
  }
  return d;
}

namespace {

// The records outside a scope, per connection and scope, while nothing is
// committed (PRAGMA data_version counts other connections' commits,
// sqlite3_total_changes this one's) and no embargo ends: a scope that
// leaves out few records lets a text query be counted on the full-text index
// alone.
struct Excluded {
  std::int64_t data_version = -1;
  std::int64_t own_changes = -1;
  std::string rids;  // JSON array
  std::size_t size = 0;
  // With Scope::embargoed_at: the earliest embargo end still to come when the
  // set was made (empty: none); the set holds until that instant.
  std::optional<std::string> next_embargo_end;
};

// Whether an embargo end has passed at `now` (text order at its precision).
bool passed(const std::string& end, const std::string& now)
{
  return end <= now.substr(0, end.size());
}

constexpr std::size_t k_max_excluded = 20000;

Result<const Excluded*> excluded(db::Database& database, const Scope& scope)
{
  thread_local std::map<std::pair<const db::Database*, std::string>, Excluded> t_cache;
  std::vector<db::Value> params;
  std::string where = HEMERA_TRY(scope_sql(scope, params));
  // The key leaves the instant out: the set is remade when an embargo ends.
  std::string key = where;
  for (std::size_t i = 0; i < params.size() - (scope.embargoed_at ? 1 : 0); ++i) {
    const auto& p = params[i];
    key += '\x1f' + (p.kind == db::Value::Kind::text ? p.text : std::to_string(p.integer));
  }
  auto version = HEMERA_TRY(database.query("PRAGMA data_version"));
  std::int64_t v = version.at(0).at(0).integer;
  if (t_cache.size() > 64) {
    t_cache.clear();
  }
  Excluded& e = t_cache[{&database, key}];
  std::int64_t own = sqlite3_total_changes64(database.handle());
  bool stale = e.data_version != v || e.own_changes != own;
  if (!stale && scope.embargoed_at && e.next_embargo_end) {
    stale = passed(*e.next_embargo_end, *scope.embargoed_at);
  }
  if (stale) {
    e.next_embargo_end.reset();
    if (scope.embargoed_at) {
      auto next = HEMERA_TRY(database.query(
        "SELECT MIN(embargo_end) FROM catalog WHERE embargo_end > substr(?, 1, length(embargo_end))",
        {*scope.embargoed_at}));
      if (!next.empty() && next[0][0].kind == db::Value::Kind::text) {
        e.next_embargo_end = next[0][0].text;
      }
    }
    params.emplace_back(static_cast<std::int64_t>(k_max_excluded + 1));
    auto rows = HEMERA_TRY(database.query("SELECT c.rid FROM catalog c WHERE NOT (" + where + ") LIMIT ?", params));
    e.size = rows.size();
    e.rids = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      e.rids += (i == 0 ? "" : ",") + std::to_string(rows[i].at(0).integer);
    }
    e.rids += "]";
    e.data_version = v;
    e.own_changes = own;
  }
  return &e;
}

}  // namespace

Result<SelectResult> select(db::Database& database, const Selection& s)
{
  std::vector<db::Value> params;
  std::string where = HEMERA_TRY(scope_sql(s.scope, params));
  Builder b(params);
  where += " AND " + HEMERA_TRY(b.build(s.where));
  std::string order = HEMERA_TRY(order_sql(s.sort));
  SelectResult out;
  if (s.count) {
    // A text condition alone is counted on the full-text index, less the
    // records out of scope (few, as a rule); otherwise row by row.
    std::optional<std::size_t> total;
    if (s.where.kind == Condition::Kind::words && !s.where.words.empty()) {
      const Excluded* e = HEMERA_TRY(excluded(database, s.scope));
      if (e->size <= k_max_excluded) {
        std::vector<db::Value> text_params;
        Builder tb(text_params);
        std::string match = HEMERA_TRY(tb.text_match(s.where));
        text_params.emplace_back(e->rids);
        auto rows = HEMERA_TRY(database.query(
          "SELECT COUNT(*) FROM catalog_text WHERE " + match + " AND rowid NOT IN (SELECT value FROM json_each(?))",
          text_params));
        total = static_cast<std::size_t>(rows.at(0).at(0).integer);
      }
    }
    if (!total) {
      auto rows = HEMERA_TRY(database.query("SELECT COUNT(*) FROM catalog c WHERE " + where, params));
      total = static_cast<std::size_t>(rows.at(0).at(0).integer);
    }
    out.total = *total;
    if (out.total <= s.offset || s.limit == 0) {
      return out;
    }
  }
  params.emplace_back(static_cast<std::int64_t>(s.limit));
  params.emplace_back(static_cast<std::int64_t>(s.offset));
  auto rows = HEMERA_TRY(database.query(
    fmt::format("SELECT c.uuid, c.path FROM catalog c WHERE {} ORDER BY {} LIMIT ? OFFSET ?", where, order), params));
  for (auto& r : rows) {
    out.records.push_back(Selected{std::move(r[0].text), std::move(r[1].text)});
  }
  if (!s.count) {
    out.total = s.offset + out.records.size();
  }
  return out;
}

}  // namespace hemera::catalog
