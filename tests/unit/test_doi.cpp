// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <hemera/config.hpp>
#include <hemera/doi/doi.hpp>

using namespace hemera;

namespace {

config::Config cfg(const std::string& doi_block)
{
  auto c = config::parse_yaml("catalogue_url: https://cat.example.org/\ndoi:\n" + doi_block, "t.yaml");
  REQUIRE(c);
  return *c;
}

}  // namespace

TEST_SUITE("doi")
{
  TEST_CASE("settings: prefix, landing page, API URL, credentials")
  {
    auto s = doi::load_settings(cfg("  prefix: \"10.80001\"\n  publisher: P\n"), false);
    REQUIRE(s);
    CHECK(doi::doi_of(*s, "0F8FAD5B-D9CB-469F-A165-70867728950E") == "10.80001/0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(doi::landing_page(*s, "0f8fad5b-d9cb-469f-a165-70867728950e") ==
          "https://cat.example.org/0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(s->retries == 3);
    // The API is needed for anything but check and dry runs.
    auto no_api = doi::load_settings(cfg("  prefix: \"10.80001\"\n"), true);
    REQUIRE(!no_api);
    CHECK(no_api.error().code == Errc::config);
    CHECK(no_api.error().field == "doi.api_url");
    CHECK(no_api.error().message.find("https://api.test.datacite.org") != std::string::npos);

    auto bad_prefix = doi::load_settings(cfg("  prefix: \"11.80001\"\n"), false);
    REQUIRE(!bad_prefix);
    CHECK(bad_prefix.error().field == "doi.prefix");

    std::string full = "  prefix: \"10.80001\"\n  repository_id: R.X\n  password_file: /nonexistent\n";
    auto plain = doi::load_settings(cfg(full + "  api_url: http://api.test.datacite.org\n"), true);
    REQUIRE(!plain);
    CHECK(plain.error().field == "doi.api_url");
    CHECK(doi::load_settings(cfg(full + "  api_url: http://127.0.0.1:8080/\n"), true));
    auto tls = doi::load_settings(cfg(full + "  api_url: https://api.test.datacite.org/\n  retries: 0\n"), true);
    REQUIRE(tls);
    CHECK(tls->api_url == "https://api.test.datacite.org");
    CHECK(tls->retries == 0);
  }

  TEST_CASE("request body: doi, url, base64 xml, event")
  {
    auto s = doi::load_settings(cfg("  prefix: \"10.80001\"\n"), false);
    REQUIRE(s);
    s->api_url = "https://api.test.datacite.org";
    std::string d = "10.80001/0f8fad5b-d9cb-469f-a165-70867728950e";
    auto r = doi::build_request(*s, d, "https://cat.example.org/x", "<resource/>\n", doi::Event::publish);
    CHECK(r.method == "PUT");
    CHECK(r.url == "https://api.test.datacite.org/dois/" + d);
    auto body = nlohmann::json::parse(r.body);
    const auto& a = body["data"]["attributes"];
    CHECK(body["data"]["type"] == "dois");
    CHECK(a["doi"] == d);
    CHECK(a["event"] == "publish");
    CHECK(a["xml"] == "PHJlc291cmNlLz4K");  // base64 of "<resource/>\n"
    auto hide = nlohmann::json::parse(doi::build_request(*s, d, {}, {}, doi::Event::hide).body);
    CHECK(hide["data"]["attributes"] == nlohmann::json({{"doi", d}, {"event", "hide"}}));
    auto update = nlohmann::json::parse(doi::build_request(*s, d, "u", "x", doi::Event::none).body);
    CHECK(!update["data"]["attributes"].contains("event"));
  }

  TEST_CASE("DataCite error bodies, field by field")
  {
    auto e = doi::parse_errors(
      R"({"errors":[{"source":"url","title":"Can't be blank","uid":"10.1/x"},{"status":"401","title":"Bad credentials."},)"
      R"({"source":{"pointer":"/data/attributes/xml"},"title":"Line 1:\nbad"}]})");
    REQUIRE(e.size() == 3);
    CHECK(e[0].source == "url");
    CHECK(e[0].title == "Can't be blank");
    CHECK(e[1].source.empty());
    CHECK(e[2].source == "/data/attributes/xml");
    CHECK(e[2].title == "Line 1: bad");
    CHECK(doi::parse_errors("<html>502</html>").empty());
    CHECK(doi::parse_errors(R"({"errors":"x"})").empty());
  }
}
