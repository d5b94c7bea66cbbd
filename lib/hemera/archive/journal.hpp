// SPDX-License-Identifier: Apache-2.0
// The archive journal (.hemera/journal): append-only, one event per committed
// change. Each line is "<seq> <crc32> <json>\n": a decimal sequence number
// (1, 2, 3… without gaps), the CRC-32 (zlib) of "<seq> <json>" as 8 lower-case
// hexadecimal digits, and the event as one compact JSON object. The writer,
// under .hemera/locks/journal.lock, cuts a torn tail before appending.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/checksum.hpp>
#include <hemera/error.hpp>

namespace hemera::db {
class Database;
}

namespace hemera::archive::journal {

namespace fs = std::filesystem;

// Event kinds written by the archive module.
inline constexpr std::string_view k_dataset_new = "dataset.new";      // v1 of a new dataset
inline constexpr std::string_view k_version_new = "version.new";      // v<N>, N > 1
inline constexpr std::string_view k_record_revision = "record.revision";  // record edit only

// One file of a committed version, as journaled (and as in its manifest).
struct FileEntry {
  std::string path;  // relative to the version directory ("o3_20210618.na")
  std::uint64_t size = 0;
  checksum::Digest sha256;
  bool auxiliary = false;  // an auxiliary (GPS…) file beside NASA Ames files
};

// One journal event.
struct Event {
  std::uint64_t seq = 0;   // assigned by append(); 1 for the first event
  std::string time;        // ISO 8601 UTC, "2026-11-26T09:30:00Z"
  std::string actor;       // who committed the change
  std::string kind;        // k_dataset_new, k_version_new, k_record_revision…
  std::string dataset;     // the dataset's UUID
  std::string path;        // dataset directory relative to the root: "DATB/campaign/<uuid>"
  int version = 0;         // the committed version (v<N>); 0 for record-only events
  std::vector<FileEntry> files;  // the version's files (empty for record-only events)
  std::optional<checksum::Digest> manifest_sha256;  // SHA-256 of v<N>/manifest-sha256.txt
  int record_revision = 0;                          // metadata/<NNNN>.json written with it
  std::optional<checksum::Digest> record_sha256;    // SHA-256 of that revision file
  std::string commit;      // the commit's token (staging id), makes completion idempotent
  nlohmann::json extra = nlohmann::json::object();  // unknown fields, kept

  // Return the version directory relative to the root ("DATB/c/<uuid>/v2").
  [[nodiscard]] std::string version_path() const;
  // Return the record revision file relative to the root ("…/metadata/0002.json").
  [[nodiscard]] std::string record_path() const;
};

// Return the event as its JSON object (without the line framing).
nlohmann::json to_json(const Event& e);
// Parse an event from its JSON object; unknown fields go to Event::extra.
Result<Event> from_json(const nlohmann::json& j);

// Return one framed journal line for `e` (with its trailing newline).
std::string format_line(const Event& e);
// Parse one framed line (without its newline); check the CRC and that the
// prefix sequence number matches the JSON's.
Result<Event> parse_line(std::string_view line);

// What reading a whole journal found.
struct ReadResult {
  std::vector<Event> events;
  std::uint64_t valid_bytes = 0;  // length of the well-formed prefix
  std::uint64_t torn_bytes = 0;   // bytes after it (a torn last line), 0 if none
};

// Streams the events of a journal file in order, with constant memory per
// event. A torn last line (no newline, or a bad last line) ends the stream
// quietly; a bad line followed by good ones is corruption (Errc::data, with
// the line number).
class Reader {
 public:
  Reader(Reader&&) noexcept;
  Reader& operator=(Reader&&) noexcept;
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Open the journal at `path`; a missing file reads as empty. Start at byte
  // `offset` (the start of a line) whose previous event has sequence number
  // `last_seq` (0 and 0: from the beginning).
  static Result<Reader> open(const fs::path& path, std::uint64_t offset = 0,
                             std::uint64_t last_seq = 0);
  // Return the next event, or nullopt at the end.
  Result<std::optional<Event>> next();
  // Parse the lines read ahead (up to 4 MiB at a time) on `threads` threads;
  // events still come one at a time, in order, with the same checks. For
  // readers of the whole journal (hemera-verify): parsing is most of the read.
  void parse_ahead(unsigned threads) { m_threads = threads == 0 ? 1 : threads; }
  // Return the number of bytes of well-formed lines read so far.
  [[nodiscard]] std::uint64_t offset() const { return m_offset; }
  // Return the number of torn bytes found at the end (valid once next() returned nullopt).
  [[nodiscard]] std::uint64_t torn_bytes() const { return m_torn; }

 private:
  // A line read ahead, parsed when complete.
  struct Ahead {
    std::string line;
    bool complete = false;
    std::optional<Result<Event>> event;
  };

  Reader() = default;
  Result<std::optional<std::string>> next_line(bool& complete);
  // The next line, from the lines read ahead first; `parsed` holds its parse
  // when it was read ahead. False at the end.
  Result<bool> take(std::string& line, bool& complete, std::optional<Result<Event>>& parsed);
  // Read lines ahead and parse them on m_threads threads.
  Result<void> fill_ahead();

  std::deque<Ahead> m_ahead;
  unsigned m_threads = 1;
  int m_fd = -1;
  std::string m_buf;
  std::size_t m_pos = 0;
  bool m_eof = false;
  std::uint64_t m_offset = 0;
  std::uint64_t m_torn = 0;
  std::uint64_t m_line = 0;
  std::uint64_t m_last_seq = 0;
  fs::path m_path;
};

// Read every event of the journal at `path` (see Reader for torn tails).
Result<ReadResult> read_all(const fs::path& path);

// Append `event` to the journal at `path`: take `lock_path` (waiting), cut a
// torn tail, set event.seq to the last sequence number + 1 (and event.time if
// empty), write one line and fsync. When `database` is given, also index the
// event (and any event not yet indexed) in hemera.db's journal table. Return
// the sequence number.
Result<std::uint64_t> append(const fs::path& path, const fs::path& lock_path, Event& event,
                             db::Database* database = nullptr);

// Index in `database`'s journal table every event of the journal at `path`
// not yet indexed, reading from the last indexed event's offset.
Result<void> index(const fs::path& path, db::Database& database);

// Cut a torn tail of the journal at `path` under `lock_path`; return the
// number of bytes removed (0 when the journal was whole).
Result<std::uint64_t> repair(const fs::path& path, const fs::path& lock_path);

// Return true if the journal at `path` holds an event whose commit token is
// `commit` (used to complete interrupted commits exactly once).
Result<bool> contains_commit(const fs::path& path, std::string_view commit);

}  // namespace hemera::archive::journal
