// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the readers of P.I.-written and operator-written text
// behind hemera-ingest and hemera-recover: a record (metadata.json) through
// the publishability profile, a form (YAML or JSON) through build_record and
// the profile, a rules file of hemera-recover with its patterns run on a few
// legacy paths, and safe_name, parse_iso8601 and normalize_orcid on the bytes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <hemera/archive/names.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/metadata/record.hpp>
#include <hemera/metadata/summary.hpp>
#include <hemera/recover/recover.hpp>
#include <hemera/recover/regex.hpp>

using namespace hemera;

namespace {

const std::filesystem::path& rules_path()
{
  static const std::filesystem::path path = [] {
    auto dir = std::filesystem::temp_directory_path() / ("hemera-fuzz-record-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    static const std::filesystem::path k_dir = dir;  // outlives the handler below
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(k_dir, ec);
    });
    return dir / "rules.yaml";
  }();
  return path;
}

metadata::Defaults defaults()
{
  metadata::Defaults d;
  d.values = {{"language", "eng"},
              {"publisher", "Hemera data centre"},
              {"metadataContact", {{"organisation", "Hemera"}, {"email", "data@example.org"}}}};
  return d;
}

void profile(const metadata::Record& r)
{
  static const metadata::Defaults d = defaults();
  auto report = metadata::check_record(r, d, "2026-01-01T00:00:00Z");
  if (report.publishable && report.errors() != 0) {
    std::abort();  // publishable means no error at all
  }
  (void)r.check_identity();
  (void)r.last_modification();
}

void record(std::string_view text)
{
  auto r = metadata::Record::parse(text, "fuzz.json");
  if (!r) {
    return;
  }
  profile(*r);
}

void form(std::string_view text)
{
  auto f = metadata::parse_form(text, "fuzz.yaml");
  if (!f) {
    return;
  }
  if (!f->is_object()) {
    std::abort();  // a form is a mapping of record keys
  }
  (void)metadata::form_hash(*f);
  metadata::RecordDefaults rd{"0b8d8d5e-3f63-4c0e-9d3c-2f1d4a5b6c7d", "2026-01-01T00:00:00Z",
                              "ftp://ftp.example.org/pub", "https://catalogue.example.org",
                              "DATB/fuzz/0b8d8d5e-3f63-4c0e-9d3c-2f1d4a5b6c7d"};
  std::vector<metadata::Contradiction> contradictions;
  auto r = metadata::build_record(*f, rd, {}, contradictions);
  profile(r);
  metadata::add_version(r, 2, "2026-01-02T00:00:00Z", 3, 1234, "fuzz");
  if (!metadata::Record::parse(r.dump(), "again.json")) {
    std::abort();  // a built record reads back
  }
}

void rules(std::string_view text)
{
  {
    std::ofstream out(rules_path(), std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  auto loaded = recover::load_rules(rules_path());
  if (!loaded) {
    return;
  }
  static const std::vector<std::string> k_paths = {"BALLOON_1997/flight1/ozone.na", "a/b/c.fits",
                                                   "CAMPAGNE 2003/Vol\xe9\x65/m\xe9t\xe9o.txt", ""};
  for (const auto& rule : loaded->rules) {
    auto re = recover::Regex::compile(rule.match);
    if (!re) {
      std::abort();  // load_rules compiled every pattern already
    }
    for (const auto& p : k_paths) {
      (void)re->match(p);
    }
  }
}

void words(std::string_view text)
{
  auto name = recover::safe_name(text);
  if (name.empty() || name.size() > 210) {
    std::abort();
  }
  if (!archive::check_name(name)) {
    std::abort();  // a safe name passes the archive's name policy
  }
  (void)metadata::parse_iso8601(text);
  (void)metadata::normalize_orcid(text);
  (void)metadata::fold(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  // The first byte picks the reader; the rest is the text.
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
  case 0: record(text); break;
  case 1: form(text); break;
  case 2: rules(text); break;
  default: words(text); break;
  }
  return 0;
}
