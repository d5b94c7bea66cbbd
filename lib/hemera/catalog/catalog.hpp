// SPDX-License-Identifier: Apache-2.0
// The metadata catalogue (seed §6): record revisions committed atomically,
// journaled and audited; the catalogue index in hemera.db (FTS5 for text,
// tables for extents and terms), rebuilt from the records in the tree and
// kept current on every commit; and multi-criteria search.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/actor.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/metadata/record.hpp>

namespace hemera::catalog {

// The project whose records are shown unless all projects are asked for.
inline constexpr const char* k_default_project = "HEMERA";

// Return the publishability defaults for `collection` from the configuration:
// catalogue.defaults, overlaid by the longest catalogue.collections.<prefix>
// matching the collection, plus doi.publisher as "publisher".
metadata::Defaults defaults_for(const config::Config& config, const std::string& collection);

// ---- Editing records.

// Set the value at `path` ("resourceTitle.en", "contacts[0].orcId",
// "keywords[]" appends) in `doc`, creating missing objects and arrays.
Result<void> set_path(nlohmann::json& doc, const std::string& path, nlohmann::json value);

// Remove the value at `path` from `doc`; Errc::data if there is none.
Result<void> remove_path(nlohmann::json& doc, const std::string& path);

// Parse a command-line value: JSON when it parses as JSON, else the text.
nlohmann::json parse_value(const std::string& text);

// What a committed edit did.
struct RevisionResult {
  std::string uuid;
  int revision = 0;          // the new metadata/NNNN.json
  bool changed = false;      // false when the edit changed nothing (no revision)
  metadata::ProfileReport profile;
};

// Change the record of dataset `uuid` with `edit` (given the current
// document), as `actor` (privileged: "record.edit"): id and identifier may not
// change; lastModification is set; the schema must still hold (else
// Errc::data with the findings in `rejected`); then a new immutable revision
// is committed, journaled (record.revision), audited and indexed.
Result<RevisionResult> revise(archive::Archive& archive, const std::string& uuid, const Actor& actor,
                              const std::function<Result<void>(nlohmann::json&)>& edit,
                              const metadata::Defaults& defaults,
                              std::vector<metadata::Check>* rejected = nullptr);

// One revision of a record, as listed by history().
struct RevisionInfo {
  int revision = 0;
  std::string file;          // relative to the root
  std::string sha256;
  std::string time;          // journal time, else lastModification
  std::string actor;
  std::string kind;          // journal event kind
  std::int64_t seq = 0;      // journal sequence number, 0 if not journaled
  std::string journal_sha256;  // the journaled SHA-256, if known
};

// Return every revision of dataset `uuid`, oldest first, with the journal's
// view of each (time, actor, recorded SHA-256).
Result<std::vector<RevisionInfo>> history(archive::Archive& archive, const archive::DatasetInfo& dataset);

// Return revision `revision` of dataset `uuid` (metadata/NNNN.json).
Result<metadata::Record> read_revision(archive::Archive& archive, const archive::DatasetInfo& dataset,
                                       int revision);

// ---- The index.
//
// Tables of hemera.db (migration 5), one entry per dataset, keyed by `rid`:
// catalog (the row a hit is made from), catalog_text (FTS5, rowid = rid),
// catalog_term (kind, folded value), catalog_time/catalog_when (exact times;
// R*Tree in minutes), catalog_extent/catalog_where (micro-degrees; R*Tree).
// Readers outside this module should call search(); the tables may change.

// Index (or re-index) one record at dataset path `path` ("DATB/c/<uuid>"),
// revision `revision`, computing its publishability with `defaults`.
Result<void> index_record(archive::Archive& archive, const std::string& path, int revision,
                          const metadata::Record& record, const metadata::Defaults& defaults);

// What a reindex did.
struct ReindexResult {
  std::size_t records = 0;
  std::size_t skipped = 0;   // unreadable records (reported on stderr)
  double seconds = 0;
};

// Rebuild the whole index from the records in the tree (DATB/ and DASB/), in
// one transaction: idempotent, and safe while ingests run.
Result<ReindexResult> reindex(archive::Archive& archive, const config::Config& config);

// Re-index the datasets whose record revision in hemera.db differs from the
// index's (records committed by other tools). Return how many.
Result<std::size_t> refresh(archive::Archive& archive, const config::Config& config);

// Search criteria; every one given must hold.
struct Query {
  std::string text;                    // free text (prefix match, accents folded)
  std::optional<std::string> from, to; // ISO 8601, temporal overlap
  std::optional<std::array<double, 4>> bbox;  // W, S, E, N (W > E crosses the dateline)
  std::vector<std::string> platforms, instruments, parameters, keywords;  // any of each list
  std::string contact;                 // name, e-mail or ORCID iD
  std::string collection;              // prefix of the collection path
  std::string database;                // DATB or DASB
  std::string status;
  bool has_doi = false;
  bool publishable_only = false;
  bool all_projects = false;
  std::string project = k_default_project;
  std::string sort = "relevance";      // relevance, title, date, modified, uuid
  bool descending = false;
  std::size_t limit = 20;
  std::size_t offset = 0;
  bool count = true;                   // compute SearchResult::total (one more pass)
};

// One hit.
struct Hit {
  std::string uuid, title, base, collection, path, status, begin, end, last_modification;
  bool publishable = false, has_doi = false;
  int revision = 0;
};

// A page of hits and the total number of matches.
struct SearchResult {
  std::size_t total = 0;     // every match; without Query::count, offset + hits (a lower bound)
  std::vector<Hit> hits;
};

// Parse "W,S,E,N" (degrees); Errc::usage if malformed or out of range.
Result<std::array<double, 4>> parse_bbox(const std::string& text);

// Run `query` over the index: the criteria that can drive (extents through
// R*Trees, terms, collection) yield candidate sets, most selective first, and
// are intersected; free text drives through FTS5; the rest is checked per row.
// Statements are prepared once per connection (db::Database caches them).
Result<SearchResult> search(archive::Archive& archive, const Query& query);

}  // namespace hemera::catalog
