// SPDX-License-Identifier: Apache-2.0
// Legacy recovery (DESIGN.md flow 6, seed §3.2.2): a legacy DATB or DASB tree
// is mapped to datasets by rules, each legacy identifier to a UUID v5 of the
// namespace pinned in hemera.db (a mapping table keeps the function
// injective), every file validated under the `legacy` profile, and the
// datasets ingested through archive::ingest with their defects kept in the
// record as quality flags.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/actor.hpp>
#include <hemera/archive/ingest.hpp>
#include <hemera/archive/names.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/error.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::recover {

namespace fs = std::filesystem;

// How a rule groups the files it matches into datasets.
enum class Grouping { folder, file, regex };

// Return "folder", "file" or "regex".
const char* grouping_name(Grouping g) noexcept;

// One rule of a rules file: the files whose path (relative to the source)
// matches `match` form datasets as `grouping` says.
struct Rule {
  std::string match;        // PCRE2 pattern over the relative path; named groups usable below
  Grouping grouping = Grouping::folder;
  std::string id;           // template of the legacy identifier
  std::string collection;   // template of the collection path
  std::string form;         // template of the per-campaign form (relative to the rules file), or ""
};

// A rules file (YAML), its hash and where it is.
struct Rules {
  std::vector<Rule> rules;            // the first matching rule wins
  std::vector<std::string> ignore;    // PCRE2 patterns of paths left out
  std::optional<std::string> ns;      // the namespace the rules were written for
  std::string sha256;                 // SHA-256 of the file's bytes
  fs::path dir;                       // forms are relative to this folder
};

// Read and check a rules file (Errc::data naming the key on a bad one).
Result<Rules> load_rules(const fs::path& path);

// Return `name` made to follow the archive's name policy: accents folded,
// lower-cased, forbidden characters replaced by '_', a leading '.' or '-'
// and reserved names prefixed, too long a stem shortened.
std::string safe_name(std::string_view name);

// What a file is, once validated under the legacy profile.
enum class Verdict { valid, legacy_only, invalid, unreadable, unchecked };

// Return "valid", "legacy-only", "invalid", "unreadable" or "unchecked".
const char* verdict_name(Verdict v) noexcept;

// One file of a planned dataset.
struct PlannedFile {
  std::string source;   // relative to the source folder, as found
  std::string name;     // the stored name
  bool renamed = false;
  archive::FileKind kind = archive::FileKind::unknown;
  std::uint64_t size = 0;
  std::string sha256;   // hex; "" when unreadable
  Verdict verdict = Verdict::unreadable;
};

// What apply would do with a dataset.
enum class State { ready, blocked, in_archive };

// Return "ready", "blocked" or "in-archive".
const char* state_name(State s) noexcept;

// One dataset the recovery would create.
struct PlannedDataset {
  std::string legacy_id;
  std::string uuid;
  archive::Base base = archive::Base::datb;
  std::string collection;
  std::string path;          // "DATB/<collection>/<uuid>"
  std::string form;          // the per-campaign form, relative to the rules file, or ""
  State state = State::ready;
  std::uint64_t bytes = 0;
  std::vector<PlannedFile> files;
  // Every problem: legacy-profile findings, names, duplicate content,
  // unreadable files, routing, the mapping. An error blocks the dataset.
  std::vector<validate::Finding> problems;
};

// A recovery plan: deterministic for a given source, rules and archive.
struct Plan {
  std::string source;
  archive::Base database = archive::Base::datb;
  std::string ns;            // the pinned namespace
  std::string rules_sha256;
  std::vector<PlannedDataset> datasets;   // ordered by legacy identifier
  std::vector<validate::Finding> problems;  // files no rule takes, unreadable folders
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::uint64_t ignored = 0;
};

// What to plan.
struct PlanRequest {
  fs::path source;
  archive::Base database = archive::Base::datb;
  fs::path rules;
  unsigned jobs = 0;   // threads validating and hashing (0: one per CPU)
  bool validate = true;  // false: files are opened, neither validated nor hashed (apply's gate does both)
};

// Walk the source and plan the recovery; the source is only read and the
// archive is not changed. Errc::config when the rules' namespace is not the
// pinned one.
Result<Plan> make_plan(archive::Archive& archive, const PlanRequest& request, Rules& rules);

// Return the UUID v5 of the pinned namespace `ns` for `legacy_id` in `database`.
std::string legacy_uuid(const std::string& ns, archive::Base database, const std::string& legacy_id);

// Return why mapping `legacy_id` to `uuid` would break injectivity (an id
// already on another UUID, a UUID already for another id), or nullopt.
Result<std::optional<std::string>> mapping_conflict(archive::Archive& archive,
                                                    archive::Base database,
                                                    const std::string& legacy_id,
                                                    const std::string& uuid);

// What apply does.
struct ApplyRequest {
  bool only_failed = false;   // retry the datasets whose last attempt failed, only
  Actor actor;
  std::string on_behalf_of;   // the ORCID iD of the person responsible
  std::string download_url;
  std::string catalogue_url;
  unsigned jobs = 0;          // datasets ingested at once (0: two per CPU, at least 8)
  // Called after each dataset (for progress), with its index, from any worker.
  std::function<void(std::size_t)> progress;
};

// The outcome for one dataset.
struct Outcome {
  std::string legacy_id;
  std::string uuid;
  std::string path;
  std::string status;   // "created", "skipped", "failed"
  std::string message;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
};

// The final summary of apply.
struct ApplySummary {
  std::uint64_t created = 0, skipped = 0, failed = 0, bytes = 0;
  std::vector<Outcome> datasets;
};

// Ingest the plan's datasets through archive::ingest (legacy profile,
// findings kept as quality flags), skipping what is in, remembering failures.
Result<ApplySummary> apply(archive::Archive& archive, const Plan& plan, const Rules& rules,
                           const ApplyRequest& request);

// Return the findings with one entry per file and rule: the first one, its
// message saying how many there were ("(and 41 more like it)").
std::vector<validate::Finding> aggregate(const std::vector<validate::Finding>& findings);

}  // namespace hemera::recover
