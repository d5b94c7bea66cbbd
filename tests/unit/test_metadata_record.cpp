// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>

#include <hemera/metadata/record.hpp>
#include <hemera/metadata/summary.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
using namespace hemera::metadata;
namespace fs = std::filesystem;

namespace {

// Annex 1, made valid JSON, with values filled in and a field the model does
// not know at several levels.
const char* k_annex1 = R"({
  "resourceTitle": {"en": "Ozone", "fr": "Ozone"},
  "resourceAbstract": {"en": "Profiles", "fr": "Profils"},
  "id": "0f8fad5b-d9cb-469f-a165-70867728950e",
  "lastModification": {"value": "2021-06-20T10:00:00Z"},
  "aerisDataCenter": "ESPRI",
  "temporalExtents": [{"beginDate": "2021-06-18", "endDate": "2021-06-18", "comment": {"DEFAULT_VALUE_KEY": ""}}],
  "spatialExtents": [{"area": {"type": "point", "latitude": 67.85, "longitude": 20.22, "altitude": 380},
                      "name": "Esrange", "description": "", "additionalData": null, "comment": " ",
                      "projection": "WGS84", "spatialRepresentation": null, "orbit": null}],
  "publications": [{"title": "T", "description": "D", "authors": "A", "journalName": "J",
                    "journalSection": "S", "publicationYear": 2022, "doi": "10.1/x"}],
  "links": [{"type": "FTP_DOWNLOAD_LINK", "url": "ftp://x", "name": "", "description": {"en": "e", "fr": "f"}}],
  "identifiers": [{"code": "10.5072/x", "codeSpace": "http://dx.doi.org/"}],
  "status": "Public",
  "distributionInformation": {"dataPolicyName": "P", "embargoDuration": 12, "registrationNeeded": true,
                              "description": {"DEFAULT_VALUE_KEY": " "}, "licenceName": "CC-BY",
                              "accessConstraints": null, "useConstraints": null},
  "language": "en",
  "contacts": [{"name": "Jane", "email": "j@x.org", "organisation": "LATMOS", "comment": null,
                "address": null, "roles": ["principalInvestigator"], "orcId": "0000-0002-1825-0097",
                "mystery": 42}],
  "quicklooks": [{"url": "http://q", "description": null}],
  "keywords": [{"concept": "HEMERA"}],
  "modifications": null,
  "genealogy": null,
  "formats": [{"name": "NASA Ames", "version": "2.0", "description": {"DEFAULT_VALUE_KEY": " "},
               "readingInformation": null, "temporalInterval": null}],
  "dataLevel": "L2",
  "programName": "HEMERA",
  "collectionName": "HEMERA",
  "clientTemplateName": "",
  "parameters": [{"shortName": "O3", "longName": "Ozone", "uom": "mPa", "comment": {"en": " ", "fr": " "},
                  "type": " ", "cfStandardName": "", "thesaurusConcat": " ",
                  "thesaurusVariable": {"code": "A", "name": {"en": "a", "fr": "a"},
                    "thesaurusVariable": {"code": "B", "name": {"en": "b", "fr": "b"},
                      "thesaurusVariable": {"code": "NULL", "name": {"en": "", "fr": ""}, "thesaurusVariable": null}}}}],
  "instruments": [{"thesaurusConcat": "X", "thesaurusClass": {"code": "C", "name": {"en": "c", "fr": "c"},
                   "thesaurusCode": {"code": "NULL", "name": {"en": "", "fr": ""},
                     "thesaurusName": {"code": "NULL", "name": {"en": "", "fr": ""}, "longName": {"en": "", "fr": ""}}}},
                   "manufacturer": "M", "model": "ECC", "serialNumber": "1", "calibration": " ",
                   "resolution": null, "displayName": "ECC", "description": null}],
  "plateforms": [{"thesaurusConcat": "BALLOONS_ROCKETS.NULL.BALLOONS",
                  "thesaurusClass": {"code": "BALLOONS_ROCKETS", "name": {"en": "Balloons/Rockets", "fr": "Ballons/Fusées"},
                    "thesaurusCode": {"code": "NULL", "name": {"en": "", "fr": ""},
                      "thesaurusName": {"code": "BALLOONS", "name": {"en": "Balloons", "fr": "Ballons"}, "longName": {"en": "", "fr": ""}}}},
                  "name": "", "description": {"DEFAULT_VALUE_KEY": ""}}],
  "projects": [{"thesaurusConcat": "INTERNATIONAL_PROGRAMS.HEMERA",
                "thesaurusCategory": {"code": "INTERNATIONAL_PROGRAMS", "name": {"en": "International programs", "fr": "Programmes internationaux"},
                  "thesaurusName": {"code": "HEMERA", "name": {"en": "Hemera h2020", "fr": "Hemera h2020"}, "longName": null}},
                "aerisProjectUuid": " "}],
  "datasetSpecification": null,
  "documentRating": 0,
  "note": 10,
  "metadataLevel": "Dataset",
  "identifier": "0f8fad5b-d9cb-469f-a165-70867728950e",
  "type": "DATASET",
  "versions": [{"version": 1, "date": "2021-06-20T10:00:00Z", "files": 2, "bytes": 100}],
  "somethingNew": {"kept": [1, 2, 3]}
})";

// Write each typed field back: a lossless model leaves the document unchanged.
json retyped(const Record& r)
{
  Record c = r;
  c.set_resource_title(*r.resource_title());
  c.set_resource_abstract(*r.resource_abstract());
  c.set_temporal_extents(*r.temporal_extents());
  c.set_spatial_extents(*r.spatial_extents());
  c.set_publications(*r.publications());
  c.set_links(*r.links());
  c.set_identifiers(*r.identifiers());
  c.set_distribution_information(*r.distribution_information());
  c.set_contacts(*r.contacts());
  c.set_quicklooks(*r.quicklooks());
  c.set_keywords(*r.keywords());
  c.set_formats(*r.formats());
  c.set_parameters(*r.parameters());
  c.set_instruments(*r.instruments());
  c.set_platforms(*r.platforms());
  c.set_projects(*r.projects());
  c.set_versions(*r.versions());
  return c.doc();
}

fs::path write(const char* name, const std::string& text)
{
  fs::path p = fs::current_path() / name;
  REQUIRE(util::write_file_atomic(p, text));
  return p;
}

}  // namespace

TEST_SUITE("metadata::record")
{
  TEST_CASE("the whole Annex 1 record round-trips through the typed model, unknown fields kept")
  {
    auto r = Record::parse(k_annex1, "annex1.json");
    REQUIRE(r);
    CHECK_FALSE(r->has("plateforms"));
    REQUIRE(r->platforms());
    CHECK(r->platforms()->at(0).thesaurus_class->code == "BALLOONS_ROCKETS");
    auto contacts = r->contacts();
    REQUIRE(contacts);
    CHECK(contacts->at(0).orc_id == "0000-0002-1825-0097");
    CHECK(contacts->at(0).extra["mystery"] == 42);
    CHECK(contacts->at(0).extra["comment"].is_null());
    auto params = r->parameters();
    REQUIRE(params);
    REQUIRE(params->at(0).thesaurus_variable.size() == 1);
    const auto& level1 = params->at(0).thesaurus_variable[0];
    REQUIRE(level1.child.size() == 1);
    REQUIRE(level1.child[0].child.size() == 1);
    CHECK(level1.child[0].child[0].code == "NULL");
    CHECK(level1.child[0].child[0].extra["thesaurusVariable"].is_null());
    CHECK(r->resource_title()->get("fr") == "Ozone");
    CHECK(r->distribution_information()->embargo_duration == 12);
    CHECK(r->check_identity());

    json expected = json::parse(k_annex1);
    expected["platforms"] = expected["plateforms"];
    expected.erase("plateforms");
    CHECK(retyped(*r) == expected);
    CHECK(json::parse(r->dump()) == expected);
  }

  TEST_CASE("a field of an unexpected type is kept as it is")
  {
    auto r = Record::parse(R"({"contacts": [{"name": "X", "roles": "pointofcontact"}], "keywords": "oops"})", "x");
    REQUIRE(r);
    CHECK(r->contacts()->at(0).roles == std::vector<std::string>{"pointofcontact"});
    CHECK_FALSE(r->keywords());
    CHECK(r->doc()["keywords"] == "oops");
  }

  TEST_CASE("numbers a typed field cannot hold exactly are kept as they are")
  {
    auto r = Record::parse(R"({"publications": [{"publicationYear": 18446744073709551615}],
      "spatialExtents": [{"area": {"type": "point", "latitude": 1, "longitude": 2, "altitude": 9007199254740993}}]})", "x");
    REQUIRE(r);
    json before = r->doc();
    r->set_publications(*r->publications());
    r->set_spatial_extents(*r->spatial_extents());
    CHECK(r->doc() == before);
    CHECK_FALSE(r->publications()->at(0).publication_year);
    CHECK(r->spatial_extents()->at(0).area->latitude == 1.0);
  }

  TEST_CASE("identity: id and identifier must be the same UUID")
  {
    auto r = Record::parse(R"({"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "identifier": "1f8fad5b-d9cb-469f-a165-70867728950e"})", "x");
    REQUIRE(r);
    auto c = r->check_identity();
    REQUIRE_FALSE(c);
    CHECK(c.error().rule == "record.identity");
  }

  TEST_CASE("forms: YAML scalars get JSON types, ORCID iDs and dates stay strings")
  {
    auto f = parse_form("resourceTitle: {en: \"T\"}\ncontacts:\n  - {name: Jane, orcId: 0000-0002-1825-0097}\n"
                        "distributionInformation: {embargoDuration: 12, registrationNeeded: true}\n"
                        "temporalExtents: [{beginDate: 2021-06-18}]\nversionText: \"4.0\"\nratio: 0.5\nnothing: ~\n",
                        "form.yaml");
    REQUIRE(f);
    CHECK((*f)["contacts"][0]["orcId"] == "0000-0002-1825-0097");
    CHECK((*f)["distributionInformation"]["embargoDuration"] == 12);
    CHECK((*f)["distributionInformation"]["registrationNeeded"] == true);
    CHECK((*f)["temporalExtents"][0]["beginDate"] == "2021-06-18");
    CHECK((*f)["versionText"] == "4.0");
    CHECK((*f)["ratio"] == 0.5);
    CHECK((*f)["nothing"].is_null());
    auto j = parse_form(f->dump(), "form.json");
    REQUIRE(j);
    CHECK(form_hash(*f) == form_hash(*j));
  }

  TEST_CASE("forms: malformed YAML names the line")
  {
    auto f = parse_form("a: 1\nb: [1, 2\nc: 3\n", "form.yaml");
    REQUIRE_FALSE(f);
    CHECK(f.error().code == Errc::data);
    CHECK(f.error().where.rfind("form.yaml:", 0) == 0);
    auto d = parse_form("a: 1\na: 2\n", "form.yaml");
    REQUIRE_FALSE(d);
    CHECK(d.error().rule == "form.duplicate");
    auto s = parse_form("- a\n- b\n", "form.yaml");
    REQUIRE_FALSE(s);
    CHECK(s.error().rule == "form.type");
    auto u = parse_form("resourceTitle: {en: \"caf\xe9\"}\n", "form.yaml");
    REQUIRE_FALSE(u);
    CHECK(u.error().rule == "form.encoding");
    auto big = parse_form("{\"note\": 1e400}", "form.json");
    REQUIRE_FALSE(big);
    CHECK(big.error().code == Errc::data);
  }

  TEST_CASE("GPS files: NMEA, GPX and CSV give a track, its bounds and its times")
  {
    auto nmea = write("t.nmea",
                      "$GPRMC,100000.00,A,6751.3480,N,02013.5180,E,5.0,45.0,180621,,,A*61\r\n"
                      "$GPGGA,100000.00,6751.3480,N,02013.5180,E,1,08,0.9,380.0,M,25.0,M,,*66\r\n"
                      "$GPGGA,100030.00,6751.4680,N,02013.7580,E,1,08,0.9,530.0,M,25.0,M,,*00\r\n"
                      "$GPRMC,100030.00,A,6751.4680,N,02013.7580,E,5.0,45.0,180621,,,A*61\r\n");
    auto s = summarize_gps(nmea, "t.nmea");
    REQUIRE(s);
    CHECK(s->format_name == "NMEA 0183");
    REQUIRE(s->extents.size() == 2);
    auto box = *s->extents[0].area;
    CHECK(box.type == "bbox");
    CHECK(*box.south == doctest::Approx(67.8558).epsilon(1e-4));
    CHECK(*box.north == doctest::Approx(67.8578).epsilon(1e-4));
    CHECK(s->extents[1].area->type == "trajectory");
    CHECK(s->begin == "2021-06-18T10:00:00Z");
    CHECK(s->end == "2021-06-18T10:00:30Z");  // the GGA with a bad checksum is skipped

    auto gpx = write("t.gpx", "<?xml version=\"1.0\"?>\n<gpx><trk><trkseg>\n"
                              "<trkpt lat=\"45.1\" lon=\"5.2\"><ele>200</ele><time>2022-01-01T00:00:00Z</time></trkpt>\n"
                              "<trkpt lat='45.3' lon='5.6'><ele>900</ele><time>2022-01-01T01:00:00Z</time></trkpt>\n"
                              "</trkseg></trk></gpx>\n");
    s = summarize_gps(gpx, "t.gpx");
    REQUIRE(s);
    CHECK(s->format_name == "GPX");
    REQUIRE(s->extents.size() == 2);
    CHECK(*s->extents[0].area->east == doctest::Approx(5.6));
    CHECK(*s->extents[0].area->max_altitude == doctest::Approx(900));
    CHECK(s->end == "2022-01-01T01:00:00Z");

    auto csv = write("t.csv", "time,lat,lon,alt\n2022-01-01T00:00:00Z,10.0,20.0,5\n2022-01-01T00:01:00Z,10.5,20.5,6\n");
    s = summarize_gps(csv, "t.csv");
    REQUIRE(s);
    CHECK(s->format_name == "CSV");
    REQUIRE(s->extents.size() == 2);
    CHECK(*s->extents[0].area->north == doctest::Approx(10.5));

    auto junk = write("t.txt", "just some notes\nabout the flight\n");
    s = summarize_gps(junk, "t.txt");
    REQUIRE(s);
    CHECK(s->extents.empty());
  }

  TEST_CASE("printable ASCII check finds the first other byte")
  {
    auto ok = check_printable(write("ok.txt", "a\tb\r\nc\n"));
    REQUIRE(ok);
    CHECK_FALSE(*ok);
    auto bad = check_printable(write("bad.txt", "abc\nd\xc3\xa9\n"));
    REQUIRE(bad);
    REQUIRE(*bad);
    CHECK((*bad)->first == 2);
    CHECK((*bad)->second == 2);
  }

  TEST_CASE("a record is built from the form, filled from the files where the form is silent")
  {
    json form = json::parse(R"({"resourceTitle": {"en": "T"}, "instruments": [{"displayName": "ECC"}]})");
    FileSummary na;
    na.file = "a.na";
    na.format_name = "NASA Ames";
    na.format_version = "FFI 1001";
    na.begin = "2021-06-18T10:00:00Z";
    na.end = "2021-06-18T11:00:00Z";
    na.instruments = {"ECC ozonesonde"};
    Parameter p;
    p.short_name = "O3";
    p.uom = "mPa";
    na.parameters = {p};
    FileSummary fits;
    fits.file = "b.fits";
    SkyPosition sky;
    sky.ra = 10;
    sky.dec = 20;
    fits.sky = {sky};
    RecordDefaults d{"0f8fad5b-d9cb-469f-a165-70867728950e", "2026-11-26T00:00:00Z",
                     "ftps://ftp.example.org/hemera/", "https://cat.example.org",
                     "DATB/c/0f8fad5b-d9cb-469f-a165-70867728950e"};
    std::vector<Contradiction> contradictions;
    Record r = build_record(form, d, {na, fits}, contradictions);
    CHECK(contradictions.empty());
    CHECK(r.check_identity());
    CHECK(r.temporal_extents()->at(0).begin_date == "2021-06-18T10:00:00Z");
    CHECK(r.parameters()->at(0).short_name == "O3");
    CHECK(r.instruments()->size() == 1);  // the form's, not the header's
    CHECK(r.sky_coverage()->at(0).ra == 10);
    CHECK_FALSE(r.spatial_extents());    // RA/DEC never become a geographic extent
    CHECK(r.metadata_level() == "Dataset");
    CHECK(r.type() == "DATASET");
    CHECK(r.platforms()->at(0).thesaurus_concat == "BALLOONS_ROCKETS.NULL.BALLOONS");
    auto links = *r.links();
    REQUIRE(links.size() == 2);
    CHECK(links[0].url == "ftps://ftp.example.org/hemera/DATB/c/0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(links[1].url == "https://cat.example.org/0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(r.formats()->at(0).name == "NASA Ames");
  }

  TEST_CASE("a form that contradicts the headers is reported and kept")
  {
    json form = json::parse(R"({"temporalExtents": [{"beginDate": "2021-06-19", "endDate": "2021-06-19"}],
      "spatialExtents": [{"area": {"type": "bbox", "west": 0, "east": 1, "south": 0, "north": 1}}],
      "instruments": [{"displayName": "Lidar"}]})");
    FileSummary f;
    f.file = "a.na";
    f.begin = "2021-06-18T10:00:00Z";
    f.end = "2021-06-18T11:00:00Z";
    f.instruments = {"ECC ozonesonde"};
    SpatialExtent e;
    Area a;
    a.type = "point";
    a.latitude = 67.8;
    a.longitude = 20.2;
    e.area = a;
    f.extents = {e};
    RecordDefaults d{"0f8fad5b-d9cb-469f-a165-70867728950e", "2026-11-26T00:00:00Z", "", "", "p"};
    std::vector<Contradiction> contradictions;
    Record r = build_record(form, d, {f}, contradictions);
    REQUIRE(contradictions.size() == 3);
    CHECK(contradictions[0].field == "temporalExtents.beginDate");
    CHECK(contradictions[1].field == "spatialExtents.area");
    CHECK(contradictions[2].field == "instruments");
    CHECK(r.temporal_extents()->at(0).begin_date == "2021-06-19");  // the form's value stays
    CHECK(r.spatial_extents()->size() == 1);
  }
}
