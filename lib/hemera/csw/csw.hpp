// SPDX-License-Identifier: Apache-2.0
// OGC CSW 2.0.2 (discovery) per partner: GetCapabilities, DescribeRecord,
// GetRecords (KVP and XML POST, CQL_TEXT and OGC Filter 1.1), GetRecordById,
// OWS exception reports; and the landing page of each record. The request
// handling is independent of the HTTP server (server.cpp, cpp-httplib).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <hemera/config.hpp>
#include <hemera/error.hpp>
#include <hemera/export/export.hpp>

namespace httplib {
class Server;
}

namespace hemera::csw {

// A response to send: status, content type, body.
struct Response {
  int status = 200;
  std::string content_type = "application/xml; charset=UTF-8";
  std::string body;
};

// One partner's CSW container.
struct Container {
  interop::Partner partner;
};

// The archive whose catalogue index answers the requests, and the partners.
// Nothing of the records is held: each request reads the index (read-only,
// one connection per server thread) and only the records of its page.
struct Catalogue {
  config::Config config;
  std::string public_url;  // base of the operation URLs
  std::filesystem::path root;
  std::map<std::string, Container> containers;
};

// Prepare to serve the archive at `root` with one container per configured
// partner; Errc::config if the catalogue index is missing or out of date.
Result<std::shared_ptr<const Catalogue>> open(const config::Config& config, const std::filesystem::path& root);

// Return the record `uuid` as `partner` serves it; Errc::no_input if the
// partner does not receive it.
Result<interop::Entry> find_record(const Catalogue& catalogue, const std::string& partner, const std::string& uuid);

// Answer a CSW request for `partner`: `kvp` holds the query parameters (keys
// in any case), `body` the POSTed XML (empty for GET).
Response handle(const Catalogue& catalogue, const std::string& partner,
                const std::multimap<std::string, std::string>& kvp, const std::string& body);

// Answer GET /<uuid>: an HTML page (every field escaped) or, when `json`, the record.
Response landing_page(const Catalogue& catalogue, const std::string& uuid, bool json);

// How the server runs.
struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 8;
  std::size_t max_request_bytes = 1 << 20;
  int timeout_seconds = 10;
  // More routes (the ORCID sign-in of oidc.hpp), added before listening.
  std::function<void(httplib::Server&)> extra_routes;
};

// Serve /csw/<partner> and /<uuid> until SIGINT or SIGTERM.
Result<void> serve(std::shared_ptr<const Catalogue> catalogue, const ServeOptions& options);

}  // namespace hemera::csw
