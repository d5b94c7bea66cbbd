// SPDX-License-Identifier: Apache-2.0
#include <hemera/config.hpp>

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <hemera/util/fs.hpp>

namespace hemera::config {

namespace {

enum class Type { map, string, url, path, boolean, integer, duration, string_list, any };

struct Key {
  const char* pattern;  // dotted, "*" matches one map key
  Type type;
  bool sensitive;       // masked by --print-config
};

// The key table: every configuration key the toolkit knows. A key not matched
// here is an error naming file, line and key.
constexpr Key k_config_key_table[] = {
  {"root", Type::path, false},
  {"service_account", Type::string, false},
  {"catalogue_url", Type::url, false},
  {"public_url", Type::url, false},
  {"download_url", Type::url, false},
  {"targets", Type::map, false},
  {"targets.*", Type::map, false},
  {"targets.*.url", Type::url, false},
  {"targets.*.user", Type::string, false},
  {"targets.*.password_file", Type::path, false},
  {"targets.*.key_file", Type::path, false},
  {"targets.*.ca_file", Type::path, false},
  {"targets.*.host_key_sha256", Type::string, false},
  {"targets.*.known_hosts", Type::path, false},
  {"targets.*.trust_transport", Type::boolean, false},
  {"targets.*.allow_plaintext", Type::boolean, false},
  {"targets.*.endpoint", Type::url, false},
  {"targets.*.region", Type::string, false},
  {"targets.*.access_key_file", Type::path, false},
  {"targets.*.secret_key_file", Type::path, false},
  {"targets.*.jobs", Type::integer, false},
  {"targets.*.multipart_threshold", Type::integer, false},
  {"targets.*.multipart_part_size", Type::integer, false},
  {"alerts", Type::map, false},
  {"alerts.mail", Type::map, false},
  {"alerts.mail.smtp_url", Type::url, true},
  {"alerts.mail.from", Type::string, false},
  {"alerts.mail.to", Type::string_list, false},
  {"alerts.mail.user", Type::string, false},
  {"alerts.mail.password_file", Type::path, false},
  {"alerts.mail.ca_file", Type::path, false},
  {"alerts.webhook", Type::map, false},
  {"alerts.webhook.url", Type::url, true},
  {"alerts.command", Type::string_list, false},
  {"alerts.repeat", Type::boolean, false},
  {"alerts.repeat_after", Type::duration, false},
  {"alerts.timeout", Type::duration, false},
  {"replication", Type::map, false},
  {"replication.max_lag", Type::duration, false},
  {"replication.max_failed_runs", Type::integer, false},
  {"verification", Type::map, false},
  {"verification.period", Type::duration, false},
  {"validation", Type::map, false},
  {"validation.strict_monotonic", Type::boolean, false},
  {"validation.rdate_after_date", Type::boolean, false},
  {"validation.fits_decompress", Type::boolean, false},
  {"doi", Type::map, false},
  {"doi.prefix", Type::string, false},
  {"doi.publisher", Type::string, false},
  {"doi.api_url", Type::url, false},
  {"doi.repository_id", Type::string, false},
  {"doi.password_file", Type::path, false},
  {"doi.ca_file", Type::path, false},
  {"doi.timeout", Type::duration, false},
  {"doi.retries", Type::integer, false},
  {"snapshot", Type::map, false},
  {"snapshot.dest", Type::path, false},
  {"snapshot.keep_daily", Type::integer, false},
  {"snapshot.keep_weekly", Type::integer, false},
  {"snapshot.keep_monthly", Type::integer, false},
  {"partners", Type::map, false},
  {"partners.*", Type::map, false},
  {"partners.*.collections", Type::string_list, false},
  {"partners.*.databases", Type::string_list, false},
  {"partners.*.keywords", Type::string_list, false},
  {"partners.*.include_embargoed", Type::boolean, false},
  {"partners.*.include_non_public", Type::boolean, false},
  {"partners.*.schemas", Type::string_list, false},
  {"partners.*.extra_keywords", Type::string_list, false},
  {"partners.*.keyword_map", Type::any, false},
  {"partners.*.point_of_contact", Type::map, false},
  {"partners.*.point_of_contact.name", Type::string, false},
  {"partners.*.point_of_contact.organisation", Type::string, false},
  {"partners.*.point_of_contact.email", Type::string, false},
  {"partners.*.landing_page_base", Type::url, false},
  {"partners.*.title", Type::string, false},
  {"partners.*.abstract", Type::string, false},
  {"partners.*.publisher", Type::string, false},
  {"partners.*.doi_prefix", Type::string, false},
  {"partners.*.inspire", Type::any, false},
  {"partners.*.max_records", Type::integer, false},
  {"csw", Type::map, false},
  {"csw.listen", Type::string, false},
  {"csw.threads", Type::integer, false},
  {"csw.max_request_bytes", Type::integer, false},
  {"csw.timeout", Type::duration, false},
  {"orcid", Type::map, false},
  {"orcid.issuer", Type::url, false},
  {"orcid.client_id", Type::string, false},
  {"orcid.client_secret_file", Type::path, false},
  {"orcid.redirect_uri", Type::url, false},
  {"orcid.ca_file", Type::path, false},
  {"orcid.session_lifetime", Type::duration, false},
  {"orcid.public_api", Type::url, false},
  {"catalogue", Type::map, false},
  {"catalogue.project", Type::string, false},
  {"catalogue.defaults", Type::any, false},
  {"catalogue.collections", Type::any, false},
};

const char* type_name(Type t)
{
  switch (t) {
  case Type::map: return "a mapping";
  case Type::string: return "a string";
  case Type::url: return "a URL";
  case Type::path: return "a path";
  case Type::boolean: return "a boolean (true or false)";
  case Type::integer: return "an integer";
  case Type::duration: return "a duration (e.g. 45s, 90m, 24h, 30d)";
  case Type::string_list: return "a list of strings";
  case Type::any: return "anything";
  }
  return "?";
}

bool matches(const char* pattern, const std::string& dotted)
{
  std::string_view p(pattern);
  std::string_view d(dotted);
  while (true) {
    auto pd = p.find('.');
    auto dd = d.find('.');
    std::string_view ps = p.substr(0, pd);
    std::string_view ds = d.substr(0, dd);
    if (ps != "*" && ps != ds) {
      return false;
    }
    if (pd == std::string_view::npos || dd == std::string_view::npos) {
      return pd == std::string_view::npos && dd == std::string_view::npos;
    }
    p.remove_prefix(pd + 1);
    d.remove_prefix(dd + 1);
  }
}

const Key* find_key(const std::string& dotted)
{
  for (const auto& k : k_config_key_table) {
    if (matches(k.pattern, dotted)) {
      return &k;
    }
  }
  return nullptr;
}

nlohmann::json yaml_to_json(const YAML::Node& node)
{
  switch (node.Type()) {
  case YAML::NodeType::Map: {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : node) {
      out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
    }
    return out;
  }
  case YAML::NodeType::Sequence: {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) {
      out.push_back(yaml_to_json(item));
    }
    return out;
  }
  case YAML::NodeType::Scalar:
    return node.Scalar();
  default:
    return nullptr;
  }
}

struct Walker {
  const std::string& name;
  Config& config;

  std::string where(const YAML::Node& n) const
  {
    return fmt::format("{}:{}", name, n.Mark().line + 1);
  }

  Result<void> check_scalar(const YAML::Node& n, const std::string& dotted, Type t)
  {
    auto bad = [&] {
      return fail(Errc::config, fmt::format("expected {}, found '{}'", type_name(t),
                                            n.IsScalar() ? n.Scalar() : std::string("a structure")),
                  where(n), dotted, "config.type");
    };
    if (!n.IsScalar()) {
      return bad();
    }
    const std::string& s = n.Scalar();
    switch (t) {
    case Type::boolean:
      if (s != "true" && s != "false") {
        return bad();
      }
      config.set(dotted, s == "true", where(n));
      return {};
    case Type::integer: {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || errno != 0) {
        return bad();
      }
      config.set(dotted, v, where(n));
      return {};
    }
    case Type::duration:
      if (!parse_duration(s)) {
        return bad();
      }
      break;
    case Type::url:
      if (s.find("://") == std::string::npos) {
        return bad();
      }
      break;
    default:
      break;
    }
    config.set(dotted, s, where(n));
    return {};
  }

  Result<void> walk(const YAML::Node& node, const std::string& prefix)
  {
    if (!node.IsMap()) {
      return fail(Errc::config, "expected a mapping", where(node), prefix, "config.type");
    }
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      std::string dotted = prefix.empty() ? key : prefix + "." + key;
      const Key* k = find_key(dotted);
      if (k == nullptr) {
        return fail(Errc::config, fmt::format("unknown configuration option \"{}\"", dotted),
                    where(kv.first), dotted, "config.unknown-key");
      }
      const YAML::Node& value = kv.second;
      switch (k->type) {
      case Type::map:
        if (value.IsNull()) {
          break;
        }
        HEMERA_TRY(walk(value, dotted));
        break;
      case Type::any:
        config.set(dotted, yaml_to_json(value), where(value));
        break;
      case Type::string_list:
        if (!value.IsSequence()) {
          return fail(Errc::config, fmt::format("expected {}", type_name(k->type)),
                      where(value), dotted, "config.type");
        }
        for (const auto& item : value) {
          if (!item.IsScalar()) {
            return fail(Errc::config, "expected a string in the list", where(item), dotted,
                        "config.type");
          }
        }
        config.set(dotted, yaml_to_json(value), where(value));
        break;
      default:
        HEMERA_TRY(check_scalar(value, dotted, k->type));
      }
    }
    return {};
  }
};

nlohmann::json::json_pointer pointer(const std::string& dotted)
{
  std::string p;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    auto dot = dotted.find('.', start);
    std::string seg = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    std::string escaped;
    for (char c : seg) {
      if (c == '~') {
        escaped += "~0";
      } else if (c == '/') {
        escaped += "~1";
      } else {
        escaped += c;
      }
    }
    p += "/" + escaped;
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  return nlohmann::json::json_pointer(p);
}

std::optional<fs::path> home_config()
{
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return std::nullopt;
  }
  return fs::path(home) / ".config/hemera/hemera.yaml";
}

}  // namespace

Config Config::defaults()
{
  Config c;
  const char* env_root = std::getenv("HEMERA_ROOT");
  if (env_root != nullptr && *env_root != '\0') {
    c.set("root", env_root, "environment (HEMERA_ROOT)");
  } else {
    c.set("root", "./hemera-archive", "default");
  }
  c.set("targets", nlohmann::json::object(), "default");
  c.set("targets.replica", {{"url", "file://./hemera-replica"}}, "default");
  c.set("replication.max_lag", "24h", "default");
  c.set("verification.period", "30d", "default");
  c.set("validation.strict_monotonic", true, "default");
  c.set("validation.rdate_after_date", true, "default");
  c.set("validation.fits_decompress", false, "default");
  c.set("catalogue_url", "https://catalogue.example.org", "default");
  c.set("public_url", "https://catalogue.example.org", "default");
  c.set("download_url", "ftps://ftp.example.org/hemera", "default");
  c.set("partners", {{"default", nlohmann::json::object()}}, "default");
  return c;
}

const nlohmann::json* Config::find(const std::string& dotted) const
{
  auto ptr = pointer(dotted);
  if (!m_tree.contains(ptr)) {
    return nullptr;
  }
  return &m_tree.at(ptr);
}

std::string Config::get_string(const std::string& dotted, const std::string& fallback) const
{
  const auto* v = find(dotted);
  if (v == nullptr || !v->is_string()) {
    return fallback;
  }
  return v->get<std::string>();
}

std::string Config::origin(const std::string& dotted) const
{
  std::string key = dotted;
  while (true) {
    auto it = m_origins.find(key);
    if (it != m_origins.end()) {
      return it->second;
    }
    auto dot = key.rfind('.');
    if (dot == std::string::npos) {
      return "default";
    }
    key.resize(dot);
  }
}

void Config::set(const std::string& dotted, nlohmann::json value, std::string origin)
{
  m_tree[pointer(dotted)] = std::move(value);
  m_origins[dotted] = std::move(origin);
}

nlohmann::json Config::redacted() const
{
  nlohmann::json out = nlohmann::json::object();
  nlohmann::json flat = m_tree.flatten();
  for (auto& [ptr, value] : flat.items()) {
    // json pointer "/a/b" -> dotted "a.b" (keys here never hold '.')
    std::string dotted = ptr.substr(1);
    for (auto& c : dotted) {
      if (c == '/') {
        c = '.';
      }
    }
    std::string base = dotted;
    // Lists flatten to "a.b.0": find the key for the list itself.
    const Key* k = find_key(base);
    while (k == nullptr && base.find('.') != std::string::npos) {
      base.resize(base.rfind('.'));
      k = find_key(base);
    }
    nlohmann::json shown = value;
    if (k != nullptr && k->sensitive && value.is_string()) {
      shown = redact_url(value.get<std::string>(), true);
    } else if (value.is_string()) {
      shown = redact_url(value.get<std::string>(), false);
    }
    out[dotted] = {{"value", shown}, {"origin", origin(dotted)}};
  }
  return out;
}

Result<Config> parse_yaml(const std::string& text, const std::string& name)
{
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, e.msg, fmt::format("{}:{}", name, e.mark.line + 1), {},
                "config.syntax");
  }
  Config config = Config::defaults();
  config.m_file = name;
  if (root.IsNull()) {
    return config;
  }
  if (root.IsMap()) {
    // A key given in the file replaces its built-in default whole.
    for (const auto& kv : root) {
      std::string key = kv.first.as<std::string>();
      config.m_tree.erase(key);
      for (auto it = config.m_origins.begin(); it != config.m_origins.end();) {
        if (it->first == key || it->first.rfind(key + ".", 0) == 0) {
          it = config.m_origins.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  try {
    Walker w{name, config};
    HEMERA_TRY(w.walk(root, ""));
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, e.msg, fmt::format("{}:{}", name, e.mark.line + 1), {},
                "config.syntax");
  }
  return config;
}

Result<void> check_trusted(const fs::path& path)
{
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return tl::unexpected(errno_error(errno, "cannot stat", path.string()));
  }
  if (st.st_uid != 0) {
    return fail(Errc::config, "untrusted configuration: not owned by root", path.string(), {},
                "config.trust");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(Errc::config, "untrusted configuration: writable by group or others",
                path.string(), {}, "config.trust");
  }
  return {};
}

Result<Config> load(const LookupOptions& options)
{
  auto read = [](const fs::path& p) -> Result<Config> {
    auto text = util::read_file(p);
    if (!text) {
      Error e = text.error();
      if (e.code == Errc::no_input || e.code == Errc::no_perm) {
        e.code = Errc::config;
      }
      return tl::unexpected(e);
    }
    return parse_yaml(*text, p.string());
  };

  if (options.privileged) {
    if (options.explicit_file) {
      return fail(Errc::config,
                  fmt::format("a privileged run reads only {}; --config is refused", k_system_config),
                  options.explicit_file->string(), {}, "config.trust");
    }
    std::error_code ec;
    if (!fs::exists(k_system_config, ec)) {
      return Config::defaults();
    }
    HEMERA_TRY(check_trusted(k_system_config));
    return read(k_system_config);
  }
  if (options.explicit_file) {
    return read(*options.explicit_file);
  }
  const char* env = std::getenv("HEMERA_CONFIG");
  if (env != nullptr && *env != '\0') {
    return read(env);
  }
  std::vector<fs::path> candidates{"hemera.yaml"};
  if (auto home = home_config()) {
    candidates.push_back(*home);
  }
  candidates.emplace_back(k_system_config);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::exists(c, ec)) {
      return read(c);
    }
  }
  return Config::defaults();
}

Result<std::chrono::seconds> parse_duration(const std::string& text)
{
  if (text.size() < 2) {
    return fail(Errc::config, fmt::format("not a duration: '{}'", text));
  }
  char unit = text.back();
  std::string number = text.substr(0, text.size() - 1);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(number.c_str(), &end, 10);
  if (*end != '\0' || errno != 0 || v < 0) {
    return fail(Errc::config, fmt::format("not a duration: '{}'", text));
  }
  long long mult = 0;
  switch (unit) {
  case 's': mult = 1; break;
  case 'm': mult = 60; break;
  case 'h': mult = 3600; break;
  case 'd': mult = 86400; break;
  case 'w': mult = 7 * 86400; break;
  default:
    return fail(Errc::config, fmt::format("not a duration: '{}' (units s, m, h, d, w)", text));
  }
  return std::chrono::seconds(v * mult);
}

std::string redact_url(const std::string& url, bool mask_path)
{
  auto scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  std::size_t auth_start = scheme + 3;
  std::size_t path_start = url.find('/', auth_start);
  std::string authority = url.substr(auth_start, path_start == std::string::npos
                                                     ? std::string::npos
                                                     : path_start - auth_start);
  auto at = authority.rfind('@');
  if (at != std::string::npos) {
    auto colon = authority.find(':');
    if (colon != std::string::npos && colon < at) {
      authority = authority.substr(0, colon) + ":***" + authority.substr(at);
    }
  }
  std::string out = url.substr(0, auth_start) + authority;
  if (path_start != std::string::npos) {
    out += mask_path ? std::string("/***") : url.substr(path_start);
  }
  return out;
}

Result<std::string> read_secret_file(const fs::path& path)
{
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    Error e = errno_error(errno, "cannot read secret file", path.string());
    e.code = Errc::config;
    return tl::unexpected(e);
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(Errc::config, "secret file must be readable by its owner only (chmod 600)",
                path.string(), {}, "config.secret-mode");
  }
  auto text = HEMERA_TRY(util::read_file(path));
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

}  // namespace hemera::config
