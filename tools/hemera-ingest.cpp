// SPDX-License-Identifier: Apache-2.0
// hemera-ingest: a new dataset (form + files) or a new version of one.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/ingest.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/fits/summary.hpp>
#include <hemera/nasa_ames/parser.hpp>
#include <hemera/validate/validate.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

bool looks_iso(const std::string& s)
{
  return s.size() >= 10 && s[4] == '-' && s[7] == '-' && s.find(' ') == std::string::npos;
}

// Split "Ozone partial pressure (mPa)" into the name and the unit.
std::pair<std::string, std::string> name_and_unit(const std::string& line)
{
  auto open = line.rfind('(');
  auto close = line.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1) {
    std::string name = line.substr(0, open);
    while (!name.empty() && (name.back() == ' ' || name.back() == ',')) {
      name.pop_back();
    }
    return {name.empty() ? line : name, line.substr(open + 1, close - open - 1)};
  }
  auto comma = line.find(',');
  if (comma != std::string::npos) {
    std::string unit = line.substr(comma + 1);
    unit.erase(0, unit.find_first_not_of(' '));
    return {line.substr(0, comma), unit};
  }
  return {line, ""};
}

Result<metadata::FileSummary> summarize_nasa_ames(const std::filesystem::path& path)
{
  auto s = HEMERA_TRY(nasa_ames::summary(path, validate::Profile::strict()));
  metadata::FileSummary out;
  out.format_name = "NASA Ames";
  out.format_version = fmt::format("FFI {}", s.header.ffi);
  if (s.time_range) {
    out.begin = s.time_range->start;
    out.end = s.time_range->end;
    out.time_source = "independent variable";
  } else if (s.header.date.valid()) {
    out.begin = s.header.date.iso();
    out.end = s.header.date.iso();
    out.time_source = "DATE";
  }
  for (const auto& v : s.header.vars) {
    auto [name, unit] = name_and_unit(v.name);
    metadata::Parameter p;
    p.short_name = name;
    p.long_name = v.name;
    if (!unit.empty()) {
      p.uom = unit;
    }
    out.parameters.push_back(std::move(p));
  }
  if (!s.header.sname.empty()) {
    out.instruments.push_back(s.header.sname);
  }
  return out;
}

Result<metadata::FileSummary> summarize_fits(const std::filesystem::path& path)
{
  auto s = HEMERA_TRY(fits::summary(path));
  metadata::FileSummary out;
  out.format_name = "FITS";
  out.format_version = "4.0";
  const auto& f = s.file;
  if (f.date_obs && looks_iso(*f.date_obs)) {
    out.begin = *f.date_obs;
    out.time_source = "DATE-OBS";
    if (f.date_end && looks_iso(*f.date_end)) {
      out.end = *f.date_end;
    }
  }
  if (f.sky) {
    metadata::SkyPosition p;
    p.ra = f.sky->ra_deg;
    p.dec = f.sky->dec_deg;
    if (!f.sky->frame.empty()) {
      p.frame = f.sky->frame;
    }
    p.object = f.object;
    out.sky.push_back(std::move(p));
  }
  if (f.site) {
    metadata::SpatialExtent e;
    metadata::Area a;
    a.type = "point";
    a.latitude = f.site->latitude_deg;
    a.longitude = f.site->longitude_deg;
    a.altitude = f.site->height_m;
    e.area = a;
    e.name = fmt::format("Observing site ({})", f.site->source);
    e.source = "fits-site";
    out.extents.push_back(std::move(e));
  }
  if (f.instrument) {
    out.instruments.push_back(*f.instrument);
  }
  for (const auto& h : s.hdus) {
    if (h.bunit) {
      metadata::Parameter p;
      p.short_name = h.extname.empty() ? (h.hdu == 1 ? "PRIMARY" : fmt::format("HDU{}", h.hdu))
                                       : h.extname;
      p.uom = *h.bunit;
      out.parameters.push_back(std::move(p));
    }
  }
  return out;
}

archive::Inspector make_inspector()
{
  archive::Inspector in;
  in.validate = [](const std::filesystem::path& path,
                   archive::FileKind kind) -> Result<archive::GateResult> {
    auto format = kind == archive::FileKind::fits ? validate::Format::fits
                                                  : validate::Format::nasa_ames;
    auto profile = validate::Profile::strict();
    auto report = HEMERA_TRY(validate::validate_file(path, format, profile));
    return archive::GateResult{report.passes(profile), std::move(report.findings)};
  };
  in.summarize = [](const std::filesystem::path& path,
                    archive::FileKind kind) -> Result<metadata::FileSummary> {
    if (kind == archive::FileKind::fits) {
      return summarize_fits(path);
    }
    return summarize_nasa_ames(path);
  };
  return in;
}

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
    HEMERA_TRY(auth::require(arch, ctx.actor, dataset.empty() ? "ingest" : "version.new", dataset));

    // The decision is audited by auth::require; the commit itself is in the
    // journal (actor, files, hashes).
    auto r = HEMERA_TRY(archive::ingest(arch, req, make_inspector()));
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
