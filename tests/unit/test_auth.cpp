// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/users.hpp>

using namespace hemera;

TEST_SUITE("auth")
{
  TEST_CASE("init makes the caller administrator; require allows, denies and audits")
  {
    Actor admin{"alice", 1000, false, false};
    Actor bob{"bob", 1001, false, false};
    auto init = archive::init("auth-archive", admin);
    REQUIRE(init);
    CHECK(init->administrator == "alice");
    auto a = archive::Archive::open("auth-archive");
    REQUIRE(a);

    CHECK(auth::require(*a, admin, "user.grant"));
    auto denied = auth::require(*a, bob, "ingest");
    REQUIRE(!denied);
    CHECK(denied.error().code == Errc::no_perm);
    CHECK(denied.error().message.find("bob may not ingest") != std::string::npos);

    REQUIRE(auth::grant(*a, "alice", "bob", "provider"));
    CHECK(auth::require(*a, bob, "ingest"));
    CHECK(!auth::require(*a, bob, "doi"));

    // A role limited to one dataset applies to that dataset only.
    REQUIRE(auth::grant(*a, "alice", "bob", "curator", "11111111-1111-4111-8111-111111111111"));
    CHECK(auth::require(*a, bob, "doi", "11111111-1111-4111-8111-111111111111"));
    CHECK(!auth::require(*a, bob, "doi", "22222222-2222-4222-8222-222222222222"));

    auto n = auth::verify_audit_log(a->layout().audit_log());
    REQUIRE(n);
    CHECK(*n == 9);  // init, 2 grants, 6 decisions
  }

  TEST_CASE("a provider may edit the datasets it submitted, not others")
  {
    Actor admin{"alice", 1000, false, false};
    Actor carol{"carol", 1002, false, false};
    REQUIRE(archive::init("owner-archive", admin));
    auto a = archive::Archive::open("owner-archive");
    REQUIRE(a);
    REQUIRE(auth::grant(*a, "alice", "carol", "provider"));
    const std::string mine = "33333333-3333-4333-8333-333333333333";
    const std::string theirs = "44444444-4444-4444-8444-444444444444";
    for (const auto& [uuid, by] : {std::pair{mine, "carol"}, std::pair{theirs, "alice"}}) {
      REQUIRE(a->db().exec(
        "INSERT INTO datasets(uuid, base, collection, path, latest_version, record_revision, "
        "created_by, created_at, updated_at) VALUES (?1, 'DATB', 'c', ?2, 1, 1, ?3, 'now', 'now')",
        {uuid, "DATB/c/" + uuid, std::string(by)}));
    }
    CHECK(auth::require(*a, carol, "record.edit", mine));
    CHECK(auth::require(*a, carol, "version.new", mine));
    auto denied = auth::require(*a, carol, "record.edit", theirs);
    REQUIRE(!denied);
    CHECK(denied.error().message.find("providing owner") != std::string::npos);
    CHECK(!auth::require(*a, carol, "doi", mine));  // minting is not an owner's right
  }

  TEST_CASE("every privileged action names known roles")
  {
    for (const auto& p : auth::permissions()) {
      CHECK(!p.roles.empty());
      for (const char* r : p.roles) {
        CHECK((auth::is_role(r) || std::string(r) == auth::k_service_role));
      }
      bool admin = false;
      for (const char* r : p.roles) {
        admin = admin || std::string(r) == "administrator";
      }
      CHECK_MESSAGE(admin, p.action);
    }
  }

  TEST_CASE("an edited audit event breaks the chain")
  {
    Actor admin{"alice", 1000, false, false};
    REQUIRE(archive::init("chain-archive", admin));
    auto a = archive::Archive::open("chain-archive");
    REQUIRE(a);
    CHECK(!auth::require(*a, Actor{"mallory", 1, false, false}, "repair"));
    CHECK(auth::require(*a, admin, "repair"));
    auto log = a->layout().audit_log();
    std::string text;
    {
      std::ifstream in(log);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto pos = text.find("\"allowed\":false");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 15, "\"allowed\":true ");
    {
      std::ofstream out(log, std::ios::trunc);
      out << text;
    }
    auto r = auth::verify_audit_log(log);
    REQUIRE(!r);
    CHECK(r.error().rule == "audit.chain");
    CHECK(r.error().where.find(":3") != std::string::npos);
  }

  TEST_CASE("init refuses a non-empty directory that is not an archive")
  {
    std::filesystem::create_directories("busy");
    std::ofstream("busy/x") << "x";
    auto r = archive::init("busy", Actor{"alice", 1000, false, false});
    REQUIRE(!r);
    CHECK(r.error().code == Errc::cant_create);
    CHECK(!std::filesystem::exists("busy/.hemera"));
  }

  TEST_CASE("open refuses what is not an archive")
  {
    auto r = archive::Archive::open("nowhere");
    REQUIRE(!r);
    CHECK(r.error().code == Errc::no_input);
  }
}
