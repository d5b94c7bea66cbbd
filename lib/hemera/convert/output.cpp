// SPDX-License-Identifier: Apache-2.0
#include <hemera/convert/output.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hemera/util/fs.hpp>

namespace hemera::convert {

namespace {
constexpr std::size_t k_flush_at = 1 << 20;

// The temporary files to remove when SIGINT, SIGTERM or SIGHUP ends the
// process (fixed storage: the handler may only call async-signal-safe code).
constexpr int k_slots = 4;
constexpr std::size_t k_path_max = 4096;
char g_temp[k_slots][k_path_max];
volatile sig_atomic_t g_used[k_slots];

extern "C" void remove_temps_and_die(int sig)
{
  for (int i = 0; i < k_slots; ++i) {
    if (g_used[i] != 0) {
      ::unlink(g_temp[i]);
    }
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

int watch(const std::filesystem::path& temp)
{
  static bool installed = false;
  if (!installed) {
    installed = true;
    struct sigaction sa {};
    sa.sa_handler = remove_temps_and_die;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
        ::sigaction(sig, &sa, nullptr);
      }
    }
  }
  const std::string& p = temp.native();
  if (p.size() >= k_path_max) {
    return -1;
  }
  for (int i = 0; i < k_slots; ++i) {
    if (g_used[i] == 0) {
      std::memcpy(g_temp[i], p.c_str(), p.size() + 1);
      g_used[i] = 1;
      return i;
    }
  }
  return -1;
}

void unwatch(int slot)
{
  if (slot >= 0 && slot < k_slots) {
    g_used[slot] = 0;
  }
}
}  // namespace

AtomicOutput::AtomicOutput(AtomicOutput&& other) noexcept
  : m_path(std::move(other.m_path)), m_temp(std::move(other.m_temp)), m_fd(other.m_fd),
    m_stdout(other.m_stdout), m_committed(other.m_committed), m_buf(std::move(other.m_buf)),
    m_bytes(other.m_bytes), m_slot(other.m_slot)
{
  other.m_slot = -1;
  other.m_fd = -1;
  other.m_temp.clear();
  other.m_committed = true;
}

AtomicOutput& AtomicOutput::operator=(AtomicOutput&& other) noexcept
{
  if (this != &other) {
    discard();
    m_path = std::move(other.m_path);
    m_temp = std::move(other.m_temp);
    m_fd = other.m_fd;
    m_stdout = other.m_stdout;
    m_committed = other.m_committed;
    m_buf = std::move(other.m_buf);
    m_bytes = other.m_bytes;
    m_slot = other.m_slot;
    other.m_slot = -1;
    other.m_fd = -1;
    other.m_temp.clear();
    other.m_committed = true;
  }
  return *this;
}

AtomicOutput::~AtomicOutput()
{
  discard();
}

void AtomicOutput::discard() noexcept
{
  if (m_fd >= 0 && !m_stdout) {
    ::close(m_fd);
  }
  m_fd = -1;
  if (!m_committed && !m_temp.empty()) {
    ::unlink(m_temp.c_str());
  }
  unwatch(m_slot);
  m_slot = -1;
  m_temp.clear();
}

Result<AtomicOutput> AtomicOutput::open(const std::filesystem::path& path, bool overwrite)
{
  AtomicOutput out;
  out.m_path = path;
  if (path == "-") {
    out.m_stdout = true;
    out.m_fd = STDOUT_FILENO;
    return out;
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!overwrite) {
      return fail(Errc::cant_create, "output exists (use --force to replace it)", path.string());
    }
    if (!S_ISREG(st.st_mode)) {
      return fail(Errc::cant_create, "output exists and is not a regular file", path.string());
    }
  }
  auto dir = path.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  std::string name = ".";
  name.append(path.filename().string()).append(".XXXXXX.part");
  std::string tmpl = (dir / name).string();
  int fd = ::mkstemps(tmpl.data(), 5);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot create a temporary output file", tmpl));
  }
  ::fchmod(fd, 0644);
  out.m_fd = fd;
  out.m_temp = tmpl;
  out.m_slot = watch(out.m_temp);
  return out;
}

Result<void> AtomicOutput::flush()
{
  std::string_view data = m_buf;
  while (!data.empty()) {
    ssize_t n = ::write(m_fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(
        errno_error(errno, "cannot write", m_stdout ? std::string("stdout") : m_path.string()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  m_buf.clear();
  return {};
}

Result<void> AtomicOutput::hand_over()
{
  if (m_stdout) {
    return fail(Errc::usage, "this output format cannot be written to standard output");
  }
  if (m_fd >= 0) {
    if (::close(m_fd) != 0) {
      m_fd = -1;
      return tl::unexpected(errno_error(errno, "cannot close", m_temp.string()));
    }
    m_fd = -1;
  }
  return {};
}

Result<void> AtomicOutput::write(std::string_view data)
{
  m_buf.append(data);
  m_bytes += data.size();
  if (m_buf.size() >= k_flush_at) {
    return flush();
  }
  return {};
}

Result<void> AtomicOutput::commit()
{
  return commit_check({});
}

Result<void> AtomicOutput::commit_check(
  const std::function<Result<void>(const std::filesystem::path&)>& check)
{
  if (m_fd >= 0) {
    HEMERA_TRY(flush());
  }
  if (m_stdout) {
    m_committed = true;
    return {};
  }
  if (m_fd >= 0) {
    if (::fsync(m_fd) != 0) {
      return tl::unexpected(errno_error(errno, "cannot fsync", m_temp.string()));
    }
    if (::close(m_fd) != 0) {
      m_fd = -1;
      return tl::unexpected(errno_error(errno, "cannot close", m_temp.string()));
    }
    m_fd = -1;
  } else {
    // Written by a library through temp_path(): make it durable too.
    int fd = ::open(m_temp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      int err = errno;
      if (fd >= 0) {
        ::close(fd);
      }
      return tl::unexpected(errno_error(err, "cannot fsync", m_temp.string()));
    }
    ::close(fd);
  }
  if (check) {
    HEMERA_TRY(check(m_temp));
  }
  if (::rename(m_temp.c_str(), m_path.c_str()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot rename the output into place", m_path.string()));
  }
  m_committed = true;
  unwatch(m_slot);
  m_slot = -1;
  auto dir = m_path.parent_path();
  return util::fsync_dir(dir.empty() ? std::filesystem::path(".") : dir);
}

}  // namespace hemera::convert
