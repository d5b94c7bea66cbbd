// SPDX-License-Identifier: Apache-2.0
#include <hemera/auth/auth.hpp>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <hemera/auth/users.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::auth {

namespace {

std::string sha256_hex(std::string_view data)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += fmt::format("{:02x}", md[i]);
  }
  return out;
}

constexpr const char* k_genesis = "0000000000000000000000000000000000000000000000000000000000000000";

// Return (last sequence number, hash of the last line) of the log.
Result<std::pair<std::int64_t, std::string>> tail_of(const std::filesystem::path& log)
{
  std::error_code ec;
  if (!std::filesystem::exists(log, ec)) {
    return std::make_pair(std::int64_t{0}, std::string(k_genesis));
  }
  std::ifstream in(log, std::ios::binary);
  if (!in) {
    return tl::unexpected(errno_error(errno, "cannot read audit log", log.string()));
  }
  // Read the last line: seek back in chunks.
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::string buf;
  std::streamoff chunk = 4096;
  std::streamoff pos = size;
  std::string last;
  while (pos > 0) {
    std::streamoff start = std::max<std::streamoff>(0, pos - chunk);
    std::string part(static_cast<std::size_t>(pos - start), '\0');
    in.seekg(start);
    in.read(part.data(), static_cast<std::streamsize>(part.size()));
    buf = part + buf;
    pos = start;
    // buf ends with '\n'; look for the newline before the last line.
    std::size_t end = buf.size();
    while (end > 0 && buf[end - 1] == '\n') {
      --end;
    }
    auto nl = buf.rfind('\n', end == 0 ? 0 : end - 1);
    if (nl != std::string::npos || pos == 0) {
      last = buf.substr(nl == std::string::npos ? 0 : nl + 1, end - (nl == std::string::npos ? 0 : nl + 1));
      break;
    }
  }
  if (last.empty()) {
    return std::make_pair(std::int64_t{0}, std::string(k_genesis));
  }
  auto j = nlohmann::json::parse(last, nullptr, false);
  if (j.is_discarded() || !j.contains("seq")) {
    return fail(Errc::data, "last audit event is not valid JSON", log.string(), {}, "audit.chain");
  }
  return std::make_pair(j["seq"].get<std::int64_t>(), sha256_hex(last));
}

Result<std::vector<std::string>> roles_of(db::Database& database, const std::string& actor,
                                          std::string_view dataset)
{
  auto rows = HEMERA_TRY(database.query(
    "SELECT role FROM roles WHERE actor = ?1 AND (dataset = '' OR dataset = ?2)",
    {actor, std::string(dataset)}));
  std::vector<std::string> out;
  for (auto& r : rows) {
    out.push_back(r.at(0).text);
  }
  return out;
}

}  // namespace

const std::vector<Permission>& permissions()
{
  static const std::vector<Permission> table = {
    {"ingest", {"provider", "curator", "administrator"}},
    {"version.new", {"curator", "administrator"}, true},
    {"record.edit", {"curator", "administrator"}, true},
    {"doi", {"curator", "administrator"}},
    {"doi.mint", {"curator", "administrator"}},
    {"user.list", {"curator", "administrator"}},
    {"user.add", {"administrator"}},
    {"user.remove", {"administrator"}},
    {"user.grant", {"administrator"}},
    {"user.revoke", {"administrator"}},
    {"user.bind", {"administrator"}},
    {"audit.read", {"administrator"}},
    {"audit.check", {"administrator", "service"}},
    {"report", {"administrator", "service"}},
    {"verify.ack", {"curator", "administrator"}},
    {"replicate.full", {"curator", "administrator"}},
    {"repair", {"curator", "administrator"}},
    {"snapshot.prune", {"administrator", "service"}},
    {"snapshot.restore", {"administrator"}},
    {"recover.apply", {"administrator", "service"}},
  };
  return table;
}

bool is_role(std::string_view role)
{
  return std::any_of(std::begin(k_roles), std::end(k_roles),
                     [&](const char* r) { return role == r; });
}

Result<void> audit(const std::filesystem::path& log, const std::string& actor,
                   std::string_view action, std::string_view dataset, bool allowed,
                   std::string_view detail, std::string_view os_user)
{
  auto lock = HEMERA_TRY(util::FileLock::acquire(log.parent_path() / "locks" / "audit.lock"));
  auto [seq, prev] = HEMERA_TRY(tail_of(log));
  nlohmann::json event = {{"seq", seq + 1},
                          {"time", archive::now_iso8601()},
                          {"actor", actor},
                          {"action", action},
                          {"dataset", dataset},
                          {"allowed", allowed},
                          {"detail", detail},
                          {"prev", prev}};
  if (!os_user.empty()) {
    event["os_user"] = os_user;
  }
  return util::append_file(log, event.dump() + "\n", 0640);
}

Result<void> require(archive::Archive& archive, const Actor& actor, std::string_view action,
                     std::string_view dataset)
{
  const Permission* it = find_permission(action);
  if (it == nullptr) {
    return fail(Errc::internal, fmt::format("unknown privileged action '{}'", action));
  }
  auto id = HEMERA_TRY(identify(archive, actor));
  auto held = HEMERA_TRY(roles_of(archive.db(), id.name, dataset));
  if (id.service) {
    held.emplace_back(k_service_role);
  }
  bool allowed = std::any_of(held.begin(), held.end(), [&](const std::string& r) {
    return std::find_if(it->roles.begin(), it->roles.end(),
                        [&](const char* allowed_role) { return r == allowed_role; }) !=
           it->roles.end();
  });
  std::string detail = allowed ? "granted" : fmt::format("needs one of: {}", fmt::join(it->roles, ", "));
  if (!allowed && it->owner_provider && !dataset.empty() &&
      std::find(held.begin(), held.end(), "provider") != held.end()) {
    // A provider may act on the datasets it submitted (recorded under its
    // ORCID iD or its Unix login).
    auto owner = HEMERA_TRY(archive.db().query("SELECT created_by FROM datasets WHERE uuid = ?1",
                                               {std::string(dataset)}));
    if (!owner.empty() && (owner.at(0).at(0).text == id.name || owner.at(0).at(0).text == actor.name)) {
      allowed = true;
      detail = "owning provider";
    } else {
      detail += ", or to be the providing owner";
    }
  }
  HEMERA_TRY(audit(archive.layout().audit_log(), id.name, action, dataset, allowed, detail,
                   id.os_user != id.name ? id.os_user : std::string()));
  if (!allowed) {
    return fail(Errc::no_perm,
                fmt::format("{} may not {}{} ({})", id.name, action,
                            dataset.empty() ? "" : fmt::format(" on {}", dataset), detail),
                {}, {}, "auth.role");
  }
  return {};
}

Result<void> grant(archive::Archive& archive, const std::string& granted_by,
                   const std::string& actor_name, const std::string& role,
                   const std::string& dataset)
{
  if (!is_role(role)) {
    return fail(Errc::usage, fmt::format("unknown role '{}' (roles: {})", role, fmt::join(k_roles, ", ")));
  }
  auto& database = archive.db();
  // An ORCID iD names itself in the orcid column; a Unix login has none until bound.
  HEMERA_TRY(database.exec(
    "INSERT OR IGNORE INTO actors(name, orcid, created_at) "
    "VALUES (?1, CASE WHEN ?1 GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9][0-9][0-9]-*' THEN ?1 END, ?2)",
    {actor_name, archive::now_iso8601()}));
  HEMERA_TRY(database.exec(
    "INSERT OR IGNORE INTO roles(actor, role, dataset, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    {actor_name, role, dataset, granted_by, archive::now_iso8601()}));
  return audit(archive.layout().audit_log(), granted_by, "user.grant", dataset, true,
               fmt::format("{} += {}", actor_name, role));
}

Result<void> revoke(archive::Archive& archive, const std::string& actor_name,
                    const std::string& role, const std::string& dataset)
{
  auto& database = archive.db();
  auto rows = HEMERA_TRY(database.query(
    "SELECT 1 FROM roles WHERE actor = ?1 AND role = ?2 AND dataset = ?3",
    {actor_name, role, dataset}));
  if (rows.empty()) {
    return fail(Errc::data, fmt::format("{} does not hold the role {}", actor_name, role));
  }
  if (role == "administrator" && dataset.empty()) {
    auto admins = HEMERA_TRY(database.query(
      "SELECT COUNT(*) FROM roles WHERE role = 'administrator' AND dataset = ''"));
    if (admins.at(0).at(0).integer <= 1) {
      return fail(Errc::data, "refusing to revoke the last administrator");
    }
  }
  HEMERA_TRY(database.exec("DELETE FROM roles WHERE actor = ?1 AND role = ?2 AND dataset = ?3",
                           {actor_name, role, dataset}));
  return {};
}

Result<std::vector<Grant>> grants(archive::Archive& archive)
{
  auto rows = HEMERA_TRY(archive.db().query(
    "SELECT actor, role, dataset, granted_by, granted_at FROM roles ORDER BY actor, role, dataset"));
  std::vector<Grant> out;
  for (auto& r : rows) {
    out.push_back(Grant{r[0].text, r[1].text, r[2].text, r[3].text, r[4].text});
  }
  return out;
}

Result<void> bootstrap_administrator(db::Database& database, const std::filesystem::path& log,
                                     const Actor& actor)
{
  HEMERA_TRY(database.exec("INSERT OR IGNORE INTO actors(name, created_at) VALUES (?1, ?2)",
                           {actor.name, archive::now_iso8601()}));
  HEMERA_TRY(database.exec(
    "INSERT OR IGNORE INTO roles(actor, role, dataset, granted_by, granted_at) VALUES (?1, 'administrator', '', ?1, ?2)",
    {actor.name, archive::now_iso8601()}));
  return audit(log, actor.name, "archive.init", "", true, "first administrator");
}

Result<std::size_t> verify_audit_log(const std::filesystem::path& log)
{
  std::ifstream in(log, std::ios::binary);
  if (!in) {
    return tl::unexpected(errno_error(errno, "cannot read audit log", log.string()));
  }
  std::string line;
  std::string prev = k_genesis;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("prev") || !j.contains("seq")) {
      return fail(Errc::data, "not a valid audit event", fmt::format("{}:{}", log.string(), n), {},
                  "audit.chain");
    }
    if (j["prev"] != prev || j["seq"] != static_cast<std::int64_t>(n)) {
      return fail(Errc::data, "hash chain broken (event edited, removed or reordered)",
                  fmt::format("{}:{}", log.string(), n), {}, "audit.chain");
    }
    prev = sha256_hex(line);
  }
  return n;
}

}  // namespace hemera::auth
