// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <hemera/archive/names.hpp>

using namespace hemera;
using namespace hemera::archive;

namespace {

std::string rule_of(std::string_view name)
{
  auto r = check_name(name);
  return r ? std::string("ok") : r.error().rule;
}

std::vector<std::string> route_rules(const std::vector<std::string>& names)
{
  std::vector<NameProblem> problems;
  (void)route(names, problems);
  std::vector<std::string> out;
  for (const auto& p : problems) {
    out.push_back(p.rule);
  }
  return out;
}

}  // namespace

TEST_SUITE("archive::names")
{
  TEST_CASE("names are stored lower-cased")
  {
    auto r = check_name("O3_Kiruna_2021.NA");
    REQUIRE(r);
    CHECK(*r == "o3_kiruna_2021.na");
  }

  TEST_CASE("every naming rule refuses what it names")
  {
    CHECK(rule_of("a b.na") == "name.space");
    CHECK(rule_of("a\tb.na") == "name.tab");
    CHECK(rule_of("a\x01.na") == "name.control");
    CHECK(rule_of("a\x7f.na") == "name.control");
    CHECK(rule_of("a/b.na") == "name.slash");
    CHECK(rule_of("a\\b.na") == "name.slash");
    CHECK(rule_of("caf\xc3\xa9.na") == "name.non-ascii");
    for (const char* n : {"a<b.na", "a>b.na", "a:b.na", "a\"b.na", "a|b.na", "a?b.na", "a*b.na"}) {
      CHECK(rule_of(n) == "name.reserved-char");
    }
    CHECK(rule_of(".hidden.na") == "name.leading");
    CHECK(rule_of("-rf.na") == "name.leading");
    CHECK(rule_of(std::string(201, 'a')) == "name.length");
    CHECK(rule_of(std::string(197, 'a') + ".na") == "ok");
    CHECK(rule_of("manifest-sha256.txt") == "name.reserved");
    CHECK(rule_of("TAGMANIFEST-md5.txt") == "name.reserved");
    CHECK(rule_of("metadata.json") == "name.reserved");
    CHECK(rule_of("data.na.part") == "name.reserved");
    CHECK(rule_of("") == "name.empty");
  }

  TEST_CASE("names that collide once lower-cased are refused")
  {
    auto p = check_names({"A.na", "a.NA", "b.na"});
    REQUIRE(p.size() == 1);
    CHECK(p[0].rule == "name.collision");
    CHECK(check_names({"a.na", "b.na"}).empty());
  }

  TEST_CASE("kinds come from the extension, case-insensitively")
  {
    CHECK(kind_of("x.na") == FileKind::nasa_ames);
    CHECK(kind_of("x.NAS") == FileKind::nasa_ames);
    CHECK(kind_of("x.ames") == FileKind::nasa_ames);
    for (const char* n : {"x.fits", "x.FIT", "x.fts", "x.fz"}) {
      CHECK(kind_of(n) == FileKind::fits);
    }
    for (const char* n : {"x.gps", "x.nmea", "x.gpx", "x.csv", "x.txt"}) {
      CHECK(kind_of(n) == FileKind::auxiliary);
    }
    CHECK(kind_of("x.nc") == FileKind::unknown);
    CHECK(kind_of("noext") == FileKind::unknown);
  }

  TEST_CASE("routing: DATB, DASB and every refusal")
  {
    std::vector<NameProblem> problems;
    auto datb = route({"a.na", "gps.nmea"}, problems);
    REQUIRE(datb);
    CHECK(*datb == Base::datb);
    auto dasb = route({"a.fits", "b.fz"}, problems);
    REQUIRE(dasb);
    CHECK(*dasb == Base::dasb);
    CHECK(problems.empty());
    CHECK(route_rules({"a.na", "b.fits"}) == std::vector<std::string>{"route.mixed"});
    CHECK(route_rules({"gps.nmea"}) == std::vector<std::string>{"route.auxiliary-alone"});
    CHECK(route_rules({"a.fits", "gps.csv"}) == std::vector<std::string>{"route.auxiliary-in-dasb"});
    CHECK(route_rules({"a.na", "b.nc"}) == std::vector<std::string>{"route.unknown-kind"});
    CHECK(route_rules({}) == std::vector<std::string>{"route.empty"});
  }

  TEST_CASE("collections: one to three safe segments")
  {
    CHECK(*check_collection("strato2021") == "strato2021");
    CHECK(*check_collection("Strato2021/O3sonde/") == "strato2021/o3sonde");
    CHECK(check_collection("a/b/c"));
    CHECK_FALSE(check_collection("a/b/c/d"));
    CHECK_FALSE(check_collection("../x"));
    CHECK_FALSE(check_collection("a//b"));
    CHECK_FALSE(check_collection("/abs"));
    CHECK_FALSE(check_collection("a b"));
    CHECK_FALSE(check_collection(".hidden"));
    CHECK_FALSE(check_collection(""));
  }
}
