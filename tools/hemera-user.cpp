// SPDX-License-Identifier: Apache-2.0
// hemera-user: list, grant and revoke roles.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-user", "Manage who holds which role in the archive");
  auto& app = tool.app();
  app.require_subcommand(1);

  auto* cmd_list = app.add_subcommand("list", "List every role granted");
  std::string who;
  std::string role;
  std::string dataset;
  auto* cmd_grant = app.add_subcommand("grant", "Grant a role (administrators only)");
  cmd_grant->add_option("USER", who, "Unix user name")->required();
  cmd_grant->add_option("ROLE", role, "downloader, provider, editor, curator or administrator")->required();
  cmd_grant->add_option("--dataset", dataset, "Limit the role to one dataset (UUID)");
  auto* cmd_revoke = app.add_subcommand("revoke", "Revoke a role (administrators only)");
  cmd_revoke->add_option("USER", who, "Unix user name")->required();
  cmd_revoke->add_option("ROLE", role, "Role to revoke")->required();
  cmd_revoke->add_option("--dataset", dataset, "The dataset the role was limited to");
  auto* cmd_roles = app.add_subcommand("actions", "Print which roles may perform each privileged action");

  tool.example("hemera-user grant jdoe curator", "Make the Unix user jdoe a curator.");
  tool.example("hemera-user list --json", "Print every grant as JSON.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (cmd_roles->parsed()) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& p : auth::permissions()) {
        out.push_back({{"action", p.action}, {"roles", p.roles}, {"owner_provider", p.owner_provider}});
        if (!ctx.json) {
          std::printf("%-18s %s%s\n", p.action, fmt::format("{}", fmt::join(p.roles, ", ")).c_str(),
                      p.owner_provider ? " (and the providing owner)" : "");
        }
      }
      if (ctx.json) {
        ctx.emit({{"actions", out}});
      }
      return 0;
    }
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    if (cmd_list->parsed()) {
      auto all = HEMERA_TRY(auth::grants(archive));
      nlohmann::json out = nlohmann::json::array();
      for (const auto& g : all) {
        out.push_back({{"actor", g.actor}, {"role", g.role}, {"dataset", g.dataset},
                       {"granted_by", g.granted_by}, {"granted_at", g.granted_at}});
        if (!ctx.json) {
          std::printf("%-16s %-14s %s\n", g.actor.c_str(), g.role.c_str(),
                      g.dataset.empty() ? "(all datasets)" : g.dataset.c_str());
        }
      }
      if (ctx.json) {
        ctx.emit({{"grants", out}});
      }
      return 0;
    }
    bool granting = cmd_grant->parsed();
    if (!auth::is_role(role)) {
      return fail(Errc::usage, fmt::format("unknown role '{}'", role), {}, "ROLE");
    }
    HEMERA_TRY(auth::require(archive, ctx.actor, granting ? "user.grant" : "user.revoke", dataset));
    if (granting) {
      HEMERA_TRY(auth::grant(archive, ctx.actor.name, who, role, dataset));
    } else {
      HEMERA_TRY(auth::revoke(archive, who, role, dataset));
    }
    if (ctx.json) {
      ctx.emit({{"actor", who}, {"role", role}, {"dataset", dataset},
                {"granted", granting}});
    } else if (!ctx.quiet) {
      std::printf("%s %s %s %s\n", granting ? "Granted" : "Revoked", role.c_str(),
                  granting ? "to" : "from", who.c_str());
    }
    return 0;
  });
}
