// SPDX-License-Identifier: Apache-2.0
// hemera-verify: re-hash the archive's files against their manifests and the
// record revisions against the journal, within a time budget, and alert.
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <hemera/alert/alert.hpp>
#include <hemera/archive/journal.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/progress.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/log.hpp>
#include <hemera/replicate/replicate.hpp>
#include <hemera/verify/verify.hpp>

using namespace hemera;

namespace {

void print(const std::string& text)
{
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// What the journal says: each record revision's hash, each payload file's
// size, each dataset's directory.
Result<verify::JournalFacts> read_journal(const archive::Archive& archive)
{
  verify::JournalFacts facts;
  verify::RecordHashes out;
  auto reader = HEMERA_TRY(archive::journal::Reader::open(archive.layout().journal()));
  reader.parse_ahead(std::thread::hardware_concurrency());  // the walk waits for it
  for (;;) {
    auto event = HEMERA_TRY(reader.next());
    if (!event) {
      break;
    }
    if (event->record_revision > 0 && event->record_sha256) {
      out[event->dataset][event->record_revision] = *event->record_sha256;
    }
    if (!event->dataset.empty() && !event->path.empty()) {
      facts.journaled_datasets[event->dataset] = event->path;
    }
    if (event->version > 0) {
      std::string vpath = event->version_path();
      for (const auto& f : event->files) {
        facts.journaled_sizes[vpath + "/" + f.path] = f.size;
      }
    }
  }
  facts.record_hashes = std::move(out);
  return facts;
}

// Acknowledge the open problems (of the given datasets, or all).
Result<int> acknowledge(cli::Context& ctx, archive::Archive& archive,
                        const std::vector<std::string>& datasets, const std::string& site)
{
  std::vector<std::string> matches = datasets.empty() ? std::vector<std::string>{""} : datasets;
  std::vector<std::string> keys;
  for (const auto& m : matches) {
    HEMERA_TRY(auth::require(archive, ctx.actor, "verify.ack", m));
    auto got = HEMERA_TRY(alert::acknowledge(archive.db(), verify::alert_source(site), m,
                                             ctx.actor.name,
                                             static_cast<std::int64_t>(std::time(nullptr))));
    keys.insert(keys.end(), got.begin(), got.end());
    HEMERA_TRY(auth::audit(archive.layout().audit_log(), ctx.actor.name, "verify.ack", m, true,
                           fmt::format("acknowledged {} problem(s): {}", got.size(),
                                       fmt::join(got, ", "))));
  }
  if (ctx.json) {
    ctx.emit({{"acknowledged", keys}, {"actor", ctx.actor.name}});
  } else if (!ctx.quiet) {
    if (keys.empty()) {
      print("No open problem to acknowledge.\n");
    }
    for (const auto& k : keys) {
      print(fmt::format("acknowledged {}\n", k));
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-verify",
                 "Check the archive's files against their manifests and alert on damage");
  auto& app = tool.app();
  std::vector<std::string> datasets;
  std::string collection;
  std::string budget_text;
  unsigned jobs = 0;
  std::size_t max_files = 0;
  bool ack = false;
  bool no_alert = false;
  app.add_option("--dataset", datasets, "Verify only this dataset (UUID; repeatable)");
  app.add_option("--collection", collection,
                 "Verify only the datasets of this collection (campaign/instrument)");
  app.add_option("--budget", budget_text,
                 "Stop starting new files after this long (45s, 90m, 2h); oldest-verified first");
  app.add_option("--jobs", jobs, "Files hashed in parallel (default: one per CPU)")
    ->check(CLI::Range(1U, 256U));
  auto* max_files_opt = app.add_option("--max-files", max_files,
                                       "Stop after starting this many files (a budget in files)");
  app.add_flag("--ack", ack,
               "Acknowledge the open problems (of --dataset, or all) so they are not re-sent; "
               "privileged and audited");
  app.add_flag("--no-alert", no_alert, "Do not send alerts for this run");
  std::string target;
  app.add_option("--target", target,
                 "Verify the copy at this replication target instead of the local archive");
  std::string state_dir;
  app.add_option("--state", state_dir,
                 "With --root on a replicated copy (a tree without .hemera/, at the remote site): "
                 "keep its verification times and alert ledger in this folder "
                 "(default: ~/.local/state/hemera/copies/<hash of the path>)");
  unsigned reread_share = 10;
  app.add_option("--reread-share", reread_share,
                 "With --target on S3: percent of the objects read back in full each run, "
                 "oldest re-read first (default 10; the others by their stored checksums)")
    ->check(CLI::Range(0U, 100U));

  tool.example("hemera-verify -q --budget 2h",
               "Nightly cron run: verify for two hours, oldest-verified files first; silent when "
               "all is well.");
  tool.example("hemera-verify --dataset 0f8fad5b-d9cb-469f-a165-70867728950e --json",
               "Verify one dataset completely and print the report as JSON.");
  tool.example("hemera-verify --target objects --budget 1h --reread-share 5",
               "Check an S3 copy by its stored checksums and read 5% of the objects back in "
               "full, oldest re-read first.");
  tool.example("hemera-verify --root /srv/replica/hemera -q --budget 1h",
               "At the remote site: check the replicated copy against its own manifests (the "
               "copy is only read; its state is kept under ~/.local/state/hemera).");
  tool.example("sudo hemera-verify --ack", "Acknowledge the open problems after a human looked at them.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    // A tree without .hemera/ that hemera-replicate made: checked against
    // its replicated manifests, with its state kept elsewhere.
    auto archive = HEMERA_TRY(archive::open_archive_or_copy(ctx.root, state_dir));
    const bool copy = archive.layout().is_copy();
    if (copy && !target.empty()) {
      return fail(Errc::usage, "--target needs the archive itself, not a replicated copy", ctx.root.string(),
                  "--target");
    }
    if (ack) {
      return acknowledge(ctx, archive, datasets, target.empty() ? "local" : "target:" + target);
    }
    verify::Options opts;
    opts.datasets = datasets;
    opts.collection = collection;
    opts.jobs = jobs;
    opts.reread_share = reread_share;
    if (max_files_opt->count() > 0) {
      opts.max_files = max_files;
    }
    if (!budget_text.empty()) {
      auto b = config::parse_duration(budget_text);
      if (!b) {
        return fail(Errc::usage, b.error().message, {}, "--budget");
      }
      opts.budget = *b;
    }
    auto period = config::parse_duration(ctx.config.get_string("verification.period", "30d"));
    if (!period) {
      return fail(Errc::config, period.error().message, ctx.config.origin("verification.period"),
                  "verification.period");
    }
    opts.period = *period;
    auto settings = HEMERA_TRY(alert::settings_from(ctx.config));
    if (copy) {
      // No journal and no commits at a copy: the files are checked against
      // the replicated manifests (the records, journaled at the archive,
      // by hemera-verify --target there).
      opts.site = "copy";
    } else {
      // Complete any commit interrupted by a crash before looking at the tree.
      if (auto done = archive::complete_interrupted(archive); !done) {
        log::warn("cannot complete interrupted commits: {}", done.error().to_string());
      }
      // Read on another thread by verify::run, while it reads the tree.
      opts.load_journal = [&archive] { return read_journal(archive); };
      opts.refresh_journal = [&archive]() -> Result<verify::RecordHashes> {
        auto fresh = HEMERA_TRY(read_journal(archive));
        return std::move(*fresh.record_hashes);
      };
    }
    bool lock_warned = false;
    opts.lock_dataset = [&archive, &lock_warned, copy](const std::string& uuid) -> Result<util::FileLock> {
      if (copy) {
        return util::FileLock();
      }
      auto lock = archive::lock_dataset(archive, uuid, true);
      if (!lock && lock.error().code == Errc::no_perm) {
        // A read-only verifier: check without excluding commits in progress.
        if (!lock_warned) {
          log::warn("cannot take dataset locks ({}); a commit in progress may be reported",
                    lock.error().to_string());
          lock_warned = true;
        }
        return util::FileLock();
      }
      return lock;
    };

    std::unique_ptr<cli::Progress> bar;
    if (!ctx.quiet && !ctx.json) {
      // The total is not known before the inventory; the bar starts on the first file.
      opts.progress = [&bar](std::uint64_t done, std::uint64_t total) {
        static std::mutex m;
        static std::uint64_t last = 0;
        std::lock_guard<std::mutex> lock(m);
        if (!bar) {
          bar = std::make_unique<cli::Progress>("verify", total, true);
        }
        if (done > last) {
          bar->advance(done - last);
          last = done;
        }
      };
    }
    auto report = target.empty() ? HEMERA_TRY(verify::run(archive, opts))
                                 : HEMERA_TRY(replicate::verify_target(archive, ctx.config, target, opts));
    bar.reset();
    int code = report.exit_code();

    // The alert ledger: announce new problems once (or on every run with
    // alerts.repeat), never a problem a human acknowledged.
    std::vector<alert::Problem> current;
    for (const auto& p : report.problems) {
      current.push_back({p.key(), verify::to_text(p)});
    }
    auto decision = HEMERA_TRY(alert::reconcile(archive.db(), verify::alert_source(report.site),
                                                current, settings.repeat, report.started_at,
                                                settings.repeat_after));
    nlohmann::json doc = verify::to_json(report);
    doc["root"] = archive.layout().root.string();
    doc["copy"] = copy;
    nlohmann::json alert_doc = {{"due", decision.send},
                                {"new", decision.fresh},
                                {"acknowledged", decision.acked},
                                {"resolved", decision.resolved},
                                {"reminded", decision.reminded},
                                {"channels", nlohmann::json::array()}};
    if (decision.send && settings.any() && !no_alert) {
      alert::Message msg;
      std::size_t failures = report.failures();
      msg.subject = failures > 0
                      ? fmt::format("[hemera] verify {}: {} problem{} in {}", report.site, failures,
                                    failures == 1 ? "" : "s", archive.layout().root.string())
                      : fmt::format("[hemera] verify {}: files unverified for longer than {} days",
                                    report.site, report.period / 86400);
      msg.text = fmt::format("hemera-verify on {}\n\n{}\nNew since the last alert: {}\n",
                             archive.layout().root.string(), verify::summary_text(report),
                             decision.fresh.empty() ? std::string("none")
                                                    : fmt::format("{}", fmt::join(decision.fresh, ", ")));
      if (!decision.reminded.empty()) {
        msg.text += fmt::format("Still unresolved (reminder after alerts.repeat_after): {}\n",
                                fmt::join(decision.reminded, ", "));
      }
      nlohmann::json summary = doc;
      summary["schema"] = ctx.schema();
      summary["alert"] = alert_doc;
      msg.summary = summary;
      auto deliveries = alert::send(settings, msg);
      bool any_ok = false;
      for (const auto& d : deliveries) {
        any_ok = any_ok || d.ok;
        alert_doc["channels"].push_back(
          {{"channel", d.channel}, {"ok", d.ok},
           {"error", d.error ? d.error->to_string() : std::string()}});
      }
      if (any_ok) {
        HEMERA_TRY(alert::mark_sent(archive.db(), verify::alert_source(report.site),
                                    report.started_at));
      }
      if (!any_ok && code == 0) {
        code = 75;  // the alert is still owed: let cron see it
      }
    }
    doc["alert"] = alert_doc;
    doc["exit_code"] = code;

    if (ctx.json) {
      ctx.emit(doc);
    } else {
      for (const auto& p : report.problems) {
        print(verify::to_text(p) + "\n");
      }
      if (!ctx.quiet) {
        print(verify::summary_text(report, false));
      }
    }
    return code;
  });
}
