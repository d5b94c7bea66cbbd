// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <hemera/replicate/curl_util.hpp>
#include <hemera/replicate/target.hpp>

using namespace hemera;
using namespace hemera::replicate;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& data)
{
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// A target whose operations fail with `code` a given number of times.
class Flaky final : public Target {
 public:
  Flaky(int failures, Errc code) : m_failures(failures), m_code(code) {}
  int calls = 0;

  Result<checksum::FileHash> put_temp(const std::string&, const fs::path&, const checksum::Digest&) override
  {
    HEMERA_TRY(step());
    return checksum::FileHash{};
  }
  Result<void> rename(const std::string&, const std::string&) override { return step(); }
  Result<std::optional<RemoteStat>> stat(const std::string&) override
  {
    HEMERA_TRY(step());
    return std::optional<RemoteStat>{RemoteStat{7}};
  }
  Result<std::optional<checksum::Digest>> remote_hash(const std::string&) override
  {
    return std::optional<checksum::Digest>{};
  }
  Result<checksum::FileHash> read_hash(const std::string&) override { return checksum::FileHash{}; }
  Result<checksum::FileHash> get(const std::string&, const fs::path&) override { return checksum::FileHash{}; }
  Result<void> remove(const std::string&) override { return step(); }
  Result<std::vector<std::string>> list_temp() override { return std::vector<std::string>{}; }
  Result<std::vector<std::string>> list_all() override { return std::vector<std::string>{}; }
  [[nodiscard]] Properties properties() const override { return {"flaky", true, false, true, false}; }

 private:
  Result<void> step()
  {
    ++calls;
    if (m_failures > 0) {
      --m_failures;
      return fail(m_code, "injected");
    }
    return {};
  }
  int m_failures;
  Errc m_code;
};

}  // namespace

TEST_SUITE("replicate::Target")
{
  TEST_CASE("the conformance checks pass on a file:// target")
  {
    fs::create_directories("src");
    std::string data(300000, 'x');
    for (std::size_t i = 0; i < data.size(); ++i) {
      data[i] = static_cast<char>(i * 7919 % 251);
    }
    write("src/a.na", data);
    auto want = checksum::sha256(data);
    TargetConfig cfg;
    cfg.name = "t";
    cfg.url = "file://" + (fs::current_path() / "remote").string();
    auto t = make_target(cfg);
    REQUIRE(t);
    auto& target = **t;
    CHECK_FALSE(target.properties().network);

    auto key = std::string("DATB/c/u/v1/a.na");
    auto tmp = temp_key(key);
    CHECK(tmp.rfind(k_temp_prefix, 0) == 0);
    CHECK(tmp == temp_key(key));
    CHECK(tmp != temp_key("DATB/c/u/v2/a.na"));

    auto missing = target.stat(key);
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());

    auto sent = target.put_temp(tmp, "src/a.na", want);
    REQUIRE(sent);
    CHECK(sent->size == data.size());
    CHECK(sent->digest == want);
    auto temps = target.list_temp();
    REQUIRE(temps);
    REQUIRE(temps->size() == 1);
    CHECK(std::string(k_temp_prefix) + temps->front() == tmp);

    auto st = target.stat(tmp);
    REQUIRE(st);
    REQUIRE(st->has_value());
    CHECK((*st)->size == data.size());
    REQUIRE(target.rename(tmp, key));
    auto gone = target.stat(tmp);
    REQUIRE(gone);
    CHECK_FALSE(gone->has_value());
    auto back = target.read_hash(key);
    REQUIRE(back);
    CHECK(back->digest == want);

    // Rename replaces an existing final name.
    write("src/b.na", "other");
    REQUIRE(target.put_temp(tmp, "src/b.na", checksum::sha256("other")));
    REQUIRE(target.rename(tmp, key));
    auto replaced = target.read_hash(key);
    REQUIRE(replaced);
    CHECK(replaced->digest == checksum::sha256("other"));

    auto got = target.get(key, "copy.na");
    REQUIRE(got);
    CHECK(got->size == 5);
    REQUIRE(target.remove(key));
    REQUIRE(target.remove(key));  // removing a missing key succeeds
    auto after = target.stat(key);
    REQUIRE(after);
    CHECK_FALSE(after->has_value());
    CHECK(target.read_hash(key).error().code == Errc::no_input);
  }

  TEST_CASE("the scheme table and the network rules")
  {
    auto s = schemes();
    CHECK(s == std::vector<std::string>{"file", "ftp", "ftps", "sftp", "s3"});
    TargetConfig cfg;
    cfg.name = "t";
    cfg.url = "gopher://example.org/x";
    CHECK(make_target(cfg).error().code == Errc::unavailable);
    cfg.url = "no-scheme";
    CHECK(make_target(cfg).error().code == Errc::config);
    cfg.url = "ftp://archive.example.org/hemera";
    CHECK(make_target(cfg).error().code == Errc::config);
    cfg.allow_plaintext = true;
    CHECK(make_target(cfg));
    cfg.url = "ftp://127.0.0.1:2121/hemera";
    cfg.allow_plaintext = false;
    CHECK(make_target(cfg));
    cfg.url = "ftps://archive.example.org/hemera";
    CHECK(make_target(cfg));
    cfg.url = "sftp://mirror.example.org/hemera";
    CHECK(make_target(cfg).error().code == Errc::config);  // no pinned host key
    cfg.host_key_sha256 = "SHA256:AAAA";
    CHECK(make_target(cfg));
    cfg.url = "s3://bucket/prefix";
    CHECK(make_target(cfg).error().code == Errc::config);  // no keys
    cfg.access_key = "a";
    cfg.secret_key = "b";
    cfg.endpoint = "http://s3.example.org";
    CHECK(make_target(cfg).error().code == Errc::config);  // plaintext endpoint
    cfg.endpoint = "http://127.0.0.1:9000";
    CHECK(make_target(cfg));
    cfg.url = "s3:///prefix";
    CHECK(make_target(cfg).error().code == Errc::config);
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("localhost"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
  }

  TEST_CASE("the retry decorator retries temporary failures only")
  {
    RetryPolicy policy;
    policy.base = std::chrono::milliseconds(1);
    policy.cap = std::chrono::milliseconds(4);
    {
      auto inner = std::make_unique<Flaky>(3, Errc::temp_fail);
      auto* raw = inner.get();
      auto t = with_retry(std::move(inner), policy);
      CHECK(t->rename("a", "b"));
      CHECK(raw->calls == 4);
    }
    {
      auto inner = std::make_unique<Flaky>(3, Errc::config);
      auto* raw = inner.get();
      auto t = with_retry(std::move(inner), policy);
      auto r = t->stat("a");
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::config);
      CHECK(raw->calls == 1);
    }
    {
      policy.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
      auto inner = std::make_unique<Flaky>(1000000, Errc::temp_fail);
      auto t = with_retry(std::move(inner), policy);
      auto r = t->remove("a");
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::temp_fail);
    }
  }
}

TEST_SUITE("replicate::detail::upload_read")
{
  // Feed the read callback as libcurl would, until EOF or abort; return
  // what it handed over and whether it aborted.
  struct Fed {
    std::string data;
    bool aborted = false;
  };
  Fed feed(replicate::detail::UploadSource& src, std::size_t chunk)
  {
    Fed out;
    std::vector<char> buf(chunk);
    for (;;) {
      auto n = replicate::detail::upload_read(buf.data(), 1, buf.size(), &src);
      if (n == CURL_READFUNC_ABORT) {
        out.aborted = true;
        return out;
      }
      if (n == 0) {
        return out;
      }
      out.data.append(buf.data(), n);
    }
  }

  TEST_CASE("the gate hands over the last byte only when size and digest match")
  {
    auto dir = fs::temp_directory_path() / ("hemera-gate-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string body(70000, 'x');
    const checksum::FileHash good{body.size(), checksum::sha256(body)};
    struct Case {
      const char* name;
      std::string content;
      bool pass;
    };
    const Case cases[] = {
      {"same bytes", body, true},
      {"one byte changed", std::string(body).replace(69999, 1, "y"), false},
      {"one byte more", body + "x", false},
      {"one byte fewer", body.substr(1), false},
    };
    for (const auto& c : cases) {
      for (std::size_t chunk : {std::size_t{1000}, std::size_t{65536}, std::size_t{1} << 20}) {
        CAPTURE(c.name);
        CAPTURE(chunk);
        write(dir / "f", c.content);
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen((dir / "f").c_str(), "rb"), &std::fclose);
        REQUIRE(f);
        replicate::detail::UploadSource src;
        src.file = f.get();
        src.expect = &good;
        auto fed = feed(src, chunk);
        CHECK(fed.aborted == !c.pass);
        CHECK(src.mismatch == !c.pass);
        if (c.pass) {
          CHECK(fed.data == body);
          REQUIRE(src.digest);
          CHECK(*src.digest == good.digest);
        } else {
          // The whole expected size never reaches libcurl.
          CHECK(fed.data.size() < body.size());
        }
      }
    }
    // An empty file that should be empty passes; one that should not fails.
    write(dir / "e", "");
    for (bool expect_empty : {true, false}) {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen((dir / "e").c_str(), "rb"), &std::fclose);
      const checksum::FileHash want = expect_empty ? checksum::FileHash{0, checksum::sha256("")} : good;
      replicate::detail::UploadSource src;
      src.file = f.get();
      src.expect = &want;
      auto fed = feed(src, 4096);
      CHECK(fed.aborted != expect_empty);
      CHECK(fed.data.empty());
    }
    fs::remove_all(dir);
  }
}
