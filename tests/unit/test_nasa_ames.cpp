// SPDX-License-Identifier: Apache-2.0
// NASA Ames parser, validator and writer: every FFI, every rule (a valid file
// and one-defect variants), round trips, truncation and buffer boundaries.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <string>

#include <hemera/nasa_ames/parser.hpp>
#include <hemera/nasa_ames/validate.hpp>
#include <hemera/nasa_ames/writer.hpp>

using namespace hemera;
using namespace hemera::nasa_ames;
using validate::Profile;
using validate::Severity;

namespace {

// One valid file per FFI; each exercises a feature nappy mishandles where it can.
const std::string k_1001 = R"(18 1001
Doe, Jane
HEMERA test organisation
Ozone sonde
Unit tests
1 1
2021 06 18 2021 06 19
10
Time (seconds since 0 h UT)
3
1 1 0.1
9999 9999 99999
Pressure (hPa)
Temperature (K)
Ozone (mPa)
0
1
Time P T O3
100 1013.2 290.1 45.0
110 1000.5 289.5 46.5
120 990.0 288.0 47.0
)";

const std::string k_1010 = R"(20 1010
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
0
Altitude (km)
2
1 1
999 999
Ozone (ppbv)
Temperature (K)
1
1
99999
Pressure (hPa)
0
0
1.0 1013
40 290
2.0 900
38 285
)";

// Records over several lines (the V(i,1) record spans two lines).
const std::string k_1020 = R"(21 1020
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
5
3
Altitude (km)
2
1 1
999 999
V one
V two
1
1
9999
Pressure (hPa)
0
0
0 1000
1 2
3
4 5 6
15 500
7 8 9
10 11 12
)";

const std::string k_2010 = R"(23 2010
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
0 10
3
3
1 2 5
Altitude (km)
Time (s)
1
1
999
Ozone
1
1
9999
Pressure (hPa)
0
0
0 1000
1 2 3
10 900
4 5 6
)";

const std::string k_2110 = R"(22 2110
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
1 10
Altitude (km)
Time (s)
2
1 1
999 999
V one
V two
2
1 1
99 9999
Number of levels
Pressure (hPa)
0
0
0 3 1000
1 10 20
2 11 21
3 12 22
10 2 900
5 30 40
6 31 41
)";

const std::string k_2160 = R"(26 2160
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
10
8
Time (minutes)
Site name
1
1
999
NOx (ppbv)
3
1
1 1
999 99
6
zzzzzz
Number of measurements
Longitude (degrees)
Observer
0
0
Alpha
2 -2.1
Smith
0 2.2
10 2.3
Bravo
1 -1.5
Jones
0 4.0
)";

// FFI 2160 without character auxiliaries: the LENA record is absent.
const std::string k_2160_nauxc0 = R"(23 2160
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
10
8
Time (minutes)
Site name
1
1
999
NOx (ppbv)
2
0
1 1
999 99
Number of measurements
Longitude (degrees)
0
0
Alpha
2 -2.1
0 2.2
10 2.3
Bravo
1 -1.5
0 4.0
)";

// Fractional DX(m,1), which nappy truncates to 0.
const std::string k_2310 = R"(22 2310
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
10
Latitude (degrees)
Altitude (km)
1
1
999
Wind (m/s)
3
1 1 1
99 999 999
Number of latitude points
First latitude
Latitude interval
0
0
0 3 -10 10
1.5 2.5 3.5
10 2 0 0.5
4 5
)";

// Unequal NXDEF between dimensions (nappy reads them reversed).
const std::string k_3010 = R"(22 3010
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
1 0 10
3 2
1 2
0
100 200
Longitude
Latitude
Time (s)
1
1
999
Temperature (K)
0
0
0
0
1 2 3
4 5 6
10
7 8 9
10 11 12
)";

const std::string k_4010 = R"(24 4010
Doe, Jane
Org
Source
Mission
1 1
2021 06 18 2021 06 18
1 1 1 6
2 2 2
2 1 2
0 1
10
20 21
Longitude
Latitude
Altitude
Time (hours)
1
1
999
Temperature (K)
0
0
0
6
1 2
3 4
5 6
7 8
12
11 12
13 14
15 16
17 18
)";

struct Run {
  validate::FileReport report;
  Stats stats;
  Document doc;
};

Run run(const std::string& text, const Profile& profile = Profile::strict(),
        std::size_t buffer = 0)
{
  validate::Collector c("t.na", k_format, profile);
  DocumentBuilder b;
  Stats st = parse_text(text, b, c, profile, buffer);
  return {c.take(), st, b.take()};
}

// Return the number of findings of `rule` at `sev`.
std::size_t count(const validate::FileReport& r, const std::string& rule, Severity sev)
{
  std::size_t n = 0;
  for (const auto& f : r.findings) {
    n += f.rule == rule && f.severity == sev ? 1 : 0;
  }
  return n;
}

bool has(const Run& r, const std::string& rule, Severity sev = Severity::error)
{
  return count(r.report, rule, sev) > 0;
}

std::string dump(const validate::FileReport& r)
{
  std::string out;
  for (const auto& f : r.findings) {
    out += validate::to_text(f) + "\n";
  }
  return out;
}

// Replace the first `from` in `text` by `to` (the test fails if absent).
std::string with(std::string text, const std::string& from, const std::string& to)
{
  auto at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  text.replace(at, from.size(), to);
  return text;
}

// Check `text` is clean and that `variant` breaks exactly `rule` (as an error
// unless `sev` says otherwise).
void one_defect(const std::string& text, const std::string& variant, const std::string& rule,
                Severity sev = Severity::error, const Profile& profile = Profile::strict())
{
  auto good = run(text, profile);
  INFO(dump(good.report));
  REQUIRE(good.report.findings.empty());
  auto bad = run(variant, profile);
  INFO(dump(bad.report));
  CHECK(count(bad.report, rule, sev) > 0);
}

const std::string* const k_all[] = {&k_1001, &k_1010, &k_1020, &k_2010,        &k_2110,
                                    &k_2160, &k_2160_nauxc0, &k_2310, &k_3010, &k_4010};

}  // namespace

TEST_SUITE("nasa_ames")
{
  TEST_CASE("every FFI's sample is valid and fully read")
  {
    for (const auto* text : k_all) {
      auto r = run(*text);
      INFO(text->substr(0, 12), dump(r.report));
      CHECK(r.report.findings.empty());
      CHECK(r.stats.header_complete);
      CHECK(r.doc.marks.size() == 2U + (text == &k_1001 ? 1U : 0U));
    }
  }

  TEST_CASE("FFI 1001: values and header")
  {
    auto r = run(k_1001);
    const auto& h = r.doc.header;
    CHECK(h.ffi == 1001);
    CHECK(h.nlhead == 18);
    CHECK(h.header_lines == 18);
    CHECK(h.oname == "Doe, Jane");
    CHECK(h.date == Date{2021, 6, 18});
    CHECK(h.vars.size() == 3);
    CHECK(h.vars[2].scale == doctest::Approx(0.1));
    CHECK(h.vars[2].missing == 99999);
    CHECK(h.ncom.size() == 1);
    REQUIRE(r.doc.marks.size() == 3);
    CHECK(r.doc.marks[1].x == 110);
    CHECK(r.doc.marks[1].records.at(0) == std::vector<double>{1000.5, 289.5, 46.5});
    CHECK(r.stats.first_mark == 100);
    CHECK(r.stats.last_mark == 120);
    CHECK(r.stats.values == 12);
  }

  TEST_CASE("FFI 1010 and 1020: auxiliary values and records over several lines")
  {
    auto a = run(k_1010);
    CHECK(a.doc.marks[1].aux == std::vector<double>{900});
    CHECK(a.doc.marks[1].records.at(0) == std::vector<double>{38, 285});
    auto b = run(k_1020);
    CHECK(b.doc.header.nvpm == 3);
    REQUIRE(b.doc.marks[0].records.size() == 2);
    CHECK(b.doc.marks[0].records[0] == std::vector<double>{1, 2, 3});
    CHECK(b.doc.marks[0].records[1] == std::vector<double>{4, 5, 6});
    CHECK(b.doc.marks[1].x == 15);
  }

  TEST_CASE("FFI 2010, 2110, 2310: bounded axes and omitted-record counts")
  {
    auto a = run(k_2010);
    REQUIRE(a.doc.header.axes.size() == 1);
    CHECK(a.doc.header.axes[0].listed == std::vector<double>{1, 2, 5});
    CHECK(a.doc.marks[1].records.at(0) == std::vector<double>{4, 5, 6});
    auto b = run(k_2110);
    CHECK(b.doc.marks[0].aux == std::vector<double>{3, 1000});
    REQUIRE(b.doc.marks[0].records.size() == 3);
    CHECK(b.doc.marks[0].records[2] == std::vector<double>{3, 12, 22});
    CHECK(b.doc.marks[1].records.size() == 2);
    auto c = run(k_2310);
    CHECK(c.doc.header.dx[1] == 10);
    CHECK(c.doc.marks[1].aux == std::vector<double>{2, 0, 0.5});
    CHECK(c.doc.marks[1].records.at(0) == std::vector<double>{4, 5});
  }

  TEST_CASE("FFI 2160: character marks and auxiliaries, with and without NAUXC")
  {
    auto a = run(k_2160);
    CHECK(a.doc.header.lenx == 8);
    CHECK(a.doc.header.nauxc == 1);
    CHECK(a.doc.header.aux[2].is_text);
    CHECK(a.doc.header.aux[2].length == 6);
    CHECK(a.doc.header.aux[2].missing_text == "zzzzzz");
    REQUIRE(a.doc.marks.size() == 2);
    CHECK(a.doc.marks[0].x_text == "Alpha");
    CHECK(a.doc.marks[0].aux_text == std::vector<std::string>{"Smith"});
    CHECK(a.doc.marks[0].records.at(1) == std::vector<double>{10, 2.3});
    CHECK(a.stats.first_mark_text == "Alpha");
    CHECK(a.stats.last_mark_text == "Bravo");
    auto b = run(k_2160_nauxc0);
    CHECK(b.doc.header.nauxc == 0);
    CHECK(b.doc.header.header_lines == 23);
    CHECK(b.doc.marks[1].records.size() == 1);
  }

  TEST_CASE("FFI 3010 and 4010: unequal NXDEF and the record order")
  {
    auto a = run(k_3010);
    const auto& h = a.doc.header;
    REQUIRE(h.axes.size() == 2);
    CHECK(h.axes[0].nxdef == 1);
    CHECK(h.axes[0].value(2, h.dx[0]) == 2);
    CHECK(h.axes[1].listed == std::vector<double>{100, 200});
    CHECK(a.doc.marks[1].records.at(1) == std::vector<double>{10, 11, 12});
    auto b = run(k_4010);
    const auto& g = b.doc.header;
    CHECK(g.axes[1].value(1, g.dx[1]) == 11);
    REQUIRE(b.doc.marks[0].records.size() == 4);
    CHECK(b.doc.marks[0].records[2] == std::vector<double>{5, 6});
    CHECK(b.doc.marks[1].records[3] == std::vector<double>{17, 18});
  }

  TEST_CASE("round trip: parse, write, parse gives the same header and values")
  {
    for (const auto* text : k_all) {
      auto a = run(*text);
      auto written = format_document(a.doc);
      REQUIRE(written);
      auto b = run(*written);
      INFO(*written, dump(b.report));
      CHECK(b.report.findings.empty());
      CHECK(b.doc.header == a.doc.header);
      CHECK(b.doc.marks == a.doc.marks);
    }
  }

  TEST_CASE("write_file writes a valid file that validate_file accepts")
  {
    auto a = run(k_2160);
    REQUIRE(write_file("rt.na", a.doc));
    auto report = nasa_ames::validate_file("rt.na", Profile::strict());
    REQUIRE(report);
    CHECK(report->findings.empty());
    CHECK(report->details["ffi"] == 2160);
    CHECK(report->details["marks"] == 2);
  }

  TEST_CASE("format_number: shortest exact text, upper-case exponent")
  {
    CHECK(format_number(230.0) == "230");
    CHECK(format_number(-0.9) == "-0.9");
    CHECK(format_number(1.5e-5) == "1.5E-05");
    CHECK(format_number(1e8) == "1E+08");
  }

  TEST_CASE("truncation anywhere neither crashes nor hangs, and is reported")
  {
    for (const auto* text : k_all) {
      for (std::size_t n = 0; n + 1 < text->size(); n += 3) {
        std::string cut = text->substr(0, n);
        auto r = run(cut);
        // A cut is reported, unless it falls between two complete records.
        if (r.report.findings.empty()) {
          CHECK(cut.back() == '\n');
          CHECK(r.stats.header_complete);
        }
      }
    }
  }

  TEST_CASE("a small read buffer gives the same result as a large one")
  {
    for (const auto* text : k_all) {
      auto a = run(*text);
      auto b = run(*text, Profile::strict(), 40);
      CHECK(b.report.findings.empty());
      CHECK(b.doc.header == a.doc.header);
      CHECK(b.doc.marks == a.doc.marks);
    }
  }

  // ------------------------------------------------------------------ rules

  TEST_CASE("R1: TAB, non-ASCII bytes and a BOM; legacy downgrades R1")
  {
    one_defect(k_1001, with(k_1001, "110 1000.5", "110\t1000.5"), "R1");
    one_defect(k_1001, with(k_1001, "Time P T O3", "Time P T O\xC3\xA9"), "R1");
    one_defect(k_1001, "\xEF\xBB\xBF" + k_1001, "R1");
    auto legacy = run(with(k_1001, "110 1000.5", "110\t1000.5"), Profile::legacy());
    CHECK(has(legacy, "R1", Severity::warning));
    CHECK(legacy.report.count(Severity::error) == 0);
    CHECK(legacy.doc.marks[1].records.at(0)[0] == 1000.5);  // TAB still separates
  }

  TEST_CASE("R2 and R3: line and record lengths")
  {
    one_defect(k_1001, with(k_1001, "Time P T O3", std::string(140, 'x')), "R2");
    auto legacy = run(with(k_1001, "Time P T O3", std::string(140, 'x')), Profile::legacy());
    CHECK(legacy.report.passes(Profile::legacy()));
    one_defect(k_1001, with(k_1001, "110 1000.5", "110 " + std::string(33000, '0') + "1000.5"),
               "R3");
  }

  TEST_CASE("R4: CRLF is valid, mixed line ends and no final line end warn")
  {
    std::string crlf;
    for (char c : k_1001) {
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    auto a = run(crlf);
    INFO(dump(a.report));
    CHECK(a.report.findings.empty());
    CHECK(a.stats.line_ends == "CRLF");
    std::string cr = k_1001;
    for (auto& c : cr) {
      c = c == '\n' ? '\r' : c;
    }
    auto b = run(cr);
    CHECK(b.report.findings.empty());
    CHECK(b.doc.marks.size() == 3);
    one_defect(k_1001, with(k_1001, "Unit tests\n", "Unit tests\r\n"), "R4", Severity::warning);
    one_defect(k_1001, k_1001.substr(0, k_1001.size() - 1), "R4", Severity::warning);
  }

  TEST_CASE("D1 (R5): a missing value is caught, not filled from the next line")
  {
    auto r = run(with(k_1001, "110 1000.5 289.5 46.5", "110 1000.5 289.5"));
    INFO(dump(r.report));
    REQUIRE(has(r, "D1"));
    bool named = false;
    for (const auto& f : r.report.findings) {
      named = named || f.message.find("has 3 values on line 20, expected 4") != std::string::npos;
    }
    CHECK(named);
    CHECK(has(r, "R5"));
    one_defect(k_1001, with(k_1001, "110 1000.5 289.5 46.5", "110 1000.5 289.5 46.5 7"), "D1");
  }

  TEST_CASE("R6: number syntax")
  {
    one_defect(k_1001, with(k_1001, "1000.5", "NaN"), "R6");
    one_defect(k_1001, with(k_1001, "1000.5", "inf"), "R6");
    one_defect(k_1001, with(k_1001, "1000.5", "1.0005D+03"), "R6");
    one_defect(k_1001, with(k_1001, "1000.5", "1000,5"), "R6");
    one_defect(k_1001, with(k_1001, "1000.5", "1.0005e+03"), "R6", Severity::warning);
    auto ok = run(with(k_1001, "1000.5", "+1.0005E+03"));
    CHECK(ok.report.findings.empty());
    CHECK(ok.doc.marks[1].records.at(0)[0] == 1000.5);
  }

  TEST_CASE("R7: integer header fields")
  {
    one_defect(k_1001, with(k_1001, "\n3\n1 1 0.1", "\n3.0\n1 1 0.1"), "R7");
    one_defect(k_2160, with(k_2160, "\n8\nTime", "\n8.0\nTime"), "R7");
  }

  TEST_CASE("R8: more than 7 significant digits, magnitude")
  {
    one_defect(k_1001, with(k_1001, "1000.5", "1000.123456"), "R8", Severity::warning);
    one_defect(k_1001, with(k_1001, "1000.5", "1.0E-40"), "R8", Severity::warning);
  }

  TEST_CASE("H0: an NDACC preamble line is an error, a legacy warning")
  {
    std::string pre = "JOHNSON B.  O3SONDE  BOULDER  OZONE\n" + k_1001;
    one_defect(k_1001, pre, "H0");
    auto legacy = run(pre, Profile::legacy());
    CHECK(legacy.report.passes(Profile::legacy()));
    CHECK(legacy.doc.header.preamble_lines == 1);
    CHECK(legacy.doc.marks.size() == 3);
  }

  TEST_CASE("H1: line 1")
  {
    one_defect(k_1001, with(k_1001, "18 1001", "18 1002"), "H1");
    one_defect(k_1001, with(k_1001, "18 1001", "18,1001"), "H1");
    one_defect(k_1001, with(k_1001, "18 1001", "18 1001 7"), "H1");
    one_defect(k_1001, with(k_1001, "18 1001", "18 1001 {NLHEAD FFI}"), "H1", Severity::warning);
    auto empty = run("");
    CHECK(has(empty, "H1"));
  }

  TEST_CASE("H2: NLHEAD is computed, never trusted")
  {
    auto more = run(with(k_1001, "18 1001", "19 1001"));
    CHECK(has(more, "H2"));
    CHECK(more.doc.marks.size() == 3);  // nothing lost
    auto less = run(with(k_1001, "18 1001", "17 1001"));
    CHECK(has(less, "H2"));
    CHECK(less.doc.marks.size() == 3);
    // NNCOML one too small: the header ends early and a comment becomes data.
    auto short_header = run(with(k_1001, "0\n1\nTime", "0\n0\nTime"));
    CHECK(has(short_header, "H2"));
    auto cut = run(k_1001.substr(0, k_1001.find("Pressure")));
    CHECK(has(cut, "H2"));
    CHECK_FALSE(cut.stats.header_complete);
  }

  TEST_CASE("H3: counts of scale, missing and name items")
  {
    one_defect(k_1001, with(k_1001, "1 1 0.1\n", "1 1\n"), "H3");
    one_defect(k_1001, with(k_1001, "\n3\n1 1 0.1", "\n0\n1 1 0.1"), "H3");
    one_defect(k_1001, with(k_1001, "\n0\n1\nTime", "\n-1\n1\nTime"), "H3");
  }

  TEST_CASE("H4, H5, H6: volumes and dates, and the RDATE policy")
  {
    one_defect(k_1001, with(k_1001, "\n1 1\n", "\n2 1\n"), "H4");
    one_defect(k_1001, with(k_1001, "2021 06 18 2021 06 19", "2021 02 30 2021 06 19"), "H5");
    one_defect(k_1001, with(k_1001, "2021 06 18 2021 06 19", "21 06 18 2021 06 19"), "H5");
    one_defect(k_1001, with(k_1001, "2021 06 18 2021 06 19", "2021 06 18 2021 13 19"), "H5");
    std::string before = with(k_1001, "2021 06 18 2021 06 19", "2021 06 18 2021 06 17");
    one_defect(k_1001, before, "H6");
    Profile p = Profile::strict();
    p.rdate_after_date = false;
    CHECK(run(before, p).report.findings.empty());
  }

  TEST_CASE("H7: FFI 1020 needs DX(1) != 0 and NVPM >= 1")
  {
    one_defect(k_1020, with(k_1020, "\n5\n3\n", "\n0\n3\n"), "H7");
    one_defect(k_1020, with(k_1020, "\n5\n3\n", "\n5\n0\n"), "H7");
  }

  TEST_CASE("H8 and H9: header axes")
  {
    one_defect(k_2010, with(k_2010, "\n3\n3\n1 2 5", "\n3\n0\n1 2 5"), "H8");
    one_defect(k_2010, with(k_2010, "\n3\n3\n1 2 5", "\n3\n1\n1"), "H8");  // DX(1) = 0
    auto partial = run(with(with(k_2010, "0 10\n", "1 10\n"), "\n3\n3\n1 2 5", "\n3\n2\n1 2"));
    CHECK(has(partial, "H8", Severity::warning));
    CHECK(partial.report.count(Severity::error) == 0);
    one_defect(k_2010, with(k_2010, "1 2 5", "1 5 2"), "H9");
    one_defect(k_2010, with(k_2010, "0 10\n", "1 10\n"), "H9");  // 2 to 5 is not DX(1)
  }

  TEST_CASE("H10 and H11: auxiliary counts and string lengths")
  {
    one_defect(k_2110, with(k_2110, "\n2\n1 1\n99 9999\nNumber of levels\nPressure (hPa)\n",
                            "\n0\n"),
               "H10");
    one_defect(k_2160, with(k_2160, "\n3\n1\n1 1\n", "\n3\n3\n1 1\n"), "H10");
    one_defect(k_2160, with(k_2160, "\n8\nTime", "\n200\nTime"), "H11");
    one_defect(k_2160, with(k_2160, "zzzzzz\n", "zzzzzzzz\n"), "H11");
    one_defect(k_2160, with(k_2160, "\n6\nzzzzzz", "\n0\nzzzzzz"), "H11");
  }

  TEST_CASE("H12: empty names warn")
  {
    one_defect(k_1001, with(k_1001, "Doe, Jane\n", "\n"), "H12", Severity::warning);
    one_defect(k_1001, with(k_1001, "Ozone (mPa)\n", "  \n"), "H12", Severity::warning);
  }

  TEST_CASE("D1: blank lines, partial records and marks")
  {
    one_defect(k_1001, with(k_1001, "110 1000.5", "\n110 1000.5"), "D1");
    one_defect(k_1001, k_1001 + "\n\n", "D1", Severity::warning);
    one_defect(k_1001, k_1001 + "130 980.0\n", "D1");
    one_defect(k_2110, k_2110 + "20 2 800\n5 30 40\n", "D1");
  }

  TEST_CASE("D2: monotonic marks, and the repeat policy")
  {
    one_defect(k_1001, with(with(k_1001, "\n10\nTime", "\n0\nTime"), "120 990.0", "105 990.0"),
               "D2");
    std::string repeat = with(with(k_1001, "\n10\nTime", "\n0\nTime"), "120 990.0", "110 990.0");
    one_defect(with(k_1001, "\n10\nTime", "\n0\nTime"), repeat, "D2");
    Profile p = Profile::strict();
    p.strict_monotonic = false;
    CHECK(run(repeat, p).report.findings.empty());
    one_defect(k_2160, with(k_2160, "Bravo\n", "Alpha\n"), "D2");
  }

  TEST_CASE("D3 and D4: bounded X order and spacing")
  {
    one_defect(k_2110, with(k_2110, "2 11 21\n3 12 22", "3 11 21\n2 12 22"), "D3");
    one_defect(k_2310, with(k_2310, "10 2 0 0.5", "10 2 0 0"), "D3");
    one_defect(k_1001, with(k_1001, "120 990.0", "125 990.0"), "D4");
    one_defect(k_1020, with(k_1020, "15 500", "10 500"), "D4");
    one_defect(k_2110, with(k_2110, "3 12 22", "4 12 22"), "D4");
  }

  TEST_CASE("D5: values above the missing value; equal is missing; legacy downgrades")
  {
    std::string above = with(k_1001, "46.5", "100000");
    one_defect(k_1001, above, "D5");
    auto legacy = run(above, Profile::legacy());
    CHECK(has(legacy, "D5", Severity::warning));
    CHECK(legacy.report.passes(Profile::legacy()));
    auto equal = run(with(k_1001, "46.5", "99999"));
    CHECK(equal.report.findings.empty());
    CHECK(equal.stats.missing == 1);
  }

  TEST_CASE("D6: NX(m,1) and omitted records")
  {
    one_defect(k_2110, with(k_2110, "10 2 900\n5 30 40\n6 31 41\n", "10 -1 900\n"), "D6");
    one_defect(k_2110, with(k_2110, "10 2 900\n5 30 40\n6 31 41\n", "10 1.5 900\n"), "D6");
    // Omitted records are defined only when DX(2) != 0.
    auto omitted = run(with(k_2110, "10 2 900\n5 30 40\n6 31 41\n", "10 0 900\n"));
    CHECK(omitted.report.findings.empty());
    CHECK(omitted.doc.marks[1].records.empty());
    auto amiss = run(with(k_2110, "10 2 900\n5 30 40\n6 31 41\n", "10 99 900\n"));
    CHECK(amiss.report.findings.empty());
    one_defect(with(k_2110, "\n1 10\nAlt", "\n1 0\nAlt"),
               with(with(k_2110, "\n1 10\nAlt", "\n1 0\nAlt"), "10 2 900\n5 30 40\n6 31 41\n",
                    "10 0 900\n"),
               "D6", Severity::warning);
  }

  TEST_CASE("D7: 2160 strings fit LENX and LENA; shorter is fine")
  {
    one_defect(k_2160, with(k_2160, "Alpha\n", "Alphabetical\n"), "D7");
    one_defect(k_2160, with(k_2160, "Smith\n", "Smithson\n"), "D7");
  }

  TEST_CASE("D8: text after the last value of a data record")
  {
    one_defect(k_1001, with(k_1001, "289.5 46.5", "289.5 46.5 {good}"), "D8", Severity::warning);
  }

  TEST_CASE("D9: all-missing first or last marks")
  {
    one_defect(k_1001, with(k_1001, "100 1013.2 290.1 45.0", "100 9999 9999 99999"), "D9",
               Severity::warning);
    one_defect(k_1001, with(k_1001, "120 990.0 288.0 47.0", "120 9999 9999 99999"), "D9",
               Severity::warning);
  }

  TEST_CASE("D10: volumes of a set")
  {
    auto write = [](const std::string& name, const std::string& text) {
      std::ofstream(name, std::ios::binary) << text;
    };
    std::string v1 = with(k_1001, "\n1 1\n", "\n1 2\n");
    std::string v2 = with(with(with(with(v1, "\n1 2\n", "\n2 2\n"), "100 1013.2", "130 1013.2"),
                               "110 1000.5", "140 1000.5"),
                          "120 990.0", "150 990.0");
    write("v1.na", v1);
    write("v2.na", v2);
    auto ok = validate_volumes({"v1.na", "v2.na"}, Profile::strict());
    REQUIRE(ok);
    INFO(dump(*ok));
    CHECK(ok->findings.empty());
    write("v2b.na", with(v2, "130 1013.2", "115 1013.2"));
    auto overlap = validate_volumes({"v1.na", "v2b.na"}, Profile::strict());
    REQUIRE(overlap);
    CHECK(count(*overlap, "D10", Severity::error) == 1);
    write("v2c.na", with(v2, "Ozone sonde", "Other sonde"));
    auto differ = validate_volumes({"v1.na", "v2c.na"}, Profile::strict());
    REQUIRE(differ);
    CHECK(count(*differ, "D10", Severity::error) == 1);
    auto missing = validate_volumes({"v1.na"}, Profile::strict());
    REQUIRE(missing);
    CHECK(count(*missing, "D10", Severity::error) == 1);
  }

  TEST_CASE("the findings limit stops the report; repeated rules are summed up")
  {
    std::string text = with(k_1001, "9999 9999 99999", "-1 -1 -1");
    for (int i = 0; i < 200; ++i) {
      text += std::to_string(130 + 10 * i) + " 1 2 3\n";
    }
    auto r = run(text);
    // 20 listed D5 errors, then one summary finding of the rule.
    CHECK(count(r.report, "D5", Severity::error) == 21);
    Profile p = Profile::strict();
    p.max_findings = 5;
    auto limited = run(text, p);
    CHECK(limited.report.findings.size() == 5);
  }

  TEST_CASE("summary: time range from a time mark, read_header")
  {
    std::ofstream("s.na", std::ios::binary) << k_1001;
    auto s = summary("s.na");
    REQUIRE(s);
    CHECK(s->valid);
    REQUIRE(s->time_range);
    CHECK(s->time_range->start == "2021-06-18T00:01:40Z");
    CHECK(s->time_range->end == "2021-06-18T00:02:00Z");
    CHECK(seconds_per_unit("Elapsed UT seconds from 0 hours on day given in DATE") == 1.0);
    CHECK(seconds_per_unit("Time (hours)") == 3600.0);
    CHECK_FALSE(seconds_per_unit("Altitude (km)"));
    CHECK_FALSE(seconds_per_unit("Time after launch [s]"));
    auto h = read_header("s.na");
    REQUIRE(h);
    CHECK(h->vars.size() == 3);
    std::ofstream("bad.na", std::ios::binary) << "hello\nworld\n";
    auto bad = read_header("bad.na");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().rule == "H1");
  }
}
