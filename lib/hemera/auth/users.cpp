// SPDX-License-Identifier: Apache-2.0
#include <hemera/auth/users.hpp>

#include <algorithm>
#include <fstream>
#include <pwd.h>

#include <fmt/format.h>

#include <hemera/auth/session.hpp>

namespace hemera::auth {

namespace {

bool unix_user_exists(const std::string& name)
{
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[4096];
  return ::getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &result) == 0 && result != nullptr;
}

bool valid_login_name(std::string_view s)
{
  if (s.empty() || s.size() > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

Result<std::vector<Grant>> grants_of(db::Database& database, const std::string& name)
{
  auto rows = HEMERA_TRY(database.query(
    "SELECT actor, role, dataset, granted_by, granted_at FROM roles WHERE actor = ?1 ORDER BY role, dataset", {name}));
  std::vector<Grant> out;
  for (auto& r : rows) {
    out.push_back(Grant{r[0].text, r[1].text, r[2].text, r[3].text, r[4].text});
  }
  return out;
}

Result<void> audit_ok(archive::Archive& archive, const Identity& by, std::string_view action,
                      std::string_view detail)
{
  return audit(archive.layout().audit_log(), by.name, action, {}, true, detail,
               by.os_user != by.name ? by.os_user : std::string());
}

Result<std::int64_t> count_admins(db::Database& database)
{
  auto rows = HEMERA_TRY(database.query(
    "SELECT COUNT(DISTINCT actor) FROM roles WHERE role = 'administrator' AND dataset = ''"));
  return rows.at(0).at(0).integer;
}

}  // namespace

orcid::Registry configured_registry(const config::Config& config)
{
  return orcid::registry_of(config.get_string("orcid.issuer", "https://orcid.org"));
}

Result<std::string> parse_principal(std::string_view text, orcid::Registry registry)
{
  if (orcid::looks_like_orcid(text)) {
    return orcid::parse(text, registry);
  }
  if (!valid_login_name(text)) {
    return fail(Errc::usage,
                fmt::format("'{}' is neither an ORCID iD nor a Unix login name", text), {}, "USER");
  }
  return std::string(text);
}

Result<Identity> identify(archive::Archive& archive, const Actor& actor)
{
  Identity id;
  id.os_user = actor.name;
  id.name = actor.name;
  id.via = "unix";
  if (actor.service && !actor.via_sudo) {
    id.service = true;
    id.via = "service";
    return id;
  }
  auto& database = archive.db();
  auto s = HEMERA_TRY(session::current(database, actor));
  if (s) {
    id.name = s->orcid;
    id.orcid = s->orcid;
    id.via = "session";
    return id;
  }
  auto rows = HEMERA_TRY(database.query("SELECT orcid FROM actors WHERE name = ?1 AND orcid IS NOT NULL AND orcid <> name",
                                        {actor.name}));
  if (!rows.empty() && !rows[0][0].text.empty()) {
    id.name = rows[0][0].text;
    id.orcid = rows[0][0].text;
    id.via = "binding";
  }
  return id;
}

Result<std::vector<User>> users(archive::Archive& archive)
{
  auto rows = HEMERA_TRY(archive.db().query("SELECT name FROM actors ORDER BY name"));
  std::vector<User> out;
  for (auto& r : rows) {
    out.push_back(HEMERA_TRY(show_user(archive, r[0].text)));
  }
  return out;
}

Result<User> show_user(archive::Archive& archive, const std::string& name)
{
  auto& database = archive.db();
  auto rows = HEMERA_TRY(database.query("SELECT name, orcid FROM actors WHERE name = ?1", {name}));
  if (rows.empty()) {
    return fail(Errc::no_input, fmt::format("no user '{}' in this archive", name), {}, "USER");
  }
  User u;
  u.name = rows[0][0].text;
  if (rows[0][1].kind == db::Value::Kind::text) {
    u.orcid = rows[0][1].text;  // the person's own iD, or the one a Unix login is bound to
  }
  auto bound = HEMERA_TRY(database.query("SELECT name FROM actors WHERE orcid = ?1 AND name <> ?1 ORDER BY name", {name}));
  for (auto& b : bound) {
    u.unix_users.push_back(b[0].text);
  }
  u.grants = HEMERA_TRY(grants_of(database, name));
  auto n = HEMERA_TRY(database.query("SELECT COUNT(*) FROM sessions WHERE orcid = ?1 AND expires_at > strftime('%s','now')",
                                     {name}));
  u.open_sessions = n.at(0).at(0).integer;
  return u;
}

Result<void> add_user(archive::Archive& archive, const Identity& by, const std::string& orcid)
{
  auto& database = archive.db();
  auto rows = HEMERA_TRY(database.query("SELECT 1 FROM actors WHERE name = ?1", {orcid}));
  if (!rows.empty()) {
    return fail(Errc::cant_create, fmt::format("{} is already a user", orcid), {}, "USER");
  }
  HEMERA_TRY(database.exec("INSERT INTO actors(name, orcid, created_at) VALUES (?1, ?1, ?2)",
                           {orcid, archive::now_iso8601()}));
  return audit_ok(archive, by, "user.add", orcid);
}

Result<void> remove_user(archive::Archive& archive, const Identity& by, const std::string& name)
{
  auto& database = archive.db();
  auto u = HEMERA_TRY(show_user(archive, name));
  bool admin = std::any_of(u.grants.begin(), u.grants.end(),
                           [](const Grant& g) { return g.role == "administrator" && g.dataset.empty(); });
  if (admin && HEMERA_TRY(count_admins(database)) <= 1) {
    return fail(Errc::data, "refusing to remove the last administrator");
  }
  HEMERA_TRY(database.exec_script("BEGIN IMMEDIATE;"));
  auto r = [&]() -> Result<void> {
    HEMERA_TRY(database.exec("DELETE FROM roles WHERE actor = ?1", {name}));
    HEMERA_TRY(database.exec("DELETE FROM sessions WHERE orcid = ?1", {name}));
    HEMERA_TRY(database.exec("UPDATE actors SET orcid = NULL WHERE orcid = ?1 AND name <> ?1", {name}));
    HEMERA_TRY(database.exec("DELETE FROM actors WHERE name = ?1", {name}));
    return {};
  }();
  if (!r) {
    (void)database.exec_script("ROLLBACK;");
    return r;
  }
  HEMERA_TRY(database.exec_script("COMMIT;"));
  return audit_ok(archive, by, "user.remove", name);
}

Result<void> bind(archive::Archive& archive, const Identity& by, const std::string& unix_user,
                  const std::string& orcid)
{
  if (orcid::looks_like_orcid(unix_user) || !valid_login_name(unix_user)) {
    return fail(Errc::usage, fmt::format("'{}' is not a Unix login name", unix_user), {}, "UNIX_USER");
  }
  if (!unix_user_exists(unix_user)) {
    return fail(Errc::data, fmt::format("no Unix user '{}' on this host", unix_user), {}, "UNIX_USER");
  }
  auto& database = archive.db();
  HEMERA_TRY(database.exec_script("BEGIN IMMEDIATE;"));
  auto r = [&]() -> Result<void> {
    auto now = archive::now_iso8601();
    HEMERA_TRY(database.exec("INSERT OR IGNORE INTO actors(name, orcid, created_at) VALUES (?1, ?1, ?2)", {orcid, now}));
    HEMERA_TRY(database.exec(
      "INSERT INTO actors(name, orcid, created_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(name) DO UPDATE SET orcid = excluded.orcid",
      {unix_user, orcid, now}));
    // The login's roles become the person's.
    HEMERA_TRY(database.exec(
      "INSERT OR IGNORE INTO roles(actor, role, dataset, granted_by, granted_at) "
      "SELECT ?2, role, dataset, granted_by, granted_at FROM roles WHERE actor = ?1",
      {unix_user, orcid}));
    HEMERA_TRY(database.exec("DELETE FROM roles WHERE actor = ?1", {unix_user}));
    return {};
  }();
  if (!r) {
    (void)database.exec_script("ROLLBACK;");
    return r;
  }
  HEMERA_TRY(database.exec_script("COMMIT;"));
  return audit_ok(archive, by, "user.bind", fmt::format("{} = {}", unix_user, orcid));
}

Result<void> unbind(archive::Archive& archive, const Identity& by, const std::string& unix_user)
{
  auto& database = archive.db();
  auto rows = HEMERA_TRY(database.query(
    "SELECT orcid FROM actors WHERE name = ?1 AND orcid IS NOT NULL AND orcid <> name", {unix_user}));
  if (rows.empty()) {
    return fail(Errc::data, fmt::format("'{}' is not bound to an ORCID iD", unix_user), {}, "UNIX_USER");
  }
  HEMERA_TRY(database.exec("UPDATE actors SET orcid = NULL WHERE name = ?1", {unix_user}));
  return audit_ok(archive, by, "user.bind", fmt::format("{} unbound from {}", unix_user, rows[0][0].text));
}

const std::vector<Command>& commands()
{
  static const std::vector<Command> table = {
    {"hemera-ingest", "--collection C --form F FILES (new dataset)", "ingest"},
    {"hemera-ingest", "--dataset UUID FILES (new version)", "version.new"},
    {"hemera-meta", "set", "record.edit"},
    {"hemera-meta", "edit", "record.edit"},
    {"hemera-doi", "create", "doi.mint"},
    {"hemera-doi", "publish", "doi.mint"},
    {"hemera-doi", "update", "doi.mint"},
    {"hemera-doi", "hide", "doi.mint"},
    {"hemera-user", "list", "user.list"},
    {"hemera-user", "show", "user.list"},
    {"hemera-user", "add", "user.add"},
    {"hemera-user", "remove", "user.remove"},
    {"hemera-user", "grant", "user.grant"},
    {"hemera-user", "revoke", "user.revoke"},
    {"hemera-user", "bind", "user.bind"},
    {"hemera-user", "audit", "audit.read"},
    {"hemera-user", "audit --check", "audit.check"},
    {"hemera-verify", "--ack", "verify.ack"},
    {"hemera-replicate", "--full", "replicate.full"},
    {"hemera-repair", "(any)", "repair"},
    {"hemera-snapshot", "prune", "snapshot.prune"},
    {"hemera-snapshot", "restore", "snapshot.restore"},
    {"hemera-recover", "apply", "recover.apply"},
    {"hemera-report", "(any)", "report"},
  };
  return table;
}

const Permission* find_permission(std::string_view action)
{
  const auto& table = permissions();
  auto it = std::find_if(table.begin(), table.end(), [&](const Permission& p) { return action == p.action; });
  return it == table.end() ? nullptr : &*it;
}

bool role_allows(std::string_view role, std::string_view action)
{
  const Permission* p = find_permission(action);
  return p != nullptr &&
         std::any_of(p->roles.begin(), p->roles.end(), [&](const char* r) { return role == r; });
}

Result<std::size_t> scan_audit(const std::filesystem::path& log, const AuditFilter& filter,
                               const std::function<void(const nlohmann::json&)>& each)
{
  std::ifstream in(log, std::ios::binary);
  if (!in) {
    return tl::unexpected(errno_error(errno, "cannot read audit log", log.string()));
  }
  auto str = [](const nlohmann::json& j, const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  bool prefix = !filter.action.empty() && filter.action.back() == '*';
  std::string action = prefix ? filter.action.substr(0, filter.action.size() - 1) : filter.action;
  std::string line;
  std::size_t n = 0;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return fail(Errc::data, "not a valid audit event", fmt::format("{}:{}", log.string(), lineno), {},
                  "audit.chain");
    }
    if (!filter.actor.empty() && str(j, "actor") != filter.actor && str(j, "os_user") != filter.actor) {
      continue;
    }
    if (!action.empty() && (prefix ? str(j, "action").rfind(action, 0) != 0 : str(j, "action") != action)) {
      continue;
    }
    if (!filter.dataset.empty() && str(j, "dataset") != filter.dataset) {
      continue;
    }
    std::string t = str(j, "time");
    if ((!filter.since.empty() && t < filter.since) || (!filter.until.empty() && t >= filter.until)) {
      continue;
    }
    if (filter.allowed && (!j.contains("allowed") || j["allowed"] != *filter.allowed)) {
      continue;
    }
    ++n;
    each(j);
  }
  return n;
}

}  // namespace hemera::auth
