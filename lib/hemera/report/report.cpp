// SPDX-License-Identifier: Apache-2.0
#include <hemera/report/report.hpp>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include <hemera/archive/journal.hpp>
#include <hemera/util/json.hpp>

namespace hemera::report {

namespace {

using nlohmann::json;

// Parse "YYYY-MM-DDThh:mm:ss…Z" as epoch seconds; 0 if malformed.
std::int64_t epoch_of(const std::string& t)
{
  std::tm tm{};
  if (t.size() < 19 || std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string iso_of(std::int64_t t)
{
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "DATB/campaign/instrument/<uuid>" → ("DATB", "campaign/instrument").
std::pair<std::string, std::string> place_of(const std::string& path)
{
  auto slash = path.find('/');
  auto last = path.rfind('/');
  if (slash == std::string::npos) {
    return {path, ""};
  }
  return {path.substr(0, slash), slash < last ? path.substr(slash + 1, last - slash - 1) : ""};
}

std::string csv_field(const std::string& s)
{
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

std::string human_bytes(std::int64_t b)
{
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string human_duration(std::int64_t s)
{
  if (s < 120) {
    return fmt::format("{}s", s);
  }
  if (s < 2 * 3600) {
    return fmt::format("{}m", s / 60);
  }
  if (s < 2 * 86400) {
    return fmt::format("{}h", s / 3600);
  }
  return fmt::format("{}d", s / 86400);
}

}  // namespace

Result<Report> build(archive::Archive& archive, const config::Config& config, std::int64_t now)
{
  Report r;
  r.generated = iso_of(now);
  r.root = archive.layout().root.string();
  r.period_seconds = 30 * 86400;
  if (const auto* p = config.find("verification.period"); p != nullptr && p->is_string()) {
    r.period_seconds = HEMERA_TRY(config::parse_duration(p->get<std::string>())).count();
  }
  auto& db = archive.db();

  // Inventory and monthly activity: one pass over the journal.
  std::map<std::pair<std::string, std::string>, Bucket> buckets;
  std::map<std::string, Month> months;
  std::map<std::string, std::pair<std::string, std::string>> dataset_place;
  std::vector<std::pair<std::uint64_t, std::string>> events;  // seq, time
  std::int64_t total_files = 0;
  {
    auto reader = HEMERA_TRY(archive::journal::Reader::open(archive.layout().journal()));
    while (true) {
      auto ev = HEMERA_TRY(reader.next());
      if (!ev) {
        break;
      }
      events.emplace_back(ev->seq, ev->time);
      std::string month = ev->time.substr(0, 7);
      Month& m = months[month];
      m.month = month;
      if (ev->kind == archive::journal::k_record_revision) {
        ++m.revisions;
        continue;
      }
      if (ev->kind != archive::journal::k_dataset_new && ev->kind != archive::journal::k_version_new) {
        continue;
      }
      auto place = place_of(ev->path);
      Bucket& b = buckets[place];
      b.database = place.first;
      b.collection = place.second;
      if (ev->kind == archive::journal::k_dataset_new) {
        ++b.datasets;
        ++m.datasets;
      } else {
        ++m.versions;
      }
      ++b.versions;
      for (const auto& f : ev->files) {
        ++b.files;
        b.bytes += static_cast<std::int64_t>(f.size);
        ++m.files;
        m.bytes += static_cast<std::int64_t>(f.size);
      }
      total_files += static_cast<std::int64_t>(ev->files.size());
    }
  }
  for (auto& [k, b] : buckets) {
    r.inventory.push_back(b);
  }
  for (auto& [k, m] : months) {
    r.months.push_back(m);
  }

  // Replication: configured targets and those hemera.db knows.
  std::set<std::string> names;
  if (const auto* t = config.find("targets"); t != nullptr && t->is_object()) {
    for (const auto& [name, v] : t->items()) {
      names.insert(name);
    }
  }
  std::set<std::string> configured = names;
  for (const auto& row : HEMERA_TRY(db.query("SELECT DISTINCT target FROM replication_acks UNION "
                                             "SELECT DISTINCT target FROM replication_runs"))) {
    names.insert(row.at(0).text);
  }
  for (const auto& name : names) {
    Target t;
    t.name = name;
    t.configured = configured.count(name) != 0;
    auto acked_ids = HEMERA_TRY(db.query_ids("SELECT seq FROM replication_acks WHERE target = ?1", {name}));
    std::set<std::int64_t> acked(acked_ids.begin(), acked_ids.end());
    for (const auto& [seq, time] : events) {
      if (acked.count(static_cast<std::int64_t>(seq)) == 0) {
        if (t.pending == 0) {
          t.oldest_pending = time;
        }
        ++t.pending;
      }
    }
    if (t.pending > 0) {
      std::int64_t e = epoch_of(t.oldest_pending);
      t.lag_seconds = e == 0 ? 0 : std::max<std::int64_t>(0, now - e);
    }
    auto ok = HEMERA_TRY(db.query("SELECT MAX(time) FROM replication_runs WHERE target = ?1 AND ok = 1", {name}));
    if (!ok.empty() && ok[0][0].kind == db::Value::Kind::text) {
      t.last_success = ok[0][0].text;
    }
    auto last = HEMERA_TRY(
      db.query("SELECT time, ok, message FROM replication_runs WHERE target = ?1 ORDER BY time DESC, rowid DESC "
               "LIMIT 1",
               {name}));
    if (!last.empty()) {
      t.last_run = last[0][0].text;
      t.last_ok = last[0][1].integer != 0;
      t.last_message = last[0][2].text;
    }
    r.targets.push_back(std::move(t));
  }

  // Verification coverage per site (local always).
  std::map<std::string, Coverage> sites;
  sites["local"].site = "local";
  for (const auto& row : HEMERA_TRY(db.query(
         "SELECT site, SUM(verified_at IS NOT NULL AND verified_at >= ?1), SUM(verified_at IS NULL), "
         "SUM(status IS NOT NULL AND status != '' AND status != 'ok') FROM fixity GROUP BY site",
         {now - r.period_seconds}))) {
    Coverage& c = sites[row.at(0).text];
    c.site = row.at(0).text;
    c.verified_in_period = row.at(1).integer;
    c.failing = row.at(3).integer;
  }
  for (auto& [name, c] : sites) {
    c.files = total_files;
    c.never_verified = std::max<std::int64_t>(0, total_files - HEMERA_TRY(db.query_ids(
      "SELECT COUNT(*) FROM fixity WHERE site = ?1 AND verified_at IS NOT NULL", {name})).at(0));
    r.coverage.push_back(c);
  }
  for (const auto& row : HEMERA_TRY(db.query(
         "SELECT site, path, status, COALESCE(detail, '') FROM fixity "
         "WHERE status IS NOT NULL AND status != '' AND status != 'ok' ORDER BY site, path"))) {
    ++r.open_findings;
    if (r.findings.size() < 100) {
      r.findings.push_back({"verify:" + row[0].text, row[1].text, row[2].text, row[3].text});
    }
  }
  for (const auto& row : HEMERA_TRY(db.query(
         "SELECT source, key, text FROM alert_problems WHERE acked_at IS NULL ORDER BY first_seen, source, key"))) {
    ++r.open_findings;
    if (r.findings.size() < 100) {
      r.findings.push_back({row[0].text, row[1].text, "alert", row[2].text});
    }
  }

  // DOIs by state; datasets without one.
  std::int64_t datasets = HEMERA_TRY(db.query_ids("SELECT COUNT(*) FROM datasets")).at(0);
  std::int64_t with_doi = 0;
  for (const auto& row : HEMERA_TRY(db.query("SELECT state, COUNT(*) FROM dois GROUP BY state"))) {
    r.dois[row[0].text] = row[1].integer;
    with_doi += row[1].integer;
  }
  r.dois["none"] = std::max<std::int64_t>(0, datasets - with_doi);

  // Users by role.
  for (const auto& row : HEMERA_TRY(db.query("SELECT role, COUNT(DISTINCT actor) FROM roles GROUP BY role"))) {
    r.roles[row[0].text] = row[1].integer;
  }
  r.users = HEMERA_TRY(db.query_ids("SELECT COUNT(DISTINCT actor) FROM roles")).at(0);

  // Denied actions, from the audit log (streamed).
  std::ifstream in(archive.layout().audit_log());
  std::string line;
  while (std::getline(in, line)) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || util::member_or(j, "allowed", true)) {
      continue;
    }
    ++r.denied_total;
    std::string action = util::member_or<std::string>(j, "action", "");
    ++r.denied_by_action[action];
    r.denied_recent.push_back({util::member_or<std::string>(j, "time", ""), util::member_or<std::string>(j, "actor", ""),
                               action, util::member_or<std::string>(j, "dataset", ""),
                               util::member_or<std::string>(j, "detail", "")});
    if (r.denied_recent.size() > 20) {
      r.denied_recent.erase(r.denied_recent.begin());
    }
  }
  return r;
}

json to_json(const Report& r)
{
  json inv = json::array();
  for (const auto& b : r.inventory) {
    inv.push_back({{"database", b.database}, {"collection", b.collection}, {"datasets", b.datasets},
                   {"versions", b.versions}, {"files", b.files}, {"bytes", b.bytes}});
  }
  json months = json::array();
  for (const auto& m : r.months) {
    months.push_back({{"month", m.month}, {"datasets", m.datasets}, {"versions", m.versions}, {"files", m.files},
                      {"bytes", m.bytes}, {"revisions", m.revisions}});
  }
  json targets = json::array();
  for (const auto& t : r.targets) {
    targets.push_back({{"name", t.name},
                       {"configured", t.configured},
                       {"pending_events", t.pending},
                       {"oldest_pending", t.oldest_pending.empty() ? json(nullptr) : json(t.oldest_pending)},
                       {"lag_seconds", t.lag_seconds},
                       {"last_success", t.last_success.empty() ? json(nullptr) : json(t.last_success)},
                       {"last_run", t.last_run.empty() ? json(nullptr) : json(t.last_run)},
                       {"last_run_ok", t.last_run.empty() ? json(nullptr) : json(t.last_ok)},
                       {"last_message", t.last_message}});
  }
  json coverage = json::array();
  for (const auto& c : r.coverage) {
    coverage.push_back({{"site", c.site}, {"files", c.files}, {"verified_in_period", c.verified_in_period},
                        {"never_verified", c.never_verified}, {"failing", c.failing}, {"share", c.share()}});
  }
  json findings = json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"source", f.source}, {"key", f.key}, {"status", f.status}, {"detail", f.detail}});
  }
  json denied = json::array();
  for (const auto& d : r.denied_recent) {
    denied.push_back({{"time", d.time}, {"actor", d.actor}, {"action", d.action}, {"dataset", d.dataset},
                      {"detail", d.detail}});
  }
  std::int64_t datasets = 0, versions = 0, files = 0, bytes = 0;
  for (const auto& b : r.inventory) {
    datasets += b.datasets;
    versions += b.versions;
    files += b.files;
    bytes += b.bytes;
  }
  return {{"generated", r.generated},
          {"root", r.root},
          {"totals", {{"datasets", datasets}, {"versions", versions}, {"files", files}, {"bytes", bytes}}},
          {"inventory", inv},
          {"ingest_by_month", months},
          {"replication", targets},
          {"verification", {{"period_seconds", r.period_seconds}, {"sites", coverage}}},
          {"open_findings", {{"count", r.open_findings}, {"items", findings}}},
          {"dois", r.dois},
          {"users", {{"count", r.users}, {"by_role", r.roles}}},
          {"denied", {{"count", r.denied_total}, {"by_action", r.denied_by_action}, {"recent", denied}}}};
}

std::string to_text(const Report& r)
{
  std::string o = fmt::format("HEMERA archive report, {} ({})\n", r.generated, r.root);
  o += "\nInventory\n";
  o += fmt::format("  {:<6} {:<32} {:>8} {:>8} {:>8} {:>12}\n", "base", "collection", "datasets", "versions", "files",
                   "bytes");
  for (const auto& b : r.inventory) {
    o += fmt::format("  {:<6} {:<32} {:>8} {:>8} {:>8} {:>12}\n", b.database, b.collection, b.datasets, b.versions,
                     b.files, human_bytes(b.bytes));
  }
  o += "\nIngest per month\n";
  for (const auto& m : r.months) {
    o += fmt::format("  {}  {} new dataset(s), {} new version(s), {} file(s), {}, {} record revision(s)\n", m.month,
                     m.datasets, m.versions, m.files, human_bytes(m.bytes), m.revisions);
  }
  o += "\nReplication\n";
  if (r.targets.empty()) {
    o += "  no target configured\n";
  }
  for (const auto& t : r.targets) {
    o += fmt::format("  {}: {} pending event(s){}; last success {}; last run {}{}\n", t.name, t.pending,
                     t.pending > 0 ? fmt::format(" (lag {})", human_duration(t.lag_seconds)) : "",
                     t.last_success.empty() ? "never" : t.last_success, t.last_run.empty() ? "never" : t.last_run,
                     t.last_run.empty() ? "" : (t.last_ok ? " (ok)" : " (failed: " + t.last_message + ")"));
  }
  o += fmt::format("\nVerification (period {})\n", human_duration(r.period_seconds));
  for (const auto& c : r.coverage) {
    o += fmt::format("  {}: {:.1f}% of {} file(s) verified within the period; {} never verified; {} failing\n", c.site,
                     100.0 * c.share(), c.files, c.never_verified, c.failing);
  }
  o += fmt::format("  open findings: {}\n", r.open_findings);
  for (const auto& f : r.findings) {
    o += fmt::format("    {} {} [{}] {}\n", f.source, f.key, f.status, f.detail);
  }
  o += "\nDOIs\n";
  for (const auto& [state, n] : r.dois) {
    o += fmt::format("  {}: {}\n", state, n);
  }
  o += fmt::format("\nUsers: {}\n", r.users);
  for (const auto& [role, n] : r.roles) {
    o += fmt::format("  {}: {}\n", role, n);
  }
  o += fmt::format("\nDenied actions: {}\n", r.denied_total);
  for (const auto& [action, n] : r.denied_by_action) {
    o += fmt::format("  {}: {}\n", action, n);
  }
  for (const auto& d : r.denied_recent) {
    o += fmt::format("    {} {} {}{}\n", d.time, d.actor, d.action, d.dataset.empty() ? "" : " on " + d.dataset);
  }
  return o;
}

std::string to_csv(const Report& r)
{
  std::string o = "section,name,metric,value\r\n";
  auto row = [&](const std::string& section, const std::string& name, const std::string& metric,
                 const std::string& value) {
    o += csv_field(section) + "," + csv_field(name) + "," + csv_field(metric) + "," + csv_field(value) + "\r\n";
  };
  for (const auto& b : r.inventory) {
    std::string n = b.database + "/" + b.collection;
    row("inventory", n, "datasets", std::to_string(b.datasets));
    row("inventory", n, "versions", std::to_string(b.versions));
    row("inventory", n, "files", std::to_string(b.files));
    row("inventory", n, "bytes", std::to_string(b.bytes));
  }
  for (const auto& m : r.months) {
    row("ingest", m.month, "datasets", std::to_string(m.datasets));
    row("ingest", m.month, "versions", std::to_string(m.versions));
    row("ingest", m.month, "files", std::to_string(m.files));
    row("ingest", m.month, "bytes", std::to_string(m.bytes));
    row("ingest", m.month, "revisions", std::to_string(m.revisions));
  }
  for (const auto& t : r.targets) {
    row("replication", t.name, "pending_events", std::to_string(t.pending));
    row("replication", t.name, "lag_seconds", std::to_string(t.lag_seconds));
    row("replication", t.name, "last_success", t.last_success);
    row("replication", t.name, "last_run", t.last_run);
  }
  for (const auto& c : r.coverage) {
    row("verification", c.site, "files", std::to_string(c.files));
    row("verification", c.site, "verified_in_period", std::to_string(c.verified_in_period));
    row("verification", c.site, "share", fmt::format("{:.4f}", c.share()));
    row("verification", c.site, "failing", std::to_string(c.failing));
  }
  row("findings", "open", "count", std::to_string(r.open_findings));
  for (const auto& [state, n] : r.dois) {
    row("dois", state, "count", std::to_string(n));
  }
  row("users", "all", "count", std::to_string(r.users));
  for (const auto& [role, n] : r.roles) {
    row("users", role, "count", std::to_string(n));
  }
  row("denied", "all", "count", std::to_string(r.denied_total));
  for (const auto& [action, n] : r.denied_by_action) {
    row("denied", action, "count", std::to_string(n));
  }
  return o;
}

}  // namespace hemera::report
