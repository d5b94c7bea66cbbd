// SPDX-License-Identifier: Apache-2.0
// The HTML report: one self-contained page, inline CSS and SVG, no script.
#include <hemera/report/report.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace hemera::report {

namespace {

std::string esc(const std::string& s)
{
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
    case '&': o += "&amp;"; break;
    case '<': o += "&lt;"; break;
    case '>': o += "&gt;"; break;
    case '"': o += "&quot;"; break;
    case '\'': o += "&#39;"; break;
    default:
      if (c < 0x20 && c != '\n' && c != '\t') {
        o += "&#xFFFD;";
      } else {
        o += static_cast<char>(c);
      }
    }
  }
  return o;
}

std::string bytes_text(double b)
{
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} B", b) : fmt::format("{:.1f} {}", b, units[u]);
}

struct Bar {
  std::string label;
  double value = 0;
  std::string text;  // value as shown
};

// A horizontal bar chart, one bar per row; `id` names the chart for tests.
std::string hbars(const std::string& id, const std::string& title, const std::vector<Bar>& bars,
                  double max_value = 0)
{
  const int row = 26, left = 190, width = 380, right = 130;
  int height = std::max<int>(1, static_cast<int>(bars.size())) * row + 10;
  double max = max_value;
  for (const auto& b : bars) {
    max = std::max(max, b.value);
  }
  std::string o = fmt::format(
    "<svg class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" "
    "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\"><title>{}</title>\n",
    esc(id), esc(title), left + width + right, height, left + width + right, height, esc(title));
  if (bars.empty()) {
    o += fmt::format("<text x=\"0\" y=\"18\" class=\"empty\">nothing to show</text>\n");
  }
  int y = 5;
  for (const auto& b : bars) {
    double w = max > 0 ? b.value / max * width : 0;
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", left - 8, y + 17, esc(b.label));
    o += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\"><title>{}: {}</title></rect>",
                     left, y + 3, std::max(w, b.value > 0 ? 1.0 : 0.0), row - 8, esc(b.label), esc(b.text));
    o += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", left + w + 6, y + 17, esc(b.text));
    y += row;
  }
  return o + "</svg>\n";
}

// A vertical bar chart over time (months).
std::string vbars(const std::string& id, const std::string& title, const std::vector<Bar>& bars)
{
  const int height = 200, bottom = 40, top = 20;
  int step = bars.empty() ? 40 : std::clamp(640 / static_cast<int>(bars.size()), 14, 60);
  int width = std::max<int>(1, static_cast<int>(bars.size())) * step + 50;
  double max = 0;
  for (const auto& b : bars) {
    max = std::max(max, b.value);
  }
  std::string o = fmt::format(
    "<svg class=\"chart\" id=\"{}\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" "
    "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\"><title>{}</title>\n",
    esc(id), esc(title), width, height + bottom + top, width, height + bottom + top, esc(title));
  o += fmt::format("<line x1=\"40\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n", top + height, width,
                   top + height);
  if (bars.empty()) {
    o += "<text x=\"44\" y=\"40\" class=\"empty\">nothing to show</text>\n";
  }
  int x = 44;
  for (const auto& b : bars) {
    double h = max > 0 ? b.value / max * height : 0;
    o += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\"><title>{}: {}</title></rect>",
                     x, top + height - h, step - 4, h, esc(b.label), esc(b.text));
    o += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"middle\" class=\"small\">{}</text>", x + (step - 4) / 2,
                     top + height - h - 4, esc(b.text));
    o += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"small\">{}</text>\n", x + (step - 4) / 2,
                     top + height + 16, esc(b.label));
    x += step;
  }
  return o + "</svg>\n";
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows)
{
  std::string o = "<table><thead><tr>";
  for (const auto& h : head) {
    o += "<th>" + esc(h) + "</th>";
  }
  o += "</tr></thead><tbody>\n";
  for (const auto& r : rows) {
    o += "<tr>";
    for (const auto& c : r) {
      o += "<td>" + esc(c) + "</td>";
    }
    o += "</tr>\n";
  }
  return o + "</tbody></table>\n";
}

}  // namespace

std::string to_html(const Report& r)
{
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:\">\n";
  o += "<title>HEMERA archive report " + esc(r.generated) + "</title>\n";
  o += R"(<style>
body{font:14px/1.4 sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
td:not(:first-child){font-variant-numeric:tabular-nums}td{overflow-wrap:anywhere}
svg.chart{display:block;margin:.5em 0}svg text{font:12px sans-serif;fill:#222}svg .small{font-size:10px}
svg rect.bar{fill:#3a6ea5}svg .axis{stroke:#888}svg .empty{fill:#888}
.bad{color:#a00}
</style></head><body>
)";
  o += "<h1>HEMERA archive report</h1>\n<p>Generated " + esc(r.generated) + " for <code>" + esc(r.root) +
       "</code>.</p>\n";

  // Inventory.
  std::int64_t datasets = 0, versions = 0, files = 0, bytes = 0;
  std::vector<std::vector<std::string>> rows;
  std::vector<Bar> by_collection;
  for (const auto& b : r.inventory) {
    datasets += b.datasets;
    versions += b.versions;
    files += b.files;
    bytes += b.bytes;
    rows.push_back({b.database, b.collection, std::to_string(b.datasets), std::to_string(b.versions),
                    std::to_string(b.files), bytes_text(static_cast<double>(b.bytes))});
    by_collection.push_back({b.database + "/" + b.collection, static_cast<double>(b.bytes),
                             bytes_text(static_cast<double>(b.bytes))});
  }
  o += "<h2 id=\"inventory\">Inventory</h2>\n";
  o += fmt::format("<p>{} dataset(s), {} version(s), {} file(s), {}.</p>\n", datasets, versions, files,
                   esc(bytes_text(static_cast<double>(bytes))));
  o += hbars("chart-inventory", "Bytes per database and collection", by_collection);
  o += table({"database", "collection", "datasets", "versions", "files", "bytes"}, rows);

  // Ingest per month.
  std::vector<Bar> per_month;
  rows.clear();
  for (const auto& m : r.months) {
    per_month.push_back({m.month, static_cast<double>(m.datasets + m.versions), std::to_string(m.datasets + m.versions)});
    rows.push_back({m.month, std::to_string(m.datasets), std::to_string(m.versions), std::to_string(m.files),
                    bytes_text(static_cast<double>(m.bytes)), std::to_string(m.revisions)});
  }
  o += "<h2 id=\"ingest\">Ingest per month</h2>\n";
  o += vbars("chart-ingest", "Datasets and versions ingested per month", per_month);
  o += table({"month", "new datasets", "new versions", "files", "bytes", "record revisions"}, rows);

  // Replication.
  o += "<h2 id=\"replication\">Replication</h2>\n";
  std::vector<Bar> lag;
  rows.clear();
  for (const auto& t : r.targets) {
    lag.push_back({t.name, static_cast<double>(t.lag_seconds) / 3600.0,
                   t.pending == 0 ? std::string("up to date") : fmt::format("{:.1f} h, {} pending", t.lag_seconds / 3600.0, t.pending)});
    rows.push_back({t.name, std::to_string(t.pending), t.oldest_pending, t.last_success.empty() ? "never" : t.last_success,
                    t.last_run.empty() ? "never" : t.last_run + (t.last_ok ? " ok" : " failed: " + t.last_message)});
  }
  o += hbars("chart-replication", "Replication lag per target (hours)", lag);
  o += table({"target", "pending events", "oldest pending", "last success", "last run"}, rows);

  // Verification.
  o += fmt::format("<h2 id=\"verification\">Verification</h2>\n<p>Period: {} day(s).</p>\n", r.period_seconds / 86400);
  std::vector<Bar> cover;
  rows.clear();
  for (const auto& c : r.coverage) {
    cover.push_back({c.site, 100.0 * c.share(), fmt::format("{:.1f}%", 100.0 * c.share())});
    rows.push_back({c.site, std::to_string(c.files), std::to_string(c.verified_in_period),
                    std::to_string(c.never_verified), std::to_string(c.failing)});
  }
  o += hbars("chart-verification", "Share of files verified within the period (%)", cover, 100.0);
  o += table({"site", "files", "verified in period", "never verified", "failing"}, rows);
  o += fmt::format("<p{}>Open findings: {}</p>\n", r.open_findings > 0 ? " class=\"bad\"" : "", r.open_findings);
  if (!r.findings.empty()) {
    rows.clear();
    for (const auto& f : r.findings) {
      rows.push_back({f.source, f.key, f.status, f.detail});
    }
    o += table({"source", "file or key", "status", "detail"}, rows);
  }

  // DOIs.
  o += "<h2 id=\"dois\">DOIs</h2>\n";
  std::vector<Bar> dois;
  for (const auto& [state, n] : r.dois) {
    dois.push_back({state, static_cast<double>(n), std::to_string(n)});
  }
  o += hbars("chart-dois", "Datasets by DOI state", dois);

  // Users.
  o += fmt::format("<h2 id=\"users\">Users</h2>\n<p>{} user(s) hold a role.</p>\n", r.users);
  std::vector<Bar> roles;
  for (const auto& [role, n] : r.roles) {
    roles.push_back({role, static_cast<double>(n), std::to_string(n)});
  }
  o += hbars("chart-users", "Users by role", roles);

  // Denied actions.
  o += fmt::format("<h2 id=\"denied\">Denied actions</h2>\n<p>{} denied action(s) in the audit log.</p>\n",
                   r.denied_total);
  std::vector<Bar> denied;
  for (const auto& [action, n] : r.denied_by_action) {
    denied.push_back({action, static_cast<double>(n), std::to_string(n)});
  }
  o += hbars("chart-denied", "Denied actions by action", denied);
  if (!r.denied_recent.empty()) {
    rows.clear();
    for (const auto& d : r.denied_recent) {
      rows.push_back({d.time, d.actor, d.action, d.dataset, d.detail});
    }
    o += table({"time", "actor", "action", "dataset", "detail"}, rows);
  }
  o += "</body></html>\n";
  return o;
}

}  // namespace hemera::report
