// SPDX-License-Identifier: Apache-2.0
// SHA-256 fixity: streaming hashes, files hashed in one pass, BagIt manifests.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hemera/error.hpp>

namespace hemera::checksum {

namespace fs = std::filesystem;

// A SHA-256 digest.
struct Digest {
  std::array<std::uint8_t, 32> bytes{};

  // Return the lower-case hexadecimal form (64 characters).
  [[nodiscard]] std::string hex() const;
  // Parse 64 hexadecimal characters.
  static Result<Digest> from_hex(std::string_view hex);
  bool operator==(const Digest& other) const = default;
};

// An incremental SHA-256 (OpenSSL EVP, SHA instructions where available).
class Sha256 {
 public:
  Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  // Add `data` to the hash.
  void update(const void* data, std::size_t size);
  // Return the digest; the object is reset for a new hash.
  Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// Size and digest of one file, computed in one pass.
struct FileHash {
  std::uint64_t size = 0;
  Digest digest;
};

// Return the SHA-256 of `data`.
Digest sha256(std::string_view data);

// The size of each read: large enough for few system calls, small enough to
// stay in the CPU's cache while hashed.
inline constexpr std::size_t k_read_size = 256U * 1024U;

// Hash the file at `path` with large sequential reads; memory does not grow
// with the file's size. Each thread reuses one read buffer.
Result<FileHash> hash_file(const fs::path& path);

// How to hash one file.
struct HashOptions {
  // Read on a second thread while hashing, for files of at least this many
  // bytes (0: never); worth it for large files when a CPU is idle.
  std::uint64_t pipelined_from = 0;
};

// Hash the file at `path` as `options` say.
Result<FileHash> hash_file(const fs::path& path, const HashOptions& options);

// Hash the file `name` relative to the directory `dirfd` (AT_FDCWD: the
// working directory) as `options` say: open, fstat, reads, close and nothing
// else per small file. `shown` names the file in errors.
Result<FileHash> hash_file_at(int dirfd, const char* name, const HashOptions& options,
                              std::string_view shown);

// Run `work(index)` for every index in [0, count) on at most `jobs` threads
// (0: one per CPU), in index order of start; `stop`, when set, is asked before
// each item is started and ends the run early. Return how many items were started.
std::size_t parallel_for(std::size_t count, unsigned jobs,
                         const std::function<void(std::size_t)>& work,
                         const std::function<bool()>& stop = {});

// As parallel_for, with `work(index, worker)` also told which of the
// effective_jobs(jobs) workers runs it (0 ..), for state kept per worker.
std::size_t parallel_for_workers(std::size_t count, unsigned jobs,
                                 const std::function<void(std::size_t, unsigned)>& work,
                                 const std::function<bool()>& stop = {});

// Hash every file of `paths` with at most `jobs` threads (0: one per CPU);
// the results are in the order of `paths`.
std::vector<Result<FileHash>> hash_files(const std::vector<fs::path>& paths, unsigned jobs = 0);

// Return the number of worker threads `jobs` means (0: one per CPU).
unsigned effective_jobs(unsigned jobs) noexcept;

// Copy `src` to the new file `dst` (created with `mode`, O_EXCL), hashing the
// bytes in the same pass, and fsync `dst`.
Result<FileHash> copy_and_hash(const fs::path& src, const fs::path& dst, unsigned mode = 0444);

// One manifest line: "<sha256>  <relative path>" (BagIt).
struct ManifestEntry {
  Digest digest;
  std::string path;  // relative, '/'-separated
};

// Parse a BagIt SHA-256 manifest strictly: "<64 hex>  <path>" lines ending in
// LF, relative '/'-separated paths without "." or ".." segments, "%25", "%0A"
// and "%0D" decoded (RFC 8493 §2.1.3), no duplicate path. A malformed line is an
// error (Errc::data, rule "manifest.syntax" or "manifest.path") naming `name`
// and the line.
Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text, const std::string& name);

// Return the manifest text for `entries`, sorted by path, with '%', LF and CR
// in paths percent-encoded.
std::string format_manifest(std::vector<ManifestEntry> entries);

// Return the manifest file name for SHA-256 ("manifest-sha256.txt").
inline constexpr const char* k_manifest_name = "manifest-sha256.txt";

}  // namespace hemera::checksum
