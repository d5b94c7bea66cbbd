// SPDX-License-Identifier: Apache-2.0
// hemera-recover: plan and apply the recovery of a legacy DATB or DASB tree.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/cli/progress.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/recover/recover.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

json problems_json(const std::vector<validate::Finding>& list)
{
  json out = json::array();
  for (const auto& f : list) {
    out.push_back(validate::to_json(f));
  }
  return out;
}

json plan_json(const recover::Plan& plan)
{
  json datasets = json::array();
  std::size_t ready = 0;
  std::size_t blocked = 0;
  std::size_t in = 0;
  for (const auto& d : plan.datasets) {
    ready += d.state == recover::State::ready ? 1 : 0;
    blocked += d.state == recover::State::blocked ? 1 : 0;
    in += d.state == recover::State::in_archive ? 1 : 0;
    json files = json::array();
    for (const auto& f : d.files) {
      files.push_back({{"source", f.source},
                       {"name", f.name},
                       {"renamed", f.renamed},
                       {"kind", archive::kind_name(f.kind)},
                       {"size", f.size},
                       {"sha256", f.sha256.empty() ? json(nullptr) : json(f.sha256)},
                       {"verdict", recover::verdict_name(f.verdict)}});
    }
    datasets.push_back({{"legacy_id", d.legacy_id},
                        {"uuid", d.uuid.empty() ? json(nullptr) : json(d.uuid)},
                        {"base", archive::base_name(d.base)},
                        {"collection", d.collection},
                        {"path", d.path.empty() ? json(nullptr) : json(d.path)},
                        {"form", d.form.empty() ? json(nullptr) : json(d.form)},
                        {"state", recover::state_name(d.state)},
                        {"passes", d.state != recover::State::blocked},
                        {"bytes", d.bytes},
                        {"files", files},
                        {"problems", problems_json(d.problems)}});
  }
  return {{"command", "plan"},
          {"source", plan.source},
          {"database", archive::base_name(plan.database)},
          {"namespace", plan.ns},
          {"rules_sha256", plan.rules_sha256},
          {"summary",
           {{"datasets", plan.datasets.size()},
            {"ready", ready},
            {"blocked", blocked},
            {"in_archive", in},
            {"files", plan.files},
            {"bytes", plan.bytes},
            {"ignored", plan.ignored}}},
          {"datasets", datasets},
          {"problems", problems_json(plan.problems)}};
}

std::string csv_field(const std::string& s)
{
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

void print_csv(const recover::Plan& plan)
{
  std::printf("legacy_id,uuid,state,collection,path,source,name,renamed,kind,size,sha256,verdict,problems\n");
  for (const auto& d : plan.datasets) {
    for (const auto& f : d.files) {
      std::string rules;
      for (const auto& p : d.problems) {
        if (p.file == f.source) {
          if (!rules.empty()) {
            rules += ' ';
          }
          rules += fmt::format("{}:{}", validate::severity_name(p.severity), p.rule);
        }
      }
      std::printf("%s\n",
                  fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}", csv_field(d.legacy_id), d.uuid,
                              recover::state_name(d.state), csv_field(d.collection), csv_field(d.path),
                              csv_field(f.source), csv_field(f.name), f.renamed ? "yes" : "no",
                              archive::kind_name(f.kind), f.size, f.sha256,
                              recover::verdict_name(f.verdict), csv_field(rules))
                    .c_str());
    }
  }
}

void print_plan(const recover::Plan& plan, bool quiet)
{
  std::size_t counts[3] = {0, 0, 0};
  std::size_t problems = plan.problems.size();
  for (const auto& d : plan.datasets) {
    ++counts[static_cast<int>(d.state)];
    problems += d.problems.size();
    if (quiet && d.state != recover::State::blocked) {
      continue;
    }
    std::printf("%s %s -> %s [%s] %zu file%s, %llu bytes\n", archive::base_name(d.base),
                d.legacy_id.c_str(), d.path.empty() ? "-" : d.path.c_str(), recover::state_name(d.state),
                d.files.size(), d.files.size() == 1 ? "" : "s", static_cast<unsigned long long>(d.bytes));
    if (!d.form.empty()) {
      std::printf("  form: %s\n", d.form.c_str());
    }
    for (const auto& f : d.files) {
      std::printf("  %s%s%s  %s\n", f.source.c_str(), f.renamed ? " -> " : "",
                  f.renamed ? f.name.c_str() : "", recover::verdict_name(f.verdict));
    }
    for (const auto& p : d.problems) {
      std::printf("  %s\n", validate::to_text(p).c_str());
    }
  }
  for (const auto& p : plan.problems) {
    std::printf("%s\n", validate::to_text(p).c_str());
  }
  std::printf("Plan: %zu datasets (%zu ready, %zu blocked, %zu in the archive), %llu files, %llu "
              "bytes, %llu ignored; %zu problems\n",
              plan.datasets.size(), counts[0], counts[1], counts[2],
              static_cast<unsigned long long>(plan.files), static_cast<unsigned long long>(plan.bytes),
              static_cast<unsigned long long>(plan.ignored), problems);
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-recover",
                 "Bring a legacy DATB or DASB tree into the archive, deterministically and resumably");
  auto& app = tool.app();
  app.require_subcommand(1);
  std::string source;
  std::string database;
  std::string rules_file;
  std::string format = "human";
  std::string on_behalf_of;
  bool only_failed = false;
  unsigned jobs = 0;
  auto* cmd_plan = app.add_subcommand("plan", "Show the datasets the recovery would create, and every problem");
  auto* cmd_apply = app.add_subcommand("apply", "Ingest the planned datasets (privileged, audited)");
  for (auto* cmd : {cmd_plan, cmd_apply}) {
    cmd->add_option("--source", source, "The legacy tree (only read)")->required();
    cmd->add_option("--database", database, "The legacy database: DATB or DASB")
      ->required()
      ->check(CLI::IsMember({"DATB", "DASB"}));
    cmd->add_option("--rules", rules_file, "The rules (YAML) mapping files to datasets")->required();
    cmd->add_option("--jobs", jobs,
                    "plan: threads validating and hashing; apply: datasets ingested at once "
                    "(default: one per CPU; for apply two per CPU, at least 8)");
  }
  cmd_plan->add_option("--format", format, "Output: human or csv (--json for JSON)")
    ->check(CLI::IsMember({"human", "csv"}));
  cmd_apply->add_option("--on-behalf-of", on_behalf_of,
                        "ORCID iD of the person responsible for this recovery (audited)")
    ->required();
  cmd_apply->add_flag("--only-failed", only_failed, "Retry only the datasets whose last attempt failed");
  tool.example("hemera-recover plan --source /legacy/DATB --database DATB --rules recover.yaml --format csv > plan.csv",
               "List the datasets, UUIDs and problems in a spreadsheet; nothing is written.");
  tool.example("hemera-recover apply --source /legacy/DATB --database DATB --rules recover.yaml "
               "--on-behalf-of 0000-0002-1825-0097",
               "Ingest what is ready, skipping what is in; run again after fixing problems.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    auto rules = HEMERA_TRY(recover::load_rules(rules_file));
    recover::PlanRequest pr;
    pr.source = source;
    pr.database = database == "DASB" ? archive::Base::dasb : archive::Base::datb;
    pr.rules = rules_file;
    pr.jobs = jobs;
    pr.validate = cmd_plan->parsed();  // apply validates in the ingestion gate
    auto plan = HEMERA_TRY(recover::make_plan(arch, pr, rules));
    if (cmd_plan->parsed()) {
      bool blocked = false;
      for (const auto& d : plan.datasets) {
        blocked = blocked || d.state == recover::State::blocked;
      }
      for (const auto& p : plan.problems) {
        blocked = blocked || p.severity == validate::Severity::error;
      }
      if (ctx.json) {
        ctx.emit(plan_json(plan));
      } else if (format == "csv") {
        print_csv(plan);
      } else {
        print_plan(plan, ctx.quiet);
      }
      return blocked ? cli::k_exit_findings : cli::k_exit_ok;
    }

    recover::ApplyRequest ar;
    ar.only_failed = only_failed;
    ar.actor = ctx.actor;
    ar.on_behalf_of = on_behalf_of;
    ar.jobs = jobs;
    ar.download_url = ctx.config.get_string("download_url");
    ar.catalogue_url = ctx.config.get_string("catalogue_url");
    cli::Progress progress("datasets", plan.datasets.size(), !ctx.quiet && !ctx.json);
    ar.progress = [&](std::size_t) { progress.advance(1); };
    auto sum = HEMERA_TRY(recover::apply(arch, plan, rules, ar));
    if (ctx.json) {
      json datasets = json::array();
      for (const auto& o : sum.datasets) {
        datasets.push_back({{"legacy_id", o.legacy_id},
                            {"uuid", o.uuid.empty() ? json(nullptr) : json(o.uuid)},
                            {"path", o.path.empty() ? json(nullptr) : json(o.path)},
                            {"status", o.status},
                            {"message", o.message},
                            {"files", o.files},
                            {"bytes", o.bytes}});
      }
      ctx.emit({{"command", "apply"},
                {"created", sum.created},
                {"skipped", sum.skipped},
                {"failed", sum.failed},
                {"bytes", sum.bytes},
                {"datasets", datasets}});
    } else {
      for (const auto& o : sum.datasets) {
        if (o.status == "failed") {
          std::fprintf(stderr, "hemera-recover: %s: failed: %s\n", o.legacy_id.c_str(), o.message.c_str());
        } else if (ctx.verbose > 0 && !ctx.quiet) {
          std::printf("%s %s %s\n", o.status.c_str(), o.legacy_id.c_str(), o.message.c_str());
        }
      }
      if (!ctx.quiet || sum.failed > 0) {
        std::printf("Recovery: %llu created, %llu skipped, %llu failed, %llu bytes\n",
                    static_cast<unsigned long long>(sum.created),
                    static_cast<unsigned long long>(sum.skipped),
                    static_cast<unsigned long long>(sum.failed),
                    static_cast<unsigned long long>(sum.bytes));
      }
    }
    return sum.failed > 0 ? cli::exit_code(Errc::data) : cli::k_exit_ok;
  });
}
