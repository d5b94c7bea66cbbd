// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/session.hpp>
#include <hemera/auth/users.hpp>

using namespace hemera;

namespace {

// Keep session files of these tests inside the test directory.
void private_config_home()
{
  auto dir = std::filesystem::absolute("xdg");
  std::filesystem::create_directories(dir);
  ::setenv("XDG_CONFIG_HOME", dir.c_str(), 1);
}

}  // namespace

TEST_SUITE("auth.roles")
{
  TEST_CASE("the command table: every entry allows and denies exactly as written")
  {
    private_config_home();
    Actor admin{"root-admin", 1000, false, false};
    REQUIRE(archive::init("roles-archive", admin));
    auto a = archive::Archive::open("roles-archive");
    REQUIRE(a);
    // One actor per grantable role, holding only that role; one with none.
    std::vector<std::pair<std::string, Actor>> actors;
    uid_t uid = 2000;
    for (const char* role : auth::k_roles) {
      std::string name = std::string("u-") + role;
      if (std::string(role) != "administrator") {
        REQUIRE(auth::grant(*a, "root-admin", name, role));
      } else {
        name = "root-admin";
      }
      actors.emplace_back(role, Actor{name, uid++, false, false});
    }
    actors.emplace_back(auth::k_service_role, Actor{"hemera-svc", uid++, false, true});
    actors.emplace_back("", Actor{"u-nobody", uid++, false, false});
    const std::string owned = "55555555-5555-4555-8555-555555555555";
    const std::string other = "66666666-6666-4666-8666-666666666666";
    for (const auto& [uuid, by] : {std::pair{owned, "u-provider"}, std::pair{other, "root-admin"}}) {
      REQUIRE(a->db().exec(
        "INSERT INTO datasets(uuid, base, collection, path, latest_version, record_revision, "
        "created_by, created_at, updated_at) VALUES (?1, 'DATB', 'c', ?2, 1, 1, ?3, 'now', 'now')",
        {uuid, "DATB/c/" + uuid, std::string(by)}));
    }

    std::size_t checked = 0;
    for (const auto& c : auth::commands()) {
      CAPTURE(c.tool);
      CAPTURE(c.invocation);
      const auth::Permission* p = auth::find_permission(c.action);
      REQUIRE_MESSAGE(p != nullptr, c.action);
      for (const auto& [role, actor] : actors) {
        CAPTURE(role);
        bool listed = !role.empty() && auth::role_allows(role, c.action);
        auto r = auth::require(*a, actor, c.action, p->owner_provider ? other : std::string());
        CHECK(static_cast<bool>(r) == listed);
        if (!r) {
          CHECK(r.error().code == Errc::no_perm);
        }
        if (p->owner_provider) {
          // The providing owner may; a provider on someone else's dataset may not.
          bool owner = role == "provider";
          CHECK(static_cast<bool>(auth::require(*a, actor, c.action, owned)) == (listed || owner));
        }
        ++checked;
      }
    }
    CHECK(checked == auth::commands().size() * actors.size());
    // The administrator may run every privileged command; nobody without a role may run any.
    for (const auto& c : auth::commands()) {
      CHECK_MESSAGE(auth::role_allows("administrator", c.action), c.action);
    }
    CHECK(auth::verify_audit_log(a->layout().audit_log()));
  }

  TEST_CASE("users by ORCID iD, Unix bindings, and removal")
  {
    private_config_home();
    Actor root{"root", 0, false, false};
    REQUIRE(archive::init("users-archive", root));
    auto a = archive::Archive::open("users-archive");
    REQUIRE(a);
    auto me = auth::identify(*a, root);
    REQUIRE(me);
    CHECK(me->name == "root");
    CHECK(me->via == "unix");
    const std::string jc = "0000-0002-1825-0097";
    REQUIRE(auth::add_user(*a, *me, jc));
    CHECK(auth::add_user(*a, *me, jc).error().code == Errc::cant_create);
    REQUIRE(auth::grant(*a, "root", jc, "curator"));
    // Binding root to an ORCID iD moves root's administrator role to the iD.
    REQUIRE(auth::bind(*a, *me, "root", "0000-0001-5109-3700"));
    auto bound = auth::identify(*a, root);
    REQUIRE(bound);
    CHECK(bound->name == "0000-0001-5109-3700");
    CHECK(bound->via == "binding");
    CHECK(auth::require(*a, root, "user.grant"));
    auto u = auth::show_user(*a, "0000-0001-5109-3700");
    REQUIRE(u);
    REQUIRE(u->unix_users.size() == 1);
    CHECK(u->unix_users[0] == "root");
    CHECK(!auth::bind(*a, *me, "no-such-login-here", jc));
    CHECK(!auth::bind(*a, *me, "0000-0002-1825-0097", jc));
    // The last administrator cannot be removed; the curator can.
    CHECK(!auth::remove_user(*a, *bound, "0000-0001-5109-3700"));
    REQUIRE(auth::remove_user(*a, *bound, jc));
    CHECK(!auth::show_user(*a, jc));
    REQUIRE(auth::unbind(*a, *bound, "root"));
    CHECK(auth::identify(*a, root)->name == "root");
    CHECK(!auth::unbind(*a, *bound, "root"));
    CHECK(auth::parse_principal("jdoe", orcid::Registry::production).value() == "jdoe");
    CHECK(!auth::parse_principal("0000-0002-1825-0098", orcid::Registry::production));
    CHECK(!auth::parse_principal("Robert'); DROP TABLE", orcid::Registry::production));
  }

  TEST_CASE("sessions: one-time codes, owner-only files, the ORCID iD from the database")
  {
    private_config_home();
    Actor me{"root", ::getuid(), false, false};
    REQUIRE(archive::init("session-archive", me));
    auto a = archive::Archive::open("session-archive");
    REQUIRE(a);
    auto code = session::issue_code(a->db(), "0000-0002-1694-233X");
    REQUIRE(code);
    CHECK(code->size() == 19);
    auto s = session::exchange_code(a->db(), *code, me.uid, std::chrono::seconds(3600));
    REQUIRE(s);
    CHECK(s->first.orcid == "0000-0002-1694-233X");
    // A code is spent by its first use.
    auto again = session::exchange_code(a->db(), *code, me.uid, std::chrono::seconds(3600));
    REQUIRE(!again);
    CHECK(again.error().message.find("already used") != std::string::npos);
    CHECK(!session::exchange_code(a->db(), "not a code", me.uid, std::chrono::seconds(3600)));

    auto path = session::session_file(me);
    REQUIRE(session::write_file(me, path, s->first, s->second));
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::mask) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    auto cur = session::current(a->db(), me);
    REQUIRE(cur);
    REQUIRE(cur->has_value());
    CHECK((*cur)->orcid == "0000-0002-1694-233X");
    auto id = auth::identify(*a, me);
    REQUIRE(id);
    CHECK(id->name == "0000-0002-1694-233X");
    CHECK(id->via == "session");

    std::string text;
    {
      std::ifstream in(path);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto edit = [&](std::string from, std::string to) {
      std::string t = text;
      auto pos = t.find(from);
      REQUIRE(pos != std::string::npos);
      t.replace(pos, from.size(), to);
      std::ofstream(path, std::ios::trunc) << t;
    };
    // Naming another ORCID iD in the file is refused.
    edit("0000-0002-1694-233X", "0000-0002-1825-0097");
    auto forged = session::current(a->db(), me);
    REQUIRE(!forged);
    CHECK(forged.error().rule == "session.edited");
    CHECK(!auth::require(*a, me, "user.grant"));
    // Another token is refused.
    edit(s->second.substr(0, 8), "00000000");
    auto unknown = session::current(a->db(), me);
    REQUIRE(!unknown);
    CHECK(unknown.error().rule == "session.unknown");
    // Group- or world-readable: refused.
    edit("x", "x");
    std::filesystem::permissions(path, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
    auto open = session::current(a->db(), me);
    REQUIRE(!open);
    CHECK(open.error().rule == "session.file");
    std::filesystem::permissions(path, std::filesystem::perms::group_read, std::filesystem::perm_options::remove);
    REQUIRE(session::current(a->db(), me));
    // Another uid cannot use the file.
    Actor other{"other", me.uid + 1, false, false};
    CHECK(!session::current(a->db(), other));
    // Expired: ignored (back to the Unix user), not an error.
    REQUIRE(a->db().exec("UPDATE sessions SET expires_at = 1"));
    auto expired = session::current(a->db(), me);
    REQUIRE(expired);
    CHECK(!expired->has_value());
    CHECK(auth::identify(*a, me)->name == "root");
    auto out = session::logout(a->db(), me);
    REQUIRE(out);
    CHECK(*out);
    CHECK(!std::filesystem::exists(path));
    REQUIRE(session::issue_code(a->db(), "0000-0002-1825-0097"));
    REQUIRE(a->db().exec("UPDATE login_codes SET expires_at = 1"));
    CHECK(session::purge_expired(a->db()).value() == 1);
  }

  TEST_CASE("audit filters: actor, action prefix, dataset, time, outcome")
  {
    private_config_home();
    Actor admin{"alice", 1000, false, false};
    REQUIRE(archive::init("filter-archive", admin));
    auto a = archive::Archive::open("filter-archive");
    REQUIRE(a);
    const std::string ds = "77777777-7777-4777-8777-777777777777";
    CHECK(!auth::require(*a, Actor{"mallory", 1, false, false}, "repair", ds));
    CHECK(auth::require(*a, admin, "repair", ds));
    CHECK(auth::require(*a, admin, "user.grant"));
    auto count = [&](auth::AuditFilter f) {
      std::size_t seen = 0;
      auto n = auth::scan_audit(a->layout().audit_log(), f, [&](const nlohmann::json&) { ++seen; });
      REQUIRE(n);
      CHECK(*n == seen);
      return seen;
    };
    auto with = [](auto set) {
      auth::AuditFilter f;
      set(f);
      return f;
    };
    CHECK(count({}) == 4);  // init + 3 decisions
    CHECK(count(with([](auth::AuditFilter& f) { f.actor = "mallory"; })) == 1);
    CHECK(count(with([](auth::AuditFilter& f) { f.action = "user.*"; })) == 1);
    CHECK(count(with([](auth::AuditFilter& f) { f.action = "repair"; })) == 2);
    CHECK(count(with([&](auth::AuditFilter& f) { f.dataset = ds; })) == 2);
    CHECK(count(with([](auth::AuditFilter& f) { f.allowed = false; })) == 1);
    CHECK(count(with([](auth::AuditFilter& f) { f.since = "2000-01-01"; })) == 4);
    CHECK(count(with([](auth::AuditFilter& f) { f.until = "2000-01-01"; })) == 0);
  }
}
