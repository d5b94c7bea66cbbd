// SPDX-License-Identifier: Apache-2.0
// hemera-logout: close your ORCID session (the database row and the file).
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/session.hpp>
#include <hemera/cli/tool.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-logout", "Close your ORCID session opened by hemera-login");
  tool.example("hemera-logout --json", "Close the session; tools then act as your Unix user (or its bound ORCID iD).");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    bool had = HEMERA_TRY(session::logout(archive.db(), ctx.actor));
    if (had) {
      HEMERA_TRY(auth::audit(archive.layout().audit_log(), ctx.actor.name, "logout", {}, true, "session closed"));
    }
    if (ctx.json) {
      ctx.emit({{"closed", had}});
    } else if (!ctx.quiet) {
      std::printf("%s\n", had ? "Session closed" : "No session was open");
    }
    return 0;
  });
}
