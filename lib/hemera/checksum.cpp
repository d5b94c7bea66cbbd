// SPDX-License-Identifier: Apache-2.0
#include <hemera/checksum.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace hemera::checksum {

namespace {

constexpr std::size_t k_read_size = 1U << 20;  // 1 MiB reads
constexpr char k_hex[] = "0123456789abcdef";

int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

struct FdCloser {
  int fd;
  ~FdCloser()
  {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

Result<std::size_t> read_some(int fd, char* buf, std::size_t size, const fs::path& path)
{
  for (;;) {
    ssize_t n = ::read(fd, buf, size);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      return tl::unexpected(errno_error(errno, "cannot read", path.string()));
    }
  }
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

Result<FileHash> hash_file(const fs::path& path)
{
  FdCloser fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  ::posix_fadvise(fd.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::unique_ptr<char[]> buf(new char[k_read_size]);
  Sha256 h;
  FileHash out;
  for (;;) {
    std::size_t n = HEMERA_TRY(read_some(fd.fd, buf.get(), k_read_size, path));
    if (n == 0) {
      break;
    }
    h.update(buf.get(), n);
    out.size += n;
  }
  out.digest = h.finish();
  return out;
}

Result<FileHash> copy_and_hash(const fs::path& src, const fs::path& dst, unsigned mode)
{
  FdCloser in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", src.string()));
  }
  ::posix_fadvise(in.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  FdCloser out{::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (out.fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot create", dst.string()));
  }
  std::unique_ptr<char[]> buf(new char[k_read_size]);
  Sha256 h;
  FileHash result;
  for (;;) {
    std::size_t n = HEMERA_TRY(read_some(in.fd, buf.get(), k_read_size, src));
    if (n == 0) {
      break;
    }
    h.update(buf.get(), n);
    result.size += n;
    std::size_t off = 0;
    while (off < n) {
      ssize_t w = ::write(out.fd, buf.get() + off, n - off);
      if (w < 0) {
        if (errno == EINTR) {
          continue;
        }
        return tl::unexpected(errno_error(errno, "cannot write", dst.string()));
      }
      off += static_cast<std::size_t>(w);
    }
  }
  if (::fchmod(out.fd, mode) != 0 || ::fsync(out.fd) != 0) {
    return tl::unexpected(errno_error(errno, "cannot sync", dst.string()));
  }
  result.digest = h.finish();
  return result;
}

Result<std::vector<ManifestEntry>> parse_manifest(std::string_view text, const std::string& name)
{
  std::vector<ManifestEntry> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return fail(Errc::data, "last line has no newline", fmt::format("{}:{}", name, line_no), {},
                  "manifest.syntax");
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    auto where = fmt::format("{}:{}", name, line_no);
    if (line.size() < 67 || line.substr(64, 2) != "  ") {
      return fail(Errc::data, "expected '<64 hex digits>  <path>'", where, {}, "manifest.syntax");
    }
    auto digest = Digest::from_hex(line.substr(0, 64));
    if (!digest) {
      return fail(Errc::data, digest.error().message, where, {}, "manifest.syntax");
    }
    std::string_view path = line.substr(66);
    if (path.front() == '/' || path.find('\r') != std::string_view::npos ||
        path.find("..") != std::string_view::npos || path.find('\\') != std::string_view::npos) {
      return fail(Errc::data, fmt::format("unsafe path '{}'", path), where, {}, "manifest.path");
    }
    out.push_back(ManifestEntry{*digest, std::string(path)});
  }
  return out;
}

std::string format_manifest(std::vector<ManifestEntry> entries)
{
  std::sort(entries.begin(), entries.end(),
            [](const ManifestEntry& a, const ManifestEntry& b) { return a.path < b.path; });
  std::string out;
  for (const auto& e : entries) {
    out += e.digest.hex();
    out += "  ";
    out += e.path;
    out += '\n';
  }
  return out;
}

}  // namespace hemera::checksum
