// SPDX-License-Identifier: Apache-2.0
// Replication targets: one interface for every kind of remote site (file://,
// ftp://, ftps://, sftp://, s3://), chosen from an explicit scheme table.
// Keys are paths relative to the archive root ("DATB/c/<uuid>/v1/f.na");
// each target maps them below the prefix of its URL.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hemera/checksum.hpp>
#include <hemera/error.hpp>
#include <hemera/replicate/rate.hpp>

namespace hemera::replicate {

namespace fs = std::filesystem;

// The reserved remote prefix where uploads live until they are renamed.
inline constexpr const char* k_temp_prefix = ".hemera-tmp/";

// What a target can do.
struct Properties {
  std::string scheme;          // "file", "ftp", "ftps", "sftp", "s3"
  bool atomic_replace = true;  // rename overwrites an existing final name
  bool stored_hash = false;    // the server keeps a SHA-256 it checked itself (S3)
  bool network = true;         // false for file://
  bool resumable = false;      // resume_temp appends to a partial temporary file
  bool placed_upload = false;  // put_placed: every write acknowledged, renamed in the same exchange (SFTP)
};

// One remote object.
struct RemoteStat {
  std::uint64_t size = 0;
};

// Everything a target needs from the configuration (secrets already read).
struct TargetConfig {
  std::string name;              // the configuration's name for the target
  std::string url;               // file://…, ftps://host/prefix, s3://bucket/prefix
  std::string user;
  std::string password;          // from password_file (never logged)
  std::string key_file;          // SFTP private key
  std::string ca_file;           // TLS trust anchors (optional)
  std::string host_key_sha256;   // SFTP pinned host key, base64 (with or without "SHA256:")
  std::string known_hosts;       // SFTP known_hosts file
  std::string endpoint;          // S3 endpoint URL (http[s]://host:port)
  std::string region = "us-east-1";
  std::string access_key;        // S3
  std::string secret_key;        // S3
  bool trust_transport = false;  // skip the read-back hash after upload (FTP/SFTP)
  bool allow_plaintext = false;  // allow ftp:// or http:// to a non-loopback host
  std::uint64_t bwlimit = 0;     // bytes per second per connection, 0 = none
  std::shared_ptr<RateLimiter> limiter;  // one limit shared by every connection of a run, or null
  std::chrono::seconds timeout{60};  // connect and stall timeout of one operation
  // S3: files of at least this many bytes go up as a multipart upload
  // (targets.*.multipart_threshold), in parts of this size (at least 5 MiB;
  // targets.*.multipart_part_size); an interrupted one is resumed.
  std::uint64_t multipart_threshold = 64ULL << 20;
  std::uint64_t multipart_part_size = 16ULL << 20;
};

// Called with the number of bytes just sent or received.
using ByteCounter = std::function<void(std::uint64_t)>;

// A remote site. Implementations are not thread-safe: use one per worker.
class Target {
 public:
  virtual ~Target() = default;

  // Open the connection now (log in) rather than on the first operation;
  // nothing for targets without one.
  virtual Result<void> connect() { return {}; }
  // Upload local file `source` to `key` (a temporary name), hashing what is read
  // in the same pass; return the size and SHA-256 of what was sent.
  // `expected` is the journaled digest (S3 signs and declares it).
  virtual Result<checksum::FileHash> put_temp(const std::string& key, const fs::path& source,
                                              const checksum::Digest& expected) = 0;
  // Continue an interrupted upload of `source` to the temporary name `key`,
  // which holds its first `offset` bytes: send the rest (appended), hashing the
  // whole local file in the same pass; return the size and SHA-256 of the
  // whole file. Targets whose properties say !resumable restart with put_temp.
  virtual Result<checksum::FileHash> resume_temp(const std::string& key, const fs::path& source,
                                                 std::uint64_t offset, const checksum::Digest& expected)
  {
    (void)offset;
    return put_temp(key, source, expected);
  }
  // Move `from` to `to`, replacing `to` if it exists; create `to`'s folders.
  virtual Result<void> rename(const std::string& from, const std::string& to) = 0;
  // Where properties().placed_upload: upload `source` to the temporary name
  // `tmp` and, only if what was read has exactly `expected`'s size and
  // SHA-256 and the server acknowledged every byte of it, rename it to `key`
  // in the same exchange. Returns what was read: a digest or size other than
  // `expected` means nothing was renamed (the temporary file may remain).
  virtual Result<checksum::FileHash> put_placed(const std::string& tmp, const std::string& key,
                                                const fs::path& source, const checksum::FileHash& expected)
  {
    (void)tmp;
    (void)source;
    (void)expected;
    return fail(Errc::unavailable, "this target cannot rename on acknowledgement", key);
  }
  // Return the size of `key`, or nullopt when it does not exist.
  virtual Result<std::optional<RemoteStat>> stat(const std::string& key) = 0;
  // Return the SHA-256 the server stored and checked itself, or nullopt when
  // the protocol has none (FTP, SFTP, file).
  virtual Result<std::optional<checksum::Digest>> remote_hash(const std::string& key) = 0;
  // Stream `key` into the hasher (never to disk); return its size and SHA-256.
  virtual Result<checksum::FileHash> read_hash(const std::string& key) = 0;
  // Download `key` into the local file `dest` (created, truncated).
  virtual Result<checksum::FileHash> get(const std::string& key, const fs::path& dest) = 0;
  // Remove `key`; succeed when it does not exist.
  virtual Result<void> remove(const std::string& key) = 0;
  // Return the names directly inside the temporary prefix.
  virtual Result<std::vector<std::string>> list_temp() = 0;
  // Return the key of every file (object) below the target's prefix, outside
  // the temporary prefix, in no particular order.
  virtual Result<std::vector<std::string>> list_all() = 0;
  // Return what the target can do.
  [[nodiscard]] virtual Properties properties() const = 0;
};

// Return a new target for `config.url` from the scheme table (file, ftp,
// ftps, sftp, s3); Errc::unavailable for an unknown scheme, Errc::config for
// plaintext to a non-loopback host without allow_plaintext, or SFTP without a
// pinned host key.
Result<std::unique_ptr<Target>> make_target(const TargetConfig& config);

// Return the schemes of the scheme table.
std::vector<std::string> schemes();

// Retry policy of the retry decorator.
struct RetryPolicy {
  std::chrono::milliseconds base{1000};      // first delay
  std::chrono::milliseconds cap{60000};      // largest delay
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Wrap `inner` so that temporary failures (Errc::temp_fail) are retried with
// exponential back-off and full jitter until the policy's deadline.
std::unique_ptr<Target> with_retry(std::unique_ptr<Target> inner, RetryPolicy policy);

// Return the temporary name used for final key `key` (stable, so an interrupted
// upload is found again).
std::string temp_key(const std::string& key);

// Return true if `host` is a loopback name or address.
bool is_loopback_host(const std::string& host);

}  // namespace hemera::replicate
