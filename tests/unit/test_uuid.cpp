// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <set>

#include <hemera/uuid.hpp>

using namespace hemera;

TEST_SUITE("uuid")
{
  TEST_CASE("v5 matches the published vectors")
  {
    auto dns = uuid::namespace_from("dns");
    REQUIRE(dns);
    CHECK(uuid::to_string(uuid::v5(*dns, "python.org")) == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    auto url = uuid::namespace_from("url");
    REQUIRE(url);
    // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://www.example.com/")
    CHECK(uuid::to_string(uuid::v5(*url, "http://www.example.com/")) ==
          "fcde3c85-2270-590f-9e7c-ee003d65e0e2");
  }

  TEST_CASE("v4 has version 4 and the RFC 4122 variant, and does not repeat")
  {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
      auto u = uuid::new_v4();
      REQUIRE(u);
      CHECK(((*u)[6] >> 4) == 4);
      CHECK(((*u)[8] & 0xC0) == 0x80);
      seen.insert(uuid::to_string(*u));
    }
    CHECK(seen.size() == 1000);
  }

  TEST_CASE("batch lines are canonical and valid")
  {
    std::string out;
    REQUIRE(uuid::append_v4_lines(out, 5000));
    CHECK(out.size() == 5000 * 37);
    for (std::size_t i = 0; i < 5000; ++i) {
      auto line = std::string_view(out).substr(i * 37, 36);
      CHECK(uuid::check_rfc4122(line));
      CHECK(out[i * 37 + 36] == '\n');
    }
  }

  TEST_CASE("check names each defect")
  {
    CHECK(uuid::check_rfc4122("886313e1-3b8a-5372-9b90-0c9aee199e5d"));
    CHECK(uuid::check_rfc4122("886313E1-3B8A-5372-9B90-0C9AEE199E5D"));
    auto short_one = uuid::check_rfc4122("886313e1-3b8a-5372-9b90");
    REQUIRE(!short_one);
    CHECK(short_one.error().rule == "uuid.form");
    auto variant = uuid::check_rfc4122("886313e1-3b8a-5372-1b90-0c9aee199e5d");
    REQUIRE(!variant);
    CHECK(variant.error().rule == "uuid.variant");
    auto version = uuid::check_rfc4122("886313e1-3b8a-0372-9b90-0c9aee199e5d");
    REQUIRE(!version);
    CHECK(version.error().rule == "uuid.version");
    auto hex = uuid::check_rfc4122("886313g1-3b8a-5372-9b90-0c9aee199e5d");
    REQUIRE(!hex);
    CHECK(hex.error().message.find("position 7") != std::string::npos);
    auto dash = uuid::check_rfc4122("886313e1x3b8a-5372-9b90-0c9aee199e5d");
    REQUIRE(!dash);
    CHECK(dash.error().message.find("'-'") != std::string::npos);
  }
}
