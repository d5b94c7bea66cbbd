// SPDX-License-Identifier: Apache-2.0
// The administration report (seed §9): inventory, ingest activity, replication
// lag, verification coverage and open findings, DOIs, users and denied
// actions, gathered from the journal, hemera.db and the audit log, and
// rendered as text, JSON, CSV or a self-contained HTML page with inline SVG
// charts (no script).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/archive/root.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>

namespace hemera::report {

// Datasets, versions, files and bytes of one database and collection.
struct Bucket {
  std::string database, collection;
  std::int64_t datasets = 0, versions = 0, files = 0, bytes = 0;
};

// Ingest activity of one month ("2026-11").
struct Month {
  std::string month;
  std::int64_t datasets = 0, versions = 0, files = 0, bytes = 0, revisions = 0;
};

// Replication state of one target.
struct Target {
  std::string name;
  bool configured = false;
  std::int64_t pending = 0;           // journal events not acknowledged
  std::string oldest_pending;         // time of the oldest, "" if none
  std::int64_t lag_seconds = 0;       // now - oldest_pending, 0 if none
  std::string last_success, last_run, last_message;
  bool last_ok = false;
};

// One open problem (a file that failed verification, an unacknowledged alert).
struct Finding {
  std::string source, key, status, detail;
};

// Verification coverage of one site.
struct Coverage {
  std::string site;
  std::int64_t files = 0;             // files in the archive (journal)
  std::int64_t verified_in_period = 0;
  std::int64_t never_verified = 0;
  std::int64_t failing = 0;
  [[nodiscard]] double share() const { return files == 0 ? 1.0 : static_cast<double>(verified_in_period) / files; }
};

// One denied privileged action from the audit log.
struct Denied {
  std::string time, actor, action, dataset, detail;
};

// The whole report.
struct Report {
  std::string generated, root;
  std::int64_t period_seconds = 0;    // verification.period
  std::vector<Bucket> inventory;
  std::vector<Month> months;
  std::vector<Target> targets;
  std::vector<Coverage> coverage;
  std::vector<Finding> findings;      // open findings (at most 100 listed)
  std::int64_t open_findings = 0;     // all of them
  std::map<std::string, std::int64_t> dois;   // state → count; "none" for datasets without
  std::map<std::string, std::int64_t> roles;  // role → users holding it
  std::int64_t users = 0;
  std::int64_t denied_total = 0;
  std::map<std::string, std::int64_t> denied_by_action;
  std::vector<Denied> denied_recent;  // the last 20, newest last
};

// Gather the report of `archive` at `now` (epoch seconds).
Result<Report> build(archive::Archive& archive, const config::Config& config, std::int64_t now);

// Return the report as the JSON document of hemera-report --json (without "schema").
nlohmann::json to_json(const Report& report);

// Return the report as human text.
std::string to_text(const Report& report);

// Return the report as CSV: section,name,metric,value (RFC 4180 quoting).
std::string to_csv(const Report& report);

// Return the report as one self-contained HTML page with inline SVG charts.
std::string to_html(const Report& report);

}  // namespace hemera::report
