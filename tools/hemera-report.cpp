// SPDX-License-Identifier: Apache-2.0
// hemera-report: the administration report (inventory, ingest, replication,
// verification, DOIs, users, denied actions) as text, JSON, CSV or HTML.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/report/report.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-report", "Report on the archive: inventory, ingest, replication, verification, DOIs, users");
  auto& app = tool.app();
  std::string format = "text";
  std::string output;
  app.add_option("-f,--format", format, "text, json, csv or html (self-contained, inline SVG charts)")
    ->check(CLI::IsMember({"text", "json", "csv", "html"}));
  app.add_option("-o,--output", output, "Write the report to this file (atomically) instead of standard output");

  tool.example("hemera-report", "Print the report as text.");
  tool.example("hemera-report --format html -o /srv/www/hemera-report.html",
               "Write the HTML report with its charts (cron, nightly).");
  tool.example("hemera-report --format csv | column -s, -t", "Print the figures as CSV.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (ctx.json) {
      format = "json";
    }
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    const auto& table = auth::permissions();
    if (std::any_of(table.begin(), table.end(), [](const auth::Permission& p) { return std::string_view(p.action) == "report"; })) {
      HEMERA_TRY(auth::require(arch, ctx.actor, "report"));
    }
    auto r = HEMERA_TRY(report::build(arch, ctx.config, static_cast<std::int64_t>(std::time(nullptr))));
    std::string text;
    if (format == "json") {
      auto doc = report::to_json(r);
      doc["schema"] = ctx.schema();
      text = doc.dump(2) + "\n";
    } else if (format == "csv") {
      text = report::to_csv(r);
    } else if (format == "html") {
      text = report::to_html(r);
    } else {
      text = report::to_text(r);
    }
    if (!output.empty()) {
      HEMERA_TRY(util::write_file_atomic(output, text));
      if (ctx.verbose > 0) {
        std::fprintf(stderr, "hemera-report: wrote %s\n", output.c_str());
      }
      return 0;
    }
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
      return fail(Errc::io, "cannot write to standard output");
    }
    return 0;
  });
}
