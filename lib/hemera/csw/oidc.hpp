// SPDX-License-Identifier: Apache-2.0
// ORCID sign-in, server side, for hemera-csw: the OpenID Connect
// authorization-code flow (scope openid, state, nonce; ORCID has no PKCE), the
// client secret read by hemera-csw alone, the id_token verified with OpenSSL
// (RS256 only, key from the provider's JWKS, iss, aud, exp, nonce, sub's
// check digit), and a one-time code for hemera-login on success.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <hemera/auth/orcid.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>

namespace httplib {
class Server;
}

namespace hemera::csw::oidc {

// The configured OpenID provider and this client's registration.
struct Provider {
  std::string issuer;         // https://orcid.org, https://sandbox.orcid.org
  std::string client_id;
  std::string client_secret;  // from orcid.client_secret_file (owner-only)
  std::string redirect_uri;   // {public_url}/orcid/callback unless configured
  std::string ca_file;        // extra CA bundle for the provider, optional
  orcid::Registry registry = orcid::Registry::production;
};

// Return the provider of the configuration, or nullopt when orcid.client_id
// is not set (sign-in disabled). Reads the client secret file.
Result<std::optional<Provider>> load_provider(const config::Config& config);

// What a valid id_token must say.
struct Expectations {
  std::string issuer;
  std::string audience;  // our client_id
  std::string nonce;
  std::int64_t now = 0;  // Unix seconds
  std::int64_t leeway = 60;
  orcid::Registry registry = orcid::Registry::production;
};

// Verify a compact JWS id_token against the provider's JWKS document and
// return its subject, the canonical ORCID iD. Errc::no_perm naming the reason
// for any token that is not RS256, not signed by a JWKS key, or whose iss,
// aud, exp, iat, nonce or sub is wrong or missing.
Result<std::string> verify_id_token(std::string_view token, std::string_view jwks, const Expectations& expect);

// Decode base64url without padding; nullopt on any other character.
std::optional<std::string> base64url_decode(std::string_view text);

// The sign-in flows in progress, and their completion.
class SignIn {
 public:
  // `root` is the archive whose hemera.db receives the one-time codes.
  SignIn(Provider provider, std::filesystem::path root);

  // Start a sign-in: remember a fresh state and nonce, return the provider's
  // authorization URL.
  Result<std::string> start();

  // Finish a sign-in from the callback's `state` and `code`: exchange the
  // code (with the client secret), verify the id_token, and return the
  // one-time code for hemera-login. Each state is used once.
  Result<std::string> finish(const std::string& state, const std::string& code);

 private:
  struct Pending {
    std::string nonce;
    std::chrono::steady_clock::time_point created;
  };
  Provider m_provider;
  std::filesystem::path m_root;
  std::mutex m_mutex;
  std::map<std::string, Pending> m_pending;
};

// Add GET /orcid/login and GET /orcid/callback to `server`.
void install_routes(httplib::Server& server, std::shared_ptr<SignIn> sign_in);

}  // namespace hemera::csw::oidc
