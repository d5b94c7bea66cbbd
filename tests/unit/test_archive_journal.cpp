// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <hemera/archive/journal.hpp>
#include <hemera/db/db.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
namespace journal = hemera::archive::journal;
namespace fs = std::filesystem;

namespace {

journal::Event sample(int version)
{
  journal::Event e;
  e.actor = "jdoe";
  e.kind = std::string(journal::k_version_new);
  e.dataset = "0f8fad5b-d9cb-469f-a165-70867728950e";
  e.path = "DATB/c/0f8fad5b-d9cb-469f-a165-70867728950e";
  e.version = version;
  e.files.push_back({"a.na", 12, checksum::sha256("x"), false});
  e.files.push_back({"gps.nmea", 3, checksum::sha256("y"), true});
  e.manifest_sha256 = checksum::sha256("m");
  e.record_revision = version;
  e.record_sha256 = checksum::sha256("r");
  e.commit = "token" + std::to_string(version);
  return e;
}

fs::path fresh_dir(const char* name)
{
  fs::path d = fs::current_path() / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p)
{
  return *util::read_file(p);
}

}  // namespace

TEST_SUITE("archive::journal")
{
  TEST_CASE("a line round-trips and its CRC catches a changed byte")
  {
    auto e = sample(2);
    e.seq = 7;
    e.time = "2026-11-26T09:00:00Z";
    e.extra["future_field"] = {{"kept", true}};
    std::string line = journal::format_line(e);
    REQUIRE(line.back() == '\n');
    CHECK(line.rfind("7 ", 0) == 0);
    auto back = journal::parse_line(std::string_view(line).substr(0, line.size() - 1));
    REQUIRE(back);
    CHECK(back->seq == 7);
    CHECK(back->files.size() == 2);
    CHECK(back->files[1].auxiliary);
    CHECK(back->files[0].sha256 == checksum::sha256("x"));
    CHECK(back->record_sha256 == e.record_sha256);
    CHECK(back->extra["future_field"]["kept"] == true);
    CHECK(journal::to_json(*back) == journal::to_json(e));

    std::string bad = line.substr(0, line.size() - 1);
    auto pos = bad.find("jdoe");
    bad[pos] = 'J';
    auto r = journal::parse_line(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().rule == "journal.crc");
  }

  TEST_CASE("append numbers events, and a torn tail is cut without losing the next event")
  {
    auto dir = fresh_dir("journal-torn");
    auto path = dir / "journal";
    auto lock = dir / "journal.lock";
    for (int v = 1; v <= 3; ++v) {
      auto e = sample(v);
      auto seq = journal::append(path, lock, e);
      REQUIRE(seq);
      CHECK(*seq == static_cast<std::uint64_t>(v));
    }
    auto before = slurp(path);
    // A torn write: half of a fourth line, no newline.
    auto e4 = sample(4);
    e4.seq = 4;
    std::string torn = journal::format_line(e4);
    REQUIRE(util::append_file(path, std::string_view(torn).substr(0, torn.size() / 2)));
    auto read = journal::read_all(path);
    REQUIRE(read);
    CHECK(read->events.size() == 3);
    CHECK(read->torn_bytes == torn.size() / 2);
    CHECK(read->valid_bytes == before.size());

    auto e5 = sample(5);
    auto seq = journal::append(path, lock, e5);
    REQUIRE(seq);
    CHECK(*seq == 4);
    read = journal::read_all(path);
    REQUIRE(read);
    REQUIRE(read->events.size() == 4);
    CHECK(read->torn_bytes == 0);
    CHECK(read->events[3].version == 5);
    CHECK(read->events[3].commit == "token5");
    CHECK(slurp(path).rfind(before, 0) == 0);  // earlier events unchanged
  }

  TEST_CASE("a complete last line with a bad CRC is torn; repair cuts it")
  {
    auto dir = fresh_dir("journal-badcrc");
    auto path = dir / "journal";
    auto lock = dir / "journal.lock";
    auto e1 = sample(1);
    REQUIRE(journal::append(path, lock, e1));
    auto good = slurp(path);
    REQUIRE(util::append_file(path, "2 00000000 {\"seq\":2}\n"));
    auto cut = journal::repair(path, lock);
    REQUIRE(cut);
    CHECK(*cut == 21);
    CHECK(slurp(path) == good);
    auto again = journal::repair(path, lock);
    REQUIRE(again);
    CHECK(*again == 0);
  }

  TEST_CASE("a damaged line followed by a good one is corruption, not a torn tail")
  {
    auto dir = fresh_dir("journal-corrupt");
    auto path = dir / "journal";
    auto lock = dir / "journal.lock";
    for (int v = 1; v <= 2; ++v) {
      auto e = sample(v);
      REQUIRE(journal::append(path, lock, e));
    }
    std::string text = slurp(path);
    auto pos = text.find("jdoe");
    text[pos] = 'X';  // damage line 1
    REQUIRE(util::write_file_atomic(path, text));
    auto read = journal::read_all(path);
    REQUIRE_FALSE(read);
    CHECK(read.error().code == Errc::data);
    CHECK(read.error().where.find(":1") != std::string::npos);
  }

  TEST_CASE("parsing ahead on several threads reads the same events and finds the same faults")
  {
    auto dir = fresh_dir("journal-ahead");
    auto path = dir / "journal";
    auto lock = dir / "journal.lock";
    for (int v = 1; v <= 300; ++v) {
      auto e = sample(v);
      REQUIRE(journal::append(path, lock, e));
    }
    const std::string intact = slurp(path);
    // Every event, then the end: the same as one line at a time.
    auto read = [&](unsigned threads) {
      struct Out {
        std::vector<std::uint64_t> seqs;
        std::optional<Error> error;
        std::uint64_t offset = 0, torn = 0;
      } out;
      auto r = journal::Reader::open(path);
      REQUIRE(r);
      r->parse_ahead(threads);
      for (;;) {
        auto ev = r->next();
        if (!ev) {
          out.error = ev.error();
          break;
        }
        if (!*ev) {
          break;
        }
        out.seqs.push_back((*ev)->seq);
        CHECK((*ev)->files.size() == 2);
      }
      out.offset = r->offset();
      out.torn = r->torn_bytes();
      return out;
    };
    auto same = [&](const char* what) {
      INFO(what);
      auto one = read(1);
      for (unsigned threads : {2u, 3u, 8u}) {
        auto many = read(threads);
        CHECK(many.seqs == one.seqs);
        CHECK(many.offset == one.offset);
        CHECK(many.torn == one.torn);
        CHECK(many.error.has_value() == one.error.has_value());
        if (many.error && one.error) {
          CHECK(many.error->where == one.error->where);
          CHECK(many.error->message == one.error->message);
        }
      }
      return one;
    };
    auto whole = same("intact");
    CHECK(whole.seqs.size() == 300);
    CHECK(whole.offset == intact.size());
    // A torn tail (a part of a line, no newline): read up to it.
    REQUIRE(util::write_file_atomic(path, intact + "301 0000"));
    auto torn = same("torn tail");
    CHECK(torn.seqs.size() == 300);
    CHECK(torn.torn == 8);
    // A complete last line with a bad CRC is torn too.
    REQUIRE(util::write_file_atomic(path, intact + "301 00000000 {\"seq\":301}\n"));
    CHECK(same("bad last line").torn > 0);
    // A damaged line in the middle, good lines after it: corruption, named by line.
    std::string text = intact;
    auto pos = text.find("jdoe", text.size() / 2);
    text[pos] = 'X';
    REQUIRE(util::write_file_atomic(path, text));
    auto bad = same("damaged middle line");
    REQUIRE(bad.error);
    CHECK(bad.error->code == Errc::data);
    CHECK(bad.seqs.size() < 300);
  }

  TEST_CASE("the database index follows the journal, from the last indexed offset")
  {
    auto dir = fresh_dir("journal-index");
    auto path = dir / "journal";
    auto lock = dir / "journal.lock";
    auto database = db::Database::open(dir / "hemera.db", true);
    REQUIRE(database);
    REQUIRE(database->migrate());
    for (int v = 1; v <= 3; ++v) {
      auto e = sample(v);
      REQUIRE(journal::append(path, lock, e));
    }
    REQUIRE(journal::index(path, *database));
    auto rows = database->query("SELECT seq, offset, version, commit_token FROM journal ORDER BY seq");
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[0][1].integer == 0);
    CHECK((*rows)[2][3].text == "token3");
    auto e4 = sample(4);
    REQUIRE(journal::append(path, lock, e4, &*database));  // indexes as it appends
    auto e5 = sample(5);
    REQUIRE(journal::append(path, lock, e5));
    REQUIRE(journal::index(path, *database));
    rows = database->query("SELECT seq, offset FROM journal ORDER BY seq");
    REQUIRE(rows);
    REQUIRE(rows->size() == 5);
    auto reader = journal::Reader::open(path, static_cast<std::uint64_t>((*rows)[4][1].integer), 4);
    REQUIRE(reader);
    auto ev = reader->next();
    REQUIRE(ev);
    REQUIRE(*ev);
    CHECK((*ev)->seq == 5);
    CHECK((*ev)->version == 5);
  }

  TEST_CASE("a missing journal reads as empty and contains no commit")
  {
    auto dir = fresh_dir("journal-missing");
    auto read = journal::read_all(dir / "journal");
    REQUIRE(read);
    CHECK(read->events.empty());
    auto has = journal::contains_commit(dir / "journal", "x");
    REQUIRE(has);
    CHECK_FALSE(*has);
  }
}
