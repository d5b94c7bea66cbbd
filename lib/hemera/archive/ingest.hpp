// SPDX-License-Identifier: Apache-2.0
// Ingestion (DESIGN.md flows 1 and 2): names and routing checked, every file
// through the strict validators, staged and hashed in one pass, committed by
// one rename, the record revision and the journal event following.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <hemera/actor.hpp>
#include <hemera/archive/names.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/checksum.hpp>
#include <hemera/error.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/metadata/summary.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::archive {

// What the format gate says about one file.
struct GateResult {
  bool passed = false;
  std::vector<validate::Finding> findings;
};

// The format checks ingestion needs, supplied by the caller (the validators
// live in hemera_formats; the archive module does not link them).
struct Inspector {
  // Validate the file at `path` (a name claiming `kind`) under the strict profile.
  std::function<Result<GateResult>(const fs::path& path, FileKind kind)> validate;
  // Summarise the file's headers for the record (optional).
  std::function<Result<metadata::FileSummary>(const fs::path& path, FileKind kind)> summarize;
};

// One ingestion.
struct IngestRequest {
  std::string collection;               // new dataset: "campaign/instrument"
  std::optional<fs::path> form;         // the P.I.'s form (YAML or JSON)
  std::optional<std::string> dataset;   // new version of this dataset
  std::vector<fs::path> files;
  bool dry_run = false;
  Actor actor;
  std::string download_url;             // configured FTP_DOWNLOAD_LINK base
  std::string catalogue_url;            // configured landing-page base
  // The publishability defaults of a collection, for the catalogue index
  // (catalog::defaults_for over the configuration); none when unset.
  std::function<metadata::Defaults(const std::string& collection)> catalogue_defaults;

  // Legacy recovery (hemera-recover); every field is optional.
  std::optional<std::string> uuid;              // a new dataset's UUID, decided by the caller
  std::optional<nlohmann::json> form_document;  // the form as a document, instead of `form`
  std::string form_name = "form";               // how findings name `form_document`
  std::vector<std::string> stored_names;        // per file: the name it is stored under
  // Return the record's "recovery" object, given the gate's findings (its
  // quality flags); called once the gate has passed.
  std::function<nlohmann::json(const std::vector<validate::Finding>&)> recovery;
};

// One file, as ingested (or as it would be).
struct IngestedFile {
  std::string source;      // as given
  std::string name;        // stored name (lower-cased)
  FileKind kind = FileKind::unknown;
  std::uint64_t size = 0;
  std::optional<checksum::Digest> sha256;  // known once copied
};

// The outcome; `refused` with findings when the gate said no (nothing written).
struct IngestResult {
  std::string uuid;
  int version = 0;
  std::string destination;  // relative to the root: "DATB/campaign/<uuid>/v1"
  Base base = Base::datb;
  bool dry_run = false;
  bool refused = false;
  std::vector<IngestedFile> files;
  std::vector<validate::Finding> findings;
  std::vector<metadata::Contradiction> contradictions;
  int record_revision = 0;
  std::uint64_t seq = 0;    // journal sequence number of the commit
  std::uint64_t bytes = 0;
};

// Ingest a new dataset (request.collection + form) or a new version
// (request.dataset). A refusal is a result with `refused` set and findings;
// errors are for what cannot be done at all (usage, I/O, permissions).
Result<IngestResult> ingest(Archive& archive, const IngestRequest& request,
                            const Inspector& inspector);

// Return the UUID remembered for the form hash `form_sha256`, allocating and
// remembering a new version 4 UUID at the form's first submission.
Result<std::string> uuid_for_form(Archive& archive, const std::string& form_sha256);

}  // namespace hemera::archive
