// SPDX-License-Identifier: Apache-2.0
// The rules file of hemera-recover, safe names, and the PCRE2 wrapper.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <hemera/recover/recover.hpp>
#include <hemera/recover/regex.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <hemera/checksum.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::recover {

struct Regex::Code {
  pcre2_code* code = nullptr;
  std::vector<std::pair<int, std::string>> names;  // group number, name
  ~Code() { pcre2_code_free(code); }
};

Result<Regex> Regex::compile(const std::string& pattern)
{
  int err = 0;
  PCRE2_SIZE offset = 0;
  auto code = std::make_shared<Code>();
  code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &err,
                             &offset, nullptr);
  if (code->code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    return fail(Errc::data,
                fmt::format("bad regular expression at offset {}: {}", offset,
                            reinterpret_cast<const char*>(buf)),
                pattern, {}, "rules.regex");
  }
  std::uint32_t count = 0;
  std::uint32_t entry = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code->code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code->code, PCRE2_INFO_NAMEENTRYSIZE, &entry);
  pcre2_pattern_info(code->code, PCRE2_INFO_NAMETABLE, &table);
  for (std::uint32_t i = 0; i < count; ++i) {
    PCRE2_SPTR e = table + static_cast<std::size_t>(i) * entry;
    int number = (e[0] << 8) | e[1];
    code->names.emplace_back(number, std::string(reinterpret_cast<const char*>(e + 2)));
  }
  Regex r;
  r.m_code = std::move(code);
  return r;
}

std::optional<std::map<std::string, std::string>> Regex::match(std::string_view subject) const
{
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(m_code->code, nullptr);
  int rc = pcre2_match(m_code->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       0, 0, md, nullptr);
  if (rc < 0) {
    pcre2_match_data_free(md);
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  std::uint32_t pairs = pcre2_get_ovector_count(md);
  for (const auto& [number, name] : m_code->names) {
    auto n = static_cast<std::uint32_t>(number);
    if (n < pairs && ov[2 * n] != PCRE2_UNSET) {
      out[name] = std::string(subject.substr(ov[2 * n], ov[2 * n + 1] - ov[2 * n]));
    }
  }
  pcre2_match_data_free(md);
  return out;
}

const char* grouping_name(Grouping g) noexcept
{
  switch (g) {
  case Grouping::folder: return "folder";
  case Grouping::file: return "file";
  case Grouping::regex: return "regex";
  }
  return "folder";
}

const char* verdict_name(Verdict v) noexcept
{
  switch (v) {
  case Verdict::valid: return "valid";
  case Verdict::legacy_only: return "legacy-only";
  case Verdict::invalid: return "invalid";
  case Verdict::unreadable: return "unreadable";
  case Verdict::unchecked: return "unchecked";
  }
  return "unreadable";
}

const char* state_name(State s) noexcept
{
  switch (s) {
  case State::ready: return "ready";
  case State::blocked: return "blocked";
  case State::in_archive: return "in-archive";
  }
  return "ready";
}

namespace {

Error rules_error(const fs::path& path, const std::string& key, const std::string& message)
{
  return Error{Errc::data, message, path.string(), key, "rules.syntax"};
}

// Return the scalar at `node[key]`, "" when absent.
Result<std::string> scalar(const YAML::Node& node, const char* key, const fs::path& path,
                           const std::string& where)
{
  const YAML::Node v = node[key];
  if (!v) {
    return std::string();
  }
  if (!v.IsScalar()) {
    return tl::unexpected(rules_error(path, where + key, fmt::format("'{}' must be a string", key)));
  }
  return v.as<std::string>();
}

}  // namespace

Result<Rules> load_rules(const fs::path& path)
{
  auto text = util::read_file(path);
  if (!text) {
    Error e = text.error();
    e.code = Errc::no_input;
    return tl::unexpected(e);
  }
  Rules out;
  out.sha256 = checksum::sha256(*text).hex();
  out.dir = path.parent_path();
  YAML::Node doc;
  try {
    doc = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return fail(Errc::data, fmt::format("not YAML: {}", e.what()),
                fmt::format("{}:{}", path.string(), e.mark.line + 1), {}, "rules.syntax");
  }
  if (!doc.IsMap()) {
    return tl::unexpected(rules_error(path, "", "a rules file is a mapping with a 'rules' list"));
  }
  for (const auto& kv : doc) {
    if (!kv.first.IsScalar()) {
      return tl::unexpected(rules_error(path, "", "a key must be a plain string"));
    }
    auto key = kv.first.Scalar();
    if (key != "namespace" && key != "ignore" && key != "rules") {
      return tl::unexpected(
        rules_error(path, key, fmt::format("unknown key '{}' (namespace, ignore, rules)", key)));
    }
  }
  if (auto ns = HEMERA_TRY(scalar(doc, "namespace", path, "")); !ns.empty()) {
    out.ns = ns;
  }
  if (const YAML::Node ig = doc["ignore"]) {
    if (!ig.IsSequence()) {
      return tl::unexpected(rules_error(path, "ignore", "'ignore' must be a list of patterns"));
    }
    for (const auto& p : ig) {
      if (!p.IsScalar()) {
        return tl::unexpected(rules_error(path, "ignore", "'ignore' must be a list of patterns"));
      }
      out.ignore.push_back(p.as<std::string>());
      if (auto r = Regex::compile(out.ignore.back()); !r) {
        Error e = r.error();
        e.where = path.string();
        e.field = "ignore";
        return tl::unexpected(e);
      }
    }
  }
  const YAML::Node list = doc["rules"];
  if (!list || !list.IsSequence() || list.size() == 0) {
    return tl::unexpected(rules_error(path, "rules", "'rules' must be a non-empty list"));
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node n = list[i];
    std::string where = fmt::format("rules[{}].", i);
    if (!n.IsMap()) {
      return tl::unexpected(rules_error(path, where, "each rule is a mapping"));
    }
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        return tl::unexpected(rules_error(path, where, "a key must be a plain string"));
      }
      auto key = kv.first.Scalar();
      if (key != "match" && key != "dataset" && key != "id" && key != "collection" && key != "form") {
        return tl::unexpected(rules_error(
          path, where + key,
          fmt::format("unknown key '{}' (match, dataset, id, collection, form)", key)));
      }
    }
    Rule r;
    r.match = HEMERA_TRY(scalar(n, "match", path, where));
    std::string grouping = HEMERA_TRY(scalar(n, "dataset", path, where));
    if (grouping.empty() || grouping == "folder") {
      r.grouping = Grouping::folder;
    } else if (grouping == "file") {
      r.grouping = Grouping::file;
    } else if (grouping == "regex") {
      r.grouping = Grouping::regex;
    } else {
      return tl::unexpected(rules_error(path, where + "dataset",
                                        fmt::format("'{}': expected folder, file or regex", grouping)));
    }
    r.id = HEMERA_TRY(scalar(n, "id", path, where));
    r.collection = HEMERA_TRY(scalar(n, "collection", path, where));
    r.form = HEMERA_TRY(scalar(n, "form", path, where));
    auto re = Regex::compile(r.match);
    if (!re) {
      Error e = re.error();
      e.where = path.string();
      e.field = where + "match";
      return tl::unexpected(e);
    }
    if (r.grouping == Grouping::regex && r.id.empty()) {
      return tl::unexpected(rules_error(
        path, where + "id", "a rule grouping by regex needs an 'id' template built from its named groups"));
    }
    out.rules.push_back(std::move(r));
  }
  return out;
}

namespace {

// Return true when `s` is well-formed UTF-8 (no overlong forms checked: only
// to tell UTF-8 names from Latin-1 ones).
bool is_utf8(std::string_view s)
{
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
    if (n == 9 || i + n >= s.size() + (n == 0 ? 1 : 0)) {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string safe_name(std::string_view name)
{
  constexpr std::size_t k_max = 200;
  std::string utf8;
  if (!is_utf8(name)) {
    // Legacy names written on Latin-1 systems: each byte is its code point.
    for (unsigned char c : name) {
      if (c < 0x80) {
        utf8 += static_cast<char>(c);
      } else {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    name = utf8;
  }
  std::string s = metadata::fold(name);
  std::string out;
  for (unsigned char c : s) {
    if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else if (c <= 0x20 || c >= 0x7F || std::string_view("/\\<>:\"|?*").find(static_cast<char>(c)) !=
                                               std::string_view::npos) {
      out += '_';
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.empty()) {
    out = "unnamed";
  }
  if (out.front() == '.' || out.front() == '-') {
    out.insert(out.begin(), '_');
  }
  if (out.rfind("manifest-", 0) == 0 || out.rfind("tagmanifest-", 0) == 0 || out == "metadata.json") {
    out = "legacy_" + out;
  }
  if (out.size() > k_max) {
    auto dot = out.rfind('.');
    std::string ext = (dot != std::string::npos && out.size() - dot <= 10) ? out.substr(dot) : "";
    out = out.substr(0, k_max - ext.size()) + ext;
  }
  // After truncation, which can itself leave a name ending in ".part".
  if (out.size() >= 5 && out.compare(out.size() - 5, 5, ".part") == 0) {
    if (out.size() >= k_max) {
      out.pop_back();
    }
    out += "_";
  }
  return out;
}

}  // namespace hemera::recover
