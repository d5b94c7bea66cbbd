// SPDX-License-Identifier: Apache-2.0
// DataCite DOIs (seed §12.3): one DOI <prefix>/<uuid> per dataset, landing
// page {catalogue_url}/{uuid}, metadata = the DataCite XML of hemera-export
// sent base64 in the `xml` attribute of DataCite's REST API
// (PUT /dois/{doi}: create-or-update, so a retry is safe). States: draft →
// registered/findable; a registered or findable DOI is never deleted, only
// hidden (findable → registered).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/actor.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>
#include <hemera/metadata/publishability.hpp>

namespace hemera::doi {

// The privileged action of every DOI change (create, publish, update, hide).
inline constexpr const char* k_action = "doi.mint";
// The identifier code space the record carries its DOI under.
inline constexpr const char* k_code_space = "http://dx.doi.org/";

// The doi.* configuration, checked.
struct Settings {
  std::string prefix;          // "10.12345"
  std::string publisher;
  std::string api_url;         // "https://api.test.datacite.org", no trailing slash
  std::string repository_id;   // HTTP Basic user
  std::string password_file;   // owner-only file holding the password
  std::string ca_file;         // extra CA bundle (test servers)
  std::string catalogue_url;   // landing page base
  std::chrono::seconds timeout{60};
  int retries = 3;             // further attempts after a temporary failure
  std::chrono::milliseconds retry_delay{1000};  // first back-off, doubled each time
};

// Read and check the doi.* keys and catalogue_url. `need_api` also requires
// api_url and repository_id (not needed by `check` or a dry run).
Result<Settings> load_settings(const config::Config& config, bool need_api);

// Return the DOI of dataset `uuid`: "<prefix>/<uuid>" in lower case.
std::string doi_of(const Settings& settings, const std::string& uuid);

// Return the landing page of dataset `uuid`: "{catalogue_url}/{uuid}".
std::string landing_page(const Settings& settings, const std::string& uuid);

// Read the DataCite password from the owner-only file (refused, naming the
// file, if it is not owned by the effective user or is group/world accessible).
Result<std::string> read_password(const Settings& settings);

// What a dataset lacks for a DOI.
struct Readiness {
  std::string uuid, doi, landing_page;
  std::vector<metadata::Check> missing;    // errors: each blocks registration
  std::vector<metadata::Check> warnings;
  std::string existing_doi;                // a DOI already in the record's identifiers
  [[nodiscard]] bool ready() const { return missing.empty(); }
};

// Check dataset `uuid` against DataCite's mandatory properties after the
// mapping, and the archive's minimum: abstract, licence, publishable record
// (every error of the publishability profile).
Result<Readiness> check(archive::Archive& archive, const config::Config& config, const Settings& settings,
                        const std::string& uuid);

// A state change sent with the metadata.
enum class Event { none, publish, hide };

// The request hemera-doi sends: method, URL and the exact JSON body.
struct Request {
  std::string method = "PUT";
  std::string url;
  std::string body;
};

// Return the DataCite XML of dataset `uuid`, as `hemera-export --format
// datacite` writes it (default partner).
Result<std::string> datacite_xml(const std::filesystem::path& root, const config::Config& config,
                                 const std::string& uuid);

// Build the PUT request for `doi`: with `xml` (and `url`) unless empty, and
// `event` unless none.
Request build_request(const Settings& settings, const std::string& doi, const std::string& url,
                      const std::string& xml, Event event);

// What DataCite answered about one DOI.
struct Remote {
  long status = 0;
  std::string doi, state, url, created, updated;
  nlohmann::json body;
  int attempts = 1;
};

// One error entry of a DataCite error reply ("source" may be empty).
struct ApiError {
  std::string source, title;
};

// Return the entries of `{"errors":[…]}` in a DataCite reply body.
std::vector<ApiError> parse_errors(const std::string& body);

// Send `request` with HTTP Basic (repository id, `password`), retrying
// temporary failures (connection lost, timeouts, 408/429/5xx) with doubling
// back-off. 401/403 → Errc::config naming the repository id; 404 →
// Errc::no_input; 400/422 → Errc::data with DataCite's errors, field by field
// in `api_errors` when given; other failures per their class.
Result<Remote> send(const Settings& settings, const std::string& password, const Request& request,
                    std::vector<ApiError>* api_errors = nullptr);

// GET /dois/{doi}.
Result<Remote> fetch(const Settings& settings, const std::string& password, const std::string& doi,
                     std::vector<ApiError>* api_errors = nullptr);

// Remember the DataCite state of dataset `uuid`'s DOI in hemera.db.
Result<void> remember(archive::Archive& archive, const std::string& uuid, const Remote& remote,
                      const Actor& actor);

// The DOI state hemera.db remembers for a dataset.
struct Known {
  std::string uuid, doi, state, url, updated_at, updated_by;
};

// Return what hemera.db remembers of dataset `uuid`'s DOI, if anything.
Result<std::optional<Known>> known(archive::Archive& archive, const std::string& uuid);

// Write `doi` into the record's identifiers (code space http://dx.doi.org/)
// as a new journaled revision, unless it is already there. Return the new
// revision number, or nullopt when nothing changed.
Result<std::optional<int>> record_doi(archive::Archive& archive, const config::Config& config,
                                      const std::string& uuid, const std::string& doi, const Actor& actor);

}  // namespace hemera::doi
