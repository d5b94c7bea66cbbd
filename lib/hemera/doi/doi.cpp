// SPDX-License-Identifier: Apache-2.0
#include <hemera/doi/doi.hpp>

#include <algorithm>
#include <cctype>
#include <regex>
#include <thread>

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hemera/archive/store.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/export/export.hpp>
#include <hemera/replicate/curl_util.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::doi {

namespace {

using nlohmann::json;
namespace rd = replicate::detail;

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string strip_slash(std::string s)
{
  while (!s.empty() && s.back() == '/') {
    s.pop_back();
  }
  return s;
}

std::string base64(const std::string& data)
{
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// The collection part of a dataset path "DATB/<collection…>/<uuid>".
std::string collection_of(const std::string& path)
{
  auto slash = path.find('/');
  auto last = path.rfind('/');
  return slash < last ? path.substr(slash + 1, last - slash - 1) : "";
}

// The bare DOI of an identifier entry that names one, else "".
std::string doi_in(const json& id)
{
  if (!id.is_object() || !id.contains("code") || !id["code"].is_string()) {
    return {};
  }
  std::string code = id["code"].get<std::string>();
  std::string space = id.contains("codeSpace") && id["codeSpace"].is_string() ? lower(id["codeSpace"].get<std::string>()) : "";
  for (const char* p : {"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"}) {
    if (lower(code).rfind(p, 0) == 0) {
      return code.substr(std::string_view(p).size());
    }
  }
  if (space.find("doi") != std::string::npos || code.rfind("10.", 0) == 0) {
    return code;
  }
  return {};
}

bool loopback_host(const std::string& url)
{
  static const std::regex k_loopback(R"(^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$)",
                                     std::regex::icase);
  return std::regex_match(url, k_loopback);
}

Remote parse_remote(long status, const std::string& body)
{
  Remote r;
  r.status = status;
  r.body = json::parse(body, nullptr, false);
  if (r.body.is_discarded()) {
    r.body = json::object();
  }
  const json* a = nullptr;
  if (r.body.contains("data") && r.body["data"].is_object() && r.body["data"].contains("attributes") &&
      r.body["data"]["attributes"].is_object()) {
    a = &r.body["data"]["attributes"];
  }
  auto text = [&](const char* key) {
    return a != nullptr && a->contains(key) && (*a)[key].is_string() ? (*a)[key].get<std::string>() : std::string();
  };
  r.doi = text("doi");
  r.state = text("state");
  r.url = text("url");
  r.created = text("created");
  r.updated = text("updated");
  return r;
}

// One HTTP exchange, no retry.
Result<std::pair<long, std::string>> exchange(const Settings& s, const std::string& password, const Request& req)
{
  rd::Easy easy;
  CURL* h = easy.fresh();
  if (h == nullptr) {
    return fail(Errc::internal, "cannot create a libcurl handle");
  }
  rd::Slist headers;
  headers.add("Accept: application/vnd.api+json");
  headers.add("Expect:");
  if (req.method != "GET") {
    headers.add("Content-Type: application/vnd.api+json");
  }
  std::string reply;
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(h, CURLOPT_USERNAME, s.repository_id.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rd::string_write);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(s.timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "hemera-doi (hemera-tools)");
  if (!s.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, s.ca_file.c_str());
  }
  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return tl::unexpected(
      rd::curl_error(rc, errbuf, fmt::format("{} {}", req.method, req.url), config::redact_url(s.api_url)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  return std::make_pair(status, std::move(reply));
}

}  // namespace

Result<Settings> load_settings(const config::Config& config, bool need_api)
{
  Settings s;
  s.prefix = config.get_string("doi.prefix");
  s.publisher = config.get_string("doi.publisher");
  s.api_url = strip_slash(config.get_string("doi.api_url"));
  s.repository_id = config.get_string("doi.repository_id");
  s.password_file = config.get_string("doi.password_file");
  s.ca_file = config.get_string("doi.ca_file");
  s.catalogue_url = strip_slash(config.get_string("catalogue_url"));
  static const std::regex k_prefix(R"(^10\.[0-9]{4,9}$)");
  if (s.prefix.empty()) {
    return fail(Errc::config, "no DOI prefix configured (doi.prefix, e.g. \"10.12345\")", {}, "doi.prefix");
  }
  if (!std::regex_match(s.prefix, k_prefix)) {
    return fail(Errc::config, fmt::format("'{}' is not a DOI prefix (10. and 4 to 9 digits)", s.prefix), {},
                "doi.prefix");
  }
  if (s.catalogue_url.empty()) {
    return fail(Errc::config, "no catalogue_url configured: the landing page is {catalogue_url}/{uuid}", {},
                "catalogue_url");
  }
  if (const auto* v = config.find("doi.timeout"); v != nullptr && v->is_string()) {
    s.timeout = HEMERA_TRY(config::parse_duration(v->get<std::string>()));
  }
  if (const auto* v = config.find("doi.retries"); v != nullptr) {
    std::string t = v->is_string() ? v->get<std::string>() : v->dump();
    if (t.empty() || t.size() > 2 || !std::all_of(t.begin(), t.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return fail(Errc::config, fmt::format("doi.retries: expected 0 to 99, found '{}'", t), {}, "doi.retries");
    }
    s.retries = std::stoi(t);
  }
  if (!need_api) {
    return s;
  }
  if (s.api_url.empty()) {
    return fail(Errc::config,
                "no DataCite API configured (doi.api_url: https://api.test.datacite.org for tests, "
                "https://api.datacite.org for production)",
                {}, "doi.api_url");
  }
  if (lower(s.api_url).rfind("https://", 0) != 0 && !loopback_host(s.api_url)) {
    return fail(Errc::config,
                fmt::format("doi.api_url must be https:// (plain http only to 127.0.0.1): {}",
                            config::redact_url(s.api_url)),
                {}, "doi.api_url");
  }
  if (s.repository_id.empty()) {
    return fail(Errc::config, "no DataCite repository configured (doi.repository_id)", {}, "doi.repository_id");
  }
  if (s.password_file.empty()) {
    return fail(Errc::config, "no DataCite password file configured (doi.password_file, owner-only)", {},
                "doi.password_file");
  }
  return s;
}

std::string doi_of(const Settings& settings, const std::string& uuid)
{
  return lower(settings.prefix + "/" + uuid);
}

std::string landing_page(const Settings& settings, const std::string& uuid)
{
  return settings.catalogue_url + "/" + lower(uuid);
}

Result<std::string> read_password(const Settings& settings)
{
  const std::string& path = settings.password_file;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    Error e = errno_error(errno, "cannot read the DataCite password file", path);
    e.code = Errc::config;
    e.field = "doi.password_file";
    return tl::unexpected(e);
  }
  struct stat st {};
  int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0 || !S_ISREG(st.st_mode)) {
    return fail(Errc::config, "the DataCite password file is not a regular file", path, "doi.password_file",
                "config.secret-mode");
  }
  if (st.st_uid != ::geteuid()) {
    return fail(Errc::config,
                fmt::format("the DataCite password file must belong to the user running the tool (uid {}), "
                            "not uid {}",
                            ::geteuid(), st.st_uid),
                path, "doi.password_file", "config.secret-owner");
  }
  auto text = config::read_secret_file(path);
  if (!text) {
    Error e = text.error();
    e.field = "doi.password_file";
    return tl::unexpected(e);
  }
  if (text->empty()) {
    return fail(Errc::config, "the DataCite password file is empty", path, "doi.password_file");
  }
  return *text;
}

Result<Readiness> check(archive::Archive& archive, const config::Config& config, const Settings& settings,
                        const std::string& uuid)
{
  auto found = HEMERA_TRY(archive::find_dataset(archive, uuid));
  if (!found) {
    return fail(Errc::no_input, fmt::format("no dataset {} in the archive", uuid));
  }
  auto record = HEMERA_TRY(archive::read_record(archive, *found));
  Readiness out;
  out.uuid = found->uuid;
  out.doi = doi_of(settings, found->uuid);
  out.landing_page = landing_page(settings, found->uuid);
  auto defaults = catalog::defaults_for(config, collection_of(found->path));
  auto profile = metadata::check_record(record, defaults, archive::now_iso8601());
  for (auto& c : profile.checks) {
    (c.level == metadata::Check::Level::error ? out.missing : out.warnings).push_back(c);
  }
  const json& doc = record.doc();
  auto error = [&](const char* rule, const char* path, std::string message) {
    out.missing.push_back({metadata::Check::Level::error, rule, path, std::move(message)});
  };
  auto has_text = [](const json* v) { return v != nullptr && v->is_string() && !v->get<std::string>().empty(); };
  const json* di = doc.contains("distributionInformation") && doc["distributionInformation"].is_object()
                     ? &doc["distributionInformation"]
                     : nullptr;
  auto field = [&](const char* key) -> const json* {
    return di != nullptr && di->contains(key) ? &(*di)[key] : nullptr;
  };
  if (!has_text(field("licenceName")) && !has_text(field("dataPolicyUrl"))) {
    error("doi.licence", "$.distributionInformation.licenceName",
          "a licence is required for a DOI (licenceName, or a dataPolicyUrl)");
  }
  bool abstract = false;
  if (doc.contains("resourceAbstract") && doc["resourceAbstract"].is_object()) {
    for (const auto& [lang, text] : doc["resourceAbstract"].items()) {
      abstract = abstract || (text.is_string() && !text.get<std::string>().empty());
    }
  }
  if (!abstract && std::none_of(out.missing.begin(), out.missing.end(),
                                [](const metadata::Check& c) { return c.rule == "inspire.abstract"; })) {
    error("doi.abstract", "$.resourceAbstract", "an abstract is required for a DOI");
  }
  if (settings.publisher.empty() && std::none_of(out.missing.begin(), out.missing.end(), [](const metadata::Check& c) {
        return c.rule == "doi.publisher";
      })) {
    error("doi.publisher", "doi.publisher", "a publisher is required (doi.publisher in the configuration)");
  }
  if (doc.contains("identifiers") && doc["identifiers"].is_array()) {
    for (const auto& id : doc["identifiers"]) {
      std::string d = doi_in(id);
      if (d.empty()) {
        continue;
      }
      out.existing_doi = d;
      if (lower(d) != out.doi) {
        error("doi.identifier", "$.identifiers",
              fmt::format("the record already carries another DOI, {}; hemera-doi manages {} only", d, out.doi));
      }
    }
  }
  return out;
}

Result<std::string> datacite_xml(const std::filesystem::path& root, const config::Config& config,
                                 const std::string& uuid)
{
  auto source = interop::archive_source(root);
  auto entry = HEMERA_TRY(source->find(uuid));
  auto partner = HEMERA_TRY(interop::load_partner(config, "default"));
  return interop::render(interop::Schema::datacite, entry, partner, config);
}

Request build_request(const Settings& settings, const std::string& doi, const std::string& url,
                      const std::string& xml, Event event)
{
  json attributes = {{"doi", doi}};
  if (!url.empty()) {
    attributes["url"] = url;
  }
  if (!xml.empty()) {
    attributes["xml"] = base64(xml);
  }
  if (event == Event::publish) {
    attributes["event"] = "publish";
  } else if (event == Event::hide) {
    attributes["event"] = "hide";
  }
  Request r;
  r.method = "PUT";
  r.url = settings.api_url + "/dois/" + rd::url_path_escape(doi);
  r.body = json{{"data", {{"type", "dois"}, {"id", doi}, {"attributes", attributes}}}}.dump();
  return r;
}

std::vector<ApiError> parse_errors(const std::string& body)
{
  std::vector<ApiError> out;
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array()) {
    return out;
  }
  for (const auto& e : j["errors"]) {
    if (!e.is_object()) {
      continue;
    }
    ApiError a;
    if (e.contains("source") && e["source"].is_string()) {
      a.source = e["source"].get<std::string>();
    } else if (e.contains("source") && e["source"].is_object() && e["source"].contains("pointer") &&
               e["source"]["pointer"].is_string()) {
      a.source = e["source"]["pointer"].get<std::string>();
    }
    if (e.contains("title") && e["title"].is_string()) {
      a.title = e["title"].get<std::string>();
    }
    // Keep messages on one line each.
    for (auto* s : {&a.source, &a.title}) {
      std::replace_if(s->begin(), s->end(), [](unsigned char c) { return c < 0x20; }, ' ');
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<Remote> send(const Settings& settings, const std::string& password, const Request& request,
                    std::vector<ApiError>* api_errors)
{
  rd::global_init();
  auto delay = settings.retry_delay;
  Error last;
  for (int attempt = 0; attempt <= settings.retries; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
    auto got = exchange(settings, password, request);
    if (!got) {
      last = got.error();
      if (last.code == Errc::temp_fail) {
        continue;
      }
      return tl::unexpected(last);
    }
    auto [status, body] = *got;
    if (status >= 200 && status < 300) {
      Remote r = parse_remote(status, body);
      r.attempts = attempt + 1;
      return r;
    }
    auto errors = parse_errors(body);
    std::string titles;
    for (const auto& e : errors) {
      titles += (titles.empty() ? "" : "; ") + (e.source.empty() ? e.title : e.source + ": " + e.title);
    }
    if (status == 401 || status == 403) {
      return fail(Errc::config,
                  fmt::format("DataCite refused the credentials of repository {} (HTTP {}{}{}); check "
                              "doi.repository_id and the password file",
                              settings.repository_id, status, titles.empty() ? "" : ": ", titles),
                  config::redact_url(settings.api_url), "doi.repository_id", "datacite.credentials");
    }
    if (status == 404) {
      return fail(Errc::no_input, fmt::format("DataCite has no DOI at {} (HTTP 404)", request.url), {}, {},
                  "datacite.not-found");
    }
    if (status == 400 || status == 422) {
      if (api_errors != nullptr) {
        *api_errors = errors;
      }
      return fail(Errc::data,
                  fmt::format("DataCite refused the request (HTTP {}): {}", status,
                              titles.empty() ? std::string("no reason given") : titles),
                  {}, errors.empty() ? std::string() : errors.front().source, "datacite.invalid");
    }
    Errc c = rd::http_errc(status);
    last = Error{c, fmt::format("DataCite answered HTTP {}{}{}", status, titles.empty() ? "" : ": ", titles),
                 config::redact_url(settings.api_url), {}, "datacite.http"};
    if (c != Errc::temp_fail) {
      return tl::unexpected(last);
    }
  }
  last.message += fmt::format(" (after {} attempt{})", settings.retries + 1, settings.retries == 0 ? "" : "s");
  return tl::unexpected(last);
}

Result<Remote> fetch(const Settings& settings, const std::string& password, const std::string& doi,
                     std::vector<ApiError>* api_errors)
{
  Request r;
  r.method = "GET";
  r.url = settings.api_url + "/dois/" + rd::url_path_escape(doi);
  return send(settings, password, r, api_errors);
}

Result<void> remember(archive::Archive& archive, const std::string& uuid, const Remote& remote, const Actor& actor)
{
  return archive.db().exec(
    "INSERT INTO dois(uuid, doi, state, url, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT(uuid) DO UPDATE SET doi = excluded.doi, state = excluded.state, url = excluded.url, "
    "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    {uuid, lower(remote.doi), remote.state, remote.url, archive::now_iso8601(), actor.name});
}

Result<std::optional<Known>> known(archive::Archive& archive, const std::string& uuid)
{
  auto rows = HEMERA_TRY(archive.db().query(
    "SELECT uuid, doi, state, url, updated_at, updated_by FROM dois WHERE uuid = ?1", {uuid}));
  if (rows.empty()) {
    return std::optional<Known>{};
  }
  const auto& r = rows.front();
  return std::optional<Known>(Known{r[0].text, r[1].text, r[2].text, r[3].text, r[4].text, r[5].text});
}

Result<std::optional<int>> record_doi(archive::Archive& archive, const config::Config& config, const std::string& uuid,
                                      const std::string& doi, const Actor& actor)
{
  auto found = HEMERA_TRY(archive::find_dataset(archive, uuid));
  if (!found) {
    return fail(Errc::no_input, fmt::format("no dataset {} in the archive", uuid));
  }
  auto defaults = catalog::defaults_for(config, collection_of(found->path));
  auto r = HEMERA_TRY(catalog::revise(
    archive, uuid, actor,
    [&](json& doc) -> Result<void> {
      if (!doc.contains("identifiers") || !doc["identifiers"].is_array()) {
        doc["identifiers"] = json::array();
      }
      for (const auto& id : doc["identifiers"]) {
        if (lower(doi_in(id)) == lower(doi)) {
          return {};
        }
      }
      doc["identifiers"].push_back({{"code", doi}, {"codeSpace", k_code_space}});
      return {};
    },
    defaults));
  if (!r.changed) {
    return std::optional<int>{};
  }
  return std::optional<int>(r.revision);
}

}  // namespace hemera::doi
