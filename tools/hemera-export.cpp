// SPDX-License-Identifier: Apache-2.0
// hemera-export: records as ISO 19139 (INSPIRE), Dublin Core, DataCite XML or JSON,
// through a partner's converter.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/cli/tool.hpp>
#include <hemera/export/export.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;

namespace {

const char* extension(interop::Schema s)
{
  switch (s) {
  case interop::Schema::iso19139: return ".iso19139.xml";
  case interop::Schema::dublin_core: return ".dc.xml";
  case interop::Schema::datacite: return ".datacite.xml";
  case interop::Schema::json: return ".json";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-export", "Export records as ISO 19139 (INSPIRE), Dublin Core, DataCite XML or JSON");
  auto& app = tool.app();
  std::string format_name = "iso19139";
  std::string partner_name = "default";
  std::vector<std::string> uuids;
  bool all = false;
  std::string out_dir;
  app.add_option("-f,--format", format_name, "Output schema: iso19139, dc, datacite or json")
    ->check(CLI::IsMember({"iso19139", "dc", "datacite", "json"}));
  app.add_option("-p,--partner", partner_name, "Partner converter from the configuration (default: default)");
  app.add_flag("-a,--all", all, "Export every record the partner receives");
  app.add_option("-o,--output", out_dir, "Write one file per record in this directory (<uuid>.<format>.xml)");
  app.add_option("UUID", uuids, "Datasets to export");

  tool.example("hemera-export --format iso19139 3f2b6c1e-8a4d-4c1e-9a77-2d1e5b0c9f10",
               "Print one record as an INSPIRE ISO 19139 document.");
  tool.example("hemera-export --format dc --partner sedoo --all -o out/",
               "Write every record partner sedoo receives as Dublin Core, one file each.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (all == !uuids.empty()) {
      return fail(Errc::usage, "give either UUIDs or --all");
    }
    if (out_dir.empty() && (all || uuids.size() > 1)) {
      return fail(Errc::usage, "several records need --output DIR (one file per record)", {}, "--output");
    }
    if (out_dir.empty() && ctx.json) {
      return fail(Errc::usage, "--json reports files written: give --output DIR", {}, "--output");
    }
    auto schema = HEMERA_TRY(interop::parse_schema(format_name));
    auto partner = HEMERA_TRY(interop::load_partner(ctx.config, partner_name));
    if (std::find(partner.schemas.begin(), partner.schemas.end(), schema) == partner.schemas.end()) {
      return fail(Errc::usage,
                  fmt::format("partner '{}' does not take {} (partners.{}.schemas)", partner.name, format_name,
                              partner.name),
                  {}, "--format");
    }
    if (!std::filesystem::is_directory(ctx.root)) {
      return fail(Errc::no_input, fmt::format("no archive at {}", ctx.root.string()), {}, "--root");
    }
    auto source = interop::archive_source(ctx.root);
    std::string now = interop::now_utc();
    std::vector<interop::Entry> entries;
    if (all) {
      for (auto& e : HEMERA_TRY(source->list())) {
        if (interop::accepts(partner, e, now)) {
          entries.push_back(std::move(e));
        }
      }
    } else {
      for (const auto& id : uuids) {
        auto e = HEMERA_TRY(source->find(id));
        if (!interop::accepts(partner, e, now) && !ctx.quiet) {
          std::fprintf(stderr, "hemera-export: warning: %s is not served to partner %s (status %s)\n",
                       e.uuid.c_str(), partner.name.c_str(), e.record.status().value_or("none").c_str());
        }
        entries.push_back(std::move(e));
      }
    }
    if (!out_dir.empty()) {
      HEMERA_TRY(util::make_dirs(out_dir));
    }
    nlohmann::json files = nlohmann::json::array();
    for (const auto& e : entries) {
      std::string doc = HEMERA_TRY(interop::render(schema, e, partner, ctx.config));
      if (out_dir.empty()) {
        if (std::fwrite(doc.data(), 1, doc.size(), stdout) != doc.size() || std::fflush(stdout) != 0) {
          return fail(Errc::io, "cannot write to standard output");
        }
        continue;
      }
      std::filesystem::path file = std::filesystem::path(out_dir) / (e.uuid + extension(schema));
      HEMERA_TRY(util::write_file_atomic(file, doc));
      files.push_back({{"uuid", e.uuid}, {"file", file.string()}, {"bytes", doc.size()}});
      if (ctx.verbose > 0) {
        std::fprintf(stderr, "hemera-export: wrote %s\n", file.string().c_str());
      }
    }
    if (source->skipped() > 0 && !ctx.quiet) {
      std::fprintf(stderr, "hemera-export: warning: %zu unreadable record(s) skipped\n", source->skipped());
    }
    if (ctx.json) {
      ctx.emit({{"format", schema_name(schema)},
                {"partner", partner.name},
                {"records", files},
                {"skipped", source->skipped()}});
    } else if (!out_dir.empty() && !ctx.quiet) {
      std::printf("%zu record(s) written to %s\n", entries.size(), out_dir.c_str());
    }
    return 0;
  });
}
