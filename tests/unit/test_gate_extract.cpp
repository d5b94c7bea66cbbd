// SPDX-License-Identifier: Apache-2.0
// hemera-meta extract's library half: a NASA Ames header as a partial record;
// refusals name the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <hemera/archive/store.hpp>
#include <hemera/gate/extract.hpp>
#include <hemera/util/fs.hpp>

using namespace hemera;
namespace fs = std::filesystem;

namespace {

// A small FFI 1001 file with one special and one normal comment line.
const char* const k_nasa_ames =
  "18 1001\n"
  "Durand, Paul\n"
  "LMD, Palaiseau, France\n"
  "Frost-point hygrometer\n"
  "HEMERA STRATO 2022 Aire-sur-l'Adour\n"
  "1 1\n"
  "2022 08 02 2022 08 05\n"
  "0\n"
  "Time (seconds since midnight UT)\n"
  "2\n"
  "1 1\n"
  "9999 99999\n"
  "Pressure (hPa)\n"
  "Water vapour mixing ratio (ppmv)\n"
  "1\n"
  "Sonde 17, launched at dawn\n"
  "1\n"
  "UTs P H2O\n"
  "3600 1000.0 5000\n"
  "3660 900.0 4000\n"
  "3720 800.0 3000\n";

fs::path fresh_dir(const char* name)
{
  fs::path dir = fs::current_path() / name;
  REQUIRE(archive::remove_tree(dir));
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST_SUITE("gate::extract")
{
  TEST_CASE("a NASA Ames header: originator, organisation, source, mission, dates, variables, comments")
  {
    fs::path dir = fresh_dir("extract-na");
    REQUIRE(util::write_file_atomic(dir / "h2o.na", k_nasa_ames));
    auto ex = gate::extract({dir / "h2o.na"});
    REQUIRE(ex);
    const auto& r = ex->record;
    CHECK_FALSE(r.contains("id"));
    CHECK_FALSE(r.contains("versions"));
    REQUIRE(r["contacts"].size() == 1);
    CHECK(r["contacts"][0]["name"] == "Durand, Paul");
    CHECK(r["contacts"][0]["organisation"] == "LMD, Palaiseau, France");
    CHECK(r["contacts"][0]["roles"] == nlohmann::json::array({"originator"}));
    CHECK(r["instruments"][0]["displayName"] == "Frost-point hygrometer");
    CHECK(r["keywords"][0]["concept"] == "HEMERA STRATO 2022 Aire-sur-l'Adour");
    REQUIRE(r["parameters"].size() == 2);
    CHECK(r["parameters"][1]["shortName"] == "Water vapour mixing ratio");
    CHECK(r["parameters"][1]["uom"] == "ppmv");
    CHECK(r["temporalExtents"][0]["beginDate"] == "2022-08-02T01:00:00Z");
    CHECK(r["temporalExtents"][0]["endDate"] == "2022-08-02T01:02:00Z");
    REQUIRE(ex->files.size() == 1);
    const auto& h = ex->files[0]["header"];
    CHECK(ex->files[0]["format_version"] == "FFI 1001");
    CHECK(h["revision_date"] == "2022-08-05");
    CHECK(h["special_comments"] == nlohmann::json::array({"Sonde 17, launched at dawn"}));
    CHECK(h["normal_comments"] == nlohmann::json::array({"UTs P H2O"}));
    CHECK(h["variables"][0]["missing"] == 9999.0);
  }

  TEST_CASE("two files merge; the same originator is listed once")
  {
    fs::path dir = fresh_dir("extract-two");
    REQUIRE(util::write_file_atomic(dir / "a.na", k_nasa_ames));
    REQUIRE(util::write_file_atomic(dir / "b.na", k_nasa_ames));
    auto ex = gate::extract({dir / "a.na", dir / "b.na"});
    REQUIRE(ex);
    CHECK(ex->files.size() == 2);
    CHECK(ex->record["contacts"].size() == 1);
  }

  TEST_CASE("refusals name the file: truncated, hostile, unknown kind, missing")
  {
    fs::path dir = fresh_dir("extract-bad");
    std::string text = k_nasa_ames;
    REQUIRE(util::write_file_atomic(dir / "cut.na", text.substr(0, text.size() - 6)));
    auto cut = gate::extract({dir / "cut.na"});
    REQUIRE_FALSE(cut);
    CHECK(cut.error().code == Errc::data);
    CHECK(cut.error().where == (dir / "cut.na").string());
    REQUIRE(util::write_file_atomic(dir / "head.na", text.substr(0, 40)));
    CHECK(gate::extract({dir / "head.na"}).error().code == Errc::data);
    REQUIRE(util::write_file_atomic(dir / "bin.na", std::string("\x00\xff\x01 1001\n", 9)));
    auto bin = gate::extract({dir / "bin.na"});
    REQUIRE_FALSE(bin);
    CHECK(bin.error().code == Errc::data);
    CHECK(bin.error().where == (dir / "bin.na").string());
    REQUIRE(util::write_file_atomic(dir / "empty.fits", ""));
    CHECK(gate::extract({dir / "empty.fits"}).error().code == Errc::data);
    REQUIRE(util::write_file_atomic(dir / "notes.txt", "hello\n"));
    CHECK(gate::extract({dir / "notes.txt"}).error().code == Errc::data);
    auto missing = gate::extract({dir / "missing.na"});
    CHECK(missing.error().code == Errc::no_input);
    CHECK(missing.error().where == (dir / "missing.na").string());
  }
}
