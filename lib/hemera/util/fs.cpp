// SPDX-License-Identifier: Apache-2.0
#include <hemera/util/fs.hpp>

#include <hemera/util/fd.hpp>

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace hemera::util {

namespace {

Result<void> write_all(int fd, std::string_view data, const fs::path& path)
{
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(errno_error(errno, "cannot write", path.string()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace

Result<std::string> read_file(const fs::path& path)
{
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(errno_error(errno, "cannot read", path.string()));
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<void> fsync_dir(const fs::path& dir)
{
  UniqueFd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open directory", dir.string()));
  }
  if (::fsync(fd.get()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot fsync directory", dir.string()));
  }
  return {};
}

Result<void> write_file_atomic(const fs::path& path, std::string_view data, unsigned mode)
{
  fs::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot create", tmp.string()));
  }
  auto cleanup = [&] { ::unlink(tmp.c_str()); };
  if (auto r = write_all(fd.get(), data, tmp); !r) {
    cleanup();
    return r;
  }
  if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
    int err = errno;
    cleanup();
    return tl::unexpected(errno_error(err, "cannot sync", tmp.string()));
  }
  ::close(fd.release());
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    cleanup();
    return tl::unexpected(errno_error(err, "cannot rename into place", path.string()));
  }
  return fsync_dir(path.parent_path());
}

Result<void> append_file(const fs::path& path, std::string_view data, unsigned mode)
{
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open for append", path.string()));
  }
  HEMERA_TRY(write_all(fd.get(), data, path));
  if (::fsync(fd.get()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot sync", path.string()));
  }
  return {};
}

Result<void> make_dirs(const fs::path& dir, unsigned mode)
{
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    return {};
  }
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    HEMERA_TRY(make_dirs(dir.parent_path(), mode));
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return tl::unexpected(errno_error(errno, "cannot create directory", dir.string()));
  }
  if (!fs::is_directory(dir, ec)) {
    return fail(Errc::cant_create, "exists and is not a directory", dir.string());
  }
  return {};
}

FileLock::FileLock(FileLock&& other) noexcept : m_fd(other.m_fd)
{
  other.m_fd = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

FileLock::~FileLock()
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Result<FileLock> FileLock::acquire(const fs::path& path, bool wait)
{
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (fd.get() < 0) {
    return tl::unexpected(errno_error(errno, "cannot open lock", path.string()));
  }
  while (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EINTR) {
      continue;
    }
    if (errno == EWOULDBLOCK) {
      return fail(Errc::temp_fail, "locked by another process", path.string());
    }
    return tl::unexpected(errno_error(errno, "cannot lock", path.string()));
  }
  FileLock lock;
  lock.m_fd = fd.release();
  return lock;
}

}  // namespace hemera::util
