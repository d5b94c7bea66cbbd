// SPDX-License-Identifier: Apache-2.0
#include <hemera/replicate/curl_util.hpp>

#include <malloc.h>
#include <poll.h>

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

namespace hemera::replicate::detail {

void global_init()
{
  static std::once_flag once;
  std::call_once(once, [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    // libcurl allocates its 256 KiB transfer buffers at the start of every
    // transfer and frees them at the end; with glibc's defaults each file
    // then grows and trims the heap and faults the pages in again (14,000
    // page faults for 2,000 files, 10% of the run's time). Keep freed
    // memory below 64 MiB in the process, and blocks below 4 MiB in the heap.
    (void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
    (void)mallopt(M_MMAP_THRESHOLD, 4 << 20);
  });
}

Easy::Easy()
{
  global_init();
  m_curl = curl_easy_init();
  m_multi = curl_multi_init();
}

Easy::~Easy()
{
  if (m_curl != nullptr) {
    curl_easy_cleanup(m_curl);
  }
  if (m_multi != nullptr) {
    curl_multi_cleanup(m_multi);
  }
}

namespace {

// Whether libcurl has a socket to wait on for the transfers of `multi`.
bool has_sockets(CURLM* multi)
{
  fd_set r;
  fd_set w;
  fd_set e;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&e);
  int max_fd = -1;
  if (curl_multi_fdset(multi, &r, &w, &e, &max_fd) != CURLM_OK) {
    return true;
  }
  return max_fd >= 0;
}

}  // namespace

CURLcode Easy::perform()
{
  if (m_curl == nullptr || m_multi == nullptr) {
    return CURLE_FAILED_INIT;
  }
  if (curl_multi_add_handle(m_multi, m_curl) != CURLM_OK) {
    return CURLE_FAILED_INIT;
  }
  CURLcode result = CURLE_OK;
  bool done = false;
  int idle_spins = 0;
  int unheeded = 0;  // turns the connection was readable and libcurl still had no socket
  while (!done) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(m_multi, &running);
    if (mc != CURLM_OK) {
      result = mc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_SEND_ERROR;
      break;
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi, &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == m_curl) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done || running == 0) {
      break;
    }
    // No socket to wait on: libcurl 7.88 is between two steps. The first
    // time, call it again at once (the FTP data connection after the EPSV
    // reply is made on the next call); after that, wait a little for the
    // connection to become readable (SFTP waiting for the server's reply to
    // a write) rather than sleep the whole cap. A connection that stays
    // readable while libcurl still wants nothing would make this spin:
    // after k_max_unheeded such turns, sleep as below.
    if (!has_sockets(m_multi) && unheeded < k_max_unheeded) {
      if (idle_spins++ == 0) {
        continue;
      }
      curl_socket_t s = CURL_SOCKET_BAD;
      if (curl_easy_getinfo(m_curl, CURLINFO_ACTIVESOCKET, &s) == CURLE_OK && s != CURL_SOCKET_BAD) {
        pollfd p{s, POLLIN, 0};
        if (::poll(&p, 1, k_idle_wait_ms) > 0) {
          ++unheeded;
        }
        continue;
      }
    }
    idle_spins = 0;
    unheeded = 0;
    if (curl_multi_poll(m_multi, nullptr, 0, k_poll_cap_ms, nullptr) != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
  }
  curl_multi_remove_handle(m_multi, m_curl);
  return result;
}

CURL* Easy::fresh()
{
  curl_easy_reset(m_curl);
  return m_curl;
}

Slist::~Slist()
{
  if (m_list != nullptr) {
    curl_slist_free_all(m_list);
  }
}

void Slist::add(const std::string& s)
{
  m_list = curl_slist_append(m_list, s.c_str());
}

std::size_t upload_read(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* src = static_cast<UploadSource*>(user);
  std::size_t want = size * count;
  if (src->expect != nullptr) {
    // Never read past the expected size (a longer file is caught below).
    want = static_cast<std::size_t>(std::min<std::uint64_t>(want, src->expect->size - src->sent));
  }
  if (src->limiter != nullptr && want > 0) {
    want = src->limiter->acquire(want);
  }
  std::size_t n = std::fread(buffer, 1, want, src->file);
  if (n == 0 && std::ferror(src->file) != 0) {
    src->read_error = true;
    return CURL_READFUNC_ABORT;
  }
  src->hasher.update(buffer, n);
  src->sent += n;
  if (src->expect != nullptr && (n == 0 || src->sent >= src->expect->size)) {
    // The end of what may be sent: check it before libcurl has it all (a
    // file that goes on past the expected size fails too).
    src->digest = src->hasher.finish();
    const bool longer = src->sent == src->expect->size && std::fgetc(src->file) != EOF;
    if (longer || src->sent != src->expect->size || !(*src->digest == src->expect->digest)) {
      src->mismatch = true;
      return CURL_READFUNC_ABORT;
    }
    src->expect = nullptr;  // checked: what follows is EOF
  }
  return n;
}

std::size_t download_write(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* sink = static_cast<DownloadSink*>(user);
  std::size_t n = size * count;
  sink->hasher.update(buffer, n);
  sink->received += n;
  if (sink->file != nullptr && std::fwrite(buffer, 1, n, sink->file) != n) {
    sink->write_error = true;
    return 0;
  }
  return n;
}

std::size_t string_write(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* s = static_cast<std::string*>(user);
  s->append(buffer, size * count);
  return size * count;
}

Error curl_error(CURLcode code, const char* errbuf, const std::string& what,
                 const std::string& where)
{
  std::string detail = errbuf != nullptr && errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
  Errc c = Errc::temp_fail;
  switch (code) {
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      c = Errc::config;
      detail = "credentials rejected: " + detail;
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      c = Errc::unavailable;
      break;
    case CURLE_REMOTE_FILE_NOT_FOUND:
      c = Errc::no_input;
      break;
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_QUOTE_ERROR:
    case CURLE_UPLOAD_FAILED:
      c = Errc::io;
      break;
    case CURLE_REMOTE_DISK_FULL:
      c = Errc::io;
      break;
    default:
      c = Errc::temp_fail;
      break;
  }
  return Error{c, fmt::format("{}: {}", what, detail), where, {}, {}};
}

Errc http_errc(long status)
{
  if (status == 401 || status == 403) {
    return Errc::config;
  }
  if (status == 404) {
    return Errc::no_input;
  }
  if (status == 408 || status == 429 || status >= 500) {
    return Errc::temp_fail;
  }
  return Errc::unavailable;
}

std::string url_path_escape(const std::string& s)
{
  static const char* k_hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
        ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(k_hex[ch >> 4]);
      out.push_back(k_hex[ch & 15]);
    }
  }
  return out;
}

}  // namespace hemera::replicate::detail
