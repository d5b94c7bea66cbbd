// SPDX-License-Identifier: Apache-2.0
// hemera-login: exchange the one-time code shown after an ORCID sign-in (on
// hemera-csw's /orcid/login page) for a session; --status shows who acts.
#include <cstdio>
#include <iostream>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/session.hpp>
#include <hemera/auth/users.hpp>
#include <hemera/cli/tool.hpp>

using namespace hemera;

namespace {

std::string iso(std::int64_t t)
{
  auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Read one line from standard input, without echo on a terminal.
std::string read_code(const std::string& prompt)
{
  bool tty = ::isatty(STDIN_FILENO) != 0;
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    if (::tcgetattr(STDIN_FILENO, &old) == 0) {
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  return line;
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-login", "Open a session as your ORCID iD with the one-time code of the sign-in page");
  auto& app = tool.app();
  bool status = false;
  bool url = false;
  app.add_flag("--status", status, "Show who acts for you now (exit 1 when no session is open)");
  app.add_flag("--url", url, "Print the sign-in page's address and exit");
  tool.example("hemera-login", "Paste the code shown by <public_url>/orcid/login after signing in with ORCID.");
  tool.example("hemera-login --status --json", "Print the session's ORCID iD, expiry and roles.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    std::string page = ctx.config.get_string("public_url", ctx.config.get_string("catalogue_url")) + "/orcid/login";
    if (url) {
      if (ctx.json) {
        ctx.emit({{"sign_in_url", page}});
      } else {
        std::printf("%s\n", page.c_str());
      }
      return 0;
    }
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    if (status) {
      auto id = HEMERA_TRY(auth::identify(archive, ctx.actor));
      std::optional<session::Session> s;
      if (id.via == "session") {
        s = HEMERA_TRY(session::current(archive.db(), ctx.actor));
      }
      std::vector<std::string> roles;
      for (const auto& g : HEMERA_TRY(archive.db().query(
             "SELECT role, dataset FROM roles WHERE actor = ?1 ORDER BY role, dataset", {id.name}))) {
        roles.push_back(g[1].text.empty() ? g[0].text : g[0].text + " on " + g[1].text);
      }
      if (id.service) {
        roles.emplace_back(auth::k_service_role);
      }
      if (ctx.json) {
        nlohmann::json doc = {{"signed_in", s.has_value()}, {"actor", id.name}, {"via", id.via},
                              {"os_user", id.os_user}, {"roles", roles}};
        doc["orcid"] = id.orcid.empty() ? nlohmann::json(nullptr) : nlohmann::json(id.orcid);
        doc["expires_at"] = s ? nlohmann::json(iso(s->expires_at)) : nlohmann::json(nullptr);
        ctx.emit(doc);
      } else if (!ctx.quiet) {
        if (s) {
          std::printf("Signed in as ORCID iD %s until %s (Unix user %s)\n", id.name.c_str(),
                      iso(s->expires_at).c_str(), id.os_user.c_str());
        } else {
          std::printf("No open session: acting as %s (%s)\n", id.name.c_str(),
                      id.via == "binding" ? fmt::format("Unix user {} bound to it", id.os_user).c_str()
                                          : id.via.c_str());
        }
        std::printf("Roles: %s\n", roles.empty() ? "(none)" : fmt::format("{}", fmt::join(roles, ", ")).c_str());
      }
      return s ? 0 : cli::k_exit_findings;
    }
    std::chrono::seconds lifetime = session::k_default_lifetime;
    if (auto t = ctx.config.get_string("orcid.session_lifetime"); !t.empty()) {
      lifetime = HEMERA_TRY(config::parse_duration(t));
    }
    std::string code = read_code(fmt::format("Sign in at {} and type the code shown: ", page));
    auto [s, token] = HEMERA_TRY(session::exchange_code(archive.db(), code, ctx.actor.uid, lifetime));
    auto path = session::session_file(ctx.actor);
    HEMERA_TRY(session::write_file(ctx.actor, path, s, token));
    HEMERA_TRY(auth::audit(archive.layout().audit_log(), s.orcid, "login", {}, true,
                           fmt::format("session until {}", iso(s.expires_at)), ctx.actor.name));
    if (ctx.json) {
      ctx.emit({{"signed_in", true}, {"actor", s.orcid}, {"orcid", s.orcid}, {"via", "session"},
                {"os_user", ctx.actor.name}, {"expires_at", iso(s.expires_at)}, {"session_file", path.string()}});
    } else if (!ctx.quiet) {
      std::printf("Signed in as ORCID iD %s until %s\n", s.orcid.c_str(), iso(s.expires_at).c_str());
    }
    return 0;
  });
}
