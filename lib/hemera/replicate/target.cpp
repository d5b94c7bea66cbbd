// SPDX-License-Identifier: Apache-2.0
#include <hemera/replicate/target.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <thread>
#include <vector>

#include <hemera/replicate/backends.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::replicate {

std::string temp_key(const std::string& key)
{
  auto d = checksum::sha256(key).hex();
  auto slash = key.find_last_of('/');
  std::string base = slash == std::string::npos ? key : key.substr(slash + 1);
  if (base.size() > 64) {
    base.resize(64);
  }
  return std::string(k_temp_prefix) + d.substr(0, 20) + "-" + base + ".part";
}

bool is_loopback_host(const std::string& host)
{
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

namespace {

// A plain directory (local disk, NFS mount): temp file, fsync, rename.
class FileTarget final : public Target {
 public:
  explicit FileTarget(fs::path root) : m_root(std::move(root)) {}

  Result<checksum::FileHash> put_temp(const std::string& key, const fs::path& source,
                                      const checksum::Digest& /*expected*/) override
  {
    auto dest = m_root / key;
    HEMERA_TRY(util::make_dirs(dest.parent_path()));
    std::error_code ec;
    fs::remove(dest, ec);
    return checksum::copy_and_hash(source, dest, 0644);
  }

  Result<void> rename(const std::string& from, const std::string& to) override
  {
    auto dest = m_root / to;
    HEMERA_TRY(util::make_dirs(dest.parent_path()));
    if (::rename((m_root / from).c_str(), dest.c_str()) != 0) {
      return tl::unexpected(errno_error(errno, "rename", dest.string()));
    }
    return util::fsync_dir(dest.parent_path());
  }

  Result<std::optional<RemoteStat>> stat(const std::string& key) override
  {
    std::error_code ec;
    auto st = fs::status(m_root / key, ec);
    if (ec || !fs::is_regular_file(st)) {
      return std::optional<RemoteStat>{};
    }
    auto size = fs::file_size(m_root / key, ec);
    if (ec) {
      return fail(Errc::io, ec.message(), (m_root / key).string());
    }
    return std::optional<RemoteStat>{RemoteStat{size}};
  }

  Result<std::optional<checksum::Digest>> remote_hash(const std::string& /*key*/) override
  {
    return std::optional<checksum::Digest>{};
  }

  Result<checksum::FileHash> read_hash(const std::string& key) override
  {
    return checksum::hash_file(m_root / key);
  }

  Result<checksum::FileHash> get(const std::string& key, const fs::path& dest) override
  {
    return checksum::copy_and_hash(m_root / key, dest, 0644);
  }

  Result<void> remove(const std::string& key) override
  {
    std::error_code ec;
    fs::remove(m_root / key, ec);
    if (ec) {
      return fail(Errc::io, ec.message(), (m_root / key).string());
    }
    return {};
  }

  Result<std::vector<std::string>> list_temp() override
  {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_root / k_temp_prefix, ec)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }

  Result<std::vector<std::string>> list_all() override
  {
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(m_root, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) {
        return out;
      }
      return fail(Errc::io, ec.message(), m_root.string());
    }
    for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      if (ec) {
        return fail(Errc::io, ec.message(), m_root.string());
      }
      auto rel = it->path().lexically_relative(m_root).generic_string();
      if (it.depth() == 0 && rel + "/" == k_temp_prefix) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_directory(ec)) {
        out.push_back(rel);
      }
    }
    return out;
  }

  [[nodiscard]] Properties properties() const override
  {
    return {"file", true, false, false, false};
  }

 private:
  fs::path m_root;
};

// Retries temporary failures with exponential back-off and full jitter.
class RetryTarget final : public Target {
 public:
  RetryTarget(std::unique_ptr<Target> inner, RetryPolicy policy)
    : m_inner(std::move(inner)), m_policy(policy), m_rng(std::random_device{}())
  {
  }

  Result<void> connect() override
  {
    return again([&] { return m_inner->connect(); });
  }
  Result<checksum::FileHash> put_temp(const std::string& key, const fs::path& source,
                                      const checksum::Digest& expected) override
  {
    return again([&] { return m_inner->put_temp(key, source, expected); });
  }
  Result<checksum::FileHash> resume_temp(const std::string& key, const fs::path& source, std::uint64_t offset,
                                         const checksum::Digest& expected) override
  {
    // Each attempt continues from what the temporary file holds by then.
    bool first = true;
    return again([&]() -> Result<checksum::FileHash> {
      std::uint64_t from = offset;
      if (!first) {
        auto st = HEMERA_TRY(m_inner->stat(key));
        from = st ? st->size : 0;
      }
      first = false;
      if (from == 0) {
        return m_inner->put_temp(key, source, expected);
      }
      return m_inner->resume_temp(key, source, from, expected);
    });
  }
  Result<void> rename(const std::string& from, const std::string& to) override
  {
    return again([&] { return m_inner->rename(from, to); });
  }
  Result<checksum::FileHash> put_placed(const std::string& tmp, const std::string& key, const fs::path& source,
                                        const checksum::FileHash& expected) override
  {
    return again([&] { return m_inner->put_placed(tmp, key, source, expected); });
  }
  Result<std::optional<RemoteStat>> stat(const std::string& key) override
  {
    return again([&] { return m_inner->stat(key); });
  }
  Result<std::optional<checksum::Digest>> remote_hash(const std::string& key) override
  {
    return again([&] { return m_inner->remote_hash(key); });
  }
  Result<checksum::FileHash> read_hash(const std::string& key) override
  {
    return again([&] { return m_inner->read_hash(key); });
  }
  Result<checksum::FileHash> get(const std::string& key, const fs::path& dest) override
  {
    return again([&] { return m_inner->get(key, dest); });
  }
  Result<void> remove(const std::string& key) override
  {
    return again([&] { return m_inner->remove(key); });
  }
  Result<std::vector<std::string>> list_temp() override
  {
    return again([&] { return m_inner->list_temp(); });
  }
  Result<std::vector<std::string>> list_all() override
  {
    return again([&] { return m_inner->list_all(); });
  }
  [[nodiscard]] Properties properties() const override { return m_inner->properties(); }

 private:
  template <typename F>
  auto again(F&& f) -> decltype(f())
  {
    auto delay = m_policy.base;
    for (;;) {
      auto r = f();
      if (r || r.error().code != Errc::temp_fail) {
        return r;
      }
      std::uniform_int_distribution<long long> dist(0, delay.count());
      auto wait = std::chrono::milliseconds(dist(m_rng));
      if (std::chrono::steady_clock::now() + wait >= m_policy.deadline) {
        return r;
      }
      std::this_thread::sleep_for(wait);
      delay = std::min(m_policy.cap, delay * 2);
    }
  }

  std::unique_ptr<Target> m_inner;
  RetryPolicy m_policy;
  std::mt19937_64 m_rng;
};

std::unique_ptr<Target> make_file(const TargetConfig& config, const std::string& rest)
{
  (void)config;
  return std::make_unique<FileTarget>(fs::path(rest.empty() ? "." : rest));
}

// The scheme table.
struct Scheme {
  const char* name;
  Result<std::unique_ptr<Target>> (*make)(const TargetConfig&, const std::string& rest);
};

Result<std::unique_ptr<Target>> file_scheme(const TargetConfig& c, const std::string& rest)
{
  return make_file(c, rest);
}

const Scheme k_schemes[] = {
  {"file", file_scheme},
  {"ftp", make_curl_target},
  {"ftps", make_curl_target},
  {"sftp", make_curl_target},
  {"s3", make_s3_target},
};

}  // namespace

std::vector<std::string> schemes()
{
  std::vector<std::string> out;
  for (const auto& s : k_schemes) {
    out.emplace_back(s.name);
  }
  return out;
}

Result<std::unique_ptr<Target>> make_target(const TargetConfig& config)
{
  auto colon = config.url.find("://");
  if (colon == std::string::npos) {
    return fail(Errc::config, "target URL has no scheme", config.name, "url");
  }
  auto scheme = config.url.substr(0, colon);
  for (const auto& s : k_schemes) {
    if (scheme == s.name) {
      return s.make(config, config.url.substr(colon + 3));
    }
  }
  return fail(Errc::unavailable, "unsupported scheme '" + scheme + "'", config.name, "url");
}

std::unique_ptr<Target> with_retry(std::unique_ptr<Target> inner, RetryPolicy policy)
{
  return std::make_unique<RetryTarget>(std::move(inner), policy);
}

}  // namespace hemera::replicate
