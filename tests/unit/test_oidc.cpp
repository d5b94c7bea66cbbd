// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include <hemera/csw/oidc.hpp>

using namespace hemera;
using csw::oidc::base64url_decode;
using csw::oidc::verify_id_token;

namespace {

std::string b64(const std::string& s)
{
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (unsigned char c : s) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(k[(acc >> bits) & 63U]);
    }
  }
  if (bits > 0) {
    out.push_back(k[(acc << (6 - bits)) & 63U]);
  }
  return out;
}

csw::oidc::Expectations expect()
{
  return {"https://orcid.org", "APP-1", "n1", 1700000000, 60, orcid::Registry::production};
}

}  // namespace

TEST_SUITE("csw.oidc")
{
  TEST_CASE("base64url: strict alphabet, no padding")
  {
    CHECK(base64url_decode("") == std::string());
    CHECK(base64url_decode("aGk") == std::string("hi"));
    const std::string bytes("\xff\xfe\x00z", 4);
    CHECK(base64url_decode(b64(bytes)) == bytes);
    CHECK(!base64url_decode("aGk="));
    CHECK(!base64url_decode("a+b/"));
    CHECK(!base64url_decode("a"));
    CHECK(!base64url_decode(std::string("a\0b", 3)));
  }

  TEST_CASE("hostile or malformed id_tokens are refused with a reason, never crash")
  {
    const std::string jwks = R"({"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQAB"}]})";
    auto refused = [&](const std::string& token, const char* rule, const std::string& keys) {
      auto r = verify_id_token(token, keys, expect());
      REQUIRE(!r);
      CHECK(r.error().code == Errc::no_perm);
      CHECK(r.error().rule == rule);
      CHECK(r.error().message.rfind("id_token refused: ", 0) == 0);
    };
    std::string good_header = b64(R"({"alg":"RS256","kid":"k"})");
    std::string claims = b64(R"({"iss":"https://orcid.org","aud":"APP-1","sub":"0000-0002-1825-0097","exp":1700000600,"nonce":"n1"})");
    refused("", "oidc.format", jwks);
    refused("a.b", "oidc.format", jwks);
    refused("a.b.c.d", "oidc.format", jwks);
    refused("!!.b.c", "oidc.format", jwks);
    refused(b64("not json") + "." + claims + ".", "oidc.format", jwks);
    refused(b64(R"({"kid":"k"})") + "." + claims + ".", "oidc.alg", jwks);
    refused(b64(R"({"alg":"none"})") + "." + claims + ".", "oidc.alg", jwks);
    refused(b64(R"({"alg":"HS256"})") + "." + claims + "." + b64("mac"), "oidc.alg", jwks);
    refused(b64(R"({"alg":"rs256"})") + "." + claims + ".", "oidc.alg", jwks);
    refused(b64(R"({"alg":["RS256"]})") + "." + claims + ".", "oidc.alg", jwks);
    refused(good_header + "." + claims + "." + b64("sig"), "oidc.jwks", "[]");
    refused(good_header + "." + claims + "." + b64("sig"), "oidc.jwks", R"({"keys":[{"kty":"EC","kid":"k"}]})");
    refused(good_header + "." + claims + "." + b64("sig"), "oidc.jwks", R"({"keys":[{"kty":"RSA","kid":"other","n":"AQAB","e":"AQAB"}]})");
    // A key too small to be trusted.
    refused(good_header + "." + claims + "." + b64("sig"), "oidc.jwks", jwks);
    refused(good_header + "." + claims + "." + b64("sig"), "oidc.jwks", "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":1}]}");
  }
}
