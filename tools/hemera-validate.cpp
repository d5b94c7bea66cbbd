// SPDX-License-Identifier: Apache-2.0
// hemera-validate: check NASA Ames and FITS files against their specifications.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <hemera/cli/tool.hpp>
#include <hemera/nasa_ames/validate.hpp>
#include <hemera/validate/validate.hpp>

using namespace hemera;

namespace {

// Return the boolean configuration value at `key`, or `fallback`.
bool config_bool(const config::Config& cfg, const std::string& key, bool fallback)
{
  const auto* v = cfg.find(key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : fallback;
}

// Return the JSON object of one file's report.
nlohmann::json report_json(const validate::FileReport& r, const validate::Profile& profile)
{
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& f : r.findings) {
    findings.push_back(validate::to_json(f));
  }
  return {{"file", r.file},
          {"format", r.format},
          {"valid", r.passes(profile)},
          {"errors", r.count(validate::Severity::error)},
          {"warnings", r.count(validate::Severity::warning)},
          {"suppressed", r.suppressed},
          {"findings", findings},
          {"details", r.details}};
}

// Print the findings of one report (errors only when quiet) and a summary line.
void print_report(const validate::FileReport& r, const validate::Profile& profile, bool quiet)
{
  for (const auto& f : r.findings) {
    if (quiet && f.severity != validate::Severity::error) {
      continue;
    }
    std::string line = validate::to_text(f) + "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  if (quiet) {
    return;
  }
  std::size_t errors = r.count(validate::Severity::error);
  std::size_t warnings = r.count(validate::Severity::warning);
  std::string line = fmt::format("{}: {} ({}, {} error{}, {} warning{}{})\n", r.file,
                                 r.passes(profile) ? "valid" : "INVALID", r.format, errors,
                                 errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
                                 r.suppressed != 0 ? fmt::format(", {} more not shown",
                                                                 r.suppressed)
                                                   : std::string());
  std::fwrite(line.data(), 1, line.size(), stdout);
}

// Return the format a file name claims (DESIGN.md routing), or unknown.
validate::Format format_from_extension(const std::filesystem::path& path)
{
  std::string ext = path.extension().string();
  for (auto& c : ext) {
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  if (ext == ".na" || ext == ".nas" || ext == ".ames") {
    return validate::Format::nasa_ames;
  }
  if (ext == ".fits" || ext == ".fit" || ext == ".fts" || ext == ".fz") {
    return validate::Format::fits;
  }
  return validate::Format::unknown;
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-validate", "Check NASA Ames and FITS files against their specifications");
  auto& app = tool.app();

  std::vector<std::string> files;
  std::string format_name = "auto";
  std::string profile_name = "strict";
  bool warnings_as_errors = false;
  bool volumes = false;
  std::size_t max_findings = 1000;
  app.add_option("FILE", files, "Files to validate")->required();
  app.add_option("--format", format_name, "File format: auto (from the content), nasa-ames, fits")
    ->check(CLI::IsMember({"auto", "nasa-ames", "fits"}))
    ->default_str("auto");
  app.add_option("--profile", profile_name,
                 "Validation profile: strict (the archive's gate) or legacy (recovery)")
    ->check(CLI::IsMember({"strict", "legacy"}))
    ->default_str("strict");
  app.add_flag("--warnings-as-errors", warnings_as_errors,
               "Fail on any warning left after the profile applies");
  app.add_flag("--volumes", volumes,
               "The NASA Ames files are the volumes of one set: also check them together (D10)");
  app.add_option("--max-findings", max_findings, "Report at most N findings per file")
    ->check(CLI::PositiveNumber)
    ->default_str("1000");

  tool.example("hemera-validate o3.na", "Check one file under the strict profile; exit 1 if invalid.");
  tool.example("hemera-validate --profile legacy --json old/*.na",
               "Check legacy files, downgrading the listed deviations to warnings.");
  tool.example("hemera-validate --volumes flight_v1.na flight_v2.na",
               "Check a two-volume NASA Ames set, each file and the set (D10).");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto profile = *validate::Profile::by_name(profile_name);
    profile.warnings_as_errors = warnings_as_errors;
    profile.max_findings = max_findings;
    profile.strict_monotonic =
      config_bool(ctx.config, "validation.strict_monotonic", profile.strict_monotonic);
    profile.rdate_after_date =
      config_bool(ctx.config, "validation.rdate_after_date", profile.rdate_after_date);
    profile.fits_decompress =
      config_bool(ctx.config, "validation.fits_decompress", profile.fits_decompress);
    auto format = format_name == "auto" ? validate::Format::unknown
                                        : validate::format_from_name(format_name);

    nlohmann::json out_files = nlohmann::json::array();
    std::size_t n_valid = 0;
    std::size_t n_invalid = 0;
    std::size_t n_unreadable = 0;
    int worst = cli::k_exit_ok;
    std::vector<std::filesystem::path> volume_paths;
    for (const auto& file : files) {
      // Content decides; a name claiming a format decides when the content is
      // neither (a broken NASA Ames file then gets findings, not "unknown").
      auto file_format = format;
      if (file_format == validate::Format::unknown) {
        auto detected = validate::detect(file);
        if (detected && *detected == validate::Format::unknown) {
          file_format = format_from_extension(file);
        }
      }
      auto report = validate::validate_file(file, file_format, profile);
      if (!report) {
        const auto& e = report.error();
        int code = cli::exit_code(e.code);
        ++n_unreadable;
        if (worst == cli::k_exit_ok || worst == cli::k_exit_findings) {
          worst = code;
        }
        if (ctx.json) {
          out_files.push_back({{"file", file},
                               {"valid", false},
                               {"error", {{"code", errc_name(e.code)}, {"exit", code},
                                          {"message", e.message}}}});
        }
        std::string line = fmt::format("hemera-validate: error: {}\n", with_where(e, file).to_string());
        std::fwrite(line.data(), 1, line.size(), stderr);
        continue;
      }
      if (report->format == "nasa-ames") {
        volume_paths.emplace_back(file);
      }
      bool ok = report->passes(profile);
      ok ? ++n_valid : ++n_invalid;
      if (!ok && worst == cli::k_exit_ok) {
        worst = cli::k_exit_findings;
      }
      if (ctx.json) {
        out_files.push_back(report_json(*report, profile));
      } else {
        print_report(*report, profile, ctx.quiet);
      }
    }

    nlohmann::json doc = {{"profile", profile.name},
                          {"warnings_as_errors", profile.warnings_as_errors},
                          {"policies", {{"strict_monotonic", profile.strict_monotonic},
                                        {"rdate_after_date", profile.rdate_after_date},
                                        {"fits_decompress", profile.fits_decompress}}},
                          {"files", out_files}};
    if (volumes) {
      if (volume_paths.size() != files.size()) {
        std::string line =
          "hemera-validate: error: --volumes needs every file to be a readable NASA Ames file\n";
        std::fwrite(line.data(), 1, line.size(), stderr);
        if (worst == cli::k_exit_ok) {
          worst = cli::k_exit_findings;
        }
      } else {
        auto set = HEMERA_TRY(nasa_ames::validate_volumes(volume_paths, profile));
        bool ok = set.passes(profile);
        if (!ok && worst == cli::k_exit_ok) {
          worst = cli::k_exit_findings;
        }
        if (ctx.json) {
          doc["volumes"] = report_json(set, profile);
        } else {
          print_report(set, profile, ctx.quiet);
        }
      }
    }
    doc["summary"] = {{"files", files.size()},
                      {"valid", n_valid},
                      {"invalid", n_invalid},
                      {"unreadable", n_unreadable}};
    doc["valid"] = worst == cli::k_exit_ok;
    if (ctx.json) {
      ctx.emit(doc);
    }
    return worst;
  });
}
