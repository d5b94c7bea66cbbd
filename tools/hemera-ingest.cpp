// SPDX-License-Identifier: Apache-2.0
// hemera-ingest: a new dataset (form + files) or a new version of one.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/ingest.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/gate/inspector.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

json to_json(const archive::IngestResult& r)
{
  json files = json::array();
  for (const auto& f : r.files) {
    files.push_back({{"source", f.source},
                     {"name", f.name},
                     {"kind", archive::kind_name(f.kind)},
                     {"size", f.size},
                     {"sha256", f.sha256 ? json(f.sha256->hex()) : json(nullptr)}});
  }
  json findings = json::array();
  for (const auto& f : r.findings) {
    findings.push_back(validate::to_json(f));
  }
  json contradictions = json::array();
  for (const auto& c : r.contradictions) {
    contradictions.push_back({{"field", c.field},
                              {"form", c.form},
                              {"header", c.header},
                              {"file", c.file},
                              {"message", c.message}});
  }
  bool committed = !r.dry_run && !r.refused;
  return {{"uuid", r.uuid},
          {"version", r.version},
          {"destination", r.destination},
          {"base", archive::base_name(r.base)},
          {"dry_run", r.dry_run},
          {"refused", r.refused},
          {"committed", committed},
          {"files", files},
          {"bytes", r.bytes},
          {"findings", findings},
          {"contradictions", contradictions},
          {"record_revision", committed ? json(r.record_revision) : json(nullptr)},
          {"journal_seq", committed ? json(r.seq) : json(nullptr)}};
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-ingest", "Ingest a new dataset, or a new version of one, into the archive");
  auto& app = tool.app();
  std::string collection;
  std::string form;
  std::string dataset;
  bool dry_run = false;
  std::vector<std::string> files;
  app.add_option("--collection", collection,
                 "Collection of a new dataset: one to three segments, \"campaign/instrument\"");
  app.add_option("--form", form, "The P.I.'s form (YAML or JSON, Annex 1 keys)");
  app.add_option("--dataset", dataset, "Add a new version to the dataset with this UUID");
  app.add_flag("-n,--dry-run", dry_run,
               "Show the UUID, destination, files and findings; write nothing to the archive");
  app.add_option("FILE", files, "Data files (NASA Ames and auxiliary files, or FITS files)")
    ->required();
  tool.example("hemera-ingest --collection strato2021/o3sonde --form form.yaml o3_20210618.na gps_20210618.nmea",
               "Ingest a new atmospheric dataset (DATB) with its GPS file.");
  tool.example("hemera-ingest --dataset 0f8fad5b-d9cb-469f-a165-70867728950e o3_20210618.na",
               "Add version 2 of a dataset.");
  tool.example("hemera-ingest --dry-run --collection pilot/2022 --form form.json pilot_01.fits",
               "Show what would be ingested, and the dataset's UUID, without writing anything.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (!dataset.empty() && !collection.empty()) {
      return fail(Errc::usage, "--collection is for a new dataset; a new version stays where its dataset is",
                  {}, "--collection");
    }
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    archive::IngestRequest req;
    req.collection = collection;
    if (!form.empty()) {
      req.form = std::filesystem::path(form);
    }
    if (!dataset.empty()) {
      req.dataset = dataset;
    }
    for (const auto& f : files) {
      req.files.emplace_back(f);
    }
    req.dry_run = dry_run;
    req.actor = ctx.actor;
    req.download_url = ctx.config.get_string("download_url");
    req.catalogue_url = ctx.config.get_string("catalogue_url");
    req.catalogue_defaults = [&ctx](const std::string& dest) {
      return catalog::defaults_for(ctx.config, dest);
    };
    HEMERA_TRY(auth::require(arch, ctx.actor, dataset.empty() ? "ingest" : "version.new", dataset));

    // The decision is audited by auth::require; the commit itself is in the
    // journal (actor, files, hashes).
    auto r = HEMERA_TRY(archive::ingest(arch, req, gate::format_inspector(validate::Profile::strict())));
    if (ctx.json) {
      ctx.emit(to_json(r));
    } else {
      for (const auto& f : r.findings) {
        std::fprintf(stderr, "%s\n", validate::to_text(f).c_str());
      }
      for (const auto& c : r.contradictions) {
        std::fprintf(stderr, "hemera-ingest: warning: form contradicts the files: %s [%s]\n",
                     c.message.c_str(), c.field.c_str());
      }
      if (r.refused) {
        std::size_t errors = 0;
        for (const auto& f : r.findings) {
          errors += f.severity == validate::Severity::error ? 1 : 0;
        }
        std::fprintf(stderr, "hemera-ingest: refused: %zu problem%s; nothing was written\n", errors,
                     errors == 1 ? "" : "s");
      } else if (!ctx.quiet) {
        std::printf("%s %s v%d -> %s (%zu file%s, %llu bytes%s)\n",
                    r.dry_run ? "Would ingest" : "Ingested", r.uuid.c_str(), r.version,
                    r.destination.c_str(), r.files.size(), r.files.size() == 1 ? "" : "s",
                    static_cast<unsigned long long>(r.bytes),
                    r.dry_run ? "; dry run, nothing written"
                              : fmt::format("; journal #{}", r.seq).c_str());
        for (const auto& f : r.files) {
          std::printf("  %s  %llu  %s  %s\n", f.sha256 ? f.sha256->hex().c_str() : "-",
                      static_cast<unsigned long long>(f.size), archive::kind_name(f.kind),
                      f.name.c_str());
        }
      }
    }
    return r.refused ? cli::exit_code(Errc::data) : 0;
  });
}
