// SPDX-License-Identifier: Apache-2.0
// The archive root: layout, initialisation, and opening an existing archive.
#pragma once

#include <filesystem>
#include <string>

#include <hemera/actor.hpp>
#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::archive {

namespace fs = std::filesystem;

// The archive's fixed layout below its root (DESIGN.md "The archive on disk").
struct Layout {
  fs::path root;
  fs::path state_dir;  // where .hemera's content lives; empty: root/.hemera

  [[nodiscard]] fs::path datb() const { return root / "DATB"; }
  [[nodiscard]] fs::path dasb() const { return root / "DASB"; }
  [[nodiscard]] fs::path state() const { return state_dir.empty() ? root / ".hemera" : state_dir; }
  [[nodiscard]] fs::path database() const { return state() / "hemera.db"; }
  [[nodiscard]] fs::path journal() const { return state() / "journal"; }
  [[nodiscard]] fs::path audit_log() const { return state() / "audit.log"; }
  [[nodiscard]] fs::path staging() const { return state() / "staging"; }
  [[nodiscard]] fs::path locks() const { return state() / "locks"; }
  [[nodiscard]] fs::path marker() const { return state() / "ARCHIVE"; }
  // A replicated copy, whose state lives outside it (Archive::open_copy).
  [[nodiscard]] bool is_copy() const { return !state_dir.empty(); }
};

// An open archive: its layout and its database.
class Archive {
 public:
  // Open the initialised archive at `root`; Errc::no_input if it is not one.
  static Result<Archive> open(const fs::path& root);
  // Open the replicated copy of an archive at `root` (see is_copy), read
  // only: its own state (hemera.db with verification times and the alert
  // ledger, locks) lives in `state`, made owner-only if missing.
  static Result<Archive> open_copy(const fs::path& root, const fs::path& state);

  [[nodiscard]] const Layout& layout() const { return m_layout; }
  db::Database& db() { return m_db; }

 private:
  Archive(Layout layout, db::Database database);
  Layout m_layout;
  db::Database m_db;
};

// What hemera-init did.
struct InitResult {
  fs::path root;
  bool created = false;          // false when the archive already existed
  std::string administrator;     // the actor made first administrator
  std::string legacy_namespace;  // the pinned UUID v5 namespace
  int schema_version = 0;
};

// Create the archive layout at `root` (safe to run twice), make `actor` its
// first administrator, and pin a fresh legacy namespace. Refuse a non-empty
// directory that is not an archive (Errc::cant_create).
Result<InitResult> init(const fs::path& root, const Actor& actor);

// Return true if `root` holds an initialised archive.
bool is_archive(const fs::path& root);

// Return true if `root` holds a replicated copy of an archive (what
// hemera-replicate puts at a file, FTP or SFTP target): DATB/ or DASB/ with
// the manifests and records, without the archive's .hemera/ state.
bool is_copy(const fs::path& root);

// Open the archive at `root`, or the replicated copy of one there (its state
// in `copy_state`, default_copy_state(root) when empty); a folder that is
// neither is Errc::no_input, and `copy_state` given for an archive
// Errc::usage.
Result<Archive> open_archive_or_copy(const fs::path& root, const fs::path& copy_state);

// Return the default state folder of the copy at `root` for the user
// running: $XDG_STATE_HOME (or ~/.local/state) /hemera/copies/<hash of the
// absolute path>.
fs::path default_copy_state(const fs::path& root);

// Return the legacy (v5) namespace pinned in the archive's database.
Result<std::string> legacy_namespace(Archive& archive);

// Return the current UTC time as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ".
std::string now_iso8601();

}  // namespace hemera::archive
