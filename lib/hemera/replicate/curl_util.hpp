// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the libcurl targets: one easy handle per target (so
// connections are reused), streaming readers and writers that hash, and the
// mapping of libcurl results to error classes.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <curl/curl.h>

#include <hemera/checksum.hpp>
#include <hemera/error.hpp>
#include <hemera/replicate/rate.hpp>

namespace hemera::replicate::detail {

// Initialise libcurl once for the process.
void global_init();

// An easy handle, reset before each operation, run through a multi handle
// of its own that keeps the live connections (and their FTP/SFTP sessions)
// from one operation to the next.
class Easy {
 public:
  Easy();
  Easy(const Easy&) = delete;
  Easy& operator=(const Easy&) = delete;
  ~Easy();

  // Reset the options and return the handle.
  CURL* fresh();
  // Return the handle.
  CURL* get() { return m_curl; }
  // Run the transfer set up on the handle, as curl_easy_perform does, but
  // never sleep longer than k_poll_cap_ms between two looks at it: libcurl
  // 7.88 sometimes misses the wake-up after an FTP EPSV reply or an SSH
  // step and would wait for its next 1 s timer (per file, on a reused connection).
  CURLcode perform();

  // The longest wait for socket activity before libcurl is run again.
  static constexpr int k_poll_cap_ms = 5;
  // The longest wait for the connection to become readable while libcurl
  // has no socket to wait on.
  static constexpr int k_idle_wait_ms = 1;
  // The most such waits in a row that find the connection readable before a
  // plain sleep of k_poll_cap_ms.
  static constexpr int k_max_unheeded = 8;

 private:
  CURL* m_curl = nullptr;
  CURLM* m_multi = nullptr;
};

// A curl_slist owned by value.
class Slist {
 public:
  Slist() = default;
  Slist(const Slist&) = delete;
  Slist& operator=(const Slist&) = delete;
  ~Slist();
  // Append one string.
  void add(const std::string& s);
  // Return the list (nullptr when empty).
  curl_slist* get() { return m_list; }

 private:
  curl_slist* m_list = nullptr;
};

// Reads a local file for an upload, hashing each byte in the same pass.
struct UploadSource {
  std::FILE* file = nullptr;
  checksum::Sha256 hasher;
  std::uint64_t sent = 0;
  bool read_error = false;
  RateLimiter* limiter = nullptr;  // the run's shared bandwidth limit, if any
  // The gate: when `expect` is set, the last byte is handed to libcurl only
  // if the whole file read has exactly that size and digest; otherwise the
  // transfer is aborted (`mismatch`) before it can complete, so that nothing
  // queued after it (a rename) runs. `digest` holds what was read.
  const checksum::FileHash* expect = nullptr;
  bool mismatch = false;
  std::optional<checksum::Digest> digest;
};

// CURLOPT_READFUNCTION for UploadSource.
std::size_t upload_read(char* buffer, std::size_t size, std::size_t count, void* user);

// Receives a download, hashing it and writing it to `file` when set.
struct DownloadSink {
  std::FILE* file = nullptr;
  checksum::Sha256 hasher;
  std::uint64_t received = 0;
  bool write_error = false;
};

// CURLOPT_WRITEFUNCTION for DownloadSink.
std::size_t download_write(char* buffer, std::size_t size, std::size_t count, void* user);

// CURLOPT_WRITEFUNCTION appending to a std::string (listings, small replies).
std::size_t string_write(char* buffer, std::size_t size, std::size_t count, void* user);

// Return the error class and message for a libcurl result; `what` names the
// operation and `where` the redacted remote location.
Error curl_error(CURLcode code, const char* errbuf, const std::string& what,
                 const std::string& where);

// Return the error class of an HTTP status (401/403 → config, 404 → no_input,
// 408/429/5xx → temp_fail, other → unavailable).
Errc http_errc(long status);

// Return `s` with each byte outside [A-Za-z0-9-._~/] percent-encoded.
std::string url_path_escape(const std::string& s);

}  // namespace hemera::replicate::detail
