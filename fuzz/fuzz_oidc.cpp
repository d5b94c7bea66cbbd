// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the id_token verification of the ORCID sign-in. Tokens
// and key sets the fuzzer makes must all be refused (it cannot sign with the
// provider's key); header and claims the fuzzer writes are also signed here
// with that key, and any token accepted must then say what Expectations ask
// (RS256, iss, aud, exp, nonce, a valid ORCID iD as subject).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <hemera/auth/orcid.hpp>
#include <hemera/csw/oidc.hpp>

using namespace hemera;
using json = nlohmann::json;

namespace {

constexpr std::int64_t k_now = 1790000000;

std::string b64url(std::string_view raw)
{
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k[(acc >> bits) & 0x3F]);
    }
  }
  if (bits > 0) {
    out.push_back(k[(acc << (6 - bits)) & 0x3F]);
  }
  return out;
}

std::string bn_b64(const EVP_PKEY* key, const char* name)
{
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    std::abort();
  }
  std::string raw(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(raw.data()));
  BN_free(bn);
  return b64url(raw);
}

// The provider's key pair and its JWKS, made once.
struct Provider {
  EVP_PKEY* key = nullptr;
  std::string jwks;
  Provider()
  {
    key = EVP_RSA_gen(2048);
    if (key == nullptr) {
      std::abort();
    }
    jwks = json{{"keys",
                 {{{"kty", "RSA"}, {"use", "sig"}, {"alg", "RS256"}, {"kid", "k1"}, {"n", bn_b64(key, OSSL_PKEY_PARAM_RSA_N)},
                   {"e", bn_b64(key, OSSL_PKEY_PARAM_RSA_E)}}}}}
             .dump();
  }
  ~Provider() { EVP_PKEY_free(key); }
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  [[nodiscard]] std::string sign(const std::string& signed_part) const
  {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::size_t len = 0;
    if (!md || EVP_DigestSignInit_ex(md.get(), nullptr, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
        EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) != 1) {
      std::abort();
    }
    std::string sig(len, '\0');
    if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) != 1) {
      std::abort();
    }
    sig.resize(len);
    return sig;
  }
};

const Provider& provider()
{
  static const Provider p;
  return p;
}

csw::oidc::Expectations expectations()
{
  csw::oidc::Expectations e;
  e.issuer = "https://orcid.org";
  e.audience = "APP-FUZZ0000000000";
  e.nonce = "n-0S6_WzA2Mj";
  e.now = k_now;
  e.leeway = 60;
  e.registry = orcid::Registry::production;
  return e;
}

// Abort unless an accepted token's claims say what `e` asks.
void check_accepted(const std::string& header, const std::string& payload, const std::string& sub,
                    const csw::oidc::Expectations& e)
{
  auto h = json::parse(header, nullptr, false);
  auto c = json::parse(payload, nullptr, false);
  if (!h.is_object() || h.value("alg", json()) != "RS256" || !c.is_object() || c.value("iss", json()) != e.issuer ||
      c.value("nonce", json()) != e.nonce || !c.contains("exp") || !c["exp"].is_number() ||
      c["exp"].get<double>() + static_cast<double>(e.leeway) <= static_cast<double>(e.now)) {
    std::abort();
  }
  bool aud = c.value("aud", json()) == e.audience;
  if (!aud && c.contains("aud") && c["aud"].is_array()) {
    for (const auto& a : c["aud"]) {
      aud = aud || a == e.audience;
    }
  }
  if (!aud || !orcid::parse(sub, e.registry) || *orcid::parse(sub, e.registry) != sub) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  static const csw::oidc::Expectations expect = expectations();
  const Provider& p = provider();
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto split = text.find('\n');
  std::string_view first = text.substr(0, split);
  std::string_view second = split == std::string_view::npos ? std::string_view() : text.substr(split + 1);

  // base64url: what decodes has the length it encodes to, and round-trips.
  if (auto raw = csw::oidc::base64url_decode(first)) {
    auto again = b64url(*raw);
    if (again.size() != first.size() || csw::oidc::base64url_decode(again) != raw) {
      std::abort();
    }
  }

  switch (data[0] % 3) {
  case 0: {
    // A token the fuzzer wrote, against the provider's keys: always refused.
    auto r = csw::oidc::verify_id_token(text, p.jwks, expect);
    if (r || r.error().code != Errc::no_perm) {
      std::abort();
    }
    break;
  }
  case 1: {
    // A key set and a token the fuzzer wrote: always refused.
    auto r = csw::oidc::verify_id_token(second, first, expect);
    if (r) {
      std::abort();
    }
    break;
  }
  default: {
    // Header and claims the fuzzer wrote, signed with the provider's key.
    std::string header(first), payload(second);
    std::string signed_part = b64url(header) + "." + b64url(payload);
    std::string token = signed_part + "." + b64url(p.sign(signed_part));
    auto r = csw::oidc::verify_id_token(token, p.jwks, expect);
    if (r) {
      check_accepted(header, payload, *r, expect);
    } else if (r.error().code != Errc::no_perm) {
      std::abort();
    }
    break;
  }
  }
  return 0;
}
