// SPDX-License-Identifier: Apache-2.0
#include <hemera/validate/finding.hpp>

#include <fmt/format.h>

namespace hemera::validate {

const char* severity_name(Severity s) noexcept
{
  switch (s) {
  case Severity::error: return "error";
  case Severity::warning: return "warning";
  case Severity::info: return "info";
  }
  return "error";
}

Profile Profile::strict()
{
  return Profile{};
}

Profile Profile::legacy()
{
  Profile p;
  p.name = "legacy";
  // NASA Ames deviations seen in real legacy files (docs: nasa-ames.md §5).
  p.downgrades = {
    {"R1", "TAB used as a blank, as in nappy's own examples"},
    {"R2", "lines over 132 characters, as in EBAS exports"},
    {"R4", "CRLF or CR line ends"},
    {"D5", "values at or above the missing value (below-missing convention)"},
    {"H0", "NDACC preamble line before NLHEAD FFI"},
  };
  return p;
}

std::optional<Profile> Profile::by_name(const std::string& name)
{
  if (name == "strict") {
    return strict();
  }
  if (name == "legacy") {
    return legacy();
  }
  return std::nullopt;
}

Severity Profile::apply(const std::string& rule, Severity native) const
{
  if (native == Severity::error && downgrades.count(rule) != 0) {
    return Severity::warning;
  }
  return native;
}

std::size_t FileReport::count(Severity s) const
{
  std::size_t n = 0;
  for (const auto& f : findings) {
    n += f.severity == s ? 1 : 0;
  }
  return n;
}

bool FileReport::passes(const Profile& profile) const
{
  if (count(Severity::error) != 0) {
    return false;
  }
  return !(profile.warnings_as_errors && count(Severity::warning) != 0);
}

Collector::Collector(std::string file, std::string format, const Profile& profile)
  : m_profile(profile)
{
  m_report.file = std::move(file);
  m_report.format = std::move(format);
}

void Collector::add(const std::string& rule, Severity native, Location location,
                    std::string message)
{
  if (full()) {
    ++m_report.suppressed;
    return;
  }
  Finding f;
  f.file = m_report.file;
  f.format = m_report.format;
  f.severity = m_profile.apply(rule, native);
  f.rule = rule;
  f.location = std::move(location);
  f.message = std::move(message);
  m_report.findings.push_back(std::move(f));
}

bool Collector::full() const
{
  return m_report.findings.size() >= m_profile.max_findings;
}

bool Collector::has_errors() const
{
  return m_report.count(Severity::error) != 0;
}

FileReport Collector::take()
{
  FileReport out = std::move(m_report);
  m_report = FileReport{};
  m_report.file = out.file;
  m_report.format = out.format;
  return out;
}

std::string to_text(const Finding& f)
{
  std::string out = f.file;
  const auto& l = f.location;
  if (l.hdu) {
    out += fmt::format(": HDU {}", *l.hdu);
    if (!l.extname.empty()) {
      out += fmt::format(" ({})", l.extname);
    }
    if (l.record) {
      out += fmt::format(": record {}", *l.record);
    }
  } else if (l.line) {
    out += fmt::format(":{}", *l.line);
    if (l.column) {
      out += fmt::format(":{}", *l.column);
    }
  }
  out += fmt::format(": {}: {} [{}]", severity_name(f.severity), f.message, f.rule);
  return out;
}

nlohmann::json to_json(const Finding& f)
{
  nlohmann::json loc = nlohmann::json::object();
  const auto& l = f.location;
  if (l.hdu) {
    loc["hdu"] = *l.hdu;
    loc["extname"] = l.extname;
    loc["keyword"] = l.keyword;
    if (l.record) {
      loc["record"] = *l.record;
    } else {
      loc["record"] = nullptr;
    }
  } else {
    loc["line"] = l.line ? nlohmann::json(*l.line) : nlohmann::json(nullptr);
    loc["column"] = l.column ? nlohmann::json(*l.column) : nlohmann::json(nullptr);
  }
  return {{"file", f.file},         {"format", f.format}, {"severity", severity_name(f.severity)},
          {"rule", f.rule},         {"location", loc},    {"message", f.message}};
}

}  // namespace hemera::validate
