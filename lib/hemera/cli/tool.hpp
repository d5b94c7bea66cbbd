// SPDX-License-Identifier: Apache-2.0
// The shared command-line harness: common options, configuration, the actor,
// JSON output, and the one place where errors become exit codes.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <hemera/actor.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>

namespace hemera::cli {

// Exit codes of DESIGN.md (sysexits.h values).
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_findings = 1;

// Return the exit code of an error class: the only such mapping.
int exit_code(Errc code) noexcept;

// What a tool's body receives once options and configuration are settled.
struct Context {
  std::string tool;  // "hemera-uuid"
  config::Config config;
  std::filesystem::path root;
  Actor actor;
  bool json = false;
  bool quiet = false;
  int verbose = 0;
  int schema_major = 1;

  // Print `doc` as the tool's one JSON document, with its "schema" field.
  void emit(nlohmann::json doc) const;
  // Return the "schema" value: "hemera.<tool without prefix>/<major>".
  [[nodiscard]] std::string schema() const;
};

// One tool: owns the CLI11 app and runs its body.
class Tool {
 public:
  // `name` is the executable ("hemera-uuid"); `summary` is one line.
  Tool(std::string name, std::string summary);

  // Return the CLI11 app, to declare the tool's own options and subcommands.
  CLI::App& app() { return m_app; }
  // Add an example command line, shown in --help.
  void example(const std::string& command, const std::string& what);
  // Set the major version of the tool's JSON output schema.
  void schema_major(int major) { m_schema_major = major; }

  // Parse `argv`, load the configuration, call `body`, and return the exit code.
  // `body` returns 0 (success), 1 (findings) or an Error.
  int run(int argc, char** argv, const std::function<Result<int>(Context&)>& body);

 private:
  int fail_with(const Context& ctx, const Error& e) const;

  std::string m_name;
  CLI::App m_app;
  std::vector<std::string> m_examples;
  int m_schema_major = 1;
  std::string m_config_file;
  std::string m_root;
  std::string m_completion_shell;
  bool m_json = false;
  bool m_quiet = false;
  int m_verbose = 0;
  bool m_print_config = false;
};

// Return a completion script for `shell` (bash, zsh, fish) or, for "options",
// every long option of every subcommand, one per line.
Result<std::string> completion_script(const CLI::App& app, const std::string& name,
                                      const std::string& shell);

}  // namespace hemera::cli
