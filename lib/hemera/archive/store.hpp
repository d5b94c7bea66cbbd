// SPDX-License-Identifier: Apache-2.0
// Datasets in the archive: where they are, their locks, the one commit point
// (a staged directory renamed into place) and the completion of commits that
// a crash interrupted after that rename.
//
// A commit is staged in .hemera/staging/<uuid>.<token>/: "payload/" (the new
// dataset directory, or the new v<N> directory), "revision.json" (the new
// record revision) and, written last, "intent.json". One rename of payload/
// into place is the commit point; the record revision and metadata.json, the
// journal event and the database rows follow. A staging directory without
// intent.json, or whose payload was never renamed, is removed (the old
// state); one whose payload is in place is completed (the new state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <hemera/actor.hpp>
#include <hemera/archive/journal.hpp>
#include <hemera/archive/names.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/error.hpp>
#include <hemera/metadata/record.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::archive {

// A dataset's place and state, from hemera.db.
struct DatasetInfo {
  std::string uuid;
  Base base = Base::datb;
  std::string collection;   // "campaign/instrument"
  std::string path;         // relative to the root: "DATB/campaign/instrument/<uuid>"
  int latest_version = 0;
  int record_revision = 0;
};

// Return the dataset `uuid`, or nullopt when the archive has none.
Result<std::optional<DatasetInfo>> find_dataset(Archive& archive, const std::string& uuid);

// Return every dataset, ordered by path.
Result<std::vector<DatasetInfo>> list_datasets(Archive& archive);

// Take the lock of dataset `uuid` (.hemera/locks/dataset-<uuid>.lock).
Result<util::FileLock> lock_dataset(Archive& archive, const std::string& uuid, bool wait = true);

// One commit being staged.
struct Staging {
  std::string token;       // unique id of this commit
  fs::path dir;            // .hemera/staging/<uuid>.<token>
  fs::path payload;        // dir/payload
};

// Create a staging directory for dataset `uuid`.
Result<Staging> begin_staging(Archive& archive, const std::string& uuid);

// What a commit changes, written to intent.json before the commit point.
struct Intent {
  std::string token;
  std::string uuid;
  Base base = Base::datb;
  std::string collection;
  std::string dataset_path;   // relative to the root
  std::string dest;           // where payload/ goes, relative to the root
  int version = 0;
  int record_revision = 0;
  std::string form_sha256;    // for a new dataset
  journal::Event event;       // without seq
};

// Write intent.json (fsynced), rename the payload into place (the commit
// point), then complete the commit. The dataset lock must be held.
Result<std::uint64_t> commit(Archive& archive, const Staging& staging, Intent intent);

// Complete or discard every interrupted commit of dataset `uuid` (its lock
// held by the caller).
Result<void> complete_dataset(Archive& archive, const std::string& uuid);

// Complete or discard every interrupted commit whose dataset lock is free,
// and cut a torn journal tail. Return the number of staging directories handled.
Result<std::size_t> complete_interrupted(Archive& archive);

// Write a new record revision of dataset `uuid` (its lock held): the next
// metadata/NNNN.json (read-only), metadata.json, a record.revision journal
// event and the database row. Return the revision number.
Result<int> commit_record_revision(Archive& archive, const std::string& uuid,
                                   const metadata::Record& record, const Actor& actor);

// Return the current record of dataset `uuid` (metadata.json).
Result<metadata::Record> read_record(Archive& archive, const DatasetInfo& dataset);

// Remove a directory tree that the archive owns (staging), making read-only
// directories writable first; never follows symlinks.
Result<void> remove_tree(const fs::path& dir);

}  // namespace hemera::archive
