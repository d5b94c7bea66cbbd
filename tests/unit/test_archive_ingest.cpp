// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>
#include <sys/stat.h>

#include <hemera/archive/ingest.hpp>
#include <hemera/archive/journal.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
using namespace hemera::archive;
namespace fs = std::filesystem;

namespace {

// An inspector standing in for the format validators: a file whose content
// contains "BAD" fails with one finding.
Inspector fake_inspector()
{
  Inspector in;
  in.validate = [](const fs::path& p, FileKind kind) -> Result<GateResult> {
    auto text = HEMERA_TRY(util::read_file(p));
    GateResult g;
    g.passed = text.find("BAD") == std::string::npos;
    if (!g.passed) {
      validate::Finding f;
      f.format = kind == FileKind::fits ? "fits" : "nasa-ames";
      f.rule = "test.bad";
      f.message = "bad content";
      g.findings.push_back(f);
    }
    return g;
  };
  in.summarize = [](const fs::path&, FileKind) -> Result<metadata::FileSummary> {
    metadata::FileSummary s;
    s.format_name = "NASA Ames";
    s.format_version = "FFI 1001";
    s.begin = "2021-06-18T10:00:00Z";
    s.end = "2021-06-18T11:00:00Z";
    return s;
  };
  return in;
}

struct Fixture {
  fs::path dir;
  fs::path root;
  std::optional<Archive> archive;
  Actor actor{"tester", 0, false, false};

  explicit Fixture(const char* name)
  {
    dir = fs::current_path() / name;
    fs::remove_all(dir);
    fs::create_directories(dir / "in");
    root = dir / "arch";
    REQUIRE(init(root, actor));
    auto a = Archive::open(root);
    REQUIRE(a);
    archive.emplace(std::move(*a));
  }
  fs::path file(const std::string& name, const std::string& content)
  {
    fs::path p = dir / "in" / name;
    REQUIRE(util::write_file_atomic(p, content));
    return p;
  }
  IngestRequest request(std::vector<fs::path> files)
  {
    IngestRequest r;
    r.collection = "camp/inst";
    r.form = file("form.yaml", "resourceTitle: {en: \"Test\"}\n");
    r.files = std::move(files);
    r.actor = actor;
    r.catalogue_url = "https://cat.example.org";
    return r;
  }
  std::size_t staging_count() const
  {
    return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(root / ".hemera/staging"), fs::directory_iterator()));
  }
};

}  // namespace

TEST_SUITE("archive::ingest")
{
  TEST_CASE("a new dataset, then a new version; old versions untouched and read-only")
  {
    Fixture fx("ingest-new");
    auto req = fx.request({fx.file("A.na", "good data\n"), fx.file("gps.nmea", "$GP\n")});
    auto r = ingest(*fx.archive, req, fake_inspector());
    REQUIRE(r);
    CHECK_FALSE(r->refused);
    CHECK(r->version == 1);
    CHECK(r->base == Base::datb);
    CHECK(r->destination == "DATB/camp/inst/" + r->uuid + "/v1");
    fs::path ds = fx.root / "DATB/camp/inst" / r->uuid;
    CHECK(fs::exists(ds / "v1/a.na"));  // lower-cased
    auto manifest = util::read_file(ds / "v1/manifest-sha256.txt");
    REQUIRE(manifest);
    auto entries = checksum::parse_manifest(*manifest, "manifest");
    REQUIRE(entries);
    CHECK(entries->size() == 2);
    struct stat st {};
    REQUIRE(::stat((ds / "v1/a.na").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0444);
    REQUIRE(::stat((ds / "v1").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0555);
    auto rec = read_record(*fx.archive, *find_dataset(*fx.archive, r->uuid).value());
    REQUIRE(rec);
    CHECK(rec->id() == r->uuid);
    CHECK(rec->versions()->size() == 1);
    CHECK(rec->temporal_extents()->at(0).begin_date == "2021-06-18T10:00:00Z");
    CHECK(fx.staging_count() == 0);

    IngestRequest v2;
    v2.dataset = r->uuid;
    v2.files = {fx.file("b.na", "more data\n")};
    v2.actor = fx.actor;
    auto r2 = ingest(*fx.archive, v2, fake_inspector());
    REQUIRE(r2);
    CHECK(r2->version == 2);
    CHECK(r2->record_revision == 2);
    CHECK(fs::exists(ds / "v2/b.na"));
    CHECK(fs::exists(ds / "metadata/0002.json"));
    CHECK(*util::read_file(ds / "v1/manifest-sha256.txt") == *manifest);
    rec = read_record(*fx.archive, *find_dataset(*fx.archive, r->uuid).value());
    REQUIRE(rec);
    CHECK(rec->versions()->size() == 2);

    auto events = journal::read_all(fx.root / ".hemera/journal");
    REQUIRE(events);
    REQUIRE(events->events.size() == 2);
    CHECK(events->events[0].kind == "dataset.new");
    CHECK(events->events[1].kind == "version.new");
    CHECK(events->events[1].version == 2);
    CHECK(events->events[0].files[1].auxiliary);
    CHECK(events->events[1].record_sha256 ==
          checksum::sha256(*util::read_file(ds / "metadata/0002.json")));
  }

  TEST_CASE("a refused ingest writes nothing, and the retry shows the same UUID")
  {
    Fixture fx("ingest-refused");
    auto req = fx.request({fx.file("a.na", "BAD\n")});
    auto r = ingest(*fx.archive, req, fake_inspector());
    REQUIRE(r);
    CHECK(r->refused);
    REQUIRE(r->findings.size() == 1);
    CHECK(r->findings[0].file == req.files[0].string());
    CHECK(fs::is_empty(fx.root / "DATB"));
    CHECK(fx.staging_count() == 0);
    CHECK(fs::file_size(fx.root / ".hemera/journal") == 0);

    req.files = {fx.file("a.na", "good\n")};
    req.dry_run = true;
    auto dry = ingest(*fx.archive, req, fake_inspector());
    REQUIRE(dry);
    CHECK(dry->uuid == r->uuid);
    CHECK(fs::is_empty(fx.root / "DATB"));
    req.dry_run = false;
    auto ok = ingest(*fx.archive, req, fake_inspector());
    REQUIRE(ok);
    CHECK(ok->uuid == r->uuid);
    CHECK_FALSE(ok->refused);
    // The same form again is refused: it is committed.
    auto again = ingest(*fx.archive, req, fake_inspector());
    REQUIRE(again);
    CHECK(again->refused);
    CHECK(again->findings.at(0).rule == "form.committed");
  }

  TEST_CASE("names and routing are refused before validation")
  {
    Fixture fx("ingest-routing");
    auto r = ingest(*fx.archive, fx.request({fx.file("a.na", "x"), fx.file("b.fits", "x")}),
                    fake_inspector());
    REQUIRE(r);
    CHECK(r->refused);
    CHECK(r->findings.at(0).rule == "route.mixed");
    r = ingest(*fx.archive, fx.request({fx.file("A.na", "x"), fx.file("a.NA", "x")}), fake_inspector());
    REQUIRE(r);
    CHECK(r->refused);
    CHECK(r->findings.at(0).rule == "name.collision");
    fs::create_symlink(fx.dir / "in/a.na", fx.dir / "in/link.na");
    r = ingest(*fx.archive, fx.request({fx.dir / "in/link.na"}), fake_inspector());
    REQUIRE(r);
    CHECK(r->refused);
    CHECK(r->findings.at(0).rule == "file.symlink");
    r = ingest(*fx.archive, fx.request({fx.file("a.na", "x"), fx.file("g.txt", "caf\xc3\xa9\n")}),
               fake_inspector());
    REQUIRE(r);
    CHECK(r->refused);
    CHECK(r->findings.at(0).rule == "auxiliary.printable");
    CHECK(fs::is_empty(fx.root / "DATB"));
  }

  TEST_CASE("an uncommitted staging is discarded and a committed one is completed")
  {
    Fixture fx("ingest-complete");
    // Before the commit point: a staging directory without intent.json.
    auto s = begin_staging(*fx.archive, "0f8fad5b-d9cb-469f-a165-70867728950e");
    REQUIRE(s);
    REQUIRE(util::make_dirs(s->payload / "v1"));
    REQUIRE(util::write_file_atomic(s->payload / "v1/x.na", "partial"));
    auto n = complete_interrupted(*fx.archive);
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(fx.staging_count() == 0);

    // A record revision committed through the same path.
    auto r = ingest(*fx.archive, fx.request({fx.file("a.na", "good\n")}), fake_inspector());
    REQUIRE(r);
    auto info = find_dataset(*fx.archive, r->uuid);
    REQUIRE(info);
    auto rec = read_record(*fx.archive, **info);
    REQUIRE(rec);
    metadata::Text title;
    title.values["en"] = "Edited";
    rec->set_resource_title(title);
    auto rev = commit_record_revision(*fx.archive, r->uuid, *rec, fx.actor);
    REQUIRE(rev);
    CHECK(*rev == 2);
    auto again = read_record(*fx.archive, **find_dataset(*fx.archive, r->uuid));
    REQUIRE(again);
    CHECK(again->resource_title()->get() == "Edited");
    auto events = journal::read_all(fx.root / ".hemera/journal");
    REQUIRE(events);
    CHECK(events->events.back().kind == "record.revision");
    CHECK(events->events.back().record_revision == 2);
  }
}
