// SPDX-License-Identifier: Apache-2.0
#include <hemera/verify/verify.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>

namespace hemera::verify {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_batch_rows = 500;      // rows per database statement
constexpr double k_commit_seconds = 10.0;      // commit results at least this often
constexpr std::size_t k_commit_files = 2048;    // and whenever this many are waiting
constexpr const char* k_record_file = "metadata.json";
constexpr const char* k_record_dir = "metadata";

// The result of hashing one file.
struct Outcome {
  bool reached = false;  // hashed (or tried) in this run
  bool ok = false;
  Result<checksum::FileHash> hash;
};

// One payload file listed by a manifest.
struct Entry {
  std::string file;  // relative to the root
  std::string dataset;
  int version = 0;
  std::string path;  // relative to the version directory
  std::uint32_t name_at = 0;  // where `path` starts in `file`
  checksum::Digest expected;
  std::uint64_t size = 0;  // from lstat
  std::optional<std::uint64_t> journal_size;
  // From hemera.db:
  bool known = false;
  std::int64_t added_at = 0;
  std::optional<std::int64_t> verified_at;
  std::optional<std::uint64_t> good_size;
  std::string status;
  std::string detail;
  std::int64_t checked_at = 0;
  // From this run's hashing (written by the worker that hashed the file):
  Outcome outcome;
};

// One dataset directory found in the tree.
struct DatasetDir {
  std::string rel;  // DATB/campaign/<uuid>
  std::string uuid;
  std::string collection;  // DATB/campaign
};

struct Scan {
  std::vector<DatasetDir> datasets;
  std::vector<Problem> stray;  // files outside any dataset
};

std::string rel_of(const fs::path& p, const fs::path& root)
{
  // Paths here are built from `root`: cut the prefix rather than compute.
  const std::string& ps = p.native();
  const std::string& rs = root.native();
  if (ps.size() > rs.size() && ps.compare(0, rs.size(), rs) == 0 && ps[rs.size()] == '/') {
    return ps.substr(rs.size() + 1);
  }
  return p.lexically_relative(root).generic_string();
}

// Return the type of a directory entry without following a symbolic link,
// from the type the directory listing gave when it gave one (no stat).
fs::file_type entry_type(const fs::directory_entry& e)
{
  std::error_code ec;
  if (e.is_symlink(ec)) {
    return fs::file_type::symlink;
  }
  if (e.is_directory(ec)) {
    return fs::file_type::directory;
  }
  if (e.is_regular_file(ec)) {
    return fs::file_type::regular;
  }
  return e.symlink_status(ec).type();
}

Problem make_problem(std::string rule, validate::Severity sev, std::string file,
                     std::string message, std::int64_t now)
{
  Problem p;
  p.finding.file = std::move(file);
  p.finding.format = "archive";
  p.finding.severity = sev;
  p.finding.rule = std::move(rule);
  p.finding.message = std::move(message);
  p.seen_at = now;
  return p;
}

bool is_uuid_name(const std::string& name)
{
  return name.size() == 36 && uuid::parse(name).has_value();
}

// Return N for "v<N>" (no leading zero), or 0.
int version_number(const std::string& name)
{
  if (name.size() < 2 || name[0] != 'v' || name[1] == '0' || name.size() > 10) {
    return 0;
  }
  int n = 0;
  for (std::size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return 0;
    }
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

// Return N for "NNNN.json" (at least four digits), or 0.
int revision_number(const std::string& name)
{
  if (name.size() < 9 || name.substr(name.size() - 5) != ".json") {
    return 0;
  }
  int n = 0;
  for (std::size_t i = 0; i + 5 < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || i > 8) {
      return 0;
    }
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

Problem io_problem(const Error& e, const std::string& file, std::int64_t now)
{
  Problem p = make_problem("fixity.unreadable", validate::Severity::error, file,
                           fmt::format("could not be checked: {}", e.message), now);
  p.unverified = true;
  p.transient = e.code == Errc::temp_fail;
  return p;
}

// Walk DATB/ and DASB/ down to the dataset directories (<uuid>), at most
// three collection levels deep; files on the way are strays.
Result<Scan> scan_tree(const fs::path& root, std::int64_t now)
{
  Scan out;
  for (const char* top : {"DATB", "DASB"}) {
    struct Item {
      fs::path dir;
      int depth;
    };
    std::vector<Item> todo{{root / top, 0}};
    while (!todo.empty()) {
      Item it = todo.back();
      todo.pop_back();
      std::error_code ec;
      fs::directory_iterator di(it.dir, ec);
      if (ec) {
        if (ec.value() == ENOENT && it.depth == 0) {
          continue;
        }
        out.stray.push_back(io_problem(errno_error(ec.value(), "cannot list", it.dir.string()),
                                       rel_of(it.dir, root), now));
        continue;
      }
      std::vector<fs::directory_entry> entries(fs::begin(di), fs::end(di));
      std::sort(entries.begin(), entries.end());
      for (const auto& e : entries) {
        std::string name = e.path().filename().string();
        if (entry_type(e) == fs::file_type::directory) {
          if (it.depth >= 1 && is_uuid_name(name)) {
            out.datasets.push_back(DatasetDir{rel_of(e.path(), root), name, rel_of(it.dir, root)});
          } else if (it.depth < 3) {
            todo.push_back(Item{e.path(), it.depth + 1});
          } else {
            out.stray.push_back(make_problem("fixity.unexpected", validate::Severity::error,
                                             rel_of(e.path(), root),
                                             "unexpected directory (not a dataset)", now));
          }
        } else {
          out.stray.push_back(make_problem("fixity.unexpected", validate::Severity::error,
                                           rel_of(e.path(), root),
                                           "unexpected file outside any dataset", now));
        }
      }
    }
  }
  std::sort(out.datasets.begin(), out.datasets.end(),
            [](const DatasetDir& a, const DatasetDir& b) { return a.rel < b.rel; });
  return out;
}

bool in_collection(const DatasetDir& d, const std::string& want_in)
{
  if (want_in.empty()) {
    return true;
  }
  std::string want = want_in;
  while (!want.empty() && want.back() == '/') {
    want.pop_back();
  }
  for (const std::string& base : {d.collection, d.collection.substr(5)}) {
    if (base == want || base.rfind(want + "/", 0) == 0) {
      return true;
    }
  }
  return false;
}

// Everything known about the datasets in scope, before hashing.
// A dataset's record revisions, listed by the walk and compared with the
// journal later (Walker::defer).
struct RecordList {
  bool has_current = false;
  std::map<int, std::string> revisions;
};

struct Inventory {
  std::vector<Entry> entries;
  std::optional<RecordList> records;  // when deferred
  std::vector<Problem> problems;
  std::size_t versions = 0;
  std::size_t listed = 0;  // manifest entries
  std::size_t tag_files = 0;
  std::uint64_t tag_bytes = 0;
};

struct Walker {
  const fs::path& root;
  const std::optional<RecordHashes>& hashes;
  std::int64_t now;
  Inventory& inv;
  bool defer = false;  // list the record revisions into inv.records; compare later

  Problem problem(std::string rule, std::string file, std::string message, const DatasetDir& d,
                  int version = 0, std::string path = {})
  {
    Problem p = make_problem(std::move(rule), validate::Severity::error, std::move(file),
                             std::move(message), now);
    p.dataset = d.uuid;
    p.version = version;
    p.path = std::move(path);
    return p;
  }

  Result<std::string> read_tag(const fs::path& p)
  {
    auto text = util::read_file(p);
    if (text) {
      ++inv.tag_files;
      inv.tag_bytes += text->size();
    }
    return text;
  }

  // List every non-directory below `dir` (relative to it), sorted.
  void list_files(const fs::path& dir, const DatasetDir& d, int version,
                  std::vector<std::pair<std::string, fs::file_status>>& out)
  {
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, ec);
    if (ec) {
      auto p = io_problem(errno_error(ec.value(), "cannot list", dir.string()), rel_of(dir, root), now);
      p.dataset = d.uuid;
      p.version = version;
      inv.problems.push_back(std::move(p));
      return;
    }
    for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      if (ec) {
        auto p = io_problem(errno_error(ec.value(), "cannot list", dir.string()), rel_of(dir, root),
                            now);
        p.dataset = d.uuid;
        p.version = version;
        inv.problems.push_back(std::move(p));
        break;
      }
      auto type = entry_type(*it);
      if (type == fs::file_type::directory) {
        continue;
      }
      out.emplace_back(rel_of(it->path(), dir), fs::file_status(type));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }

  void version_dir(const DatasetDir& d, const fs::path& vdir, int version)
  {
    ++inv.versions;
    std::string vrel = rel_of(vdir, root);
    std::vector<std::pair<std::string, fs::file_status>> files;
    list_files(vdir, d, version, files);
    std::map<std::string, fs::file_status> present(files.begin(), files.end());
    auto manifest_path = vdir / checksum::k_manifest_name;
    auto mit = present.find(checksum::k_manifest_name);
    std::vector<checksum::ManifestEntry> manifest;
    bool manifest_ok = false;
    if (mit == present.end()) {
      inv.problems.push_back(problem("manifest.missing", vrel + "/" + checksum::k_manifest_name,
                                     "the version has no manifest: its files cannot be checked",
                                     d, version));
      inv.problems.back().unverified = true;
    } else {
      present.erase(mit);
      auto text = read_tag(manifest_path);
      if (!text) {
        auto p = io_problem(text.error(), vrel + "/" + checksum::k_manifest_name, now);
        p.dataset = d.uuid;
        p.version = version;
        inv.problems.push_back(std::move(p));
      } else {
        auto parsed = checksum::parse_manifest(*text, vrel + "/" + checksum::k_manifest_name);
        if (!parsed) {
          Problem p = problem(parsed.error().rule.empty() ? "manifest.syntax" : parsed.error().rule,
                              vrel + "/" + checksum::k_manifest_name,
                              parsed.error().message + "; the version's files cannot be checked",
                              d, version);
          // "file:line" -> the line number
          auto colon = parsed.error().where.rfind(':');
          if (colon != std::string::npos) {
            p.finding.location.line = std::strtoll(parsed.error().where.c_str() + colon + 1, nullptr, 10);
          }
          p.unverified = true;
          inv.problems.push_back(std::move(p));
        } else {
          manifest = std::move(*parsed);
          manifest_ok = true;
        }
      }
    }
    inv.listed += manifest.size();
    for (const auto& m : manifest) {
      std::string file = vrel + "/" + m.path;
      auto it = present.find(m.path);
      if (it == present.end()) {
        Problem p = problem("fixity.missing", file, "listed in the manifest but missing", d, version, m.path);
        p.expected = m.digest.hex();
        // A missing directory on the way may be unreadable rather than absent.
        struct stat st {};
        if (::lstat((vdir / m.path).c_str(), &st) == 0) {
          p = problem("fixity.not-regular", file, "not a regular file", d, version, m.path);
        } else if (errno != ENOENT && errno != ENOTDIR) {
          p = io_problem(errno_error(errno, "cannot stat", file), file, now);
          p.dataset = d.uuid;
          p.version = version;
          p.path = m.path;
        }
        inv.problems.push_back(std::move(p));
        continue;
      }
      if (it->second.type() != fs::file_type::regular) {
        inv.problems.push_back(problem("fixity.not-regular", file,
                                       it->second.type() == fs::file_type::symlink
                                         ? "a symbolic link where the manifest lists a file"
                                         : "not a regular file",
                                       d, version, m.path));
        present.erase(it);
        continue;
      }
      present.erase(it);
      Entry e;
      e.file = file;
      e.name_at = static_cast<std::uint32_t>(vrel.size() + 1);
      e.dataset = d.uuid;
      e.version = version;
      e.path = m.path;
      e.expected = m.digest;
      inv.entries.push_back(std::move(e));
    }
    if (manifest_ok) {
      for (const auto& [name, st] : present) {
        inv.problems.push_back(problem("fixity.unexpected", vrel + "/" + name,
                                       "present but not listed in the manifest", d, version, name));
      }
    }
  }

  void records(const DatasetDir& d, const fs::path& ddir, bool has_current,
               const std::map<int, std::string>& revisions)
  {
    std::string drel = d.rel;
    // Each revision against the journal.
    const std::map<int, checksum::Digest>* journaled = nullptr;
    if (hashes) {
      auto it = hashes->find(d.uuid);
      static const std::map<int, checksum::Digest> k_none;
      journaled = it == hashes->end() ? &k_none : &it->second;
    }
    std::string newest_text;
    bool newest_read = false;
    for (const auto& [n, name] : revisions) {
      std::string file = drel + "/" + k_record_dir + "/" + name;
      auto text = read_tag(ddir / k_record_dir / name);
      if (!text) {
        auto p = io_problem(text.error(), file, now);
        p.dataset = d.uuid;
        inv.problems.push_back(std::move(p));
        newest_read = false;
        continue;
      }
      newest_text = std::move(*text);
      newest_read = true;
      if (journaled != nullptr) {
        auto j = journaled->find(n);
        auto actual = checksum::sha256(newest_text);
        if (j == journaled->end()) {
          inv.problems.push_back(problem("record.unjournaled", file,
                                         "record revision not in the journal", d, 0,
                                         std::string(k_record_dir) + "/" + name));
        } else if (!(j->second == actual)) {
          Problem p = problem("record.revision", file,
                              "record revision differs from the hash in the journal", d, 0,
                              std::string(k_record_dir) + "/" + name);
          p.expected = j->second.hex();
          p.actual = actual.hex();
          inv.problems.push_back(std::move(p));
        }
      }
    }
    if (journaled != nullptr) {
      for (const auto& [n, digest] : *journaled) {
        if (revisions.count(n) == 0) {
          std::string rel = fmt::format("{}/{:04d}.json", k_record_dir, n);
          Problem p = problem("record.missing", drel + "/" + rel,
                              "journaled record revision is missing", d, 0, rel);
          p.expected = digest.hex();
          inv.problems.push_back(std::move(p));
        }
      }
    }
    if (revisions.empty()) {
      inv.problems.push_back(problem("record.missing", drel + "/" + k_record_dir + "/0001.json",
                                     "the dataset has no record revision", d));
    }
    if (!has_current) {
      inv.problems.push_back(problem("record.missing", drel + "/" + k_record_file,
                                     "the dataset has no current record (metadata.json)", d, 0,
                                     k_record_file));
    } else {
      auto cur = read_tag(ddir / k_record_file);
      if (!cur) {
        auto p = io_problem(cur.error(), drel + "/" + k_record_file, now);
        p.dataset = d.uuid;
        inv.problems.push_back(std::move(p));
      } else {
        // The current record is a copy of the newest revision: compare with
        // the journaled hash of that revision when there is one.
        std::optional<checksum::Digest> want;
        if (journaled != nullptr && !revisions.empty()) {
          auto j = journaled->find(revisions.rbegin()->first);
          if (j != journaled->end()) {
            want = j->second;
          }
        }
        if (!want && newest_read) {
          want = checksum::sha256(newest_text);
        }
        auto actual = checksum::sha256(*cur);
        if (want && !(*want == actual)) {
          Problem p = problem("record.current", drel + "/" + k_record_file,
                              "metadata.json differs from the newest record revision", d, 0,
                              k_record_file);
          p.expected = want->hex();
          p.actual = actual.hex();
          inv.problems.push_back(std::move(p));
        }
      }
    }
  }

  void dataset(const DatasetDir& d)
  {
    fs::path ddir = root / d.rel;
    std::error_code ec;
    fs::directory_iterator di(ddir, ec);
    if (ec) {
      auto p = io_problem(errno_error(ec.value(), "cannot list", ddir.string()), d.rel, now);
      p.dataset = d.uuid;
      inv.problems.push_back(std::move(p));
      return;
    }
    std::vector<fs::directory_entry> entries(fs::begin(di), fs::end(di));
    std::sort(entries.begin(), entries.end());
    bool has_current = false;
    std::map<int, std::string> revisions;
    std::map<int, fs::path> versions;
    for (const auto& e : entries) {
      std::string name = e.path().filename().string();
      auto type = entry_type(e);
      bool is_dir = type == fs::file_type::directory;
      bool is_file = type == fs::file_type::regular;
      if (name == k_record_file && is_file) {
        has_current = true;
      } else if (name == k_record_dir && is_dir) {
        fs::directory_iterator ri(e.path(), ec);
        if (ec) {
          auto p = io_problem(errno_error(ec.value(), "cannot list", e.path().string()),
                              rel_of(e.path(), root), now);
          p.dataset = d.uuid;
          inv.problems.push_back(std::move(p));
          continue;
        }
        for (const auto& r : ri) {
          std::string rname = r.path().filename().string();
          int n = revision_number(rname);
          if (n > 0 && entry_type(r) == fs::file_type::regular && revisions.count(n) == 0) {
            revisions[n] = rname;
          } else {
            inv.problems.push_back(problem("fixity.unexpected", rel_of(r.path(), root),
                                           "not a record revision (metadata/NNNN.json)", d, 0,
                                           std::string(k_record_dir) + "/" + rname));
          }
        }
      } else if (int v = version_number(name); v > 0 && is_dir) {
        versions[v] = e.path();
      } else {
        inv.problems.push_back(problem("fixity.unexpected", rel_of(e.path(), root),
                                       "unexpected in a dataset (expected metadata.json, "
                                       "metadata/ and v<N>/)",
                                       d, 0, name));
      }
    }
    if (defer) {
      inv.records = RecordList{has_current, std::move(revisions)};
    } else {
      records(d, ddir, has_current, revisions);
    }
    if (versions.empty()) {
      inv.problems.push_back(problem("fixity.missing", d.rel + "/v1",
                                     "the dataset has no version directory", d));
    }
    int expect = 1;
    for (const auto& [v, path] : versions) {
      if (v != expect) {
        inv.problems.push_back(problem("fixity.missing", fmt::format("{}/v{}", d.rel, expect),
                                       fmt::format("version {} is missing (found v{})", expect, v),
                                       d, expect));
      }
      expect = v + 1;
      version_dir(d, path, v);
    }
  }
};

std::int64_t clock_now()
{
  return static_cast<std::int64_t>(std::time(nullptr));
}

// Run `sql_template` once per chunk of `rows`, with "(?,?,…)" groups of
// `width` anonymous parameters substituted for "{values}". The `fixed_head`
// parameters are bound first: their '?' must come before "{values}" in the
// text. (Anonymous parameters: numbered ones cost SQLite quadratic time.)
Result<void> exec_chunked(db::Database& db, const std::string& sql_template, std::size_t width,
                          const std::vector<db::Value>& fixed_head,
                          const std::vector<std::vector<db::Value>>& rows)
{
  std::string group = "(";
  for (std::size_t c = 0; c < width; ++c) {
    group += c == 0 ? "?" : ",?";
  }
  group += ")";
  for (std::size_t start = 0; start < rows.size(); start += k_batch_rows) {
    std::size_t end = std::min(rows.size(), start + k_batch_rows);
    std::vector<db::Value> params = fixed_head;
    params.reserve(fixed_head.size() + (end - start) * width);
    std::string groups;
    groups.reserve((end - start) * (group.size() + 1));
    for (std::size_t r = start; r < end; ++r) {
      if (r != start) {
        groups += ',';
      }
      groups += group;
      for (std::size_t c = 0; c < width; ++c) {
        params.push_back(rows[r][c]);
      }
    }
    std::string sql = sql_template;
    sql.replace(sql.find("{values}"), 8, groups);
    HEMERA_TRY(db.exec(sql, params));
  }
  return {};
}

Result<void> transaction(db::Database& db, const std::function<Result<void>()>& body)
{
  HEMERA_TRY(db.exec_script("BEGIN IMMEDIATE"));
  auto r = body();
  if (!r) {
    (void)db.exec_script("ROLLBACK");
    return r;
  }
  return db.exec_script("COMMIT");
}

// Writes per-file outcomes to hemera.db without making the hashing workers
// wait: workers hand over entries; a thread of its own commits what is done
// every k_commit_seconds (so a killed run keeps its progress) and whenever
// k_commit_files are waiting (so the writes overlap the hashing), and
// finish() writes the rest. When the inventory is still being made as files
// are hashed, `load` runs first on that thread (reading hemera.db meanwhile)
// and `merge` once ready() says the inventory is complete, before any write.
class Recorder {
 public:
  Recorder(db::Database& db, std::string site, std::int64_t now,
           std::function<Result<void>()> load = {}, std::function<Result<void>()> merge = {})
    : m_db(db), m_site(std::move(site)), m_now(now), m_load(std::move(load)),
      m_merge(std::move(merge)), m_merged(!m_merge), m_ready(!m_merge)
  {
    m_thread = std::thread([this] { committer(); });
  }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;
  ~Recorder() { stop(); }

  // Hand over entry `e`, whose outcome is set.
  void done(const Entry* e)
  {
    bool wake = false;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_pending.push_back(e);
      wake = m_pending.size() == k_commit_files;
    }
    if (wake) {
      m_wake.notify_one();
    }
  }

  // Say that the inventory is complete: `merge` may run.
  void ready()
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_ready = true;
    }
    m_wake.notify_one();
  }

  // Return whether loading or a commit failed (workers stop starting files then).
  [[nodiscard]] bool failed() const { return m_failed.load(); }

  // Stop the committer and write every outcome not written yet (after the
  // merge, if it has not run yet: call ready() first).
  Result<void> finish()
  {
    stop();
    if (m_error) {
      return tl::unexpected(*m_error);
    }
    if (!m_merged && m_merge) {
      HEMERA_TRY(m_merge());
      m_merged = true;
    }
    std::vector<const Entry*> rest;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      rest.swap(m_pending);
    }
    return write(rest);
  }

 private:
  void stop()
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
      m_thread.join();
    }
  }

  void committer()
  {
    if (m_load) {
      if (auto r = m_load(); !r) {
        m_error = r.error();
        m_failed = true;
        return;
      }
    }
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
      if (m_wake.wait_for(lock, std::chrono::duration<double>(k_commit_seconds),
                          [this] {
                            return m_stopping ||
                                   (m_ready && (!m_merged || m_pending.size() >= k_commit_files));
                          }) &&
          m_stopping) {
        return;
      }
      if (!m_ready) {
        continue;  // the inventory is not complete: nothing may be written yet
      }
      std::vector<const Entry*> batch;
      batch.swap(m_pending);
      lock.unlock();
      Result<void> r;
      if (!m_merged) {
        r = m_merge();
        m_merged = true;
      }
      if (r) {
        r = write(batch);
      }
      if (r && !batch.empty()) {
        // Copy the log into the database now, while the workers hash, rather
        // than when the connection closes (a failure here only defers it).
        (void)m_db.exec_script("PRAGMA wal_checkpoint(PASSIVE)");
      }
      lock.lock();
      if (!r) {
        m_error = r.error();
        m_failed = true;
        return;
      }
    }
  }

  // Write the outcomes of `batch` in one transaction: the files found intact
  // again at their known size by a few UPDATEs over lists of paths, the others
  // by one prepared UPDATE each, found through the primary key.
  Result<void> write(const std::vector<const Entry*>& batch)
  {
    if (batch.empty()) {
      return {};
    }
    return transaction(m_db, [&]() -> Result<void> {
      std::vector<std::vector<db::Value>> again;
      std::vector<db::Value> params(6);
      params[0] = m_now;
      params[4] = m_site;
      for (const Entry* e : batch) {
        const Outcome& o = e->outcome;
        if (o.ok && e->known && e->status == "ok" && e->detail.empty() && e->good_size &&
            *e->good_size == o.hash->size) {
          again.push_back({e->file});
          continue;
        }
        if (o.ok) {
          params[1] = "ok";
          params[2] = nullptr;
          params[3] = static_cast<std::int64_t>(o.hash->size);
        } else if (o.hash) {
          params[1] = "mismatch";
          params[2] = o.hash->digest.hex();
          params[3] = static_cast<std::int64_t>(o.hash->size);
        } else {
          params[1] = "unreadable";
          params[2] = o.hash.error().message;
          params[3] = nullptr;
        }
        params[5] = e->file;
        HEMERA_TRY(m_db.exec(
          "UPDATE fixity SET checked_at = ?1, status = ?2, detail = ?3, "
          "verified_at = CASE WHEN ?2 = 'ok' THEN ?1 ELSE verified_at END, "
          "size = CASE WHEN ?2 = 'ok' THEN ?4 ELSE size END "
          "WHERE site = ?5 AND path = ?6",
          params));
      }
      return exec_chunked(m_db,
                          "UPDATE fixity SET checked_at = ?, verified_at = ? "
                          "WHERE site = ? AND path IN (VALUES {values})",
                          1, {m_now, m_now, m_site}, again);
    });
  }

  db::Database& m_db;
  std::string m_site;
  std::int64_t m_now;
  std::function<Result<void>()> m_load;
  std::function<Result<void>()> m_merge;
  bool m_merged;  // committer thread, then finish() after the join
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_ready;
  bool m_stopping = false;
  std::vector<const Entry*> m_pending;
  std::optional<Error> m_error;
  std::atomic<bool> m_failed{false};
  std::thread m_thread;
};

// What one hashing worker keeps between files: the version directory it
// opened last, so each file is opened by its name in that directory.
struct WorkerDir {
  std::string dir;  // relative to the root
  int fd = -1;

  WorkerDir() = default;
  WorkerDir(const WorkerDir&) = delete;
  WorkerDir& operator=(const WorkerDir&) = delete;
  ~WorkerDir()
  {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

// Hash the entry `e` through the worker's directory cache.
Result<checksum::FileHash> hash_entry(const fs::path& root, const Entry& e, WorkerDir& wd,
                                      const checksum::HashOptions& options)
{
  std::string_view file = e.file;
  std::string_view dir = file.substr(0, e.name_at - 1);
  if (wd.fd < 0 || dir != wd.dir) {
    if (wd.fd >= 0) {
      ::close(wd.fd);
    }
    wd.dir.assign(dir);
    wd.fd = ::open((root / wd.dir).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wd.fd < 0) {
      // Opened by the whole path below, for the error it gives.
      return checksum::hash_file(root / e.file, options);
    }
  }
  const char* name = e.file.c_str() + e.name_at;
  return checksum::hash_file_at(wd.fd, name, options, file);
}

}  // namespace

std::string Problem::key() const
{
  return finding.rule + ":" + finding.file;
}

std::size_t Report::failures() const
{
  return static_cast<std::size_t>(std::count_if(problems.begin(), problems.end(), [](const Problem& p) {
    return p.finding.severity == validate::Severity::error;
  }));
}

int Report::exit_code() const
{
  bool integrity = false;
  bool unverified_permanent = false;
  bool unverified_transient = false;
  for (const auto& p : problems) {
    if (p.finding.severity != validate::Severity::error) {
      continue;
    }
    if (!p.unverified) {
      integrity = true;
    } else if (p.transient) {
      unverified_transient = true;
    } else {
      unverified_permanent = true;
    }
  }
  if (integrity || unverified_permanent) {
    return 1;
  }
  return unverified_transient ? 75 : 0;
}

std::string alert_source(const std::string& site)
{
  return "verify:" + site;
}

Result<Report> run(archive::Archive& archive, const Options& options)
{
  auto t0 = std::chrono::steady_clock::now();
  const fs::path& root = archive.layout().root;
  std::int64_t now = options.now != 0 ? options.now : clock_now();
  Report report;
  report.site = options.site;
  report.started_at = now;
  report.period = options.period.count();

  auto lock = util::FileLock::acquire(archive.layout().locks() / ("verify-" + options.site + ".lock"),
                                      false);
  if (!lock) {
    return fail(Errc::temp_fail, "another hemera-verify run is in progress",
                archive.layout().locks().string());
  }

  // Verification times need not survive a power cut (the files would only be
  // verified again): commit without waiting for the disk, as WAL allows
  // without risk to the database's consistency.
  HEMERA_TRY(archive.db().exec_script("PRAGMA synchronous=NORMAL"));

  auto elapsed = [&t0] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  auto scan = HEMERA_TRY(scan_tree(root, now));
  log::debug("{:.3f}s: {} datasets found", elapsed(), scan.datasets.size());
  std::vector<DatasetDir> selected;
  std::set<std::string> wanted;
  for (const auto& d : options.datasets) {
    auto u = uuid::parse(d);
    if (!u) {
      return fail(Errc::usage, fmt::format("not a UUID: '{}'", d), {}, "--dataset");
    }
    wanted.insert(uuid::to_string(*u));
  }
  std::set<std::string> found;
  for (const auto& d : scan.datasets) {
    if ((wanted.empty() || wanted.count(d.uuid) > 0) && in_collection(d, options.collection)) {
      selected.push_back(d);
      found.insert(d.uuid);
    }
  }
  for (const auto& w : wanted) {
    if (found.count(w) == 0) {
      return fail(Errc::no_input, fmt::format("dataset {} not found in the archive{}", w,
                                              options.collection.empty() ? "" : " collection"),
                  root.string(), "--dataset");
    }
  }
  bool whole = wanted.empty() && options.collection.empty();
  if (!options.collection.empty() && selected.empty()) {
    return fail(Errc::no_input, fmt::format("no dataset in collection '{}'", options.collection),
                root.string(), "--collection");
  }

  // The journal: Options' fields, or read on another thread (load_journal)
  // while the tree is read; journal() waits for it.
  std::future<Result<JournalFacts>> journal_reading;
  if (options.load_journal) {
    journal_reading = std::async(std::launch::async, options.load_journal);
  }
  JournalFacts loaded;
  const std::optional<RecordHashes>* journal_hashes = &options.record_hashes;
  const std::unordered_map<std::string, std::uint64_t>* journal_sizes = &options.journaled_sizes;
  const std::map<std::string, std::string>* journal_datasets = &options.journaled_datasets;
  auto journal = [&]() -> Result<void> {
    if (journal_reading.valid()) {
      loaded = HEMERA_TRY(journal_reading.get());
      journal_hashes = &loaded.record_hashes;
      journal_sizes = &loaded.journaled_sizes;
      journal_datasets = &loaded.journaled_datasets;
    }
    return {};
  };
  // Without a budget the journal may still be read while the files are
  // queued for hashing; otherwise the walk needs it first.
  const bool streaming = !options.budget && !options.max_files && !options.progress;
  const bool defer_records = streaming && journal_reading.valid();
  if (!defer_records) {
    HEMERA_TRY(journal());
  }

  // Walk one dataset into `part`, under its lock.
  auto hashes = std::make_shared<const std::optional<RecordHashes>>(*journal_hashes);
  bool refreshed = false;
  std::mutex hashes_mutex;
  auto walk_one = [&](const DatasetDir& d, Inventory& part) -> Result<void> {
    // A commit in progress holds the dataset's lock from the rename of its
    // version to its journal event: wait for it, so tree and journal agree.
    std::optional<util::FileLock> dataset_lock;
    if (options.lock_dataset) {
      dataset_lock = HEMERA_TRY(options.lock_dataset(d.uuid));
    }
    std::shared_ptr<const std::optional<RecordHashes>> mine;
    {
      std::lock_guard<std::mutex> guard(hashes_mutex);
      mine = hashes;
    }
    Walker walker{root, *mine, now, part, defer_records};
    walker.dataset(d);
    if (defer_records) {
      return {};  // compare_records() later
    }
    bool record_problem =
      std::any_of(part.problems.begin(), part.problems.end(),
                  [](const Problem& p) { return p.finding.rule.rfind("record.", 0) == 0; });
    if (!record_problem || !options.refresh_journal) {
      return {};
    }
    // The journal was read before this dataset was walked: a commit may have
    // completed meanwhile. Read it again (once per run) and walk it again.
    {
      std::lock_guard<std::mutex> guard(hashes_mutex);
      if (!refreshed) {
        refreshed = true;
        if (auto fresh = options.refresh_journal()) {
          hashes = std::make_shared<const std::optional<RecordHashes>>(std::move(*fresh));
        }
      }
      if (hashes == mine) {
        return {};
      }
      mine = hashes;
    }
    part = Inventory{};
    Walker again{root, *mine, now, part};
    again.dataset(d);
    return {};
  };
  // The records of a dataset walked with defer_records, against the journal
  // now read, under the dataset's lock again; the revisions are read here for
  // the first time. The dataset's entries stay as they are (the workers may
  // be hashing them): only the record findings and tag counts are added.
  auto compare_records = [&](const DatasetDir& d, Inventory& part) -> Result<void> {
    if (!part.records) {
      return {};
    }
    std::optional<util::FileLock> dataset_lock;
    if (options.lock_dataset) {
      dataset_lock = HEMERA_TRY(options.lock_dataset(d.uuid));
    }
    auto check = [&](const std::optional<RecordHashes>& with) {
      Inventory rec;
      Walker walker{root, with, now, rec};
      walker.records(d, root / d.rel, part.records->has_current, part.records->revisions);
      return rec;
    };
    Inventory rec = check(*hashes);
    bool record_problem =
      std::any_of(rec.problems.begin(), rec.problems.end(),
                  [](const Problem& p) { return p.finding.rule.rfind("record.", 0) == 0; });
    if (record_problem && options.refresh_journal && !refreshed) {
      // A commit may have completed since the journal was read (the listing
      // of revisions is from the walk: a revision added since then is found
      // by the next run).
      refreshed = true;
      if (auto fresh = options.refresh_journal()) {
        hashes = std::make_shared<const std::optional<RecordHashes>>(std::move(*fresh));
        rec = check(*hashes);
      }
    }
    part.problems.insert(part.problems.end(), std::make_move_iterator(rec.problems.begin()),
                         std::make_move_iterator(rec.problems.end()));
    part.tag_files += rec.tag_files;
    part.tag_bytes += rec.tag_bytes;
    return {};
  };
  // The size each file should have: journaled, else found at its last good
  // check; read or stat'ed later.
  auto journaled_size = [&](Entry& e) {
    if (auto it = journal_sizes->find(e.file); it != journal_sizes->end()) {
      e.journal_size = it->second;
      e.size = it->second;  // until the file is read or stat'ed
    }
  };

  // Merging with hemera.db: known times, new files, files gone.
  db::Database& db = archive.db();
  // The site's fixity rows stay in SQLite's page cache between the read and
  // the updates (32 MiB: about 200,000 files).
  HEMERA_TRY(db.exec_script("PRAGMA cache_size = -32768"));
  std::set<std::string> selected_uuids;
  for (const auto& d : selected) {
    selected_uuids.insert(d.uuid);
  }
  std::vector<Inventory> parts(selected.size());
  std::vector<Entry*> all;  // every entry, in tree order
  std::vector<db::Row> rows;
  std::size_t fresh_count = 0;
  std::size_t gone_count = 0;
  auto load = [&]() -> Result<void> {
    rows = HEMERA_TRY(db.query(
      "SELECT path, dataset, added_at, verified_at, size, status, detail, checked_at "
      "FROM fixity WHERE site = ?1",
      {options.site}));
    return {};
  };
  // Runs once the inventory is complete; touches only the entries' hemera.db
  // fields, so workers may be hashing the same entries meanwhile.
  auto merge = [&]() -> Result<void> {
    std::unordered_map<std::string_view, Entry*> by_file;
    by_file.reserve(all.size());
    for (Entry* e : all) {
      by_file.emplace(e->file, e);
    }
    std::vector<std::vector<db::Value>> gone;
    for (const auto& r : rows) {
      auto it = by_file.find(r[0].text);
      if (it == by_file.end()) {
        if (whole || selected_uuids.count(r[1].text) > 0) {
          gone.push_back({r[0].text});
        }
        continue;
      }
      Entry& e = *it->second;
      e.known = true;
      e.added_at = r[2].integer;
      if (r[3].kind == db::Value::Kind::integer) {
        e.verified_at = r[3].integer;
      }
      if (r[4].kind == db::Value::Kind::integer) {
        e.good_size = static_cast<std::uint64_t>(r[4].integer);
      }
      e.status = r[5].text;
      e.detail = r[6].text;
      e.checked_at = r[7].integer;
    }
    rows.clear();
    rows.shrink_to_fit();
    std::vector<std::vector<db::Value>> fresh;
    for (Entry* e : all) {
      if (!e->known) {
        e->added_at = now;
        fresh.push_back({options.site, e->file, e->dataset, e->version, now});
      }
    }
    fresh_count = fresh.size();
    gone_count = gone.size();
    return transaction(db, [&]() -> Result<void> {
      HEMERA_TRY(exec_chunked(db,
                              "INSERT INTO fixity(site, path, dataset, version, added_at) "
                              "VALUES {values}",
                              5, {}, fresh));
      HEMERA_TRY(exec_chunked(db, "DELETE FROM fixity WHERE site = ? AND path IN (VALUES {values})",
                              1, {options.site}, gone));
      return {};
    });
  };

  // Large files: read ahead on another thread when there is a CPU to spare.
  checksum::HashOptions hash_options;
  if (std::thread::hardware_concurrency() >= 2) {
    hash_options.pipelined_from = 64ULL << 20;
  }
  std::uint64_t total_bytes = 0;
  std::atomic<std::uint64_t> done_bytes{0};
  auto hash_one = [&](Entry& e, WorkerDir& wd) {
    Outcome& o = e.outcome;
    o.hash = hash_entry(root, e, wd, hash_options);
    o.ok = o.hash && o.hash->digest == e.expected;
    o.reached = true;
    if (o.hash && options.progress) {
      std::uint64_t d = done_bytes.fetch_add(o.hash->size) + o.hash->size;
      options.progress(d, total_bytes);
    }
  };
  std::size_t started = 0;
  std::atomic<bool> budget_spent{false};
  unsigned workers = checksum::effective_jobs(options.jobs);

  // Without a budget every file is hashed and their order does not matter:
  // hash each dataset's files as soon as it has been walked, and read and
  // merge hemera.db on the recorder's thread meanwhile. (A progress bar
  // needs the total first.)
  if (streaming) {
    std::mutex queue_mutex;
    std::condition_variable queue_cv;
    std::deque<Entry*> queue;
    bool closed = false;
    std::atomic<bool> abort{false};
    std::atomic<std::size_t> attempted{0};
    Recorder recorder(db, options.site, now, load, merge);
    std::vector<std::thread> threads;
    threads.reserve(workers);
    for (unsigned w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        WorkerDir wd;
        for (;;) {
          Entry* e = nullptr;
          {
            std::unique_lock<std::mutex> guard(queue_mutex);
            queue_cv.wait(guard, [&] { return closed || !queue.empty(); });
            if (queue.empty()) {
              return;
            }
            e = queue.front();
            queue.pop_front();
          }
          if (abort.load(std::memory_order_relaxed) || recorder.failed()) {
            return;
          }
          attempted.fetch_add(1, std::memory_order_relaxed);
          hash_one(*e, wd);
          recorder.done(e);
        }
      });
    }
    std::optional<Error> walk_error;
    for (std::size_t i = 0; i < selected.size() && !recorder.failed(); ++i) {
      if (auto r = walk_one(selected[i], parts[i]); !r) {
        walk_error = r.error();
        break;
      }
      {
        std::lock_guard<std::mutex> guard(queue_mutex);
        for (Entry& e : parts[i].entries) {
          journaled_size(e);
          all.push_back(&e);
          queue.push_back(&e);
        }
      }
      queue_cv.notify_all();
    }
    if (walk_error) {
      abort = true;
    } else {
      log::debug("{:.3f}s: inventory of {} files", elapsed(), all.size());
      recorder.ready();
    }
    {
      std::lock_guard<std::mutex> guard(queue_mutex);
      closed = true;
    }
    queue_cv.notify_all();
    if (defer_records && !walk_error) {
      // While the workers hash: the journal, then what needs it (the
      // workers touch neither the sizes nor the problems).
      if (auto j = journal(); !j) {
        walk_error = j.error();
      } else {
        hashes = std::make_shared<const std::optional<RecordHashes>>(*journal_hashes);
        for (Entry* e : all) {
          journaled_size(*e);
        }
        for (std::size_t i = 0; i < selected.size() && !walk_error; ++i) {
          if (auto r = compare_records(selected[i], parts[i]); !r) {
            walk_error = r.error();
          }
        }
      }
      if (walk_error) {
        abort = true;
      }
    }
    for (auto& t : threads) {
      t.join();
    }
    if (walk_error) {
      return tl::unexpected(*walk_error);
    }
    HEMERA_TRY(recorder.finish());
    started = attempted.load();
    log::debug("{:.3f}s: hemera.db merged ({} new, {} gone)", elapsed(), fresh_count, gone_count);
  } else {
    // Datasets are read in parallel, each into its own part, kept in order.
    std::vector<std::optional<Error>> part_errors(selected.size());
    std::atomic<bool> walk_failed{false};
    checksum::parallel_for(
      selected.size(), options.jobs,
      [&](std::size_t i) {
        if (auto r = walk_one(selected[i], parts[i]); !r) {
          part_errors[i] = r.error();
          walk_failed = true;
        }
      },
      [&] { return walk_failed.load(); });
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (part_errors[i]) {
        return tl::unexpected(*part_errors[i]);
      }
      for (Entry& e : parts[i].entries) {
        journaled_size(e);
        all.push_back(&e);
      }
    }
    log::debug("{:.3f}s: inventory of {} files", elapsed(), all.size());
    HEMERA_TRY(load());
    HEMERA_TRY(merge());
    log::debug("{:.3f}s: hemera.db merged ({} new, {} gone)", elapsed(), fresh_count, gone_count);

    // Order: files that failed before, then never verified, then verified
    // longest ago; the path breaks ties so reads follow the tree.
    std::vector<Entry*> order = all;
    auto rank = [&](const Entry& e) {
      bool failed = !e.status.empty() && e.status != "ok";
      return std::make_tuple(failed ? 0 : 1, e.verified_at ? 1 : 0, e.verified_at.value_or(e.added_at));
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](const Entry* a, const Entry* b) { return rank(*a) < rank(*b); });
    for (const Entry* e : all) {
      total_bytes += e->size;
    }
    std::vector<WorkerDir> worker_dirs(workers);
    auto deadline = options.budget ? std::optional(t0 + *options.budget) : std::nullopt;
    std::atomic<std::size_t> attempted{0};
    Recorder recorder(db, options.site, now);
    started = checksum::parallel_for_workers(
      order.size(), options.jobs,
      [&](std::size_t k, unsigned worker) {
        attempted.fetch_add(1, std::memory_order_relaxed);
        hash_one(*order[k], worker_dirs[worker]);
        recorder.done(order[k]);
      },
      [&] {
        if (recorder.failed()) {
          return true;
        }
        if (options.max_files && attempted.load() >= *options.max_files) {
          budget_spent = true;
          return true;
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
          budget_spent = true;
          return true;
        }
        return false;
      });
    worker_dirs.clear();
    HEMERA_TRY(recorder.finish());
  }
  report.budget_spent = budget_spent.load() && started < all.size();
  log::debug("{:.3f}s: {} files hashed", elapsed(), started);

  Inventory inv;
  for (Inventory& part : parts) {
    inv.problems.insert(inv.problems.end(), std::make_move_iterator(part.problems.begin()),
                        std::make_move_iterator(part.problems.end()));
    inv.versions += part.versions;
    inv.listed += part.listed;
    inv.tag_files += part.tag_files;
    inv.tag_bytes += part.tag_bytes;
  }
  if (whole) {
    inv.problems.insert(inv.problems.end(), scan.stray.begin(), scan.stray.end());
    for (const auto& [uuid, path] : *journal_datasets) {
      if (found.count(uuid) == 0) {
        Problem p = make_problem("fixity.missing", validate::Severity::error, path,
                                 "journaled dataset is missing from the archive", now);
        p.dataset = uuid;
        inv.problems.push_back(std::move(p));
      }
    }
  }
  report.datasets = selected.size();
  report.versions = inv.versions;
  report.tag_files = inv.tag_files;
  report.tag_bytes = inv.tag_bytes;
  report.files = inv.listed;

  // Outcomes to findings; files not reached keep their earlier state.
  std::int64_t stalest_since = 0;
  for (Entry* ep : all) {
    Entry& e = *ep;
    if (e.outcome.reached) {
      ++report.files_checked;
      const Outcome& o = e.outcome;
      if (o.ok) {
        ++report.files_ok;
        report.bytes_checked += o.hash->size;
        e.verified_at = now;
      } else if (o.hash) {
        report.bytes_checked += o.hash->size;
        Problem p = make_problem("fixity.mismatch", validate::Severity::error, e.file,
                                 "checksum mismatch", now);
        if (auto want = e.journal_size ? e.journal_size : e.good_size;
            want && *want != o.hash->size) {
          p.finding.message = fmt::format("checksum mismatch; size {} bytes, expected {} bytes",
                                          o.hash->size, *want);
        }
        p.dataset = e.dataset;
        p.version = e.version;
        p.path = e.path;
        p.expected = e.expected.hex();
        p.actual = o.hash->digest.hex();
        report.problems.push_back(std::move(p));
      } else {
        Problem p = io_problem(o.hash.error(), e.file, now);
        p.dataset = e.dataset;
        p.version = e.version;
        p.path = e.path;
        p.expected = e.expected.hex();
        report.problems.push_back(std::move(p));
      }
    } else {
      ++report.files_remaining;
      struct stat st {};
      if (::lstat((root / e.file).c_str(), &st) == 0) {
        e.size = static_cast<std::uint64_t>(st.st_size);
      }
      Problem p;
      bool carry = false;
      if (e.status == "mismatch") {
        p = make_problem("fixity.mismatch", validate::Severity::error, e.file,
                         "checksum mismatch (found in an earlier run, not re-checked yet)", e.checked_at);
        p.actual = e.detail;
        carry = true;
      } else if (e.status == "unreadable") {
        p = make_problem("fixity.unreadable", validate::Severity::error, e.file,
                         fmt::format("could not be checked in an earlier run: {}", e.detail),
                         e.checked_at);
        p.unverified = true;
        carry = true;
      } else if (auto want = e.journal_size ? e.journal_size : e.good_size;
                 want && *want != e.size) {
        p = make_problem("fixity.mismatch", validate::Severity::error, e.file,
                         fmt::format("size changed: {} bytes, expected {} bytes (not re-hashed yet)",
                                     e.size, *want),
                         now);
        carry = true;
      }
      if (carry) {
        p.dataset = e.dataset;
        p.version = e.version;
        p.path = e.path;
        p.expected = e.expected.hex();
        report.problems.push_back(std::move(p));
      }
    }
    std::int64_t since = e.verified_at.value_or(e.added_at);
    if (!report.stalest || since < stalest_since) {
      stalest_since = since;
      report.stalest = Stalest{e.file, since, !e.verified_at.has_value()};
    }
  }
  report.problems.insert(report.problems.begin(), inv.problems.begin(), inv.problems.end());
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const Problem& a, const Problem& b) { return a.finding.file < b.finding.file; });
  if (report.stalest && now - report.stalest->since > options.period.count()) {
    report.stale = true;
    Problem p = make_problem("fixity.stale", validate::Severity::warning, report.stalest->file,
                             fmt::format("{} {} days ago, longer than verification.period ({} days)",
                                         report.stalest->never_verified ? "never verified; first seen"
                                                                        : "last verified",
                                         (now - report.stalest->since) / 86400,
                                         options.period.count() / 86400),
                             now);
    report.problems.push_back(std::move(p));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int code = report.exit_code();
  HEMERA_TRY(db.exec("INSERT INTO verify_runs(site, started_at, finished_at, checked, bytes, "
                     "problems, complete, exit_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                     {options.site, now, clock_now(), static_cast<std::int64_t>(report.files_checked),
                      static_cast<std::int64_t>(report.bytes_checked),
                      static_cast<std::int64_t>(report.failures()),
                      report.files_remaining == 0 ? 1 : 0, code}));
  return report;
}

nlohmann::json to_json(const Report& report)
{
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : report.problems) {
    nlohmann::json j = validate::to_json(p.finding);
    j["dataset"] = p.dataset;
    j["version"] = p.version;
    j["path"] = p.path;
    if (!p.expected.empty()) {
      j["expected"] = p.expected;
    }
    if (!p.actual.empty()) {
      j["actual"] = p.actual;
    }
    j["unverified"] = p.unverified;
    j["transient"] = p.transient;
    j["key"] = p.key();
    problems.push_back(std::move(j));
  }
  nlohmann::json stalest = nullptr;
  if (report.stalest) {
    stalest = {{"file", report.stalest->file},
               {"since", report.stalest->since},
               {"age_seconds", report.started_at - report.stalest->since},
               {"never_verified", report.stalest->never_verified}};
  }
  nlohmann::json out = {{"site", report.site},
          {"started_at", report.started_at},
          {"seconds", report.seconds},
          {"datasets", report.datasets},
          {"versions", report.versions},
          {"files", report.files},
          {"files_checked", report.files_checked},
          {"files_ok", report.files_ok},
          {"files_remaining", report.files_remaining},
          {"bytes_checked", report.bytes_checked},
          {"tag_files", report.tag_files},
          {"tag_bytes", report.tag_bytes},
          {"budget_spent", report.budget_spent},
          {"complete", report.files_remaining == 0},
          {"stalest", stalest},
          {"stale", report.stale},
          {"period_seconds", report.period},
          {"failures", report.failures()},
          {"problems", problems},
          {"exit_code", report.exit_code()}};
  if (report.reread) {
    const auto& r = *report.reread;
    out["reread"] = {{"objects", r.objects},   {"bytes", r.bytes},       {"share_percent", r.share},
                     {"covered", r.covered},   {"coverage", r.coverage}, {"oldest", r.oldest}};
  }
  return out;
}

std::string to_text(const Problem& p)
{
  std::string line = validate::to_text(p.finding);
  if (!p.expected.empty() && !p.actual.empty()) {
    line += fmt::format(" (expected {}, found {})", p.expected, p.actual);
  } else if (!p.expected.empty() && p.finding.rule == "fixity.missing") {
    line += fmt::format(" (expected {})", p.expected);
  }
  return line;
}

std::string summary_text(const Report& report, bool list_problems)
{
  std::string out;
  double mib = static_cast<double>(report.bytes_checked) / (1024.0 * 1024.0);
  out += fmt::format("Site {}: {} datasets, {} versions, {} files; checked {} files ({:.1f} MiB) "
                     "in {:.1f} s",
                     report.site, report.datasets, report.versions, report.files,
                     report.files_checked, mib, report.seconds);
  if (report.files_remaining > 0) {
    out += fmt::format("; {} files left for later runs (budget spent)", report.files_remaining);
  }
  out += ".\n";
  if (report.reread) {
    out += fmt::format("Read back in full: {} files ({:.1f} MiB); {:.0f}% of the files read back "
                       "within the period.\n",
                       report.reread->objects,
                       static_cast<double>(report.reread->bytes) / (1024.0 * 1024.0),
                       report.reread->coverage * 100.0);
  }
  if (report.stalest) {
    out += fmt::format("Stalest file: {} ({} {:.1f} days ago; period {} days).\n",
                       report.stalest->file,
                       report.stalest->never_verified ? "first seen" : "verified",
                       static_cast<double>(report.started_at - report.stalest->since) / 86400.0,
                       report.period / 86400);
  }
  std::size_t f = report.failures();
  if (f == 0 && !report.stale) {
    out += "Every checked file is intact.\n";
  } else {
    out += fmt::format("{} problem{}{}\n", report.problems.size(),
                       report.problems.size() == 1 ? "" : "s", list_problems ? ":" : ".");
    for (const auto& p : list_problems ? report.problems : std::vector<Problem>{}) {
      out += "  " + to_text(p) + "\n";
    }
  }
  return out;
}

}  // namespace hemera::verify
