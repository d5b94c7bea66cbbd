// SPDX-License-Identifier: Apache-2.0
// SHA-256 fixity: streaming hashes, files hashed in one pass, BagIt manifests.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
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

// Hash the file at `path` with large sequential reads; memory does not grow
// with the file's size.
Result<FileHash> hash_file(const fs::path& path);

// Copy `src` to the new file `dst` (created with `mode`, O_EXCL), hashing the
// bytes in the same pass, and fsync `dst`.
Result<FileHash> copy_and_hash(const fs::path& src, const fs::path& dst, unsigned mode = 0444);

// One manifest line: "<sha256>  <relative path>" (BagIt).
struct ManifestEntry {
  Digest digest;
  std::string path;  // relative, '/'-separated
};

// Parse a BagIt SHA-256 manifest strictly; a malformed line is an error naming
// `name` and the line.
Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text, const std::string& name);

// Return the manifest text for `entries`, sorted by path.
std::string format_manifest(std::vector<ManifestEntry> entries);

}  // namespace hemera::checksum
