// SPDX-License-Identifier: Apache-2.0
#include <hemera/nasa_ames/validate.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <hemera/nasa_ames/parser.hpp>

namespace hemera::nasa_ames {

namespace {

// Keeps the header; ignores the data.
class HeaderOnly : public Consumer {
 public:
  bool on_header(const Header& h) override
  {
    header = h;
    return true;
  }
  Header header;
};

struct Volume {
  std::filesystem::path path;
  Header header;
  Stats stats;
};

// Return `h` with the fields that may differ between volumes cleared.
Header comparable(Header h)
{
  h.ivol = 0;
  return h;
}

}  // namespace

Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile)
{
  validate::Collector collector(path.string(), k_format, profile);
  HeaderOnly keeper;
  auto stats = HEMERA_TRY(parse(path, keeper, collector, profile));
  auto report = collector.take();
  report.suppressed += static_cast<std::size_t>(stats.suppressed);
  report.details = details_json(keeper.header, stats);
  return report;
}

Result<validate::FileReport> validate_volumes(const std::vector<std::filesystem::path>& paths,
                                              const validate::Profile& profile)
{
  validate::Collector out(paths.empty() ? std::string() : paths.front().string(), k_format,
                          profile);
  std::vector<Volume> vols;
  for (const auto& p : paths) {
    // Each file's own findings are reported by validate_file; here only the set.
    validate::Profile quiet = profile;
    quiet.max_findings = 1;
    validate::Collector ignore(p.string(), k_format, quiet);
    HeaderOnly keeper;
    auto stats = HEMERA_TRY(parse(p, keeper, ignore, quiet));
    if (!stats.header_complete) {
      out.add("D10", validate::Severity::error, {},
              fmt::format("{}: header unreadable, the set cannot be checked", p.string()));
      return out.take();
    }
    vols.push_back({p, keeper.header, stats});
  }
  if (vols.empty()) {
    return out.take();
  }
  std::stable_sort(vols.begin(), vols.end(),
                   [](const Volume& a, const Volume& b) { return a.header.ivol < b.header.ivol; });
  int nvol = vols.front().header.nvol;
  if (static_cast<std::size_t>(nvol) != vols.size()) {
    out.add("D10", validate::Severity::error, {},
            fmt::format("NVOL is {}, but {} volume{} given", nvol, vols.size(),
                        vols.size() == 1 ? " was" : "s were"));
  }
  for (std::size_t i = 0; i < vols.size(); ++i) {
    const auto& v = vols[i];
    if (v.header.ivol != static_cast<int>(i) + 1) {
      out.add("D10", validate::Severity::error, {},
              fmt::format("{}: IVOL is {}, expected {} (each of 1..NVOL once)", v.path.string(),
                          v.header.ivol, i + 1));
    }
    if (i == 0) {
      continue;
    }
    const auto& prev = vols[i - 1];
    if (comparable(v.header) != comparable(vols.front().header)) {
      std::string what;
      const Header& a = vols.front().header;
      const Header& b = v.header;
      if (a.ffi != b.ffi) {
        what = "FFI";
      } else if (a.nvol != b.nvol) {
        what = "NVOL";
      } else if (a.date != b.date || a.rdate != b.rdate) {
        what = "DATE or RDATE";
      } else if (a.vars != b.vars || a.aux != b.aux) {
        what = "variables";
      } else if (a.xname != b.xname || a.dx != b.dx || a.axes != b.axes) {
        what = "independent variables";
      } else if (a.oname != b.oname || a.org != b.org || a.sname != b.sname ||
                 a.mname != b.mname) {
        what = "ONAME, ORG, SNAME or MNAME";
      } else {
        what = "comments or NLHEAD";
      }
      out.add("D10", validate::Severity::error, {},
              fmt::format("{}: header differs from volume 1 ({}) in {}", v.path.string(),
                          vols.front().path.string(), what));
    }
    // The marks continue across volumes in the set's direction.
    if (prev.stats.last_mark && v.stats.first_mark) {
      double a = *prev.stats.last_mark;
      double b = *v.stats.first_mark;
      int dir = 0;
      for (const auto& w : vols) {
        if (w.stats.first_mark && w.stats.last_mark && *w.stats.first_mark != *w.stats.last_mark) {
          dir = *w.stats.last_mark > *w.stats.first_mark ? 1 : -1;
          break;
        }
      }
      if (dir == 0) {
        dir = b > a ? 1 : -1;
      }
      bool ok = dir > 0 ? (b > a || (b == a && !profile.strict_monotonic))
                        : (b < a || (b == a && !profile.strict_monotonic));
      if (!ok) {
        out.add("D10", validate::Severity::error, {},
                fmt::format("{}: first mark {} does not continue volume {}'s last mark {}",
                            v.path.string(), b, i, a));
      }
    } else if (!prev.stats.last_mark_text.empty() && !v.stats.first_mark_text.empty()) {
      int c = v.stats.first_mark_text.compare(prev.stats.last_mark_text);
      if (c < 0 || (c == 0 && profile.strict_monotonic)) {
        out.add("D10", validate::Severity::error, {},
                fmt::format("{}: first mark \"{}\" does not continue volume {}'s last mark",
                            v.path.string(), v.stats.first_mark_text, i));
      }
    }
  }
  auto report = out.take();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& v : vols) {
    list.push_back({{"file", v.path.string()}, {"ivol", v.header.ivol}, {"marks", v.stats.marks}});
  }
  report.details = {{"volumes", list}, {"nvol", nvol}};
  return report;
}

}  // namespace hemera::nasa_ames
