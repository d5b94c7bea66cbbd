// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <hemera/report/report.hpp>

using namespace hemera;

namespace {

std::size_t count(const std::string& text, const std::string& what)
{
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) {
    ++n;
  }
  return n;
}

report::Report sample()
{
  report::Report r;
  r.generated = "2026-11-26T12:00:00Z";
  r.root = "/srv/hemera";
  r.period_seconds = 86400;
  r.inventory.push_back({"DATB", "camp,aign/o3", 2, 3, 5, 5000});
  r.months.push_back({"2026-11", 2, 1, 5, 5000, 4});
  r.coverage.push_back({"local", 5, 4, 1, 0});
  r.dois = {{"none", 1}, {"findable", 1}};
  r.roles = {{"administrator", 1}};
  r.users = 1;
  r.denied_total = 1;
  r.denied_by_action["user.grant"] = 1;
  r.denied_recent.push_back({"2026-11-26T11:00:00Z", "<script>alert(1)</script>", "user.grant", "", "needs \"admin\""});
  return r;
}

}  // namespace

TEST_SUITE("report")
{
  TEST_CASE("HTML: self-contained, escaped, one SVG chart per section")
  {
    std::string html = report::to_html(sample());
    CHECK(count(html, "<svg class=\"chart\"") == 7);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("needs &quot;admin&quot;") != std::string::npos);
    CHECK(html.find("default-src 'none'") != std::string::npos);
    // A chart with nothing to show says so instead of drawing nothing.
    CHECK(html.find("nothing to show") != std::string::npos);  // no replication target
  }

  TEST_CASE("CSV: RFC 4180 quoting, one row per figure")
  {
    std::string csv = report::to_csv(sample());
    CHECK(csv.rfind("section,name,metric,value\r\n", 0) == 0);
    CHECK(csv.find("inventory,\"DATB/camp,aign/o3\",bytes,5000\r\n") != std::string::npos);
    CHECK(csv.find("verification,local,share,0.8000\r\n") != std::string::npos);
    CHECK(csv.find("dois,findable,count,1\r\n") != std::string::npos);
  }

  TEST_CASE("JSON and text carry the same figures")
  {
    auto j = report::to_json(sample());
    CHECK(j["totals"]["bytes"] == 5000);
    CHECK(j["verification"]["sites"][0]["share"] == doctest::Approx(0.8));
    CHECK(j["denied"]["by_action"]["user.grant"] == 1);
    std::string text = report::to_text(sample());
    CHECK(text.find("local: 80.0% of 5 file(s) verified within the period; 1 never verified; 0 failing") !=
          std::string::npos);
  }
}
