// SPDX-License-Identifier: Apache-2.0
#include <hemera/db/db.hpp>

#include <sqlite3.h>

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
};

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) { m_rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &m_stmt, nullptr); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(m_stmt); }
  [[nodiscard]] int rc() const { return m_rc; }
  [[nodiscard]] sqlite3_stmt* get() const { return m_stmt; }

 private:
  sqlite3_stmt* m_stmt = nullptr;
  int m_rc = SQLITE_OK;
};

}  // namespace

int latest_schema_version() noexcept
{
  return static_cast<int>(sizeof k_migrations / sizeof k_migrations[0]);
}

Database::Database(Database&& other) noexcept : m_db(other.m_db), m_path(std::move(other.m_path))
{
  other.m_db = nullptr;
}

Database& Database::operator=(Database&& other) noexcept
{
  if (this != &other) {
    sqlite3_close(m_db);
    m_db = other.m_db;
    m_path = std::move(other.m_path);
    other.m_db = nullptr;
  }
  return *this;
}

Database::~Database()
{
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

Result<std::vector<Row>> Database::query(const std::string& sql, const std::vector<Value>& params)
{
  Statement st(m_db, sql);
  if (st.rc() != SQLITE_OK) {
    return tl::unexpected(error("cannot prepare statement"));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const Value& v = params[i];
    int rc = SQLITE_OK;
    switch (v.kind) {
    case Value::Kind::null: rc = sqlite3_bind_null(st.get(), idx); break;
    case Value::Kind::integer: rc = sqlite3_bind_int64(st.get(), idx, v.integer); break;
    case Value::Kind::text:
      rc = sqlite3_bind_text(st.get(), idx, v.text.data(), static_cast<int>(v.text.size()),
                             SQLITE_TRANSIENT);
      break;
    }
    if (rc != SQLITE_OK) {
      return tl::unexpected(error("cannot bind parameter"));
    }
  }
  std::vector<Row> rows;
  while (true) {
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      return tl::unexpected(error("query failed"));
    }
    Row row;
    int n = sqlite3_column_count(st.get());
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st.get(), c)) {
      case SQLITE_NULL: row.emplace_back(); break;
      case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st.get(), c))); break;
      default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st.get(), c));
        row.emplace_back(std::string(text != nullptr ? text : "",
                                     static_cast<std::size_t>(sqlite3_column_bytes(st.get(), c))));
      }
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
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
  int current = HEMERA_TRY(schema_version());
  int latest = latest_schema_version();
  if (current > latest) {
    return fail(Errc::config,
                fmt::format("database schema {} is newer than this toolkit knows ({}); upgrade hemera-tools",
                            current, latest),
                m_path.string());
  }
  for (int v = current; v < latest; ++v) {
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
