// SPDX-License-Identifier: Apache-2.0
// hemera-repair: replace damaged copies with a good one, checked against the
// journal, swapped in atomically, and verified again.
#include <cstdio>
#include <string>
#include <vector>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/replicate/replicate.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-repair", "Restore damaged files from a good copy (privileged, audited)");
  tool.example("hemera-repair --from sedoo --dataset 0f8fad5b-d9cb-469f-a165-70867728950e",
               "Restore the damaged local files of one dataset from the target sedoo.");
  tool.example("hemera-repair --from local --to sedoo",
               "Replace every missing or damaged remote copy at sedoo with the local file.");
  std::string from;
  std::string to;
  std::string dataset;
  std::vector<std::string> paths;
  auto& app = tool.app();
  app.add_option("--from", from, "Where the good copy is: a target's name, or 'local'")->required();
  app.add_option("--to", to, "With --from local: the target whose copies are repaired");
  app.add_option("--dataset", dataset, "Repair only the files of this dataset (UUID)");
  app.add_option("paths", paths, "Files to repair, relative to the archive root (default: every damaged file)");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (from == "local" && to.empty()) {
      return fail(Errc::usage, "--from local needs --to TARGET");
    }
    if (from != "local" && !to.empty() && to != "local") {
      return fail(Errc::usage, "repair goes from a target to the local archive, or from local to a target");
    }
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    HEMERA_TRY(auth::require(archive, ctx.actor, "repair", dataset));
    auto report = HEMERA_TRY(replicate::repair(archive, ctx.config, from, to, dataset, paths));
    int code = report.problems.empty() ? 0 : 1;
    if (ctx.json) {
      auto doc = report.to_json();
      doc["root"] = archive.layout().root.string();
      doc["from"] = from;
      doc["to"] = from == "local" ? to : std::string("local");
      doc["exit_code"] = code;
      ctx.emit(doc);
    } else {
      for (const auto& k : report.repaired) {
        std::printf("repaired %s\n", k.c_str());
      }
      for (const auto& p : report.problems) {
        std::printf("%s: %s: %s\n", p.file.c_str(), p.problem.c_str(), p.message.c_str());
      }
      if (!ctx.quiet) {
        std::printf("%zu file%s repaired, %zu could not be\n", report.repaired.size(),
                    report.repaired.size() == 1 ? "" : "s", report.problems.size());
      }
    }
    return code;
  });
}
