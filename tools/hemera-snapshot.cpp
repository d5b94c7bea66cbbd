// SPDX-License-Identifier: Apache-2.0
// hemera-snapshot: daily, weekly and monthly incremental snapshots of the
// archive and its state; retention, verification and restore.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/snapshot/snapshot.hpp>

using namespace hemera;

namespace {

nlohmann::json problems_json(const std::vector<snapshot::Problem>& problems)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : problems) {
    out.push_back({{"file", p.file}, {"rule", p.rule}, {"message", p.message}});
  }
  return out;
}

void print_problems(const std::vector<snapshot::Problem>& problems)
{
  for (const auto& p : problems) {
    std::fprintf(stderr, "hemera-snapshot: %s: error: %s [%s]\n", p.file.c_str(),
                 p.message.c_str(), p.rule.c_str());
  }
}

Result<int> config_int(const cli::Context& ctx, const std::string& key, int fallback)
{
  const auto* v = ctx.config.find(key);
  if (v == nullptr) {
    return fallback;
  }
  if (!v->is_number_integer() || v->get<long long>() < 0 || v->get<long long>() > 100000) {
    return fail(Errc::config, "expected a non-negative integer", ctx.config.origin(key), key);
  }
  return v->get<int>();
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-snapshot",
                 "Keep daily, weekly and monthly incremental snapshots of the archive");
  auto& app = tool.app();
  app.require_subcommand(1);
  std::string dest;
  app.add_option("--dest", dest, "Snapshot store (default: snapshot.dest, else ./hemera-snapshots)");

  auto* cmd_create = app.add_subcommand("create", "Take a snapshot of the archive and its state");
  std::string cls_text;
  cmd_create->add_option("--class", cls_text, "Force the class: daily, weekly or monthly")
    ->check(CLI::IsMember({"daily", "weekly", "monthly"}));
  auto* cmd_list = app.add_subcommand("list", "List the complete snapshots, oldest first");
  auto* cmd_prune = app.add_subcommand("prune", "Remove snapshots beyond the retention (administrators)");
  bool dry_run = false;
  cmd_prune->add_flag("--dry-run", dry_run, "Show what would be removed, remove nothing");
  auto* cmd_verify = app.add_subcommand("verify", "Hash every file of a snapshot against its manifests");
  std::string name;
  cmd_verify->add_option("NAME", name, "Snapshot name, or \"latest\"")->required();
  unsigned jobs = 0;
  cmd_verify->add_option("--jobs", jobs, "Files hashed in parallel (default: one per CPU)");
  auto* cmd_restore = app.add_subcommand("restore", "Restore a snapshot as a working archive (administrators)");
  cmd_restore->add_option("NAME", name, "Snapshot name, or \"latest\"")->required();
  std::string to;
  cmd_restore->add_option("--to", to, "New directory for the restored archive")->required();

  tool.example("hemera-snapshot create --dest /backup/hemera",
               "Take today's snapshot into the store on the backup disk.");
  tool.example("hemera-snapshot prune", "Keep only what snapshot.keep_* retain.");
  tool.example("hemera-snapshot restore latest --to /srv/hemera-restored",
               "Restore the newest snapshot into a new directory.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    std::filesystem::path store =
      !dest.empty() ? dest : ctx.config.get_string("snapshot.dest", "./hemera-snapshots");
    if (cmd_create->parsed()) {
      auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
      snapshot::CreateOptions options;
      options.store = store;
      options.config_file = ctx.config.file();
      if (!cls_text.empty()) {
        options.cls = snapshot::parse_class(cls_text);
      }
      auto r = HEMERA_TRY(snapshot::create(archive, options));
      if (ctx.json) {
        ctx.emit({{"command", "create"},
                  {"complete", r.complete},
                  {"name", r.complete ? nlohmann::json(r.name.text()) : nlohmann::json(nullptr)},
                  {"class", snapshot::class_name(r.name.cls)},
                  {"time", snapshot::iso8601(r.name.time)},
                  {"path", r.complete ? nlohmann::json(r.path.string()) : nlohmann::json(nullptr)},
                  {"base", r.base.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.base)},
                  {"journal_seq", r.journal_seq},
                  {"files", r.files},
                  {"files_linked", r.files_linked},
                  {"files_copied", r.files_copied},
                  {"bytes", r.bytes},
                  {"bytes_copied", r.bytes_copied},
                  {"seconds", r.seconds},
                  {"problems", problems_json(r.problems)}});
      } else {
        print_problems(r.problems);
        if (r.complete && !ctx.quiet) {
          std::printf("%s: %zu files (%zu linked, %zu copied, %s new bytes)\n",
                      r.path.c_str(), r.files, r.files_linked, r.files_copied,
                      fmt::format("{}", r.bytes_copied).c_str());
        }
      }
      if (!r.complete) {
        if (!ctx.json) {
          std::fprintf(stderr, "hemera-snapshot: no snapshot taken: %zu file(s) fail their manifests\n",
                       r.problems.size());
        }
        return cli::k_exit_findings;
      }
      return 0;
    }
    if (cmd_list->parsed()) {
      auto all = HEMERA_TRY(snapshot::list(store));
      nlohmann::json out = nlohmann::json::array();
      for (const auto& i : all) {
        nlohmann::json item = {{"name", i.name.text()},
                               {"class", snapshot::class_name(i.name.cls)},
                               {"time", snapshot::iso8601(i.name.time)},
                               {"path", i.path.string()}};
        for (const char* k : {"files", "bytes", "bytes_copied", "journal_seq"}) {
          if (i.meta.contains(k) && i.meta[k].is_number_unsigned()) {
            item[k] = i.meta[k];
          }
        }
        out.push_back(item);
        if (!ctx.json) {
          std::printf("%-28s %-8s %8s files %14s bytes %14s new\n", i.name.text().c_str(),
                      snapshot::class_name(i.name.cls),
                      fmt::format("{}", i.meta.value("files", 0ULL)).c_str(),
                      fmt::format("{}", i.meta.value("bytes", 0ULL)).c_str(),
                      fmt::format("{}", i.meta.value("bytes_copied", 0ULL)).c_str());
        }
      }
      if (ctx.json) {
        ctx.emit({{"command", "list"}, {"store", store.string()}, {"snapshots", out}});
      }
      return 0;
    }
    if (cmd_prune->parsed()) {
      auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
      snapshot::Retention keep;
      keep.daily = HEMERA_TRY(config_int(ctx, "snapshot.keep_daily", keep.daily));
      keep.weekly = HEMERA_TRY(config_int(ctx, "snapshot.keep_weekly", keep.weekly));
      keep.monthly = HEMERA_TRY(config_int(ctx, "snapshot.keep_monthly", keep.monthly));
      if (!dry_run) {
        HEMERA_TRY(auth::require(archive, ctx.actor, "snapshot.prune"));
      }
      auto r = HEMERA_TRY(snapshot::prune(store, keep, dry_run));
      if (ctx.json) {
        ctx.emit({{"command", "prune"},
                  {"dry_run", dry_run},
                  {"keep", {{"daily", keep.daily}, {"weekly", keep.weekly}, {"monthly", keep.monthly}}},
                  {"kept", r.kept},
                  {"removed", r.removed},
                  {"partials_removed", r.partials_removed}});
      } else if (!ctx.quiet) {
        for (const auto& n : r.removed) {
          std::printf("%s %s\n", dry_run ? "would remove" : "removed", n.c_str());
        }
        std::printf("%zu kept, %zu %s\n", r.kept.size(), r.removed.size(),
                    dry_run ? "to remove" : "removed");
      }
      return 0;
    }
    if (cmd_verify->parsed()) {
      auto r = HEMERA_TRY(snapshot::verify(store, name, jobs));
      if (ctx.json) {
        ctx.emit({{"command", "verify"},
                  {"name", r.name},
                  {"files", r.files},
                  {"bytes", r.bytes},
                  {"problems", problems_json(r.problems)}});
      } else {
        print_problems(r.problems);
        if (!ctx.quiet && r.problems.empty()) {
          std::printf("%s: %zu files intact\n", r.name.c_str(), r.files);
        }
      }
      return r.problems.empty() ? 0 : cli::k_exit_findings;
    }
    // restore: authorised against the live archive when there is one, else
    // against the roles of the restored copy itself.
    bool live = archive::is_archive(ctx.root);
    name = HEMERA_TRY(snapshot::find(store, name)).name.text();
    if (live) {
      auto archive = HEMERA_TRY(archive::Archive::open(ctx.root));
      HEMERA_TRY(auth::require(archive, ctx.actor, "snapshot.restore"));
    }
    auto r = HEMERA_TRY(snapshot::restore(store, name, to, [&](archive::Archive& restored) -> Result<void> {
      if (live) {
        return auth::audit(restored.layout().audit_log(), ctx.actor.name, "snapshot.restore", {},
                           true, fmt::format("restored from {}", name));
      }
      return auth::require(restored, ctx.actor, "snapshot.restore");
    }));
    if (ctx.json) {
      ctx.emit({{"command", "restore"},
                {"name", r.name},
                {"to", r.to.string()},
                {"complete", r.problems.empty()},
                {"files", r.files},
                {"bytes", r.bytes},
                {"config", r.config},
                {"problems", problems_json(r.problems)}});
    } else {
      print_problems(r.problems);
      if (!ctx.quiet && r.problems.empty()) {
        std::printf("Restored %s into %s (%zu files)%s\n", r.name.c_str(), r.to.c_str(), r.files,
                    r.config ? "; its configuration is in .hemera/restored-config.yaml" : "");
      }
    }
    return r.problems.empty() ? 0 : cli::k_exit_findings;
  });
}
