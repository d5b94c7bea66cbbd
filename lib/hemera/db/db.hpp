// SPDX-License-Identifier: Apache-2.0
// hemera.db: a thin SQLite wrapper (prepared statements only) and the schema
// migrations.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <hemera/error.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace hemera::db {

// A bound value: text, integer or null.
struct Value {
  enum class Kind { null, integer, text } kind = Kind::null;
  std::int64_t integer = 0;
  std::string text;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(const char* s) : kind(Kind::text), text(s) {}
  Value(std::string s) : kind(Kind::text), text(std::move(s)) {}
  Value(std::string_view s) : kind(Kind::text), text(s) {}
  Value(std::int64_t i) : kind(Kind::integer), integer(i) {}
  Value(int i) : kind(Kind::integer), integer(i) {}
};

using Row = std::vector<Value>;

// One open database.
class Database {
 public:
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  ~Database();

  // Open (or create, when `create` is set) the database at `path`, in WAL mode.
  static Result<Database> open(const std::filesystem::path& path, bool create);

  // Run a statement with bound parameters; return the rows it yields. The
  // prepared statement is kept (per SQL text) and reused by the next call.
  Result<std::vector<Row>> query(const std::string& sql, const std::vector<Value>& params = {});
  // Run a statement with bound parameters; return its first column as integers
  // (rowid lists), null as 0.
  Result<std::vector<std::int64_t>> query_ids(const std::string& sql, const std::vector<Value>& params = {});
  // Run a statement with bound parameters and no result rows.
  Result<void> exec(const std::string& sql, const std::vector<Value>& params = {});
  // Run a script of several statements with no parameters (migrations only).
  Result<void> exec_script(const std::string& sql);

  // Return PRAGMA user_version.
  Result<int> schema_version();
  // Apply every migration newer than the database's version, in one transaction each.
  Result<void> migrate();
  // Apply the migrations up to `version` only (upgrade tests build old databases).
  Result<void> migrate_to(int version);

  // Return the path of the database file.
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  // Return the SQLite connection, for extensions that need the C API (FTS5
  // ranking functions); statements prepared on it must be finalized by the caller.
  [[nodiscard]] sqlite3* handle() const noexcept { return m_db; }

 private:
  Database() = default;
  Error error(const std::string& what) const;
  // Return the cached statement for `sql`, reset, with `params` bound.
  Result<sqlite3_stmt*> prepare(const std::string& sql, const std::vector<Value>& params);
  // Finalize every cached statement.
  void clear_cache() noexcept;

  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
  std::unordered_map<std::string, sqlite3_stmt*> m_cache;
};

// Return the schema version the code expects (the number of migrations).
int latest_schema_version() noexcept;

}  // namespace hemera::db
