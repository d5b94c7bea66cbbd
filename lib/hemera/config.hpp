// SPDX-License-Identifier: Apache-2.0
// Configuration: lookup order, the key table, typed access, origins, redaction.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>

namespace hemera::config {

namespace fs = std::filesystem;

// The one file a privileged run may read.
inline constexpr const char* k_system_config = "/etc/hemera/hemera.yaml";

// Where a value came from: "default", "environment" or "path:line".
struct Origin {
  std::string source;
};

// How the configuration is to be found.
struct LookupOptions {
  std::optional<fs::path> explicit_file;  // --config
  bool privileged = false;                // sudo or the service account
};

// The effective configuration: a JSON tree checked against the key table,
// with the origin of every leaf.
class Config {
 public:
  // Return the built-in defaults (no file).
  static Config defaults();

  // Return the value at a dotted path ("targets.sedoo.url"), or nullptr.
  [[nodiscard]] const nlohmann::json* find(const std::string& dotted) const;
  // Return the string at `dotted`, or `fallback`.
  [[nodiscard]] std::string get_string(const std::string& dotted,
                                       const std::string& fallback = {}) const;
  // Return the whole tree.
  [[nodiscard]] const nlohmann::json& tree() const { return m_tree; }
  // Return the origin of the value at `dotted` ("default" when unknown).
  [[nodiscard]] std::string origin(const std::string& dotted) const;
  // Return the file the configuration was read from, if any.
  [[nodiscard]] const std::optional<fs::path>& file() const { return m_file; }

  // Return the tree with secrets masked and each leaf's origin, for --print-config.
  [[nodiscard]] nlohmann::json redacted() const;

  // Set a value (used for defaults and the environment).
  void set(const std::string& dotted, nlohmann::json value, std::string origin);

 private:
  friend Result<Config> parse_yaml(const std::string& text, const std::string& name);
  nlohmann::json m_tree = nlohmann::json::object();
  std::map<std::string, std::string> m_origins;
  std::optional<fs::path> m_file;
};

// Parse configuration text (YAML) named `name` (for messages), check it
// against the key table and merge it over the defaults.
Result<Config> parse_yaml(const std::string& text, const std::string& name);

// Find and load the configuration in DESIGN.md's order: --config, $HEMERA_CONFIG,
// ./hemera.yaml, ~/.config/hemera/hemera.yaml, /etc/hemera/hemera.yaml,
// else defaults. A privileged run reads only the system file, which must be
// owned by root and not group- or world-writable.
Result<Config> load(const LookupOptions& options);

// Check that `path` is owned by root and not writable by group or others.
Result<void> check_trusted(const fs::path& path);

// Parse a duration "45s", "90m", "24h", "30d", "2w".
Result<std::chrono::seconds> parse_duration(const std::string& text);

// Return `url` with any password in its user-info, and any path after the
// host when `mask_path` is set, replaced by "***".
std::string redact_url(const std::string& url, bool mask_path = false);

// Return the content of an owner-only secret file (mode must not allow group
// or others), with one trailing newline removed.
Result<std::string> read_secret_file(const fs::path& path);

}  // namespace hemera::config
