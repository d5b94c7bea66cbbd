// SPDX-License-Identifier: Apache-2.0
#include <hemera/archive/store.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/checksum.hpp>
#include <hemera/log.hpp>
#include <hemera/uuid.hpp>

namespace hemera::archive {

namespace {

using nlohmann::json;

constexpr const char* k_intent = "intent.json";
constexpr const char* k_revision = "revision.json";
constexpr const char* k_payload = "payload";

// Crash injection for the crash tests: exit at once, as kill -9 would stop
// the process, when $HEMERA_CRASH_AT names this point.
void crash_point(const char* name)
{
  const char* at = std::getenv("HEMERA_CRASH_AT");
  if (at != nullptr && std::string_view(at) == name) {
    ::_exit(137);
  }
}

Base base_from(const std::string& s)
{
  return s == "DASB" ? Base::dasb : Base::datb;
}

json intent_to_json(const Intent& i)
{
  return {{"token", i.token},
          {"uuid", i.uuid},
          {"base", base_name(i.base)},
          {"collection", i.collection},
          {"dataset_path", i.dataset_path},
          {"dest", i.dest},
          {"version", i.version},
          {"record_revision", i.record_revision},
          {"form_sha256", i.form_sha256},
          {"event", journal::to_json(i.event)}};
}

Result<Intent> intent_from_json(const json& j, const std::string& where)
{
  Intent i;
  try {
    i.token = j.at("token").get<std::string>();
    i.uuid = j.at("uuid").get<std::string>();
    i.base = base_from(j.at("base").get<std::string>());
    i.collection = j.at("collection").get<std::string>();
    i.dataset_path = j.at("dataset_path").get<std::string>();
    i.dest = j.at("dest").get<std::string>();
    i.version = j.at("version").get<int>();
    i.record_revision = j.at("record_revision").get<int>();
    i.form_sha256 = j.value("form_sha256", "");
    i.event = HEMERA_TRY(journal::from_json(j.at("event")));
  } catch (const json::exception& e) {
    return fail(Errc::data, fmt::format("malformed commit intent: {}", e.what()), where);
  }
  return i;
}

bool exists_nofollow(const fs::path& p)
{
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Create `dir` and its missing parents, fsyncing each parent that gained an entry.
Result<void> make_dirs_durable(const fs::path& dir)
{
  if (exists_nofollow(dir)) {
    return {};
  }
  HEMERA_TRY(make_dirs_durable(dir.parent_path()));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return tl::unexpected(errno_error(errno, "cannot create directory", dir.string()));
  }
  return util::fsync_dir(dir.parent_path());
}

Result<void> upsert_dataset(Archive& archive, const Intent& i)
{
  auto now = now_iso8601();
  return archive.db().exec(
    "INSERT INTO datasets(uuid, base, collection, path, latest_version, record_revision, "
    "form_sha256, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
    "ON CONFLICT(uuid) DO UPDATE SET latest_version = MAX(latest_version, excluded.latest_version), "
    "record_revision = MAX(record_revision, excluded.record_revision), updated_at = excluded.updated_at",
    {i.uuid, base_name(i.base), i.collection, i.dataset_path, i.version, i.record_revision,
     i.form_sha256.empty() ? db::Value() : db::Value(i.form_sha256), i.event.actor, now});
}

// Do what follows the commit point; idempotent, so that a crash anywhere in
// it is completed by running it again.
Result<std::uint64_t> finish(Archive& archive, const fs::path& staging_dir, const Intent& intent,
                             bool check_journal)
{
  const Layout& l = archive.layout();
  fs::path dataset_dir = l.root / intent.dataset_path;
  fs::path revision = dataset_dir / "metadata" / fmt::format("{:04}.json", intent.record_revision);
  std::string revision_text;
  if (intent.event.kind == journal::k_version_new) {
    fs::path version_dir = l.root / intent.dest;
    struct stat st {};
    if (::lstat(version_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0222) != 0) {
      if (::chmod(version_dir.c_str(), 0555) != 0) {
        return tl::unexpected(errno_error(errno, "cannot make read-only", version_dir.string()));
      }
      HEMERA_TRY(util::fsync_dir(version_dir));
    }
    if (!exists_nofollow(revision)) {
      revision_text = HEMERA_TRY(util::read_file(staging_dir / k_revision));
      HEMERA_TRY(make_dirs_durable(revision.parent_path()));
      HEMERA_TRY(util::write_file_atomic(revision, revision_text, 0444));
    }
  }
  if (revision_text.empty()) {
    revision_text = HEMERA_TRY(util::read_file(revision));
  }
  if (intent.event.kind != journal::k_dataset_new) {
    HEMERA_TRY(util::write_file_atomic(dataset_dir / "metadata.json", revision_text, 0644));
  }
  std::uint64_t seq = 0;
  bool journaled = false;
  if (check_journal) {
    journaled = HEMERA_TRY(journal::contains_commit(l.journal(), intent.token));
  }
  if (!journaled) {
    journal::Event ev = intent.event;
    seq = HEMERA_TRY(journal::append(l.journal(), l.locks() / "journal.lock", ev));
  }
  crash_point("after-journal");
  // The journal index and the dataset row in one transaction (one sync).
  HEMERA_TRY(archive.db().exec_script("BEGIN IMMEDIATE;"));
  auto rows = journal::index(l.journal(), archive.db());
  if (rows) {
    rows = upsert_dataset(archive, intent);
  }
  if (rows) {
    rows = archive.db().exec_script("COMMIT;");
  }
  if (!rows) {
    (void)archive.db().exec_script("ROLLBACK;");
    return tl::unexpected(rows.error());
  }
  // Not fsynced: a staging found again is completed again, idempotently.
  HEMERA_TRY(remove_tree(staging_dir));
  return seq;
}

// Complete or discard one staging directory (its dataset lock held).
Result<void> handle_staging(Archive& archive, const fs::path& dir)
{
  fs::path intent_path = dir / k_intent;
  if (!exists_nofollow(intent_path) || exists_nofollow(dir / k_payload)) {
    log::info("discarding uncommitted staging {}", dir.filename().string());
    HEMERA_TRY(remove_tree(dir));
    return util::fsync_dir(dir.parent_path());
  }
  auto text = HEMERA_TRY(util::read_file(intent_path));
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    // intent.json is written atomically: an unreadable one was never renamed
    // into place by us.
    HEMERA_TRY(remove_tree(dir));
    return util::fsync_dir(dir.parent_path());
  }
  auto intent = HEMERA_TRY(intent_from_json(j, intent_path.string()));
  if (!exists_nofollow(archive.layout().root / intent.dest)) {
    log::warn("staging {}: committed payload missing at {}; discarding", dir.filename().string(),
              intent.dest);
    HEMERA_TRY(remove_tree(dir));
    return util::fsync_dir(dir.parent_path());
  }
  log::info("completing interrupted commit of {} ({})", intent.dest, intent.event.kind);
  HEMERA_TRY(finish(archive, dir, intent, true));
  return {};
}

Result<std::vector<fs::path>> staging_entries(Archive& archive, const std::string& uuid_prefix)
{
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(archive.layout().staging(), ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      return out;
    }
    return tl::unexpected(errno_error(ec.value(), "cannot list", archive.layout().staging().string()));
  }
  for (const auto& e : it) {
    std::string name = e.path().filename().string();
    if (uuid_prefix.empty() || name.rfind(uuid_prefix + ".", 0) == 0) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Result<std::optional<DatasetInfo>> find_dataset(Archive& archive, const std::string& uuid)
{
  auto rows = HEMERA_TRY(archive.db().query(
    "SELECT uuid, base, collection, path, latest_version, record_revision FROM datasets WHERE uuid = ?1",
    {uuid}));
  if (rows.empty()) {
    return std::optional<DatasetInfo>();
  }
  const auto& r = rows.front();
  DatasetInfo d{r[0].text, base_from(r[1].text), r[2].text, r[3].text,
                static_cast<int>(r[4].integer), static_cast<int>(r[5].integer)};
  return std::optional<DatasetInfo>(d);
}

Result<std::vector<DatasetInfo>> list_datasets(Archive& archive)
{
  auto rows = HEMERA_TRY(archive.db().query(
    "SELECT uuid, base, collection, path, latest_version, record_revision FROM datasets ORDER BY path"));
  std::vector<DatasetInfo> out;
  for (const auto& r : rows) {
    out.push_back(DatasetInfo{r[0].text, base_from(r[1].text), r[2].text, r[3].text,
                              static_cast<int>(r[4].integer), static_cast<int>(r[5].integer)});
  }
  return out;
}

Result<util::FileLock> lock_dataset(Archive& archive, const std::string& uuid, bool wait)
{
  HEMERA_TRY(uuid::parse(uuid));
  return util::FileLock::acquire(archive.layout().locks() / fmt::format("dataset-{}.lock", uuid),
                                 wait);
}

Result<Staging> begin_staging(Archive& archive, const std::string& uuid)
{
  auto u = HEMERA_TRY(uuid::new_v4());
  std::string token = uuid::to_string(u);
  token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
  Staging s;
  s.token = token;
  s.dir = archive.layout().staging() / fmt::format("{}.{}", uuid, token);
  s.payload = s.dir / k_payload;
  HEMERA_TRY(util::make_dirs(archive.layout().staging()));
  if (::mkdir(s.dir.c_str(), 0700) != 0) {
    return tl::unexpected(errno_error(errno, "cannot create staging", s.dir.string()));
  }
  return s;
}

Result<std::uint64_t> commit(Archive& archive, const Staging& staging, Intent intent)
{
  const Layout& l = archive.layout();
  intent.token = staging.token;
  intent.event.commit = staging.token;
  HEMERA_TRY(util::write_file_atomic(staging.dir / k_intent, intent_to_json(intent).dump() + "\n",
                                     0600));
  fs::path dest = l.root / intent.dest;
  HEMERA_TRY(make_dirs_durable(dest.parent_path()));
  if (exists_nofollow(dest)) {
    return fail(Errc::cant_create, "already exists; refusing to replace it", dest.string());
  }
  crash_point("before-rename");
  // The commit point.
  if (::rename(staging.payload.c_str(), dest.c_str()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot move the staged version into place",
                                      dest.string()));
  }
  HEMERA_TRY(util::fsync_dir(dest.parent_path()));
  crash_point("after-rename");
  return finish(archive, staging.dir, intent, false);
}

Result<void> complete_dataset(Archive& archive, const std::string& uuid)
{
  auto entries = HEMERA_TRY(staging_entries(archive, uuid));
  for (const auto& e : entries) {
    HEMERA_TRY(handle_staging(archive, e));
  }
  return {};
}

Result<std::size_t> complete_interrupted(Archive& archive)
{
  const Layout& l = archive.layout();
  auto entries = HEMERA_TRY(staging_entries(archive, {}));
  std::size_t handled = 0;
  for (const auto& e : entries) {
    std::string name = e.filename().string();
    auto dot = name.find('.');
    std::string uuid = name.substr(0, dot);
    if (!uuid::parse(uuid)) {
      continue;  // not ours
    }
    auto lock = lock_dataset(archive, uuid, false);
    if (!lock) {
      if (lock.error().code == Errc::temp_fail) {
        continue;  // an ingest of this dataset is running
      }
      return tl::unexpected(lock.error());
    }
    if (!exists_nofollow(e)) {
      continue;  // completed by the holder of the lock meanwhile
    }
    HEMERA_TRY(handle_staging(archive, e));
    ++handled;
  }
  std::error_code ec;
  if (fs::exists(l.journal(), ec)) {
    auto cut = HEMERA_TRY(journal::repair(l.journal(), l.locks() / "journal.lock"));
    if (cut > 0) {
      log::warn("cut a torn journal tail of {} bytes", cut);
    }
  }
  return handled;
}

Result<int> commit_record_revision(Archive& archive, const std::string& uuid,
                                   const metadata::Record& record, const Actor& actor)
{
  HEMERA_TRY(complete_dataset(archive, uuid));
  auto found = HEMERA_TRY(find_dataset(archive, uuid));
  if (!found) {
    return fail(Errc::no_input, fmt::format("no dataset {} in the archive", uuid));
  }
  HEMERA_TRY(record.check_identity());
  const DatasetInfo& d = *found;
  auto staging = HEMERA_TRY(begin_staging(archive, uuid));
  std::string text = record.dump();
  HEMERA_TRY(util::write_file_atomic(staging.payload, text, 0444));
  Intent intent;
  intent.uuid = uuid;
  intent.base = d.base;
  intent.collection = d.collection;
  intent.dataset_path = d.path;
  intent.version = d.latest_version;
  intent.record_revision = d.record_revision + 1;
  intent.dest = fmt::format("{}/metadata/{:04}.json", d.path, intent.record_revision);
  intent.event.kind = std::string(journal::k_record_revision);
  intent.event.actor = actor.name;
  intent.event.dataset = uuid;
  intent.event.path = d.path;
  intent.event.version = 0;
  intent.event.record_revision = intent.record_revision;
  intent.event.record_sha256 = checksum::sha256(text);
  HEMERA_TRY(commit(archive, staging, intent));
  return intent.record_revision;
}

Result<metadata::Record> read_record(Archive& archive, const DatasetInfo& dataset)
{
  fs::path p = archive.layout().root / dataset.path / "metadata.json";
  auto text = HEMERA_TRY(util::read_file(p));
  return metadata::Record::parse(text, p.string());
}

Result<void> remove_tree(const fs::path& dir)
{
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return {};
    }
    return tl::unexpected(errno_error(errno, "cannot stat", dir.string()));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(dir.c_str()) != 0 && errno != ENOENT) {
      return tl::unexpected(errno_error(errno, "cannot remove", dir.string()));
    }
    return {};
  }
  ::chmod(dir.c_str(), 0700);
  std::error_code ec;
  std::vector<fs::path> children;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    children.push_back(it->path());
  }
  if (ec) {
    return tl::unexpected(errno_error(ec.value(), "cannot list", dir.string()));
  }
  for (const auto& c : children) {
    HEMERA_TRY(remove_tree(c));
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    return tl::unexpected(errno_error(errno, "cannot remove directory", dir.string()));
  }
  return {};
}

}  // namespace hemera::archive
