// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <optional>

#include <hemera/archive/root.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/catalog/select.hpp>
#include <hemera/csw/csw.hpp>
#include <hemera/export/export.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
using json = nlohmann::json;

namespace {

interop::Entry entry(const std::string& uuid, json doc, const std::string& db = "DATB",
                     const std::string& collection = "strato/o3")
{
  doc["id"] = uuid;
  doc["identifier"] = uuid;
  return interop::Entry{uuid, db, collection, *metadata::Record::from_json(std::move(doc))};
}

const char* k_u1 = "11111111-1111-4111-8111-111111111111";
const char* k_u2 = "22222222-2222-4222-8222-222222222222";
const char* k_u3 = "33333333-3333-4333-8333-333333333333";
const char* k_u4 = "44444444-4444-4444-8444-444444444444";

std::vector<interop::Entry> sample()
{
  return {
    entry(k_u1, {{"resourceTitle", {{"en", "Ozone over Kiruna"}}}, {"status", "Public"},
                 {"keywords", json::array({{{"concept", "ozone"}}})},
                 {"temporalExtents", json::array({{{"beginDate", "2021-06-18T10:00:00Z"}}})},
                 {"spatialExtents", json::array({{{"area", {{"type", "bbox"}, {"west", 20.2}, {"east", 20.4},
                                                             {"south", 67.8}, {"north", 67.9}}}}})}}),
    entry(k_u2, {{"resourceTitle", {{"en", "Dust at Timmins"}}}, {"status", "Public"},
                 {"temporalExtents", json::array({{{"beginDate", "2019-08-01T00:00:00Z"}}})},
                 {"spatialExtents", json::array({{{"area", {{"type", "point"}, {"latitude", 48.5},
                                                             {"longitude", -81.3}}}}})}},
          "DASB", "sky/pilot"),
    entry(k_u3, {{"resourceTitle", {{"en", "Embargoed"}}}, {"status", "Public"},
                 {"distributionInformation", {{"embargoEnd", "2999-01-01"}}}}),
    entry(k_u4, {{"resourceTitle", {{"en", "Ozone, private"}}}, {"status", "Private"}}),
  };
}

config::Config cfg(const std::string& extra = "")
{
  auto c = config::parse_yaml("public_url: https://cat.example.org\npartners:\n  default: {}\n" + extra, "t.yaml");
  REQUIRE(c);
  return *c;
}

// An archive whose catalogue index holds `entries`, their records written in the tree.
struct IndexedArchive {
  std::filesystem::path root;

  explicit IndexedArchive(const std::vector<interop::Entry>& entries)
  {
    root = std::filesystem::current_path() / "csw-archive";
    REQUIRE(archive::remove_tree(root));
    REQUIRE(archive::init(root, Actor{"tester", 0, false, false}));
    auto a = archive::Archive::open(root);
    REQUIRE(a);
    for (const auto& e : entries) {
      std::string path = e.database + "/" + e.collection + "/" + e.uuid;
      std::filesystem::create_directories(root / path);
      REQUIRE(util::write_file_atomic(root / path / "metadata.json", e.record.dump()));
      REQUIRE(catalog::index_record(*a, path, 1, e.record, metadata::Defaults{}));
    }
  }
};

std::string matched(const std::string& body)
{
  auto p = body.find("numberOfRecordsMatched=\"");
  REQUIRE(p != std::string::npos);
  return body.substr(p + 24, body.find('"', p + 24) - p - 24);
}

}  // namespace

TEST_SUITE("export")
{
  TEST_CASE("partners: defaults, filters and bad entries")
  {
    auto c = cfg("  astro: {databases: [dasb], include_non_public: true, keyword_map: {Ozone: O3}}\n"
                 "  bad: {databases: [XYZ]}\n");
    auto names = interop::partner_names(c);
    CHECK(names == std::vector<std::string>{"astro", "bad", "default"});
    auto d = interop::load_partner(c, "default");
    REQUIRE(d);
    auto e = sample();
    std::string now = "2026-11-26T00:00:00Z";
    CHECK(interop::accepts(*d, e[0], now));
    CHECK_FALSE(interop::accepts(*d, e[2], now));  // under embargo
    CHECK(interop::accepts(*d, e[2], "3000-01-01T00:00:00Z"));
    auto a = interop::load_partner(c, "astro");
    REQUIRE(a);
    CHECK_FALSE(interop::accepts(*a, e[0], now));
    CHECK(interop::accepts(*a, e[1], now));
    CHECK(interop::summarize(e[0], *a, c).keywords == std::vector<std::string>{"O3"});
    CHECK(interop::load_partner(c, "bad").error().code == Errc::config);
    CHECK(interop::load_partner(c, "nobody").error().code == Errc::usage);
  }

  TEST_CASE("summaries: extents from boxes and points, landing page")
  {
    auto c = cfg();
    auto p = *interop::load_partner(c, "default");
    auto e = sample();
    auto s = interop::summarize(e[1], p, c);
    REQUIRE(s.bbox);
    CHECK((*s.bbox)[0] == doctest::Approx(-81.3));
    CHECK((*s.bbox)[1] == doctest::Approx(48.5));
    std::string landing = "https://catalogue.example.org/";
    landing.append(k_u2);
    CHECK(s.landing_page == landing);
    CHECK(interop::inspire_theme_code("Atmospheric conditions") == "ac");
    CHECK(interop::inspire_theme_code("nothing") == "");
  }

  TEST_CASE("render: escaped text, DOI prefix needed for DataCite")
  {
    auto c = cfg();
    auto p = *interop::load_partner(c, "default");
    auto e = entry(k_u1, {{"resourceTitle", {{"en", "A <b> & \x01 C"}}}, {"status", "Public"}});
    auto iso = interop::render(interop::Schema::iso19139, e, p, c);
    REQUIRE(iso);
    CHECK(iso->find("A &lt;b&gt; &amp;  C") != std::string::npos);
    CHECK(interop::render(interop::Schema::datacite, e, p, c).error().code == Errc::config);
    p.doi_prefix = std::string("10.1234");
    p.publisher = std::string("AERIS/ESPRI");
    auto dc = interop::render(interop::Schema::datacite, e, p, c);
    REQUIRE(dc);
    std::string doi = "10.1234/";
    doi.append(k_u1);
    CHECK(dc->find(doi) != std::string::npos);
  }

  TEST_CASE("xml_text: XML characters kept, controls dropped, broken UTF-8 replaced")
  {
    CHECK(interop::xml_text("Ozone \xC3\xA9t\xC3\xA9 \xF0\x9F\x8E\x88 <&>\t\n") ==
          "Ozone \xC3\xA9t\xC3\xA9 \xF0\x9F\x8E\x88 <&>\t\n");
    CHECK(interop::xml_text("a\x01\x1F" "b") == "ab");
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(interop::xml_text("De\xa6scr") == "De" + fffd + "scr");          // lone continuation byte
    CHECK(interop::xml_text("\xC3") == fffd);                              // truncated sequence
    CHECK(interop::xml_text("\xC0\xAF") == fffd + fffd);                  // overlong '/'
    CHECK(interop::xml_text("\xED\xA0\x80") == fffd + fffd + fffd);      // surrogate U+D800
    CHECK(interop::xml_text("\xEF\xBF\xBE") == fffd + fffd + fffd);      // U+FFFE
    CHECK(interop::xml_text("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
  }

  TEST_CASE("csw: an exception report is well-formed whatever bytes the request echoes")
  {
    auto c = cfg();
    IndexedArchive arch(sample());
    auto cat = csw::open(c, arch.root);
    REQUIRE(cat);
    std::multimap<std::string, std::string> kvp{
      {"service", "CSW"}, {"version", "2.0.2"}, {"request", "De\xa6scr\x01ibe"}};
    auto r = csw::handle(**cat, "default", kvp, "");
    CHECK(r.status == 400);
    CHECK(r.body.find("De\xEF\xBF\xBDscribe") != std::string::npos);
    CHECK(r.body.find('\xa6') == std::string::npos);
  }

  TEST_CASE("render: DataCite lists the versions as related identifiers and the sizes of the latest")
  {
    auto c = cfg("catalogue_url: https://cat.example.org/\n");
    auto p = *interop::load_partner(c, "default");
    p.doi_prefix = std::string("10.1234");
    p.publisher = std::string("AERIS/ESPRI");
    auto e = entry(k_u1, {{"resourceTitle", {{"en", "Ozone"}}}, {"status", "Public"},
                          {"versions", json::array({{{"version", 1}, {"date", "2021-06-18"}, {"files", 2}, {"bytes", 900}},
                                                    {{"version", 2}, {"date", "2022-01-02"}, {"files", 3},
                                                     {"bytes", 1200}}})}});
    auto dc = interop::render(interop::Schema::datacite, e, p, c);
    REQUIRE(dc);
    std::string landing = std::string("https://cat.example.org/") + k_u1;
    CHECK(dc->find("relationType=\"HasVersion\">" + landing + "#v1</relatedIdentifier>") != std::string::npos);
    CHECK(dc->find("relationType=\"HasVersion\">" + landing + "#v2</relatedIdentifier>") != std::string::npos);
    CHECK(dc->find("<size>1200 bytes</size>") != std::string::npos);
    CHECK(dc->find("<size>3 files</size>") != std::string::npos);
    CHECK(dc->find("<size>900 bytes</size>") == std::string::npos);
    CHECK(dc->find("<publicationYear>2021</publicationYear>") != std::string::npos);
  }

  TEST_CASE("csw: filters, axis order, paging")
  {
    auto c = cfg();
    IndexedArchive arch(sample());
    auto cat = csw::open(c, arch.root);
    REQUIRE(cat);
    auto get = [&](std::multimap<std::string, std::string> kvp) {
      kvp.emplace("service", "CSW");
      kvp.emplace("version", "2.0.2");
      kvp.emplace("request", "GetRecords");
      return csw::handle(**cat, "default", kvp, "");
    };
    auto cql = [&](const std::string& q) {
      return get({{"constraintLanguage", "CQL_TEXT"}, {"constraint", q}, {"resultType", "results"}});
    };
    // The embargoed record (status Public, embargo running) is neither
    // counted nor served.
    auto all = get({{"resultType", "results"}});
    CHECK(matched(all.body) == "2");
    CHECK(all.body.find("numberOfRecordsReturned=\"2\"") != std::string::npos);
    CHECK(all.body.find(k_u3) == std::string::npos);
    CHECK(matched(cql("AnyText LIKE '%kiruna%'").body) == "1");
    CHECK(matched(cql("dc:title LIKE 'dust%' OR dc:title = 'Ozone over Kiruna'").body) == "2");
    CHECK(matched(cql("NOT (dc:title LIKE 'dust%')").body) == "1");
    CHECK(matched(cql("apiso:TempExtent_begin >= '2020-01-01'").body) == "1");
    CHECK(matched(cql("BBOX(ows:BoundingBox, 20, 67, 21, 68)").body) == "1");
    CHECK(matched(cql("BBOX(ows:BoundingBox, 67, 20, 68, 21, 'urn:ogc:def:crs:EPSG::4326')").body) == "1");
    CHECK(matched(cql("BBOX(ows:BoundingBox, 67, 20, 68, 21)").body) == "0");
    auto bad = cql("dc:title LIKE");
    CHECK(bad.status == 400);
    CHECK(bad.body.find("InvalidParameterValue") != std::string::npos);
    auto page = get({{"resultType", "results"}, {"maxRecords", "1"}});
    CHECK(page.body.find("numberOfRecordsReturned=\"1\" nextRecord=\"2\"") != std::string::npos);
    auto last = get({{"resultType", "results"}, {"maxRecords", "1"}, {"startPosition", "3"}});
    CHECK(last.body.find("numberOfRecordsReturned=\"0\" nextRecord=\"0\"") != std::string::npos);
    std::string gdal = R"(<?xml version="1.0"?><csw:GetRecords xmlns:csw="http://www.opengis.net/cat/csw/2.0.2"
      xmlns:ogc="http://www.opengis.net/ogc" xmlns:gml="http://www.opengis.net/gml" service="CSW" version="2.0.2"
      resultType="hits"><csw:Query typeNames="csw:Record"><csw:Constraint version="1.1.0"><ogc:Filter><ogc:And>
      <ogc:PropertyIsLike wildCard="*" singleChar="_" escapeChar="!" matchCase="true">
      <ogc:PropertyName>dc:title</ogc:PropertyName><ogc:Literal>*Kir_na</ogc:Literal></ogc:PropertyIsLike>
      <ogc:BBOX><ogc:PropertyName>ows:BoundingBox</ogc:PropertyName><gml:Envelope srsName="urn:ogc:def:crs:EPSG::4326">
      <gml:lowerCorner>67 20</gml:lowerCorner><gml:upperCorner>68 21</gml:upperCorner></gml:Envelope></ogc:BBOX>
      </ogc:And></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>)";
    CHECK(matched(csw::handle(**cat, "default", {}, gdal).body) == "1");
    auto landing = csw::landing_page(**cat, k_u3, false);
    CHECK(landing.status == 404);
    CHECK(csw::landing_page(**cat, k_u1, false).status == 200);
    CHECK(matched(cql("dc:title LIKE 'OZONE%'").body) == "1");
    CHECK(matched(cql("AnyText LIKE '%zzz%'").body) == "0");
    CHECK(matched(cql("AnyText LIKE '%ozone%'").body) == "1");  // not the private record
    CHECK(matched(cql("AnyText LIKE '%OZONE%' AND dc:title LIKE 'ozone%'").body) == "1");
    CHECK(csw::landing_page(**cat, k_u4, false).status == 404);
    CHECK(matched(cql("dc:identifier = '" + std::string(k_u2) + "'").body) == "1");
    CHECK(cql("dc:format = 'x'").status == 400);  // not in the index
  }

  TEST_CASE("catalog: LIKE patterns to words")
  {
    using W = std::vector<std::string>;
    CHECK(catalog::like_words("%ozone%", '%', '_', '\\') == W{"ozone"});
    CHECK(catalog::like_words("Ozone sonde%", '%', '_', '\\') == W{"Ozone", "sonde"});
    CHECK(catalog::like_words("*Kir_na", '*', '_', '!') == W{"Kir"});  // "na" starts inside a word
    CHECK(catalog::like_words("_zone", '%', '_', '\\').empty());
    CHECK(catalog::like_words("50!%", '*', '_', '!') == W{"50"});
    CHECK(catalog::like_words("d\xc3\xa9" "bit%", '%', '_', '\\') == W{"d\xc3\xa9" "bit"});
  }
}
