// SPDX-License-Identifier: Apache-2.0
#include <hemera/archive/journal.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <thread>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <zlib.h>

#include <hemera/util/fd.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/db/db.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::archive::journal {

namespace {

using nlohmann::json;

constexpr std::size_t k_chunk = 1U << 16;

std::uint32_t crc_of(std::string_view data)
{
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes uInt lengths: feed large inputs in pieces.
  while (!data.empty()) {
    auto n = static_cast<uInt>(std::min<std::size_t>(data.size(), 1U << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), n);
    data.remove_prefix(n);
  }
  return static_cast<std::uint32_t>(crc);
}

Result<std::string> pread_exact(int fd, std::uint64_t off, std::size_t len, const fs::path& path)
{
  std::string out(len, '\0');
  std::size_t got = 0;
  while (got < len) {
    ssize_t n = ::pread(fd, out.data() + got, len - got, static_cast<off_t>(off + got));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(errno_error(errno, "cannot read journal", path.string()));
    }
    if (n == 0) {
      out.resize(got);
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return out;
}

// The end of the journal's well-formed prefix and its last sequence number,
// found from the tail without reading the whole file.
struct Tail {
  std::uint64_t valid_end = 0;
  std::uint64_t last_seq = 0;
  std::uint64_t size = 0;
};

Result<Tail> find_tail(int fd, const fs::path& path)
{
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return tl::unexpected(errno_error(errno, "cannot stat journal", path.string()));
  }
  Tail t;
  t.size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t end = t.size;
  // Drop bytes after the last newline; a last complete line that fails its
  // CRC is torn too (the write reached the newline but not the disk whole).
  // Two bad lines in a row are corruption, not a torn write.
  for (int attempt = 0; end > 0; ++attempt) {
    if (attempt == 2) {
      return fail(Errc::data, "the journal's last two lines are damaged: corruption, not a torn write",
                  path.string(), {}, "journal.corrupt");
    }
    // Find the newline that ends the candidate line: the last '\n' before `end`.
    std::uint64_t line_end = end;  // exclusive, points after '\n'
    {
      std::uint64_t pos = end;
      bool found = false;
      while (pos > 0 && !found) {
        std::uint64_t start = pos > k_chunk ? pos - k_chunk : 0;
        auto buf = HEMERA_TRY(pread_exact(fd, start, static_cast<std::size_t>(pos - start), path));
        auto nl = std::string_view(buf).rfind('\n');
        if (nl != std::string_view::npos) {
          line_end = start + nl + 1;
          found = true;
        }
        pos = start;
      }
      if (!found) {
        return t;  // no complete line at all: everything is torn
      }
    }
    // Find the start of that line.
    std::uint64_t line_start = 0;
    {
      std::uint64_t pos = line_end - 1;
      while (pos > 0) {
        std::uint64_t start = pos > k_chunk ? pos - k_chunk : 0;
        auto buf = HEMERA_TRY(pread_exact(fd, start, static_cast<std::size_t>(pos - start), path));
        auto nl = std::string_view(buf).rfind('\n');
        if (nl != std::string_view::npos) {
          line_start = start + nl + 1;
          break;
        }
        pos = start;
      }
    }
    auto line = HEMERA_TRY(
      pread_exact(fd, line_start, static_cast<std::size_t>(line_end - 1 - line_start), path));
    auto ev = parse_line(line);
    if (ev) {
      t.valid_end = line_end;
      t.last_seq = ev->seq;
      return t;
    }
    end = line_start;  // a bad last line is torn too: look at the one before
  }
  return t;
}

void index_event(db::Database& database, const Event& e, std::uint64_t offset)
{
  // Best effort: the journal file is the truth, the table an index that the
  // next append completes.
  (void)database.exec(
    "INSERT OR IGNORE INTO journal(seq, offset, time, actor, kind, dataset, version, "
    "record_revision, commit_token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    {static_cast<std::int64_t>(e.seq), static_cast<std::int64_t>(offset), e.time, e.actor, e.kind,
     e.dataset, e.version, e.record_revision, e.commit});
}

Result<void> reindex(db::Database& database, const fs::path& path, std::uint64_t last_seq)
{
  auto rows = HEMERA_TRY(database.query("SELECT seq, offset FROM journal ORDER BY seq DESC LIMIT 1"));
  std::uint64_t indexed = 0;
  std::uint64_t from = 0;
  std::uint64_t from_seq = 0;
  if (!rows.empty()) {
    indexed = static_cast<std::uint64_t>(rows.at(0).at(0).integer);
    from = static_cast<std::uint64_t>(rows.at(0).at(1).integer);
    from_seq = indexed - 1;
  }
  if (indexed >= last_seq) {
    return {};
  }
  // Start at the last indexed event (re-read, ignored) to check its framing.
  auto reader = HEMERA_TRY(Reader::open(path, from, from_seq));
  for (;;) {
    std::uint64_t off = reader.offset();
    auto ev = reader.next();
    if (!ev && from > 0) {
      // The recorded offset does not fit the file: index from the start.
      reader = HEMERA_TRY(Reader::open(path));
      from = 0;
      continue;
    }
    if (!ev) {
      return tl::unexpected(ev.error());
    }
    if (!*ev) {
      break;
    }
    if ((*ev)->seq > indexed) {
      index_event(database, **ev, off);
    }
  }
  return {};
}

}  // namespace

std::string Event::version_path() const
{
  return fmt::format("{}/v{}", path, version);
}

std::string Event::record_path() const
{
  return fmt::format("{}/metadata/{:04}.json", path, record_revision);
}

json to_json(const Event& e)
{
  json j = e.extra.is_object() ? e.extra : json::object();
  j["seq"] = e.seq;
  j["time"] = e.time;
  j["actor"] = e.actor;
  j["kind"] = e.kind;
  j["dataset"] = e.dataset;
  j["path"] = e.path;
  j["version"] = e.version;
  json files = json::array();
  for (const auto& f : e.files) {
    json o = {{"path", f.path}, {"size", f.size}, {"sha256", f.sha256.hex()}};
    if (f.auxiliary) {
      o["auxiliary"] = true;
    }
    files.push_back(std::move(o));
  }
  j["files"] = std::move(files);
  j["manifest_sha256"] = e.manifest_sha256 ? json(e.manifest_sha256->hex()) : json(nullptr);
  j["record_revision"] = e.record_revision;
  j["record_sha256"] = e.record_sha256 ? json(e.record_sha256->hex()) : json(nullptr);
  j["commit"] = e.commit;
  return j;
}

Result<Event> from_json(const json& j)
{
  if (!j.is_object()) {
    return fail(Errc::data, "journal event is not a JSON object", {}, {}, "journal.syntax");
  }
  Event e;
  try {
    e.extra = j;
    auto take_str = [&](const char* key, std::string& out) {
      if (j.contains(key)) {
        out = j.at(key).get<std::string>();
        e.extra.erase(key);
      }
    };
    if (j.contains("seq")) {
      e.seq = j.at("seq").get<std::uint64_t>();
      e.extra.erase("seq");
    }
    take_str("time", e.time);
    take_str("actor", e.actor);
    take_str("kind", e.kind);
    take_str("dataset", e.dataset);
    take_str("path", e.path);
    take_str("commit", e.commit);
    if (j.contains("version")) {
      e.version = j.at("version").get<int>();
      e.extra.erase("version");
    }
    if (j.contains("record_revision")) {
      e.record_revision = j.at("record_revision").get<int>();
      e.extra.erase("record_revision");
    }
    for (const char* key : {"manifest_sha256", "record_sha256"}) {
      if (j.contains(key)) {
        if (!j.at(key).is_null()) {
          auto d = checksum::Digest::from_hex(j.at(key).get<std::string>());
          if (!d) {
            return fail(Errc::data, fmt::format("{}: {}", key, d.error().message), {}, key,
                        "journal.syntax");
          }
          (std::string_view(key) == "manifest_sha256" ? e.manifest_sha256 : e.record_sha256) = *d;
        }
        e.extra.erase(key);
      }
    }
    if (j.contains("files")) {
      for (const auto& f : j.at("files")) {
        FileEntry fe;
        fe.path = f.at("path").get<std::string>();
        fe.size = f.at("size").get<std::uint64_t>();
        auto d = checksum::Digest::from_hex(f.at("sha256").get<std::string>());
        if (!d) {
          return fail(Errc::data, d.error().message, {}, "files.sha256", "journal.syntax");
        }
        fe.sha256 = *d;
        fe.auxiliary = f.value("auxiliary", false);
        e.files.push_back(std::move(fe));
      }
      e.extra.erase("files");
    }
  } catch (const json::exception& ex) {
    return fail(Errc::data, fmt::format("malformed journal event: {}", ex.what()), {}, {},
                "journal.syntax");
  }
  return e;
}

std::string format_line(const Event& e)
{
  std::string body = fmt::format("{} {}", e.seq, to_json(e).dump());
  std::uint32_t crc = crc_of(body);
  auto sp = body.find(' ');
  return fmt::format("{} {:08x}{}\n", std::string_view(body).substr(0, sp), crc,
                     std::string_view(body).substr(sp));
}

Result<Event> parse_line(std::string_view line)
{
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || line.size() < sp1 + 11 ||
      line[sp1 + 9] != ' ') {
    return fail(Errc::data, "expected '<seq> <crc32> <json>'", {}, {}, "journal.syntax");
  }
  std::uint64_t seq = 0;
  auto seq_text = line.substr(0, sp1);
  auto [p, ec] = std::from_chars(seq_text.data(), seq_text.data() + seq_text.size(), seq);
  if (ec != std::errc{} || p != seq_text.data() + seq_text.size() || seq == 0) {
    return fail(Errc::data, "bad sequence number", {}, {}, "journal.syntax");
  }
  std::uint32_t crc = 0;
  auto crc_text = line.substr(sp1 + 1, 8);
  auto [p2, ec2] = std::from_chars(crc_text.data(), crc_text.data() + 8, crc, 16);
  if (ec2 != std::errc{} || p2 != crc_text.data() + 8) {
    return fail(Errc::data, "bad CRC field", {}, {}, "journal.syntax");
  }
  std::string_view body = line.substr(sp1 + 10);
  std::string framed;
  framed.reserve(seq_text.size() + 1 + body.size());
  framed.append(seq_text).append(" ").append(body);
  if (crc_of(framed) != crc) {
    return fail(Errc::data, "CRC mismatch", {}, {}, "journal.crc");
  }
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return fail(Errc::data, "event is not valid JSON", {}, {}, "journal.syntax");
  }
  auto ev = HEMERA_TRY(from_json(j));
  if (ev.seq != seq) {
    return fail(Errc::data, "sequence number differs from the event's", {}, {}, "journal.syntax");
  }
  return ev;
}

Reader::Reader(Reader&& o) noexcept
  : m_ahead(std::move(o.m_ahead)), m_threads(o.m_threads), m_fd(o.m_fd), m_buf(std::move(o.m_buf)),
    m_pos(o.m_pos), m_eof(o.m_eof), m_offset(o.m_offset), m_torn(o.m_torn), m_line(o.m_line),
    m_last_seq(o.m_last_seq), m_path(std::move(o.m_path))
{
  o.m_fd = -1;
}

Reader& Reader::operator=(Reader&& o) noexcept
{
  if (this != &o) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = o.m_fd;
    o.m_fd = -1;
    m_ahead = std::move(o.m_ahead);
    m_threads = o.m_threads;
    m_buf = std::move(o.m_buf);
    m_pos = o.m_pos;
    m_eof = o.m_eof;
    m_offset = o.m_offset;
    m_torn = o.m_torn;
    m_line = o.m_line;
    m_last_seq = o.m_last_seq;
    m_path = std::move(o.m_path);
  }
  return *this;
}

Reader::~Reader()
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Result<Reader> Reader::open(const fs::path& path, std::uint64_t offset, std::uint64_t last_seq)
{
  Reader r;
  r.m_path = path;
  r.m_offset = offset;
  r.m_last_seq = last_seq;
  r.m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r.m_fd < 0) {
    if (errno == ENOENT) {
      r.m_eof = true;
      return r;
    }
    return tl::unexpected(errno_error(errno, "cannot open journal", path.string()));
  }
  if (offset > 0 && ::lseek(r.m_fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return tl::unexpected(errno_error(errno, "cannot seek in journal", path.string()));
  }
  return r;
}

Result<std::optional<std::string>> Reader::next_line(bool& complete)
{
  for (;;) {
    auto nl = m_buf.find('\n', m_pos);
    if (nl != std::string::npos) {
      std::string line = m_buf.substr(m_pos, nl - m_pos);
      m_pos = nl + 1;
      complete = true;
      return std::optional<std::string>(std::move(line));
    }
    if (m_eof) {
      if (m_pos < m_buf.size()) {
        std::string rest = m_buf.substr(m_pos);
        m_pos = m_buf.size();
        complete = false;
        return std::optional<std::string>(std::move(rest));
      }
      return std::optional<std::string>();
    }
    m_buf.erase(0, m_pos);
    m_pos = 0;
    std::size_t old = m_buf.size();
    m_buf.resize(old + k_chunk);
    ssize_t n = 0;
    do {
      n = ::read(m_fd, m_buf.data() + old, k_chunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      return tl::unexpected(errno_error(errno, "cannot read journal", m_path.string()));
    }
    m_buf.resize(old + static_cast<std::size_t>(n));
    if (n == 0) {
      m_eof = true;
    }
  }
}

Result<void> Reader::fill_ahead()
{
  constexpr std::size_t k_ahead_bytes = 4u << 20;
  constexpr std::size_t k_ahead_lines = 4096;
  std::size_t bytes = 0;
  while (bytes < k_ahead_bytes && m_ahead.size() < k_ahead_lines) {
    bool complete = false;
    auto line = HEMERA_TRY(next_line(complete));
    if (!line) {
      break;
    }
    bytes += line->size();
    m_ahead.push_back(Ahead{std::move(*line), complete, std::nullopt});
    if (!complete) {
      break;
    }
  }
  // Contiguous shares of the lines, one per thread (the last on this one).
  const std::size_t n = m_ahead.size();
  const std::size_t threads = std::min<std::size_t>(m_threads, std::max<std::size_t>(1, n / 8));
  auto parse_range = [this](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      if (m_ahead[i].complete) {
        m_ahead[i].event = parse_line(m_ahead[i].line);
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t + 1 < threads; ++t) {
    pool.emplace_back(parse_range, n * t / threads, n * (t + 1) / threads);
  }
  parse_range(n * (threads - 1) / threads, n);
  for (auto& t : pool) {
    t.join();
  }
  return {};
}

Result<bool> Reader::take(std::string& line, bool& complete, std::optional<Result<Event>>& parsed)
{
  if (m_ahead.empty() && m_threads > 1) {
    HEMERA_TRY(fill_ahead());
  }
  if (!m_ahead.empty()) {
    Ahead& a = m_ahead.front();
    line = std::move(a.line);
    complete = a.complete;
    parsed = std::move(a.event);
    m_ahead.pop_front();
    return true;
  }
  parsed.reset();
  auto next = HEMERA_TRY(next_line(complete));
  if (!next) {
    return false;
  }
  line = std::move(*next);
  return true;
}

Result<std::optional<Event>> Reader::next()
{
  bool complete = false;
  std::string line;
  std::optional<Result<Event>> parsed;
  if (!HEMERA_TRY(take(line, complete, parsed))) {
    return std::optional<Event>();
  }
  ++m_line;
  std::uint64_t len = line.size() + (complete ? 1 : 0);
  if (!complete) {
    m_torn = len;
    return std::optional<Event>();
  }
  auto ev = parsed ? std::move(*parsed) : parse_line(line);
  if (!ev || ev->seq != m_last_seq + 1) {
    // A bad line is a torn tail only if no other complete line follows it.
    std::uint64_t rest = len;
    bool only_garbage = true;
    for (;;) {
      bool c = false;
      std::string more;
      std::optional<Result<Event>> ignored;
      if (!HEMERA_TRY(take(more, c, ignored))) {
        break;
      }
      rest += more.size() + (c ? 1 : 0);
      if (c) {
        only_garbage = false;
        break;
      }
    }
    if (only_garbage) {
      m_torn = rest;
      return std::optional<Event>();
    }
    std::string why = ev ? fmt::format("sequence number {} after {}", ev->seq, m_last_seq)
                         : ev.error().message;
    return fail(Errc::data, fmt::format("corrupt journal line: {}", why),
                fmt::format("{}:{}", m_path.string(), m_line), {},
                ev ? "journal.sequence" : ev.error().rule);
  }
  m_offset += len;
  m_last_seq = ev->seq;
  return std::optional<Event>(std::move(*ev));
}

Result<ReadResult> read_all(const fs::path& path)
{
  ReadResult out;
  auto reader = HEMERA_TRY(Reader::open(path));
  for (;;) {
    auto ev = HEMERA_TRY(reader.next());
    if (!ev) {
      break;
    }
    out.events.push_back(std::move(*ev));
  }
  out.valid_bytes = reader.offset();
  out.torn_bytes = reader.torn_bytes();
  return out;
}

namespace {

Result<std::uint64_t> cut_tail(int fd, const fs::path& path, Tail& tail)
{
  tail = HEMERA_TRY(find_tail(fd, path));
  if (tail.valid_end < tail.size) {
    if (::ftruncate(fd, static_cast<off_t>(tail.valid_end)) != 0 || ::fsync(fd) != 0) {
      return tl::unexpected(errno_error(errno, "cannot cut the journal's torn tail", path.string()));
    }
    return tail.size - tail.valid_end;
  }
  return std::uint64_t{0};
}

}  // namespace

Result<std::uint64_t> append(const fs::path& path, const fs::path& lock_path, Event& event,
                             db::Database* database)
{
  auto lock = HEMERA_TRY(util::FileLock::acquire(lock_path));
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open journal", path.string()));
  }
  Tail tail;
  auto cut = HEMERA_TRY(cut_tail(fd.get(), path, tail));
  (void)cut;
  if (database != nullptr) {
    (void)reindex(*database, path, tail.last_seq);
  }
  event.seq = tail.last_seq + 1;
  if (event.time.empty()) {
    event.time = now_iso8601();
  }
  std::string line = format_line(event);
  std::string_view rest = line;
  off_t off = static_cast<off_t>(tail.valid_end);
  while (!rest.empty()) {
    ssize_t n = ::pwrite(fd.get(), rest.data(), rest.size(), off);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      (void)::ftruncate(fd.get(), static_cast<off_t>(tail.valid_end));
      return tl::unexpected(errno_error(err, "cannot write journal", path.string()));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
    off += n;
  }
  if (::fdatasync(fd.get()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot sync journal", path.string()));
  }
  if (database != nullptr) {
    index_event(*database, event, tail.valid_end);
  }
  return event.seq;
}

Result<void> index(const fs::path& path, db::Database& database)
{
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return {};
    }
    return tl::unexpected(errno_error(errno, "cannot open journal", path.string()));
  }
  auto tail = HEMERA_TRY(find_tail(fd.get(), path));
  return reindex(database, path, tail.last_seq);
}

Result<std::uint64_t> repair(const fs::path& path, const fs::path& lock_path)
{
  {
    // Look without the lock first: a whole journal needs no writer.
    util::UniqueFd ro(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (ro.get() < 0) {
      if (errno == ENOENT) {
        return std::uint64_t{0};
      }
      return tl::unexpected(errno_error(errno, "cannot open journal", path.string()));
    }
    auto t = HEMERA_TRY(find_tail(ro.get(), path));
    if (t.valid_end == t.size) {
      return std::uint64_t{0};
    }
  }
  auto lock = HEMERA_TRY(util::FileLock::acquire(lock_path));
  util::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return std::uint64_t{0};
    }
    return tl::unexpected(errno_error(errno, "cannot open journal", path.string()));
  }
  Tail tail;
  return cut_tail(fd.get(), path, tail);
}

Result<bool> contains_commit(const fs::path& path, std::string_view commit)
{
  if (commit.empty()) {
    return false;
  }
  auto reader = HEMERA_TRY(Reader::open(path));
  for (;;) {
    auto ev = HEMERA_TRY(reader.next());
    if (!ev) {
      return false;
    }
    if (ev->commit == commit) {
      return true;
    }
  }
}

}  // namespace hemera::archive::journal
