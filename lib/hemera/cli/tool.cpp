// SPDX-License-Identifier: Apache-2.0
#include <hemera/cli/tool.hpp>

#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include <hemera/log.hpp>
#include <hemera/version.hpp>

namespace hemera::cli {

namespace {

// Help formatter that leaves the footer (examples) as written.
class Formatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override
  {
    std::string footer = app->get_footer();
    return footer.empty() ? std::string() : "\n" + footer + "\n";
  }
};

void print(const std::string& text)
{
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace

std::string Context::schema() const
{
  std::string short_name = tool.rfind("hemera-", 0) == 0 ? tool.substr(7) : tool;
  return fmt::format("hemera.{}/{}", short_name, schema_major);
}

void Context::emit(nlohmann::json doc) const
{
  nlohmann::json out = nlohmann::json::object();
  out["schema"] = schema();
  for (auto& [k, v] : doc.items()) {
    out[k] = std::move(v);
  }
  print(out.dump(2) + "\n");
}

Tool::Tool(std::string name, std::string summary) : m_name(std::move(name)), m_app(summary, m_name)
{
  m_app.formatter(std::make_shared<Formatter>());
  m_app.fallthrough();  // common options are accepted after a subcommand
  m_app.set_version_flag("--version", std::string(version()), "Print the version and exit");
  m_app.add_option("--config", m_config_file, "Configuration file (YAML)")->type_name("FILE");
  m_app.add_option("--root", m_root, "Archive root directory")->type_name("DIR");
  m_app.add_flag("--json", m_json, "Print one JSON document on stdout");
  m_app.add_flag("-q,--quiet", m_quiet, "Print only errors");
  m_app.add_flag("-v,--verbose", m_verbose, "Print more (repeat for debug output)");
  m_app.add_flag("--print-config", m_print_config,
                 "Print the effective configuration (secrets masked) and exit");
  m_app.add_option("--generate-completion", m_completion_shell,
                   "Print a completion script (bash, zsh, fish) and exit")
    ->group("");
}

void Tool::example(const std::string& command, const std::string& what)
{
  m_examples.push_back(fmt::format("  {}\n      {}", command, what));
  std::string footer = "Examples:";
  for (const auto& e : m_examples) {
    footer += "\n" + e;
  }
  footer += "\n\nSee " + m_name + "(1) for exit codes and configuration.";
  m_app.footer(footer);
}

int Tool::fail_with(const Context& ctx, const Error& e) const
{
  int code = exit_code(e.code);
  if (ctx.json) {
    nlohmann::json err = {{"code", errc_name(e.code)}, {"exit", code}, {"message", e.message}};
    if (!e.where.empty()) {
      err["where"] = e.where;
    }
    if (!e.field.empty()) {
      err["field"] = e.field;
    }
    if (!e.rule.empty()) {
      err["rule"] = e.rule;
    }
    nlohmann::json doc = {{"schema", "hemera.error/1"}, {"tool", m_name}, {"error", err}};
    print(doc.dump(2) + "\n");
  }
  std::string line = fmt::format("{}: error: {}\n", m_name, e.to_string());
  std::fwrite(line.data(), 1, line.size(), stderr);
  return code;
}

int Tool::run(int argc, char** argv, const std::function<Result<int>(Context&)>& body)
{
  Context ctx;
  ctx.tool = m_name;
  // Completion scripts are asked for before parsing, so that required
  // subcommands and arguments do not get in the way.
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--generate-completion") {
      auto script = completion_script(m_app, m_name, argv[i + 1]);
      if (!script) {
        return fail_with(ctx, script.error());
      }
      print(*script);
      return k_exit_ok;
    }
  }
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--print-config") {
      m_app.require_subcommand(0);  // no subcommand needed to print the configuration
    }
  }
  try {
    m_app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return m_app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return m_app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return m_app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string line = fmt::format("{}: error: {}\nTry '{} --help' for more information.\n",
                                   m_name, e.what(), m_name);
    std::fwrite(line.data(), 1, line.size(), stderr);
    return exit_code(Errc::usage);
  }
  ctx.json = m_json;
  ctx.quiet = m_quiet;
  ctx.verbose = m_verbose;
  ctx.schema_major = m_schema_major;
  log::setup(m_name, m_quiet ? log::Level::quiet
                     : m_verbose >= 2 ? log::Level::debug
                     : m_verbose == 1 ? log::Level::verbose
                                      : log::Level::normal);

  try {
    ctx.actor = current_actor();
    config::LookupOptions lookup;
    lookup.privileged = ctx.actor.privileged();
    if (!m_config_file.empty()) {
      lookup.explicit_file = m_config_file;
    }
    auto cfg = config::load(lookup);
    if (!cfg) {
      return fail_with(ctx, cfg.error());
    }
    ctx.config = std::move(*cfg);
    // A service account other than the default one is named in the
    // configuration: who runs is decided again, and a run it makes
    // privileged reads the system configuration only.
    if (std::string sa = ctx.config.get_string("service_account"); !sa.empty() && sa != "hemera") {
      Actor again = current_actor(sa);
      if (again.privileged() && !lookup.privileged) {
        lookup.privileged = true;
        auto system_cfg = config::load(lookup);
        if (!system_cfg) {
          return fail_with(ctx, system_cfg.error());
        }
        ctx.config = std::move(*system_cfg);
        again = current_actor(ctx.config.get_string("service_account"));
      }
      ctx.actor = again;
    }
    ctx.root = m_root.empty() ? std::filesystem::path(ctx.config.get_string("root"))
                              : std::filesystem::path(m_root);
    if (m_print_config) {
      nlohmann::json doc = {{"schema", "hemera.config/1"},
                            {"tool", m_name},
                            {"file", ctx.config.file() ? ctx.config.file()->string() : ""},
                            {"root", ctx.root.string()},
                            {"settings", ctx.config.redacted()}};
      if (ctx.json) {
        print(doc.dump(2) + "\n");
      } else {
        print(fmt::format("# configuration: {}\n# root: {}\n",
                          ctx.config.file() ? ctx.config.file()->string() : "built-in defaults",
                          ctx.root.string()));
        for (auto& [key, v] : doc["settings"].items()) {
          print(fmt::format("{}: {}  # {}\n", key, v["value"].dump(),
                            v["origin"].get<std::string>()));
        }
      }
      return k_exit_ok;
    }
    auto rc = body(ctx);
    if (!rc) {
      return fail_with(ctx, rc.error());
    }
    return *rc;
  } catch (const std::exception& e) {
    return fail_with(ctx, Error{Errc::internal, fmt::format("internal error: {}", e.what())});
  }
}

}  // namespace hemera::cli
