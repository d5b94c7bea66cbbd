// SPDX-License-Identifier: Apache-2.0
// hemera-user: people (ORCID iDs) and accounts, their roles, Unix bindings,
// and the audit log.
#include <cstdio>
#include <map>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/people/person.hpp>
#include <hemera/auth/users.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/log.hpp>

using namespace hemera;

namespace {

nlohmann::json grant_json(const auth::Grant& g)
{
  return {{"actor", g.actor}, {"role", g.role}, {"dataset", g.dataset},
          {"granted_by", g.granted_by}, {"granted_at", g.granted_at}};
}

nlohmann::json user_json(const auth::User& u)
{
  nlohmann::json grants = nlohmann::json::array();
  for (const auto& g : u.grants) {
    grants.push_back(grant_json(g));
  }
  return {{"name", u.name}, {"orcid", u.orcid}, {"unix_users", u.unix_users},
          {"grants", grants}, {"open_sessions", u.open_sessions}};
}

std::string roles_text(const auth::User& u)
{
  std::string out;
  for (const auto& g : u.grants) {
    out += (out.empty() ? "" : ", ") + g.role + (g.dataset.empty() ? "" : " on " + g.dataset);
  }
  return out.empty() ? "(no role)" : out;
}

nlohmann::json person_json(const std::optional<orcid::Person>& p)
{
  if (!p) {
    return nullptr;
  }
  auto text = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"name", text(p->display_name())}, {"given_names", text(p->given_names)},
          {"family_name", text(p->family_name)}, {"credit_name", text(p->credit_name)}, {"emails", p->emails}};
}

// Names and public e-mail addresses from ORCID's public API, fetched once per
// iD for this run and kept in memory only. A failure is a warning: the name
// stays unknown. After the API could not be reached, it is not asked again.
class People {
 public:
  explicit People(orcid::PublicApi api) : m_api(std::move(api)) {}

  // Return what ORCID says publicly about `id`, or nullopt (unknown).
  std::optional<orcid::Person> get(const std::string& id)
  {
    if (id.empty() || m_unreachable) {
      return std::nullopt;
    }
    if (auto it = m_seen.find(id); it != m_seen.end()) {
      return it->second;
    }
    auto r = orcid::fetch_person(m_api, id);
    std::optional<orcid::Person> p;
    if (!r) {
      log::warn("name of {} unknown: {}", id, r.error().message);
      m_unreachable = r.error().rule == "orcid.unreachable";
    } else if (!*r) {
      log::warn("name of {} unknown: ORCID does not know this iD", id);
    } else {
      p = std::move(*r);
    }
    m_seen.emplace(id, p);
    return p;
  }

 private:
  orcid::PublicApi m_api;
  std::map<std::string, std::optional<orcid::Person>> m_seen;
  bool m_unreachable = false;
};

std::string person_text(const std::optional<orcid::Person>& p)
{
  if (!p || (p->display_name().empty() && p->emails.empty())) {
    return "(name unknown)";
  }
  std::string name = p->display_name().empty() ? "(name private)" : p->display_name();
  return p->emails.empty() ? name : fmt::format("{} <{}>", name, p->emails.front());
}

Result<std::string> check_time(const std::string& t, const char* option)
{
  static const std::regex k_time(R"(\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?)");
  if (!t.empty() && !std::regex_match(t, k_time)) {
    return fail(Errc::usage, fmt::format("{} wants an ISO 8601 UTC date or time (2026-11-26 or 2026-11-26T12:00:00Z), not '{}'",
                                         option, t), {}, option);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-user", "Manage people (ORCID iDs), their roles and Unix bindings; read the audit log");
  auto& app = tool.app();
  app.require_subcommand(1);

  std::string who;
  std::string role;
  std::string dataset;
  std::string unix_user;
  bool remove_binding = false;
  bool names = false;
  const char* names_help = "Add names and public e-mail addresses from ORCID's public API (never stored)";
  auto* cmd_list = app.add_subcommand("list", "List every person or account with roles and bindings");
  cmd_list->add_flag("--names", names, names_help);
  auto* cmd_show = app.add_subcommand("show", "Show one person or account");
  cmd_show->add_option("USER", who, "ORCID iD or Unix login")->required();
  cmd_show->add_flag("--names", names, names_help);
  auto* cmd_add = app.add_subcommand("add", "Register a person by ORCID iD (administrators only)");
  cmd_add->add_option("ORCID", who, "ORCID iD (https://orcid.org/… accepted)")->required();
  auto* cmd_remove = app.add_subcommand("remove", "Forget a person: roles, bindings, sessions (administrators only)");
  cmd_remove->add_option("USER", who, "ORCID iD or Unix login")->required();
  auto* cmd_grant = app.add_subcommand("grant", "Grant a role (administrators only)");
  cmd_grant->add_option("USER", who, "ORCID iD or Unix login")->required();
  cmd_grant->add_option("ROLE", role, "downloader, provider, editor, curator or administrator")->required();
  cmd_grant->add_option("--dataset", dataset, "Limit the role to one dataset (UUID)");
  auto* cmd_revoke = app.add_subcommand("revoke", "Revoke a role (administrators only)");
  cmd_revoke->add_option("USER", who, "ORCID iD or Unix login")->required();
  cmd_revoke->add_option("ROLE", role, "Role to revoke")->required();
  cmd_revoke->add_option("--dataset", dataset, "The dataset the role was limited to");
  auto* cmd_bind = app.add_subcommand("bind", "Bind a Unix login (for sudo) to an ORCID iD (administrators only)");
  cmd_bind->add_option("UNIX_USER", unix_user, "Unix login name")->required();
  cmd_bind->add_option("ORCID", who, "ORCID iD");
  cmd_bind->add_flag("--remove", remove_binding, "Remove the login's binding instead");
  auth::AuditFilter filter;
  std::string actor_filter;
  std::string outcome;
  bool check = false;
  auto* cmd_audit = app.add_subcommand("audit", "Print audit events, filtered, or check the log's hash chain");
  cmd_audit->add_option("--actor", actor_filter, "Only events of this ORCID iD or Unix login");
  cmd_audit->add_option("--action", filter.action, "Only this action (\"user.*\" for a prefix)");
  cmd_audit->add_option("--dataset", filter.dataset, "Only events on this dataset (UUID)");
  cmd_audit->add_option("--since", filter.since, "Only events at or after this UTC date or time");
  cmd_audit->add_option("--until", filter.until, "Only events before this UTC date or time");
  cmd_audit->add_option("--outcome", outcome, "Only allowed or denied decisions")
    ->check(CLI::IsMember({"allowed", "denied"}));
  cmd_audit->add_flag("--check", check, "Check the hash chain: exit 65 naming the first edited, removed or reordered line");
  auto* cmd_actions = app.add_subcommand("actions", "Print which roles may run each privileged command of each tool");

  tool.example("hemera-user grant 0000-0002-1825-0097 curator", "Make the person with this ORCID iD a curator.");
  tool.example("hemera-user list --names", "Everyone, with names and e-mail addresses as ORCID shows them publicly.");
  tool.example("hemera-user bind jdoe https://orcid.org/0000-0002-1825-0097",
               "Runs of 'sudo hemera-…' by the Unix user jdoe act as this ORCID iD.");
  tool.example("hemera-user audit --outcome denied --since 2026-11-01", "Denied actions since 1 November.");
  tool.example("hemera-user audit --check", "Check that no audit event was edited or removed.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto registry = auth::configured_registry(ctx.config);
    if (cmd_actions->parsed()) {
      nlohmann::json actions = nlohmann::json::array();
      for (const auto& p : auth::permissions()) {
        actions.push_back({{"action", p.action}, {"roles", p.roles}, {"owner_provider", p.owner_provider}});
      }
      nlohmann::json commands = nlohmann::json::array();
      for (const auto& c : auth::commands()) {
        const auth::Permission* p = auth::find_permission(c.action);
        std::vector<const char*> roles = p != nullptr ? p->roles : std::vector<const char*>{};
        bool owner = p != nullptr && p->owner_provider;
        commands.push_back({{"tool", c.tool}, {"command", c.invocation}, {"action", c.action},
                            {"roles", roles}, {"owner_provider", owner}});
        if (!ctx.json) {
          std::printf("%-17s %-46s %-17s %s%s\n", c.tool, c.invocation, c.action,
                      fmt::format("{}", fmt::join(roles, ", ")).c_str(), owner ? ", the providing owner" : "");
        }
      }
      if (ctx.json) {
        ctx.emit({{"actions", actions}, {"commands", commands}});
      }
      return 0;
    }
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    auto me = HEMERA_TRY(auth::identify(archive, ctx.actor));
    const auto log = archive.layout().audit_log();

    if (cmd_list->parsed() || cmd_show->parsed()) {
      std::string name;
      if (cmd_show->parsed()) {
        name = HEMERA_TRY(auth::parse_principal(who, registry));
      }
      HEMERA_TRY(auth::require(archive, ctx.actor, "user.list"));
      std::vector<auth::User> list;
      if (cmd_show->parsed()) {
        list.push_back(HEMERA_TRY(auth::show_user(archive, name)));
      } else {
        list = HEMERA_TRY(auth::users(archive));
      }
      std::optional<People> people;
      if (names) {
        people.emplace(HEMERA_TRY(orcid::public_api(ctx.config)));
      }
      nlohmann::json users = nlohmann::json::array();
      nlohmann::json grants = nlohmann::json::array();
      for (const auto& u : list) {
        users.push_back(user_json(u));
        std::optional<orcid::Person> person;
        if (people) {
          person = people->get(u.orcid);
          users.back()["person"] = person_json(person);
        }
        for (const auto& g : u.grants) {
          grants.push_back(grant_json(g));
        }
        if (!ctx.json) {
          std::string extra;
          if (!u.orcid.empty() && u.orcid != u.name) {
            extra = " = " + u.orcid;
          }
          if (!u.unix_users.empty()) {
            extra += fmt::format(" (Unix: {})", fmt::join(u.unix_users, ", "));
          }
          if (u.open_sessions > 0) {
            extra += fmt::format(" [{} open session(s)]", u.open_sessions);
          }
          if (people) {
            std::printf("%-20s %-40s %s%s\n", u.name.c_str(), u.orcid.empty() ? "-" : person_text(person).c_str(),
                        roles_text(u).c_str(),
                        extra.c_str());
          } else {
            std::printf("%-20s %s%s\n", u.name.c_str(), roles_text(u).c_str(), extra.c_str());
          }
        }
      }
      if (ctx.json) {
        if (cmd_show->parsed()) {
          ctx.emit({{"user", users.at(0)}});
        } else {
          ctx.emit({{"users", users}, {"grants", grants}});
        }
      }
      return 0;
    }

    if (cmd_audit->parsed()) {
      HEMERA_TRY(auth::require(archive, ctx.actor, check ? "audit.check" : "audit.read"));
      if (check) {
        auto n = HEMERA_TRY(auth::verify_audit_log(log));
        if (ctx.json) {
          ctx.emit({{"check", {{"events", n}, {"intact", true}, {"log", log.string()}}}});
        } else if (!ctx.quiet) {
          std::printf("%zu audit event(s), hash chain intact\n", n);
        }
        return 0;
      }
      if (!actor_filter.empty()) {
        filter.actor = HEMERA_TRY(auth::parse_principal(actor_filter, registry));
      }
      HEMERA_TRY(check_time(filter.since, "--since"));
      HEMERA_TRY(check_time(filter.until, "--until"));
      if (!outcome.empty()) {
        filter.allowed = outcome == "allowed";
      }
      nlohmann::json events = nlohmann::json::array();
      auto n = HEMERA_TRY(auth::scan_audit(log, filter, [&](const nlohmann::json& e) {
        if (ctx.json) {
          events.push_back(e);
          return;
        }
        auto s = [&](const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string(); };
        std::string actor = s("actor") + (s("os_user").empty() ? "" : " (" + s("os_user") + ")");
        std::printf("%s %-7s %-28s %-17s %s%s\n", s("time").c_str(), e.value("allowed", false) ? "allowed" : "DENIED",
                    actor.c_str(), s("action").c_str(), s("dataset").empty() ? "" : (s("dataset") + " ").c_str(),
                    s("detail").c_str());
      }));
      if (ctx.json) {
        ctx.emit({{"events", events}, {"count", n}});
      }
      return 0;
    }

    if (cmd_add->parsed() || (cmd_bind->parsed() && !remove_binding)) {
      if (who.empty()) {
        return fail(Errc::usage, "bind needs UNIX_USER and ORCID (or --remove)", {}, "ORCID");
      }
      who = HEMERA_TRY(orcid::parse(who, registry));
    } else if (!who.empty()) {
      who = HEMERA_TRY(auth::parse_principal(who, registry));
    }
    nlohmann::json out;
    std::string text;
    if (cmd_add->parsed()) {
      HEMERA_TRY(auth::require(archive, ctx.actor, "user.add"));
      HEMERA_TRY(auth::add_user(archive, me, who));
      out = {{"added", who}};
      text = fmt::format("Added {}", who);
    } else if (cmd_remove->parsed()) {
      HEMERA_TRY(auth::require(archive, ctx.actor, "user.remove"));
      HEMERA_TRY(auth::remove_user(archive, me, who));
      out = {{"removed", who}};
      text = fmt::format("Removed {}", who);
    } else if (cmd_bind->parsed()) {
      HEMERA_TRY(auth::require(archive, ctx.actor, "user.bind"));
      if (remove_binding) {
        HEMERA_TRY(auth::unbind(archive, me, unix_user));
        out = {{"unix_user", unix_user}, {"orcid", nullptr}};
        text = fmt::format("Unbound {}", unix_user);
      } else {
        HEMERA_TRY(auth::bind(archive, me, unix_user, who));
        out = {{"unix_user", unix_user}, {"orcid", who}};
        text = fmt::format("Bound {} to {}", unix_user, who);
      }
    } else {
      bool granting = cmd_grant->parsed();
      if (!auth::is_role(role)) {
        return fail(Errc::usage, fmt::format("unknown role '{}' (roles: {})", role, fmt::join(auth::k_roles, ", ")),
                    {}, "ROLE");
      }
      HEMERA_TRY(auth::require(archive, ctx.actor, granting ? "user.grant" : "user.revoke", dataset));
      if (granting) {
        HEMERA_TRY(auth::grant(archive, me.name, who, role, dataset));
      } else {
        HEMERA_TRY(auth::revoke(archive, who, role, dataset));
        HEMERA_TRY(auth::audit(log, me.name, "user.revoke", dataset, true, fmt::format("{} -= {}", who, role),
                               me.os_user != me.name ? me.os_user : std::string()));
      }
      out = {{"actor", who}, {"role", role}, {"dataset", dataset}, {"granted", granting}};
      text = fmt::format("{} {} {} {}", granting ? "Granted" : "Revoked", role, granting ? "to" : "from", who);
    }
    if (ctx.json) {
      ctx.emit(out);
    } else if (!ctx.quiet) {
      std::printf("%s\n", text.c_str());
    }
    return 0;
  });
}
