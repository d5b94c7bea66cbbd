// SPDX-License-Identifier: Apache-2.0
// An output file that appears whole or not at all: written to a temporary
// file beside the target, then fsynced and renamed over it by commit().
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <hemera/error.hpp>

namespace hemera::convert {

// Buffered writes to a temporary file that becomes `path` on commit(); the
// temporary file is removed when the object dies uncommitted, or when SIGINT,
// SIGTERM or SIGHUP ends the process. The path "-" writes to standard output
// instead (no atomicity there).
class AtomicOutput {
 public:
  AtomicOutput() = default;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  AtomicOutput(AtomicOutput&& other) noexcept;
  AtomicOutput& operator=(AtomicOutput&& other) noexcept;
  ~AtomicOutput();

  // Create the temporary file for `path`; fail with cant_create when `path`
  // exists and `overwrite` is false.
  static Result<AtomicOutput> open(const std::filesystem::path& path, bool overwrite);

  // Append `data` (buffered).
  Result<void> write(std::string_view data);
  // Return the temporary file's path (empty for standard output), for
  // libraries that write the file themselves (netCDF).
  [[nodiscard]] const std::filesystem::path& temp_path() const { return m_temp; }
  // Close the temporary file so that a library can write it by name.
  Result<void> hand_over();
  // Return the final path.
  [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
  // Return the number of bytes written through write().
  [[nodiscard]] std::uint64_t bytes() const { return m_bytes; }
  // Flush, fsync, rename over the final path and fsync its directory.
  Result<void> commit();
  // As commit(), after `check` accepted the complete temporary file.
  Result<void> commit_check(const std::function<Result<void>(const std::filesystem::path&)>& check);

 private:
  Result<void> flush();
  void discard() noexcept;

  std::filesystem::path m_path;
  std::filesystem::path m_temp;
  int m_fd = -1;
  bool m_stdout = false;
  bool m_committed = false;
  std::string m_buf;
  std::uint64_t m_bytes = 0;
  int m_slot = -1;  // signal-cleanup slot of the temporary file
};

}  // namespace hemera::convert
