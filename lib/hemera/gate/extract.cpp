// SPDX-License-Identifier: Apache-2.0
#include <hemera/gate/extract.hpp>

#include <fmt/format.h>

#include <hemera/archive/names.hpp>
#include <hemera/fits/summary.hpp>
#include <hemera/gate/inspector.hpp>
#include <hemera/metadata/record.hpp>
#include <hemera/metadata/summary.hpp>
#include <hemera/nasa_ames/parser.hpp>
#include <hemera/validate/validate.hpp>

namespace hemera::gate {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Append `item` to the array `doc[key]` unless an equal one is there.
void add_unique(json& doc, const char* key, const json& item)
{
  json& list = doc[key];
  if (!list.is_array()) {
    list = json::array();
  }
  for (const auto& x : list) {
    if (x == item) {
      return;
    }
  }
  list.push_back(item);
}

json nasa_ames_header(const nasa_ames::Header& h)
{
  json vars = json::array();
  for (const auto& v : h.vars) {
    vars.push_back({{"name", v.name}, {"scale", v.scale}, {"missing", v.missing}});
  }
  return {{"originator", h.oname},
          {"organisation", h.org},
          {"source", h.sname},
          {"mission", h.mname},
          {"volume", h.ivol},
          {"volumes", h.nvol},
          {"date", h.date.valid() ? json(h.date.iso()) : json(nullptr)},
          {"revision_date", h.rdate.valid() ? json(h.rdate.iso()) : json(nullptr)},
          {"independent_variables", h.xname},
          {"variables", vars},
          {"special_comments", h.scom},
          {"normal_comments", h.ncom}};
}

// The header facts ingestion does not put in a record, as record fields.
void add_nasa_ames(json& record, const nasa_ames::Header& h)
{
  if (!h.oname.empty()) {
    json contact = {{"name", h.oname}, {"roles", json::array({"originator"})}};
    if (!h.org.empty()) {
      contact["organisation"] = h.org;
    }
    add_unique(record, "contacts", contact);
  }
  if (!h.mname.empty()) {
    add_unique(record, "keywords", json{{"concept", h.mname}});
  }
}

void add_fits(json& record, const fits::HeaderSummary& f)
{
  // A platform needs a BALLOONS_ROCKETS thesaurus term, which no header gives:
  // the telescope is listed with the instruments.
  if (f.telescope && f.telescope != f.instrument) {
    add_unique(record, "instruments", json{{"displayName", *f.telescope}});
  }
  if (f.observer) {
    add_unique(record, "contacts", json{{"name", *f.observer}, {"roles", json::array({"observer"})}});
  }
}

}  // namespace

Result<Extract> extract(const std::vector<fs::path>& files)
{
  Extract out;
  std::vector<metadata::FileSummary> summaries;
  auto inspector = format_inspector(validate::Profile::strict());
  json extra = json::object();
  for (const auto& path : files) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return fail(Errc::no_input, "no such file", path.string());
    }
    auto kind = archive::kind_of(path.filename().string());
    json entry = {{"file", path.string()}};
    if (kind == archive::FileKind::nasa_ames) {
      auto s = nasa_ames::summary(path, validate::Profile::strict());
      if (!s) {
        Error e = s.error();
        e.message = fmt::format("cannot read the NASA Ames header: {}", e.message);
        e.where = path.string();
        return tl::unexpected(e);
      }
      if (s->header.ffi == 0 || s->header.vars.empty()) {
        return fail(Errc::data, "not a readable NASA Ames file (no header found; hemera-validate says why)",
                    path.string());
      }
      entry["format"] = "NASA Ames";
      entry["format_version"] = fmt::format("FFI {}", s->header.ffi);
      entry["valid"] = s->valid;
      entry["header"] = nasa_ames_header(s->header);
      add_nasa_ames(extra, s->header);
    } else if (kind == archive::FileKind::fits) {
      auto s = fits::summary(path);
      if (!s) {
        Error e = s.error();
        e.message = fmt::format("cannot read the FITS headers: {}", e.message);
        e.where = path.string();
        return tl::unexpected(e);
      }
      entry["format"] = "FITS";
      entry["format_version"] = "4.0";
      entry["header"] = fits::to_json(*s);
      add_fits(extra, s->file);
    } else {
      return fail(Errc::data, "neither NASA Ames (.na, .nas, .ames) nor FITS (.fits, .fit, .fts, .fz) by its name",
                  path.string());
    }
    // A header is trusted only from a file the archive's gate would accept.
    auto gate = HEMERA_TRY(inspector.validate(path, kind));
    if (!gate.passed) {
      std::string first;
      for (const auto& f : gate.findings) {
        if (f.severity == validate::Severity::error) {
          first = fmt::format("{} [{}]", f.message, f.rule);
          break;
        }
      }
      return fail(Errc::data,
                  fmt::format("not a valid {} file (hemera-validate lists every error): {}",
                              entry["format"].get<std::string>(), first),
                  path.string());
    }
    // What ingestion takes from the file (the same summarizer).
    auto summary = inspector.summarize(path, kind);
    if (!summary) {
      Error e = summary.error();
      e.where = path.string();
      return tl::unexpected(e);
    }
    summary->file = path.filename().string();
    summaries.push_back(std::move(*summary));
    out.files.push_back(std::move(entry));
  }
  auto record = HEMERA_TRY(metadata::Record::from_json(json::object()));
  std::vector<metadata::Contradiction> contradictions;
  metadata::merge_files(record, summaries, contradictions, true);
  out.record = record.doc();
  for (const auto& [key, list] : extra.items()) {
    for (const auto& item : list) {
      add_unique(out.record, key.c_str(), item);
    }
  }
  return out;
}

}  // namespace hemera::gate
