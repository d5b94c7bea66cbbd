// SPDX-License-Identifier: Apache-2.0
// The publishability profile, record edits and revisions, the catalogue
// index and every search criterion.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <sqlite3.h>

#include <hemera/archive/ingest.hpp>
#include <hemera/archive/journal.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/catalog/rank.hpp>
#include <hemera/catalog/select.hpp>
#include <hemera/db/db.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
using metadata::Check;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* const k_uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

// A record that passes the whole profile.
json complete_record(const std::string& uuid = k_uuid)
{
  return json::parse(R"({
    "id": "ID", "identifier": "ID",
    "resourceTitle": {"en": "Ozone sonde flight, Kiruna", "fr": "Vol d'ozonesonde, Kiruna"},
    "resourceAbstract": {"en": "Ozone and temperature profiles.", "fr": "Profils d'ozone et de température."},
    "lastModification": {"value": "2026-11-20T10:00:00Z"},
    "metadataLevel": "Dataset", "type": "DATASET",
    "versions": [{"version": 1, "date": "2021-07-01T00:00:00Z", "files": 1, "bytes": 10, "path": "v1"}],
    "language": "en",
    "status": "Public",
    "links": [{"type": "INFORMATION_LINK", "url": "https://catalogue.example.org/ID"}],
    "temporalExtents": [{"beginDate": "2021-06-18T10:00:00Z", "endDate": "2021-06-18T13:00:00Z"}],
    "spatialExtents": [{"area": {"type": "bbox", "west": 20.1, "east": 21.5, "south": 67.8, "north": 68.2}}],
    "keywords": [{"concept": "HEMERA"}, {"concept": "ozone"}, {"concept": "Atmospheric conditions"}],
    "contacts": [
      {"name": "Jane Doe", "email": "jane.doe@example.org", "organisation": "LATMOS",
       "roles": ["principalInvestigator"], "orcId": "0000-0002-1825-0097"},
      {"name": "HEMERA contact", "email": "hemera@example.org", "organisation": "AERIS",
       "roles": ["pointOfContact"]}],
    "distributionInformation": {"licenceName": "CC-BY", "licenceVersion": "4.0", "embargoDuration": 0},
    "inspire": {"topicCategory": ["climatologyMeteorologyAtmosphere"],
                "lineage": {"en": "Raw sonde data processed with the manufacturer's software."},
                "limitationsOnPublicAccess": "noLimitations"},
    "parameters": [{"shortName": "O3", "longName": "Ozone partial pressure", "uom": "mPa"},
                   {"shortName": "T", "longName": "Température de l'air", "uom": "K"}],
    "instruments": [{"displayName": "ECC ozonesonde", "thesaurusConcat": "IN_SITU.BALLOON_BORNE.ECC"}],
    "platforms": [{"name": "Zero-pressure balloon", "thesaurusConcat": "BALLOONS_ROCKETS.NULL.STRATOSPHERIC_BALLOONS"}],
    "projects": [{"thesaurusConcat": "INTERNATIONAL_PROGRAMS.HEMERA"}]
  })")
    .patch(json::parse(R"([{"op":"replace","path":"/id","value":")" + uuid +
                       R"("},{"op":"replace","path":"/identifier","value":")" + uuid + R"("}])"));
}

metadata::Defaults publisher_defaults()
{
  metadata::Defaults d;
  d.values = {{"publisher", "AERIS/ESPRI"}};
  return d;
}

metadata::ProfileReport profile(const json& doc, const metadata::Defaults& d = publisher_defaults())
{
  auto r = metadata::Record::from_json(doc);
  REQUIRE(r);
  return metadata::check_record(*r, d, "2026-11-26T10:00:00Z");
}

// Return true if the report holds an error of `rule` at `path`.
bool has(const metadata::ProfileReport& r, const std::string& rule, const std::string& path,
         Check::Level level = Check::Level::error)
{
  return std::any_of(r.checks.begin(), r.checks.end(), [&](const Check& c) {
    return c.rule == rule && c.path == path && c.level == level;
  });
}

std::string dump(const metadata::ProfileReport& r)
{
  std::string out;
  for (const auto& c : r.checks) {
    out += fmt::format("{} {} {} {}\n", metadata::level_name(c.level), c.rule, c.path, c.message);
  }
  return out;
}

}  // namespace

TEST_SUITE("catalog::orcid")
{
  TEST_CASE("MOD 11-2 check digits: ORCID's documented vectors")
  {
    CHECK(metadata::orcid_check_digit("000000021825009") == '7');
    CHECK(metadata::orcid_check_digit("000000021694233") == 'X');
    CHECK(metadata::orcid_check_digit("000000024510038") == '5');
    CHECK(metadata::orcid_check_digit("000900015055926") == '2');
    CHECK(metadata::normalize_orcid("0000-0002-1825-0097").value() == "0000-0002-1825-0097");
    CHECK(metadata::normalize_orcid("0000-0002-1694-233X").value() == "0000-0002-1694-233X");
    CHECK(metadata::normalize_orcid("0009-0001-5055-9262"));
  }
  TEST_CASE("accepted forms are normalized; wrong digits and formats refused")
  {
    CHECK(metadata::normalize_orcid("https://orcid.org/0000-0002-1825-0097").value() == "0000-0002-1825-0097");
    CHECK(metadata::normalize_orcid("http://orcid.org/0000-0002-1825-0097").value() == "0000-0002-1825-0097");
    CHECK(metadata::normalize_orcid("0000000218250097").value() == "0000-0002-1825-0097");
    CHECK(metadata::normalize_orcid("0000-0002-1694-233x").value() == "0000-0002-1694-233X");
    auto wrong = metadata::normalize_orcid("0000-0002-1825-0098");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("check digit") != std::string::npos);
    CHECK_FALSE(metadata::normalize_orcid("0000-0002-1825-0079"));
    CHECK_FALSE(metadata::normalize_orcid("0000-0002-1694-2330"));
    CHECK_FALSE(metadata::normalize_orcid("0000-0002-1825-009"));
    CHECK_FALSE(metadata::normalize_orcid("0000_0002_1825_0097"));
    CHECK_FALSE(metadata::normalize_orcid("https://sandbox.orcid.org/0000-0002-1825-0097"));
    CHECK_FALSE(metadata::normalize_orcid("000a-0002-1825-0097"));
  }
  TEST_CASE("assigned ranges")
  {
    CHECK(metadata::orcid_in_assigned_range("0000-0002-1825-0097"));
    CHECK(metadata::orcid_in_assigned_range("0009-0001-5055-9262"));
    CHECK_FALSE(metadata::orcid_in_assigned_range("0000-0000-0000-0001"));
  }
}

TEST_SUITE("catalog::values")
{
  TEST_CASE("ISO 8601 dates and date-times, ranges checked")
  {
    for (const char* ok : {"2021", "2021-06", "2021-06-18", "2020-02-29", "2021-06-18T10:00Z",
                           "2021-06-18T10:00:00Z", "2021-06-18T10:00:00.25+02:00", "2021-06-18T23:59:60Z",
                           "2021-06-18T10:00:00"}) {
      CHECK_MESSAGE(metadata::parse_iso8601(ok).has_value(), ok);
    }
    for (const char* bad : {"", "21-06-18", "2021-13-01", "2021-02-29", "2021-06-31", "2021-06-18T24:00:00Z",
                            "2021-06-18T10:60Z", "2021-06-18 10:00:00", "2021-06-18T10:00:00+2", "18/06/2021",
                            "2021-06-18T10:00:00Zjunk"}) {
      CHECK_FALSE_MESSAGE(metadata::parse_iso8601(bad).has_value(), bad);
    }
  }
  TEST_CASE("UTC normalization: offsets across midnight, periods' ends")
  {
    CHECK(metadata::to_utc_string(*metadata::parse_iso8601("2021-01-01T01:30:00+02:00"), false) ==
          "2020-12-31T23:30:00Z");
    CHECK(metadata::to_utc_string(*metadata::parse_iso8601("2020-02"), true) == "2020-02-29T23:59:59Z");
    CHECK(metadata::to_utc_string(*metadata::parse_iso8601("2021"), true) == "2021-12-31T23:59:59Z");
    CHECK(metadata::to_utc_string(*metadata::parse_iso8601("2021-06-18"), false) == "2021-06-18T00:00:00Z");
  }
  TEST_CASE("folding for matching")
  {
    CHECK(metadata::fold("Température ÉLEVÉE, Œuvre") == "temperature elevee, oeuvre");
    CHECK(metadata::fold("Ça Ñ ß") == "ca n ss");
  }
}

TEST_SUITE("catalog::profile")
{
  TEST_CASE("a complete record is publishable and ready for a DOI")
  {
    auto r = profile(complete_record());
    INFO(dump(r));
    CHECK(r.errors() == 0);
    CHECK(r.publishable);
    CHECK(r.doi_ready);
    CHECK(r.schema_valid);
    // Only the not-evaluated conformity is worth a warning.
    CHECK(has(r, "inspire.conformity", "$.inspire.conformity", Check::Level::warning));
  }

  TEST_CASE("each INSPIRE element, missing, is named with its JSON path")
  {
    struct Case {
      const char* remove;  // JSON pointer
      const char* rule;
      const char* path;
    };
    const Case cases[] = {
      {"/resourceAbstract", "inspire.abstract", "$.resourceAbstract"},
      {"/links", "inspire.locator", "$.links"},
      {"/language", "inspire.language", "$.language"},
      {"/inspire/topicCategory", "inspire.topic-category", "$.inspire.topicCategory"},
      {"/keywords", "inspire.keyword", "$.keywords"},
      {"/keywords/2", "inspire.theme", "$.inspire.theme"},
      {"/spatialExtents", "inspire.bbox", "$.spatialExtents"},
      {"/temporalExtents", "inspire.temporal", "$.temporalExtents"},
      {"/inspire/lineage", "inspire.lineage", "$.inspire.lineage"},
      {"/distributionInformation/licenceName", "inspire.access-conditions",
       "$.distributionInformation.licenceName"},
      {"/inspire/limitationsOnPublicAccess", "inspire.access-limitations",
       "$.inspire.limitationsOnPublicAccess"},
      {"/contacts/1", "inspire.metadata-contact", "$.contacts"},
      {"/contacts", "inspire.responsible-party", "$.contacts"},
      {"/contacts/0", "doi.creator", "$.contacts"},
      {"/status", "inspire.access-limitations", "$.status"},
    };
    for (const auto& c : cases) {
      json doc = complete_record();
      doc = doc.patch(json::array({{{"op", "remove"}, {"path", c.remove}}}));
      auto r = profile(doc);
      INFO(c.remove, "\n", dump(r));
      CHECK(has(r, c.rule, c.path));
      CHECK_FALSE(r.publishable);
    }
  }

  TEST_CASE("the title, the resource type and the metadata date")
  {
    json doc = complete_record();
    doc["resourceTitle"] = {{"en", "  "}};
    doc["type"] = "SERIES";
    doc["lastModification"]["value"] = "2026-13-01";
    auto r = profile(doc);
    INFO(dump(r));
    CHECK(has(r, "inspire.title", "$.resourceTitle"));
    CHECK(has(r, "inspire.resource-type", "$.metadataLevel"));
    CHECK(has(r, "value.date", "$.lastModification.value"));
    CHECK(has(r, "schema", "$.type"));
    CHECK_FALSE(r.schema_valid);
    CHECK_FALSE(r.doi_ready);
  }

  TEST_CASE("INSPIRE-only elements may come from the defaults; bad defaults are named")
  {
    json doc = complete_record();
    doc.erase("inspire");
    doc.erase("language");
    doc["contacts"].erase(1);
    auto bare = profile(doc);
    CHECK(has(bare, "inspire.lineage", "$.inspire.lineage"));
    CHECK(has(bare, "inspire.metadata-contact", "$.contacts"));
    metadata::Defaults d = publisher_defaults();
    d.values.update(json::parse(R"({"language": "en", "topicCategory": "climatologyMeteorologyAtmosphere",
      "lineage": "Processed by the HEMERA data centre.", "limitationsOnPublicAccess": "noLimitations",
      "metadataContact": {"organisation": "AERIS", "email": "hemera@example.org"}})"));
    auto r = profile(doc, d);
    INFO(dump(r));
    CHECK(r.publishable);
    d.values["topicCategory"] = "weather";
    auto r2 = profile(doc, d);
    CHECK(has(r2, "inspire.topic-category", "defaults.topicCategory"));
    // No publisher: no DOI.
    auto r3 = profile(complete_record(), metadata::Defaults{});
    CHECK(has(r3, "doi.publisher", "defaults.publisher"));
    CHECK_FALSE(r3.doi_ready);
  }

  TEST_CASE("an INSPIRE theme may be given in inspire.theme, and must be one")
  {
    json doc = complete_record();
    doc["keywords"].erase(2);
    doc["inspire"]["theme"] = {"Atmospheric conditions"};
    CHECK(profile(doc).publishable);
    doc["inspire"]["theme"] = {"Weather"};
    CHECK(has(profile(doc), "inspire.theme", "$.inspire.theme"));
  }

  TEST_CASE("ORCID iDs: format and check digit, with the contact's path")
  {
    json doc = complete_record();
    doc["contacts"][0]["orcId"] = "0000-0002-1825-0098";
    auto r = profile(doc);
    CHECK(has(r, "value.orcid", "$.contacts[0].orcId"));
    CHECK_FALSE(r.doi_ready);
    doc["contacts"][0]["orcId"] = "https://orcid.org/0000-0002-1825-0097";  // stored bare only
    CHECK(has(profile(doc), "schema", "$.contacts[0].orcId"));
    doc["contacts"][0]["orcId"] = "0000-0000-0000-0001";  // valid digit, unassigned block
    auto w = profile(doc);
    CHECK(has(w, "value.orcid", "$.contacts[0].orcId", Check::Level::warning));
    CHECK(w.publishable);
    doc["contacts"][0].erase("orcId");
    CHECK(has(profile(doc), "doi.orcid", "$.contacts[0].orcId", Check::Level::warning));
    doc["contacts"][0]["email"] = "jane at example";
    CHECK(has(profile(doc), "value.email", "$.contacts[0].email"));
  }

  TEST_CASE("dates: ISO 8601, and the end after the begin")
  {
    json doc = complete_record();
    doc["temporalExtents"][0]["endDate"] = "2021-06-17T00:00:00Z";
    CHECK(has(profile(doc), "value.date", "$.temporalExtents[0].endDate"));
    doc["temporalExtents"][0]["beginDate"] = "18/06/2021";
    auto r = profile(doc);
    CHECK(has(r, "value.date", "$.temporalExtents[0].beginDate"));
    doc = complete_record();
    doc["versions"][0]["date"] = "2021-02-30";
    CHECK(has(profile(doc), "value.date", "$.versions[0].date"));
    // An open end is fine.
    doc = complete_record();
    doc["temporalExtents"][0].erase("endDate");
    CHECK(profile(doc).publishable);
  }

  TEST_CASE("coordinates in range, south not north of north")
  {
    json doc = complete_record();
    doc["spatialExtents"][0]["area"]["north"] = 95.0;
    CHECK(has(profile(doc), "value.coordinates", "$.spatialExtents[0].area.north"));
    doc = complete_record();
    doc["spatialExtents"][0]["area"]["south"] = 69.0;
    CHECK(has(profile(doc), "value.coordinates", "$.spatialExtents[0].area.south"));
    doc = complete_record();
    doc["spatialExtents"][0]["area"] = {{"type", "point"}, {"latitude", 67.9}, {"longitude", 200.0}};
    CHECK(has(profile(doc), "value.coordinates", "$.spatialExtents[0].area.longitude"));
    doc["spatialExtents"][0]["area"] = json::parse(
      R"({"type": "trajectory", "points": [{"latitude": 67.9, "longitude": 21.1}, {"latitude": -91, "longitude": 21.2}]})");
    CHECK(has(profile(doc), "value.coordinates", "$.spatialExtents[0].area.points[1].latitude"));
    // A box across the dateline is valid (west > east).
    doc["spatialExtents"][0]["area"] = {{"type", "bbox"}, {"west", 170}, {"east", -170}, {"south", -10}, {"north", 10}};
    CHECK(profile(doc).publishable);
  }

  TEST_CASE("embargo consistent with status")
  {
    json doc = complete_record();
    doc["distributionInformation"]["embargoEnd"] = "2027-06-01";
    auto r = profile(doc);
    CHECK(has(r, "value.embargo", "$.status"));
    doc["status"] = "Embargoed";
    CHECK(profile(doc).publishable);
    doc["distributionInformation"]["embargoEnd"] = "2025-01-01";
    CHECK(has(profile(doc), "value.embargo", "$.status"));
    doc["distributionInformation"].erase("embargoEnd");
    CHECK(has(profile(doc), "value.embargo", "$.distributionInformation.embargoEnd"));
    doc = complete_record();
    doc["distributionInformation"]["embargoDuration"] = -3;
    CHECK(has(profile(doc), "value.embargo", "$.distributionInformation.embargoDuration"));
    doc = complete_record();
    doc["distributionInformation"]["embargoEnd"] = "next year";
    CHECK(has(profile(doc), "value.date", "$.distributionInformation.embargoEnd"));
  }

  TEST_CASE("members of another type than the schema's are findings, never exceptions")
  {
    json doc = complete_record();
    doc["spatialExtents"][0]["area"]["type"] = nullptr;  // found by fuzz_record
    CHECK_NOTHROW(profile(doc));
    doc["spatialExtents"][0]["area"]["type"] = 5;
    CHECK_NOTHROW(profile(doc));
    CHECK_FALSE(profile(doc).publishable);
  }

  TEST_CASE("schema findings name the path; id and identifier must agree")
  {
    json doc = complete_record();
    doc["language"] = "english";
    doc["contacts"][0]["roles"] = 3;
    doc["identifier"] = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b";
    auto r = profile(doc);
    INFO(dump(r));
    CHECK(has(r, "schema", "$.language"));
    CHECK(has(r, "schema", "$.contacts[0].roles"));
    CHECK(has(r, "schema", "$.identifier"));
    CHECK_FALSE(r.schema_valid);
  }
}

TEST_SUITE("catalog::edit")
{
  TEST_CASE("set_path creates, replaces and appends; remove_path removes")
  {
    json doc = json::object();
    REQUIRE(catalog::set_path(doc, "resourceTitle.en", "A title"));
    REQUIRE(catalog::set_path(doc, "contacts[0].orcId", "0000-0002-1825-0097"));
    REQUIRE(catalog::set_path(doc, "keywords[]", json{{"concept", "ozone"}}));
    REQUIRE(catalog::set_path(doc, "keywords[]", json{{"concept", "HEMERA"}}));
    REQUIRE(catalog::set_path(doc, "$.status", "Public"));
    CHECK(doc["resourceTitle"]["en"] == "A title");
    CHECK(doc["contacts"][0]["orcId"] == "0000-0002-1825-0097");
    CHECK(doc["keywords"].size() == 2);
    CHECK(doc["keywords"][1]["concept"] == "HEMERA");
    CHECK(doc["status"] == "Public");
    CHECK_FALSE(catalog::set_path(doc, "keywords[5]", 1));
    CHECK_FALSE(catalog::set_path(doc, "status.x", 1));
    CHECK_FALSE(catalog::set_path(doc, "a[b]", 1));
    CHECK_FALSE(catalog::set_path(doc, "", 1));
    REQUIRE(catalog::remove_path(doc, "keywords[0]"));
    CHECK(doc["keywords"].size() == 1);
    REQUIRE(catalog::remove_path(doc, "resourceTitle.en"));
    CHECK(doc["resourceTitle"].empty());
    CHECK_FALSE(catalog::remove_path(doc, "nothing.here"));
  }
  TEST_CASE("command-line values: JSON when it parses, else text")
  {
    CHECK(catalog::parse_value("42") == json(42));
    CHECK(catalog::parse_value("{\"en\": \"x\"}")["en"] == "x");
    CHECK(catalog::parse_value("Public") == json("Public"));
    CHECK(catalog::parse_value("0000-0002-1825-0097") == json("0000-0002-1825-0097"));
  }
}

namespace {

struct ArchiveFixture {
  fs::path dir;
  fs::path root;
  std::optional<archive::Archive> archive;
  Actor actor{"tester", 0, false, false};

  explicit ArchiveFixture(const char* name)
  {
    dir = fs::current_path() / name;
    REQUIRE(archive::remove_tree(dir));
    fs::create_directories(dir / "in");
    root = dir / "arch";
    REQUIRE(archive::init(root, actor));
    auto a = archive::Archive::open(root);
    REQUIRE(a);
    archive.emplace(std::move(*a));
  }

  // Ingest a one-file dataset with `form` (JSON text); return its UUID.
  std::string ingest(const std::string& form)
  {
    REQUIRE(util::write_file_atomic(dir / "in/form.json", form));
    REQUIRE(util::write_file_atomic(dir / "in/a.na", "data\n"));
    archive::Inspector in;
    in.validate = [](const fs::path&, archive::FileKind) -> Result<archive::GateResult> {
      return archive::GateResult{true, {}};
    };
    archive::IngestRequest req;
    req.collection = "strato2021/o3sonde";
    req.form = dir / "in/form.json";
    req.files = {dir / "in/a.na"};
    req.actor = actor;
    req.catalogue_url = "https://catalogue.example.org";
    auto r = archive::ingest(*archive, req, in);
    REQUIRE(r);
    REQUIRE_FALSE(r->refused);
    return r->uuid;
  }
};

json form_of(json record)
{
  for (const char* k : {"id", "identifier", "versions", "lastModification", "metadataLevel", "type", "links"}) {
    record.erase(k);
  }
  return record;
}

}  // namespace

TEST_SUITE("catalog::revisions")
{
  TEST_CASE("an edit is a new immutable revision, journaled, audited and indexed")
  {
    ArchiveFixture fx("catalog-revise");
    std::string uuid = fx.ingest(form_of(complete_record()).dump());
    auto& a = *fx.archive;
    auto d = metadata::Defaults{publisher_defaults()};
    auto r = catalog::revise(a, uuid, fx.actor, [](json& doc) -> Result<void> {
      doc["resourceTitle"]["en"] = "Ozone sonde flight, Kiruna (corrected)";
      return {};
    }, d);
    REQUIRE(r);
    CHECK(r->changed);
    CHECK(r->revision == 2);
    auto info = archive::find_dataset(a, uuid).value().value();
    CHECK(info.record_revision == 2);
    fs::path ds = fx.root / info.path;
    CHECK(fs::exists(ds / "metadata/0001.json"));
    REQUIRE(fs::exists(ds / "metadata/0002.json"));
    CHECK((fs::status(ds / "metadata/0002.json").permissions() & fs::perms::owner_write) == fs::perms::none);
    CHECK(util::read_file(ds / "metadata.json").value() == util::read_file(ds / "metadata/0002.json").value());
    auto rec = archive::read_record(a, info).value();
    CHECK(rec.resource_title()->get("en") == "Ozone sonde flight, Kiruna (corrected)");
    CHECK(rec.last_modification().has_value());
    // The journal event.
    auto events = archive::journal::read_all(a.layout().journal()).value().events;
    REQUIRE(events.size() == 2);
    CHECK(events[1].kind == "record.revision");
    CHECK(events[1].record_revision == 2);
    CHECK(events[1].actor == "tester");
    CHECK(events[1].record_sha256->hex() ==
          checksum::hash_file(ds / "metadata/0002.json").value().digest.hex());
    // The audit log.
    auto audit = util::read_file(a.layout().audit_log()).value();
    CHECK(audit.find("\"action\":\"record.edit\"") != std::string::npos);
    CHECK(audit.find("committed record revision 2") != std::string::npos);
    CHECK(auth::verify_audit_log(a.layout().audit_log()));
    // History.
    auto h = catalog::history(a, info).value();
    REQUIRE(h.size() == 2);
    CHECK(h[0].revision == 1);
    CHECK(h[0].kind == "dataset.new");
    CHECK(h[1].kind == "record.revision");
    CHECK(h[1].sha256 == h[1].journal_sha256);
    CHECK(h[0].sha256 == h[0].journal_sha256);
    CHECK(catalog::read_revision(a, info, 1).value().resource_title()->get("en") == "Ozone sonde flight, Kiruna");
    CHECK(catalog::read_revision(a, info, 9).error().code == Errc::no_input);
    // Indexed at once.
    catalog::Query q;
    q.text = "corrected";
    auto s = catalog::search(a, q).value();
    REQUIRE(s.total == 1);
    CHECK(s.hits[0].uuid == uuid);
    CHECK(s.hits[0].revision == 2);
  }

  TEST_CASE("refused edits write nothing: identity, schema, permission; no change, no revision")
  {
    ArchiveFixture fx("catalog-refuse");
    std::string uuid = fx.ingest(form_of(complete_record()).dump());
    auto& a = *fx.archive;
    auto journal_size = [&] { return fs::file_size(a.layout().journal()); };
    auto before = journal_size();
    auto id = catalog::revise(a, uuid, fx.actor, [](json& doc) -> Result<void> {
      doc["id"] = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b";
      return {};
    }, {});
    REQUIRE_FALSE(id);
    CHECK(id.error().code == Errc::data);
    std::vector<Check> rejected;
    auto schema = catalog::revise(a, uuid, fx.actor, [](json& doc) -> Result<void> {
      doc["language"] = "english";
      return {};
    }, {}, &rejected);
    REQUIRE_FALSE(schema);
    CHECK(schema.error().code == Errc::data);
    REQUIRE_FALSE(rejected.empty());
    CHECK(rejected[0].path == "$.language");
    Actor mallory{"mallory", 1234, false, false};
    auto denied = catalog::revise(a, uuid, mallory, [](json&) -> Result<void> { return {}; }, {});
    REQUIRE_FALSE(denied);
    CHECK(denied.error().code == Errc::no_perm);
    auto same = catalog::revise(a, uuid, fx.actor, [](json&) -> Result<void> { return {}; }, {});
    REQUIRE(same);
    CHECK_FALSE(same->changed);
    CHECK(same->revision == 1);
    CHECK(journal_size() == before);
    CHECK_FALSE(fs::exists(fx.root / archive::find_dataset(a, uuid).value()->path / "metadata/0002.json"));
    // A curator granted on the archive may edit.
    REQUIRE(auth::grant(a, "tester", "mallory", "curator"));
    CHECK(catalog::revise(a, uuid, mallory, [](json& doc) -> Result<void> {
      doc["status"] = "Public";
      doc["dataLevel"] = "L2";
      return {};
    }, {}));
  }
}

namespace {

// A small catalogue of five records, indexed directly.
struct SearchFixture : ArchiveFixture {
  std::string kiruna = "11111111-1111-4111-8111-111111111111";
  std::string pacific = "22222222-2222-4222-8222-222222222222";
  std::string pilot = "33333333-3333-4333-8333-333333333333";
  std::string other = "44444444-4444-4444-8444-444444444444";
  std::string aleut = "55555555-5555-4555-8555-555555555555";

  SearchFixture() : ArchiveFixture("catalog-search")
  {
    auto d = publisher_defaults();
    json k = complete_record(kiruna);
    k["identifiers"] = json::parse(R"([{"code": "10.1234/abc", "codeSpace": "http://dx.doi.org/"}])");
    add("DATB/strato2021/o3sonde/" + kiruna, k, d);

    json p = complete_record(pacific);
    p["resourceTitle"] = {{"en", "Cloud survey over the Pacific"}, {"fr", "Étude des nuages du Pacifique"}};
    p["resourceAbstract"] = {{"en", "Cloud water content."}, {"fr", "Contenu en eau des nuages."}};
    p["spatialExtents"][0]["area"] = {{"type", "bbox"}, {"west", 170}, {"east", -170}, {"south", -10}, {"north", 10}};
    p["temporalExtents"] = json::parse(R"([{"beginDate": "2022-01-01"}])");
    p["status"] = "Embargoed";
    p["distributionInformation"]["embargoEnd"] = "2030-01-01";
    p["keywords"] = json::parse(R"([{"concept": "HEMERA"}, {"concept": "Nuages"}, {"concept": "Atmospheric conditions"}])");
    p["parameters"] = json::parse(R"([{"shortName": "RH", "longName": "Humidité relative"}])");
    p["instruments"] = json::parse(R"([{"displayName": "Cloud probe"}])");
    p["platforms"] = json::parse(R"([{"name": "Long-duration balloon", "thesaurusConcat": "BALLOONS_ROCKETS.NULL.LONG_DURATION_BALLOONS"}])");
    p["contacts"][0]["name"] = "Émile Zola";
    p["contacts"][0]["orcId"] = "0000-0002-1694-233X";
    p.erase("projects");
    add("DATB/pacific/cloud/" + pacific, p, d);

    json s = complete_record(pilot);
    s["resourceTitle"] = {{"en", "PILOT polarimetry of the Crab"}};
    s["spatialExtents"][0]["area"] = {{"type", "point"}, {"latitude", 44.0}, {"longitude", 5.0}};
    s["temporalExtents"] = json::parse(R"([{"beginDate": "2022-07-12T21:00:00Z", "endDate": "2022-07-13T03:00:00Z"}])");
    s["instruments"] = json::parse(R"([{"displayName": "PILOT photometer"}])");
    s["parameters"] = json::parse(R"([{"shortName": "I", "longName": "Intensity"}])");
    s["inspire"].erase("lineage");  // not publishable
    add("DASB/pilot/2022/" + pilot, s, d);

    json o = complete_record(other);
    o["resourceTitle"] = {{"en", "Ozone from another project"}};
    o["projects"] = json::parse(R"([{"thesaurusConcat": "INTERNATIONAL_PROGRAMS.OTHER"}])");
    o["keywords"] = json::parse(R"([{"concept": "ozone"}, {"concept": "Atmospheric conditions"}])");
    add("DATB/other/x/" + other, o, d);

    json t = complete_record(aleut);
    t["resourceTitle"] = {{"en", "Flight across the date line"}};
    t["spatialExtents"][0]["area"] = json::parse(
      R"({"type": "trajectory", "points": [{"latitude": 50, "longitude": 178.5}, {"latitude": 51, "longitude": -179.0}]})");
    t["temporalExtents"] = json::parse(R"([{"beginDate": "2019-03-01", "endDate": "2019-03-02"}])");
    add("DATB/aleut/2019/" + aleut, t, d);
  }

  void add(const std::string& path, const json& doc, const metadata::Defaults& d)
  {
    auto rec = metadata::Record::from_json(doc);
    REQUIRE(rec);
    REQUIRE(catalog::index_record(*archive, path, 1, *rec, d));
  }

  std::vector<std::string> find(const catalog::Query& q)
  {
    auto r = catalog::search(*archive, q);
    REQUIRE(r);
    std::vector<std::string> out;
    for (const auto& h : r->hits) {
      out.push_back(h.uuid);
    }
    std::sort(out.begin(), out.end());
    CHECK(r->total == out.size());
    return out;
  }
};

using V = std::vector<std::string>;

}  // namespace

namespace doctest {
template <> struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v)
  {
    std::string s = "[";
    for (const auto& x : v) {
      s.append(1, ' ');
      s.append(x, 0, 8);
    }
    s.append(" ]");
    return s.c_str();
  }
};
}  // namespace doctest

TEST_SUITE("catalog::search")
{
  TEST_CASE("only the project's records unless all projects are asked for")
  {
    SearchFixture fx;
    catalog::Query q;
    CHECK(fx.find(q) == V{fx.kiruna, fx.pacific, fx.pilot, fx.aleut});
    q.all_projects = true;
    CHECK(fx.find(q).size() == 5);
    q.all_projects = false;
    q.project = "other";
    CHECK(fx.find(q) == V{fx.other});
  }

  TEST_CASE("free text: prefixes, titles and abstracts in both languages, accents folded")
  {
    SearchFixture fx;
    catalog::Query q;
    q.text = "nuag";
    CHECK(fx.find(q) == V{fx.pacific});
    q.text = "etude";
    CHECK(fx.find(q) == V{fx.pacific});
    q.text = "ÉTUDE Pacif";
    CHECK(fx.find(q) == V{fx.pacific});
    q.text = "temperature";  // "température" in the French abstract and a parameter
    CHECK(fx.find(q) == V{fx.kiruna, fx.pilot, fx.aleut});
    q.text = "humidite";  // parameter names
    CHECK(fx.find(q) == V{fx.pacific});
    q.text = "ozone kiruna";
    CHECK(fx.find(q) == V{fx.kiruna});
    q.text = "\"unbalanced AND (";  // hostile syntax is only words
    CHECK(fx.find(q).empty());
  }

  TEST_CASE("time overlap, open-ended ranges included")
  {
    SearchFixture fx;
    catalog::Query q;
    q.from = "2021-06-18";
    q.to = "2021-06-18";
    CHECK(fx.find(q) == V{fx.kiruna});
    q.from = "2030-01-01";  // the Pacific survey has no end
    q.to.reset();
    CHECK(fx.find(q) == V{fx.pacific});
    q.from.reset();
    q.to = "2019-12-31";
    CHECK(fx.find(q) == V{fx.aleut});
    q.from = "2022-07-13T02:00:00+02:00";  // 00:00 UTC, inside the PILOT night
    q.to = "2022-07-13T02:00:00+02:00";
    CHECK(fx.find(q) == V{fx.pacific, fx.pilot});
    q.from = "junk";
    CHECK(catalog::search(*fx.archive, q).error().code == Errc::usage);
  }

  TEST_CASE("bounding boxes, across the dateline either way")
  {
    SearchFixture fx;
    catalog::Query q;
    q.bbox = catalog::parse_bbox("19,67,22,69").value();
    CHECK(fx.find(q) == V{fx.kiruna});
    q.bbox = catalog::parse_bbox("175,-5,180,5").value();  // east half of the Pacific box
    CHECK(fx.find(q) == V{fx.pacific});
    q.bbox = catalog::parse_bbox("-175,-5,-172,5").value();  // west of the dateline
    CHECK(fx.find(q) == V{fx.pacific});
    q.bbox = catalog::parse_bbox("160,-5,165,5").value();  // outside
    CHECK(fx.find(q).empty());
    q.bbox = catalog::parse_bbox("179,40,-178,60").value();  // query across the dateline
    CHECK(fx.find(q) == V{fx.aleut});
    q.bbox = catalog::parse_bbox("0,40,10,50").value();  // the PILOT site (a point)
    CHECK(fx.find(q) == V{fx.pilot});
    q.bbox = catalog::parse_bbox("-10,40,170,60").value();  // the trajectory is not the whole world
    CHECK(fx.find(q) == V{fx.pilot});
    CHECK_FALSE(catalog::parse_bbox("1,2,3"));
    CHECK_FALSE(catalog::parse_bbox("0,10,5,5"));
    CHECK_FALSE(catalog::parse_bbox("0,0,190,5"));
    CHECK_FALSE(catalog::parse_bbox("a,b,c,d"));
  }

  TEST_CASE("terms: keyword, parameter, instrument, platform, contact; folded, any of a list, prefixes")
  {
    SearchFixture fx;
    catalog::Query q;
    q.keywords = {"nuages"};
    CHECK(fx.find(q) == V{fx.pacific});
    q.keywords = {"OZONE"};
    CHECK(fx.find(q) == V{fx.kiruna, fx.pilot, fx.aleut});
    q.keywords = {"nuages", "nothing"};
    CHECK(fx.find(q) == V{fx.pacific});
    q = {};
    q.parameters = {"O3"};
    CHECK(fx.find(q) == V{fx.kiruna, fx.aleut});
    q.parameters = {"humidite relative"};
    CHECK(fx.find(q) == V{fx.pacific});
    q = {};
    q.instruments = {"pilot*"};
    CHECK(fx.find(q) == V{fx.pilot});
    q.instruments = {"ECC"};  // a segment of the thesaurus path
    CHECK(fx.find(q) == V{fx.kiruna, fx.aleut});
    q = {};
    q.platforms = {"long-duration balloon"};
    CHECK(fx.find(q) == V{fx.pacific});
    q.platforms = {"stratospheric_balloons"};
    CHECK(fx.find(q) == V{fx.kiruna, fx.pilot, fx.aleut});
    q = {};
    q.contact = "https://orcid.org/0000-0002-1694-233X";
    CHECK(fx.find(q) == V{fx.pacific});
    q.contact = "emile zola";
    CHECK(fx.find(q) == V{fx.pacific});
    q.contact = "Jane.Doe@example.org";
    CHECK(fx.find(q) == V{fx.kiruna, fx.pacific, fx.pilot, fx.aleut});
    q.contact = "0000-0002-1825-0097";
    CHECK(fx.find(q) == V{fx.kiruna, fx.pilot, fx.aleut});
  }

  TEST_CASE("collection, database, status, DOI, publishable")
  {
    SearchFixture fx;
    catalog::Query q;
    q.collection = "strato2021";
    CHECK(fx.find(q) == V{fx.kiruna});
    q.collection = "strato";  // a prefix of a segment is not a collection
    CHECK(fx.find(q).empty());
    q = {};
    q.database = "dasb";
    CHECK(fx.find(q) == V{fx.pilot});
    q.database = "XYZ";
    CHECK(catalog::search(*fx.archive, q).error().code == Errc::usage);
    q = {};
    q.status = "embargoed";
    CHECK(fx.find(q) == V{fx.pacific});
    q = {};
    q.has_doi = true;
    CHECK(fx.find(q) == V{fx.kiruna});
    q = {};
    q.publishable_only = true;
    CHECK(fx.find(q) == V{fx.kiruna, fx.pacific, fx.aleut});
  }

  TEST_CASE("criteria combine")
  {
    SearchFixture fx;
    catalog::Query q;
    q.text = "ozone";
    q.database = "DATB";
    q.from = "2021-01-01";
    q.to = "2021-12-31";
    q.bbox = catalog::parse_bbox("0,60,30,70").value();
    q.keywords = {"ozone"};
    q.instruments = {"ecc ozonesonde"};
    q.publishable_only = true;
    q.has_doi = true;
    CHECK(fx.find(q) == V{fx.kiruna});
    q.status = "embargoed";
    CHECK(fx.find(q).empty());
  }

  TEST_CASE("sorting and paging")
  {
    SearchFixture fx;
    catalog::Query q;
    q.sort = "title";
    q.limit = 2;
    auto page1 = catalog::search(*fx.archive, q).value();
    CHECK(page1.total == 4);
    REQUIRE(page1.hits.size() == 2);
    CHECK(page1.hits[0].title == "Cloud survey over the Pacific");
    CHECK(page1.hits[1].title == "Flight across the date line");
    q.offset = 2;
    auto page2 = catalog::search(*fx.archive, q).value();
    REQUIRE(page2.hits.size() == 2);
    CHECK(page2.hits[0].title == "Ozone sonde flight, Kiruna");
    q = {};
    q.sort = "date";
    q.descending = true;
    auto by_date = catalog::search(*fx.archive, q).value();
    CHECK(by_date.hits.front().uuid == fx.pilot);
    CHECK(by_date.hits.back().uuid == fx.aleut);
    q.sort = "nonsense";
    CHECK(catalog::search(*fx.archive, q).error().code == Errc::usage);
  }

  TEST_CASE("re-indexing a record replaces its entry")
  {
    SearchFixture fx;
    json k = complete_record(fx.kiruna);
    k["resourceTitle"] = {{"en", "Renamed flight"}};
    fx.add("DATB/strato2021/o3sonde/" + fx.kiruna, k, publisher_defaults());
    catalog::Query q;
    q.text = "kiruna";
    CHECK(fx.find(q).empty());
    q.text = "renamed";
    CHECK(fx.find(q) == V{fx.kiruna});
    q = {};
    CHECK(fx.find(q).size() == 4);
  }

  TEST_CASE("a scope at an instant leaves embargoed records out of counts and pages, until the embargo ends")
  {
    SearchFixture fx;
    const std::string passed = "66666666-6666-4666-8666-666666666666";
    const std::string until = "77777777-7777-4777-8777-777777777777";
    json a = complete_record(passed);
    a["distributionInformation"]["embargoEnd"] = "2020-01-01";
    fx.add("DATB/strato2021/o3sonde/" + passed, a, publisher_defaults());
    json b = complete_record(until);
    b["distributionInformation"]["embargoEnd"] = "2027-01-01T12:00:00Z";  // public, but not yet
    fx.add("DATB/strato2021/o3sonde/" + until, b, publisher_defaults());

    auto run = [&](catalog::Condition where, std::optional<std::string> at) {
      catalog::Selection sel;
      sel.where = std::move(where);
      sel.scope.embargoed_at = std::move(at);
      sel.limit = 100;
      auto r = catalog::select(fx.archive->db(), sel);
      REQUIRE(r);
      std::vector<std::string> uuids;
      for (const auto& x : r->records) {
        uuids.push_back(x.uuid);
      }
      std::sort(uuids.begin(), uuids.end());
      CHECK(r->total == uuids.size());
      return uuids;
    };
    catalog::Condition all;
    catalog::Condition ozone;
    ozone.kind = catalog::Condition::Kind::words;
    ozone.words = {"ozone"};
    auto without = [](V v, const std::string& u) {
      v.erase(std::remove(v.begin(), v.end(), u), v.end());
      return v;
    };
    // No instant: every record, the Embargoed one included.
    V every = run(all, std::nullopt);
    REQUIRE(every.size() == 7);
    V ozone_all = run(ozone, std::nullopt);
    REQUIRE(std::find(ozone_all.begin(), ozone_all.end(), until) != ozone_all.end());
    // Before the embargo ends: neither the Embargoed record nor the public one
    // still under embargo; the one whose embargo passed is in. The text count
    // (full-text index less the records out of scope) agrees with the page.
    CHECK(run(all, "2026-11-27T10:00:00Z") == without(without(every, fx.pacific), until));
    CHECK(run(ozone, "2026-11-27T10:00:00Z") == without(without(ozone_all, fx.pacific), until));
    CHECK(run(ozone, "2027-01-01T11:59:59Z") == without(without(ozone_all, fx.pacific), until));
    // At the instant it ends (same connection, the set of excluded records is
    // remade), and later.
    CHECK(run(ozone, "2027-01-01T12:00:00Z") == without(ozone_all, fx.pacific));
    CHECK(run(all, "2031-01-01T00:00:00Z") == without(every, fx.pacific));
    // A date alone ends at its start.
    b["distributionInformation"]["embargoEnd"] = "2028-03-01";
    fx.add("DATB/strato2021/o3sonde/" + until, b, publisher_defaults());
    CHECK(run(ozone, "2028-02-29T23:59:59Z") == without(without(ozone_all, fx.pacific), until));
    CHECK(run(ozone, "2028-03-01T00:00:00Z") == without(ozone_all, fx.pacific));
  }
}

TEST_SUITE("catalog::index")
{
  TEST_CASE("reindex rebuilds from the tree, drops what left it; refresh picks up other tools' commits")
  {
    ArchiveFixture fx("catalog-reindex");
    config::Config cfg = config::Config::defaults();
    cfg.set("doi.publisher", "AERIS/ESPRI", "test");
    std::string u1 = fx.ingest(form_of(complete_record()).dump());
    json f2 = form_of(complete_record());
    f2["resourceTitle"] = {{"en", "Second flight"}};
    std::string u2 = fx.ingest(f2.dump());
    auto& a = *fx.archive;
    // Ingest indexes; refresh re-indexes what another tool committed without
    // indexing (here: an entry removed behind the index's back).
    CHECK(catalog::refresh(a, cfg).value() == 0);
    catalog::Query q;
    CHECK(catalog::search(a, q).value().total == 2);
    REQUIRE(a.db().exec("DELETE FROM catalog WHERE uuid = ?1", {u1}));
    CHECK(catalog::search(a, q).value().total == 1);
    CHECK(catalog::refresh(a, cfg).value() == 1);
    CHECK(catalog::refresh(a, cfg).value() == 0);
    CHECK(catalog::search(a, q).value().total == 2);
    auto r = catalog::reindex(a, cfg).value();
    CHECK(r.records == 2);
    CHECK(r.skipped == 0);
    CHECK(catalog::reindex(a, cfg).value().records == 2);  // idempotent
    CHECK(catalog::search(a, q).value().total == 2);
    // A fake entry for a record not in the tree disappears on reindex.
    json ghost = complete_record("66666666-6666-4666-8666-666666666666");
    REQUIRE(catalog::index_record(a, "DATB/x/66666666-6666-4666-8666-666666666666", 1,
                                  metadata::Record::from_json(ghost).value(), {}));
    CHECK(catalog::search(a, q).value().total == 3);
    CHECK(catalog::reindex(a, cfg).value().records == 2);
    CHECK(catalog::search(a, q).value().total == 2);
    q.text = "second";
    auto hit = catalog::search(a, q).value();
    REQUIRE(hit.total == 1);
    CHECK(hit.hits[0].uuid == u2);
    CHECK(hit.hits[0].collection == "strato2021/o3sonde");
    CHECK(hit.hits[0].base == "DATB");
    (void)u1;
  }

  TEST_CASE("defaults come from the configuration, per collection")
  {
    auto cfg = config::parse_yaml(R"(
doi: {publisher: "AERIS/ESPRI"}
catalogue:
  defaults: {lineage: "Global lineage", language: en}
  collections:
    strato2021: {lineage: "Campaign lineage"}
    strato2021/o3sonde: {topicCategory: climatologyMeteorologyAtmosphere}
)", "test.yaml");
    REQUIRE(cfg);
    auto d = catalog::defaults_for(*cfg, "strato2021/o3sonde");
    CHECK(d.find("topicCategory")->get<std::string>() == "climatologyMeteorologyAtmosphere");
    CHECK(d.find("publisher")->get<std::string>() == "AERIS/ESPRI");
    CHECK(d.find("language")->get<std::string>() == "en");
    auto other = catalog::defaults_for(*cfg, "pilot/2022");
    CHECK(other.find("lineage")->get<std::string>() == "Global lineage");
    CHECK(other.find("topicCategory") == nullptr);
    CHECK(catalog::defaults_for(*cfg, "strato2021/x").find("lineage")->get<std::string>() == "Campaign lineage");
  }
}

TEST_SUITE("catalog::index")
{
  TEST_CASE("an ingest indexes its dataset in the same run, with the collection's defaults")
  {
    ArchiveFixture fx("catalog-ingest-index");
    auto& a = *fx.archive;
    json f = form_of(complete_record());
    f["resourceTitle"] = {{"en", "Stratospheric water vapour"}};
    std::vector<std::string> asked;
    archive::Inspector in;
    in.validate = [](const fs::path&, archive::FileKind) -> Result<archive::GateResult> {
      return archive::GateResult{true, {}};
    };
    REQUIRE(util::write_file_atomic(fx.dir / "in/form.json", f.dump()));
    REQUIRE(util::write_file_atomic(fx.dir / "in/a.na", "data\n"));
    archive::IngestRequest req;
    req.collection = "strato2021/h2o";
    req.form = fx.dir / "in/form.json";
    req.files = {fx.dir / "in/a.na"};
    req.actor = fx.actor;
    req.catalogue_defaults = [&](const std::string& collection) {
      asked.push_back(collection);
      return metadata::Defaults{};
    };
    auto r = archive::ingest(a, req, in);
    REQUIRE(r);
    REQUIRE_FALSE(r->refused);
    CHECK(asked == std::vector<std::string>{"strato2021/h2o"});
    // Found at once, with no refresh and no reindex.
    catalog::Query q;
    q.text = "vapour";
    auto hit = catalog::search(a, q).value();
    REQUIRE(hit.total == 1);
    CHECK(hit.hits[0].uuid == r->uuid);
    CHECK(hit.hits[0].revision == 1);
    CHECK(hit.hits[0].collection == "strato2021/h2o");
    // A new version is indexed too (revision 2, the form's new title).
    f["resourceTitle"] = {{"en", "Stratospheric water vapour, second version"}};
    REQUIRE(util::write_file_atomic(fx.dir / "in/form.json", f.dump()));
    req.collection.clear();
    req.dataset = r->uuid;
    auto v2 = archive::ingest(a, req, in);
    REQUIRE(v2);
    REQUIRE_FALSE(v2->refused);
    q.text = "second version";
    hit = catalog::search(a, q).value();
    REQUIRE(hit.total == 1);
    CHECK(hit.hits[0].revision == 2);
    config::Config cfg = config::Config::defaults();
    CHECK(catalog::refresh(a, cfg).value() == 0);
  }

  TEST_CASE("a database made before the catalogue migration upgrades cleanly")
  {
    fs::path dir = fs::current_path() / "catalog-upgrade";
    REQUIRE(archive::remove_tree(dir));
    fs::create_directories(dir);
    {
      auto d = db::Database::open(dir / "hemera.db", true).value();
      REQUIRE(d.migrate_to(4));
      CHECK(d.schema_version().value() == 4);
      // The tables an earlier build created outside the migrations, with an entry.
      REQUIRE(d.exec_script(R"sql(
CREATE TABLE catalog (uuid TEXT PRIMARY KEY, base TEXT NOT NULL, collection TEXT NOT NULL,
  path TEXT NOT NULL, revision INTEGER NOT NULL, title TEXT NOT NULL, title_sort TEXT NOT NULL,
  status TEXT NOT NULL, status_folded TEXT NOT NULL, has_doi INTEGER NOT NULL,
  publishable INTEGER NOT NULL, begin_time TEXT, end_time TEXT, last_modification TEXT,
  run INTEGER NOT NULL DEFAULT 0);
CREATE TABLE catalog_time (uuid TEXT NOT NULL, begin_time TEXT, end_time TEXT);
CREATE TABLE catalog_extent (uuid TEXT NOT NULL, west INTEGER NOT NULL, east INTEGER NOT NULL,
  south INTEGER NOT NULL, north INTEGER NOT NULL);
CREATE TABLE catalog_term (kind TEXT NOT NULL, value TEXT NOT NULL, uuid TEXT NOT NULL,
  PRIMARY KEY (kind, value, uuid)) WITHOUT ROWID;
CREATE VIRTUAL TABLE catalog_text USING fts5(title, abstract, keywords, parameters,
  tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO meta(key, value) VALUES ('catalog.schema', '1');
INSERT INTO catalog VALUES ('0f8fad5b-d9cb-469f-a165-70867728950e', 'DATB', 'c', 'DATB/c/x', 1, 'Old',
  'old', 'Public', 'public', 0, 1, NULL, NULL, NULL, 1);
INSERT INTO catalog_text(rowid, title, abstract, keywords, parameters) VALUES (1, 'Old', '', '', '');
)sql"));
    }
    auto d = db::Database::open(dir / "hemera.db", false).value();
    REQUIRE(d.migrate());
    CHECK(d.schema_version().value() == db::latest_schema_version());
    CHECK(d.query("SELECT value FROM meta WHERE key = 'catalog.schema'").value().empty());
    // The new tables, empty (the next search's refresh fills them from datasets).
    CHECK(d.query_ids("SELECT COUNT(*) FROM catalog").value() == std::vector<std::int64_t>{0});
    CHECK(d.query_ids("SELECT COUNT(*) FROM catalog_text").value() == std::vector<std::int64_t>{0});
    REQUIRE(d.exec("INSERT INTO catalog_where(id, west, east, south, north, rid) VALUES (1, -10, 10, -5, 5, 7)"));
    CHECK(d.query_ids("SELECT rid FROM catalog_where WHERE west <= 0 AND east >= 0").value() ==
          std::vector<std::int64_t>{7});
    CHECK(d.query_ids("SELECT COUNT(*) FROM pragma_table_info('catalog') WHERE name = 'rid'").value() ==
          std::vector<std::int64_t>{1});
    // Migrating again does nothing.
    REQUIRE(d.migrate());
  }

  TEST_CASE("an upgraded archive's index is refilled by the first search")
  {
    ArchiveFixture fx("catalog-upgrade-refresh");
    auto& a = *fx.archive;
    std::string u = fx.ingest(form_of(complete_record()).dump());
    // As after migration 5 on an older archive: datasets known, index empty.
    REQUIRE(a.db().exec_script("DELETE FROM catalog; DELETE FROM catalog_text; DELETE FROM catalog_term;"));
    catalog::Query q;
    CHECK(catalog::search(a, q).value().total == 0);
    config::Config cfg = config::Config::defaults();
    CHECK(catalog::refresh(a, cfg).value() == 1);
    auto hit = catalog::search(a, q).value();
    REQUIRE(hit.total == 1);
    CHECK(hit.hits[0].uuid == u);
  }

  TEST_CASE("statements are cached per connection and survive a schema change")
  {
    fs::path dir = fs::current_path() / "catalog-stmt-cache";
    REQUIRE(archive::remove_tree(dir));
    fs::create_directories(dir);
    auto d = db::Database::open(dir / "x.db", true).value();
    REQUIRE(d.exec_script("CREATE TABLE t (a INTEGER);"));
    for (int i = 0; i < 3; ++i) {
      REQUIRE(d.exec("INSERT INTO t(a) VALUES (?1)", {i}));
    }
    CHECK(d.query_ids("SELECT a FROM t ORDER BY a").value() == std::vector<std::int64_t>{0, 1, 2});
    REQUIRE(d.exec_script("DROP TABLE t; CREATE TABLE t (a INTEGER, b TEXT);"));
    REQUIRE(d.exec("INSERT INTO t(a) VALUES (?1)", {9}));
    CHECK(d.query_ids("SELECT a FROM t ORDER BY a").value() == std::vector<std::int64_t>{9});
    CHECK_FALSE(d.query("SELECT nope FROM t"));
    // A failed step leaves no statement busy: the table can still be dropped.
    REQUIRE(d.exec_script("DROP TABLE t;"));
    auto moved = std::move(d);
    CHECK(moved.query_ids("SELECT 5").value() == std::vector<std::int64_t>{5});
  }
}

TEST_SUITE("catalog::plan")
{
  // Enough records that the broad criteria exceed the first budget (the
  // planner then checks them per candidate, or fetches them whole): every
  // query's hits must equal a direct evaluation of the criteria.
  TEST_CASE("the planner's answers equal a direct evaluation, broad and narrow criteria mixed")
  {
    ArchiveFixture fx("catalog-plan");
    auto& a = *fx.archive;
    REQUIRE(a.db().exec_script("PRAGMA synchronous = OFF;"));
    struct Item {
      std::string uuid, base, keyword, parameter;
      int year;
      double west, east, south, north;
    };
    const char* const words[] = {"ozone", "nuages", "aerosols", "vapeur"};
    const char* const params[] = {"O3", "T", "RH"};
    std::vector<Item> items;
    constexpr int k_n = 3000;
    for (int i = 0; i < k_n; ++i) {
      Item it;
      it.uuid = fmt::format("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1);
      it.base = i % 5 == 0 ? "DASB" : "DATB";
      it.keyword = words[(i / 3) % 4];
      it.parameter = params[i % 3];
      it.year = 2000 + (i * 7) % 20;
      it.west = static_cast<double>((i * 37) % 360 - 180);
      it.east = it.west + 25 > 180 ? it.west + 25 - 360 : it.west + 25;  // some cross the dateline
      it.south = static_cast<double>((i * 13) % 120 - 60);
      it.north = it.south + 10;
      items.push_back(it);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& it = items[i];
      json r = complete_record(it.uuid);
      r["keywords"] = json::array({{{"concept", "HEMERA"}}, {{"concept", it.keyword}}});
      r["parameters"] = json::array({{{"shortName", it.parameter}}});
      r["resourceTitle"] = {{"en", fmt::format("{} flight {}", it.keyword, i)}};
      r["temporalExtents"] = json::array(
        {{{"beginDate", fmt::format("{}-03-01", it.year)}, {"endDate", fmt::format("{}-03-02", it.year)}}});
      r["spatialExtents"][0]["area"] = {{"type", "bbox"}, {"west", it.west}, {"east", it.east},
                                        {"south", it.south}, {"north", it.north}};
      REQUIRE(catalog::index_record(a, fmt::format("{}/camp{}/{}", it.base, i % 3, it.uuid), 1,
                                    metadata::Record::from_json(r).value(), {}));
    }
    auto lon_meets = [](const Item& it, double w, double e) {
      auto meets = [](double a0, double a1, double b0, double b1) { return a0 <= b1 && b0 <= a1; };
      std::vector<std::pair<double, double>> mine, theirs;
      if (it.west <= it.east) {
        mine.emplace_back(it.west, it.east);
      } else {
        mine.emplace_back(it.west, 180);
        mine.emplace_back(-180, it.east);
      }
      if (w <= e) {
        theirs.emplace_back(w, e);
      } else {
        theirs.emplace_back(w, 180);
        theirs.emplace_back(-180, e);
      }
      for (const auto& m : mine) {
        for (const auto& t : theirs) {
          if (meets(m.first, m.second, t.first, t.second)) {
            return true;
          }
        }
      }
      return false;
    };
    struct Case {
      std::string keyword, parameter, database, text;
      std::optional<int> year;
      std::optional<std::array<double, 4>> bbox;
      std::string sort = "title";
    };
    std::vector<Case> cases = {
      {"", "", "DATB", "", {}, {}},                        // broad column criterion only
      {"", "O3", "DATB", "", {}, {}},                      // two broad sets
      {"ozone", "", "", "", {}, {}},                       // a quarter
      {"ozone", "T", "DASB", "", {}, {}},                  // narrow after intersection
      {"", "", "", "", 2005, {}},                          // time only
      {"", "RH", "DATB", "", 2011, {}},                    // time drives, the rest checked
      {"", "", "", "", {}, std::array<double, 4>{170, -20, -170, 20}},  // across the dateline
      {"nuages", "", "DATB", "", {}, std::array<double, 4>{-50, -60, 50, 60}},
      {"", "", "", "aeros", {}, {}, "relevance"},          // text, ranked
      {"", "O3", "", "vapeur", 2003, {}, "relevance"},
      {"", "", "DATB", "ozon", {}, std::array<double, 4>{0, -90, 180, 90}, "date"},
    };
    for (const auto& c : cases) {
      catalog::Query q;
      if (!c.keyword.empty()) {
        q.keywords = {c.keyword};
      }
      if (!c.parameter.empty()) {
        q.parameters = {c.parameter};
      }
      q.database = c.database;
      q.text = c.text;
      if (c.year) {
        q.from = fmt::format("{}-01-01", *c.year);
        q.to = fmt::format("{}-12-31", *c.year);
      }
      q.bbox = c.bbox;
      q.sort = c.sort;
      q.limit = 10000;
      std::vector<std::string> want;
      for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& it = items[i];
        bool ok = (c.keyword.empty() || it.keyword == c.keyword) &&
                  (c.parameter.empty() || it.parameter == c.parameter) &&
                  (c.database.empty() || it.base == c.database) && (!c.year || it.year == *c.year) &&
                  (c.text.empty() || it.keyword.rfind(c.text, 0) == 0 ||
                   std::string("ozone").rfind(c.text, 0) == 0);  // the abstract says "Ozone"
        if (ok && c.bbox) {
          const auto& b = *c.bbox;
          ok = it.south <= b[3] && it.north >= b[1] && lon_meets(it, b[0], b[2]);
        }
        if (ok) {
          want.push_back(it.uuid);
        }
      }
      std::sort(want.begin(), want.end());
      auto r = catalog::search(a, q);
      REQUIRE(r);
      std::vector<std::string> got;
      for (const auto& h : r->hits) {
        got.push_back(h.uuid);
      }
      std::sort(got.begin(), got.end());
      INFO("keyword=", c.keyword, " parameter=", c.parameter, " database=", c.database, " text=", c.text);
      CHECK(r->total == want.size());
      CHECK(got == want);
      // The first page alone, and without a count: the same first hits.
      q.limit = 7;
      q.count = false;
      auto page = catalog::search(a, q).value();
      REQUIRE(page.hits.size() == std::min<std::size_t>(7, want.size()));
      for (std::size_t k = 0; k < page.hits.size(); ++k) {
        CHECK(page.hits[k].uuid == r->hits[k].uuid);
      }
      // Later pages (the index walk skips the offset's candidates), the
      // title order both ways: the same hits as the full list.
      for (std::size_t offset : {std::size_t{7}, want.size() / 2, want.size() - std::min<std::size_t>(3, want.size())}) {
        q.offset = offset;
        auto later = catalog::search(a, q).value();
        REQUIRE(later.hits.size() == std::min<std::size_t>(7, want.size() - std::min(offset, want.size())));
        for (std::size_t k = 0; k < later.hits.size(); ++k) {
          CHECK(later.hits[k].uuid == r->hits[offset + k].uuid);
        }
      }
      if (c.sort == "title") {
        q.offset = 0;
        q.limit = 10000;
        q.count = true;
        q.descending = true;
        auto down = catalog::search(a, q).value();
        REQUIRE(down.hits.size() == r->hits.size());
        q.limit = 5;
        q.offset = 3;
        q.count = false;
        auto page_down = catalog::search(a, q).value();
        for (std::size_t k = 0; k < page_down.hits.size(); ++k) {
          CHECK(page_down.hits[k].uuid == down.hits[3 + k].uuid);
        }
        CHECK(down.hits.empty() == r->hits.empty());
        if (!down.hits.empty()) {
          CHECK(down.hits.front().uuid == r->hits.back().uuid);
        }
      }
    }
  }
}

TEST_SUITE("catalog::rank")
{
  // Relevance pages are made in C++ from hemera_bm25 (bm25 with cached row
  // lengths): the scores must be bm25's, and the pages those of SQL's
  // "ORDER BY bm25(catalog_text), title_sort, uuid", ties, offsets, several
  // words, other criteria and a change of the index included.
  TEST_CASE("hemera_bm25 equals bm25; relevance pages equal SQL's order")
  {
    ArchiveFixture fx("catalog-rank");
    auto& a = *fx.archive;
    REQUIRE(a.db().exec_script("PRAGMA synchronous = OFF;"));
    const char* const words[] = {"ozone", "nuages", "aerosols", "vapeur", "ozonesonde"};
    auto add = [&](int i) {
      std::string uuid = fmt::format("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1);
      json r = complete_record(uuid);
      r["keywords"] = json::array({{{"concept", "HEMERA"}}, {{"concept", words[i % 5]}}});
      // Titles repeat (ties broken by title, then UUID); lengths and word
      // counts vary (different scores).
      std::string title = fmt::format("{} flight {}", words[(i / 5) % 5], i % 7);
      for (int k = 0; k < i % 4; ++k) {
        title += fmt::format(" {}", words[(i + k) % 5]);
      }
      r["resourceTitle"] = {{"en", title}};
      r["resourceAbstract"] = {{"en", fmt::format("Profiles of {} and {}.", words[i % 5], words[(i / 3) % 5])}};
      REQUIRE(catalog::index_record(a, fmt::format("{}/camp{}/{}", i % 4 == 0 ? "DASB" : "DATB", i % 3, uuid), 1,
                                    metadata::Record::from_json(r).value(), {}));
    };
    for (int i = 0; i < 1200; ++i) {
      add(i);
    }
    struct Case {
      std::string text, database;
    };
    auto sql_page = [&](const std::string& fts, const std::string& database, bool desc, std::size_t limit,
                        std::size_t offset) {
      std::vector<std::string> out;
      auto rows = a.db()
                    .query(fmt::format("SELECT c.uuid FROM catalog_text t CROSS JOIN catalog c ON c.rid = t.rowid "
                                       "WHERE catalog_text MATCH ? AND (? = '' OR c.base = ?) "
                                       "ORDER BY bm25(catalog_text) {}, c.title_sort, c.uuid LIMIT ? OFFSET ?",
                                       desc ? "DESC" : "ASC"),
                           {fts, database, database, static_cast<std::int64_t>(limit),
                            static_cast<std::int64_t>(offset)})
                    .value();
      for (auto& r : rows) {
        out.push_back(r[0].text);
      }
      return out;
    };
    auto check_all = [&] {
      for (const Case& c : std::vector<Case>{{"ozon", ""}, {"nuages", ""}, {"ozone flight", ""}, {"aeros", "DATB"},
                                             {"vapeur nuages", "DASB"}, {"ozonesonde", ""}}) {
        std::string fts;
        std::string word;
        for (char ch : c.text + " ") {
          if (ch == ' ') {
            fts += fmt::format("{}\"{}\"*", fts.empty() ? "" : " AND ", word);
            word.clear();
          } else {
            word += ch;
          }
        }
        // The scores, row by row.
        auto all = a.db().query_ids("SELECT rowid FROM catalog_text WHERE catalog_text MATCH ? ORDER BY rowid",
                                    {fts}).value();
        REQUIRE(!all.empty());
        auto* cache = catalog::cache_of(a.db()).value();
        auto scored = catalog::rank_text(a.db(), *cache, fts, all, 1200).value();
        REQUIRE(scored.size() == all.size());
        std::vector<std::pair<std::int64_t, double>> bm25;
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(a.db().handle(), "SELECT rowid, bm25(catalog_text) FROM catalog_text "
                                   "WHERE catalog_text MATCH ?1 ORDER BY rowid", -1, &st, nullptr) == SQLITE_OK);
        sqlite3_bind_text(st, 1, fts.c_str(), -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
          bm25.emplace_back(sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1));
        }
        sqlite3_finalize(st);
        REQUIRE(bm25.size() == scored.size());
        for (std::size_t i = 0; i < scored.size(); ++i) {
          INFO("text=", c.text, " rowid=", bm25[i].first);
          CHECK(scored[i].rid == bm25[i].first);
          CHECK(scored[i].score == bm25[i].second);  // the same double, bit for bit
        }
        // The pages.
        for (bool desc : {false, true}) {
          for (auto [limit, offset] : {std::pair<std::size_t, std::size_t>{20, 0}, {5, 37}, {1000, 3}, {7, 5000}}) {
            catalog::Query q;
            q.text = c.text;
            q.database = c.database;
            q.descending = desc;
            q.limit = limit;
            q.offset = offset;
            auto r = catalog::search(a, q);
            REQUIRE(r);
            std::vector<std::string> got;
            for (const auto& h : r->hits) {
              got.push_back(h.uuid);
            }
            INFO("text=", c.text, " database=", c.database, " desc=", desc, " limit=", limit, " offset=", offset);
            CHECK(got == sql_page(fts, c.database, desc, limit, offset));
            CHECK(r->total == sql_page(fts, c.database, desc, 100000, 0).size());
          }
        }
      }
    };
    check_all();
    // New records on the same connection: the cached lengths and sets are dropped.
    for (int i = 1200; i < 1300; ++i) {
      add(i);
    }
    check_all();
  }
}
