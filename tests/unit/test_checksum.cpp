// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <hemera/checksum.hpp>

#include <fcntl.h>
#include <unistd.h>

using namespace hemera;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& data)
{
  std::ofstream out(p, std::ios::binary);
  out << data;
}

std::string pattern(std::size_t n)
{
  std::string s(n, '\0');
  std::uint32_t x = 2463534242U;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

const char* const k_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char* const k_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

}  // namespace

TEST_SUITE("checksum")
{
  TEST_CASE("known SHA-256 values, incremental and one-shot")
  {
    CHECK(checksum::sha256("").hex() == k_empty);
    CHECK(checksum::sha256("abc").hex() == k_abc);
    checksum::Sha256 h;
    h.update("a", 1);
    h.update("bc", 2);
    CHECK(h.finish().hex() == k_abc);
    // finish() resets the context.
    CHECK(h.finish().hex() == k_empty);
    auto d = checksum::Digest::from_hex(k_abc);
    REQUIRE(d);
    CHECK(d->hex() == k_abc);
    CHECK(!checksum::Digest::from_hex("abc"));
    CHECK(!checksum::Digest::from_hex(std::string(63, '0') + "g"));
  }

  TEST_CASE("hash_file across read-buffer boundaries equals the one-shot hash")
  {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, checksum::k_read_size - 1,
                          checksum::k_read_size, checksum::k_read_size + 1,
                          3 * checksum::k_read_size + 17}) {
      std::string data = pattern(n);
      write("f.bin", data);
      auto r = checksum::hash_file("f.bin");
      REQUIRE(r);
      CHECK(r->size == n);
      CHECK(r->digest == checksum::sha256(data));
    }
    CHECK(checksum::k_read_size >= 256U * 1024U);
  }

  TEST_CASE("pipelined hashing (reader thread) gives the same result")
  {
    checksum::HashOptions pipelined;
    pipelined.pipelined_from = 1;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, 4 * checksum::k_read_size,
                          13 * checksum::k_read_size + 5}) {
      std::string data = pattern(n);
      write("p.bin", data);
      auto r = checksum::hash_file("p.bin", pipelined);
      REQUIRE(r);
      CHECK(r->size == n);
      CHECK(r->digest == checksum::sha256(data));
    }
    // The thread's context is clean afterwards.
    write("q.bin", "abc");
    CHECK(checksum::hash_file("q.bin")->digest.hex() == k_abc);
  }

  TEST_CASE("hash_file errors name the file; a directory or FIFO is refused")
  {
    auto missing = checksum::hash_file("no-such-file");
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::no_input);
    CHECK(missing.error().where.find("no-such-file") != std::string::npos);
    fs::create_directory("adir");
    CHECK(!checksum::hash_file("adir"));
  }

  TEST_CASE("copy_and_hash copies, hashes in the same pass, refuses an existing target")
  {
    std::string data = pattern(700000);
    write("src.bin", data);
    fs::remove("dst.bin");
    auto r = checksum::copy_and_hash("src.bin", "dst.bin", 0444);
    REQUIRE(r);
    CHECK(r->size == data.size());
    CHECK(r->digest == checksum::sha256(data));
    auto again = checksum::hash_file("dst.bin");
    REQUIRE(again);
    CHECK(again->digest == r->digest);
    CHECK((fs::status("dst.bin").permissions() & fs::perms::owner_write) == fs::perms::none);
    CHECK(!checksum::copy_and_hash("src.bin", "dst.bin"));
    fs::permissions("dst.bin", fs::perms::owner_all);
    fs::remove("dst.bin");
  }

  TEST_CASE("hash_files keeps input order and reports each file's error")
  {
    std::vector<fs::path> paths;
    std::vector<std::string> contents;
    for (int i = 0; i < 40; ++i) {
      contents.push_back(pattern(static_cast<std::size_t>(i) * 5011));
      paths.emplace_back("many-" + std::to_string(i));
      write(paths.back(), contents.back());
    }
    paths.emplace_back("many-missing");
    auto results = checksum::hash_files(paths, 3);
    REQUIRE(results.size() == paths.size());
    for (std::size_t i = 0; i < contents.size(); ++i) {
      REQUIRE(results[i]);
      CHECK(results[i]->digest == checksum::sha256(contents[i]));
    }
    CHECK(!results.back());
  }

  TEST_CASE("parallel_for runs each index once, bounded threads, and stops on request")
  {
    std::vector<std::atomic<int>> hits(1000);
    std::atomic<int> running{0};
    std::atomic<int> peak{0};
    auto n = checksum::parallel_for(hits.size(), 3, [&](std::size_t i) {
      int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      hits[i]++;
      --running;
    });
    CHECK(n == hits.size());
    for (auto& h : hits) {
      CHECK(h.load() == 1);
    }
    CHECK(peak.load() <= 3);
    std::atomic<int> started{0};
    auto m = checksum::parallel_for(
      1000, 2, [&](std::size_t) { ++started; }, [&] { return started.load() >= 10; });
    CHECK(m >= 10);
    CHECK(m <= 12);
    CHECK(checksum::parallel_for(0, 4, [](std::size_t) {}) == 0);
    CHECK(checksum::effective_jobs(0) >= 1);
    CHECK(checksum::effective_jobs(5) == 5);
  }

  TEST_CASE("parallel_for_workers names each worker, below the job count")
  {
    std::vector<std::atomic<int>> by_worker(4);
    std::atomic<bool> out_of_range{false};
    auto n = checksum::parallel_for_workers(500, 3, [&](std::size_t, unsigned w) {
      if (w >= 3) {
        out_of_range = true;
        return;
      }
      by_worker[w]++;
    });
    CHECK(n == 500);
    CHECK(!out_of_range.load());
    CHECK(by_worker[0] + by_worker[1] + by_worker[2] == 500);
    CHECK(by_worker[3].load() == 0);
  }

  TEST_CASE("hash_file_at: relative to a directory, errors name the shown path")
  {
    fs::create_directories("at/sub");
    write("at/sub/x.bin", pattern(300000));
    write("at/y.bin", "abc");
    int dir = ::open("at", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dir >= 0);
    auto x = checksum::hash_file_at(dir, "sub/x.bin", {}, "A/sub/x.bin");
    REQUIRE(x);
    CHECK(x->size == 300000);
    CHECK(x->digest == checksum::sha256(pattern(300000)));
    auto y = checksum::hash_file_at(dir, "y.bin", {}, "A/y.bin");
    REQUIRE(y);
    CHECK(y->digest.hex() == k_abc);
    auto none = checksum::hash_file_at(dir, "none.bin", {}, "A/none.bin");
    REQUIRE(!none);
    CHECK(none.error().where == "A/none.bin");
    CHECK(!checksum::hash_file_at(dir, "sub", {}, "A/sub"));
    ::close(dir);
  }

  TEST_CASE("manifest: round trip, sorted, percent-encoding of %, LF and CR")
  {
    auto d = *checksum::Digest::from_hex(k_abc);
    std::vector<checksum::ManifestEntry> entries{{d, "b.na"}, {d, "a%b.na"}, {d, "sub/c.na"},
                                                 {d, "odd\nname"}};
    std::string text = checksum::format_manifest(entries);
    CHECK(text.find(std::string(k_abc) + "  a%25b.na\n") == 0);
    CHECK(text.find("odd%0Aname\n") != std::string::npos);
    // Archive names never hold control characters: a decoded LF is refused.
    auto refused = checksum::parse_manifest(text, "m.txt");
    REQUIRE(!refused);
    CHECK(refused.error().rule == "manifest.path");
    entries.pop_back();
    auto back = checksum::parse_manifest(checksum::format_manifest(entries), "m.txt");
    REQUIRE(back);
    REQUIRE(back->size() == 3);
    CHECK((*back)[0].path == "a%b.na");
    CHECK((*back)[1].path == "b.na");
    CHECK((*back)[2].path == "sub/c.na");
    CHECK(checksum::parse_manifest("", "empty")->empty());
  }

  TEST_CASE("manifest: each malformed line is an error naming file and line")
  {
    std::string good = std::string(k_abc) + "  a.na\n";
    struct Case {
      std::string text;
      const char* rule;
    };
    std::vector<Case> bad{
      {good + std::string(k_abc) + " b.na\n", "manifest.syntax"},           // one space
      {good + std::string(k_abc) + "  b.na", "manifest.syntax"},            // no final newline
      {good + std::string(k_abc).substr(1) + "   b.na\n", "manifest.syntax"},  // 63 digits
      {good + "zz" + std::string(k_abc).substr(2) + "  b.na\n", "manifest.syntax"},
      {good + std::string(k_abc) + "  \n", "manifest.syntax"},              // no path
      {good + "\n", "manifest.syntax"},                                       // empty line
      {good + std::string(k_abc) + "  b.na\r\n", "manifest.path"},          // CRLF
      {good + std::string(k_abc) + "  /etc/passwd\n", "manifest.path"},
      {good + std::string(k_abc) + "  ../x\n", "manifest.path"},
      {good + std::string(k_abc) + "  a/./x\n", "manifest.path"},
      {good + std::string(k_abc) + "  a//x\n", "manifest.path"},
      {good + std::string(k_abc) + "  a\\x\n", "manifest.path"},
      {good + std::string(k_abc) + "  a%zz\n", "manifest.syntax"},
      {good + std::string(k_abc) + "  a%2\n", "manifest.syntax"},
      {good + good, "manifest.syntax"},                                       // duplicate
    };
    for (const auto& c : bad) {
      CAPTURE(c.text);
      auto r = checksum::parse_manifest(c.text, "v1/manifest-sha256.txt");
      REQUIRE(!r);
      CHECK(r.error().code == Errc::data);
      CHECK(r.error().where == "v1/manifest-sha256.txt:2");
      CHECK(r.error().rule == c.rule);
    }
    // A duplicate is named at its second line, the first such line in file
    // order, even when another path repeats later.
    std::string c = std::string(k_abc) + "  c.na\n";
    auto dup = checksum::parse_manifest(good + c + c + good, "m");
    REQUIRE(!dup);
    CHECK(dup.error().where == "m:3");
    CHECK(dup.error().message.find("'c.na' listed twice") != std::string::npos);
    // "a..b" is a legal name: only whole ".." segments are refused.
    CHECK(checksum::parse_manifest(std::string(k_abc) + "  a..b.na\n", "m"));
  }

  TEST_CASE("manifest parser survives hostile bytes")
  {
    std::string s = pattern(5000);
    for (std::size_t cut = 0; cut < s.size(); cut += 97) {
      (void)checksum::parse_manifest(std::string_view(s).substr(0, cut), "fuzz");
    }
    std::string line = std::string(k_abc) + "  x\n";
    for (std::size_t i = 0; i < line.size(); ++i) {
      for (int b : {0, 0x0A, 0x25, 0x2F, 0x80, 0xFF}) {
        std::string t = line;
        t[i] = static_cast<char>(b);
        (void)checksum::parse_manifest(t, "fuzz");
      }
    }
    CHECK(true);
  }
}
