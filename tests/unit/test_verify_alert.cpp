// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <hemera/alert/alert.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/checksum.hpp>
#include <hemera/verify/verify.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace hemera;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p)
{
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& data)
{
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << data;
}

Actor tester()
{
  return Actor{"tester", 1000, false, false};
}

// Lay out one dataset with one version by hand (DESIGN.md's layout).
void add_dataset(const fs::path& root, const std::string& uuid,
                 const std::vector<std::pair<std::string, std::string>>& files)
{
  fs::path d = root / "DATB/camp" / uuid;
  std::vector<checksum::ManifestEntry> m;
  for (const auto& [name, data] : files) {
    write(d / "v1" / name, data);
    m.push_back({checksum::sha256(data), name});
  }
  write(d / "v1/manifest-sha256.txt", checksum::format_manifest(m));
  write(d / "metadata/0001.json", "{\"id\":\"" + uuid + "\"}\n");
  write(d / "metadata.json", "{\"id\":\"" + uuid + "\"}\n");
}

// A lock_dataset that records the datasets it is asked for and locks nothing.
std::function<Result<util::FileLock>(const std::string&)> record_locks(std::vector<std::string>& locked)
{
  return [&locked](const std::string& uuid) -> Result<util::FileLock> {
    locked.push_back(uuid);
    return util::FileLock();
  };
}

const char* const k_u1 = "0f8fad5b-d9cb-469f-a165-70867728950e";
const char* const k_u2 = "1e8fad5b-d9cb-469f-a165-70867728950f";
const char* const k_u3 = "2d8fad5b-d9cb-469f-a165-708677289510";

}  // namespace

TEST_SUITE("verify")
{
  TEST_CASE("an intact dataset; then a mismatch, a missing and an unexpected file")
  {
    REQUIRE(archive::init("va", tester()));
    add_dataset("va", k_u1, {{"a.na", "alpha"}, {"b.na", "beta"}, {"c.na", "gamma"}});
    auto a = archive::Archive::open("va");
    REQUIRE(a);
    verify::Options o;
    o.jobs = 2;
    auto r = verify::run(*a, o);
    REQUIRE(r);
    CHECK(r->files == 3);
    CHECK(r->files_ok == 3);
    CHECK(r->problems.empty());
    CHECK(r->exit_code() == 0);

    fs::path v1 = fs::path("va/DATB/camp") / k_u1 / "v1";
    write(v1 / "a.na", "alphA");
    fs::remove(v1 / "b.na");
    write(v1 / "d.na", "delta");
    r = verify::run(*a, o);
    REQUIRE(r);
    REQUIRE(r->problems.size() == 3);
    CHECK(r->problems[0].finding.rule == "fixity.mismatch");
    CHECK(r->problems[0].expected == checksum::sha256("alpha").hex());
    CHECK(r->problems[0].actual == checksum::sha256("alphA").hex());
    CHECK(r->problems[0].version == 1);
    CHECK(r->problems[0].dataset == k_u1);
    CHECK(r->problems[1].finding.rule == "fixity.missing");
    CHECK(r->problems[2].finding.rule == "fixity.unexpected");
    CHECK(r->files_ok == 1);
    CHECK(r->exit_code() == 1);
    auto j = verify::to_json(*r);
    CHECK(j["problems"].size() == 3);
    CHECK(j["exit_code"] == 1);
  }

  TEST_CASE("record revisions against the journaled hashes")
  {
    REQUIRE(archive::init("vr", tester()));
    add_dataset("vr", k_u1, {{"a.na", "alpha"}});
    auto a = archive::Archive::open("vr");
    REQUIRE(a);
    verify::Options o;
    o.record_hashes = verify::RecordHashes{};
    (*o.record_hashes)[k_u1][1] = checksum::sha256(std::string("{\"id\":\"") + k_u1 + "\"}\n");
    auto r = verify::run(*a, o);
    REQUIRE(r);
    CHECK(r->problems.empty());
    (*o.record_hashes)[k_u1][1] = checksum::sha256("something else");
    (*o.record_hashes)[k_u1][2] = checksum::sha256("a second revision");
    r = verify::run(*a, o);
    REQUIRE(r);
    std::vector<std::string> rules;
    for (const auto& p : r->problems) {
      rules.push_back(p.finding.rule);
    }
    CHECK(rules == std::vector<std::string>{"record.current", "record.revision", "record.missing"});
    CHECK(r->exit_code() == 1);
  }

  TEST_CASE("the journal read on another thread while the files are hashed: the same findings")
  {
    REQUIRE(archive::init("vl", tester()));
    add_dataset("vl", k_u1, {{"a.na", "alpha"}});
    add_dataset("vl", k_u2, {{"b.na", "beta"}});
    auto a = archive::Archive::open("vl");
    REQUIRE(a);
    auto good = [](const char* u) { return checksum::sha256(std::string("{\"id\":\"") + u + "\"}\n"); };
    verify::JournalFacts facts;
    facts.record_hashes = verify::RecordHashes{};
    (*facts.record_hashes)[k_u1][1] = good(k_u1);
    (*facts.record_hashes)[k_u2][1] = good(k_u2);
    int loads = 0;
    verify::Options o;
    o.load_journal = [&]() -> Result<verify::JournalFacts> {
      ++loads;
      return facts;
    };
    std::vector<std::string> locked;
    o.lock_dataset = record_locks(locked);
    auto r = verify::run(*a, o);
    REQUIRE(r);
    CHECK(r->problems.empty());
    CHECK(loads == 1);
    CHECK(r->files_ok == 2);
    CHECK(r->tag_files == 6);  // each manifest, revision and metadata.json read once
    // Each dataset locked while walked, and again while its records are compared.
    CHECK(locked.size() == 4);
    // A journal that disagrees: the record findings, and the payload checked all the same.
    (*facts.record_hashes)[k_u1][1] = checksum::sha256("something else");
    (*facts.record_hashes)[k_u1][2] = checksum::sha256("a second revision");
    facts.journaled_datasets[k_u3] = std::string("DATB/gone/") + k_u3;
    r = verify::run(*a, o);
    REQUIRE(r);
    std::vector<std::string> rules;
    for (const auto& p : r->problems) {
      rules.push_back(p.finding.rule);
    }
    INFO(fmt::format("{}", fmt::join(rules, " ")));
    CHECK(rules == std::vector<std::string>{"record.current", "record.revision", "record.missing", "fixity.missing"});
    CHECK(r->files_ok == 2);
    // A journal that cannot be read: the run fails with its error.
    o.load_journal = []() -> Result<verify::JournalFacts> { return fail(Errc::data, "corrupt journal line", "journal:3"); };
    r = verify::run(*a, o);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Errc::data);
    CHECK(r.error().where == "journal:3");
  }

  TEST_CASE("a commit completed during the run: the journal is read again, once")
  {
    REQUIRE(archive::init("vj", tester()));
    add_dataset("vj", k_u1, {{"a.na", "alpha"}});
    auto a = archive::Archive::open("vj");
    REQUIRE(a);
    std::string record = std::string("{\"id\":\"") + k_u1 + "\"}\n";
    verify::Options o;
    o.record_hashes = verify::RecordHashes{};  // the journal as read before the commit
    int refreshed = 0;
    o.refresh_journal = [&]() -> Result<verify::RecordHashes> {
      ++refreshed;
      verify::RecordHashes h;
      h[k_u1][1] = checksum::sha256(record);
      return h;
    };
    std::vector<std::string> locked;
    o.lock_dataset = record_locks(locked);
    auto r = verify::run(*a, o);
    REQUIRE(r);
    CHECK(r->problems.empty());
    CHECK(refreshed == 1);
    CHECK(locked == std::vector<std::string>{k_u1});
    CHECK(r->files == 1);
    CHECK(r->tag_files == 3);
  }

  TEST_CASE("exit codes: transient-only problems give 75, a stale warning alone 0")
  {
    verify::Report r;
    CHECK(r.exit_code() == 0);
    verify::Problem p;
    p.finding.rule = "fixity.unreadable";
    p.unverified = true;
    p.transient = true;
    r.problems.push_back(p);
    CHECK(r.exit_code() == 75);
    p.transient = false;
    r.problems.push_back(p);
    CHECK(r.exit_code() == 1);
    verify::Report s;
    verify::Problem w;
    w.finding.rule = "fixity.stale";
    w.finding.severity = validate::Severity::warning;
    s.problems.push_back(w);
    CHECK(s.exit_code() == 0);
    CHECK(s.failures() == 0);
  }
}

TEST_SUITE("alert")
{
  TEST_CASE("ledger: a problem is announced once, again with repeat, never once acknowledged")
  {
    REQUIRE(archive::init("al", tester()));
    auto a = archive::Archive::open("al");
    REQUIRE(a);
    auto& db = a->db();
    std::vector<alert::Problem> p1{{"fixity.mismatch:x", "x damaged"}};
    auto d = alert::reconcile(db, "verify:local", p1, false, 100);
    REQUIRE(d);
    CHECK(d->send);
    CHECK(d->fresh == std::vector<std::string>{"fixity.mismatch:x"});
    // Not sent yet (no channel delivered): still due.
    d = alert::reconcile(db, "verify:local", p1, false, 101);
    REQUIRE(d);
    CHECK(d->send);
    REQUIRE(alert::mark_sent(db, "verify:local", 101));
    d = alert::reconcile(db, "verify:local", p1, false, 102);
    REQUIRE(d);
    CHECK(!d->send);
    CHECK(alert::reconcile(db, "verify:local", p1, true, 103)->send);
    // A new problem is announced (with the old one in the summary).
    auto p2 = p1;
    p2.push_back({"fixity.missing:y", "y missing"});
    d = alert::reconcile(db, "verify:local", p2, false, 104);
    REQUIRE(d);
    CHECK(d->send);
    CHECK(d->fresh == std::vector<std::string>{"fixity.missing:y"});
    REQUIRE(alert::mark_sent(db, "verify:local", 104));
    // Acknowledged: silent even with repeat.
    auto acked = alert::acknowledge(db, "verify:local", "", "alice", 105);
    REQUIRE(acked);
    CHECK(acked->size() == 2);
    d = alert::reconcile(db, "verify:local", p2, true, 106);
    REQUIRE(d);
    CHECK(!d->send);
    CHECK(d->acked.size() == 2);
    // Resolved problems are forgotten; if they come back they are new.
    d = alert::reconcile(db, "verify:local", {}, false, 107);
    REQUIRE(d);
    CHECK(d->resolved.size() == 2);
    CHECK(alert::open_problems(db, "verify:local")->empty());
    d = alert::reconcile(db, "verify:local", p1, false, 108);
    REQUIRE(d);
    CHECK(d->send);
    // Another source is independent.
    CHECK(alert::reconcile(db, "verify:sedoo", p1, false, 109)->send);
  }

  TEST_CASE("ledger: repeat_after reminds of an unresolved problem once per interval")
  {
    REQUIRE(archive::init("ra", tester()));
    auto a = archive::Archive::open("ra");
    REQUIRE(a);
    auto& db = a->db();
    const std::chrono::seconds day{86400};
    std::vector<alert::Problem> p1{{"fixity.mismatch:x", "x damaged"}};
    auto d = alert::reconcile(db, "verify:local", p1, false, 1000, day);
    REQUIRE(d);
    CHECK(d->send);
    REQUIRE(alert::mark_sent(db, "verify:local", 1000));
    // The same failure on the next runs, within the interval: silent.
    d = alert::reconcile(db, "verify:local", p1, false, 1000 + 3600, day);
    REQUIRE(d);
    CHECK(!d->send);
    CHECK(d->reminded.empty());
    // A day after the last announcement: one reminder, then silent again.
    d = alert::reconcile(db, "verify:local", p1, false, 1000 + 86400, day);
    REQUIRE(d);
    CHECK(d->send);
    CHECK(d->fresh.empty());
    CHECK(d->reminded == std::vector<std::string>{"fixity.mismatch:x"});
    REQUIRE(alert::mark_sent(db, "verify:local", 1000 + 86400));
    CHECK(!alert::reconcile(db, "verify:local", p1, false, 1000 + 86400 + 60, day)->send);
    // Without repeat_after (0): never again while unresolved.
    CHECK(!alert::reconcile(db, "verify:local", p1, false, 1000 + 30 * 86400)->send);
    // Acknowledged problems are never reminded.
    REQUIRE(alert::acknowledge(db, "verify:local", "", "alice", 1000 + 30 * 86400));
    CHECK(!alert::reconcile(db, "verify:local", p1, false, 1000 + 60 * 86400, day)->send);
  }

  TEST_CASE("mail text: headers cannot be injected, CRLF line ends")
  {
    alert::MailSettings m;
    m.from = "hemera@example.org";
    m.to = {"ops@example.org", "b@example.org"};
    alert::Message msg;
    msg.subject = "bad\r\nBcc: evil@example.org";
    msg.text = "line one\nline two\n";
    std::string text = alert::format_mail(m, msg, 0);
    CHECK(text.find("\r\nBcc:") == std::string::npos);
    CHECK(text.find("Subject: bad  Bcc: evil@example.org\r\n") != std::string::npos);
    CHECK(text.find("To: ops@example.org, b@example.org\r\n") != std::string::npos);
    CHECK(text.find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n") == 0);
    CHECK(text.find("\r\n\r\nline one\r\nline two\r\n") != std::string::npos);
  }

  TEST_CASE("command: summary on stdin, no shell, exit status and timeout checked")
  {
    alert::Message msg;
    msg.summary = {{"schema", "hemera.verify/1"}, {"text", "a; rm -rf / $(x)"}};
    // No shell: the arguments reach the program as they are.
    auto ok = alert::run_command({"/bin/sh", "-c", "cat > cmd-out.json", "x"}, msg,
                                 std::chrono::seconds(10));
    REQUIRE(ok);
    auto got = nlohmann::json::parse(slurp("cmd-out.json"));
    CHECK(got == msg.summary);
    auto bad = alert::run_command({"/bin/false"}, msg, std::chrono::seconds(10));
    REQUIRE(!bad);
    CHECK(bad.error().message.find("status 1") != std::string::npos);
    auto missing = alert::run_command({"/nonexistent/page-oncall"}, msg, std::chrono::seconds(10));
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::config);
    // A command that never reads and never exits is killed at the deadline.
    msg.summary["big"] = std::string(1 << 20, 'x');
    auto t0 = std::chrono::steady_clock::now();
    auto slow = alert::run_command({"/bin/sleep", "30"}, msg, std::chrono::seconds(1));
    REQUIRE(!slow);
    CHECK(slow.error().code == Errc::temp_fail);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
  }

  TEST_CASE("settings: incomplete mail and plaintext webhooks are refused")
  {
    auto c = config::parse_yaml("alerts:\n  mail: {smtp_url: smtp://127.0.0.1:25}\n", "c.yaml");
    REQUIRE(c);
    auto s = alert::settings_from(*c);
    REQUIRE(!s);
    CHECK(s.error().code == Errc::config);
    c = config::parse_yaml("alerts:\n  webhook: {url: http://chat.example.org/hook}\n", "c.yaml");
    REQUIRE(c);
    CHECK(!alert::settings_from(*c));
    c = config::parse_yaml("alerts:\n  webhook: {url: http://127.0.0.1:9/hook}\n  command: [/bin/true]\n"
                           "  repeat: true\n",
                           "c.yaml");
    REQUIRE(c);
    auto ok = alert::settings_from(*c);
    REQUIRE(ok);
    CHECK(ok->repeat);
    CHECK(ok->command == std::vector<std::string>{"/bin/true"});
    CHECK(ok->any());
  }
}
