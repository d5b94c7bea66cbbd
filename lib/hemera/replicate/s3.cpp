// SPDX-License-Identifier: Apache-2.0
// S3 target through libcurl's AWS SigV4 signing (path-style URLs). Each object
// is written once under .hemera-tmp/ with its SHA-256 declared and signed
// (x-amz-content-sha256, x-amz-checksum-sha256), then copied server-side to
// its final key and the temporary object deleted: a reader never sees a final
// key with content that was not checked.
#include <hemera/replicate/backends.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>

#include <hemera/replicate/curl_util.hpp>

namespace hemera::replicate {

namespace {

using detail::Easy;
using detail::Slist;

constexpr const char* k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string base64(const checksum::Digest& d)
{
  unsigned char out[64] = {};
  int n = EVP_EncodeBlock(out, d.bytes.data(), static_cast<int>(d.bytes.size()));
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

std::optional<checksum::Digest> unbase64(const std::string& s)
{
  unsigned char out[64] = {};
  if (s.size() != 44) {
    return std::nullopt;
  }
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 32) {
    return std::nullopt;
  }
  checksum::Digest d;
  std::copy(out, out + 32, d.bytes.begin());
  return d;
}

std::size_t header_cb(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* h = static_cast<std::map<std::string, std::string>*>(user);
  std::string line(buffer, size * count);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    std::string value = line.substr(colon + 1);
    auto b = value.find_first_not_of(" \t");
    auto e = value.find_last_not_of(" \t\r\n");
    (*h)[name] = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
  }
  return size * count;
}

class S3Target final : public Target {
 public:
  S3Target(const TargetConfig& config, std::string bucket, std::string prefix)
    : m_config(config), m_bucket(std::move(bucket)), m_prefix(std::move(prefix))
  {
    m_endpoint = m_config.endpoint.empty() ? "https://s3." + m_config.region + ".amazonaws.com"
                                           : m_config.endpoint;
    while (!m_endpoint.empty() && m_endpoint.back() == '/') {
      m_endpoint.pop_back();
    }
  }

  Result<checksum::FileHash> put_temp(const std::string& key, const fs::path& source,
                                      const checksum::Digest& expected) override
  {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(source.c_str(), "rb"), &std::fclose);
    if (!f) {
      return tl::unexpected(errno_error(errno, "open", source.string()));
    }
    std::error_code ec;
    auto size = fs::file_size(source, ec);
    if (!ec && size >= m_config.multipart_threshold && size > 0) {
      return put_multipart(key, f.get(), source, size, expected);
    }
    detail::UploadSource src;
    src.file = f.get();
    src.limiter = m_config.limiter.get();
    Slist h;
    h.add("x-amz-content-sha256: " + expected.hex());
    h.add("x-amz-sdk-checksum-algorithm: SHA256");
    h.add("x-amz-checksum-sha256: " + base64(expected));
    h.add("x-amz-meta-sha256: " + expected.hex());
    CURL* c = setup(url_of(key), h);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &detail::upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    if (m_config.bwlimit > 0) {
      curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(m_config.bwlimit));
    }
    HEMERA_TRY(perform("upload", key));
    if (src.read_error) {
      return fail(Errc::io, "read error while uploading", source.string());
    }
    return checksum::FileHash{src.sent, src.hasher.finish()};
  }

  Result<void> rename(const std::string& from, const std::string& to) override
  {
    Slist h;
    h.add("x-amz-content-sha256: " + std::string(k_empty_sha256));
    h.add("x-amz-copy-source: /" + m_bucket + "/" + detail::url_path_escape(full(from)));
    h.add("x-amz-metadata-directive: COPY");
    h.add("x-amz-checksum-algorithm: SHA256");
    CURL* c = setup(url_of(to), h);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(0));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, +[](char*, std::size_t, std::size_t, void*) -> std::size_t { return 0; });
    HEMERA_TRY(perform("copy", to));
    if (m_body.find("<Error>") != std::string::npos) {
      return fail(Errc::temp_fail, "copy failed: " + m_body.substr(0, 200), where(to));
    }
    return remove(from);
  }

  Result<std::optional<RemoteStat>> stat(const std::string& key) override
  {
    auto r = head(key);
    if (!r) {
      if (r.error().code == Errc::no_input) {
        return std::optional<RemoteStat>{};
      }
      return tl::unexpected(r.error());
    }
    curl_off_t len = -1;
    curl_easy_getinfo(m_easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (len < 0) {
      return fail(Errc::unavailable, "no Content-Length in HEAD reply", where(key));
    }
    return std::optional<RemoteStat>{RemoteStat{static_cast<std::uint64_t>(len)}};
  }

  Result<std::optional<checksum::Digest>> remote_hash(const std::string& key) override
  {
    HEMERA_TRY(head(key));
    auto it = m_headers.find("x-amz-checksum-sha256");
    if (it != m_headers.end()) {
      return unbase64(it->second);
    }
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
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    CURL* c = setup(url_of(key), h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    auto r = perform("delete", key);
    if (!r && r.error().code != Errc::no_input) {
      return r;
    }
    // An unfinished multipart upload to the same name is abandoned too.
    auto uploads = HEMERA_TRY(list_uploads(key));
    for (const auto& [k, id] : uploads) {
      if (k == full(key)) {
        HEMERA_TRY(abort_upload(key, id));
      }
    }
    return {};
  }

  Result<std::vector<std::string>> list_temp() override
  {
    std::vector<std::string> out;
    std::string token;
    std::string tprefix = full(k_temp_prefix);
    for (;;) {
      Slist h;
      h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
      std::string url = fmt::format("{}/{}?list-type=2&prefix={}", m_endpoint, m_bucket,
                                    detail::url_path_escape(tprefix));
      if (!token.empty()) {
        url += "&continuation-token=" + escape_all(token);
      }
      setup(url, h);
      HEMERA_TRY(perform("list", k_temp_prefix));
      std::size_t pos = 0;
      while ((pos = m_body.find("<Key>", pos)) != std::string::npos) {
        auto end = m_body.find("</Key>", pos);
        if (end == std::string::npos) {
          break;
        }
        auto k = m_body.substr(pos + 5, end - pos - 5);
        if (k.rfind(tprefix, 0) == 0) {
          out.push_back(k.substr(tprefix.size()));
        }
        pos = end;
      }
      auto t = m_body.find("<NextContinuationToken>");
      if (m_body.find("<IsTruncated>true</IsTruncated>") == std::string::npos || t == std::string::npos) {
        break;
      }
      auto e = m_body.find("</NextContinuationToken>", t);
      token = m_body.substr(t + 23, e - t - 23);
    }
    // Unfinished multipart uploads (an interrupted run) are temporaries too.
    auto uploads = HEMERA_TRY(list_uploads(k_temp_prefix));
    for (const auto& [k, id] : uploads) {
      if (k.rfind(tprefix, 0) == 0 &&
          std::find(out.begin(), out.end(), k.substr(tprefix.size())) == out.end()) {
        out.push_back(k.substr(tprefix.size()));
      }
    }
    return out;
  }

  Result<std::vector<std::string>> list_all() override
  {
    std::vector<std::string> out;
    std::string token;
    std::string base = m_prefix.empty() ? std::string() : m_prefix + "/";
    std::string tprefix = full(k_temp_prefix);
    for (;;) {
      Slist h;
      h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
      // Query parameters in their canonical (sorted) order for SigV4.
      std::string url = fmt::format("{}/{}?", m_endpoint, m_bucket);
      if (!token.empty()) {
        url += "continuation-token=" + escape_all(token) + "&";
      }
      url += "list-type=2";
      if (!base.empty()) {
        url += "&prefix=" + detail::url_path_escape(base);
      }
      setup(url, h);
      HEMERA_TRY(perform("list", ""));
      std::size_t pos = 0;
      while ((pos = m_body.find("<Key>", pos)) != std::string::npos) {
        auto end = m_body.find("</Key>", pos);
        if (end == std::string::npos) {
          break;
        }
        auto k = m_body.substr(pos + 5, end - pos - 5);
        if (k.rfind(base, 0) == 0 && k.rfind(tprefix, 0) != 0) {
          out.push_back(k.substr(base.size()));
        }
        pos = end;
      }
      auto t = m_body.find("<NextContinuationToken>");
      if (m_body.find("<IsTruncated>true</IsTruncated>") == std::string::npos || t == std::string::npos) {
        break;
      }
      auto e = m_body.find("</NextContinuationToken>", t);
      token = m_body.substr(t + 23, e - t - 23);
    }
    return out;
  }

  [[nodiscard]] Properties properties() const override
  {
    return {"s3", true, true, true, true};
  }

 private:
  static std::string escape_all(const std::string& s)
  {
    auto e = detail::url_path_escape(s);
    std::string out;
    for (char ch : e) {
      if (ch == '/') {
        out += "%2F";
      } else {
        out.push_back(ch);
      }
    }
    return out;
  }

  std::string full(const std::string& key) const
  {
    return m_prefix.empty() ? key : m_prefix + "/" + key;
  }

  std::string url_of(const std::string& key) const
  {
    return fmt::format("{}/{}/{}", m_endpoint, m_bucket, detail::url_path_escape(full(key)));
  }

  std::string where(const std::string& key) const
  {
    return fmt::format("{}:{}", m_config.name, key);
  }

  CURL* setup(const std::string& url, Slist& headers)
  {
    CURL* c = m_easy.fresh();
    m_err[0] = '\0';
    m_body.clear();
    m_headers.clear();
    m_sigv4 = fmt::format("aws:amz:{}:s3", m_config.region);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m_err);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(m_config.timeout.count()));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(m_config.timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!m_config.ca_file.empty()) {
      curl_easy_setopt(c, CURLOPT_CAINFO, m_config.ca_file.c_str());
    }
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, m_sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, m_config.access_key.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, m_config.secret_key.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &m_headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::string_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &m_body);
    return c;
  }

  Result<void> perform(const char* what, const std::string& key)
  {
    auto rc = m_easy.perform();
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, what, where(key)));
    }
    long status = 0;
    curl_easy_getinfo(m_easy.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300) {
      std::string code;
      if (auto b = m_body.find("<Code>"); b != std::string::npos) {
        code = m_body.substr(b + 6, m_body.find("</Code>", b) - b - 6);
      }
      auto errc = detail::http_errc(status);
      std::string msg = fmt::format("{}: HTTP {}{}{}", what, status, code.empty() ? "" : " ", code);
      if (errc == Errc::config) {
        msg += " (credentials rejected)";
      }
      return fail(errc, msg, where(key));
    }
    return {};
  }

  // The smallest part S3 accepts (all but the last part).
  static constexpr std::uint64_t k_min_part = 5ULL << 20;
  // The most parts of one upload.
  static constexpr std::uint64_t k_max_parts = 10000;

  // Return the text of the first <tag>…</tag> of `xml` at or after `from`.
  static std::string xml_text(const std::string& xml, const std::string& tag, std::size_t from = 0)
  {
    auto b = xml.find("<" + tag + ">", from);
    if (b == std::string::npos) {
      return {};
    }
    b += tag.size() + 2;
    auto e = xml.find("</" + tag + ">", b);
    return e == std::string::npos ? std::string() : xml.substr(b, e - b);
  }

  // Return the lower-case hex MD5 of `data` (what S3 gives as a part's ETag).
  static std::string md5_hex(const char* data, std::size_t size)
  {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data, size, md, &len, EVP_md5(), nullptr);
    static const char* k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out.push_back(k_hex[md[i] >> 4]);
      out.push_back(k_hex[md[i] & 15]);
    }
    return out;
  }

  // Return an ETag without quotes, lower case.
  static std::string bare_etag(std::string etag)
  {
    etag.erase(std::remove(etag.begin(), etag.end(), '"'), etag.end());
    std::transform(etag.begin(), etag.end(), etag.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return etag;
  }

  // Return (full key, upload id) of the unfinished multipart uploads whose
  // key starts with `key_prefix` (relative to the target's prefix).
  Result<std::vector<std::pair<std::string, std::string>>> list_uploads(const std::string& key_prefix)
  {
    std::vector<std::pair<std::string, std::string>> out;
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    setup(fmt::format("{}/{}?prefix={}&uploads=", m_endpoint, m_bucket,
                      detail::url_path_escape(full(key_prefix))),
          h);
    HEMERA_TRY(perform("list uploads", key_prefix));
    std::size_t pos = 0;
    while ((pos = m_body.find("<Upload>", pos)) != std::string::npos) {
      auto end = m_body.find("</Upload>", pos);
      if (end == std::string::npos) {
        break;
      }
      std::string one = m_body.substr(pos, end - pos);
      out.emplace_back(xml_text(one, "Key"), xml_text(one, "UploadId"));
      pos = end;
    }
    return out;
  }

  // Abandon the multipart upload `id` of `key` (its parts are deleted).
  Result<void> abort_upload(const std::string& key, const std::string& id)
  {
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    CURL* c = setup(url_of(key) + "?uploadId=" + escape_all(id), h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    auto r = perform("abort upload", key);
    if (!r && r.error().code != Errc::no_input) {
      return r;
    }
    return {};
  }

  // One part already at the server.
  struct Part {
    std::uint64_t size = 0;
    std::string etag;  // bare
  };

  // Return the parts of upload `id` of `key` by number.
  Result<std::map<std::uint64_t, Part>> list_parts(const std::string& key, const std::string& id)
  {
    std::map<std::uint64_t, Part> out;
    std::string marker;
    for (;;) {
      Slist h;
      h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
      std::string url = url_of(key) + "?";
      if (!marker.empty()) {
        url += "part-number-marker=" + marker + "&";
      }
      setup(url + "uploadId=" + escape_all(id), h);
      HEMERA_TRY(perform("list parts", key));
      std::size_t pos = 0;
      while ((pos = m_body.find("<Part>", pos)) != std::string::npos) {
        auto end = m_body.find("</Part>", pos);
        if (end == std::string::npos) {
          break;
        }
        std::string one = m_body.substr(pos, end - pos);
        auto n = std::strtoull(xml_text(one, "PartNumber").c_str(), nullptr, 10);
        auto size = std::strtoull(xml_text(one, "Size").c_str(), nullptr, 10);
        auto etag = xml_text(one, "ETag");
        for (const char* q : {"&quot;", "&#34;"}) {
          for (auto at = etag.find(q); at != std::string::npos; at = etag.find(q)) {
            etag.erase(at, std::string(q).size());
          }
        }
        if (n > 0) {
          out[n] = Part{size, bare_etag(etag)};
        }
        pos = end;
      }
      if (xml_text(m_body, "IsTruncated") != "true") {
        break;
      }
      marker = xml_text(m_body, "NextPartNumberMarker");
      if (marker.empty()) {
        break;
      }
    }
    return out;
  }

  // Start a multipart upload of `key`; return its id.
  Result<std::string> create_upload(const std::string& key, const checksum::Digest& expected)
  {
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    h.add("x-amz-meta-sha256: " + expected.hex());
    CURL* c = setup(url_of(key) + "?uploads=", h);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(0));
    HEMERA_TRY(perform("start multipart upload", key));
    auto id = xml_text(m_body, "UploadId");
    if (id.empty()) {
      return fail(Errc::temp_fail, "no UploadId in the reply to a multipart upload", where(key));
    }
    return id;
  }

  // Send part `number` (`data`, `size` bytes) of upload `id`, its SHA-256
  // signed so the server checks what arrived; return the part's bare ETag.
  Result<std::string> upload_part(const std::string& key, const std::string& id, std::uint64_t number,
                                  const char* data, std::size_t size)
  {
    Slist h;
    h.add("x-amz-content-sha256: " + checksum::sha256(std::string_view(data, size)).hex());
    CURL* c = setup(fmt::format("{}?partNumber={}&uploadId={}", url_of(key), number, escape_all(id)), h);
    struct Memory {
      const char* data;
      std::size_t left;
      RateLimiter* limiter;
    } mem{data, size, m_config.limiter.get()};
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION,
                     +[](char* buf, std::size_t sz, std::size_t n, void* user) -> std::size_t {
                       auto* m = static_cast<Memory*>(user);
                       std::size_t take = std::min(m->left, sz * n);
                       if (m->limiter != nullptr && take > 0) {
                         take = m->limiter->acquire(take);
                       }
                       std::memcpy(buf, m->data, take);
                       m->data += take;
                       m->left -= take;
                       return take;
                     });
    curl_easy_setopt(c, CURLOPT_READDATA, &mem);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    if (m_config.bwlimit > 0) {
      curl_easy_setopt(c, CURLOPT_MAX_SEND_SPEED_LARGE, static_cast<curl_off_t>(m_config.bwlimit));
    }
    HEMERA_TRY(perform("upload part", key));
    auto it = m_headers.find("etag");
    if (it == m_headers.end()) {
      return fail(Errc::temp_fail, fmt::format("no ETag for part {}", number), where(key));
    }
    return bare_etag(it->second);
  }

  // Finish upload `id` of `key` from the parts' ETags (in part order).
  Result<void> complete_upload(const std::string& key, const std::string& id,
                               const std::vector<std::string>& etags)
  {
    std::string body = "<CompleteMultipartUpload>";
    for (std::size_t i = 0; i < etags.size(); ++i) {
      body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>\"{}\"</ETag></Part>", i + 1, etags[i]);
    }
    body += "</CompleteMultipartUpload>";
    Slist h;
    h.add("x-amz-content-sha256: " + checksum::sha256(body).hex());
    h.add("Content-Type: application/xml");
    CURL* c = setup(url_of(key) + "?uploadId=" + escape_all(id), h);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    HEMERA_TRY(perform("complete multipart upload", key));
    // S3 may answer 200 with an error in the body.
    if (m_body.find("<Error>") != std::string::npos) {
      return fail(Errc::temp_fail, "complete failed: " + xml_text(m_body, "Code"), where(key));
    }
    return {};
  }

  // Upload `source` (`size` bytes, open as `file`) to `key` in parts, read
  // once and hashed whole in the same pass. An unfinished upload of the same
  // key (an interrupted run) is resumed: each part already at the server is
  // kept when its size and MD5 ETag match the local bytes, else the upload is
  // abandoned and started afresh. Memory: one part.
  Result<checksum::FileHash> put_multipart(const std::string& key, std::FILE* file, const fs::path& source,
                                           std::uint64_t size, const checksum::Digest& expected)
  {
    std::uint64_t part_size = std::max(m_config.multipart_part_size, k_min_part);
    if ((size + part_size - 1) / part_size > k_max_parts) {
      part_size = ((size + k_max_parts - 1) / k_max_parts + (1U << 20) - 1) / (1U << 20) * (1U << 20);
    }
    std::uint64_t count = (size + part_size - 1) / part_size;
    std::string id;
    std::map<std::uint64_t, Part> done;
    auto uploads = HEMERA_TRY(list_uploads(key));
    for (const auto& [k, other] : uploads) {
      if (k != full(key)) {
        continue;
      }
      if (id.empty()) {
        if (auto parts = list_parts(key, other)) {
          id = other;
          done = std::move(*parts);
          continue;
        }
      }
      HEMERA_TRY(abort_upload(key, other));
    }
    if (id.empty()) {
      id = HEMERA_TRY(create_upload(key, expected));
    }
    m_parts_resumed = 0;
    std::vector<char> buf(part_size);
    checksum::Sha256 whole;
    std::vector<std::string> etags;
    auto abandon = [&](Error e) -> Result<checksum::FileHash> {
      (void)abort_upload(key, id);
      return tl::unexpected(std::move(e));
    };
    for (std::uint64_t n = 1; n <= count; ++n) {
      std::size_t want = static_cast<std::size_t>(std::min(part_size, size - (n - 1) * part_size));
      std::size_t got = std::fread(buf.data(), 1, want, file);
      if (got != want) {
        return abandon(Error{Errc::io, "read error or file shortened while uploading", source.string(), {}, {}});
      }
      whole.update(buf.data(), got);
      std::string md5 = md5_hex(buf.data(), got);
      if (auto it = done.find(n); it != done.end()) {
        if (it->second.size == got && it->second.etag == md5) {
          etags.push_back(md5);
          ++m_parts_resumed;
          continue;
        }
        // A part that differs: the file changed since; start afresh.
        (void)abort_upload(key, id);
        done.clear();
        id = HEMERA_TRY(create_upload(key, expected));
        std::fseek(file, 0, SEEK_SET);
        whole = checksum::Sha256();
        etags.clear();
        m_parts_resumed = 0;
        n = 0;
        continue;
      }
      auto etag = upload_part(key, id, n, buf.data(), got);
      if (!etag) {
        if (etag.error().code == Errc::temp_fail) {
          return tl::unexpected(etag.error());  // kept at the server: resumed by the next attempt
        }
        return abandon(etag.error());
      }
      if (*etag != md5) {
        return abandon(Error{Errc::temp_fail, fmt::format("part {} arrived damaged (ETag {}, MD5 {})", n, *etag, md5),
                             where(key), {}, {}});
      }
      etags.push_back(*etag);
    }
    auto r = complete_upload(key, id, etags);
    if (!r) {
      return tl::unexpected(r.error());
    }
    return checksum::FileHash{size, whole.finish()};
  }

 public:
  // Return how many parts the last multipart upload kept from an interrupted one.
  [[nodiscard]] std::uint64_t parts_resumed() const { return m_parts_resumed; }

 private:
  Result<void> head(const std::string& key)
  {
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    h.add("x-amz-checksum-mode: ENABLED");
    h.add("x-amz-sdk-checksum-algorithm: SHA256");
    CURL* c = setup(url_of(key), h);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    return perform("stat", key);
  }

  Result<checksum::FileHash> download(const std::string& key, std::FILE* file)
  {
    detail::DownloadSink sink;
    sink.file = file;
    Slist h;
    h.add(std::string("x-amz-content-sha256: ") + k_empty_sha256);
    CURL* c = setup(url_of(key), h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &detail::download_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    auto rc = m_easy.perform();
    if (sink.write_error) {
      return fail(Errc::io, "write error while downloading", where(key));
    }
    if (rc == CURLE_HTTP_RETURNED_ERROR) {
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      return fail(detail::http_errc(status), fmt::format("download: HTTP {}", status), where(key));
    }
    if (rc != CURLE_OK) {
      return tl::unexpected(detail::curl_error(rc, m_err, "download", where(key)));
    }
    return checksum::FileHash{sink.received, sink.hasher.finish()};
  }

  TargetConfig m_config;
  std::string m_bucket;
  std::string m_prefix;
  std::string m_endpoint;
  std::string m_sigv4;
  std::string m_body;
  std::map<std::string, std::string> m_headers;
  Easy m_easy;
  char m_err[CURL_ERROR_SIZE] = {};
  std::uint64_t m_parts_resumed = 0;
};

}  // namespace

Result<std::unique_ptr<Target>> make_s3_target(const TargetConfig& config, const std::string& rest)
{
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? std::string() : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') {
    prefix.pop_back();
  }
  if (bucket.empty()) {
    return fail(Errc::config, "s3:// target URL has no bucket", config.name, "url");
  }
  if (config.access_key.empty() || config.secret_key.empty()) {
    return fail(Errc::config, "an S3 target needs access_key_file and secret_key_file", config.name);
  }
  if (config.endpoint.rfind("http://", 0) == 0 && !config.allow_plaintext) {
    auto host = config.endpoint.substr(7);
    host = host.substr(0, host.find('/'));
    if (host.rfind('[', 0) != 0) {
      host = host.substr(0, host.find(':'));
    }
    if (!is_loopback_host(host)) {
      return fail(Errc::config,
                  "plaintext http:// endpoint to a non-loopback host is refused (set allow_plaintext: true)",
                  config.name, "endpoint");
    }
  }
  return std::unique_ptr<Target>(std::make_unique<S3Target>(config, bucket, prefix));
}

}  // namespace hemera::replicate
