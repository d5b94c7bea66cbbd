// SPDX-License-Identifier: Apache-2.0
// Fixity verification of the local archive: every file against its version's
// manifest, record revisions against the journal, oldest-verified first
// within a time budget, with each file's last good verification kept in
// hemera.db.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/archive/root.hpp>
#include <hemera/checksum.hpp>
#include <hemera/error.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::verify {

// The journaled SHA-256 of each record revision: dataset UUID -> revision
// number (1 for metadata/0001.json) -> digest.
using RecordHashes = std::map<std::string, std::map<int, checksum::Digest>>;

// What the journal says, as run() uses it.
struct JournalFacts {
  std::optional<RecordHashes> record_hashes;  // when there is a journal
  // The journaled size of each payload file, by path relative to the root.
  std::unordered_map<std::string, std::uint64_t> journaled_sizes;
  // The directory of each journaled dataset (UUID -> "DATB/campaign/<uuid>").
  std::map<std::string, std::string> journaled_datasets;
};

// What to verify and how.
struct Options {
  std::vector<std::string> datasets;          // UUIDs; empty: every dataset
  std::string collection;                     // "campaign/instrument", optionally "DATB/…"
  std::optional<std::chrono::seconds> budget; // stop starting new files once spent
  std::optional<std::size_t> max_files;       // stop after starting this many files
  unsigned jobs = 0;                          // hashing threads; 0: one per CPU
  std::chrono::seconds period{30LL * 86400};  // verification.period
  std::optional<RecordHashes> record_hashes;  // from the journal, when there is one
  // The journaled size of each payload file, by path relative to the root.
  std::unordered_map<std::string, std::uint64_t> journaled_sizes;
  // The directory of each journaled dataset (UUID -> "DATB/campaign/<uuid>").
  std::map<std::string, std::string> journaled_datasets;
  // Take the lock of a dataset (held while its tree is read), when set.
  std::function<Result<util::FileLock>(const std::string& uuid)> lock_dataset;
  // When set, run() reads the journal with this, on another thread, instead
  // of taking the three fields above: without a budget the files are hashed
  // meanwhile, and the records compared with the journal once it is read.
  std::function<Result<JournalFacts>()> load_journal;
  // Read the journal's record hashes again, when set: used once if a record
  // revision looks unjournaled (a commit may have completed during the run).
  std::function<Result<RecordHashes>()> refresh_journal;
  std::string site = "local";                 // the name the times are kept under
  unsigned reread_share = 10;                 // --target on S3: percent read back in full per run
  std::int64_t now = 0;                       // Unix time of the run; 0: the clock
  // Called from worker threads after each file with the bytes hashed so far.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

// One problem found (or carried over from an earlier run, for a file not
// re-checked within this run's budget).
struct Problem {
  validate::Finding finding;  // file = path relative to the root, rule, message
  std::string dataset;        // UUID, empty outside a dataset
  int version = 0;            // 0 outside a version
  std::string path;           // path inside the version (or the dataset)
  std::string expected;       // SHA-256 from the manifest or journal, when relevant
  std::string actual;         // SHA-256 found, when relevant
  bool unverified = false;    // the file could not be checked
  bool transient = false;     // ... for a cause that may go away (exit 75)
  std::int64_t seen_at = 0;   // when it was found

  // Return the stable key of the problem ("fixity.mismatch:DATB/…/v1/a.na").
  [[nodiscard]] std::string key() const;
};

// The file verified longest ago (or first seen longest ago, if never verified).
struct Stalest {
  std::string file;
  std::int64_t since = 0;  // Unix time of its last good verification, or first sight
  bool never_verified = false;
};

// The full re-reads of a remote verification (hemera-verify --target): S3
// objects are checked by their stored checksums, and a share of them read
// back in full each run, oldest re-read first.
struct Reread {
  std::size_t objects = 0;       // read back in full in this run
  std::uint64_t bytes = 0;       // bytes read back in this run
  unsigned share = 0;            // percent of the files in scope due each run
  std::size_t covered = 0;       // files in scope read back within the period
  double coverage = 0;           // covered / files in scope (1 when there are none)
  std::int64_t oldest = 0;       // Unix time of the oldest re-read in scope, 0: some never
};

// The outcome of one run.
struct Report {
  std::string site;
  std::int64_t started_at = 0;
  double seconds = 0;
  std::size_t datasets = 0;
  std::size_t versions = 0;
  std::size_t files = 0;            // payload files listed by the manifests in scope
  std::size_t files_checked = 0;    // hashed in this run
  std::size_t files_ok = 0;         // hashed and intact
  std::size_t files_remaining = 0;  // not reached within the budget
  std::uint64_t bytes_checked = 0;
  std::size_t tag_files = 0;        // manifests and record files read
  std::uint64_t tag_bytes = 0;
  bool budget_spent = false;
  std::optional<Stalest> stalest;
  bool stale = false;               // the stalest file is older than the period
  std::int64_t period = 0;          // seconds
  std::vector<Problem> problems;
  std::optional<Reread> reread;     // remote verification only

  // Return the number of problems that are not "stale" warnings.
  [[nodiscard]] std::size_t failures() const;
  // Return 0 when every checked file is intact, 1 on any finding or
  // unverifiable file, 75 when every unverifiable file has a transient cause.
  [[nodiscard]] int exit_code() const;
};

// Verify the archive's files in scope. Problems are findings in the report,
// not errors; an error means the run itself could not proceed (Errc::no_input
// for an unknown dataset, Errc::temp_fail when another run holds the lock).
Result<Report> run(archive::Archive& archive, const Options& options);

// Return the report as the JSON document of hemera-verify (without "schema").
nlohmann::json to_json(const Report& report);

// Return one human line for a problem: "file: error: message [rule]".
std::string to_text(const Problem& problem);

// Return the human summary of a report, with one line per problem when
// `list_problems` is set (the alert mail's body).
std::string summary_text(const Report& report, bool list_problems = true);

// Return the site's name as used for the alert ledger ("verify:local").
std::string alert_source(const std::string& site);

}  // namespace hemera::verify
