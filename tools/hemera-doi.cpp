// SPDX-License-Identifier: Apache-2.0
// hemera-doi: DataCite DOIs <prefix>/<uuid> for datasets: check, create
// (draft or findable), publish, update, hide, show.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/doi/doi.hpp>
#include <hemera/uuid.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

json checks_json(const std::vector<metadata::Check>& checks)
{
  json out = json::array();
  for (const auto& c : checks) {
    out.push_back({{"rule", c.rule}, {"path", c.path}, {"message", c.message}});
  }
  return out;
}

void print_missing(const doi::Readiness& r, bool quiet)
{
  for (const auto& c : r.missing) {
    std::fprintf(stderr, "%s: missing: %s [%s] at %s\n", r.uuid.c_str(), c.message.c_str(), c.rule.c_str(),
                 c.path.c_str());
  }
  if (!quiet) {
    for (const auto& c : r.warnings) {
      std::fprintf(stderr, "%s: warning: %s [%s] at %s\n", r.uuid.c_str(), c.message.c_str(), c.rule.c_str(),
                   c.path.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-doi", "Mint, publish, update and hide the DataCite DOIs of datasets");
  auto& app = tool.app();
  app.require_subcommand(1);
  bool dry_run = false;
  app.add_flag("-n,--dry-run", dry_run, "Print the exact request body (JSON) and send nothing");

  std::string id;
  auto* cmd_check = app.add_subcommand("check", "List what a dataset lacks for a DOI (exit 1 if anything)");
  cmd_check->add_option("UUID", id, "The dataset")->required();
  bool draft = false;
  auto* cmd_create = app.add_subcommand("create", "Create the DOI: findable at once, or a draft with --draft");
  cmd_create->add_option("UUID", id, "The dataset")->required();
  cmd_create->add_flag("--draft", draft, "Reserve the DOI as a DataCite draft (not resolvable, not public)");
  auto* cmd_publish = app.add_subcommand("publish", "Make the DOI findable (from draft or hidden)");
  cmd_publish->add_option("UUID", id, "The dataset")->required();
  auto* cmd_update = app.add_subcommand("update", "Send the current metadata and landing page (state unchanged)");
  cmd_update->add_option("UUID", id, "The dataset")->required();
  auto* cmd_hide = app.add_subcommand("hide", "Hide a findable DOI (registered: it still resolves)");
  cmd_hide->add_option("UUID", id, "The dataset")->required();
  auto* cmd_show = app.add_subcommand("show", "Show the DOI as DataCite has it");
  cmd_show->add_option("UUID", id, "The dataset")->required();

  tool.example("hemera-doi check 0f8fad5b-d9cb-469f-a165-70867728950e",
               "List what the record still lacks for a DOI.");
  tool.example("hemera-doi create --draft 0f8fad5b-d9cb-469f-a165-70867728950e",
               "Reserve the DOI <doi.prefix>/<uuid> as a draft, citable before publication.");
  tool.example("hemera-doi --dry-run publish 0f8fad5b-d9cb-469f-a165-70867728950e",
               "Print the request body that would make the DOI findable.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (auto u = uuid::check_rfc4122(id); !u) {
      return fail(Errc::usage, u.error().message, {}, "UUID");
    }
    bool network = !cmd_check->parsed() && !dry_run;
    bool changes = !cmd_check->parsed() && !cmd_show->parsed();
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    if (changes && !dry_run) {
      HEMERA_TRY(auth::require(arch, ctx.actor, doi::k_action, id));
    }
    auto settings = HEMERA_TRY(doi::load_settings(ctx.config, network));
    auto ready = HEMERA_TRY(doi::check(arch, ctx.config, settings, id));
    const std::string uuid = ready.uuid;
    const std::string name = ready.doi;

    if (cmd_check->parsed()) {
      if (ctx.json) {
        ctx.emit({{"command", "check"},
                  {"uuid", uuid},
                  {"doi", name},
                  {"landing_page", ready.landing_page},
                  {"ready", ready.ready()},
                  {"missing", checks_json(ready.missing)},
                  {"warnings", checks_json(ready.warnings)}});
      } else {
        print_missing(ready, ctx.quiet);
        if (!ctx.quiet) {
          std::printf("%s: %s\n", name.c_str(),
                      ready.ready() ? "ready for a DOI"
                                    : fmt::format("not ready ({} missing)", ready.missing.size()).c_str());
        }
      }
      return ready.ready() ? 0 : cli::k_exit_findings;
    }

    const char* command = cmd_create->parsed()    ? "create"
                          : cmd_publish->parsed() ? "publish"
                          : cmd_update->parsed()  ? "update"
                          : cmd_hide->parsed()    ? "hide"
                                                  : "show";
    // A draft needs only the DOI string; registration needs the whole minimum.
    bool gate = (cmd_create->parsed() && !draft) || cmd_publish->parsed() || cmd_update->parsed();
    if (std::any_of(ready.missing.begin(), ready.missing.end(),
                    [](const metadata::Check& c) { return c.rule == "doi.identifier"; })) {
      gate = true;  // the record carries another DOI
    }
    if (gate && changes && !ready.ready()) {
      print_missing(ready, true);
      return fail(Errc::data,
                  fmt::format("{} is not ready for a DOI: {} missing (hemera-doi check {})", uuid,
                              ready.missing.size(), uuid),
                  {}, ready.missing.front().path, ready.missing.front().rule);
    }

    doi::Request request;
    if (cmd_show->parsed()) {
      request.method = "GET";
      request.url = settings.api_url + "/dois/" + name;
    } else if (cmd_hide->parsed()) {
      request = doi::build_request(settings, name, {}, {}, doi::Event::hide);
    } else {
      std::string xml = HEMERA_TRY(doi::datacite_xml(ctx.root, ctx.config, uuid));
      doi::Event event = cmd_update->parsed() || (cmd_create->parsed() && draft) ? doi::Event::none
                                                                                : doi::Event::publish;
      request = doi::build_request(settings, name, doi::landing_page(settings, uuid), xml, event);
    }

    if (dry_run) {
      if (ctx.json) {
        ctx.emit({{"command", command},
                  {"uuid", uuid},
                  {"doi", name},
                  {"dry_run", true},
                  {"method", request.method},
                  {"url", request.url},
                  {"body", request.body.empty() ? json(nullptr) : json::parse(request.body)}});
      } else {
        if (!ctx.quiet) {
          std::fprintf(stderr, "hemera-doi: dry run: %s %s (not sent)\n", request.method.c_str(),
                       request.url.c_str());
        }
        std::printf("%s\n", request.body.c_str());
      }
      return 0;
    }

    std::string password = HEMERA_TRY(doi::read_password(settings));
    std::vector<doi::ApiError> api_errors;
    auto report_api_errors = [&](Error e) -> Result<int> {
      for (const auto& a : api_errors) {
        std::fprintf(stderr, "hemera-doi: DataCite: %s%s%s\n", a.source.c_str(), a.source.empty() ? "" : ": ",
                     a.title.c_str());
      }
      if (changes) {
        (void)auth::audit(arch.layout().audit_log(), ctx.actor.name, doi::k_action, uuid, false,
                          fmt::format("{} {} failed: {}", command, name, e.message));
      }
      return tl::unexpected(e);
    };

    if (cmd_update->parsed() || cmd_hide->parsed()) {
      // Neither may create a DOI: it must exist at DataCite already.
      auto before = doi::fetch(settings, password, name, &api_errors);
      if (!before) {
        Error e = before.error();
        if (e.code == Errc::no_input) {
          e.message = fmt::format("{} does not exist at DataCite yet: create it first (hemera-doi create {})", name,
                                  uuid);
        }
        return report_api_errors(e);
      }
      if (cmd_hide->parsed() && before->state == "draft") {
        return report_api_errors(Error{Errc::data,
                                       fmt::format("{} is a draft: a draft is not public and cannot be hidden", name),
                                       {}, {}, "doi.state"});
      }
      if (cmd_hide->parsed() && before->state == "registered") {
        HEMERA_TRY(doi::remember(arch, uuid, *before, ctx.actor));
        if (ctx.json) {
          ctx.emit({{"command", command}, {"uuid", uuid}, {"doi", name}, {"dry_run", false},
                    {"state", before->state}, {"url", before->url}, {"changed", false},
                    {"revision", nullptr}, {"attempts", before->attempts}});
        } else if (!ctx.quiet) {
          std::printf("%s: already hidden (registered)\n", name.c_str());
        }
        return 0;
      }
    }

    auto got = doi::send(settings, password, request, &api_errors);
    if (!got) {
      return report_api_errors(got.error());
    }
    doi::Remote remote = *got;
    if (remote.doi.empty()) {
      remote.doi = name;
    }
    if (cmd_show->parsed()) {
      auto local = HEMERA_TRY(doi::known(arch, uuid));
      if (ctx.json) {
        ctx.emit({{"command", command},
                  {"uuid", uuid},
                  {"doi", name},
                  {"dry_run", false},
                  {"state", remote.state},
                  {"url", remote.url},
                  {"created", remote.created},
                  {"updated", remote.updated},
                  {"local_state", local ? json(local->state) : json(nullptr)},
                  {"attempts", remote.attempts}});
      } else {
        std::printf("doi: %s\nstate: %s\nurl: %s\n", name.c_str(), remote.state.c_str(), remote.url.c_str());
        if (!remote.created.empty()) {
          std::printf("created: %s\n", remote.created.c_str());
        }
        if (!remote.updated.empty()) {
          std::printf("updated: %s\n", remote.updated.c_str());
        }
        if (local) {
          std::printf("last change here: %s by %s (%s)\n", local->updated_at.c_str(), local->updated_by.c_str(),
                      local->state.c_str());
        }
      }
      return 0;
    }

    HEMERA_TRY(doi::remember(arch, uuid, remote, ctx.actor));
    std::optional<int> revision;
    if (remote.state == "findable" || remote.state == "registered") {
      revision = HEMERA_TRY(doi::record_doi(arch, ctx.config, uuid, name, ctx.actor));
    }
    HEMERA_TRY(auth::audit(arch.layout().audit_log(), ctx.actor.name, doi::k_action, uuid, true,
                           fmt::format("{} {}: state {}", command, name, remote.state)));
    if (ctx.json) {
      ctx.emit({{"command", command},
                {"uuid", uuid},
                {"doi", name},
                {"dry_run", false},
                {"state", remote.state},
                {"url", remote.url},
                {"changed", true},
                {"revision", revision ? json(*revision) : json(nullptr)},
                {"attempts", remote.attempts}});
    } else if (!ctx.quiet) {
      std::printf("%s: %s (%s)%s\n", name.c_str(), remote.state.c_str(), remote.url.c_str(),
                  revision ? fmt::format("; record revision {} lists the DOI", *revision).c_str() : "");
    }
    return 0;
  });
}
