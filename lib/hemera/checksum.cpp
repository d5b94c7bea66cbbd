// SPDX-License-Identifier: Apache-2.0
#include <hemera/checksum.hpp>
#include <hemera/util/hex.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace hemera::checksum {

namespace {

using util::hex_value;
constexpr const char* k_hex = util::k_hex_digits;

struct FdCloser {
  int fd;
  ~FdCloser()
  {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

Result<std::size_t> read_some(int fd, char* buf, std::size_t size, std::string_view shown)
{
  for (;;) {
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return tl::unexpected(errno_error(errno, "cannot read", std::string(shown)));
    }
  }
}

// Open `name` (relative to `dirfd`) read-only without updating its access
// time where the kernel allows it (owner or CAP_FOWNER); once refused, the
// thread stops asking.
int open_for_reading_at(int dirfd, const char* name)
{
  thread_local bool noatime_refused = false;
  if (!noatime_refused) {
    int fd = ::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOATIME);
    if (fd >= 0 || errno != EPERM) {
      return fd;
    }
    noatime_refused = true;
  }
  return ::openat(dirfd, name, O_RDONLY | O_CLOEXEC);
}

// Open `path` read-only as open_for_reading_at does.
int open_for_reading(const fs::path& path)
{
  return open_for_reading_at(AT_FDCWD, path.c_str());
}

// One read buffer and one hashing context per thread, reused for every file.
struct ThreadState {
  std::unique_ptr<char[]> buffer{new char[k_read_size]};
  Sha256 hasher;
};

ThreadState& thread_state()
{
  thread_local ThreadState state;
  return state;
}

}  // namespace

std::string Digest::hex() const
{
  std::string out(64, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = k_hex[bytes[i] >> 4];
    out[2 * i + 1] = k_hex[bytes[i] & 0x0F];
  }
  return out;
}

Result<Digest> Digest::from_hex(std::string_view hex)
{
  if (hex.size() != 64) {
    return fail(Errc::data, fmt::format("a SHA-256 has 64 hexadecimal digits, found {} characters",
                                        hex.size()));
  }
  Digest d;
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = hex_value(hex[2 * i]);
    int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return fail(Errc::data, "not a hexadecimal digit in the SHA-256");
    }
    d.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Impl() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_impl(std::make_unique<Impl>()) {}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size)
{
  EVP_DigestUpdate(m_impl->ctx, data, size);
}

Digest Sha256::finish()
{
  Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(m_impl->ctx, d.bytes.data(), &len);
  EVP_DigestInit_ex(m_impl->ctx, EVP_sha256(), nullptr);
  return d;
}

Digest sha256(std::string_view data)
{
  Sha256 h;
  h.update(data.data(), data.size());
  return h.finish();
}

namespace {

// Hash `fd` with reads and hashing on two threads, so the copy out of the page
// cache overlaps the hashing (worth it for large files when a CPU is free).
Result<FileHash> hash_pipelined(int fd, const fs::path& path, Sha256& hasher)
{
  constexpr std::size_t k_slots = 4;
  constexpr std::size_t k_slot_size = 4 * k_read_size;
  std::unique_ptr<char[]> buffers(new char[k_slots * k_slot_size]);
  std::array<std::size_t, k_slots> sizes{};
  std::optional<Error> read_error;
  std::counting_semaphore<k_slots> free_slots(k_slots);
  std::counting_semaphore<k_slots> filled(0);
  std::thread reader([&] {
    for (std::size_t i = 0;; ++i) {
      free_slots.acquire();
      std::size_t slot = i % k_slots;
      auto n = read_some(fd, buffers.get() + slot * k_slot_size, k_slot_size, path.native());
      if (!n) {
        read_error = n.error();
        sizes[slot] = 0;
      } else {
        sizes[slot] = *n;
      }
      filled.release();
      if (!n || *n == 0) {
        return;
      }
    }
  });
  FileHash out;
  for (std::size_t i = 0;; ++i) {
    filled.acquire();
    std::size_t slot = i % k_slots;
    std::size_t n = sizes[slot];
    if (n == 0) {
      break;
    }
    hasher.update(buffers.get() + slot * k_slot_size, n);
    out.size += n;
    free_slots.release();
  }
  reader.join();
  out.digest = hasher.finish();
  if (read_error) {
    return tl::unexpected(*read_error);
  }
  return out;
}

}  // namespace

Result<FileHash> hash_file(const fs::path& path)
{
  return hash_file(path, HashOptions{});
}

Result<FileHash> hash_file(const fs::path& path, const HashOptions& options)
{
  return hash_file_at(AT_FDCWD, path.c_str(), options, path.native());
}

Result<FileHash> hash_file_at(int dirfd, const char* name, const HashOptions& options,
                              std::string_view shown)
{
  FdCloser fd{open_for_reading_at(dirfd, name)};
  if (fd.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", std::string(shown)));
  }
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) {
    return tl::unexpected(errno_error(errno, "cannot stat", std::string(shown)));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::data, "not a regular file", std::string(shown));
  }
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > k_read_size) {
    ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  ThreadState& ts = thread_state();
  if (options.pipelined_from != 0 && size >= options.pipelined_from) {
    return hash_pipelined(fd.fd, fs::path(shown), ts.hasher);
  }
  FileHash out;
  for (;;) {
    auto n = read_some(fd.fd, ts.buffer.get(), k_read_size, shown);
    if (!n) {
      (void)ts.hasher.finish();  // leave the context clean for the next file
      return tl::unexpected(n.error());
    }
    if (*n == 0) {
      break;
    }
    ts.hasher.update(ts.buffer.get(), *n);
    out.size += *n;
    // A short read that reaches the size fstat gave is the end of a regular
    // file: no further read to see it return 0.
    if (*n < k_read_size && out.size == size) {
      break;
    }
  }
  out.digest = ts.hasher.finish();
  return out;
}

unsigned effective_jobs(unsigned jobs) noexcept
{
  if (jobs != 0) {
    return jobs;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

std::size_t parallel_for_workers(std::size_t count, unsigned jobs,
                                 const std::function<void(std::size_t, unsigned)>& work,
                                 const std::function<bool()>& stop)
{
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopped{false};
  std::mutex stop_mutex;
  auto loop = [&](unsigned worker) {
    for (;;) {
      if (stopped.load(std::memory_order_relaxed)) {
        return;
      }
      if (stop) {
        std::lock_guard<std::mutex> lock(stop_mutex);
        if (stop()) {
          stopped = true;
          return;
        }
      }
      std::size_t i = next.fetch_add(1);
      if (i >= count) {
        return;
      }
      work(i, worker);
    }
  };
  unsigned n = std::min<std::size_t>(effective_jobs(jobs), std::max<std::size_t>(count, 1));
  std::vector<std::thread> threads;
  threads.reserve(n > 0 ? n - 1 : 0);
  for (unsigned t = 1; t < n; ++t) {
    threads.emplace_back(loop, t);
  }
  loop(0);
  for (auto& t : threads) {
    t.join();
  }
  return std::min(next.load(), count);
}

std::size_t parallel_for(std::size_t count, unsigned jobs,
                         const std::function<void(std::size_t)>& work,
                         const std::function<bool()>& stop)
{
  return parallel_for_workers(
    count, jobs, [&work](std::size_t i, unsigned) { work(i); }, stop);
}

std::vector<Result<FileHash>> hash_files(const std::vector<fs::path>& paths, unsigned jobs)
{
  std::vector<Result<FileHash>> out(paths.size(), fail(Errc::internal, "not hashed"));
  parallel_for(paths.size(), jobs, [&](std::size_t i) { out[i] = hash_file(paths[i]); });
  return out;
}

Result<FileHash> copy_and_hash(const fs::path& src, const fs::path& dst, unsigned mode)
{
  FdCloser in{open_for_reading(src)};
  if (in.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", src.string()));
  }
  ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  FdCloser out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (out.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot create", dst.string()));
  }
  ThreadState& ts = thread_state();
  char* buf = ts.buffer.get();
  Sha256& h = ts.hasher;
  FileHash result;
  for (;;) {
    auto got = read_some(in.fd, buf, k_read_size, src.native());
    if (!got) {
      (void)h.finish();
      return tl::unexpected(got.error());
    }
    std::size_t n = *got;
    if (n == 0) {
      break;
    }
    h.update(buf, n);
    result.size += n;
    std::size_t off = 0;
    while (off < n) {
      ssize_t w = ::write(out.fd, buf + off, n - off);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        (void)h.finish();
        return tl::unexpected(errno_error(errno, "cannot write", dst.string()));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  result.digest = h.finish();
  if (::fchmod(out.fd, mode) != 0 || ::fsync(out.fd) != 0) {
    return tl::unexpected(errno_error(errno, "cannot sync", dst.string()));
  }
  return result;
}

namespace {

// Decode BagIt's percent-encoding of '%', LF and CR into `out`; false on any
// other '%'.
bool decode_path(std::string_view in, std::string& out)
{
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) {
      return false;
    }
    char hi = in[i + 1];
    auto lo = static_cast<char>(std::toupper(static_cast<unsigned char>(in[i + 2])));
    if (hi == '2' && lo == '5') {
      out += '%';
    } else if (hi == '0' && lo == 'A') {
      out += '\n';
    } else if (hi == '0' && lo == 'D') {
      out += '\r';
    } else {
      return false;
    }
    i += 2;
  }
  return true;
}

// Return why `path` is not a safe relative path, or an empty string.
std::string unsafe_reason(std::string_view path)
{
  if (path.empty()) {
    return "empty path";
  }
  if (path.front() == '/') {
    return "absolute path";
  }
  if (path.find('\\') != std::string_view::npos) {
    return "backslash in path";
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return "control character in path";
    }
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto seg = path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                  : slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return "empty, '.' or '..' segment in path";
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  return {};
}

}  // namespace

Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text, const std::string& name)
{
  std::vector<ManifestEntry> out;
  out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')));
  std::size_t line_no = 0;
  auto where = [&name, &line_no] { return fmt::format("{}:{}", name, line_no); };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return fail(Errc::data, "last line has no newline", where(), {}, "manifest.syntax");
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      return fail(Errc::data, "expected '<64 hex digits>  <path>'", where(), {}, "manifest.syntax");
    }
    auto digest = Digest::from_hex(line.substr(0, 64));
    if (!digest) {
      return fail(Errc::data, digest.error().message, where(), {}, "manifest.syntax");
    }
    ManifestEntry& entry = out.emplace_back();
    entry.digest = *digest;
    if (!decode_path(line.substr(66), entry.path)) {
      return fail(Errc::data, "'%' not followed by 25, 0A or 0D in path", where(), {},
                  "manifest.syntax");
    }
    if (auto why = unsafe_reason(entry.path); !why.empty()) {
      return fail(Errc::data, fmt::format("unsafe path '{}': {}", line.substr(66), why), where(), {},
                  "manifest.path");
    }
  }
  // Duplicates: sort the line numbers by path, compare neighbours, and name
  // the later line of the first pair in file order.
  std::vector<std::uint32_t> by_path(out.size());
  for (std::size_t i = 0; i < by_path.size(); ++i) {
    by_path[i] = static_cast<std::uint32_t>(i);
  }
  std::sort(by_path.begin(), by_path.end(), [&out](std::uint32_t a, std::uint32_t b) {
    return out[a].path < out[b].path || (out[a].path == out[b].path && a < b);
  });
  std::optional<std::uint32_t> dup;
  for (std::size_t k = 1; k < by_path.size(); ++k) {
    if (out[by_path[k]].path == out[by_path[k - 1]].path && (!dup || by_path[k] < *dup)) {
      dup = by_path[k];
    }
  }
  if (dup) {
    line_no = *dup + 1;
    return fail(Errc::data, fmt::format("path '{}' listed twice", out[*dup].path), where(), {},
                "manifest.syntax");
  }
  return out;
}

std::string format_manifest(std::vector<ManifestEntry> entries)
{
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  std::string out;
  out.reserve(entries.size() * 96);
  for (const auto& e : entries) {
    out += e.digest.hex();
    out += "  ";
    for (char c : e.path) {
      switch (c) {
      case '%': out += "%25"; break;
      case '\n': out += "%0A"; break;
      case '\r': out += "%0D"; break;
      default: out += c;
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace hemera::checksum
