// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include <hemera/people/person.hpp>
#include <hemera/config.hpp>

using namespace hemera;

namespace {

// The shape of GET https://pub.orcid.org/v3.0/0000-0002-1825-0097/person (trimmed).
constexpr const char* k_carberry = R"({
  "last-modified-date": {"value": 1460763738018},
  "name": {
    "created-date": {"value": 1460753221409},
    "given-names": {"value": "Josiah"},
    "family-name": {"value": "Carberry"},
    "credit-name": null,
    "source": null,
    "visibility": "public",
    "path": "0000-0002-1825-0097"
  },
  "other-names": {"other-name": [], "path": "/0000-0002-1825-0097/other-names"},
  "emails": {
    "last-modified-date": null,
    "email": [
      {"email": "second@example.org", "primary": false, "verified": true, "visibility": "public"},
      {"email": "josiah@example.org", "primary": true, "verified": true, "visibility": "public"},
      {"email": "hidden@example.org", "primary": false, "verified": true, "visibility": "limited"}
    ],
    "path": "/0000-0002-1825-0097/email"
  },
  "path": "/0000-0002-1825-0097/person"
})";

}  // namespace

TEST_SUITE("orcid person")
{
  TEST_CASE("names and public e-mail addresses from an ORCID v3.0 person document")
  {
    auto p = orcid::parse_person(k_carberry, "0000-0002-1825-0097");
    REQUIRE(p);
    CHECK(p->orcid == "0000-0002-1825-0097");
    CHECK(p->given_names == "Josiah");
    CHECK(p->family_name == "Carberry");
    CHECK(p->credit_name.empty());
    CHECK(p->display_name() == "Josiah Carberry");
    REQUIRE(p->emails.size() == 2);
    CHECK(p->emails[0] == "josiah@example.org");  // primary first
    CHECK(p->emails[1] == "second@example.org");  // the limited one is left out
  }

  TEST_CASE("the credit name wins; a private name is empty; no e-mail is fine")
  {
    auto credit = orcid::parse_person(
      R"({"name": {"given-names": {"value": "Tom"}, "family-name": {"value": "Jones"},
          "credit-name": {"value": "T. Jones"}}, "emails": {"email": []}})",
      "0000-0002-2601-8132");
    REQUIRE(credit);
    CHECK(credit->display_name() == "T. Jones");
    CHECK(credit->emails.empty());
    auto hidden = orcid::parse_person(R"({"name": null, "emails": null})", "0000-0002-2601-8132");
    REQUIRE(hidden);
    CHECK(hidden->display_name().empty());
    auto family_only = orcid::parse_person(R"({"name": {"family-name": {"value": "Curie"}}})", "0000-0002-2601-8132");
    REQUIRE(family_only);
    CHECK(family_only->display_name() == "Curie");
  }

  TEST_CASE("hostile documents: refused or ignored field by field, never thrown")
  {
    const char* not_objects[] = {"", "null", "[]", "\"x\"", "42", "{", "{\"name\":", "\xff\xfe", "{\"a\":\"\xc3\"}",
                                 "{} trailing"};
    for (const char* text : not_objects) {
      auto r = orcid::parse_person(text, "0000-0002-1825-0097");
      CHECK_MESSAGE(!r, text);
      if (!r) {
        CHECK(r.error().code == Errc::data);
      }
    }
    const char* odd_shapes[] = {
      R"({"name": []})",
      R"({"name": "Josiah"})",
      R"({"name": {"given-names": "Josiah", "family-name": {"value": 7}, "credit-name": {"value": null}}})",
      R"({"name": {"given-names": {"value": ["x"]}}})",
      R"({"emails": []})",
      R"({"emails": {"email": {"email": "a@b"}}})",
      R"({"emails": {"email": [null, 1, "a@b", [], {"email": 5}, {"email": null}, {"email": "nope"},
                               {"email": "@b"}, {"email": "a@"}, {"email": "a b@c"}, {"visibility": "public"},
                               {"email": "x@y", "visibility": 3}, {"email": "x@y", "visibility": "PRIVATE"}]}})",
    };
    for (const char* text : odd_shapes) {
      auto r = orcid::parse_person(text, "0000-0002-1825-0097");
      REQUIRE_MESSAGE(r, text);
      CHECK(r->display_name().empty());
      CHECK(r->emails.empty());
    }
  }

  TEST_CASE("control characters, bidirectional overrides and long values do not reach the terminal")
  {
    std::string long_name(5000, 'a');
    auto r = orcid::parse_person(
      std::string(R"({"name": {"given-names": {"value": "Jo\u001b[31msiah\u0007"},
         "family-name": {"value": "Car\u202eberry\u0085\n\tX"},
         "credit-name": {"value": ")") +
        long_name + R"("}},
       "emails": {"email": [{"email": "evil\u001b]0;x\u0007@example.org", "primary": true},
                            {"email": "caf\u00e9@example.org"},
                            {"email": "ok@example.org", "visibility": "PUBLIC"}]}})",
      "0000-0002-1825-0097");
    REQUIRE(r);
    CHECK(r->given_names == "Jo[31msiah");
    CHECK(r->family_name == "Carberry X");
    CHECK(r->credit_name.size() == orcid::k_max_name);
    REQUIRE(r->emails.size() == 1);
    CHECK(r->emails[0] == "ok@example.org");
    // A cut never splits a UTF-8 character.
    std::string accents;
    for (int i = 0; i < 150; ++i) {
      accents += "\u00e9";
    }
    auto u = orcid::parse_person(R"({"name": {"family-name": {"value": ")" + accents + R"("}}})",
                                 "0000-0002-1825-0097");
    REQUIRE(u);
    CHECK(u->family_name.size() == orcid::k_max_name);
    CHECK(u->family_name.substr(0, 2) == "\u00e9");
    // At most k_max_emails addresses, no duplicates.
    std::string many = R"({"emails": {"email": [)";
    for (int i = 0; i < 20; ++i) {
      many += R"({"email": "p)" + std::to_string(i % 10) + R"(@example.org"},)";
    }
    many += R"({"email": "p0@example.org"}]}})";
    auto m = orcid::parse_person(many, "0000-0002-1825-0097");
    REQUIRE(m);
    CHECK(m->emails.size() == orcid::k_max_emails);
    CHECK(m->emails[0] == "p0@example.org");
    CHECK(m->emails[1] == "p1@example.org");
  }

  TEST_CASE("deeply nested documents are parsed without running out of stack")
  {
    std::string deep(100000, '[');
    deep += std::string(100000, ']');
    auto r = orcid::parse_person(R"({"name": )" + deep + "}", "0000-0002-1825-0097");
    REQUIRE(r);
    CHECK(r->display_name().empty());
  }

  TEST_CASE("the public API's address follows the registry, or the configuration")
  {
    auto dflt = orcid::public_api(config::Config::defaults());
    REQUIRE(dflt);
    CHECK(dflt->base_url == "https://pub.orcid.org/v3.0");
    auto sandbox = config::parse_yaml("orcid:\n  issuer: https://sandbox.orcid.org\n", "t.yaml");
    REQUIRE(sandbox);
    CHECK(orcid::public_api(*sandbox)->base_url == "https://pub.sandbox.orcid.org/v3.0");
    auto local = config::parse_yaml("orcid:\n  public_api: http://127.0.0.1:8080/v3.0/\n  ca_file: /x/ca.pem\n",
                                    "t.yaml");
    REQUIRE(local);
    auto api = orcid::public_api(*local);
    REQUIRE(api);
    CHECK(api->base_url == "http://127.0.0.1:8080/v3.0");
    CHECK(api->ca_file == "/x/ca.pem");
    auto plain = config::parse_yaml("orcid:\n  public_api: http://pub.orcid.org/v3.0\n", "t.yaml");
    REQUIRE(plain);
    auto refused = orcid::public_api(*plain);
    REQUIRE(!refused);
    CHECK(refused.error().code == Errc::config);
  }

  TEST_CASE("fetch_person refuses a non-canonical iD before any request and reports an unreachable API")
  {
    orcid::PublicApi api{"http://127.0.0.1:1", "", 5};
    auto bad = orcid::fetch_person(api, "0000-0002-1825-009/../x");
    REQUIRE(!bad);
    CHECK(bad.error().code == Errc::usage);
    auto down = orcid::fetch_person(api, "0000-0002-1825-0097");
    REQUIRE(!down);
    CHECK((down.error().code == Errc::temp_fail || down.error().code == Errc::unavailable));
  }
}
