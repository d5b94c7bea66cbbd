// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <fstream>

#include <hemera/archive/names.hpp>
#include <hemera/recover/recover.hpp>
#include <hemera/recover/regex.hpp>
#include <hemera/uuid.hpp>

using namespace hemera;

namespace {

std::filesystem::path write_rules(const std::string& name, const std::string& text)
{
  auto p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p;
}

}  // namespace

TEST_SUITE("recover")
{
  TEST_CASE("UUID v5: the RFC 9562 vector, and the name hemera-recover uses")
  {
    auto dns = uuid::namespace_from("dns");
    REQUIRE(dns);
    // RFC 9562 Appendix A.4: UUIDv5, DNS namespace, "www.example.com".
    CHECK(uuid::to_string(uuid::v5(*dns, "www.example.com")) == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    std::string ns(uuid::k_namespace_dns);
    CHECK(recover::legacy_uuid(ns, archive::Base::datb, "www.example.com") ==
          uuid::to_string(uuid::v5(*dns, "DATB:www.example.com")));
    CHECK(recover::legacy_uuid(ns, archive::Base::datb, "a") != recover::legacy_uuid(ns, archive::Base::dasb, "a"));
    CHECK(recover::legacy_uuid(ns, archive::Base::datb, "a") == recover::legacy_uuid(ns, archive::Base::datb, "a"));
  }

  TEST_CASE("safe names follow the archive's policy")
  {
    CHECK(recover::safe_name("O3 Sonde 001.NA") == "o3_sonde_001.na");
    CHECK(recover::safe_name("vol_\xc3\xa9t\xc3\xa9.na") == "vol_ete.na");  // UTF-8 accents folded
    CHECK(recover::safe_name("-x.na") == "_-x.na");
    CHECK(recover::safe_name(".hidden.na") == "_.hidden.na");
    CHECK(recover::safe_name("a:b|c?.na") == "a_b_c_.na");
    CHECK(recover::safe_name("manifest-sha256.txt") == "legacy_manifest-sha256.txt");
    CHECK(recover::safe_name("metadata.json") == "legacy_metadata.json");
    CHECK(recover::safe_name("x.part") == "x.part_");
    CHECK(recover::safe_name("tab\there\x01.na") == "tab_here_.na");
    CHECK(recover::safe_name("latin1_\xe9.na") == "latin1_e.na");  // a Latin-1 byte
    std::string longname(300, 'a');
    auto s = recover::safe_name(longname + ".na");
    CHECK(s.size() == 200);
    CHECK(s.substr(s.size() - 3) == ".na");
    // Truncation that ends on ".part" (found by fuzz_record), and a long ".part" name.
    std::string cut = std::string(195, 'a') + ".part" + std::string(100, 'b');
    CHECK(archive::check_name(recover::safe_name(cut)));
    CHECK(recover::safe_name(cut).size() <= 200);
    CHECK(archive::check_name(recover::safe_name(std::string(300, 'a') + ".part")));
    CHECK(archive::check_name(recover::safe_name(std::string(199, 'a') + ".part")));
    for (const char* n : {"O3 Sonde 001.NA", "-x.na", "manifest-x", "x.part", "\xff\xfe", "", "a/b\\c"}) {
      CAPTURE(n);
      CHECK(archive::check_name(recover::safe_name(n)));
    }
  }

  TEST_CASE("named groups of a PCRE2 pattern; bytes, not UTF-8")
  {
    auto re = recover::Regex::compile("^(?<campaign>[^/]+)/(?<instrument>[^/]+)/(?:x(?<opt>\\d))?");
    REQUIRE(re);
    auto m = re->match("strato/o3/rest");
    REQUIRE(m);
    CHECK(m->at("campaign") == "strato");
    CHECK(m->at("instrument") == "o3");
    CHECK(m->count("opt") == 0);
    CHECK_FALSE(re->match("nofolder"));
    auto latin1 = re->match("\xe9t\xe9/o3/x1");
    REQUIRE(latin1);
    CHECK(latin1->at("campaign") == "\xe9t\xe9");
    CHECK(latin1->at("opt") == "1");
    auto bad = recover::Regex::compile("(?<a>");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().rule == "rules.regex");
  }

  TEST_CASE("rules files: defaults, and errors naming the key")
  {
    auto ok = recover::load_rules(write_rules("hemera-recover-ok.yaml",
                                              "ignore: ['\\.doc$']\n"
                                              "rules:\n"
                                              "  - match: '^(?<c>[^/]+)/'\n"
                                              "    dataset: regex\n"
                                              "    id: '{c}'\n"
                                              "  - match: ''\n"));
    REQUIRE(ok);
    CHECK(ok->rules.size() == 2);
    CHECK(ok->rules[0].grouping == recover::Grouping::regex);
    CHECK(ok->rules[1].grouping == recover::Grouping::folder);
    CHECK(ok->ignore.size() == 1);
    CHECK(ok->sha256.size() == 64);
    CHECK_FALSE(ok->ns);

    struct Bad {
      const char* text;
      const char* field;
    } cases[] = {
      {"rules: []\n", "rules"},
      {"rule: []\n", "rule"},
      {"rules:\n  - match: '('\n", "rules[0].match"},
      {"rules:\n  - dataset: tree\n", "rules[0].dataset"},
      {"rules:\n  - dataset: regex\n", "rules[0].id"},
      {"rules:\n  - matches: x\n", "rules[0].matches"},
      {"ignore: x\nrules:\n  - match: ''\n", "ignore"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.text);
      auto r = recover::load_rules(write_rules("hemera-recover-bad.yaml", c.text));
      REQUIRE_FALSE(r);
      CHECK(r.error().code == Errc::data);
      CHECK(r.error().field == c.field);
    }
    auto missing = recover::load_rules("/nonexistent/rules.yaml");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Errc::no_input);
  }

  TEST_CASE("findings are aggregated per file and rule")
  {
    std::vector<validate::Finding> in(3);
    in[0].file = in[1].file = "a.na";
    in[2].file = "b.na";
    in[0].rule = in[1].rule = in[2].rule = "R1";
    in[0].message = "tab";
    auto out = recover::aggregate(in);
    REQUIRE(out.size() == 2);
    CHECK(out[0].message == "tab (and 1 more like it)");
    CHECK(out[1].file == "b.na");
  }
}
