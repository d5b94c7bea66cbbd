// SPDX-License-Identifier: Apache-2.0
#include <hemera/metadata/record.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <hemera/checksum.hpp>
#include <hemera/uuid.hpp>

namespace hemera::metadata {

std::string Text::get(const std::string& lang) const
{
  for (const auto& key : {lang, std::string("en"), std::string("DEFAULT_VALUE_KEY")}) {
    auto it = values.find(key);
    if (it != values.end() && !it->second.empty()) {
      return it->second;
    }
  }
  for (const auto& [k, v] : values) {
    if (!v.empty()) {
      return v;
    }
  }
  return {};
}

namespace detail {

bool read_value(const json& j, std::string& out)
{
  if (!j.is_string()) {
    return false;
  }
  out = j.get<std::string>();
  return true;
}

bool read_value(const json& j, double& out)
{
  if (j.is_number_float()) {
    out = j.get<double>();
    return true;
  }
  // An integer is taken only when a double holds it exactly (lossless).
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u > (std::uint64_t{1} << 53)) {
      return false;
    }
    out = static_cast<double>(u);
    return true;
  }
  if (j.is_number_integer()) {
    auto i = j.get<std::int64_t>();
    if (i > (std::int64_t{1} << 53) || i < -(std::int64_t{1} << 53)) {
      return false;
    }
    out = static_cast<double>(i);
    return true;
  }
  return false;
}

bool read_value(const json& j, std::int64_t& out)
{
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return false;
  }
  if (!j.is_number_integer()) {
    return false;
  }
  out = j.get<std::int64_t>();
  return true;
}

bool read_value(const json& j, bool& out)
{
  if (!j.is_boolean()) {
    return false;
  }
  out = j.get<bool>();
  return true;
}

bool read_value(const json& j, Text& out)
{
  if (!j.is_object() || j.empty()) {
    return false;
  }
  Text t;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) {
      return false;
    }
    t.values[k] = v.get<std::string>();
  }
  out = std::move(t);
  return true;
}

json write_value(const std::string& v)
{
  return v;
}

json write_value(double v)
{
  // Keep integral values integral ("altitude": 1200, not 1200.0).
  if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9.0e15) {
    return static_cast<std::int64_t>(v);
  }
  return v;
}

json write_value(std::int64_t v)
{
  return v;
}

json write_value(bool v)
{
  return v;
}

json write_value(const Text& v)
{
  json o = json::object();
  for (const auto& [k, s] : v.values) {
    o[k] = s;
  }
  return o;
}

}  // namespace detail

Result<Record> Record::from_json(json doc)
{
  if (!doc.is_object()) {
    return fail(Errc::data, "a record is a JSON object", {}, {}, "record.type");
  }
  // Annex 1 prints both "plateforms" and "platforms": read the misspelling as
  // an alias and never write it.
  if (doc.contains("plateforms")) {
    json alias = doc["plateforms"];
    doc.erase("plateforms");
    if (!doc.contains("platforms") || doc["platforms"].is_null()) {
      doc["platforms"] = alias.is_null() ? json::array() : alias;
    } else if (alias.is_array() && doc["platforms"].is_array()) {
      for (auto& p : alias) {
        if (std::find(doc["platforms"].begin(), doc["platforms"].end(), p) ==
            doc["platforms"].end()) {
          doc["platforms"].push_back(p);
        }
      }
    }
  }
  // Annex 1 prints a contact's "roles" as a string once: read it as an array.
  if (doc.contains("contacts") && doc["contacts"].is_array()) {
    for (auto& c : doc["contacts"]) {
      if (c.is_object() && c.contains("roles") && c["roles"].is_string()) {
        std::string r = c["roles"].get<std::string>();
        c["roles"] = r.find_first_not_of(' ') == std::string::npos ? json::array() : json::array({r});
      }
    }
  }
  Record rec;
  rec.m_doc = std::move(doc);
  return rec;
}

namespace {

// Return true if `j` holds a number JSON cannot write back (1e400 parses as
// infinity and would be written as null).
bool has_nonfinite(const json& j, int depth = 0)
{
  if (depth > 256) {
    return true;
  }
  if (j.is_number_float()) {
    return !std::isfinite(j.get<double>());
  }
  if (j.is_structured()) {
    for (const auto& e : j) {
      if (has_nonfinite(e, depth + 1)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

Result<Record> Record::parse(std::string_view text, const std::string& name)
{
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return fail(Errc::data, fmt::format("not valid JSON: {}", e.what()), name, {}, "record.syntax");
  }
  if (has_nonfinite(doc)) {
    return fail(Errc::data, "a number is out of range, or the document is nested too deeply", name,
                {}, "record.syntax");
  }
  auto r = from_json(std::move(doc));
  if (!r) {
    return tl::unexpected(with_where(r.error(), name));
  }
  return r;
}

std::string Record::dump() const
{
  return m_doc.dump(2) + "\n";
}

Result<void> Record::check_identity() const
{
  auto i = id();
  auto ident = identifier();
  if (!i || !ident) {
    return fail(Errc::data, "the record needs both id and identifier", {}, "id", "record.identity");
  }
  if (*i != *ident) {
    return fail(Errc::data, fmt::format("id ({}) and identifier ({}) differ", *i, *ident), {},
                "identifier", "record.identity");
  }
  auto u = uuid::check_rfc4122(*i);
  if (!u) {
    return fail(Errc::data, u.error().message, {}, "id", "record.identity");
  }
  return {};
}

std::optional<std::string> Record::last_modification() const
{
  auto it = m_doc.find("lastModification");
  if (it == m_doc.end() || !it->is_object() || !it->contains("value") ||
      !(*it)["value"].is_string()) {
    return std::nullopt;
  }
  return (*it)["value"].get<std::string>();
}

void Record::set_last_modification(const std::string& iso8601)
{
  if (!m_doc.contains("lastModification") || !m_doc["lastModification"].is_object()) {
    m_doc["lastModification"] = json::object();
  }
  m_doc["lastModification"]["value"] = iso8601;
}

namespace {

json scalar_to_json(const YAML::Node& n)
{
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") {  // quoted: always a string
    return s;
  }
  if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) {
    return nullptr;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    return false;
  }
  // Integers and decimals in plain YAML 1.2 core form only (so that ORCID iDs,
  // dates and version strings stay strings).
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digits = i < s.size();
  bool dot = false;
  bool exp = false;
  for (std::size_t k = i; k < s.size() && digits; ++k) {
    char c = s[k];
    if (c >= '0' && c <= '9') {
      continue;
    }
    if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && !exp && k > i && k + 1 < s.size()) {
      exp = true;
      if (s[k + 1] == '-' || s[k + 1] == '+') {
        ++k;
      }
    } else {
      digits = false;
    }
  }
  if (digits) {
    if (!dot && !exp) {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(s.c_str(), &end, 10);
      if (errno == 0 && end != nullptr && *end == '\0') {
        return static_cast<std::int64_t>(v);
      }
    } else {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (end != nullptr && *end == '\0' && std::isfinite(d)) {
        return d;
      }
    }
  }
  return s;
}

// `budget` counts down the nodes left to convert: aliases share nodes, so a
// few hundred bytes can name billions of them ("billion laughs").
Result<json> yaml_to_json(const YAML::Node& n, const std::string& name, int depth, std::size_t& budget)
{
  if (depth > 64) {
    return fail(Errc::data, "form nested too deeply", name, {}, "form.depth");
  }
  if (budget == 0) {
    return fail(Errc::data, "the form's aliases expand to too many values", name, {}, "form.size");
  }
  --budget;
  switch (n.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined: return json(nullptr);
  case YAML::NodeType::Scalar: return scalar_to_json(n);
  case YAML::NodeType::Sequence: {
    json a = json::array();
    for (const auto& e : n) {
      a.push_back(HEMERA_TRY(yaml_to_json(e, name, depth + 1, budget)));
    }
    return a;
  }
  case YAML::NodeType::Map: {
    json o = json::object();
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        return fail(Errc::data, "a form key must be a plain string",
                    fmt::format("{}:{}", name, kv.first.Mark().line + 1), {}, "form.key");
      }
      std::string key = kv.first.Scalar();
      if (o.contains(key)) {
        return fail(Errc::data, fmt::format("duplicate key '{}'", key),
                    fmt::format("{}:{}", name, kv.first.Mark().line + 1), key, "form.duplicate");
      }
      o[key] = HEMERA_TRY(yaml_to_json(kv.second, name, depth + 1, budget));
    }
    return o;
  }
  }
  return json(nullptr);
}

}  // namespace

Result<json> parse_form(std::string_view text, const std::string& name)
{
  // JSON is valid YAML, but parse it as JSON when it looks like JSON, for
  // exact numbers and precise messages.
  auto first = text.find_first_not_of(" \t\r\n");
  json form;
  if (first != std::string_view::npos && text[first] == '{') {
    try {
      form = json::parse(text);
    } catch (const json::exception& e) {
      return fail(Errc::data, fmt::format("not valid JSON: {}", e.what()), name, {}, "form.syntax");
    }
  } else {
    try {
      YAML::Node root = YAML::Load(std::string(text));
      if (!root.IsMap()) {
        return fail(Errc::data, "a form is a mapping of record keys (YAML or JSON object)", name,
                    {}, "form.type");
      }
      // Without aliases a document has about as many values as bytes, at most.
      std::size_t budget = text.size() + 1000;
      form = HEMERA_TRY(yaml_to_json(root, name, 0, budget));
    } catch (const YAML::Exception& e) {
      return fail(Errc::data, e.msg, fmt::format("{}:{}", name, e.mark.line + 1), {}, "form.syntax");
    }
  }
  if (has_nonfinite(form)) {
    return fail(Errc::data, "a number is out of range, or the form is nested too deeply", name, {},
                "form.syntax");
  }
  try {
    (void)form.dump();  // every string must be UTF-8 to be written in the record
  } catch (const json::exception&) {
    return fail(Errc::data, "the form is not valid UTF-8", name, {}, "form.encoding");
  }
  return form;
}

std::string form_hash(const json& form)
{
  return checksum::sha256(form.dump()).hex();
}

}  // namespace hemera::metadata
