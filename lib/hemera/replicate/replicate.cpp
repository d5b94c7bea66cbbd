// SPDX-License-Identifier: Apache-2.0
#include <hemera/replicate/replicate.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <ctime>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <hemera/archive/journal.hpp>
#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::replicate {

namespace journal = archive::journal;
using Clock = std::chrono::steady_clock;

std::vector<std::string> target_names(const config::Config& config)
{
  std::vector<std::string> out;
  if (const auto* t = config.find("targets"); t != nullptr && t->is_object()) {
    for (const auto& [name, value] : t->items()) {
      out.push_back(name);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<TargetConfig> target_config(const config::Config& config, const std::string& name)
{
  const auto* t = config.find("targets." + name);
  if (t == nullptr || !t->is_object()) {
    return fail(Errc::config, "no target named '" + name + "' in the configuration", name);
  }
  auto str = [&](const char* key) {
    auto it = t->find(key);
    return it != t->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto flag = [&](const char* key) {
    auto it = t->find(key);
    return it != t->end() && it->is_boolean() && it->get<bool>();
  };
  auto secret = [&](const char* key) -> Result<std::string> {
    auto file = str(key);
    if (file.empty()) {
      return std::string();
    }
    auto r = config::read_secret_file(file);
    if (!r) {
      auto e = r.error();
      e.code = e.code == Errc::no_input || e.code == Errc::io ? Errc::config : e.code;
      e.field = "targets." + name + "." + key;
      return tl::unexpected(e);
    }
    return r;
  };
  TargetConfig c;
  c.name = name;
  c.url = str("url");
  if (c.url.empty()) {
    return fail(Errc::config, "target has no url", name, "targets." + name + ".url");
  }
  c.user = str("user");
  c.password = HEMERA_TRY(secret("password_file"));
  c.key_file = str("key_file");
  c.ca_file = str("ca_file");
  c.host_key_sha256 = str("host_key_sha256");
  c.known_hosts = str("known_hosts");
  c.endpoint = str("endpoint");
  if (auto r = str("region"); !r.empty()) {
    c.region = r;
  }
  c.access_key = HEMERA_TRY(secret("access_key_file"));
  c.secret_key = HEMERA_TRY(secret("secret_key_file"));
  c.trust_transport = flag("trust_transport");
  c.allow_plaintext = flag("allow_plaintext");
  for (auto [key, field] : {std::pair{"multipart_threshold", &c.multipart_threshold},
                            std::pair{"multipart_part_size", &c.multipart_part_size}}) {
    if (auto v = t->find(key); v != t->end() && v->is_number_integer()) {
      if (v->get<std::int64_t>() < 1) {
        return fail(Errc::config, "must be a positive number of bytes", config.origin("targets." + name + "." + key),
                    "targets." + name + "." + key);
      }
      *field = v->get<std::uint64_t>();
    }
  }
  if (!c.key_file.empty()) {
    struct stat st {};
    if (::stat(c.key_file.c_str(), &st) != 0) {
      return fail(Errc::config, "cannot read the key file", c.key_file, "targets." + name + ".key_file");
    }
    if ((st.st_mode & 077) != 0) {
      return fail(Errc::config, "the key file must be readable by its owner only (mode 0600)", c.key_file,
                  "targets." + name + ".key_file");
    }
  }
  return c;
}

namespace {

// One file to place at the remote site.
struct Item {
  std::string key;        // relative to the archive root
  fs::path local;         // absolute local path
  checksum::Digest sha;   // what the file must hash to
  std::optional<std::uint64_t> size;  // journaled size, when known
};

std::string redact(const std::string& url)
{
  return config::redact_url(url);
}

// Return the payload items of `e`, then its manifest and record items.
std::vector<Item> items_of(const journal::Event& e, const fs::path& root, std::vector<Item>& meta)
{
  std::vector<Item> payload;
  if (e.version > 0) {
    auto vpath = e.version_path();
    for (const auto& f : e.files) {
      payload.push_back({vpath + "/" + f.path, root / vpath / f.path, f.sha256, f.size});
    }
    if (e.manifest_sha256) {
      auto k = vpath + "/manifest-sha256.txt";
      meta.push_back({k, root / k, *e.manifest_sha256, std::nullopt});
    }
  }
  if (e.record_revision > 0 && e.record_sha256) {
    auto k = e.record_path();
    meta.push_back({k, root / k, *e.record_sha256, std::nullopt});
    meta.push_back({e.path + "/metadata.json", root / k, *e.record_sha256, std::nullopt});
  }
  return payload;
}

// Return the sequence number of the journal's last line when it is whole and
// well-formed (0 for an empty or missing journal), else nullopt.
std::optional<std::uint64_t> last_seq(const fs::path& path)
{
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return errno == ENOENT ? std::optional<std::uint64_t>(0) : std::nullopt;
  }
  if (std::fseek(f.get(), 0, SEEK_END) != 0) {
    return std::nullopt;
  }
  long end = std::ftell(f.get());
  if (end <= 0) {
    return end == 0 ? std::optional<std::uint64_t>(0) : std::nullopt;
  }
  std::string tail;
  long pos = end;
  constexpr long k_chunk = 64 * 1024;
  for (;;) {
    long from = std::max(0L, pos - k_chunk);
    std::string chunk(static_cast<std::size_t>(pos - from), '\0');
    if (std::fseek(f.get(), from, SEEK_SET) != 0 ||
        std::fread(chunk.data(), 1, chunk.size(), f.get()) != chunk.size()) {
      return std::nullopt;
    }
    tail.insert(0, chunk);
    pos = from;
    if (tail.back() != '\n') {
      return std::nullopt;  // a torn tail: let the reader decide
    }
    auto nl = tail.rfind('\n', tail.size() - 2);
    if (nl != std::string::npos || pos == 0) {
      auto line = tail.substr(nl == std::string::npos ? 0 : nl + 1);
      line.pop_back();
      auto e = journal::parse_line(line);
      if (!e) {
        return std::nullopt;
      }
      return e->seq;
    }
  }
}

// The outcome of one file.
struct Outcome {
  enum class Kind { uploaded, skipped, checked, problem, error } kind = Kind::skipped;
  std::uint64_t bytes = 0;
  Problem problem;
  Error error;
};

class Engine {
 public:
  Engine(archive::Archive& archive, const TargetConfig& config, const Options& options)
    : m_archive(archive), m_config(config), m_options(options)
  {
  }

  Result<Report> run()
  {
    auto start = Clock::now();
    Report report;
    report.target = m_config.name;
    report.url = redact(m_config.url);
    report.dry_run = m_options.dry_run;
    auto& db = m_archive.db();
    auto lock = util::FileLock::acquire(m_archive.layout().locks() / ("replicate-" + m_config.name + ".lock"), false);
    if (!lock) {
      return fail(Errc::temp_fail, "another hemera-replicate run holds the lock of target '" + m_config.name + "'");
    }
    std::set<std::uint64_t> acked;
    for (const auto& row : HEMERA_TRY(db.query("SELECT seq FROM replication_acks WHERE target = ?", {m_config.name}))) {
      acked.insert(static_cast<std::uint64_t>(row[0].integer));
    }
    if (!m_options.full) {
      // Nothing pending when every sequence number up to the journal's last
      // one is acknowledged: decided from the last line, without reading the
      // journal or opening any connection.
      auto last = last_seq(m_archive.layout().journal());
      if (last) {
        std::uint64_t covered = 0;
        for (auto it = acked.begin(); it != acked.end() && *it <= *last; ++it) {
          ++covered;
        }
        if (covered == *last) {
          report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
          return report;
        }
      }
    }
    std::map<std::string, std::string> done;  // key -> sha256 hex
    if (!m_options.full) {
      for (const auto& row : HEMERA_TRY(db.query("SELECT key, sha256 FROM replication_files WHERE target = ?",
                                                 {m_config.name}))) {
        done[row[0].text] = row[1].text;
      }
    }
    std::vector<journal::Event> pending;
    auto reader = HEMERA_TRY(journal::Reader::open(m_archive.layout().journal()));
    for (;;) {
      auto e = HEMERA_TRY(reader.next());
      if (!e) {
        break;
      }
      if (m_options.full || acked.count(e->seq) == 0) {
        pending.push_back(std::move(*e));
      }
    }
    report.events_pending = pending.size();
    if (!pending.empty()) {
      report.oldest_pending_time = pending.front().time;
    }
    if (pending.empty()) {
      report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      return report;
    }
    const auto root = m_archive.layout().root;
    if (m_options.dry_run) {
      for (const auto& e : pending) {
        std::vector<Item> meta;
        auto all = items_of(e, root, meta);
        all.insert(all.end(), meta.begin(), meta.end());
        for (const auto& it : all) {
          auto d = done.find(it.key);
          if (d != done.end() && d->second == it.sha.hex()) {
            ++report.files_skipped;
          } else {
            ++report.files_uploaded;
            report.bytes_uploaded += it.size.value_or(0);
          }
        }
      }
      report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      return report;
    }

    // Workers: one connection each, with retries up to the deadline.
    unsigned jobs = std::max(1U, m_options.jobs);
    RetryPolicy policy;
    policy.deadline = Clock::now() + m_options.deadline;
    // --bwlimit: one token bucket for all the connections, so the total
    // holds whatever the number of transfers running at a time.
    TargetConfig per = m_config;
    if (m_options.bwlimit > 0) {
      per.limiter = std::make_shared<RateLimiter>(m_options.bwlimit);
    }
    for (unsigned i = 0; i < jobs; ++i) {
      auto t = HEMERA_TRY(make_target(per));
      m_targets.push_back(with_retry(std::move(t), policy));
    }
    report.connected = m_targets.front()->properties().network;

    // The other connections log in while the first lists the temporary
    // files (a failure here shows again, and is reported, on first use).
    std::vector<std::thread> logins;
    for (std::size_t i = 1; i < m_targets.size(); ++i) {
      logins.emplace_back([t = m_targets[i].get()] { (void)t->connect(); });
    }
    auto temps = m_targets.front()->list_temp();
    for (auto& th : logins) {
      th.join();
    }
    // Temporary files of an interrupted run: no other run holds the lock.
    if (!temps) {
      report.error = temps.error();
      return finish(report, start);
    }
    // A partial upload of a pending file is kept to be resumed (FTP, SFTP);
    // only the temporary names listed are looked at again (no stat per file).
    if (m_targets.front()->properties().resumable) {
      std::set<std::string> listed;
      for (const auto& name : *temps) {
        listed.insert(std::string(k_temp_prefix) + name);
      }
      for (const auto& e : pending) {
        std::vector<Item> meta;
        for (const auto& it : items_of(e, root, meta)) {
          if (listed.count(temp_key(it.key)) != 0) {
            m_resumable.insert(temp_key(it.key));
          }
        }
      }
    }
    for (const auto& name : *temps) {
      if (m_resumable.count(std::string(k_temp_prefix) + name) != 0) {
        continue;
      }
      auto r = m_targets.front()->remove(std::string(k_temp_prefix) + name);
      if (!r) {
        report.error = r.error();
        return finish(report, start);
      }
      ++report.temps_removed;
    }

    std::uint64_t total = 0;
    for (const auto& e : pending) {
      for (const auto& f : e.files) {
        total += f.size;
      }
    }
    std::atomic<std::uint64_t> sent{0};

    // Rounds: round r places the payload of event r together with the
    // manifest and record of event r-1 (whose payload is complete), so the
    // connections stay busy across events; event r-1 is acknowledged once its
    // manifest and record are in place.
    std::vector<Item> prev_meta;
    bool prev_due = false;
    std::uint64_t prev_seq = 0;
    for (std::size_t r = 0; r <= pending.size(); ++r) {
      std::vector<Item> meta;
      std::vector<Item> units;
      if (r < pending.size()) {
        units = items_of(pending[r], root, meta);
      }
      const std::size_t n_payload = units.size();
      if (prev_due) {
        units.insert(units.end(), prev_meta.begin(), prev_meta.end());
      }
      std::vector<Outcome> outcomes(units.size());
      std::atomic<bool> stop{false};
      std::mutex db_mutex;
      std::vector<Item> placed;
      auto work = [&](std::size_t i, Target& t) {
        auto d = done.find(units[i].key);
        if (d != done.end() && d->second == units[i].sha.hex()) {
          outcomes[i].kind = Outcome::Kind::skipped;
          return;
        }
        outcomes[i] = place(t, units[i]);
        if (outcomes[i].kind == Outcome::Kind::uploaded || outcomes[i].kind == Outcome::Kind::checked) {
          std::lock_guard<std::mutex> g(db_mutex);
          placed.push_back(units[i]);
          if (placed.size() >= 32 && mark_done(placed)) {
            placed.clear();
          }
        }
        if (outcomes[i].kind == Outcome::Kind::error) {
          stop = true;
        }
        sent += outcomes[i].bytes;
        if (m_options.progress) {
          m_options.progress(sent.load(), total);
        }
      };
      // A key both in this payload and in the previous event's manifest or
      // record (never for well-formed events) is not sent by two connections
      // at once: the previous event's items go first, alone.
      std::set<std::string> payload_keys;
      for (std::size_t i = 0; i < n_payload; ++i) {
        payload_keys.insert(units[i].key);
      }
      bool apart = std::any_of(units.begin() + static_cast<std::ptrdiff_t>(n_payload), units.end(),
                               [&](const Item& it) { return payload_keys.count(it.key) != 0; });
      if (apart) {
        run_parallel(n_payload, units.size(), work, stop);
        if (!stop.load()) {
          run_parallel(0, n_payload, work, stop);
        }
      } else {
        run_parallel(0, units.size(), work, stop);
      }
      // Records in batches of 32 files, one transaction each: a kill loses at
      // most one batch of records, and those files are sent again (idempotent).
      HEMERA_TRY(mark_done(placed));
      bool ok = true;
      bool meta_ok = true;
      auto tally = [&](const Outcome& o, bool& good) {
        switch (o.kind) {
          case Outcome::Kind::uploaded:
            ++report.files_uploaded;
            report.bytes_uploaded += o.bytes;
            break;
          case Outcome::Kind::skipped:
            ++report.files_skipped;
            break;
          case Outcome::Kind::checked:
            ++report.files_checked;
            break;
          case Outcome::Kind::problem:
            report.problems.push_back(o.problem);
            good = false;
            break;
          case Outcome::Kind::error:
            if (!report.error) {
              report.error = o.error;
            }
            good = false;
            break;
        }
      };
      for (std::size_t i = 0; i < outcomes.size(); ++i) {
        tally(outcomes[i], i < n_payload ? ok : meta_ok);
      }
      if (report.error) {
        return finish(report, start);
      }
      // Not acknowledged after a problem: the next run tries again.
      if (prev_due && meta_ok) {
        HEMERA_TRY(db.exec("INSERT OR REPLACE INTO replication_acks (target, seq, time) VALUES (?, ?, ?)",
                           {m_config.name, static_cast<std::int64_t>(prev_seq), archive::now_iso8601()}));
        ++report.events_replicated;
      }
      // The manifest and the record go after the payload they describe.
      prev_due = r < pending.size() && ok;
      prev_meta = std::move(meta);
      prev_seq = r < pending.size() ? pending[r].seq : 0;
    }
    return finish(report, start);
  }

 public:
  // Return one connection (made on first use).
  Result<Target*> first_target()
  {
    if (m_targets.empty()) {
      RetryPolicy policy;
      policy.deadline = Clock::now() + m_options.deadline;
      auto t = HEMERA_TRY(make_target(m_config));
      m_targets.push_back(with_retry(std::move(t), policy));
    }
    return m_targets.front().get();
  }

 private:
  Result<Report> finish(Report& report, Clock::time_point start)
  {
    report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::string msg = report.error ? report.error->to_string()
                                   : fmt::format("{} events, {} files, {} problems", report.events_replicated,
                                                 report.files_uploaded, report.problems.size());
    (void)m_archive.db().exec("INSERT INTO replication_runs (target, time, ok, message) VALUES (?, ?, ?, ?)",
                              {m_config.name, archive::now_iso8601(),
                               (report.error || !report.problems.empty()) ? 0 : 1, msg});
    return report;
  }

  // Run `work` on items [first, last), one connection each at a time.
  template <typename F>
  void run_parallel(std::size_t first, std::size_t last, F& work, std::atomic<bool>& stop)
  {
    std::mutex m;
    std::vector<Target*> free_targets;
    for (auto& t : m_targets) {
      free_targets.push_back(t.get());
    }
    checksum::parallel_for(
      last - first, static_cast<unsigned>(m_targets.size()),
      [&](std::size_t k) {
        const std::size_t i = first + k;
        Target* t = nullptr;
        {
          std::lock_guard<std::mutex> g(m);
          t = free_targets.back();
          free_targets.pop_back();
        }
        work(i, *t);
        std::lock_guard<std::mutex> g(m);
        free_targets.push_back(t);
      },
      [&] { return stop.load(); });
  }

  Result<void> mark_done(const std::vector<Item>& items)
  {
    if (items.empty()) {
      return {};
    }
    auto& db = m_archive.db();
    HEMERA_TRY(db.exec("BEGIN IMMEDIATE"));
    auto now = archive::now_iso8601();
    for (const auto& it : items) {
      auto r = db.exec(
        "INSERT OR REPLACE INTO replication_files (target, key, size, sha256, time) VALUES (?, ?, ?, ?, ?)",
        {m_config.name, it.key, static_cast<std::int64_t>(it.size.value_or(0)), it.sha.hex(), now});
      if (!r) {
        (void)db.exec("ROLLBACK");
        return r;
      }
    }
    return db.exec("COMMIT");
  }

  // Check that the remote object `key` holds `it`'s content.
  Result<bool> arrived(Target& t, const std::string& key, const Item& it, std::uint64_t size)
  {
    if (!t.properties().stored_hash && !m_config.trust_transport) {
      // The read-back gives the size too: no separate stat round trip.
      auto back = t.read_hash(key);
      if (!back) {
        if (back.error().code == Errc::no_input) {
          return false;
        }
        return tl::unexpected(back.error());
      }
      return back->size == size && back->digest == it.sha;
    }
    auto st = HEMERA_TRY(t.stat(key));
    if (!st || st->size != size) {
      return false;
    }
    auto p = t.properties();
    if (p.stored_hash) {
      auto h = HEMERA_TRY(t.remote_hash(key));
      if (h && !(*h == it.sha)) {
        return false;
      }
      if (h) {
        return true;
      }
    }
    if (m_config.trust_transport) {
      return true;
    }
    auto back = HEMERA_TRY(t.read_hash(key));
    return back.size == size && back.digest == it.sha;
  }

 public:
  // Put `it` at the remote site through a temporary name, checked on arrival.
  Outcome place(Target& t, const Item& it)
  {
    Outcome o;
    auto err = [&](Error e) {
      o.kind = Outcome::Kind::error;
      o.error = std::move(e);
      return o;
    };
    if (m_options.full) {
      // Keep a good remote copy; replace a missing or damaged one.
      auto good = arrived(t, it.key, it, it.size.value_or(0));
      if (!good) {
        return err(good.error());
      }
      if (*good && it.size) {
        o.kind = Outcome::Kind::checked;
        return o;
      }
    }
    auto tmp = temp_key(it.key);
    std::uint64_t offset = 0;
    if (m_resumable.count(tmp) != 0) {
      auto st = t.stat(tmp);
      if (st && *st && (*st)->size > 0 && (!it.size || (*st)->size < *it.size)) {
        offset = (*st)->size;
      }
    }
    // An upload that failed: the local file's fault (a problem) or the
    // remote site's (an error).
    auto upload_failed = [&](const Error& e) {
      if (e.code == Errc::no_input || (e.code == Errc::io && e.where == it.local.string())) {
        o.kind = Outcome::Kind::problem;
        o.problem = {it.key, "missing-local", e.to_string()};
        return o;
      }
      return err(e);
    };
    // What was read differs from the manifest: nothing under the final name.
    auto mismatch = [&](const checksum::FileHash& read) {
      (void)t.remove(tmp);
      o.kind = Outcome::Kind::problem;
      o.problem = {it.key, "local-mismatch",
                   fmt::format("the local file does not match its manifest (expected {}, read {}): not uploaded; "
                               "repair it with hemera-repair --from TARGET",
                               it.sha.hex(), read.digest.hex())};
      return o;
    };
    std::error_code ec;
    const std::uint64_t local_size = it.size ? *it.size : fs::file_size(it.local, ec);
    if (m_config.trust_transport && offset == 0 && !ec && t.properties().placed_upload) {
      // Every write acknowledged by the server, the size and digest of what
      // was read checked before the last byte goes: renamed in the same
      // exchange.
      const checksum::FileHash want{local_size, it.sha};
      auto sent = t.put_placed(tmp, it.key, it.local, want);
      if (!sent) {
        return upload_failed(sent.error());
      }
      o.bytes = sent->size;
      if (!(sent->digest == it.sha) || sent->size != local_size) {
        return mismatch(*sent);
      }
      o.kind = Outcome::Kind::uploaded;
      return o;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto sent = offset > 0 ? t.resume_temp(tmp, it.local, offset, it.sha) : t.put_temp(tmp, it.local, it.sha);
      if (!sent) {
        return upload_failed(sent.error());
      }
      o.bytes = sent->size - std::min(offset, sent->size);
      offset = 0;  // a second attempt starts afresh
      if (!(sent->digest == it.sha) || (it.size && *it.size != sent->size)) {
        return mismatch(*sent);
      }
      auto ok = arrived(t, tmp, it, sent->size);
      if (!ok) {
        return err(ok.error());
      }
      if (!*ok) {
        (void)t.remove(tmp);
        if (attempt == 0) {
          continue;
        }
        o.kind = Outcome::Kind::problem;
        o.problem = {it.key, "arrival-mismatch", "what arrived differs from what was sent, twice"};
        return o;
      }
      auto r = t.rename(tmp, it.key);
      if (!r) {
        // A rename that went through before its reply was lost.
        auto tmp_left = t.stat(tmp);
        auto now = arrived(t, it.key, it, sent->size);
        if (!(tmp_left && !*tmp_left && now && *now)) {
          return err(r.error());
        }
      }
      o.kind = Outcome::Kind::uploaded;
      return o;
    }
    return o;
  }

 private:
  archive::Archive& m_archive;
  TargetConfig m_config;
  Options m_options;
  std::vector<std::unique_ptr<Target>> m_targets;
  std::set<std::string> m_resumable;  // temporary names kept for resumption
};

}  // namespace

nlohmann::json Report::to_json() const
{
  nlohmann::json probs = nlohmann::json::array();
  for (const auto& p : problems) {
    probs.push_back({{"file", p.file}, {"problem", p.problem}, {"message", p.message}});
  }
  nlohmann::json j = {{"target", target},
                      {"url", url},
                      {"events_pending", events_pending},
                      {"events_replicated", events_replicated},
                      {"files_uploaded", files_uploaded},
                      {"bytes_uploaded", bytes_uploaded},
                      {"files_skipped", files_skipped},
                      {"files_checked", files_checked},
                      {"temps_removed", temps_removed},
                      {"connected", connected},
                      {"dry_run", dry_run},
                      {"seconds", seconds},
                      {"problems", probs}};
  j["oldest_pending_time"] = oldest_pending_time.empty() ? nlohmann::json() : nlohmann::json(oldest_pending_time);
  if (error) {
    j["error"] = {{"code", errc_name(error->code)}, {"message", error->to_string()}};
  } else {
    j["error"] = nullptr;
  }
  return j;
}

Result<Report> replicate(archive::Archive& archive, const TargetConfig& config, const Options& options)
{
  Engine engine(archive, config, options);
  return engine.run();
}

namespace {

// Every file the journal describes, by key (a later event's metadata.json wins),
// with the event it came from; only events acknowledged by `acked_by` when set.
struct Known {
  Item item;
  std::string dataset;
  int version = 0;
};

Result<std::vector<Known>> known_files(archive::Archive& archive, const std::string& acked_by)
{
  std::set<std::uint64_t> acked;
  if (!acked_by.empty()) {
    for (const auto& row : HEMERA_TRY(archive.db().query("SELECT seq FROM replication_acks WHERE target = ?",
                                                           {acked_by}))) {
      acked.insert(static_cast<std::uint64_t>(row[0].integer));
    }
  }
  std::map<std::string, std::size_t> index;
  std::vector<Known> out;
  auto reader = HEMERA_TRY(journal::Reader::open(archive.layout().journal()));
  for (;;) {
    auto e = HEMERA_TRY(reader.next());
    if (!e) {
      break;
    }
    if (!acked_by.empty() && acked.count(e->seq) == 0) {
      continue;
    }
    std::vector<Item> meta;
    auto items = items_of(*e, archive.layout().root, meta);
    items.insert(items.end(), meta.begin(), meta.end());
    for (auto& it : items) {
      Known k{it, e->dataset, e->version};
      if (auto f = index.find(it.key); f != index.end()) {
        out[f->second] = std::move(k);
      } else {
        index[it.key] = out.size();
        out.push_back(std::move(k));
      }
    }
  }
  return out;
}

// How a remote copy was checked.
struct Checked {
  std::string problem;  // "" when good, else "missing", "wrong-size", "wrong-hash"
  bool read = false;    // read back in full rather than judged by a stored checksum
};

// Check the remote copy of `it`: by the checksum the server stored (S3)
// unless `by_content`, else (or when it has none) by streaming it into the
// hasher; `bytes_read` grows by what was read back.
Result<Checked> check_remote(Target& t, const Item& it, std::uint64_t& bytes_read, bool by_content)
{
  auto st = HEMERA_TRY(t.stat(it.key));
  if (!st) {
    return Checked{"missing", false};
  }
  if (it.size && st->size != *it.size) {
    return Checked{"wrong-size", false};
  }
  if (t.properties().stored_hash && !by_content) {
    auto h = HEMERA_TRY(t.remote_hash(it.key));
    if (h) {
      return Checked{*h == it.sha ? std::string() : std::string("wrong-hash"), false};
    }
  }
  auto back = HEMERA_TRY(t.read_hash(it.key));
  bytes_read += back.size;
  if (it.size && back.size != *it.size) {
    return Checked{"wrong-size", true};
  }
  return Checked{back.digest == it.sha ? std::string() : std::string("wrong-hash"), true};
}

}  // namespace

Result<verify::Report> verify_target(archive::Archive& archive, const config::Config& config,
                                     const std::string& name, const verify::Options& options)
{
  auto start = Clock::now();
  auto cfg = HEMERA_TRY(target_config(config, name));
  auto lock = util::FileLock::acquire(archive.layout().locks() / ("verify-target-" + name + ".lock"), false);
  if (!lock) {
    return fail(Errc::temp_fail, "another hemera-verify run holds the lock of target '" + name + "'");
  }
  RetryPolicy policy;
  policy.deadline = start + std::chrono::minutes(10);
  auto target = with_retry(HEMERA_TRY(make_target(cfg)), policy);
  auto files = HEMERA_TRY(known_files(archive, name));
  const std::string site = "target:" + name;
  verify::Report report;
  report.site = site;
  report.started_at = static_cast<std::int64_t>(std::time(nullptr));
  report.period = options.period.count();
  std::set<std::string> datasets_in;
  std::set<std::string> versions_in;
  std::vector<Known> scope;
  for (auto& k : files) {
    bool in = options.datasets.empty() ||
              std::find(options.datasets.begin(), options.datasets.end(), k.dataset) != options.datasets.end();
    if (!in) {
      continue;
    }
    datasets_in.insert(k.dataset);
    if (k.version > 0) {
      versions_in.insert(k.dataset + "/" + std::to_string(k.version));
    }
    scope.push_back(std::move(k));
  }
  report.datasets = datasets_in.size();
  report.versions = versions_in.size();
  report.files = scope.size();
  // What earlier runs found: last good check, last status, last full re-read.
  struct Seen {
    std::int64_t verified = 0;
    std::string status;
    std::int64_t reread = 0;
  };
  std::map<std::string, Seen> seen;
  for (const auto& row : HEMERA_TRY(archive.db().query(
         "SELECT path, COALESCE(verified_at, 0), COALESCE(status, ''), COALESCE(reread_at, 0) "
         "FROM fixity WHERE site = ?",
         {site}))) {
    seen[row[0].text] = Seen{row[1].integer, row[2].text, row[3].integer};
  }
  auto seen_of = [&](const std::string& key) {
    auto it = seen.find(key);
    return it == seen.end() ? Seen{} : it->second;
  };
  // Files an earlier run found damaged first, then oldest-verified first.
  auto order_of = [&](const std::string& key) {
    auto s = seen_of(key);
    bool damaged = !s.status.empty() && s.status != "ok";
    return std::pair<int, std::int64_t>(damaged ? 0 : 1, s.verified);
  };
  std::stable_sort(scope.begin(), scope.end(),
                   [&](const Known& a, const Known& b) { return order_of(a.item.key) < order_of(b.item.key); });

  const bool stored = target->properties().stored_hash;
  const unsigned share = std::min(100U, options.reread_share);
  std::map<std::string, bool> outcome;           // key -> intact, for the files checked in this run
  std::map<std::string, std::int64_t> read_now;  // key -> when it was read back in full in this run
  // Check one file; record the outcome in the report and the fixity table.
  // A re-read that contradicts a good check of the same run replaces it.
  auto examine = [&](const Known& k, bool by_content) -> Result<void> {
    std::uint64_t bytes = 0;
    auto r = check_remote(*target, k.item, bytes, by_content);
    report.bytes_checked += bytes;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    std::string status;
    bool read = false;
    verify::Problem p;
    p.finding.file = k.item.key;
    p.finding.format = "archive";
    p.dataset = k.dataset;
    p.version = k.version;
    p.path = fs::path(k.item.key).filename().string();
    p.expected = k.item.sha.hex();
    p.seen_at = now;
    if (!r) {
      if (r.error().code == Errc::no_input) {
        status = "missing";
      } else if (r.error().code == Errc::config || r.error().code == Errc::unavailable) {
        return tl::unexpected(r.error());
      } else {
        status = "unreadable";
        p.unverified = true;
        p.transient = r.error().code == Errc::temp_fail;
        p.finding.rule = "fixity.unreadable";
        p.finding.message = "the remote copy on " + name + " could not be read: " + r.error().to_string();
      }
    } else {
      status = r->problem;
      read = r->read;
    }
    if (read) {
      report.reread->objects += 1;
      report.reread->bytes += bytes;
      read_now[k.item.key] = now;
    }
    if (status == "missing") {
      p.finding.rule = "fixity.missing";
      p.finding.message = "the remote copy on " + name + " is missing";
    } else if (status == "wrong-size" || status == "wrong-hash") {
      p.finding.rule = "fixity.mismatch";
      p.finding.message = fmt::format("the remote copy on {} does not match the manifest ({}{})", name,
                                      status == "wrong-size" ? "wrong size" : "wrong SHA-256",
                                      read && stored ? ", found by reading it back" : "");
    }
    outcome[k.item.key] = status.empty();
    if (!status.empty()) {
      report.problems.push_back(p);
    }
    // The last good time stays that of an earlier run when this one found
    // the file damaged (even after a good check by stored checksum in pass 1).
    std::int64_t last_good = seen_of(k.item.key).verified;
    HEMERA_TRY(archive.db().exec(
      "INSERT INTO fixity (site, path, dataset, version, size, added_at, verified_at, checked_at, status, "
      "detail, reread_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(site, path) DO UPDATE SET "
      "verified_at = excluded.verified_at, checked_at = excluded.checked_at, status = excluded.status, "
      "detail = excluded.detail, reread_at = COALESCE(excluded.reread_at, fixity.reread_at)",
      {site, k.item.key, k.dataset, k.version, static_cast<std::int64_t>(k.item.size.value_or(0)), now,
       status.empty() ? db::Value(now) : (last_good > 0 ? db::Value(last_good) : db::Value(nullptr)), now,
       status.empty() ? "ok" : status, "", read ? db::Value(now) : db::Value(nullptr)}));
    return {};
  };

  report.reread = verify::Reread{};
  report.reread->share = stored ? share : 100;
  // Pass 1, oldest-verified first: every file by its stored checksum (read
  // back where the target keeps none, or where an earlier run found it
  // damaged). With re-reads due, it gets at most half of the budget.
  auto pass1_budget = options.budget;
  if (stored && share > 0 && options.budget) {
    pass1_budget = *options.budget / 2;
  }
  std::size_t started = 0;
  for (const auto& k : scope) {
    if ((pass1_budget && Clock::now() - start >= *pass1_budget) ||
        (options.max_files && started >= *options.max_files)) {
      report.budget_spent = true;
      break;
    }
    ++started;
    auto last = seen_of(k.item.key).status;
    HEMERA_TRY(examine(k, !last.empty() && last != "ok"));
  }
  report.files_remaining = scope.size() - started;

  // Pass 2 (S3): read back in full a share of the files (besides those pass 1
  // read), oldest re-read first, so that successive runs cover the whole
  // bucket even when a stored checksum was forged along with the content.
  if (stored && share > 0 && !scope.empty()) {
    std::size_t quota = (scope.size() * share + 99) / 100;
    std::vector<const Known*> due;
    for (const auto& k : scope) {
      auto o = outcome.find(k.item.key);
      if ((o != outcome.end() && !o->second) || read_now.count(k.item.key) != 0) {
        continue;
      }
      due.push_back(&k);
    }
    std::stable_sort(due.begin(), due.end(), [&](const Known* a, const Known* b) {
      return seen_of(a->item.key).reread < seen_of(b->item.key).reread;
    });
    std::size_t reread = 0;
    for (const Known* k : due) {
      if (reread >= quota) {
        break;
      }
      ++reread;
      if (options.budget && Clock::now() - start >= *options.budget) {
        report.budget_spent = true;
        break;
      }
      bool was_ok = outcome.count(k->item.key) != 0;
      HEMERA_TRY(examine(*k, true));
      if (was_ok && !outcome[k->item.key]) {
        log::warn("{}: the stored checksum on {} matches the manifest but the content does not",
                  k->item.key, name);
      }
    }
  }
  report.files_checked = outcome.size();
  report.files_ok = static_cast<std::size_t>(
    std::count_if(outcome.begin(), outcome.end(), [](const auto& o) { return o.second; }));
  // Coverage: the files in scope read back in full within the period.
  std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
  for (const auto& k : scope) {
    auto n = read_now.find(k.item.key);
    std::int64_t t = n != read_now.end() ? n->second : seen_of(k.item.key).reread;
    oldest = std::min(oldest, t);
    if (t > 0 && t >= report.started_at - report.period) {
      ++report.reread->covered;
    }
  }
  report.reread->oldest = scope.empty() ? 0 : oldest;
  report.reread->coverage =
    scope.empty() ? 1.0 : static_cast<double>(report.reread->covered) / static_cast<double>(scope.size());

  // Extra files: anything at the remote site that no journaled file
  // explains (a whole-archive check only; temporaries are not listed).
  if (options.datasets.empty() && options.collection.empty()) {
    // Every journaled file, acknowledged or not: a file sent by a run that
    // stopped before its acknowledgement is not extra.
    std::set<std::string> expected;
    for (const auto& k : HEMERA_TRY(known_files(archive, ""))) {
      expected.insert(k.item.key);
    }
    auto listed = target->list_all();
    if (!listed) {
      if (listed.error().code == Errc::config || listed.error().code == Errc::unavailable) {
        return tl::unexpected(listed.error());
      }
      verify::Problem p;
      p.finding.file = "";
      p.finding.format = "archive";
      p.finding.rule = "fixity.unreadable";
      p.finding.message = "the file list of " + name + " could not be read: " + listed.error().to_string();
      p.unverified = true;
      p.transient = listed.error().code == Errc::temp_fail;
      p.seen_at = static_cast<std::int64_t>(std::time(nullptr));
      report.problems.push_back(std::move(p));
    } else {
      std::sort(listed->begin(), listed->end());
      for (const auto& key : *listed) {
        if (expected.count(key) != 0) {
          continue;
        }
        verify::Problem p;
        p.finding.file = key;
        p.finding.format = "archive";
        p.finding.rule = "fixity.unexpected";
        p.finding.message = "on " + name + " but not in the replicated archive (an unexpected file)";
        p.path = fs::path(key).filename().string();
        p.seen_at = static_cast<std::int64_t>(std::time(nullptr));
        report.problems.push_back(std::move(p));
      }
    }
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

nlohmann::json RepairReport::to_json() const
{
  nlohmann::json probs = nlohmann::json::array();
  for (const auto& p : problems) {
    probs.push_back({{"file", p.file}, {"problem", p.problem}, {"message", p.message}});
  }
  return {{"repaired", repaired}, {"problems", probs}};
}

Result<RepairReport> repair(archive::Archive& archive, const config::Config& config, const std::string& from,
                            const std::string& other, const std::string& dataset,
                            const std::vector<std::string>& keys)
{
  const bool to_remote = from == "local";
  const std::string name = to_remote ? other : from;
  auto cfg = HEMERA_TRY(target_config(config, name));
  // Not --full: a copy this function found damaged by reading it back is
  // replaced without a second look at its (possibly forged) stored checksum.
  Options opts;
  opts.full = false;
  opts.deadline = std::chrono::minutes(10);
  Engine engine(archive, cfg, opts);
  auto* target = HEMERA_TRY(engine.first_target());
  auto files = HEMERA_TRY(known_files(archive, ""));
  std::set<std::string> wanted(keys.begin(), keys.end());
  RepairReport report;
  std::set<std::string> seen;
  for (const auto& k : files) {
    if (!wanted.empty() && wanted.count(k.item.key) == 0) {
      continue;
    }
    if (!dataset.empty() && k.dataset != dataset) {
      continue;
    }
    seen.insert(k.item.key);
    if (to_remote) {
      std::uint64_t bytes = 0;
      auto bad = check_remote(*target, k.item, bytes, true);
      if (bad && bad->problem.empty()) {
        continue;
      }
      if (!bad && bad.error().code != Errc::no_input) {
        return tl::unexpected(bad.error());
      }
      auto o = engine.place(*target, k.item);
      if (o.kind == Outcome::Kind::error) {
        return tl::unexpected(o.error);
      }
      if (o.kind == Outcome::Kind::problem) {
        report.problems.push_back(o.problem);
        continue;
      }
      auto again = HEMERA_TRY(check_remote(*target, k.item, bytes, true));
      if (!again.problem.empty()) {
        report.problems.push_back({k.item.key, again.problem, "still damaged after repair"});
        continue;
      }
      report.repaired.push_back(k.item.key);
      continue;
    }
    // From the target to the local archive.
    auto local = checksum::hash_file(k.item.local);
    if (local && local->digest == k.item.sha && (!k.item.size || local->size == *k.item.size)) {
      continue;
    }
    auto staging = archive.layout().staging();
    HEMERA_TRY(util::make_dirs(staging, 0700));
    auto tmp = staging / ("repair-" + checksum::sha256(k.item.key).hex().substr(0, 16));
    std::error_code ec;
    fs::remove(tmp, ec);
    auto got = target->get(k.item.key, tmp);
    if (!got) {
      if (got.error().code != Errc::no_input) {
        return tl::unexpected(got.error());
      }
      report.problems.push_back({k.item.key, "missing", "the target has no copy either"});
      continue;
    }
    if (!(got->digest == k.item.sha) || (k.item.size && got->size != *k.item.size)) {
      fs::remove(tmp, ec);
      report.problems.push_back({k.item.key, "wrong-hash", "the target's copy does not match the manifest either"});
      continue;
    }
    ::chmod(tmp.c_str(), 0444);
    auto dir = k.item.local.parent_path();
    struct stat st {};
    bool restore = ::stat(dir.c_str(), &st) == 0 && (st.st_mode & S_IWUSR) == 0;
    if (restore) {
      ::chmod(dir.c_str(), st.st_mode | S_IWUSR);
    }
    int rc = ::rename(tmp.c_str(), k.item.local.c_str());
    int err = errno;
    (void)util::fsync_dir(dir);
    if (restore) {
      ::chmod(dir.c_str(), st.st_mode);
    }
    if (rc != 0) {
      return tl::unexpected(errno_error(err, "rename", k.item.local.string()));
    }
    auto again = HEMERA_TRY(checksum::hash_file(k.item.local));
    if (!(again.digest == k.item.sha)) {
      report.problems.push_back({k.item.key, "wrong-hash", "still damaged after repair"});
      continue;
    }
    report.repaired.push_back(k.item.key);
  }
  for (const auto& w : wanted) {
    if (seen.count(w) == 0) {
      report.problems.push_back({w, "unknown", "no journaled file has this path"});
    }
  }
  return report;
}

}  // namespace hemera::replicate
