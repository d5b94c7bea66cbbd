// SPDX-License-Identifier: Apache-2.0
// FTP, explicit FTPS (AUTH TLS) and SFTP targets through libcurl. Uploads go
// to a temporary name under .hemera-tmp/ and are renamed into place with
// quote commands on absolute paths (RNFR/RNTO; SFTP rm + rename, since an
// SFTP v3 rename does not overwrite).
#include <hemera/replicate/backends.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>

#include <hemera/replicate/curl_util.hpp>

namespace hemera::replicate {

namespace {

using detail::Easy;
using detail::Slist;

struct Endpoint {
  std::string host;  // as written (may hold a port)
  std::string hostname;
  std::string path;  // base path, without leading or trailing '/'
};

Endpoint parse_rest(const std::string& rest)
{
  Endpoint e;
  auto slash = rest.find('/');
  e.host = rest.substr(0, slash);
  if (auto at = e.host.rfind('@'); at != std::string::npos) {
    e.host = e.host.substr(at + 1);
  }
  e.hostname = e.host;
  if (!e.hostname.empty() && e.hostname[0] == '[') {
    e.hostname = e.hostname.substr(0, e.hostname.find(']') + 1);
  } else if (auto colon = e.hostname.find(':'); colon != std::string::npos) {
    e.hostname = e.hostname.substr(0, colon);
  }
  if (slash != std::string::npos) {
    e.path = rest.substr(slash + 1);
  }
  while (!e.path.empty() && e.path.back() == '/') {
    e.path.pop_back();
  }
  return e;
}

std::size_t discard(char* /*buffer*/, std::size_t size, std::size_t count, void* /*user*/)
{
  return size * count;
}

std::string parent_of(const std::string& p)
{
  auto s = p.find_last_of('/');
  return s == std::string::npos ? std::string() : p.substr(0, s);
}

class CurlTarget final : public Target {
 public:
  CurlTarget(const TargetConfig& config, std::string scheme, Endpoint endpoint)
    : m_config(config), m_scheme(std::move(scheme)), m_ep(std::move(endpoint))
  {
    m_sftp = m_scheme == "sftp";
    if (m_sftp) {
      m_abs_base = "/" + m_ep.path;
    }
  }

  Result<void> connect() override
  {
    if (!m_sftp) {
      return ensure_entry();
    }
    // The base folder's URL without a body: log in, no request.
    CURL* c = setup(url_of(""));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    auto rc = m_easy.perform();
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "connect", where("")));
    }
    return {};
  }

  Result<checksum::FileHash> put_temp(const std::string& key, const fs::path& source,
                                      const checksum::Digest& /*expected*/) override
  {
    return upload(key, source, 0);
  }

  Result<checksum::FileHash> resume_temp(const std::string& key, const fs::path& source, std::uint64_t offset,
                                         const checksum::Digest& /*expected*/) override
  {
    return upload(key, source, offset);
  }

  // SFTP: the server answers every write with a status for its byte range,
  // so once libcurl has the last byte acknowledged the temporary file holds
  // exactly what was read. The last byte goes only if the file read matches
  // `expected`; the rename follows in the same exchange (libcurl's
  // post-transfer commands run only after a complete upload).
  Result<checksum::FileHash> put_placed(const std::string& tmp, const std::string& key, const fs::path& source,
                                        const checksum::FileHash& expected) override
  {
    if (!m_sftp) {
      return fail(Errc::unavailable, "an upload renamed on acknowledgement needs SFTP", where(key));
    }
    Slist post;
    auto missing = missing_dirs(key);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      post.add("*mkdir " + abs(*it));
    }
    post.add("rename " + abs(tmp) + " " + abs(key));
    detail::UploadSource src;
    auto up = upload(tmp, source, 0, &src, &expected, post.get());
    if (!up && m_last_rc == CURLE_QUOTE_ERROR && src.sent == expected.size && !src.mismatch) {
      // The upload was complete and checked; the rename was refused (an
      // SFTP rename does not replace an existing file): the long way.
      HEMERA_TRY(rename(tmp, key));
      return checksum::FileHash{src.sent, *src.digest};
    }
    if (!up) {
      return up;
    }
    if (!src.mismatch) {
      for (const auto& d : missing) {
        m_dirs.insert(d);
      }
    }
    return up;
  }

 private:
  // The parents of `key` not known to exist at the remote site, deepest first.
  std::vector<std::string> missing_dirs(const std::string& key) const
  {
    std::vector<std::string> missing;
    for (auto d = parent_of(key); !d.empty() && m_dirs.count(d) == 0; d = parent_of(d)) {
      missing.push_back(d);
    }
    return missing;
  }

  // Upload `source` from `offset` on (appended to `key` when offset > 0),
  // hashing the whole file: the part already sent is read and hashed first.
  // With `expect`, the upload is gated on the file matching it (see
  // UploadSource) and `post` runs after it; `gate` then tells what was read
  // (a mismatch returns the digest read, the transfer aborted).
  Result<checksum::FileHash> upload(const std::string& key, const fs::path& source, std::uint64_t offset,
                                    detail::UploadSource* gate = nullptr, const checksum::FileHash* expect = nullptr,
                                    curl_slist* post = nullptr)
  {
    HEMERA_TRY(ensure_entry());
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(source.c_str(), "rb"), &std::fclose);
    if (!f) {
      return tl::unexpected(errno_error(errno, "open", source.string()));
    }
    std::error_code ec;
    auto size = fs::file_size(source, ec);
    detail::UploadSource own;
    detail::UploadSource& src = gate != nullptr ? *gate : own;
    src.file = f.get();
    src.limiter = m_config.limiter.get();
    if (expect != nullptr) {
      if (size != expect->size) {
        // Not even the size: nothing is sent (the digest, for the report).
        src.mismatch = true;
        auto read = HEMERA_TRY(checksum::hash_file(source));
        src.sent = read.size;
        src.digest = read.digest;
        return read;
      }
      src.expect = expect;
    }
    if (offset > size) {
      return fail(Errc::io, "the temporary file is longer than the local file", where(key));
    }
    std::vector<char> buf(offset > 0 ? checksum::k_read_size : 0);
    for (std::uint64_t left = offset; left > 0;) {
      auto n = std::fread(buf.data(), 1, std::min<std::uint64_t>(left, buf.size()), f.get());
      if (n == 0) {
        return fail(Errc::io, "read error while resuming", source.string());
      }
      src.hasher.update(buf.data(), n);
      left -= n;
    }
    CURL* c = setup(url_of(key));
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &detail::upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size - offset));
    if (offset > 0) {
      curl_easy_setopt(c, CURLOPT_APPEND, 1L);
    }
    curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS, static_cast<long>(CURLFTP_CREATE_DIR_RETRY));
    curl_easy_setopt(c, CURLOPT_NEW_FILE_PERMS, 0644L);
    curl_easy_setopt(c, CURLOPT_NEW_DIRECTORY_PERMS, 0755L);
    if (m_config.bwlimit > 0) {
      curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(m_config.bwlimit));
    }
    // FTP with trust_transport: the size check before the rename is asked
    // in the upload's own exchange (SIZE after the 226), and stat() of this
    // temporary name answers from that reply.
    Slist size_after;
    std::string replies;
    m_posted.reset();
    if (!m_sftp && post == nullptr && m_config.trust_transport) {
      size_after.add("*SIZE " + abs(key));  // '*': a refusal leaves the long way to stat()
      post = size_after.get();
      curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &detail::string_write);
      curl_easy_setopt(c, CURLOPT_HEADERDATA, &replies);
    }
    if (post != nullptr) {
      curl_easy_setopt(c, CURLOPT_POSTQUOTE, post);
    }
    auto rc = m_easy.perform();
    m_last_rc = rc;
    if (rc == CURLE_OK && size_after.get() != nullptr) {
      if (auto n = size_reply(replies); n) {
        m_posted = std::make_pair(key, *n);
      }
    }
    if (src.read_error) {
      return fail(Errc::io, "read error while uploading", source.string());
    }
    if (src.mismatch) {
      return checksum::FileHash{src.sent, src.digest.value_or(checksum::Digest{})};
    }
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "upload", where(key)));
    }
    capture_entry();
    m_binary = true;
    return checksum::FileHash{offset + src.sent, src.digest ? *src.digest : src.hasher.finish()};
  }

 public:
  Result<void> rename(const std::string& from, const std::string& to) override
  {
    HEMERA_TRY(ensure_entry());
    Slist q;
    auto missing = missing_dirs(to);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      q.add(std::string(m_sftp ? "*mkdir " : "*MKD ") + abs(*it));
    }
    if (m_sftp) {
      // An SFTP rename does not replace: try it alone first (a new file, one
      // round trip), then remove the old copy and rename again.
      q.add("rename " + abs(from) + " " + abs(to));
      if (auto r = quote(q, "rename", to); !r) {
        if (r.error().code != Errc::io) {
          return r;  // not a refusal by the server: the caller checks what happened
        }
        Slist again;
        again.add("*rm " + abs(to));
        again.add("rename " + abs(from) + " " + abs(to));
        HEMERA_TRY(quote(again, "rename", to));
      }
    } else {
      q.add("RNFR " + abs(from));
      q.add("RNTO " + abs(to));
      HEMERA_TRY(quote(q, "rename", to));
    }
    for (const auto& d : missing) {
      m_dirs.insert(d);
    }
    return {};
  }

  Result<std::optional<RemoteStat>> stat(const std::string& key) override
  {
    HEMERA_TRY(ensure_entry());
    if (m_posted && m_posted->first == key) {
      auto n = m_posted->second;
      m_posted.reset();
      return std::optional<RemoteStat>{RemoteStat{n}};
    }
    if (!m_sftp && m_binary) {
      if (auto fast = HEMERA_TRY(size_command(key)); fast) {
        return *fast;
      }
    }
    CURL* c = setup(url_of(key));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    auto rc = m_easy.perform();
    if (rc == CURLE_REMOTE_FILE_NOT_FOUND || rc == CURLE_FTP_COULDNT_RETR_FILE ||
        (rc == CURLE_REMOTE_ACCESS_DENIED && !m_sftp)) {
      return std::optional<RemoteStat>{};
    }
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "stat", where(key)));
    }
    capture_entry();
    curl_off_t len = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (len < 0) {
      return std::optional<RemoteStat>{};
    }
    return std::optional<RemoteStat>{RemoteStat{static_cast<std::uint64_t>(len)}};
  }

  Result<std::optional<checksum::Digest>> remote_hash(const std::string& /*key*/) override
  {
    return std::optional<checksum::Digest>{};
  }

  Result<checksum::FileHash> read_hash(const std::string& key) override
  {
    return download(key, nullptr);
  }

  Result<checksum::FileHash> get(const std::string& key, const fs::path& dest) override
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(dest.c_str(), "wb"), &std::fclose);
    if (!f) {
      return tl::unexpected(errno_error(errno, "create", dest.string()));
    }
    auto r = HEMERA_TRY(download(key, f.get()));
    if (std::fflush(f.get()) != 0 || ::fsync(fileno(f.get())) != 0) {
      return tl::unexpected(errno_error(errno, "write", dest.string()));
    }
    return r;
  }

  Result<void> remove(const std::string& key) override
  {
    HEMERA_TRY(ensure_entry());
    Slist q;
    q.add(std::string(m_sftp ? "*rm " : "*DELE ") + abs(key));
    return quote(q, "remove", key);
  }

  Result<std::vector<std::string>> list_temp() override
  {
    HEMERA_TRY(ensure_entry());
    std::string body;
    CURL* c = setup(url_of(k_temp_prefix));
    curl_easy_setopt(c, CURLOPT_DIRLISTONLY, 1L);
    m_binary = false;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::string_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    auto rc = m_easy.perform();
    std::vector<std::string> out;
    if (rc == CURLE_REMOTE_ACCESS_DENIED || rc == CURLE_REMOTE_FILE_NOT_FOUND ||
        rc == CURLE_FTP_COULDNT_RETR_FILE) {
      return out;
    }
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "list", where(k_temp_prefix)));
    }
    capture_entry();
    std::size_t pos = 0;
    while (pos < body.size()) {
      auto nl = body.find('\n', pos);
      auto line = body.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      pos = nl == std::string::npos ? body.size() : nl + 1;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
      }
      auto s = line.find_last_of('/');
      if (s != std::string::npos) {
        line = line.substr(s + 1);
      }
      if (!line.empty() && line != "." && line != "..") {
        out.push_back(line);
      }
    }
    return out;
  }

  Result<std::vector<std::string>> list_all() override
  {
    HEMERA_TRY(ensure_entry());
    std::vector<std::string> out;
    std::vector<std::string> todo{""};
    while (!todo.empty()) {
      std::string dir = todo.back();
      todo.pop_back();
      std::string body;
      // A long listing (LIST for FTP, the SFTP directory read): one line per
      // entry, the type in its first character, the name last.
      CURL* c = setup(url_of(dir.empty() ? std::string() : dir + "/"));
      m_binary = false;
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::string_write);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
      auto rc = m_easy.perform();
      if (rc == CURLE_REMOTE_ACCESS_DENIED || rc == CURLE_REMOTE_FILE_NOT_FOUND ||
          rc == CURLE_FTP_COULDNT_RETR_FILE) {
        if (dir.empty()) {
          return out;
        }
        return fail(Errc::io, "cannot list the remote folder", where(dir));
      }
      if (rc != CURLE_OK) {
        return tl::unexpected(detail::curl_error(rc, m_err, "list", where(dir)));
      }
      capture_entry();
      std::size_t pos = 0;
      while (pos < body.size()) {
        auto nl = body.find('\n', pos);
        auto line = body.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? body.size() : nl + 1;
        while (!line.empty() && (line.back() == '\r')) {
          line.pop_back();
        }
        // "drwxr-xr-x 2 owner group 4096 Nov 26 12:00 name": the name starts
        // after the eighth field.
        std::size_t at = 0;
        for (int field = 0; field < 8 && at != std::string::npos; ++field) {
          at = line.find_first_not_of(' ', at);
          at = at == std::string::npos ? at : line.find(' ', at);
        }
        if (line.empty() || at == std::string::npos) {
          continue;
        }
        std::string name = line.substr(line.find_first_not_of(' ', at));
        if (name == "." || name == "..") {
          continue;
        }
        std::string key = dir.empty() ? name : dir + "/" + name;
        if (line[0] == 'd') {
          if (key + "/" != k_temp_prefix) {
            todo.push_back(key);
          }
        } else if (line[0] == '-') {
          out.push_back(key);
        }
      }
    }
    return out;
  }

  [[nodiscard]] Properties properties() const override
  {
    return {m_scheme, !m_sftp, false, true, true, m_sftp};
  }

 private:
  std::string url_of(const std::string& key) const
  {
    if (!m_sftp && !m_abs_base.empty()) {
      // Absolute paths, used without CWD: one command per operation.
      auto a = abs(key);
      return fmt::format("ftp://{}/%2F{}", m_ep.host, detail::url_path_escape(a.substr(a.find_first_not_of('/'))));
    }
    std::string p = m_ep.path.empty() ? key : m_ep.path + "/" + key;
    std::string scheme = m_scheme == "ftps" ? "ftp" : m_scheme;
    if (m_sftp) {
      return fmt::format("sftp://{}/{}", m_ep.host, detail::url_path_escape(p));
    }
    return fmt::format("{}://{}/{}", scheme, m_ep.host, detail::url_path_escape(p));
  }

  std::string where(const std::string& key) const
  {
    return fmt::format("{}:{}", m_config.name, key);
  }

  // Absolute remote path of `key` (for quote commands).
  std::string abs(const std::string& key) const
  {
    std::string base = m_abs_base;
    if (!base.empty() && base.back() != '/') {
      base.push_back('/');
    }
    return base + key;
  }

  CURL* setup(const std::string& url)
  {
    CURL* c = m_easy.fresh();
    m_err[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m_err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(m_config.timeout.count()));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(m_config.timeout.count()));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "ftp,sftp");
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024L);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024L);
    // Replies to NOBODY requests ("Content-Length: …") must not reach stdout.
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &discard);
    if (!m_config.user.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, m_config.user.c_str());
    }
    if (!m_config.password.empty()) {
      curl_easy_setopt(c, CURLOPT_PASSWORD, m_config.password.c_str());
    }
    if (m_sftp) {
      long auth = CURLSSH_AUTH_PUBLICKEY;
      if (!m_config.password.empty()) {
        auth |= CURLSSH_AUTH_PASSWORD;
      }
      curl_easy_setopt(c, CURLOPT_SSH_AUTH_TYPES, auth);
      if (!m_config.key_file.empty()) {
        curl_easy_setopt(c, CURLOPT_SSH_PRIVATE_KEYFILE, m_config.key_file.c_str());
      }
      if (!m_host_key.empty()) {
        curl_easy_setopt(c, CURLOPT_SSH_HOST_PUBLIC_KEY_SHA256, m_host_key.c_str());
      }
      if (!m_config.known_hosts.empty()) {
        curl_easy_setopt(c, CURLOPT_SSH_KNOWNHOSTS, m_config.known_hosts.c_str());
      }
    } else {
      curl_easy_setopt(c, CURLOPT_FTP_USE_EPSV, 1L);
      curl_easy_setopt(c, CURLOPT_FTP_FILEMETHOD,
                       static_cast<long>(m_abs_base.empty() ? CURLFTPMETHOD_MULTICWD : CURLFTPMETHOD_NOCWD));
      if (m_scheme == "ftps") {
        curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
        if (!m_config.ca_file.empty()) {
          curl_easy_setopt(c, CURLOPT_CAINFO, m_config.ca_file.c_str());
        }
      }
    }
    return c;
  }

  void capture_entry()
  {
    if (m_sftp || !m_abs_base.empty()) {
      return;
    }
    char* entry = nullptr;
    if (curl_easy_getinfo(m_easy.get(), CURLINFO_FTP_ENTRY_PATH, &entry) == CURLE_OK && entry != nullptr) {
      std::string e = entry;
      if (e.empty() || e.back() != '/') {
        e.push_back('/');
      }
      m_abs_base = e + m_ep.path;
    }
  }

  // Learn the FTP login folder and create the base and temporary folders,
  // once per connection's lifetime (SFTP paths are absolute already).
  Result<void> ensure_entry()
  {
    if (m_sftp || m_ready) {
      return {};
    }
    CURL* c = setup(url_of(""));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_FTP_CREATE_MISSING_DIRS, static_cast<long>(CURLFTP_CREATE_DIR_RETRY));
    auto rc = m_easy.perform();
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "connect", where("")));
    }
    capture_entry();
    if (m_abs_base.empty()) {
      return fail(Errc::unavailable, "the FTP server did not give its home folder (PWD)", where(""));
    }
    Slist q;
    q.add("*MKD " + abs(std::string(k_temp_prefix).substr(0, std::string(k_temp_prefix).size() - 1)));
    HEMERA_TRY(quote(q, "mkdir", k_temp_prefix));
    m_ready = true;
    return {};
  }

  Result<void> quote(Slist& q, const char* what, const std::string& key)
  {
    CURL* c = setup(url_of(""));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_QUOTE, q.get());
    auto rc = m_easy.perform();
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, what, where(key)));
    }
    return {};
  }

  // FTP: the size of `key` from one SIZE command (a file that is missing is
  // nullopt); nullopt nested in a value when the reply is not understood,
  // so that the caller asks libcurl the long way. Sent only while the
  // connection is in binary mode: some servers refuse SIZE in ASCII mode.
  Result<std::optional<std::optional<RemoteStat>>> size_command(const std::string& key)
  {
    std::string replies;
    Slist q;
    q.add("*SIZE " + abs(key));
    CURL* c = setup(url_of(""));
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_QUOTE, q.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &detail::string_write);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &replies);
    auto rc = m_easy.perform();
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "stat", where(key)));
    }
    long connects = 0;
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    auto last = last_line(replies);
    if (connects > 0) {
      m_binary = false;  // a new connection, in ASCII mode: its 550 proves nothing
      if (last.rfind("213 ", 0) != 0) {
        return std::optional<std::optional<RemoteStat>>{};
      }
    }
    if (last.rfind("550", 0) == 0) {
      return std::optional<std::optional<RemoteStat>>{std::optional<RemoteStat>{}};
    }
    if (auto n = size_reply(replies); n) {
      return std::optional<std::optional<RemoteStat>>{std::optional<RemoteStat>{RemoteStat{*n}}};
    }
    return std::optional<std::optional<RemoteStat>>{};
  }

  // The last line of the server's replies (those of a login come first on a
  // new connection; a command sent last is answered last).
  static std::string last_line(std::string replies)
  {
    while (!replies.empty() && (replies.back() == '\n' || replies.back() == '\r')) {
      replies.pop_back();
    }
    auto nl = replies.find_last_of('\n');
    return nl == std::string::npos ? replies : replies.substr(nl + 1);
  }

  // The size in a "213 <n>" reply to SIZE sent last, if that is the last line.
  static std::optional<std::uint64_t> size_reply(const std::string& replies)
  {
    auto last = last_line(replies);
    if (last.size() <= 4 || last.rfind("213 ", 0) != 0) {
      return std::nullopt;
    }
    std::uint64_t n = 0;
    auto digits = last.substr(4);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      return std::nullopt;
    }
    return n;
  }

  Result<checksum::FileHash> download(const std::string& key, std::FILE* file)
  {
    HEMERA_TRY(ensure_entry());
    detail::DownloadSink sink;
    sink.file = file;
    CURL* c = setup(url_of(key));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::download_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    if (!m_sftp) {
      // RETR without a SIZE first: one round trip fewer; the caller compares
      // the size of what arrived.
      curl_easy_setopt(c, CURLOPT_IGNORE_CONTENT_LENGTH, 1L);
    }
    auto rc = m_easy.perform();
    if (sink.write_error) {
      return fail(Errc::io, "write error while downloading", where(key));
    }
    if (rc == CURLE_FTP_COULDNT_RETR_FILE) {
      return fail(Errc::no_input, "remote file not found", where(key));
    }
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "download", where(key)));
    }
    capture_entry();
    m_binary = true;
    return checksum::FileHash{sink.received, sink.hasher.finish()};
  }

 public:
  // Set the pinned host key (base64 SHA-256, without "SHA256:").
  void pin(std::string key) { m_host_key = std::move(key); }

 private:
  TargetConfig m_config;
  std::string m_scheme;
  Endpoint m_ep;
  bool m_sftp = false;
  bool m_ready = false;  // FTP: login folder known, temporary folder made
  bool m_binary = false;  // FTP: the last transfer was in binary mode (TYPE I)
  std::string m_abs_base;
  std::string m_host_key;
  std::set<std::string> m_dirs;
  Easy m_easy;
  char m_err[CURL_ERROR_SIZE] = {};
  CURLcode m_last_rc = CURLE_OK;  // of the last upload
  // FTP: the temporary name last uploaded and the size SIZE gave right after.
  std::optional<std::pair<std::string, std::uint64_t>> m_posted;
};

}  // namespace

Result<std::unique_ptr<Target>> make_curl_target(const TargetConfig& config, const std::string& rest)
{
  auto scheme = config.url.substr(0, config.url.find("://"));
  auto ep = parse_rest(rest);
  if (ep.hostname.empty()) {
    return fail(Errc::config, "target URL has no host", config.name, "url");
  }
  if (scheme == "ftp" && !config.allow_plaintext && !is_loopback_host(ep.hostname)) {
    return fail(Errc::config,
                "plaintext ftp:// to a non-loopback host is refused (use ftps:// or set allow_plaintext: true)",
                config.name, "url");
  }
  auto t = std::make_unique<CurlTarget>(config, scheme, ep);
  if (scheme == "sftp") {
    std::string key = config.host_key_sha256;
    if (key.rfind("SHA256:", 0) == 0) {
      key = key.substr(7);
    }
    // libcurl compares against the unpadded base64 form that ssh-keygen -l prints.
    while (!key.empty() && key.back() == '=') {
      key.pop_back();
    }
    if (key.empty() && config.known_hosts.empty()) {
      return fail(Errc::config, "an SFTP target needs a pinned host key (host_key_sha256 or known_hosts)",
                  config.name, "host_key_sha256");
    }
    t->pin(key);
  }
  return std::unique_ptr<Target>(std::move(t));
}

}  // namespace hemera::replicate
