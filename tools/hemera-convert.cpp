// SPDX-License-Identifier: Apache-2.0
// hemera-convert: NASA Ames to netCDF-4/CF, CSV and JSON; netCDF (CF) to NASA
// Ames; FITS tables to CSV and FITS headers to JSON.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <hemera/cli/tool.hpp>
#include <hemera/convert/convert.hpp>

using namespace hemera;

namespace {

const char* extension(convert::Format f)
{
  switch (f) {
  case convert::Format::netcdf: return ".nc";
  case convert::Format::csv: return ".csv";
  case convert::Format::json: return ".json";
  case convert::Format::nasa_ames: return ".na";
  default: return "";
  }
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-convert",
                 "Convert NASA Ames, netCDF (CF) and FITS tables to the formats partners use");
  auto& app = tool.app();
  std::string input, output, to_text, profile_name = "strict", date;
  bool force = false, annotated = false;
  int deflate = 0, ffi = 0, hdu = 0;
  std::vector<std::string> variables, auxiliary;
  app.add_option("INPUT", input, "The file to convert (format detected from its content)")
    ->required();
  app.add_option("-t,--to", to_text, "Target format: netcdf, csv, json or nasa-ames")
    ->required()
    ->check(CLI::IsMember({"netcdf", "nc", "csv", "json", "nasa-ames", "na"}));
  app.add_option("-o,--output", output,
                 "Output file (default: the input's name with the target's extension, in the "
                 "current directory); - writes CSV or JSON to standard output");
  app.add_flag("--force", force, "Replace an existing output file");
  app.add_flag("--annotated", annotated,
               "CSV from NASA Ames: keep the header (names, dates, comments) as # lines");
  app.add_option("--profile", profile_name,
                 "Validation profile a NASA Ames input must pass: strict (default) or legacy")
    ->check(CLI::IsMember({"strict", "legacy"}));
  app.add_option("--deflate", deflate, "netCDF output: deflate level 0-9 (default 0)")
    ->check(CLI::Range(0, 9));
  app.add_option("--ffi", ffi, "NASA Ames output: 1001, 1010, 2010 or 2110 (default: chosen from "
                               "the variables' dimensions)")
    ->check(CLI::IsMember({1001, 1010, 2010, 2110}));
  app.add_option("--variables", variables,
                 "NASA Ames output: the primary variables to write (default: every data variable)")
    ->delimiter(',');
  app.add_option("--auxiliary", auxiliary,
                 "NASA Ames output: variables to write as auxiliary (one value per mark)")
    ->delimiter(',');
  app.add_option("--date", date,
                 "NASA Ames output: DATE (YYYY-MM-DD) when the netCDF file does not give one");
  auto* hdu_opt = app.add_option("--hdu", hdu,
                                 "FITS: the 1-based HDU (CSV: default the first table; JSON: "
                                 "default every header)")
                    ->check(CLI::PositiveNumber);

  tool.example("hemera-convert --to netcdf -o o3.nc o3sonde_20170609.na",
               "An ozonesonde profile (FFI 2160) to netCDF-4 following CF, as a ragged array.");
  tool.example("hemera-convert --to csv --annotated -o - flight.na | head",
               "A NASA Ames file as CSV on standard output, header comments as # lines.");
  tool.example("hemera-convert --to nasa-ames --ffi 1001 --date 2021-06-18 -o out.na model.nc",
               "A P.I.'s netCDF to NASA Ames FFI 1001 that passes the strict profile.");
  tool.example("hemera-convert --to csv --hdu 2 -o events.csv obs.fits",
               "A FITS binary table to CSV, with a header row of names and units.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    convert::Format to = convert::format_from_name(to_text);
    convert::Options opts;
    opts.overwrite = force;
    opts.annotated = annotated;
    opts.profile = *validate::Profile::by_name(profile_name);
    opts.deflate = deflate;
    opts.ffi = ffi;
    opts.variables = variables;
    opts.auxiliary = auxiliary;
    opts.date = date;
    if (hdu_opt->count() > 0) {
      opts.hdu = hdu;
    }
    if (output.empty()) {
      output = std::filesystem::path(input).stem().string() + extension(to);
    }
    if (output == "-" && ctx.json) {
      return fail(Errc::usage, "--json and --output - both write to standard output");
    }
    if (annotated && to != convert::Format::csv) {
      return fail(Errc::usage, "--annotated applies to CSV output", {}, "--annotated");
    }
    auto report = HEMERA_TRY(convert::convert(input, output, to, opts));
    if (!ctx.quiet && !ctx.json) {
      for (const auto& w : report.warnings) {
        std::fprintf(stderr, "hemera-convert: %s\n", validate::to_text(w).c_str());
      }
    }
    if (ctx.json) {
      ctx.emit(convert::to_json(report));
    } else if (!ctx.quiet && output != "-") {
      std::printf("%s\n", fmt::format("{} ({}{}) -> {} ({}): {} rows, {} values", report.input,
                                      convert::format_name(report.from),
                                      report.from == convert::Format::nasa_ames
                                        ? fmt::format(" FFI {}", report.ffi)
                                        : std::string(),
                                      report.output, convert::format_name(report.to),
                                      report.rows, report.values)
                              .c_str());
    }
    return 0;
  });
}
