// SPDX-License-Identifier: Apache-2.0
// hemera-replicate's engine: replicate the journal events a target has not
// acknowledged, each file under a temporary name, checked on arrival, renamed
// into place; then the manifest and the record; then the acknowledgement in
// hemera.db. Also remote verification (hemera-verify --target) and repair.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/archive/root.hpp>
#include <hemera/config.hpp>
#include <hemera/replicate/target.hpp>
#include <hemera/verify/verify.hpp>

namespace hemera::replicate {

// Return the names of the configured targets, sorted.
std::vector<std::string> target_names(const config::Config& config);

// Read target `name` from the configuration, secrets from their owner-only
// files (Errc::config when missing, unreadable or not owner-only).
Result<TargetConfig> target_config(const config::Config& config, const std::string& name);

// How a replication run behaves.
struct Options {
  bool full = false;        // re-check the whole archive against the remote
  bool dry_run = false;     // say what would be sent; open no connection
  unsigned jobs = 4;        // parallel transfers (connections) per target
  std::uint64_t bwlimit = 0;            // total bytes per second, 0 = none
  std::chrono::seconds deadline{3600};  // give up retrying after this long (exit 75)
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;  // bytes
};

// A file that was not replicated, and why (a finding: exit 1).
struct Problem {
  std::string file;     // key relative to the archive root
  std::string problem;  // "local-mismatch", "arrival-mismatch", "missing-local"
  std::string message;
};

// What one run did for one target.
struct Report {
  std::string target;
  std::string url;  // redacted
  std::uint64_t events_pending = 0;
  std::uint64_t events_replicated = 0;
  std::uint64_t files_uploaded = 0;
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t files_skipped = 0;
  std::uint64_t files_checked = 0;  // --full: remote copies found good
  std::uint64_t temps_removed = 0;
  bool connected = false;
  bool dry_run = false;
  double seconds = 0;
  std::string oldest_pending_time;  // time of the oldest event still pending, or empty
  std::vector<Problem> problems;
  std::optional<Error> error;  // the run stopped on this error

  // Return the report as JSON (the hemera.replicate per-target object).
  [[nodiscard]] nlohmann::json to_json() const;
};

// Replicate `archive` to the target `config` (lock: one run per target).
// Errors that end the run are in Report::error, not in the Result.
Result<Report> replicate(archive::Archive& archive, const TargetConfig& config, const Options& options);

// Check the remote copy of every file the target `name` acknowledged against
// the journal's sizes and SHA-256, by content: FTP, SFTP and paths by
// streaming each remote file into the hasher (never to disk), S3 by its
// stored checksum (a read-back when it has none); oldest-verified first,
// within `options.budget` and `options.max_files`, times kept in the fixity
// table under the site "target:<name>". The report has hemera-verify's shape.
Result<verify::Report> verify_target(archive::Archive& archive, const config::Config& config,
                                     const std::string& name, const verify::Options& options);

// What a repair did.
struct RepairReport {
  std::vector<std::string> repaired;  // keys swapped in at the damaged site
  std::vector<Problem> problems;      // files that could not be repaired

  // Return the report as JSON.
  [[nodiscard]] nlohmann::json to_json() const;
};

// Repair damaged copies of `keys` (all files of `dataset`, or of the whole
// archive when both are empty): from "local" to the target `other`, or from
// the target `from` to the local archive. Each good copy is checked against
// the journal before it is swapped in.
Result<RepairReport> repair(archive::Archive& archive, const config::Config& config,
                            const std::string& from, const std::string& other,
                            const std::string& dataset, const std::vector<std::string>& keys);

}  // namespace hemera::replicate
