// SPDX-License-Identifier: Apache-2.0
#include <hemera/db/db.hpp>

#include <sqlite3.h>

#include <algorithm>

#include <fmt/format.h>

namespace hemera::db {

namespace {

// Schema migrations: never edit a released entry, append a new one.
const char* const k_migrations[] = {
  // 1: foundation: settings, actors, roles.
  R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE actors (
  name       TEXT PRIMARY KEY,
  orcid      TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE roles (
  actor      TEXT NOT NULL REFERENCES actors(name),
  role       TEXT NOT NULL,
  dataset    TEXT NOT NULL DEFAULT '',
  granted_by TEXT NOT NULL,
  granted_at TEXT NOT NULL,
  PRIMARY KEY (actor, role, dataset)
);
)sql",
  // 2: fixity: per-file verification times per site, the alert ledger, run history.
  R"sql(
CREATE TABLE fixity (
  site        TEXT NOT NULL,
  path        TEXT NOT NULL,
  dataset     TEXT NOT NULL,
  version     INTEGER NOT NULL,
  size        INTEGER,
  added_at    INTEGER NOT NULL,
  verified_at INTEGER,
  checked_at  INTEGER,
  status      TEXT,
  detail      TEXT,
  PRIMARY KEY (site, path)
) WITHOUT ROWID;
CREATE INDEX fixity_order ON fixity(site, verified_at);
CREATE TABLE alert_problems (
  source     TEXT NOT NULL,
  key        TEXT NOT NULL,
  text       TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  last_sent  INTEGER,
  acked_by   TEXT,
  acked_at   INTEGER,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE TABLE verify_runs (
  id          INTEGER PRIMARY KEY,
  site        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  checked     INTEGER NOT NULL,
  bytes       INTEGER NOT NULL,
  problems    INTEGER NOT NULL,
  complete    INTEGER NOT NULL,
  exit_code   INTEGER NOT NULL
);
)sql",
  // 3: archive: datasets, form hash -> UUID, journal index.
  R"sql(
CREATE TABLE datasets (
  uuid            TEXT PRIMARY KEY,
  base            TEXT NOT NULL,
  collection      TEXT NOT NULL,
  path            TEXT NOT NULL UNIQUE,
  latest_version  INTEGER NOT NULL,
  record_revision INTEGER NOT NULL,
  form_sha256     TEXT,
  created_by      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE TABLE forms (
  form_sha256 TEXT PRIMARY KEY,
  uuid        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE TABLE journal (
  seq             INTEGER PRIMARY KEY,
  offset          INTEGER NOT NULL,
  time            TEXT NOT NULL,
  actor           TEXT NOT NULL,
  kind            TEXT NOT NULL,
  dataset         TEXT NOT NULL,
  version         INTEGER NOT NULL,
  record_revision INTEGER NOT NULL,
  commit_token    TEXT NOT NULL
);
CREATE INDEX journal_dataset ON journal(dataset, seq);
)sql",
  // 4: replication state per target (hemera-replicate).
  R"sql(
CREATE TABLE replication_acks (
  target TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  time   TEXT NOT NULL,
  PRIMARY KEY (target, seq)
);
CREATE TABLE replication_files (
  target TEXT NOT NULL,
  key    TEXT NOT NULL,
  size   INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  time   TEXT NOT NULL,
  PRIMARY KEY (target, key)
);
CREATE TABLE replication_runs (
  target  TEXT NOT NULL,
  time    TEXT NOT NULL,
  ok      INTEGER NOT NULL,
  message TEXT NOT NULL
);
)sql",
  // 5: the catalogue index (lib/hemera/catalog), derived from the records in
  // the tree. Tables an earlier build created outside this list are dropped:
  // the next hemera-search refreshes the index from the datasets table.
  // catalog: one row per record (projects: "|p1|p2|", the folded project and
// keyword terms); rid keys every other table's entries and the FTS5 rowid.
  // catalog_time, catalog_extent: exact extents (text times; micro-degrees);
  // catalog_when (minutes since 1970, rounded outwards) and catalog_where
  // (micro-degrees, a dateline-crossing box split in two): R*Trees over them.
  R"sql(
DROP TABLE IF EXISTS catalog_text;
DROP TABLE IF EXISTS catalog_term;
DROP TABLE IF EXISTS catalog_extent;
DROP TABLE IF EXISTS catalog_time;
DROP TABLE IF EXISTS catalog;
DELETE FROM meta WHERE key = 'catalog.schema';
CREATE TABLE catalog (
  rid               INTEGER PRIMARY KEY,
  uuid              TEXT NOT NULL UNIQUE,
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
  projects          TEXT NOT NULL,
  run               INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX catalog_collection ON catalog(collection);
CREATE INDEX catalog_title ON catalog(title_sort, uuid);
CREATE INDEX catalog_begin ON catalog(begin_time IS NULL, begin_time, uuid);
CREATE INDEX catalog_modified ON catalog(last_modification IS NULL, last_modification, uuid);
CREATE INDEX catalog_run ON catalog(run);
CREATE INDEX catalog_facets ON catalog(base, publishable, has_doi, status_folded, projects);
CREATE TABLE catalog_time (
  rid        INTEGER NOT NULL,
  begin_time TEXT NOT NULL,
  end_time   TEXT
);
CREATE INDEX catalog_time_rid ON catalog_time(rid);
CREATE INDEX catalog_time_begin ON catalog_time(begin_time, end_time);
CREATE VIRTUAL TABLE catalog_when USING rtree_i32(id, t0, t1, +rid INTEGER);
CREATE TABLE catalog_extent (
  id    INTEGER PRIMARY KEY,
  rid   INTEGER NOT NULL,
  west  INTEGER NOT NULL,
  east  INTEGER NOT NULL,
  south INTEGER NOT NULL,
  north INTEGER NOT NULL
);
CREATE INDEX catalog_extent_rid ON catalog_extent(rid);
CREATE VIRTUAL TABLE catalog_where USING rtree_i32(id, west, east, south, north, +rid INTEGER);
CREATE TABLE catalog_term (
  kind  TEXT NOT NULL,
  value TEXT NOT NULL,
  rid   INTEGER NOT NULL,
  PRIMARY KEY (kind, value, rid)
) WITHOUT ROWID;
CREATE INDEX catalog_term_rid ON catalog_term(rid);
CREATE VIRTUAL TABLE catalog_text USING fts5(
  title, abstract, keywords, parameters,
  tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
);
)sql",
  // 6: DataCite DOIs (hemera-doi): the last state DataCite reported per dataset.
  R"sql(
CREATE TABLE dois (
  uuid       TEXT PRIMARY KEY,
  doi        TEXT NOT NULL,
  state      TEXT NOT NULL,
  url        TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
)sql",
  // 7: legacy recovery (hemera-recover): the injective mapping legacy id -> UUID
  // (v5 of the pinned namespace) with the rules that produced it, and the
  // outcome of the last attempt per dataset (for --only-failed).
  R"sql(
CREATE TABLE legacy_ids (
  database     TEXT NOT NULL,
  legacy_id    TEXT NOT NULL,
  uuid         TEXT NOT NULL UNIQUE,
  namespace    TEXT NOT NULL,
  rules_sha256 TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (database, legacy_id)
);
CREATE TABLE legacy_attempts (
  uuid       TEXT PRIMARY KEY,
  database   TEXT NOT NULL,
  legacy_id  TEXT NOT NULL,
  status     TEXT NOT NULL,
  message    TEXT NOT NULL,
  attempts   INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
  // 8: identity (lib/hemera/auth/session): one-time sign-in codes issued by
  // hemera-csw and sessions opened by hemera-login; only SHA-256 of secrets.
  R"sql(
CREATE TABLE login_codes (
  code_sha256 TEXT PRIMARY KEY,
  orcid       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE TABLE sessions (
  token_sha256 TEXT PRIMARY KEY,
  orcid        TEXT NOT NULL,
  uid          INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_orcid ON sessions(orcid);
)sql",
  // 9: remote verification (hemera-verify --target): when each remote copy was
  // last read back in full (S3 objects are otherwise checked by their stored
  // checksums), so budgeted re-reads go oldest first.
  R"sql(
ALTER TABLE fixity ADD COLUMN reread_at INTEGER;
)sql",
  // 10: the catalogue index holds each record's embargo end, so a partner's
  // scope leaves embargoed records out of counts and pages; every entry is
  // marked stale (revision -1) so the next refresh fills the column in.
  R"sql(
ALTER TABLE catalog ADD COLUMN embargo_end TEXT;
UPDATE catalog SET revision = -1;
)sql",
};

}  // namespace

int latest_schema_version() noexcept
{
  return static_cast<int>(sizeof k_migrations / sizeof k_migrations[0]);
}

Database::Database(Database&& other) noexcept
  : m_db(other.m_db), m_path(std::move(other.m_path)), m_cache(std::move(other.m_cache))
{
  other.m_db = nullptr;
  other.m_cache.clear();
}

Database& Database::operator=(Database&& other) noexcept
{
  if (this != &other) {
    clear_cache();
    sqlite3_close(m_db);
    m_db = other.m_db;
    m_path = std::move(other.m_path);
    m_cache = std::move(other.m_cache);
    other.m_db = nullptr;
    other.m_cache.clear();
  }
  return *this;
}

Database::~Database()
{
  clear_cache();
  sqlite3_close(m_db);
}

Error Database::error(const std::string& what) const
{
  int rc = m_db != nullptr ? sqlite3_extended_errcode(m_db) : SQLITE_CANTOPEN;
  Errc code = Errc::io;
  if ((rc & 0xFF) == SQLITE_BUSY || (rc & 0xFF) == SQLITE_LOCKED) {
    code = Errc::temp_fail;
  } else if ((rc & 0xFF) == SQLITE_READONLY || (rc & 0xFF) == SQLITE_PERM ||
             (rc & 0xFF) == SQLITE_AUTH) {
    code = Errc::no_perm;
  }
  return Error{code,
               fmt::format("{}: {}", what, m_db != nullptr ? sqlite3_errmsg(m_db) : "cannot open"),
               m_path.string()};
}

Result<Database> Database::open(const std::filesystem::path& path, bool create)
{
  Database d;
  d.m_path = path;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &d.m_db, flags, nullptr) != SQLITE_OK) {
    Error e = d.error("cannot open database");
    if (!create) {
      e.code = e.code == Errc::no_perm ? Errc::no_perm : Errc::no_input;
    }
    return tl::unexpected(e);
  }
  sqlite3_busy_timeout(d.m_db, 10000);
  HEMERA_TRY(d.exec_script("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"));
  return d;
}

Result<sqlite3_stmt*> Database::prepare(const std::string& sql, const std::vector<Value>& params)
{
  constexpr std::size_t k_cache_size = 128;
  sqlite3_stmt* st = nullptr;
  if (auto it = m_cache.find(sql); it != m_cache.end()) {
    st = it->second;
  } else {
    if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      sqlite3_finalize(st);
      return tl::unexpected(error("cannot prepare statement"));
    }
    if (st == nullptr) {
      return fail(Errc::internal, "empty statement", m_path.string());
    }
    if (m_cache.size() >= k_cache_size) {
      clear_cache();
    }
    m_cache.emplace(sql, st);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    switch (v.kind) {
    case Value::Kind::null: rc = sqlite3_bind_null(st, idx); break;
    case Value::Kind::integer: rc = sqlite3_bind_int64(st, idx, v.integer); break;
    case Value::Kind::text:
      rc = sqlite3_bind_text(st, idx, v.text.data(), static_cast<int>(v.text.size()), SQLITE_TRANSIENT);
      break;
    }
    if (rc != SQLITE_OK) {
      return tl::unexpected(error("cannot bind parameter"));
    }
  }
  return st;
}

void Database::clear_cache() noexcept
{
  for (auto& [sql, st] : m_cache) {
    sqlite3_finalize(st);
  }
  m_cache.clear();
}

Result<std::vector<Row>> Database::query(const std::string& sql, const std::vector<Value>& params)
{
  sqlite3_stmt* st = HEMERA_TRY(prepare(sql, params));
  std::vector<Row> rows;
  while (true) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      Error e = error("query failed");
      sqlite3_reset(st);
      return tl::unexpected(e);
    }
    Row row;
    int n = sqlite3_column_count(st);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
      case SQLITE_NULL: row.emplace_back(); break;
      case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st, c))); break;
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
        row.emplace_back(std::string(text != nullptr ? text : "",
                                     static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
      }
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_reset(st);
  return rows;
}

Result<std::vector<std::int64_t>> Database::query_ids(const std::string& sql, const std::vector<Value>& params)
{
  sqlite3_stmt* st = HEMERA_TRY(prepare(sql, params));
  std::vector<std::int64_t> ids;
  while (true) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      Error e = error("query failed");
      sqlite3_reset(st);
      return tl::unexpected(e);
    }
    ids.push_back(static_cast<std::int64_t>(sqlite3_column_int64(st, 0)));
  }
  sqlite3_reset(st);
  return ids;
}

Result<void> Database::exec(const std::string& sql, const std::vector<Value>& params)
{
  HEMERA_TRY(query(sql, params));
  return {};
}

Result<void> Database::exec_script(const std::string& sql)
{
  char* msg = nullptr;
  if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e = error("cannot run statements");
    sqlite3_free(msg);
    return tl::unexpected(e);
  }
  return {};
}

Result<int> Database::schema_version()
{
  auto rows = HEMERA_TRY(query("PRAGMA user_version"));
  return static_cast<int>(rows.at(0).at(0).integer);
}

Result<void> Database::migrate()
{
  return migrate_to(latest_schema_version());
}

Result<void> Database::migrate_to(int version)
{
  int current = HEMERA_TRY(schema_version());
  int latest = latest_schema_version();
  if (current > latest) {
    return fail(Errc::config,
                fmt::format("database schema {} is newer than this toolkit knows ({}); upgrade hemera-tools",
                            current, latest),
                m_path.string());
  }
  for (int v = current; v < std::min(version, latest); ++v) {
    HEMERA_TRY(exec_script("BEGIN IMMEDIATE;"));
    auto r = exec_script(k_migrations[v]);
    if (r) {
      r = exec_script(fmt::format("PRAGMA user_version = {};", v + 1));
    }
    if (!r) {
      (void)exec_script("ROLLBACK;");
      return r;
    }
    HEMERA_TRY(exec_script("COMMIT;"));
  }
  return {};
}

}  // namespace hemera::db
