// SPDX-License-Identifier: Apache-2.0
// Alerts: one summary per run, sent by mail (SMTP through libcurl), an HTTP
// POST webhook, or a command run without a shell; and the ledger that keeps an
// unresolved problem from being announced every night.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/config.hpp>
#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::alert {

namespace fs = std::filesystem;

// Mail delivery settings (alerts.mail.*).
struct MailSettings {
  std::string smtp_url;  // smtp://host:587 (STARTTLS when offered) or smtps://host:465
  std::string from;
  std::vector<std::string> to;
  std::string user;            // optional SMTP login
  fs::path password_file;      // owner-only file holding the SMTP password
  fs::path ca_file;            // optional CA bundle for the server's certificate
};

// Where alerts go, read from the configuration's alerts.* keys.
struct Settings {
  std::optional<MailSettings> mail;
  std::string webhook_url;           // empty: no webhook
  std::vector<std::string> command;  // empty: no command; argv[0] is the program
  bool repeat = false;               // re-send unresolved problems on every run
  // Re-send an unresolved, unacknowledged problem once its last announcement
  // is at least this old (alerts.repeat_after; 0: never).
  std::chrono::seconds repeat_after{0};
  std::chrono::seconds timeout{60};  // per channel

  // Return true if at least one channel is configured.
  [[nodiscard]] bool any() const { return mail.has_value() || !webhook_url.empty() || !command.empty(); }
};

// Read the alert settings from `config`; Errc::config when they are incomplete.
Result<Settings> settings_from(const config::Config& config);

// One alert: a subject line, the human text (mail body), and the JSON summary
// (webhook body, command's standard input).
struct Message {
  std::string subject;
  std::string text;
  nlohmann::json summary;
};

// The outcome of one channel.
struct Delivery {
  std::string channel;  // "mail", "webhook", "command"
  bool ok = false;
  std::optional<Error> error;
};

// Send `message` on every configured channel, each independently of the others.
std::vector<Delivery> send(const Settings& settings, const Message& message);

// Send `message` by mail: SMTP through libcurl, STARTTLS when the server offers
// it (required when credentials are sent to a host other than loopback),
// certificates always verified.
Result<void> send_mail(const MailSettings& mail, const Message& message,
                       std::chrono::seconds timeout);

// POST the JSON summary to `url` (https, or http to loopback only).
Result<void> post_webhook(const std::string& url, const Message& message,
                          std::chrono::seconds timeout);

// Run `argv` without a shell, the JSON summary on its standard input; fail if
// it exits non-zero or outlives `timeout`.
Result<void> run_command(const std::vector<std::string>& argv, const Message& message,
                         std::chrono::seconds timeout);

// Return the RFC 5322 message (CRLF line ends) sent by send_mail.
std::string format_mail(const MailSettings& mail, const Message& message, std::int64_t now);

// One current problem, by a stable key ("mismatch:DATB/…/v1/a.na").
struct Problem {
  std::string key;
  std::string text;
};

// What the ledger decided for a run's problems.
struct Decision {
  bool send = false;                  // an alert is due
  std::vector<std::string> fresh;     // problems never announced before
  std::vector<std::string> acked;     // problems a human acknowledged
  std::vector<std::string> resolved;  // problems gone since the last run
  std::vector<std::string> reminded;  // announced before, due again (repeat_after)
};

// Record the `current` problems of `source` ("verify:local") and decide
// whether to alert: yes when a problem is new (never announced, or resolved
// and back again); with `repeat`, when any problem is unacknowledged; with
// `repeat_after` > 0, when an unacknowledged problem was last announced at
// least that long ago. Problems absent from `current` are resolved and forgotten.
Result<Decision> reconcile(db::Database& db, const std::string& source,
                           const std::vector<Problem>& current, bool repeat, std::int64_t now,
                           std::chrono::seconds repeat_after = std::chrono::seconds{0});

// Mark the unacknowledged problems of `source` as announced at `now`.
Result<void> mark_sent(db::Database& db, const std::string& source, std::int64_t now);

// One open problem of the ledger.
struct OpenProblem {
  std::string source, key, text, acked_by;
  std::int64_t first_seen = 0, last_seen = 0, last_sent = 0, acked_at = 0;
};

// Return the open problems of `source` (all sources when empty), by key.
Result<std::vector<OpenProblem>> open_problems(db::Database& db, const std::string& source);

// Acknowledge the open problems of `source` whose key contains `match` (all
// when empty) in the name of `actor`; return the keys acknowledged.
Result<std::vector<std::string>> acknowledge(db::Database& db, const std::string& source,
                                             const std::string& match, const std::string& actor,
                                             std::int64_t now);

}  // namespace hemera::alert
