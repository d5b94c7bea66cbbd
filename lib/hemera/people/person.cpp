// SPDX-License-Identifier: Apache-2.0
#include <hemera/people/person.hpp>

#include <algorithm>
#include <memory>

#include <curl/curl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <hemera/version.hpp>

namespace hemera::orcid {

namespace {

using json = nlohmann::json;

constexpr std::size_t k_max_response = 1U << 20;

// Return `s` without control characters (C0, DEL, C1), line and paragraph
// separators and bidirectional overrides, with runs of white space folded,
// cut to at most `max` bytes on a character boundary. `s` is valid UTF-8
// (the JSON parser checks it).
std::string printable(std::string_view s, std::size_t max)
{
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    if (i + len > s.size()) {
      break;
    }
    std::string_view ch = s.substr(i, len);
    i += len;
    auto b1 = len > 1 ? static_cast<unsigned char>(ch[1]) : 0U;
    auto b2 = len > 2 ? static_cast<unsigned char>(ch[2]) : 0U;
    bool white = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    bool control = (len == 1 && (c < 0x20 || c == 0x7F)) || (len == 1 && c >= 0x80) ||
                   (c == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) ||
                   (c == 0xE2 && b1 == 0x80 && b2 >= 0xA8 && b2 <= 0xAE) ||
                   (c == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9);
    if (white) {
      space = !out.empty();
      continue;
    }
    if (control) {
      continue;
    }
    std::size_t need = ch.size() + (space ? 1 : 0);
    if (out.size() + need > max) {
      break;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.append(ch);
  }
  return out;
}

// Return obj[key].value when it is a string, else "".
std::string value_of(const json& obj, const char* key)
{
  if (!obj.is_object()) {
    return {};
  }
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) {
    return {};
  }
  auto v = it->find("value");
  if (v == it->end() || !v->is_string()) {
    return {};
  }
  return printable(v->get_ref<const std::string&>(), k_max_name);
}

bool plausible_email(std::string_view e)
{
  auto at = e.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < e.size() &&
         std::all_of(e.begin(), e.end(), [](char c) { return c > 0x20 && c < 0x7F; });
}

bool is_public(const json& entry)
{
  auto it = entry.find("visibility");
  if (it == entry.end() || it->is_null()) {
    return true;  // the public API returns public items only
  }
  if (!it->is_string()) {
    return false;
  }
  std::string v = it->get<std::string>();
  for (auto& ch : v) {
    ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  }
  return v == "public";
}

size_t collect(char* p, size_t size, size_t n, void* user)
{
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > k_max_response) {
    return 0;
  }
  body->append(p, size * n);
  return size * n;
}

bool loopback_http(std::string_view url)
{
  for (std::string_view p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:", "http://[::1]/",
                             "http://localhost:", "http://localhost/"}) {
    if (url.substr(0, p.size()) == p) {
      return true;
    }
  }
  return false;
}

bool canonical_id(std::string_view id)
{
  if (id.size() != 19) {
    return false;
  }
  for (std::size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok = (i == 4 || i == 9 || i == 14) ? c == '-' : (c >= '0' && c <= '9') || (i == 18 && c == 'X');
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string Person::display_name() const
{
  if (!credit_name.empty()) {
    return credit_name;
  }
  if (!given_names.empty() && !family_name.empty()) {
    return given_names + " " + family_name;
  }
  return given_names.empty() ? family_name : given_names;
}

Result<Person> parse_person(std::string_view json_text, std::string_view orcid_id)
{
  auto doc = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(Errc::data, fmt::format("ORCID's answer for {} is not a JSON object", orcid_id), {}, {},
                "orcid.person");
  }
  Person p;
  p.orcid = std::string(orcid_id);
  if (auto name = doc.find("name"); name != doc.end() && name->is_object()) {
    p.given_names = value_of(*name, "given-names");
    p.family_name = value_of(*name, "family-name");
    p.credit_name = value_of(*name, "credit-name");
  }
  auto emails = doc.find("emails");
  if (emails == doc.end() || !emails->is_object()) {
    return p;
  }
  auto list = emails->find("email");
  if (list == emails->end() || !list->is_array()) {
    return p;
  }
  std::vector<std::string> primary;
  std::vector<std::string> others;
  for (const auto& entry : *list) {
    if (!entry.is_object() || !is_public(entry)) {
      continue;
    }
    auto e = entry.find("email");
    if (e == entry.end() || !e->is_string()) {
      continue;
    }
    const auto& raw = e->get_ref<const std::string&>();
    std::string address = printable(raw, k_max_email);
    if (address.size() != raw.size() || !plausible_email(address)) {
      continue;  // cut, or carrying controls or spaces: not an address to show
    }
    auto pr = entry.find("primary");
    bool is_primary = pr != entry.end() && pr->is_boolean() && pr->get<bool>();
    auto& into = is_primary ? primary : others;
    if (std::find(primary.begin(), primary.end(), address) == primary.end() &&
        std::find(others.begin(), others.end(), address) == others.end()) {
      into.push_back(address);
    }
  }
  for (auto* v : {&primary, &others}) {
    for (auto& a : *v) {
      if (p.emails.size() < k_max_emails) {
        p.emails.push_back(std::move(a));
      }
    }
  }
  return p;
}

Result<PublicApi> public_api(const config::Config& config)
{
  PublicApi api;
  api.base_url = config.get_string("orcid.public_api");
  if (api.base_url.empty()) {
    api.base_url = registry_of(config.get_string("orcid.issuer", "https://orcid.org")) == Registry::sandbox
                     ? k_public_api_sandbox
                     : k_public_api_production;
  }
  while (!api.base_url.empty() && api.base_url.back() == '/') {
    api.base_url.pop_back();
  }
  if (api.base_url.rfind("https://", 0) != 0 && !loopback_http(api.base_url + "/")) {
    return fail(Errc::config,
                fmt::format("orcid.public_api must be an https:// URL (plain http only to 127.0.0.1), not '{}'",
                            api.base_url),
                {}, "orcid.public_api");
  }
  api.ca_file = config.get_string("orcid.ca_file");
  return api;
}

Result<std::optional<Person>> fetch_person(const PublicApi& api, std::string_view orcid_id)
{
  if (!canonical_id(orcid_id)) {
    return fail(Errc::usage, fmt::format("'{}' is not a canonical ORCID iD", orcid_id));
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  if (!c) {
    return fail(Errc::internal, "cannot create an HTTP client");
  }
  std::string url = fmt::format("{}/{}/person", api.base_url, orcid_id);
  std::string agent = fmt::format("hemera-tools/{}", version());
  std::string body;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
    curl_slist_append(nullptr, "Accept: application/json"), &curl_slist_free_all);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_USERAGENT, agent.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c.get(), CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, std::min(api.timeout_seconds, 10L));
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, api.timeout_seconds);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  if (!api.ca_file.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_CAINFO, api.ca_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    Errc code = (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
                  ? Errc::temp_fail
                  : Errc::unavailable;
    return fail(code, fmt::format("cannot reach ORCID's public API at {}: {}", api.base_url, curl_easy_strerror(rc)),
                {}, {}, "orcid.unreachable");
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status == 404 || status == 410) {
    return std::optional<Person>{};
  }
  if (status != 200) {
    return fail(status == 429 || status >= 500 ? Errc::temp_fail : Errc::unavailable,
                fmt::format("ORCID's public API answered HTTP {} for {}", status, orcid_id), {}, {}, "orcid.http");
  }
  return std::optional<Person>(HEMERA_TRY(parse_person(body, orcid_id)));
}

}  // namespace hemera::orcid
