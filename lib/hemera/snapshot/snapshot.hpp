// SPDX-License-Identifier: Apache-2.0
// Local replication (seed §5.1.1, §5.3): daily, weekly and monthly incremental
// snapshots of the archive and its state in a snapshot store on another disk.
//
// The store's layout:
//   <store>/STORE                      "hemera-snapshot-store 1"
//   <store>/.lock                      held by create, prune and restore
//   <store>/.partial/<name>/           a snapshot being written (never listed)
//   <store>/<name>/                    a complete snapshot, e.g. 2026-11-26T093000Z-daily
//       SNAPSHOT.json                  what it holds (written last)
//       manifest-sha256.txt            SHA-256 of every file outside a version's payload
//       archive/…                      the archive tree, .hemera/hemera.db a backup copy
//       config/hemera.yaml             the configuration file in effect, if any
// Files unchanged since the previous snapshot (same size, mtime and mode) are
// hard links to it; a snapshot appears by one rename of .partial/<name>.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/archive/root.hpp>
#include <hemera/error.hpp>

namespace hemera::snapshot {

namespace fs = std::filesystem;

// A snapshot's class: its rank in grandfather-father-son retention.
enum class Class { daily, weekly, monthly };

// Return "daily", "weekly" or "monthly".
const char* class_name(Class c) noexcept;
// Parse a class name.
std::optional<Class> parse_class(std::string_view text);

// A snapshot's identity: its UTC time (whole seconds) and class.
struct Name {
  std::int64_t time = 0;  // Unix time
  Class cls = Class::daily;

  // Return the directory name: "2026-11-26T093000Z-daily".
  [[nodiscard]] std::string text() const;
  bool operator==(const Name& other) const = default;
};

// Parse a snapshot directory name; nullopt when it is not one.
std::optional<Name> parse_name(std::string_view text);

// Return the class of a snapshot taken at `time` beside `existing` ones: the
// first of its UTC month is monthly, else the first of its ISO week weekly,
// else daily.
Class classify(std::int64_t time, const std::vector<Name>& existing);

// How many snapshots of each class to keep.
struct Retention {
  int daily = 7;
  int weekly = 4;
  int monthly = 12;
};

// Return the snapshots to remove: all but the newest `keep` of each class,
// never the newest snapshot of all. Pure.
std::vector<Name> to_remove(const std::vector<Name>& snapshots, const Retention& keep);

// One problem found in a snapshot, or in the archive while snapshotting.
struct Problem {
  std::string file;     // path relative to the snapshot (or the archive)
  std::string rule;     // "snapshot.mismatch", "snapshot.missing", "snapshot.unexpected"…
  std::string message;
};

// What create() is given.
struct CreateOptions {
  fs::path store;                          // the snapshot store
  std::optional<fs::path> config_file;     // the configuration file to include
  std::int64_t now = 0;                    // Unix time of the snapshot; 0: the clock
  std::optional<Class> cls;                // force a class
};

// What create() did.
struct CreateReport {
  Name name;
  fs::path path;                  // the complete snapshot
  std::string base;               // the previous snapshot linked against, or empty
  std::uint64_t journal_seq = 0;  // the last journal event included
  std::size_t files = 0;
  std::size_t files_linked = 0;
  std::size_t files_copied = 0;
  std::uint64_t bytes = 0;        // total size of the files
  std::uint64_t bytes_copied = 0; // new bytes written
  double seconds = 0;
  bool complete = false;          // false when problems stopped it
  std::vector<Problem> problems;  // files that failed their manifests
};

// Take an incremental snapshot of `archive` into the store: cleans partial
// snapshots first, holds the journal lock while the tree, the staged commits,
// the database (SQLite online backup) and the journal are captured, checks
// every copied payload file against its version's manifest, and makes the
// snapshot visible by one rename. Errc::temp_fail when another run holds the
// store. A file failing its manifest leaves no snapshot (report.complete false).
Result<CreateReport> create(archive::Archive& archive, const CreateOptions& options);

// A complete snapshot in a store.
struct Info {
  Name name;
  fs::path path;
  nlohmann::json meta;  // SNAPSHOT.json
};

// Return the complete snapshots of `store`, oldest first. Errc::no_input when
// `store` is not a snapshot store.
Result<std::vector<Info>> list(const fs::path& store);

// Return the snapshot `name` of `store` ("latest" for the newest).
Result<Info> find(const fs::path& store, const std::string& name);

// What prune() did (or would do, in a dry run).
struct PruneReport {
  std::vector<std::string> kept;
  std::vector<std::string> removed;
  std::size_t partials_removed = 0;
};

// Remove the snapshots that `keep` does not retain, and any partial snapshot.
// Each is first renamed out of sight, then deleted.
Result<PruneReport> prune(const fs::path& store, const Retention& keep, bool dry_run);

// What verify() found.
struct VerifyReport {
  std::string name;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<Problem> problems;
};

// Hash every file of snapshot `name` against the version manifests and the
// snapshot's own manifest; report missing, extra and changed files.
Result<VerifyReport> verify(const fs::path& store, const std::string& name, unsigned jobs = 0);

// What restore() did.
struct RestoreReport {
  std::string name;
  fs::path to;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  bool config = false;           // the configuration was restored
  std::vector<Problem> problems; // files that failed their manifests (nothing restored)
};

// Copy snapshot `name` into the new directory `to` (absent or empty), checking
// every byte against the manifests, complete any commit the snapshot caught in
// flight, call `authorize` with the restored archive, then move it into place
// by one rename. The configuration goes to <to>/.hemera/restored-config.yaml.
Result<RestoreReport> restore(const fs::path& store, const std::string& name, const fs::path& to,
                              const std::function<Result<void>(archive::Archive&)>& authorize);

// Return the current Unix time, or $HEMERA_SNAPSHOT_NOW (Unix seconds or
// "YYYY-MM-DDTHH:MM:SSZ") when set: the injectable clock of the tests.
Result<std::int64_t> now();

// Parse "YYYY-MM-DDTHH:MM[:SS]Z" or Unix seconds.
Result<std::int64_t> parse_time(std::string_view text);

// Return the UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string iso8601(std::int64_t time);

}  // namespace hemera::snapshot
