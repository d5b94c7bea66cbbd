// SPDX-License-Identifier: Apache-2.0
#include <hemera/alert/alert.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fmt/format.h>

#include <hemera/log.hpp>
#include <hemera/uuid.hpp>

extern char** environ;

namespace hemera::alert {

namespace {

// libcurl's global state, set up once.
void curl_global()
{
  static const bool k_done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)k_done;
}

struct CurlHandle {
  CURL* h = curl_easy_init();
  curl_slist* list = nullptr;
  curl_slist* headers = nullptr;
  CurlHandle() = default;
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
  ~CurlHandle()
  {
    curl_slist_free_all(list);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
  }
};

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user)
{
  auto* up = static_cast<Upload*>(user);
  std::size_t room = size * n;
  std::size_t left = up->data.size() - up->offset;
  std::size_t take = std::min(room, left);
  std::memcpy(buf, up->data.data() + up->offset, take);
  up->offset += take;
  return take;
}

std::size_t discard_cb(char* /*buf*/, std::size_t size, std::size_t n, void* /*user*/)
{
  return size * n;
}

// Return the host part of a URL ("smtp://user@host:25/x" -> "host").
std::string url_host(const std::string& url)
{
  auto scheme = url.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string authority = url.substr(start, end == std::string::npos ? std::string::npos : end - start);
  auto at = authority.rfind('@');
  if (at != std::string::npos) {
    authority = authority.substr(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    return authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
  }
  auto colon = authority.find(':');
  return authority.substr(0, colon);
}

bool is_loopback(const std::string& host)
{
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Classify a libcurl failure into the exit-code classes of DESIGN.md.
Error curl_error(CURLcode rc, const char* errbuf, const std::string& what, const std::string& url)
{
  Errc code = Errc::unavailable;
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_COULDNT_RESOLVE_HOST:
    code = rc == CURLE_COULDNT_RESOLVE_HOST ? Errc::unavailable : Errc::temp_fail;
    break;
  case CURLE_LOGIN_DENIED:
  case CURLE_REMOTE_ACCESS_DENIED:
    code = Errc::config;
    break;
  default:
    code = Errc::unavailable;
  }
  std::string detail = errbuf != nullptr && *errbuf != '\0' ? errbuf : curl_easy_strerror(rc);
  return Error{code, fmt::format("{}: {}", what, detail), config::redact_url(url, true)};
}

// Remove CR and LF so a value cannot add a header line.
std::string header_safe(std::string_view s)
{
  std::string out;
  for (char c : s) {
    out += (c == '\r' || c == '\n') ? ' ' : c;
  }
  return out;
}

std::string rfc5322_date(std::int64_t now)
{
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* const k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {} {:02d}:{:02d}:{:02d} +0000", k_days[tm.tm_wday], tm.tm_mday,
                     k_months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string domain_of(const std::string& address)
{
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string("localhost") : address.substr(at + 1);
}

}  // namespace

Result<Settings> settings_from(const config::Config& config)
{
  Settings s;
  if (const auto* mail = config.find("alerts.mail"); mail != nullptr && mail->is_object()) {
    MailSettings m;
    m.smtp_url = config.get_string("alerts.mail.smtp_url");
    m.from = config.get_string("alerts.mail.from");
    m.user = config.get_string("alerts.mail.user");
    m.password_file = config.get_string("alerts.mail.password_file");
    m.ca_file = config.get_string("alerts.mail.ca_file");
    if (const auto* to = config.find("alerts.mail.to"); to != nullptr && to->is_array()) {
      for (const auto& t : *to) {
        m.to.push_back(t.get<std::string>());
      }
    }
    if (m.smtp_url.empty() || m.from.empty() || m.to.empty()) {
      return fail(Errc::config, "alerts.mail needs smtp_url, from and to",
                  config.origin("alerts.mail"), "alerts.mail", "config.alerts");
    }
    if (m.smtp_url.rfind("smtp://", 0) != 0 && m.smtp_url.rfind("smtps://", 0) != 0) {
      return fail(Errc::config, "alerts.mail.smtp_url must be smtp:// or smtps://",
                  config.origin("alerts.mail.smtp_url"), "alerts.mail.smtp_url", "config.alerts");
    }
    s.mail = std::move(m);
  }
  s.webhook_url = config.get_string("alerts.webhook.url");
  if (!s.webhook_url.empty() && s.webhook_url.rfind("https://", 0) != 0 &&
      !(s.webhook_url.rfind("http://", 0) == 0 && is_loopback(url_host(s.webhook_url)))) {
    return fail(Errc::config, "alerts.webhook.url must be https:// (http:// only to loopback)",
                config.origin("alerts.webhook.url"), "alerts.webhook.url", "config.alerts");
  }
  if (const auto* cmd = config.find("alerts.command"); cmd != nullptr && cmd->is_array()) {
    for (const auto& a : *cmd) {
      s.command.push_back(a.get<std::string>());
    }
  }
  if (const auto* rep = config.find("alerts.repeat"); rep != nullptr && rep->is_boolean()) {
    s.repeat = rep->get<bool>();
  }
  if (auto t = config.get_string("alerts.repeat_after"); !t.empty()) {
    s.repeat_after = HEMERA_TRY(config::parse_duration(t));
  }
  if (auto t = config.get_string("alerts.timeout"); !t.empty()) {
    s.timeout = HEMERA_TRY(config::parse_duration(t));
  }
  return s;
}

std::string format_mail(const MailSettings& mail, const Message& message, std::int64_t now)
{
  std::string id = uuid::new_v4().map([](const auto& u) { return uuid::to_string(u); }).value_or("0");
  std::string out;
  out += "Date: " + rfc5322_date(now) + "\r\n";
  out += "From: " + header_safe(mail.from) + "\r\n";
  std::string to;
  for (const auto& t : mail.to) {
    to += (to.empty() ? "" : ", ") + header_safe(t);
  }
  out += "To: " + to + "\r\n";
  out += "Subject: " + header_safe(message.subject) + "\r\n";
  out += "Message-ID: <" + id + "@" + header_safe(domain_of(mail.from)) + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "\r\n";
  std::string_view body = message.text;
  while (!body.empty()) {
    auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    // Lines stay under SMTP's 998-octet limit.
    while (line.size() > 990) {
      out.append(line.substr(0, 990));
      out += "\r\n";
      line.remove_prefix(990);
    }
    out.append(line);
    out += "\r\n";
    if (nl == std::string_view::npos) {
      break;
    }
    body.remove_prefix(nl + 1);
  }
  return out;
}

Result<void> send_mail(const MailSettings& mail, const Message& message,
                       std::chrono::seconds timeout)
{
  curl_global();
  CurlHandle c;
  if (c.h == nullptr) {
    return fail(Errc::internal, "cannot create a libcurl handle");
  }
  std::string password;
  if (!mail.password_file.empty()) {
    password = HEMERA_TRY(config::read_secret_file(mail.password_file));
  }
  std::string text = format_mail(mail, message, static_cast<std::int64_t>(std::time(nullptr)));
  Upload up{text};
  char errbuf[CURL_ERROR_SIZE] = {};
  for (const auto& t : mail.to) {
    c.list = curl_slist_append(c.list, t.c_str());
  }
  bool implicit_tls = mail.smtp_url.rfind("smtps://", 0) == 0;
  bool loopback = is_loopback(url_host(mail.smtp_url));
  curl_easy_setopt(c.h, CURLOPT_URL, mail.smtp_url.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_FROM, mail.from.c_str());
  curl_easy_setopt(c.h, CURLOPT_MAIL_RCPT, c.list);
  curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c.h, CURLOPT_READDATA, &up);
  curl_easy_setopt(c.h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(text.size()));
  curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c.h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!mail.ca_file.empty()) {
    curl_easy_setopt(c.h, CURLOPT_CAINFO, mail.ca_file.c_str());
  }
  if (!implicit_tls) {
    // STARTTLS when the server offers it; required before sending a password
    // to any host that is not this machine.
    bool need_tls = !mail.user.empty() && !loopback;
    curl_easy_setopt(c.h, CURLOPT_USE_SSL, need_tls ? static_cast<long>(CURLUSESSL_ALL)
                                                    : static_cast<long>(CURLUSESSL_TRY));
  }
  if (!mail.user.empty()) {
    curl_easy_setopt(c.h, CURLOPT_USERNAME, mail.user.c_str());
    curl_easy_setopt(c.h, CURLOPT_PASSWORD, password.c_str());
  }
  CURLcode rc = curl_easy_perform(c.h);
  if (rc != CURLE_OK) {
    return tl::unexpected(curl_error(rc, errbuf, "cannot send mail", mail.smtp_url));
  }
  return {};
}

Result<void> post_webhook(const std::string& url, const Message& message,
                          std::chrono::seconds timeout)
{
  curl_global();
  CurlHandle c;
  if (c.h == nullptr) {
    return fail(Errc::internal, "cannot create a libcurl handle");
  }
  std::string body = message.summary.dump();
  char errbuf[CURL_ERROR_SIZE] = {};
  c.headers = curl_slist_append(c.headers, "Content-Type: application/json");
  c.headers = curl_slist_append(c.headers, "Expect:");
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, c.headers);
  curl_easy_setopt(c.h, CURLOPT_POST, 1L);
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c.h, CURLOPT_USERAGENT, "hemera-tools");
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, discard_cb);
  curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  CURLcode rc = curl_easy_perform(c.h);
  if (rc != CURLE_OK) {
    return tl::unexpected(curl_error(rc, errbuf, "cannot post to the webhook", url));
  }
  long status = 0;
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) {
    return {};
  }
  Errc code = Errc::unavailable;
  if (status >= 500 || status == 429 || status == 408) {
    code = Errc::temp_fail;
  } else if (status == 401 || status == 403) {
    code = Errc::config;
  }
  return fail(code, fmt::format("webhook answered HTTP {}", status), config::redact_url(url, true));
}

Result<void> run_command(const std::vector<std::string>& argv, const Message& message,
                         std::chrono::seconds timeout)
{
  if (argv.empty()) {
    return fail(Errc::config, "alerts.command is empty");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return tl::unexpected(errno_error(errno, "cannot create a pipe", argv[0]));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[0]);
  if (rc != 0) {
    ::close(fds[1]);
    Error e = errno_error(rc, "cannot run alert command", argv[0]);
    if (e.code == Errc::no_input) {
      e.code = Errc::config;
    }
    return tl::unexpected(e);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto remaining_ms = [&] {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(0, left.count()));
  };
  // Write the summary without blocking forever and without SIGPIPE when the
  // command does not read it all.
  std::string body = message.summary.dump() + "\n";
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
  std::size_t off = 0;
  bool timed_out = false;
  while (off < body.size()) {
    ssize_t n = ::write(fds[1], body.data() + off, body.size() - off);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fds[1], POLLOUT, 0};
      int ms = remaining_ms();
      if (ms == 0 || ::poll(&p, 1, ms) == 0) {
        timed_out = true;
        break;
      }
      continue;
    }
    break;  // EPIPE: the command closed its input; its exit status decides
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      break;
    }
    if (w < 0 && errno != EINTR) {
      return tl::unexpected(errno_error(errno, "cannot wait for alert command", argv[0]));
    }
    if (timed_out || remaining_ms() == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return fail(Errc::temp_fail, fmt::format("alert command did not finish within {}s",
                                               timeout.count()), argv[0]);
    }
    ::usleep(10000);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {};
  }
  if (WIFEXITED(status)) {
    return fail(Errc::unavailable,
                fmt::format("alert command exited with status {}", WEXITSTATUS(status)), argv[0]);
  }
  return fail(Errc::unavailable,
              fmt::format("alert command killed by signal {}", WTERMSIG(status)), argv[0]);
}

std::vector<Delivery> send(const Settings& settings, const Message& message)
{
  std::vector<Delivery> out;
  auto record = [&](const char* channel, Result<void> r) {
    Delivery d{channel, r.has_value(), std::nullopt};
    if (!r) {
      d.error = r.error();
      log::warn("alert by {} failed: {}", channel, r.error().to_string());
    }
    out.push_back(std::move(d));
  };
  if (settings.mail) {
    record("mail", send_mail(*settings.mail, message, settings.timeout));
  }
  if (!settings.webhook_url.empty()) {
    record("webhook", post_webhook(settings.webhook_url, message, settings.timeout));
  }
  if (!settings.command.empty()) {
    record("command", run_command(settings.command, message, settings.timeout));
  }
  return out;
}

Result<Decision> reconcile(db::Database& db, const std::string& source,
                           const std::vector<Problem>& current, bool repeat, std::int64_t now,
                           std::chrono::seconds repeat_after)
{
  Decision d;
  auto rows = HEMERA_TRY(db.query(
    "SELECT key, last_sent, acked_at FROM alert_problems WHERE source = ?1", {source}));
  struct Known {
    bool sent, acked;
    std::int64_t last_sent;
  };
  std::map<std::string, Known> known;
  for (const auto& r : rows) {
    known[r[0].text] = Known{r[1].kind != db::Value::Kind::null,
                             r[2].kind != db::Value::Kind::null, r[1].integer};
  }
  HEMERA_TRY(db.exec_script("BEGIN IMMEDIATE"));
  auto body = [&]() -> Result<void> {
    std::set<std::string> now_keys;
    for (const auto& p : current) {
      now_keys.insert(p.key);
      auto it = known.find(p.key);
      if (it == known.end()) {
        HEMERA_TRY(db.exec("INSERT INTO alert_problems(source, key, text, first_seen, last_seen) "
                           "VALUES (?1, ?2, ?3, ?4, ?4)",
                           {source, p.key, p.text, now}));
        d.fresh.push_back(p.key);
        continue;
      }
      HEMERA_TRY(db.exec("UPDATE alert_problems SET text = ?3, last_seen = ?4 "
                         "WHERE source = ?1 AND key = ?2",
                         {source, p.key, p.text, now}));
      if (it->second.acked) {
        d.acked.push_back(p.key);
      } else if (!it->second.sent) {
        d.fresh.push_back(p.key);
      } else if (repeat_after.count() > 0 && now - it->second.last_sent >= repeat_after.count()) {
        d.reminded.push_back(p.key);
      }
    }
    for (const auto& [key, k] : known) {
      if (now_keys.count(key) == 0) {
        d.resolved.push_back(key);
        HEMERA_TRY(db.exec("DELETE FROM alert_problems WHERE source = ?1 AND key = ?2",
                           {source, key}));
      }
    }
    return {};
  };
  auto r = body();
  if (!r) {
    (void)db.exec_script("ROLLBACK");
    return tl::unexpected(r.error());
  }
  HEMERA_TRY(db.exec_script("COMMIT"));
  std::size_t unacked = current.size() - d.acked.size();
  d.send = !d.fresh.empty() || !d.reminded.empty() || (repeat && unacked > 0);
  return d;
}

Result<void> mark_sent(db::Database& db, const std::string& source, std::int64_t now)
{
  return db.exec("UPDATE alert_problems SET last_sent = ?2 WHERE source = ?1 AND acked_at IS NULL",
                 {source, now});
}

Result<std::vector<OpenProblem>> open_problems(db::Database& db, const std::string& source)
{
  auto rows = HEMERA_TRY(db.query(
    "SELECT source, key, text, first_seen, last_seen, last_sent, acked_by, acked_at "
    "FROM alert_problems WHERE ?1 = '' OR source = ?1 ORDER BY source, key",
    {source}));
  std::vector<OpenProblem> out;
  for (const auto& r : rows) {
    OpenProblem p;
    p.source = r[0].text;
    p.key = r[1].text;
    p.text = r[2].text;
    p.first_seen = r[3].integer;
    p.last_seen = r[4].integer;
    p.last_sent = r[5].integer;
    p.acked_by = r[6].text;
    p.acked_at = r[7].integer;
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<std::string>> acknowledge(db::Database& db, const std::string& source,
                                             const std::string& match, const std::string& actor,
                                             std::int64_t now)
{
  auto rows = HEMERA_TRY(db.query(
    "SELECT key FROM alert_problems WHERE source = ?1 AND acked_at IS NULL "
    "AND (?2 = '' OR instr(key, ?2) > 0) ORDER BY key",
    {source, match}));
  std::vector<std::string> keys;
  for (const auto& r : rows) {
    keys.push_back(r[0].text);
  }
  HEMERA_TRY(db.exec(
    "UPDATE alert_problems SET acked_by = ?3, acked_at = ?4 WHERE source = ?1 AND acked_at IS NULL "
    "AND (?2 = '' OR instr(key, ?2) > 0)",
    {source, match, actor, now}));
  return keys;
}

}  // namespace hemera::alert
