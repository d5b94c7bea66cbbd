// SPDX-License-Identifier: Apache-2.0
// hemera-replicate: copy every journal event a target has not acknowledged to
// that target, verified on arrival, then acknowledge it.
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <hemera/alert/alert.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/progress.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/replicate/replicate.hpp>

using namespace hemera;

namespace {

// Parse "10M", "512k", "2G" or a plain number of bytes per second.
Result<std::uint64_t> parse_rate(const std::string& text)
{
  if (text.empty()) {
    return std::uint64_t{0};
  }
  std::size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(text, &pos);
  } catch (...) {
    return fail(Errc::usage, "--bwlimit: not a rate: " + text);
  }
  std::string unit = text.substr(pos);
  double mult = 1;
  if (unit == "k" || unit == "K") {
    mult = 1024;
  } else if (unit == "m" || unit == "M") {
    mult = 1024.0 * 1024;
  } else if (unit == "g" || unit == "G") {
    mult = 1024.0 * 1024 * 1024;
  } else if (!unit.empty()) {
    return fail(Errc::usage, "--bwlimit: unknown unit in " + text);
  }
  if (v <= 0) {
    return fail(Errc::usage, "--bwlimit must be positive");
  }
  return static_cast<std::uint64_t>(v * mult);
}

// Send one alert for the targets that lag or keep failing.
void alert_if_due(cli::Context& ctx, archive::Archive& archive, const std::vector<replicate::Report>& reports,
                  nlohmann::json& doc)
{
  auto settings = alert::settings_from(ctx.config);
  if (!settings || !settings->any()) {
    return;
  }
  auto lag = config::parse_duration(ctx.config.get_string("replication.max_lag", "24h"));
  long max_failed = 3;
  if (const auto* m = ctx.config.find("replication.max_failed_runs"); m != nullptr && m->is_number_integer()) {
    max_failed = m->get<long>();
  }
  std::vector<alert::Problem> current;
  std::string text;
  std::time_t now = std::time(nullptr);
  for (const auto& r : reports) {
    if (lag && !r.oldest_pending_time.empty() && (r.error || !r.problems.empty() || r.events_replicated < r.events_pending)) {
      std::tm tm{};
      if (strptime(r.oldest_pending_time.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr) {
        auto age = now - timegm(&tm);
        if (age > lag->count()) {
          current.push_back({"lag:" + r.target, fmt::format("target {}: oldest unreplicated event is {} s old", r.target, age)});
        }
      }
    }
    auto runs = archive.db().query("SELECT ok FROM replication_runs WHERE target = ? ORDER BY rowid DESC LIMIT ?",
                                   {r.target, static_cast<std::int64_t>(max_failed)});
    if (runs && static_cast<long>(runs->size()) == max_failed) {
      bool all_failed = true;
      for (const auto& row : *runs) {
        all_failed = all_failed && row[0].integer == 0;
      }
      if (all_failed) {
        current.push_back({"failing:" + r.target, fmt::format("target {}: the last {} runs failed", r.target, max_failed)});
      }
    }
    for (const auto& p : r.problems) {
      current.push_back({p.problem + ":" + r.target + ":" + p.file, p.file + ": " + p.message});
    }
  }
  auto decision = alert::reconcile(archive.db(), "replicate", current, settings->repeat, now,
                                         settings->repeat_after);
  if (!decision || !decision->send) {
    return;
  }
  alert::Message msg;
  msg.subject = fmt::format("[hemera] replicate: {} problem{} in {}", current.size(), current.size() == 1 ? "" : "s",
                            archive.layout().root.string());
  for (const auto& p : current) {
    text += p.text + "\n";
  }
  msg.text = "hemera-replicate on " + archive.layout().root.string() + "\n\n" + text;
  msg.summary = doc;
  msg.summary["schema"] = ctx.schema();
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : current) {
    problems.push_back({{"key", p.key}, {"text", p.text}});
  }
  msg.summary["alert"] = {{"sent", true},
                          {"channels", nlohmann::json::array()},
                          {"problems", problems},
                          {"new", decision->fresh},
                          {"reminded", decision->reminded}};
  nlohmann::json channels = nlohmann::json::array();
  bool any_ok = false;
  for (const auto& d : alert::send(*settings, msg)) {
    any_ok = any_ok || d.ok;
    channels.push_back({{"channel", d.channel}, {"ok", d.ok}});
  }
  if (any_ok) {
    (void)alert::mark_sent(archive.db(), "replicate", now);
  }
  doc["alert"] = {{"sent", any_ok}, {"channels", channels}, {"problems", problems}, {"new", decision->fresh},
                  {"reminded", decision->reminded}};
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-replicate", "Copy new archive content to the replication targets, verified on arrival");
  tool.example("hemera-replicate", "Replicate every pending journal event to every configured target.");
  tool.example("hemera-replicate --target sedoo --jobs 8 --bwlimit 20M",
               "Replicate to one target with 8 connections, 20 MiB/s in total.");
  std::vector<std::string> targets;
  bool full = false;
  bool dry_run = false;
  unsigned jobs = 4;
  std::string bwlimit;
  std::string deadline = "1h";
  bool no_alert = false;
  auto& app = tool.app();
  app.add_option("--target", targets, "Replicate to this target only (repeatable; default: all)");
  app.add_flag("--full", full,
               "Re-check the whole archive against the remote and fix the remote (privileged, audited)");
  app.add_flag("--dry-run", dry_run, "Show what would be sent; open no connection");
  app.add_option("--jobs", jobs, "Parallel transfers per target (default 4)")->check(CLI::Range(1, 64));
  app.add_option("--bwlimit", bwlimit, "Total bandwidth limit, bytes per second (k, M, G suffixes)");
  app.add_option("--deadline", deadline, "Stop retrying transient failures after this long (default 1h)");
  app.add_flag("--no-alert", no_alert, "Do not send alerts for this run");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
    replicate::Options opts;
    opts.full = full;
    opts.dry_run = dry_run;
    opts.jobs = jobs;
    opts.bwlimit = HEMERA_TRY(parse_rate(bwlimit));
    auto dl = config::parse_duration(deadline);
    if (!dl) {
      return fail(Errc::usage, "--deadline: " + dl.error().message);
    }
    opts.deadline = *dl;
    if (full) {
      HEMERA_TRY(auth::require(archive, ctx.actor, "replicate.full", ""));
    }
    if (targets.empty()) {
      targets = replicate::target_names(ctx.config);
    }
    if (targets.empty()) {
      return fail(Errc::config, "no replication target is configured (targets:)");
    }
    std::unique_ptr<cli::Progress> bar;
    std::mutex bar_mutex;
    std::uint64_t last = 0;
    if (!ctx.quiet && !ctx.json) {
      opts.progress = [&](std::uint64_t done, std::uint64_t total) {
        std::lock_guard<std::mutex> lock(bar_mutex);
        if (!bar) {
          bar = std::make_unique<cli::Progress>("replicate", total, true);
          last = 0;
        }
        if (done > last) {
          bar->advance(done - last);
          last = done;
        }
      };
    }
    std::vector<replicate::Report> reports;
    std::optional<Error> first_error;
    for (const auto& name : targets) {
      auto cfg = replicate::target_config(ctx.config, name);
      if (!cfg) {
        replicate::Report r;
        r.target = name;
        r.error = cfg.error();
        reports.push_back(r);
        first_error = first_error ? first_error : cfg.error();
        continue;
      }
      auto r = HEMERA_TRY(replicate::replicate(archive, *cfg, opts));
      bar.reset();
      if (r.error && !first_error) {
        first_error = r.error;
      }
      reports.push_back(std::move(r));
    }
    int code = 0;
    for (const auto& r : reports) {
      if (!r.problems.empty()) {
        code = 1;
      }
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& r : reports) {
      list.push_back(r.to_json());
    }
    nlohmann::json doc = {{"root", archive.layout().root.string()}, {"dry_run", dry_run}, {"full", full},
                          {"targets", list}};
    if (first_error) {
      code = cli::exit_code(first_error->code);
    }
    doc["exit_code"] = code;
    if (!no_alert && !dry_run) {
      alert_if_due(ctx, archive, reports, doc);
    }
    if (ctx.json) {
      ctx.emit(doc);
    } else {
      for (const auto& r : reports) {
        for (const auto& p : r.problems) {
          std::fprintf(stdout, "%s: %s: %s: %s\n", r.target.c_str(), p.file.c_str(), p.problem.c_str(),
                       p.message.c_str());
        }
        if (r.error) {
          std::fprintf(stderr, "hemera-replicate: %s: %s\n", r.target.c_str(), r.error->to_string().c_str());
        }
        if (!ctx.quiet) {
          std::fprintf(stdout, "%s: %s%llu of %llu pending events replicated, %llu files (%llu bytes) sent, "
                               "%llu skipped, %llu checked, %llu temporary files removed (%.2f s)\n",
                       r.target.c_str(), r.dry_run ? "dry run: " : "",
                       static_cast<unsigned long long>(r.events_replicated),
                       static_cast<unsigned long long>(r.events_pending),
                       static_cast<unsigned long long>(r.files_uploaded),
                       static_cast<unsigned long long>(r.bytes_uploaded),
                       static_cast<unsigned long long>(r.files_skipped),
                       static_cast<unsigned long long>(r.files_checked),
                       static_cast<unsigned long long>(r.temps_removed), r.seconds);
        }
      }
    }
    if (first_error && !ctx.json) {
      // Already printed per target; return the exit code without a second message.
      return code;
    }
    return code;
  });
}
