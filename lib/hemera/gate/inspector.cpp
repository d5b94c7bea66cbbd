// SPDX-License-Identifier: Apache-2.0
#include <hemera/gate/inspector.hpp>

#include <fmt/format.h>

#include <hemera/fits/summary.hpp>
#include <hemera/nasa_ames/parser.hpp>
#include <hemera/validate/validate.hpp>

namespace hemera::gate {

namespace {

bool looks_iso(const std::string& s)
{
  return s.size() >= 10 && s[4] == '-' && s[7] == '-' && s.find(' ') == std::string::npos;
}

// Split "Ozone partial pressure (mPa)" into the name and the unit.
std::pair<std::string, std::string> name_and_unit(const std::string& line)
{
  auto open = line.rfind('(');
  auto close = line.rfind(')');
  if (open != std::string::npos && close != std::string::npos && close > open + 1) {
    std::string name = line.substr(0, open);
    while (!name.empty() && (name.back() == ' ' || name.back() == ',')) {
      name.pop_back();
    }
    return {name.empty() ? line : name, line.substr(open + 1, close - open - 1)};
  }
  auto comma = line.find(',');
  if (comma != std::string::npos) {
    std::string unit = line.substr(comma + 1);
    unit.erase(0, unit.find_first_not_of(' '));
    return {line.substr(0, comma), unit};
  }
  return {line, ""};
}

Result<metadata::FileSummary> summarize_nasa_ames(const std::filesystem::path& path,
                                                  const validate::Profile& profile)
{
  auto s = HEMERA_TRY(nasa_ames::summary(path, profile));
  metadata::FileSummary out;
  out.format_name = "NASA Ames";
  out.format_version = fmt::format("FFI {}", s.header.ffi);
  if (s.time_range) {
    out.begin = s.time_range->start;
    out.end = s.time_range->end;
    out.time_source = "independent variable";
  } else if (s.header.date.valid()) {
    out.begin = s.header.date.iso();
    out.end = s.header.date.iso();
    out.time_source = "DATE";
  }
  for (const auto& v : s.header.vars) {
    auto [name, unit] = name_and_unit(v.name);
    metadata::Parameter p;
    p.short_name = name;
    p.long_name = v.name;
    if (!unit.empty()) {
      p.uom = unit;
    }
    out.parameters.push_back(std::move(p));
  }
  if (!s.header.sname.empty()) {
    out.instruments.push_back(s.header.sname);
  }
  return out;
}

Result<metadata::FileSummary> summarize_fits(const std::filesystem::path& path)
{
  auto s = HEMERA_TRY(fits::summary(path));
  metadata::FileSummary out;
  out.format_name = "FITS";
  out.format_version = "4.0";
  const auto& f = s.file;
  if (f.date_obs && looks_iso(*f.date_obs)) {
    out.begin = *f.date_obs;
    out.time_source = "DATE-OBS";
    if (f.date_end && looks_iso(*f.date_end)) {
      out.end = *f.date_end;
    }
  }
  if (f.sky) {
    metadata::SkyPosition p;
    p.ra = f.sky->ra_deg;
    p.dec = f.sky->dec_deg;
    if (!f.sky->frame.empty()) {
      p.frame = f.sky->frame;
    }
    p.object = f.object;
    out.sky.push_back(std::move(p));
  }
  if (f.site) {
    metadata::SpatialExtent e;
    metadata::Area a;
    a.type = "point";
    a.latitude = f.site->latitude_deg;
    a.longitude = f.site->longitude_deg;
    a.altitude = f.site->height_m;
    e.area = a;
    e.name = fmt::format("Observing site ({})", f.site->source);
    e.source = "fits-site";
    out.extents.push_back(std::move(e));
  }
  if (f.instrument) {
    out.instruments.push_back(*f.instrument);
  }
  for (const auto& h : s.hdus) {
    if (h.bunit) {
      metadata::Parameter p;
      p.short_name = h.extname.empty() ? (h.hdu == 1 ? "PRIMARY" : fmt::format("HDU{}", h.hdu))
                                       : h.extname;
      p.uom = *h.bunit;
      out.parameters.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace

archive::Inspector format_inspector(const validate::Profile& profile)
{
  archive::Inspector in;
  in.validate = [profile](const std::filesystem::path& path,
                   archive::FileKind kind) -> Result<archive::GateResult> {
    auto format = kind == archive::FileKind::fits ? validate::Format::fits
                                                  : validate::Format::nasa_ames;
    auto report = HEMERA_TRY(validate::validate_file(path, format, profile));
    return archive::GateResult{report.passes(profile), std::move(report.findings)};
  };
  in.summarize = [profile](const std::filesystem::path& path,
                    archive::FileKind kind) -> Result<metadata::FileSummary> {
    if (kind == archive::FileKind::fits) {
      return summarize_fits(path);
    }
    return summarize_nasa_ames(path, profile);
  };
  return in;
}

}  // namespace hemera::gate
