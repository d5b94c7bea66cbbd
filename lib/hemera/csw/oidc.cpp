// SPDX-License-Identifier: Apache-2.0
#include <hemera/csw/oidc.hpp>

#include <ctime>

#include <curl/curl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/session.hpp>
#include <hemera/util/json.hpp>

namespace hemera::csw::oidc {

namespace {

constexpr auto k_state_lifetime = std::chrono::minutes(10);
constexpr std::size_t k_max_pending = 10000;
constexpr std::size_t k_max_response = 1U << 20;

using json = nlohmann::json;

Error refused(std::string message, std::string rule)
{
  return Error{Errc::no_perm, "id_token refused: " + std::move(message), {}, {}, std::move(rule)};
}

std::string random_hex(std::size_t bytes)
{
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return {};
  }
  std::string out;
  for (char c : raw) {
    out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  }
  return out;
}

std::string html_escape(std::string_view s)
{
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20) {
        out.push_back(c);
      }
    }
  }
  return out;
}

// True for http:// to the loopback interface, the only place plain HTTP is allowed.
bool loopback_http(std::string_view url)
{
  for (std::string_view p : {"http://127.0.0.1:", "http://127.0.0.1/", "http://[::1]:", "http://[::1]/",
                             "http://localhost:", "http://localhost/"}) {
    if (url.substr(0, p.size()) == p) {
      return true;
    }
  }
  return url == "http://127.0.0.1" || url == "http://localhost" || url == "http://[::1]";
}

Result<void> check_endpoint(const std::string& url, const char* key)
{
  if (url.rfind("https://", 0) == 0 || loopback_http(url)) {
    return {};
  }
  return fail(Errc::config, fmt::format("{} must be an https:// URL (plain http only to 127.0.0.1), not '{}'", key, url),
              {}, key);
}

std::string form_escape(CURL* c, const std::string& s)
{
  char* e = curl_easy_escape(c, s.c_str(), static_cast<int>(s.size()));
  std::string out = e != nullptr ? e : "";
  curl_free(e);
  return out;
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

// GET (no form) or POST (form) to the provider; return status and body.
Result<std::pair<long, std::string>> http(const Provider& p, const std::string& url,
                                          const std::vector<std::pair<std::string, std::string>>* form)
{
  HEMERA_TRY(check_endpoint(url, "orcid.issuer"));
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  if (!c) {
    return fail(Errc::internal, "cannot create an HTTP client");
  }
  std::string body;
  std::string fields;
  if (form != nullptr) {
    for (const auto& [k, v] : *form) {
      if (!fields.empty()) {
        fields.push_back('&');
      }
      fields.append(form_escape(c.get(), k));
      fields.push_back('=');
      fields.append(form_escape(c.get(), v));
    }
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, fields.c_str());
  }
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, &collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &body);
  if (!p.ca_file.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_CAINFO, p.ca_file.c_str());
  }
  CURLcode rc = curl_easy_perform(c.get());
  curl_slist_free_all(headers);
  // Clear the secret from the form buffer.
  std::fill(fields.begin(), fields.end(), '\0');
  if (rc != CURLE_OK) {
    Errc code = (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT) ? Errc::temp_fail : Errc::unavailable;
    return fail(code, fmt::format("cannot reach the ORCID provider: {}", curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  return std::make_pair(status, body);
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Build an RSA public key from a JWK's n and e.
Result<Pkey> rsa_key(const json& jwk)
{
  if (!jwk.contains("n") || !jwk.contains("e") || !jwk["n"].is_string() || !jwk["e"].is_string()) {
    return tl::unexpected(refused("the JWKS key has no RSA modulus or exponent", "oidc.jwks"));
  }
  auto n = base64url_decode(jwk["n"].get<std::string>());
  auto e = base64url_decode(jwk["e"].get<std::string>());
  if (!n || !e || n->size() < 256 || e->empty() || e->size() > 8) {
    return tl::unexpected(refused("the JWKS key is not an RSA key of at least 2048 bits", "oidc.jwks"));
  }
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_n(
    BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr), &BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn_e(
    BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr), &BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return fail(Errc::internal, "cannot build the RSA key");
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return tl::unexpected(refused("the JWKS key is not a usable RSA key", "oidc.jwks"));
  }
  return Pkey(raw);
}

bool rs256_verifies(EVP_PKEY* key, std::string_view signed_part, const std::string& signature)
{
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return md && EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) == 1 &&
         EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
}

std::string iso(std::int64_t t)
{
  auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text)
{
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFU));
    }
  }
  return out;
}

Result<std::string> verify_id_token(std::string_view token, std::string_view jwks, const Expectations& expect)
{
  auto d1 = token.find('.');
  auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d1 == std::string_view::npos || d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return tl::unexpected(refused("not a compact JWS (three base64url parts)", "oidc.format"));
  }
  auto header_raw = base64url_decode(token.substr(0, d1));
  auto payload_raw = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  auto signature = base64url_decode(token.substr(d2 + 1));
  if (!header_raw || !payload_raw || !signature) {
    return tl::unexpected(refused("a part is not base64url", "oidc.format"));
  }
  auto header = json::parse(*header_raw, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    return tl::unexpected(refused("the header is not a JSON object", "oidc.format"));
  }
  // The algorithm is ours to choose, never the token's.
  std::string alg = header.contains("alg") && header["alg"].is_string() ? header["alg"].get<std::string>() : "";
  if (alg != "RS256") {
    return tl::unexpected(refused(fmt::format("algorithm '{}' (only RS256 is accepted)", alg), "oidc.alg"));
  }
  auto keys = json::parse(jwks, nullptr, false);
  if (keys.is_discarded() || !keys.is_object() || !keys.contains("keys") || !keys["keys"].is_array()) {
    return tl::unexpected(refused("the provider's JWKS is not a key set", "oidc.jwks"));
  }
  std::string kid = header.contains("kid") && header["kid"].is_string() ? header["kid"].get<std::string>() : "";
  const json* jwk = nullptr;
  std::size_t rsa_keys = 0;
  for (const auto& k : keys["keys"]) {
    if (!k.is_object() || util::member_or<std::string>(k, "kty", "") != "RSA" || (k.contains("use") && k["use"] != "sig") ||
        (k.contains("alg") && k["alg"] != "RS256")) {
      continue;
    }
    ++rsa_keys;
    if (kid.empty() || (k.contains("kid") && k["kid"] == kid)) {
      jwk = &k;
    }
  }
  if (jwk == nullptr || (kid.empty() && rsa_keys != 1)) {
    return tl::unexpected(refused(fmt::format("no RS256 signing key '{}' in the provider's JWKS", kid), "oidc.jwks"));
  }
  auto key = HEMERA_TRY(rsa_key(*jwk));
  if (!rs256_verifies(key.get(), token.substr(0, d2), *signature)) {
    return tl::unexpected(
      refused("the signature does not verify with the provider's key (forged or altered token)", "oidc.signature"));
  }
  auto claims = json::parse(*payload_raw, nullptr, false);
  if (claims.is_discarded() || !claims.is_object()) {
    return tl::unexpected(refused("the claims are not a JSON object", "oidc.format"));
  }
  auto text = [&](const char* k) {
    return claims.contains(k) && claims[k].is_string() ? claims[k].get<std::string>() : std::string();
  };
  if (text("iss") != expect.issuer) {
    return tl::unexpected(refused(fmt::format("issuer '{}' is not the configured '{}'", text("iss"), expect.issuer),
                                  "oidc.iss"));
  }
  bool aud_ok = false;
  if (claims.contains("aud") && claims["aud"].is_string()) {
    aud_ok = claims["aud"] == expect.audience;
  } else if (claims.contains("aud") && claims["aud"].is_array()) {
    for (const auto& a : claims["aud"]) {
      aud_ok = aud_ok || a == expect.audience;
    }
    if (aud_ok && claims["aud"].size() > 1 && text("azp") != expect.audience) {
      aud_ok = false;
    }
  }
  if (!aud_ok) {
    return tl::unexpected(refused(fmt::format("audience {} is not this client ({})",
                                              claims.contains("aud") ? claims["aud"].dump() : "(none)", expect.audience),
                                  "oidc.aud"));
  }
  if (!claims.contains("exp") || !claims["exp"].is_number()) {
    return tl::unexpected(refused("it has no expiry (exp)", "oidc.exp"));
  }
  // Times are compared as they came (a double) and converted only once in range.
  const double exp = claims["exp"].get<double>();
  if (!(exp >= 0 && exp < 1e11)) {
    return tl::unexpected(refused("its expiry (exp) is not a time", "oidc.exp"));
  }
  if (static_cast<std::int64_t>(exp) + expect.leeway <= expect.now) {
    return tl::unexpected(refused(fmt::format("it expired at {}", iso(static_cast<std::int64_t>(exp))), "oidc.exp"));
  }
  if (claims.contains("iat") && claims["iat"].is_number() &&
      claims["iat"].get<double>() > static_cast<double>(expect.now + expect.leeway)) {
    return tl::unexpected(refused("it was issued in the future (iat)", "oidc.iat"));
  }
  if (text("nonce").empty() || text("nonce") != expect.nonce) {
    return tl::unexpected(refused("its nonce is not the one this sign-in sent (replayed or injected token)",
                                  "oidc.nonce"));
  }
  auto sub = orcid::parse(text("sub"), expect.registry);
  if (!sub) {
    return tl::unexpected(refused(fmt::format("its subject is not a valid ORCID iD: {}", sub.error().message),
                                  "oidc.sub"));
  }
  return *sub;
}

Result<std::optional<Provider>> load_provider(const config::Config& config)
{
  Provider p;
  p.client_id = config.get_string("orcid.client_id");
  if (p.client_id.empty()) {
    return std::optional<Provider>{};
  }
  p.issuer = config.get_string("orcid.issuer", "https://orcid.org");
  while (!p.issuer.empty() && p.issuer.back() == '/') {
    p.issuer.pop_back();
  }
  HEMERA_TRY(check_endpoint(p.issuer, "orcid.issuer"));
  p.registry = orcid::registry_of(p.issuer);
  std::string secret_file = config.get_string("orcid.client_secret_file");
  if (secret_file.empty()) {
    return fail(Errc::config, "orcid.client_id is set but orcid.client_secret_file is not", {},
                "orcid.client_secret_file");
  }
  p.client_secret = HEMERA_TRY(config::read_secret_file(secret_file));
  if (p.client_secret.empty()) {
    return fail(Errc::config, "the ORCID client secret file is empty", secret_file, "orcid.client_secret_file");
  }
  p.redirect_uri = config.get_string("orcid.redirect_uri");
  if (p.redirect_uri.empty()) {
    p.redirect_uri = config.get_string("public_url", config.get_string("catalogue_url")) + "/orcid/callback";
  }
  HEMERA_TRY(check_endpoint(p.redirect_uri, "orcid.redirect_uri"));
  p.ca_file = config.get_string("orcid.ca_file");
  return std::optional<Provider>(std::move(p));
}

SignIn::SignIn(Provider provider, std::filesystem::path root)
  : m_provider(std::move(provider)), m_root(std::move(root))
{
}

Result<std::string> SignIn::start()
{
  std::string state = random_hex(32);
  std::string nonce = random_hex(32);
  if (state.empty() || nonce.empty()) {
    return fail(Errc::internal, "the random number generator failed");
  }
  {
    std::lock_guard lock(m_mutex);
    auto now = std::chrono::steady_clock::now();
    if (m_pending.size() >= k_max_pending) {
      std::erase_if(m_pending, [&](const auto& kv) { return now - kv.second.created > k_state_lifetime; });
    }
    if (m_pending.size() >= k_max_pending) {
      return fail(Errc::temp_fail, "too many sign-ins in progress; try again in a few minutes");
    }
    m_pending[state] = Pending{nonce, now};
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), &curl_easy_cleanup);
  return fmt::format("{}/oauth/authorize?client_id={}&response_type=code&scope=openid&redirect_uri={}&state={}&nonce={}",
                     m_provider.issuer, form_escape(c.get(), m_provider.client_id),
                     form_escape(c.get(), m_provider.redirect_uri), state, nonce);
}

Result<std::string> SignIn::finish(const std::string& state, const std::string& code)
{
  std::string nonce;
  {
    std::lock_guard lock(m_mutex);
    auto it = m_pending.find(state);
    if (it == m_pending.end() || std::chrono::steady_clock::now() - it->second.created > k_state_lifetime) {
      if (it != m_pending.end()) {
        m_pending.erase(it);
      }
      return fail(Errc::no_perm, "unknown, expired or already used sign-in state; start again", {}, {}, "oidc.state");
    }
    nonce = it->second.nonce;
    m_pending.erase(it);
  }
  if (code.empty() || code.size() > 512) {
    return fail(Errc::data, "the provider sent no authorization code", {}, {}, "oidc.code");
  }
  std::vector<std::pair<std::string, std::string>> form = {{"client_id", m_provider.client_id},
                                                           {"client_secret", m_provider.client_secret},
                                                           {"grant_type", "authorization_code"},
                                                           {"code", code},
                                                           {"redirect_uri", m_provider.redirect_uri}};
  auto [status, body] = HEMERA_TRY(http(m_provider, m_provider.issuer + "/oauth/token", &form));
  auto reply = json::parse(body, nullptr, false);
  if (status != 200 || reply.is_discarded() || !reply.is_object()) {
    std::string why = !reply.is_discarded() && reply.is_object() ? util::member_or<std::string>(reply, "error", "") : "";
    return fail(status == 401 || why == "invalid_client" ? Errc::config : Errc::no_perm,
                fmt::format("the ORCID provider refused the code (HTTP {}{})", status, why.empty() ? "" : ", " + why),
                {}, {}, "oidc.token");
  }
  if (!reply.contains("id_token") || !reply["id_token"].is_string()) {
    return fail(Errc::no_perm, "the ORCID provider sent no id_token (is the openid scope allowed?)", {}, {},
                "oidc.token");
  }
  auto [jstatus, jwks] = HEMERA_TRY(http(m_provider, m_provider.issuer + "/oauth/jwks", nullptr));
  if (jstatus != 200) {
    return fail(Errc::unavailable, fmt::format("cannot read the provider's JWKS (HTTP {})", jstatus));
  }
  Expectations expect{m_provider.issuer, m_provider.client_id, nonce, static_cast<std::int64_t>(std::time(nullptr)), 60,
                      m_provider.registry};
  auto orcid = HEMERA_TRY(verify_id_token(reply["id_token"].get<std::string>(), jwks, expect));
  // ORCID's token response names the iD too; it must agree with the signed subject.
  if (reply.contains("orcid") && reply["orcid"].is_string() && reply["orcid"] != orcid) {
    return fail(Errc::no_perm, "the token response's orcid differs from the id_token's subject", {}, {}, "oidc.sub");
  }
  auto archive = HEMERA_TRY(archive::Archive::open(m_root));
  auto one_time = HEMERA_TRY(session::issue_code(archive.db(), orcid));
  HEMERA_TRY(auth::audit(archive.layout().audit_log(), orcid, "login.orcid", {}, true,
                         "ORCID sign-in verified; one-time code issued"));
  return one_time;
}

void install_routes(httplib::Server& server, std::shared_ptr<SignIn> sign_in)
{
  auto page = [](httplib::Response& res, int status, const std::string& title, const std::string& body) {
    res.status = status;
    res.set_header("Cache-Control", "no-store");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    res.set_content("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html_escape(title) +
                      "</title></head><body>\n<h1>" + html_escape(title) + "</h1>\n" + body + "</body></html>\n",
                    "text/html; charset=UTF-8");
  };
  server.Get("/orcid/login", [sign_in, page](const httplib::Request&, httplib::Response& res) {
    auto url = sign_in->start();
    if (!url) {
      page(res, 503, "Sign-in unavailable", "<p id=\"error\">" + html_escape(url.error().message) + "</p>\n");
      return;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_redirect(*url, 302);
  });
  server.Get("/orcid/callback", [sign_in, page](const httplib::Request& req, httplib::Response& res) {
    if (req.has_param("error")) {
      page(res, 400, "Sign-in cancelled",
           "<p id=\"error\">ORCID did not sign you in (" + html_escape(req.get_param_value("error").substr(0, 100)) +
             ").</p>\n");
      return;
    }
    if (!req.has_param("state") || !req.has_param("code")) {
      page(res, 400, "Sign-in failed", "<p id=\"error\">The callback lacks its state or code.</p>\n");
      return;
    }
    auto code = sign_in->finish(req.get_param_value("state"), req.get_param_value("code"));
    if (!code) {
      const Error& e = code.error();
      int status = e.code == Errc::no_perm ? 403 : e.code == Errc::temp_fail || e.code == Errc::unavailable ? 502 : 500;
      page(res, status, "Sign-in refused",
           "<p id=\"error\">" + html_escape(e.message) + "</p>\n<p id=\"rule\">" + html_escape(e.rule) + "</p>\n");
      return;
    }
    page(res, 200, "Signed in with ORCID",
         "<p>Run <kbd>hemera-login</kbd> on the archive host within five minutes and type this one-time code:</p>\n"
         "<p><code id=\"login-code\">" + html_escape(*code) + "</code></p>\n");
  });
}

}  // namespace hemera::csw::oidc
