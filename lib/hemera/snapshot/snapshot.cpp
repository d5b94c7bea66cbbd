// SPDX-License-Identifier: Apache-2.0
#include <hemera/snapshot/snapshot.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <sqlite3.h>

#include <hemera/archive/journal.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/checksum.hpp>
#include <hemera/log.hpp>
#include <hemera/util/fd.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::snapshot {

namespace {

constexpr const char* k_store_marker = "STORE";
constexpr const char* k_store_text = "hemera-snapshot-store 1\n";
constexpr const char* k_partial = ".partial";
constexpr const char* k_lock = ".lock";
constexpr const char* k_meta = "SNAPSHOT.json";
constexpr const char* k_tree = "archive";
constexpr const char* k_config_dir = "config";
constexpr const char* k_config_name = "hemera.yaml";

using json = nlohmann::json;

// Crash points for the kill tests: $HEMERA_CRASH_AT names one.
void crash_point(const char* name)
{
  const char* at = std::getenv("HEMERA_CRASH_AT");
  if (at != nullptr && std::string_view(at) == name) {
    ::_exit(137);
  }
}

// Copy `src` to the new file `dst` (mode `mode`), hashing the bytes in the
// same pass, without fsync: a snapshot or a restore syncs its file system
// once before the rename that makes it visible.
Result<checksum::FileHash> copy_hash(const fs::path& src, const fs::path& dst, unsigned mode)
{
  util::UniqueFd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (in.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", src.string()));
  }
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  util::UniqueFd out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (out.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot create", dst.string()));
  }
  thread_local std::vector<char> buf(checksum::k_read_size);
  checksum::Sha256 h;
  checksum::FileHash result;
  for (;;) {
    ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(errno_error(errno, "cannot read", src.string()));
    }
    if (n == 0) {
      break;
    }
    h.update(buf.data(), static_cast<std::size_t>(n));
    result.size += static_cast<std::uint64_t>(n);
    std::size_t off = 0;
    while (off < static_cast<std::size_t>(n)) {
      ssize_t w = ::write(out.get(), buf.data() + off, static_cast<std::size_t>(n) - off);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        return tl::unexpected(errno_error(errno, "cannot write", dst.string()));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  if (::fchmod(out.get(), mode) != 0) {
    return tl::unexpected(errno_error(errno, "cannot set mode", dst.string()));
  }
  result.digest = h.finish();
  return result;
}

bool lstat_path(const fs::path& p, struct stat& st)
{
  return ::lstat(p.c_str(), &st) == 0;
}

std::string rel_string(const fs::path& rel)
{
  return rel.generic_string();
}

Result<void> make_dir(const fs::path& dir, unsigned mode = 0700)
{
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return tl::unexpected(errno_error(errno, "cannot create directory", dir.string()));
  }
  return {};
}

Result<void> set_times(const fs::path& p, const struct stat& st)
{
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) {
    return tl::unexpected(errno_error(errno, "cannot set times", p.string()));
  }
  return {};
}

bool same_file_state(const struct stat& a, const struct stat& b)
{
  return a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && (a.st_mode & 07777) == (b.st_mode & 07777);
}

// True for the temporary file of an atomic write in progress ("x.tmp.<pid>"):
// never part of a consistent state, it is left out of snapshots.
bool is_atomic_temp(const std::string& name)
{
  auto pos = name.rfind(".tmp.");
  if (pos == std::string::npos || pos + 5 >= name.size()) {
    return false;
  }
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(pos) + 5, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool is_version_dir_name(const std::string& name)
{
  if (name.size() < 2 || name[0] != 'v') {
    return false;
  }
  return std::all_of(name.begin() + 1, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// True when `rel` (relative to the archive root) is a version directory:
// DATB/… or DASB/…, named v<N>, holding a manifest.
bool is_version_dir(const fs::path& rel, const fs::path& abs)
{
  auto first = rel.begin();
  if (first == rel.end() || (*first != "DATB" && *first != "DASB")) {
    return false;
  }
  if (!is_version_dir_name(rel.filename().string())) {
    return false;
  }
  struct stat st {};
  return lstat_path(abs / checksum::k_manifest_name, st) && S_ISREG(st.st_mode);
}

Result<std::map<std::string, checksum::Digest>> read_manifest(const fs::path& file,
                                                              const std::string& name)
{
  auto text = HEMERA_TRY(util::read_file(file));
  auto entries = HEMERA_TRY(checksum::parse_manifest(text, name));
  std::map<std::string, checksum::Digest> out;
  for (auto& e : entries) {
    out.emplace(std::move(e.path), e.digest);
  }
  return out;
}

Result<bool> is_store(const fs::path& store)
{
  struct stat st {};
  if (!lstat_path(store / k_store_marker, st)) {
    return false;
  }
  return S_ISREG(st.st_mode);
}

Result<void> ensure_store(const fs::path& store)
{
  struct stat st {};
  if (lstat_path(store, st)) {
    if (!S_ISDIR(st.st_mode)) {
      return fail(Errc::cant_create, "snapshot store exists and is not a directory", store.string());
    }
    if (!HEMERA_TRY(is_store(store))) {
      // Empty but for what a run killed while creating the store left.
      std::error_code ec;
      for (fs::directory_iterator it(store, ec), end; !ec && it != end; it.increment(ec)) {
        std::string n = it->path().filename().string();
        if (n != k_partial && n != k_lock && n.rfind(std::string(k_store_marker) + ".tmp.", 0) != 0) {
          return fail(Errc::cant_create, "directory is not empty and is not a snapshot store",
                      store.string());
        }
      }
    }
  }
  HEMERA_TRY(util::make_dirs(store, 0750));
  if (!HEMERA_TRY(is_store(store))) {
    HEMERA_TRY(util::write_file_atomic(store / k_store_marker, k_store_text, 0644));
  }
  HEMERA_TRY(make_dir(store / k_partial));
  return {};
}

Result<util::FileLock> lock_store(const fs::path& store)
{
  auto lock = util::FileLock::acquire(store / k_lock, false);
  if (!lock && lock.error().code == Errc::temp_fail) {
    return fail(Errc::temp_fail, "another hemera-snapshot run holds the snapshot store",
                store.string());
  }
  return lock;
}

// Remove every partial snapshot (the store lock held); return how many.
Result<std::size_t> clean_partials(const fs::path& store)
{
  std::size_t n = 0;
  std::error_code ec;
  fs::path dir = store / k_partial;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return tl::unexpected(errno_error(ec.value(), "cannot list", dir.string()));
  }
  for (const auto& e : entries) {
    log::info("removing partial snapshot {}", e.filename().string());
    HEMERA_TRY(archive::remove_tree(e));
    ++n;
  }
  if (n > 0) {
    HEMERA_TRY(util::fsync_dir(dir));
  }
  return n;
}

std::tm utc(std::int64_t t)
{
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

// ISO 8601 week-numbering year and week of a UTC time.
std::pair<int, int> iso_week(std::int64_t t)
{
  std::tm tm = utc(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%G %V", &tm);
  int year = 0;
  int week = 0;
  std::sscanf(buf, "%d %d", &year, &week);
  return {year, week};
}

// The tree walk of create(): mirrors the archive into the partial snapshot.
class Copier {
 public:
  Copier(fs::path src_root, fs::path dst_root, std::optional<fs::path> prev_root,
         std::map<std::string, checksum::Digest> prev_hashes, CreateReport& report)
    : m_src(std::move(src_root)), m_dst(std::move(dst_root)), m_prev(std::move(prev_root)),
      m_prev_hashes(std::move(prev_hashes)), m_report(report)
  {
  }

  // Mirror the directory `rel` (relative to the archive root); `skip` names
  // entries of .hemera handled elsewhere.
  Result<void> dir(const fs::path& rel, const struct stat& st)
  {
    fs::path src = m_src / rel;
    fs::path dst = m_dst / rel;
    HEMERA_TRY(make_dir(dst));
    bool version = is_version_dir(rel, src);
    // In a dataset directory, take the record (metadata.json, then
    // metadata/) before listing the versions, so that a commit landing
    // meanwhile is either absent or completable on restore.
    auto rank = [](const std::string& n) { return n == "metadata.json" ? 0 : n == "metadata" ? 1 : 2; };
    std::optional<std::map<std::string, checksum::Digest>> manifest;
    auto listing = [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> names;
      std::error_code ec;
      for (fs::directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
      }
      if (ec) {
        return tl::unexpected(errno_error(ec.value(), "cannot list", src.string()));
      }
      std::sort(names.begin(), names.end(), [&](const std::string& x, const std::string& y) {
        return std::pair(rank(x), x) < std::pair(rank(y), y);
      });
      return names;
    };
    auto names = HEMERA_TRY(listing());
    bool record = !names.empty() && rank(names.front()) < 2;
    for (const auto& name : names) {
      if (record && rank(name) == 2) {
        break;
      }
      HEMERA_TRY(entry(rel, name, version, manifest));
    }
    if (record) {
      names = HEMERA_TRY(listing());  // the versions, listed after the record
      for (const auto& name : names) {
        if (rank(name) == 2) {
          HEMERA_TRY(entry(rel, name, version, manifest));
        }
      }
    }
    m_dirs.emplace_back(dst, st);
    return {};
  }

  // Mirror the entry `name` of the directory `rel`.
  Result<void> entry(const fs::path& rel, const std::string& name, bool version,
                     std::optional<std::map<std::string, checksum::Digest>>& manifest)
  {
    fs::path crel = rel / name;
    if ((rel == ".hemera" && m_skip.count(name) != 0) || is_atomic_temp(name) ||
        (m_immutable_only && rel.empty() && name == ".hemera")) {
      return {};
    }
    struct stat cst {};
    if (!lstat_path(m_src / crel, cst)) {
      if (errno == ENOENT) {
        return {};  // removed meanwhile (a staging file)
      }
      return tl::unexpected(errno_error(errno, "cannot stat", (m_src / crel).string()));
    }
    if (S_ISDIR(cst.st_mode)) {
      return dir(crel, cst);
    }
    if (S_ISREG(cst.st_mode)) {
      if (m_immutable_only && !version && rel.filename() != "metadata") {
        return {};  // mutable: taken under the journal lock only
      }
      return file(crel, cst, version && name != checksum::k_manifest_name, manifest);
    }
    log::warn("snapshot: skipping {} (not a regular file or directory)", (m_src / crel).string());
    return {};
  }

  // Mirror one regular file; `payload` when it belongs to a version's manifest.
  Result<void> file(const fs::path& rel, const struct stat& st, bool payload,
                    std::optional<std::map<std::string, checksum::Digest>>& manifest)
  {
    fs::path src = m_src / rel;
    fs::path dst = m_dst / rel;
    std::string key = rel_string(fs::path(k_tree) / rel);
    bool counted = !m_immutable_only;  // counted by the final walk only
    if (counted) {
      ++m_report.files;
      m_report.bytes += static_cast<std::uint64_t>(st.st_size);
    }
    struct stat existing {};
    if (lstat_path(dst, existing)) {
      return {};  // captured by the first walk (immutable)
    }
    if (m_prev) {
      fs::path prev = *m_prev / rel;
      struct stat pst {};
      if (lstat_path(prev, pst) && S_ISREG(pst.st_mode) && same_file_state(st, pst)) {
        auto h = m_prev_hashes.find(key);
        if (payload || h != m_prev_hashes.end()) {
          if (::link(prev.c_str(), dst.c_str()) == 0) {
            ++m_report.files_linked;
            if (!payload) {
              m_hashes[key] = h->second;
            }
            return {};
          }
          if (errno != EMLINK && errno != EXDEV) {
            return tl::unexpected(errno_error(errno, "cannot link", dst.string()));
          }
        }
      }
    }
    auto copied = copy_hash(src, dst, st.st_mode & 07777);
    if (!copied) {
      if (copied.error().code == Errc::no_input) {
        if (counted) {
          --m_report.files;
          m_report.bytes -= static_cast<std::uint64_t>(st.st_size);
        }
        return {};  // removed meanwhile
      }
      return tl::unexpected(copied.error());
    }
    HEMERA_TRY(set_times(dst, st));
    ++m_report.files_copied;
    m_report.bytes_copied += copied->size;
    if (!payload) {
      m_hashes[key] = copied->digest;
      return {};
    }
    if (!manifest) {
      manifest = HEMERA_TRY(read_manifest(src.parent_path() / checksum::k_manifest_name,
                                          rel_string(rel.parent_path() / checksum::k_manifest_name)));
    }
    auto it = manifest->find(rel.filename().string());
    if (it == manifest->end()) {
      log::warn("snapshot: {} is not in its version's manifest", rel_string(rel));
    } else if (!(it->second == copied->digest)) {
      m_report.problems.push_back(
        {rel_string(rel), "snapshot.mismatch",
         fmt::format("does not match its manifest (expected {}, read {}); run hemera-verify and "
                     "hemera-repair",
                     it->second.hex(), copied->digest.hex())});
    }
    return {};
  }

  // Give each directory its source mode and times (deepest first).
  Result<void> finish_dirs()
  {
    for (const auto& [path, st] : m_dirs) {
      if (::chmod(path.c_str(), st.st_mode & 07777) != 0) {
        return tl::unexpected(errno_error(errno, "cannot set mode", path.string()));
      }
      HEMERA_TRY(set_times(path, st));
    }
    m_dirs.clear();
    return {};
  }

  std::map<std::string, checksum::Digest>& hashes() { return m_hashes; }
  // Walk only immutable files (versions, record revisions), outside .hemera.
  void immutable_only(bool on) { m_immutable_only = on; }
  std::set<std::string>& skip() { return m_skip; }

 private:
  fs::path m_src;
  fs::path m_dst;
  std::optional<fs::path> m_prev;
  std::map<std::string, checksum::Digest> m_prev_hashes;
  CreateReport& m_report;
  std::map<std::string, checksum::Digest> m_hashes;  // snapshot-relative, outside payloads
  std::set<std::string> m_skip;
  std::vector<std::pair<fs::path, struct stat>> m_dirs;
  bool m_immutable_only = false;
};

// Copy the live database with SQLite's online backup API; check the copy.
Result<void> backup_database(const fs::path& src, const fs::path& dst)
{
  sqlite3* from = nullptr;
  sqlite3* to = nullptr;
  auto close_all = [&] {
    sqlite3_close(from);
    sqlite3_close(to);
  };
  auto db_fail = [&](sqlite3* db, const std::string& what, const fs::path& p) {
    std::string msg = fmt::format("{}: {}", what, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
    close_all();
    return fail(Errc::io, msg, p.string());
  };
  if (sqlite3_open_v2(src.c_str(), &from, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nullptr) !=
      SQLITE_OK) {
    return db_fail(from, "cannot open database", src);
  }
  sqlite3_busy_timeout(from, 10000);
  if (sqlite3_open_v2(dst.c_str(), &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    return db_fail(to, "cannot create database copy", dst);
  }
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (b == nullptr) {
    return db_fail(to, "cannot start database backup", dst);
  }
  int rc = SQLITE_OK;
  for (int attempt = 0; attempt < 600; ++attempt) {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_DONE || (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_OK)) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    close_all();
    return fail(rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? Errc::temp_fail : Errc::io,
                fmt::format("database backup failed: {}", sqlite3_errstr(rc)), src.string());
  }
  // Leave the copy self-contained (no -wal beside it) and check it.
  char* err = nullptr;
  if (sqlite3_exec(to, "PRAGMA journal_mode=DELETE", nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return db_fail(to, "cannot finish database copy", dst);
  }
  std::string check;
  auto cb = [](void* out, int n, char** values, char**) -> int {
    if (n > 0 && values[0] != nullptr) {
      *static_cast<std::string*>(out) += values[0];
    }
    return 0;
  };
  if (sqlite3_exec(to, "PRAGMA quick_check", cb, &check, &err) != SQLITE_OK || check != "ok") {
    sqlite3_free(err);
    close_all();
    return fail(Errc::io, fmt::format("database copy fails its check: {}", check), dst.string());
  }
  close_all();
  return {};
}

Result<std::uint64_t> last_journal_seq(const fs::path& journal)
{
  auto reader = HEMERA_TRY(archive::journal::Reader::open(journal));
  std::uint64_t seq = 0;
  while (true) {
    auto ev = HEMERA_TRY(reader.next());
    if (!ev) {
      break;
    }
    seq = ev->seq;
  }
  return seq;
}

Result<void> write_snapshot_files(const fs::path& dir, const json& meta,
                                  const std::map<std::string, checksum::Digest>& hashes)
{
  std::vector<checksum::ManifestEntry> entries;
  entries.reserve(hashes.size());
  for (const auto& [path, digest] : hashes) {
    entries.push_back({digest, path});
  }
  HEMERA_TRY(util::write_file_atomic(dir / checksum::k_manifest_name,
                                     checksum::format_manifest(std::move(entries)), 0444));
  HEMERA_TRY(util::write_file_atomic(dir / k_meta, meta.dump(2) + "\n", 0444));
  return {};
}

Result<void> sync_filesystem(const fs::path& dir)
{
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", dir.string()));
  }
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return tl::unexpected(errno_error(err, "cannot sync", dir.string()));
  }
  return {};
}

// Check that neither of the archive root and the store contains the other.
Result<void> check_apart(const fs::path& root, const fs::path& store)
{
  std::error_code ec;
  fs::path r = fs::weakly_canonical(root, ec);
  fs::path s = fs::weakly_canonical(store, ec);
  auto inside = [](const fs::path& a, const fs::path& b) {
    auto ai = a.begin();
    for (auto bi = b.begin(); bi != b.end(); ++bi, ++ai) {
      if (ai == a.end() || *ai != *bi) {
        return false;
      }
    }
    return true;
  };
  if (inside(s, r) || inside(r, s)) {
    return fail(Errc::config, "the snapshot store and the archive must not contain each other",
                store.string(), "snapshot.dest");
  }
  return {};
}

std::vector<Name> names_of(const std::vector<Info>& infos)
{
  std::vector<Name> out;
  out.reserve(infos.size());
  for (const auto& i : infos) {
    out.push_back(i.name);
  }
  return out;
}

}  // namespace

const char* class_name(Class c) noexcept
{
  switch (c) {
  case Class::daily: return "daily";
  case Class::weekly: return "weekly";
  case Class::monthly: return "monthly";
  }
  return "daily";
}

std::optional<Class> parse_class(std::string_view text)
{
  for (Class c : {Class::daily, Class::weekly, Class::monthly}) {
    if (text == class_name(c)) {
      return c;
    }
  }
  return std::nullopt;
}

std::string iso8601(std::int64_t time)
{
  std::tm tm = utc(time);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Name::text() const
{
  std::tm tm = utc(time);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H%M%SZ", &tm);
  return fmt::format("{}-{}", buf, class_name(cls));
}

std::optional<Name> parse_name(std::string_view text)
{
  // "YYYY-MM-DDTHHMMSSZ-class"
  if (text.size() < 19 || text[18] != '-') {
    return std::nullopt;
  }
  auto cls = parse_class(text.substr(19));
  if (!cls) {
    return std::nullopt;
  }
  std::string ts(text.substr(0, 18));
  std::tm tm{};
  const char* end = ::strptime(ts.c_str(), "%Y-%m-%dT%H%M%SZ", &tm);
  if (end == nullptr || *end != '\0') {
    return std::nullopt;
  }
  Name n{static_cast<std::int64_t>(::timegm(&tm)), *cls};
  if (n.text() != text) {
    return std::nullopt;  // not in canonical form
  }
  return n;
}

Class classify(std::int64_t time, const std::vector<Name>& existing)
{
  std::tm now = utc(time);
  auto week = iso_week(time);
  bool month_taken = false;
  bool week_taken = false;
  for (const auto& n : existing) {
    std::tm tm = utc(n.time);
    if (n.cls == Class::monthly && tm.tm_year == now.tm_year && tm.tm_mon == now.tm_mon) {
      month_taken = true;
    }
    if (n.cls != Class::daily && iso_week(n.time) == week) {
      week_taken = true;
    }
  }
  if (!month_taken) {
    return Class::monthly;
  }
  return week_taken ? Class::daily : Class::weekly;
}

std::vector<Name> to_remove(const std::vector<Name>& snapshots, const Retention& keep)
{
  std::vector<Name> sorted = snapshots;
  std::sort(sorted.begin(), sorted.end(),
            [](const Name& a, const Name& b) { return a.time > b.time; });
  std::vector<Name> out;
  int seen[3] = {0, 0, 0};
  const int limits[3] = {keep.daily, keep.weekly, keep.monthly};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    auto c = static_cast<std::size_t>(sorted[i].cls);
    ++seen[c];
    if (i > 0 && seen[c] > limits[c]) {
      out.push_back(sorted[i]);
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::int64_t> parse_time(std::string_view text)
{
  std::string s(text);
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return static_cast<std::int64_t>(std::stoll(s));
  }
  for (const char* fmt_text : {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H%M%SZ",
                               "%Y-%m-%dT%H%MZ"}) {
    std::tm tm{};
    const char* end = ::strptime(s.c_str(), fmt_text, &tm);
    if (end != nullptr && *end == '\0') {
      return static_cast<std::int64_t>(::timegm(&tm));
    }
  }
  return fail(Errc::usage, fmt::format("not a UTC time (YYYY-MM-DDTHH:MM:SSZ): '{}'", s));
}

Result<std::int64_t> now()
{
  const char* env = std::getenv("HEMERA_SNAPSHOT_NOW");
  if (env != nullptr && *env != '\0') {
    auto t = parse_time(env);
    if (!t) {
      return fail(Errc::config, t.error().message, "HEMERA_SNAPSHOT_NOW");
    }
    return *t;
  }
  return static_cast<std::int64_t>(std::time(nullptr));
}

Result<std::vector<Info>> list(const fs::path& store)
{
  if (!HEMERA_TRY(is_store(store))) {
    return fail(Errc::no_input, "not a snapshot store (create one with hemera-snapshot create)",
                store.string());
  }
  std::vector<Info> out;
  std::error_code ec;
  for (fs::directory_iterator it(store, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = parse_name(it->path().filename().string());
    if (!name) {
      continue;
    }
    struct stat st {};
    if (it->symlink_status().type() != fs::file_type::directory ||
        !lstat_path(it->path() / k_meta, st)) {
      continue;
    }
    Info info{*name, it->path(), json::object()};
    auto text = util::read_file(it->path() / k_meta);
    if (text) {
      auto j = json::parse(*text, nullptr, false);
      if (!j.is_discarded()) {
        info.meta = std::move(j);
      }
    }
    out.push_back(std::move(info));
  }
  if (ec) {
    return tl::unexpected(errno_error(ec.value(), "cannot list", store.string()));
  }
  std::sort(out.begin(), out.end(),
            [](const Info& a, const Info& b) { return a.name.time < b.name.time; });
  return out;
}

Result<Info> find(const fs::path& store, const std::string& name)
{
  auto all = HEMERA_TRY(list(store));
  if (name == "latest") {
    if (all.empty()) {
      return fail(Errc::no_input, "the snapshot store holds no snapshot", store.string());
    }
    return all.back();
  }
  for (auto& i : all) {
    if (i.name.text() == name) {
      return i;
    }
  }
  return fail(Errc::no_input, fmt::format("no snapshot named '{}'", name), store.string());
}

Result<CreateReport> create(archive::Archive& archive, const CreateOptions& options)
{
  auto started = std::chrono::steady_clock::now();
  const archive::Layout& l = archive.layout();
  const fs::path& store = options.store;
  HEMERA_TRY(check_apart(l.root, store));
  HEMERA_TRY(ensure_store(store));
  auto store_lock = HEMERA_TRY(lock_store(store));
  HEMERA_TRY(clean_partials(store));

  CreateReport report;
  std::int64_t t = options.now != 0 ? options.now : HEMERA_TRY(now());
  auto existing = HEMERA_TRY(list(store));
  report.name = Name{t, options.cls ? *options.cls : classify(t, names_of(existing))};
  std::string name = report.name.text();
  for (const auto& e : existing) {
    if (e.name.text().substr(0, 18) == name.substr(0, 18)) {
      return fail(Errc::cant_create, "a snapshot of this second exists already",
                  e.path.string());
    }
    if (e.name.time > t) {
      log::warn("snapshot: {} is newer than this snapshot's time", e.name.text());
    }
  }
  std::optional<fs::path> prev_root;
  std::map<std::string, checksum::Digest> prev_hashes;
  std::optional<checksum::Digest> prev_db_digest;
  std::string db_key = std::string(k_tree) + "/.hemera/hemera.db";
  if (!existing.empty()) {
    const Info& prev = existing.back();
    report.base = prev.name.text();
    prev_root = prev.path / k_tree;
    auto m = read_manifest(prev.path / checksum::k_manifest_name,
                           report.base + "/" + checksum::k_manifest_name);
    if (m) {
      prev_hashes = std::move(*m);
      if (auto it = prev_hashes.find(db_key); it != prev_hashes.end()) {
        prev_db_digest = it->second;
      }
    } else {
      log::warn("snapshot: previous snapshot's manifest unreadable ({}); copying everything",
                m.error().to_string());
      prev_root.reset();
    }
  }
  fs::path partial = store / k_partial / name;
  HEMERA_TRY(make_dir(partial));
  fs::path tree = partial / k_tree;
  Copier copier(l.root, tree, prev_root, std::move(prev_hashes), report);
  for (const char* s : {"hemera.db", "hemera.db-wal", "hemera.db-shm", "hemera.db-journal",
                        "locks", "staging", "journal", "audit.log"}) {
    copier.skip().insert(s);
  }
  struct stat root_st {};
  if (!lstat_path(l.root, root_st)) {
    return tl::unexpected(errno_error(errno, "cannot stat", l.root.string()));
  }

  // First, without any lock, the immutable files: new versions are copied
  // while ingests and other tools run freely.
  copier.immutable_only(true);
  HEMERA_TRY(copier.dir(fs::path(), root_st));
  copier.immutable_only(false);
  crash_point("snapshot-after-immutable");
  {
    // No commit can finish (append its journal event) while this is held:
    // the tree, the staged commits, the database and the journal agree.
    auto journal_lock = HEMERA_TRY(util::FileLock::acquire(l.locks() / "journal.lock"));
    HEMERA_TRY(copier.dir(fs::path(), root_st));
    crash_point("snapshot-after-tree");
    fs::path state = tree / ".hemera";
    HEMERA_TRY(make_dir(state / "locks", 0755));
    // Commits past their commit point keep intent.json (and revision.json)
    // so that the restored archive completes them.
    HEMERA_TRY(make_dir(state / "staging", 0755));
    {
      std::error_code ec;
      for (fs::directory_iterator it(l.staging(), ec), end; !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (!lstat_path(it->path() / "intent.json", st)) {
          continue;
        }
        fs::path rel = fs::path(".hemera/staging") / it->path().filename();
        HEMERA_TRY(make_dir(tree / rel));
        for (const char* f : {"intent.json", "revision.json"}) {
          struct stat fst {};
          if (lstat_path(it->path() / f, fst) && S_ISREG(fst.st_mode)) {
            std::optional<std::map<std::string, checksum::Digest>> none;
            HEMERA_TRY(copier.file(rel / f, fst, false, none));
          }
        }
      }
    }
    fs::path db_copy = state / "hemera.db";
    HEMERA_TRY(backup_database(l.database(), db_copy));
    struct stat dbst {};
    if (lstat_path(l.database(), dbst)) {
      ::chmod(db_copy.c_str(), dbst.st_mode & 07777);
    }
    auto db_hash = HEMERA_TRY(checksum::hash_file(db_copy));
    ++report.files;
    report.bytes += db_hash.size;
    // An unchanged database becomes a link to the previous copy.
    bool linked = false;
    if (prev_root && prev_db_digest && *prev_db_digest == db_hash.digest) {
      fs::path prev_db = *prev_root / ".hemera/hemera.db";
      {
        fs::path tmp = db_copy;
        tmp += ".link";
        if (::link(prev_db.c_str(), tmp.c_str()) == 0 && ::rename(tmp.c_str(), db_copy.c_str()) == 0) {
          linked = true;
          ++report.files_linked;
        }
      }
    }
    if (!linked) {
      ++report.files_copied;
      report.bytes_copied += db_hash.size;
    }
    copier.hashes()[db_key] = db_hash.digest;
    {
      auto audit_lock = HEMERA_TRY(util::FileLock::acquire(l.locks() / "audit.lock"));
      for (const char* f : {"journal", "audit.log"}) {
        struct stat fst {};
        if (lstat_path(l.state() / f, fst) && S_ISREG(fst.st_mode)) {
          std::optional<std::map<std::string, checksum::Digest>> none;
          HEMERA_TRY(copier.file(fs::path(".hemera") / f, fst, false, none));
        }
      }
    }
    report.journal_seq = HEMERA_TRY(last_journal_seq(state / "journal"));
  }
  crash_point("snapshot-after-state");
  if (!report.problems.empty()) {
    HEMERA_TRY(copier.finish_dirs());
    HEMERA_TRY(archive::remove_tree(partial));
    report.complete = false;
    return report;
  }
  bool config = false;
  if (options.config_file) {
    struct stat cst {};
    if (lstat_path(*options.config_file, cst) && S_ISREG(cst.st_mode)) {
      HEMERA_TRY(make_dir(partial / k_config_dir));
      fs::path dst = partial / k_config_dir / k_config_name;
      auto h = HEMERA_TRY(copy_hash(*options.config_file, dst, 0600));
      copier.hashes()[std::string(k_config_dir) + "/" + k_config_name] = h.digest;
      config = true;
    }
  }
  HEMERA_TRY(copier.finish_dirs());
  report.seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json meta = {{"format", 1},
               {"name", name},
               {"class", class_name(report.name.cls)},
               {"time", iso8601(t)},
               {"archive", l.root.string()},
               {"base", report.base.empty() ? json(nullptr) : json(report.base)},
               {"journal_seq", report.journal_seq},
               {"files", report.files},
               {"files_linked", report.files_linked},
               {"files_copied", report.files_copied},
               {"bytes", report.bytes},
               {"bytes_copied", report.bytes_copied},
               {"config", config},
               {"seconds", report.seconds}};
  HEMERA_TRY(write_snapshot_files(partial, meta, copier.hashes()));
  crash_point("snapshot-before-rename");
  HEMERA_TRY(sync_filesystem(partial));
  report.path = store / name;
  if (::rename(partial.c_str(), report.path.c_str()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot move the snapshot into place",
                                      report.path.string()));
  }
  HEMERA_TRY(util::fsync_dir(store));
  report.complete = true;
  return report;
}

Result<PruneReport> prune(const fs::path& store, const Retention& keep, bool dry_run)
{
  auto all = HEMERA_TRY(list(store));
  auto store_lock = HEMERA_TRY(lock_store(store));
  PruneReport report;
  all = HEMERA_TRY(list(store));
  auto remove = to_remove(names_of(all), keep);
  std::set<std::string> doomed;
  for (const auto& n : remove) {
    doomed.insert(n.text());
  }
  for (const auto& i : all) {
    std::string n = i.name.text();
    (doomed.count(n) != 0 ? report.removed : report.kept).push_back(n);
  }
  if (dry_run) {
    return report;
  }
  report.partials_removed = HEMERA_TRY(clean_partials(store));
  HEMERA_TRY(make_dir(store / k_partial));
  for (const auto& n : report.removed) {
    fs::path from = store / n;
    fs::path to = store / k_partial / (n + ".removing");
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return tl::unexpected(errno_error(errno, "cannot move aside", from.string()));
    }
    HEMERA_TRY(util::fsync_dir(store));
    HEMERA_TRY(archive::remove_tree(to));
  }
  return report;
}

namespace {

// One file to check: its path in the snapshot and the expected digest.
struct Expected {
  fs::path rel;   // relative to the snapshot directory
  checksum::Digest digest;
};

// Walk a snapshot: every file with its expected digest, and the files that no
// manifest names, and the manifest entries without a file.
Result<void> plan_snapshot(const fs::path& snap, std::vector<Expected>& out,
                           std::vector<Problem>& problems)
{
  auto top = HEMERA_TRY(read_manifest(snap / checksum::k_manifest_name, checksum::k_manifest_name));
  std::set<std::string> seen;
  std::vector<fs::path> stack{fs::path()};
  while (!stack.empty()) {
    fs::path rel = stack.back();
    stack.pop_back();
    fs::path abs = snap / rel;
    bool in_tree = !rel.empty() && *rel.begin() == k_tree;
    fs::path arel = in_tree ? rel.lexically_relative(k_tree) : fs::path();
    bool version = in_tree && is_version_dir(arel, abs);
    std::optional<std::map<std::string, checksum::Digest>> manifest;
    if (version) {
      manifest = HEMERA_TRY(read_manifest(abs / checksum::k_manifest_name,
                                          rel_string(rel / checksum::k_manifest_name)));
    }
    std::set<std::string> here;
    std::error_code ec;
    for (fs::directory_iterator it(abs, ec), end; !ec && it != end; it.increment(ec)) {
      std::string name = it->path().filename().string();
      fs::path crel = rel / name;
      auto type = it->symlink_status().type();
      if (type == fs::file_type::directory) {
        stack.push_back(crel);
        continue;
      }
      if (rel.empty() && (name == k_meta || name == checksum::k_manifest_name)) {
        continue;
      }
      if (type != fs::file_type::regular) {
        problems.push_back({rel_string(crel), "snapshot.unexpected", "not a regular file"});
        continue;
      }
      if (version && name != checksum::k_manifest_name) {
        here.insert(name);
        auto m = manifest->find(name);
        if (m == manifest->end()) {
          problems.push_back({rel_string(crel), "snapshot.unexpected",
                              "not in its version's manifest"});
        } else {
          out.push_back({crel, m->second});
        }
        continue;
      }
      std::string key = rel_string(crel);
      seen.insert(key);
      auto m = top.find(key);
      if (m == top.end()) {
        problems.push_back({key, "snapshot.unexpected", "not in the snapshot's manifest"});
      } else {
        out.push_back({crel, m->second});
      }
    }
    if (ec) {
      return tl::unexpected(errno_error(ec.value(), "cannot list", abs.string()));
    }
    if (version) {
      for (const auto& [name, digest] : *manifest) {
        if (here.count(name) == 0) {
          problems.push_back({rel_string(rel / name), "snapshot.missing",
                              "listed in its version's manifest but absent"});
        }
      }
    }
  }
  for (const auto& [key, digest] : top) {
    if (seen.count(key) == 0) {
      problems.push_back({key, "snapshot.missing", "listed in the snapshot's manifest but absent"});
    }
  }
  return {};
}

}  // namespace

Result<VerifyReport> verify(const fs::path& store, const std::string& name, unsigned jobs)
{
  auto info = HEMERA_TRY(find(store, name));
  VerifyReport report;
  report.name = info.name.text();
  std::vector<Expected> plan;
  HEMERA_TRY(plan_snapshot(info.path, plan, report.problems));
  std::vector<fs::path> paths;
  paths.reserve(plan.size());
  for (const auto& e : plan) {
    paths.push_back(info.path / e.rel);
  }
  auto hashes = checksum::hash_files(paths, jobs);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    ++report.files;
    if (!hashes[i]) {
      report.problems.push_back({rel_string(plan[i].rel), "snapshot.unreadable",
                                 hashes[i].error().message});
      continue;
    }
    report.bytes += hashes[i]->size;
    if (!(hashes[i]->digest == plan[i].digest)) {
      report.problems.push_back(
        {rel_string(plan[i].rel), "snapshot.mismatch",
         fmt::format("expected {}, read {}", plan[i].digest.hex(), hashes[i]->digest.hex())});
    }
  }
  std::sort(report.problems.begin(), report.problems.end(),
            [](const Problem& a, const Problem& b) { return a.file < b.file; });
  return report;
}

Result<RestoreReport> restore(const fs::path& store, const std::string& name, const fs::path& to_in,
                              const std::function<Result<void>(archive::Archive&)>& authorize)
{
  auto info = HEMERA_TRY(find(store, name));
  RestoreReport report;
  report.name = info.name.text();
  std::error_code ec;
  fs::path to = fs::absolute(to_in, ec).lexically_normal();
  if (to.filename().empty()) {
    to = to.parent_path();
  }
  report.to = to;
  struct stat tst {};
  if (lstat_path(to, tst)) {
    if (!S_ISDIR(tst.st_mode) || !fs::is_empty(to, ec)) {
      return fail(Errc::cant_create, "restore target exists and is not an empty directory",
                  to.string());
    }
  }
  HEMERA_TRY(check_apart(to, store));
  HEMERA_TRY(util::make_dirs(to.parent_path()));
  auto store_lock = HEMERA_TRY(lock_store(store));

  std::vector<Expected> plan;
  HEMERA_TRY(plan_snapshot(info.path, plan, report.problems));
  if (!report.problems.empty()) {
    return report;
  }
  fs::path partial = to.parent_path() / fmt::format(".{}.restoring", to.filename().string());
  HEMERA_TRY(archive::remove_tree(partial));
  HEMERA_TRY(make_dir(partial));
  std::vector<std::pair<fs::path, struct stat>> dirs;
  // Directories first (parents before children), files, then directory modes.
  std::vector<fs::path> stack{fs::path()};
  fs::path src_tree = info.path / k_tree;
  while (!stack.empty()) {
    fs::path rel = stack.back();
    stack.pop_back();
    for (fs::directory_iterator it(src_tree / rel, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->symlink_status().type() == fs::file_type::directory) {
        fs::path crel = rel / it->path().filename();
        HEMERA_TRY(make_dir(partial / crel));
        struct stat st {};
        if (lstat_path(it->path(), st)) {
          dirs.emplace_back(partial / crel, st);
        }
        stack.push_back(crel);
      }
    }
    if (ec) {
      return tl::unexpected(errno_error(ec.value(), "cannot list", (src_tree / rel).string()));
    }
  }
  for (const auto& e : plan) {
    if (e.rel.empty() || *e.rel.begin() != k_tree) {
      continue;
    }
    fs::path arel = e.rel.lexically_relative(k_tree);
    fs::path src = info.path / e.rel;
    struct stat st {};
    if (!lstat_path(src, st)) {
      return tl::unexpected(errno_error(errno, "cannot stat", src.string()));
    }
    fs::path dst = partial / arel;
    auto h = HEMERA_TRY(copy_hash(src, dst, st.st_mode & 07777));
    HEMERA_TRY(set_times(dst, st));
    ++report.files;
    report.bytes += h.size;
    if (!(h.digest == e.digest)) {
      report.problems.push_back({rel_string(e.rel), "snapshot.mismatch",
                                 fmt::format("expected {}, read {}", e.digest.hex(),
                                             h.digest.hex())});
    }
  }
  if (!report.problems.empty()) {
    HEMERA_TRY(archive::remove_tree(partial));
    return report;
  }
  fs::path cfg = info.path / k_config_dir / k_config_name;
  struct stat cst {};
  if (lstat_path(cfg, cst)) {
    HEMERA_TRY(make_dir(partial / ".hemera"));
    HEMERA_TRY(copy_hash(cfg, partial / ".hemera/restored-config.yaml", 0600));
    report.config = true;
  }
  std::reverse(dirs.begin(), dirs.end());
  for (const auto& [path, st] : dirs) {
    ::chmod(path.c_str(), st.st_mode & 07777);
    HEMERA_TRY(set_times(path, st));
  }
  struct stat rst {};
  if (lstat_path(src_tree, rst)) {
    ::chmod(partial.c_str(), rst.st_mode & 07777);
  }
  {
    // Opening completes commits the snapshot caught past their commit point.
    auto restored = archive::Archive::open(partial);
    if (!restored) {
      (void)archive::remove_tree(partial);
      return tl::unexpected(restored.error());
    }
    if (authorize) {
      auto allowed = authorize(*restored);
      if (!allowed) {
        (void)archive::remove_tree(partial);
        return tl::unexpected(allowed.error());
      }
    }
  }
  HEMERA_TRY(sync_filesystem(partial));
  if (::rename(partial.c_str(), to.c_str()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot move the restored archive into place",
                                      to.string()));
  }
  HEMERA_TRY(util::fsync_dir(to.parent_path()));
  return report;
}

}  // namespace hemera::snapshot
