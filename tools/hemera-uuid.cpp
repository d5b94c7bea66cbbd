// SPDX-License-Identifier: Apache-2.0
// hemera-uuid: new (v4), legacy (v5) and checked UUIDs.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/uuid.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-uuid", "Make and check dataset identifiers (RFC 4122 UUIDs)");
  auto& app = tool.app();
  app.require_subcommand(1);

  std::size_t count = 1;
  auto* cmd_new = app.add_subcommand("new", "Print new random (version 4) UUIDs");
  cmd_new->add_option("-n,--count", count, "How many UUIDs to print")->check(CLI::PositiveNumber);

  std::string legacy_id;
  std::string ns_text;
  auto* cmd_legacy = app.add_subcommand(
    "legacy", "Print the version 5 UUID of a legacy identifier (deterministic, injective)");
  cmd_legacy->add_option("ID", legacy_id, "Legacy dataset identifier")->required();
  cmd_legacy->add_option("--namespace", ns_text,
                         "Namespace UUID, or dns|url|oid|x500 (default: the archive's pinned one)");

  std::vector<std::string> to_check;
  auto* cmd_check = app.add_subcommand("check", "Exit 0 if every argument is an RFC 4122 UUID");
  cmd_check->add_option("UUID", to_check, "UUIDs to check; - reads one per line from standard input")
    ->required();

  tool.example("hemera-uuid new --count 3", "Print three new version 4 UUIDs.");
  tool.example("hemera-uuid legacy --namespace dns python.org",
               "Print 886313e1-3b8a-5372-9b90-0c9aee199e5d.");
  tool.example("hemera-uuid check 886313e1-3b8a-5372-9b90-0c9aee199e5d", "Exit 0: a valid UUID.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (cmd_new->parsed()) {
      if (ctx.json) {
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < count; ++i) {
          list.push_back(uuid::to_string(HEMERA_TRY(uuid::new_v4())));
        }
        ctx.emit({{"uuids", list}});
        return 0;
      }
      std::string out;
      out.reserve(std::min<std::size_t>(count, 1U << 16) * 37);
      while (count > 0) {
        std::size_t n = std::min<std::size_t>(count, 1U << 16);
        out.clear();
        HEMERA_TRY(uuid::append_v4_lines(out, n));
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
          return fail(Errc::io, "cannot write to standard output");
        }
        count -= n;
      }
      return 0;
    }
    if (cmd_legacy->parsed()) {
      std::string ns = ns_text;
      if (ns.empty()) {
        auto archive = archive::Archive::open(ctx.root);
        if (!archive) {
          return fail(Errc::usage,
                      fmt::format("no --namespace given and no archive to read one from ({})",
                                  archive.error().to_string()),
                      {}, "--namespace");
        }
        ns = HEMERA_TRY(archive::legacy_namespace(*archive));
      }
      auto ns_bytes = HEMERA_TRY(uuid::namespace_from(ns));
      std::string id = uuid::to_string(uuid::v5(ns_bytes, legacy_id));
      if (ctx.json) {
        ctx.emit({{"uuid", id}, {"legacy_id", legacy_id}, {"namespace", uuid::to_string(ns_bytes)}});
      } else {
        std::printf("%s\n", id.c_str());
      }
      return 0;
    }
    // check
    if (to_check.size() == 1 && to_check.front() == "-") {
      to_check.clear();
      char line[256];
      while (std::fgets(line, sizeof line, stdin) != nullptr) {
        std::string_view text(line);
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
          text.remove_suffix(1);
        }
        to_check.emplace_back(text);
      }
    }
    nlohmann::json results = nlohmann::json::array();
    std::size_t bad = 0;
    for (const auto& text : to_check) {
      auto r = uuid::check_rfc4122(text);
      if (!r) {
        ++bad;
      }
      if (ctx.json) {
        if (r) {
          results.push_back({{"uuid", text}, {"valid", true}, {"version", (*r)[6] >> 4}});
        } else {
          results.push_back({{"uuid", text}, {"valid", false}, {"message", r.error().message},
                             {"rule", r.error().rule}});
        }
      } else if (!r) {
        std::fprintf(stderr, "hemera-uuid: %s: not an RFC 4122 UUID: %s [%s]\n", text.c_str(),
                     r.error().message.c_str(), r.error().rule.c_str());
      }
    }
    if (ctx.json) {
      ctx.emit({{"results", results}, {"invalid", bad}});
    }
    return bad == 0 ? 0 : 1;
  });
}
