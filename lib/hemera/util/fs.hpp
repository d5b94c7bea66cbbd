// SPDX-License-Identifier: Apache-2.0
// File-system helpers that return Result: atomic writes, fsync, locks.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <hemera/error.hpp>

namespace hemera::util {

namespace fs = std::filesystem;

// Return the whole content of the file at `path`.
Result<std::string> read_file(const fs::path& path);

// Write `data` to `path` atomically: a temporary file beside it, fsync, rename,
// fsync of the directory. `mode` is the new file's permission bits.
Result<void> write_file_atomic(const fs::path& path, std::string_view data,
                               unsigned mode = 0644);

// Append `data` to `path` (created with `mode` if missing) and fsync it.
Result<void> append_file(const fs::path& path, std::string_view data,
                         unsigned mode = 0644);

// fsync the directory `dir` so that renames and creations in it are durable.
Result<void> fsync_dir(const fs::path& dir);

// Create `dir` and its parents with `mode`; succeed if it exists as a directory.
Result<void> make_dirs(const fs::path& dir, unsigned mode = 0755);

// An exclusive advisory lock (flock) on a lock file, released on destruction.
class FileLock {
 public:
  FileLock() = default;
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

  // Take the lock on `path`, creating the file; wait when `wait` is true,
  // else fail with Errc::temp_fail if another process holds it.
  static Result<FileLock> acquire(const fs::path& path, bool wait = true);

 private:
  int m_fd = -1;
};

}  // namespace hemera::util
