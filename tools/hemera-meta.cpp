// SPDX-License-Identifier: Apache-2.0
// hemera-meta: show, check and edit dataset records; every change a new
// immutable revision, journaled and audited.
#include <cstdio>
#include <cstdlib>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <hemera/archive/root.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/gate/extract.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

json check_json(const metadata::Check& c, const std::string& file)
{
  return {{"file", file},
          {"format", "record"},
          {"severity", metadata::level_name(c.level)},
          {"rule", c.rule},
          {"location", {{"path", c.path}}},
          {"message", c.message}};
}

json profile_json(const metadata::ProfileReport& r, const std::string& file)
{
  json findings = json::array();
  for (const auto& c : r.checks) {
    findings.push_back(check_json(c, file));
  }
  return {{"schema_valid", r.schema_valid},
          {"publishable", r.publishable},
          {"doi_ready", r.doi_ready},
          {"errors", r.errors()},
          {"warnings", r.warnings()},
          {"findings", findings}};
}

void print_checks(const metadata::ProfileReport& r, const std::string& file)
{
  for (const auto& c : r.checks) {
    std::fprintf(stderr, "%s: %s: %s [%s] at %s\n", file.c_str(), metadata::level_name(c.level),
                 c.message.c_str(), c.rule.c_str(), c.path.c_str());
  }
}

// Emit `j` as YAML, every string double-quoted (so that dates, ORCID iDs and
// version numbers stay strings when read back).
void emit_yaml(YAML::Emitter& out, const json& j)
{
  switch (j.type()) {
  case json::value_t::object:
    out << YAML::BeginMap;
    for (const auto& [k, v] : j.items()) {
      out << YAML::Key << YAML::DoubleQuoted << k << YAML::Value;
      emit_yaml(out, v);
    }
    out << YAML::EndMap;
    break;
  case json::value_t::array:
    out << YAML::BeginSeq;
    for (const auto& v : j) {
      emit_yaml(out, v);
    }
    out << YAML::EndSeq;
    break;
  case json::value_t::string: out << YAML::DoubleQuoted << j.get<std::string>(); break;
  case json::value_t::boolean: out << (j.get<bool>() ? "true" : "false"); break;
  case json::value_t::null: out << YAML::Null; break;
  default: out << j.dump(); break;
  }
}

std::string to_yaml(const json& j)
{
  YAML::Emitter out;
  out.SetIndent(2);
  emit_yaml(out, j);
  return std::string(out.c_str()) + "\n";
}

// Run the editor on `file` without a shell: $VISUAL or $EDITOR, split on
// spaces ("code --wait"), else vi.
Result<void> run_editor(const std::string& file)
{
  const char* env = std::getenv("VISUAL");
  if (env == nullptr || *env == '\0') {
    env = std::getenv("EDITOR");
  }
  std::string cmd = env != nullptr && *env != '\0' ? env : "vi";
  std::vector<std::string> words;
  std::size_t pos = 0;
  while (pos < cmd.size()) {
    auto start = cmd.find_first_not_of(' ', pos);
    if (start == std::string::npos) {
      break;
    }
    auto end = cmd.find(' ', start);
    words.push_back(cmd.substr(start, end == std::string::npos ? std::string::npos : end - start));
    pos = end == std::string::npos ? cmd.size() : end;
  }
  words.push_back(file);
  std::vector<char*> argv;
  for (auto& w : words) {
    argv.push_back(w.data());
  }
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) {
    return tl::unexpected(errno_error(errno, "cannot start the editor", file));
  }
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "hemera-meta: cannot run the editor '%s'\n", argv[0]);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return tl::unexpected(errno_error(errno, "cannot wait for the editor", file));
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(Errc::usage, fmt::format("the editor '{}' failed; nothing was saved", words.front()));
  }
  return {};
}

Result<archive::DatasetInfo> dataset_of(archive::Archive& arch, const std::string& id)
{
  if (auto u = uuid::check_rfc4122(id); !u) {
    return fail(Errc::usage, u.error().message, {}, "UUID");
  }
  auto found = HEMERA_TRY(archive::find_dataset(arch, id));
  if (!found) {
    return fail(Errc::no_input, fmt::format("no dataset {} in the archive", id));
  }
  return *found;
}

std::string collection_of(const std::string& path)
{
  auto slash = path.find('/');
  auto last = path.rfind('/');
  return slash < last ? path.substr(slash + 1, last - slash - 1) : "";
}

json history_json(const std::vector<catalog::RevisionInfo>& h)
{
  json list = json::array();
  for (const auto& r : h) {
    list.push_back({{"revision", r.revision},
                    {"file", r.file},
                    {"sha256", r.sha256},
                    {"time", r.time},
                    {"actor", r.actor},
                    {"event", r.kind},
                    {"journal_seq", r.seq},
                    {"journal_sha256", r.journal_sha256.empty() ? json(nullptr) : json(r.journal_sha256)},
                    {"verified", !r.journal_sha256.empty() && r.journal_sha256 == r.sha256}});
  }
  return list;
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-meta", "Show, check and edit dataset records (the metadata catalogue)");
  auto& app = tool.app();
  app.require_subcommand(1);

  std::string id;
  int revision = 0;
  auto* cmd_show = app.add_subcommand("show", "Print a dataset's record (current or a past revision)");
  cmd_show->add_option("UUID", id, "The dataset")->required();
  cmd_show->add_option("--revision", revision, "Show this revision (metadata/NNNN.json)")
    ->check(CLI::PositiveNumber);
  bool as_yaml = false;
  cmd_show->add_flag("--yaml", as_yaml, "Print the record as YAML instead of a summary");

  std::string target;
  std::string collection;
  auto* cmd_validate = app.add_subcommand(
    "validate", "Check a record against the schema and the publishability profile (exit 1 on errors)");
  cmd_validate->add_option("UUID|FILE", target, "A dataset, or a record file (JSON or YAML)")->required();
  cmd_validate->add_option("--collection", collection,
                           "For a file: take the defaults of this collection");

  std::vector<std::string> assignments;
  std::vector<std::string> removals;
  auto* cmd_set = app.add_subcommand("set", "Change fields of a record (a new revision)");
  cmd_set->add_option("UUID", id, "The dataset")->required();
  cmd_set->add_option("PATH=VALUE", assignments,
                      "Field path and value: resourceTitle.en=\"…\", contacts[0].orcId=…, "
                      "keywords[]='{\"concept\":\"ozone\"}' (JSON when it parses, else text)");
  cmd_set->add_option("--remove", removals, "Remove the field at this path (repeatable)");

  auto* cmd_edit = app.add_subcommand("edit", "Edit a record as YAML in $VISUAL or $EDITOR (a new revision)");
  cmd_edit->add_option("UUID", id, "The dataset")->required();

  auto* cmd_history = app.add_subcommand("history", "List a record's revisions with their journal events");
  cmd_history->add_option("UUID", id, "The dataset")->required();

  std::vector<std::string> extract_files;
  auto* cmd_extract = app.add_subcommand(
    "extract", "Print what the headers of NASA Ames and FITS files say, as a partial record");
  cmd_extract->add_option("FILE", extract_files, "NASA Ames (.na…) or FITS (.fits…) files")->required();

  tool.example("hemera-meta show 0f8fad5b-d9cb-469f-a165-70867728950e", "Summarise the current record.");
  tool.example("hemera-meta validate 0f8fad5b-d9cb-469f-a165-70867728950e",
               "List what the record lacks to be published (INSPIRE) and cited (DOI).");
  tool.example("hemera-meta set 0f8fad5b-d9cb-469f-a165-70867728950e inspire.lineage.en=\"Processed with v2.1\"",
               "Commit a new revision with one field changed.");
  tool.example("hemera-meta extract --json o3_20210618_kiruna.na",
               "Start a P.I.'s form from what the file's header says (originator, variables, dates).");
  tool.example("EDITOR=nano hemera-meta edit 0f8fad5b-d9cb-469f-a165-70867728950e",
               "Edit the whole record as YAML; it is checked before it is saved.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (cmd_extract->parsed()) {
      std::vector<std::filesystem::path> paths(extract_files.begin(), extract_files.end());
      auto ex = HEMERA_TRY(gate::extract(paths));
      if (ctx.json) {
        ctx.emit({{"command", "extract"}, {"partial", true}, {"record", ex.record}, {"files", ex.files}});
      } else {
        std::printf("# A partial record (no id, title or versions): what the headers say.\n%s\n",
                    ex.record.dump(2).c_str());
      }
      return 0;
    }
    std::string now = archive::now_iso8601();
    if (cmd_validate->parsed()) {
      bool is_uuid = static_cast<bool>(uuid::check_rfc4122(target));
      std::error_code ec;
      if (!is_uuid || std::filesystem::exists(target, ec)) {
        auto text = HEMERA_TRY(util::read_file(target));
        auto doc = HEMERA_TRY(metadata::parse_form(text, target));
        auto rec = HEMERA_TRY(metadata::Record::from_json(std::move(doc)));
        auto report = metadata::check_record(rec, catalog::defaults_for(ctx.config, collection), now);
        if (ctx.json) {
          json out = profile_json(report, target);
          out["command"] = "validate";
          out["target"] = target;
          ctx.emit(out);
        } else {
          print_checks(report, target);
          if (!ctx.quiet) {
            std::printf("%s: %s (%zu error%s, %zu warning%s)\n", target.c_str(),
                        report.publishable ? "publishable" : "not publishable", report.errors(),
                        report.errors() == 1 ? "" : "s", report.warnings(), report.warnings() == 1 ? "" : "s");
          }
        }
        return report.errors() > 0 ? cli::k_exit_findings : 0;
      }
      id = target;
    }
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    auto ds = HEMERA_TRY(dataset_of(arch, id));
    auto defaults = catalog::defaults_for(ctx.config, collection_of(ds.path));

    if (cmd_validate->parsed()) {
      auto rec = HEMERA_TRY(archive::read_record(arch, ds));
      auto report = metadata::check_record(rec, defaults, now);
      std::string file = ds.path + "/metadata.json";
      if (ctx.json) {
        json out = profile_json(report, file);
        out["command"] = "validate";
        out["target"] = id;
        out["revision"] = ds.record_revision;
        ctx.emit(out);
      } else {
        print_checks(report, file);
        if (!ctx.quiet) {
          std::printf("%s revision %d: %s, %s (%zu error%s, %zu warning%s)\n", id.c_str(), ds.record_revision,
                      report.publishable ? "publishable" : "not publishable",
                      report.doi_ready ? "ready for a DOI" : "not ready for a DOI", report.errors(),
                      report.errors() == 1 ? "" : "s", report.warnings(), report.warnings() == 1 ? "" : "s");
        }
      }
      return report.errors() > 0 ? cli::k_exit_findings : 0;
    }

    if (cmd_show->parsed()) {
      int rev = revision > 0 ? revision : ds.record_revision;
      auto rec = revision > 0 ? HEMERA_TRY(catalog::read_revision(arch, ds, revision))
                              : HEMERA_TRY(archive::read_record(arch, ds));
      auto report = metadata::check_record(rec, defaults, now);
      if (ctx.json) {
        ctx.emit({{"command", "show"},
                  {"uuid", id},
                  {"path", ds.path},
                  {"revision", rev},
                  {"latest_revision", ds.record_revision},
                  {"publishable", report.publishable},
                  {"doi_ready", report.doi_ready},
                  {"record", rec.doc()}});
        return 0;
      }
      if (as_yaml) {
        std::fputs(to_yaml(rec.doc()).c_str(), stdout);
        return 0;
      }
      auto line = [](const char* k, const std::string& v) {
        if (!v.empty()) {
          std::printf("%-14s %s\n", k, v.c_str());
        }
      };
      line("UUID", id);
      line("Path", ds.path);
      line("Revision", fmt::format("{} of {}", rev, ds.record_revision));
      if (auto t = rec.resource_title()) {
        for (const auto& [lang, v] : t->values) {
          line(fmt::format("Title ({})", lang).c_str(), v);
        }
      }
      line("Status", rec.status().value_or(""));
      line("Modified", rec.last_modification().value_or(""));
      for (const auto& t : rec.temporal_extents().value_or(std::vector<metadata::TemporalExtent>{})) {
        line("Time", fmt::format("{} .. {}", t.begin_date.value_or("?"), t.end_date.value_or("(open)")));
      }
      for (const auto& c : rec.contacts().value_or(std::vector<metadata::Contact>{})) {
        std::string roles;
        for (const auto& r : c.roles.value_or(std::vector<std::string>{})) {
          roles += (roles.empty() ? "" : ", ") + r;
        }
        line("Contact", fmt::format("{} <{}> {}{}{}", c.name.value_or("?"), c.email.value_or(""),
                                    c.organisation.value_or(""), roles.empty() ? "" : " [" + roles + "]",
                                    c.orc_id ? " ORCID " + *c.orc_id : ""));
      }
      std::string kws;
      for (const auto& k : rec.keywords().value_or(std::vector<metadata::Keyword>{})) {
        kws += (kws.empty() ? "" : ", ") + k.concept_name.value_or("");
      }
      line("Keywords", kws);
      std::string params;
      for (const auto& p : rec.parameters().value_or(std::vector<metadata::Parameter>{})) {
        params += (params.empty() ? "" : ", ") + p.short_name.value_or(p.long_name.value_or("?"));
      }
      line("Parameters", params);
      line("Versions", std::to_string(rec.versions().value_or(std::vector<metadata::VersionEntry>{}).size()));
      line("Publishable", report.publishable ? "yes" : fmt::format("no ({} errors: hemera-meta validate {})",
                                                                    report.errors(), id));
      line("DOI-ready", report.doi_ready ? "yes" : "no");
      return 0;
    }

    if (cmd_history->parsed()) {
      auto h = HEMERA_TRY(catalog::history(arch, ds));
      if (ctx.json) {
        ctx.emit({{"command", "history"}, {"uuid", id}, {"revisions", history_json(h)}});
        return 0;
      }
      for (const auto& r : h) {
        std::printf("%4d  %-20s  %-12s  %-16s  #%-6lld  %s%s\n", r.revision, r.time.c_str(), r.actor.c_str(),
                    r.kind.c_str(), static_cast<long long>(r.seq), r.sha256.substr(0, 16).c_str(),
                    r.journal_sha256.empty()            ? "  (not journaled)"
                    : r.journal_sha256 == r.sha256 ? ""
                                                        : "  MISMATCH with the journal");
      }
      return 0;
    }

    // set / edit: a new revision.
    std::vector<metadata::Check> rejected;
    std::function<Result<void>(json&)> change;
    std::string kept;
    json edited_doc;
    if (cmd_set->parsed()) {
      if (assignments.empty() && removals.empty()) {
        return fail(Errc::usage, "nothing to set: give PATH=VALUE or --remove PATH");
      }
      change = [&](json& doc) -> Result<void> {
        for (const auto& a : assignments) {
          auto eq = a.find('=');
          if (eq == std::string::npos || eq == 0) {
            return fail(Errc::usage, fmt::format("'{}' is not PATH=VALUE", a), {}, "PATH=VALUE");
          }
          HEMERA_TRY(catalog::set_path(doc, a.substr(0, eq), catalog::parse_value(a.substr(eq + 1))));
        }
        for (const auto& r : removals) {
          HEMERA_TRY(catalog::remove_path(doc, r));
        }
        return {};
      };
    } else {
      auto current = HEMERA_TRY(archive::read_record(arch, ds));
      char tmpl[] = "/tmp/hemera-meta-XXXXXX.yaml";
      int fd = ::mkstemps(tmpl, 5);
      if (fd < 0) {
        return tl::unexpected(errno_error(errno, "cannot create a temporary file", "/tmp"));
      }
      ::close(fd);
      kept = tmpl;
      std::string header = fmt::format(
        "# Record of dataset {} (revision {}). Save and quit to commit a new revision;\n"
        "# id and identifier cannot change; lastModification is set on saving.\n",
        id, ds.record_revision);
      HEMERA_TRY(util::write_file_atomic(kept, header + to_yaml(current.doc()), 0600));
      HEMERA_TRY(run_editor(kept));
      auto text = HEMERA_TRY(util::read_file(kept));
      auto parsed = metadata::parse_form(text, kept);
      if (!parsed) {
        std::fprintf(stderr, "hemera-meta: your edits are kept in %s\n", kept.c_str());
        return tl::unexpected(parsed.error());
      }
      edited_doc = std::move(*parsed);
      change = [&](json& doc) -> Result<void> {
        json edited = edited_doc;
        // The modification time is the tool's to set.
        if (doc.contains("lastModification")) {
          edited["lastModification"] = doc["lastModification"];
        }
        doc = std::move(edited);
        return {};
      };
    }
    auto r = catalog::revise(arch, id, ctx.actor, change, defaults, &rejected);
    if (!r) {
      for (const auto& c : rejected) {
        std::fprintf(stderr, "%s: error: %s [%s] at %s\n", id.c_str(), c.message.c_str(), c.rule.c_str(),
                     c.path.c_str());
      }
      if (!kept.empty()) {
        std::fprintf(stderr, "hemera-meta: nothing was saved; your edits are kept in %s\n", kept.c_str());
      }
      return tl::unexpected(r.error());
    }
    if (!kept.empty()) {
      ::unlink(kept.c_str());
    }
    if (ctx.json) {
      json out = profile_json(r->profile, ds.path + "/metadata.json");
      out["command"] = cmd_set->parsed() ? "set" : "edit";
      out["uuid"] = id;
      out["changed"] = r->changed;
      out["revision"] = r->revision;
      ctx.emit(out);
    } else if (!ctx.quiet) {
      if (r->changed) {
        std::printf("%s: committed revision %d (%s)\n", id.c_str(), r->revision,
                    r->profile.publishable ? "publishable" : fmt::format("not publishable: {} error{}",
                                                                          r->profile.errors(),
                                                                          r->profile.errors() == 1 ? "" : "s").c_str());
      } else {
        std::printf("%s: no change; still revision %d\n", id.c_str(), r->revision);
      }
    }
    return 0;
  });
}
