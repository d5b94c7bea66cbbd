// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <hemera/auth/orcid.hpp>

using namespace hemera;

TEST_SUITE("orcid")
{
  TEST_CASE("ORCID's published examples are valid, in every accepted form")
  {
    // https://support.orcid.org/hc/en-us/articles/360006897674 (Josiah Carberry),
    // the 0000-0001-5109-3700 example, and an X check digit.
    for (const char* id : {"0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-1694-233X",
                           "0009-0001-5055-9262", "0000-0002-4510-0385"}) {
      CAPTURE(id);
      auto r = orcid::parse(id);
      REQUIRE(r);
      CHECK(*r == id);
    }
    CHECK(orcid::check_digit("000000021825009") == '7');
    CHECK(orcid::check_digit("000000015109370") == '0');
    CHECK(orcid::check_digit("000000021694233") == 'X');
    CHECK(*orcid::parse("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097");
    CHECK(*orcid::parse("http://orcid.org/0000-0002-1694-233x") == "0000-0002-1694-233X");
    CHECK(*orcid::parse("000000021694233X") == "0000-0002-1694-233X");
    CHECK(orcid::uri("0000-0002-1825-0097") == "https://orcid.org/0000-0002-1825-0097");
  }

  TEST_CASE("hand-computed invalid iDs are refused with the reason")
  {
    // 1314 mod 11 = 5 -> check 7, so ...0098 is wrong; ...0079 transposes the
    // last two digits (base ...007 needs 0); ...2330 drops the X.
    for (const char* id : {"0000-0002-1825-0098", "0000-0002-1825-0079", "0000-0002-1694-2330",
                           "0000-0001-5109-3701"}) {
      CAPTURE(id);
      auto r = orcid::parse(id);
      REQUIRE(!r);
      CHECK(r.error().code == Errc::data);
      CHECK(r.error().rule == "orcid.check-digit");
      CHECK(r.error().message.find("check digit") != std::string::npos);
    }
    for (const char* id : {"0000-0002-1825-009", "0000_0002_1825_0097", "0000-0002-1825-00971", "",
                           "000A-0002-1825-0097", "0000-0002-1825-009Y", "https://orcid.org/",
                           "https://example.org/0000-0002-1825-0097", "0000-0002-1825-0097 "}) {
      CAPTURE(id);
      auto r = orcid::parse(id);
      REQUIRE(!r);
      CHECK(r.error().rule == "orcid.format");
    }
  }

  TEST_CASE("sandbox iDs only with the sandbox provider")
  {
    auto sb = orcid::parse("https://sandbox.orcid.org/0000-0002-1825-0097");
    REQUIRE(!sb);
    CHECK(sb.error().rule == "orcid.registry");
    CHECK(sb.error().message.find("sandbox") != std::string::npos);
    auto ok = orcid::parse("https://sandbox.orcid.org/0000-0002-1825-0097", orcid::Registry::sandbox);
    REQUIRE(ok);
    CHECK(*ok == "0000-0002-1825-0097");
    CHECK(!orcid::parse("https://orcid.org/0000-0002-1825-0097", orcid::Registry::sandbox));
    CHECK(orcid::registry_of("https://sandbox.orcid.org") == orcid::Registry::sandbox);
    CHECK(orcid::registry_of("https://orcid.org") == orcid::Registry::production);
    CHECK(orcid::uri("0000-0002-1825-0097", orcid::Registry::sandbox) ==
          "https://sandbox.orcid.org/0000-0002-1825-0097");
  }

  TEST_CASE("ORCID-like text versus Unix login names")
  {
    CHECK(orcid::looks_like_orcid("0000-0002-1825-0097"));
    CHECK(orcid::looks_like_orcid("https://orcid.org/x"));
    CHECK(!orcid::looks_like_orcid("jdoe"));
    CHECK(!orcid::looks_like_orcid(""));
  }
}
