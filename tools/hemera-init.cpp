// SPDX-License-Identifier: Apache-2.0
// hemera-init: create an archive (safe to run twice).
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/cli/tool.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-init", "Create the archive layout and its state database");
  tool.example("hemera-init --root /srv/hemera",
               "Create an archive in /srv/hemera and make the caller its administrator.");
  tool.example("hemera-init", "Create ./hemera-archive (or $HEMERA_ROOT) with built-in defaults.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto r = HEMERA_TRY(archive::init(ctx.root, ctx.actor));
    if (ctx.json) {
      ctx.emit({{"root", r.root.string()},
                {"created", r.created},
                {"administrator", r.administrator},
                {"legacy_namespace", r.legacy_namespace},
                {"schema_version", r.schema_version}});
    } else if (!ctx.quiet) {
      std::printf("%s archive at %s (administrator: %s)\n",
                  r.created ? "Created" : "Checked existing", r.root.c_str(),
                  r.administrator.c_str());
    }
    return 0;
  });
}
