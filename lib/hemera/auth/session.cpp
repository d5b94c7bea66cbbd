// SPDX-License-Identifier: Apache-2.0
#include <hemera/auth/session.hpp>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <hemera/checksum.hpp>
#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::session {

namespace {

// Crockford's base32: no I, L, O, U, so a code read aloud is unambiguous.
constexpr char k_code_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::int64_t now()
{
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string iso(std::int64_t t)
{
  auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::string> random_bytes(std::size_t n)
{
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return fail(Errc::internal, "the random number generator failed");
  }
  return out;
}

// Return the code in canonical form (upper case, no separators), or "".
std::string canonical_code(std::string_view text)
{
  std::string out;
  for (char c : text) {
    if (c == '-' || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    }
    char u = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    if (std::string_view(k_code_alphabet).find(u) == std::string_view::npos) {
      return {};
    }
    out.push_back(u);
  }
  return out.size() == 16 ? out : std::string();
}

std::string hash_hex(std::string_view s)
{
  return checksum::sha256(s).hex();
}

// Under sudo, touch the person's files with the person's file-system identity,
// so that a symbolic link in their home cannot make root write elsewhere.
class AsPerson {
 public:
  explicit AsPerson(const Actor& actor)
  {
    if (actor.via_sudo && ::geteuid() == 0) {
      struct passwd pw {};
      struct passwd* result = nullptr;
      char buf[4096];
      gid_t gid = ::getpwuid_r(actor.uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr ? pw.pw_gid : 65534;
      m_old_gid = ::setfsgid(gid);
      m_old_uid = ::setfsuid(actor.uid);
      m_active = true;
    }
  }
  AsPerson(const AsPerson&) = delete;
  AsPerson& operator=(const AsPerson&) = delete;
  ~AsPerson()
  {
    if (m_active) {
      ::setfsuid(static_cast<uid_t>(m_old_uid));
      ::setfsgid(static_cast<gid_t>(m_old_gid));
    }
  }

 private:
  bool m_active = false;
  int m_old_uid = 0;
  int m_old_gid = 0;
};

}  // namespace

Result<std::string> issue_code(db::Database& database, const std::string& orcid)
{
  auto raw = HEMERA_TRY(random_bytes(16));
  std::string code;
  for (std::size_t i = 0; i < 16; ++i) {
    code.push_back(k_code_alphabet[static_cast<unsigned char>(raw[i]) & 31U]);
  }
  HEMERA_TRY(database.exec(
    "INSERT INTO login_codes(code_sha256, orcid, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
    {hash_hex(code), orcid, now(), now() + k_code_lifetime.count()}));
  return fmt::format("{}-{}-{}-{}", code.substr(0, 4), code.substr(4, 4), code.substr(8, 4), code.substr(12, 4));
}

Result<std::pair<Session, std::string>> exchange_code(db::Database& database, std::string_view code,
                                                      std::int64_t uid, std::chrono::seconds lifetime)
{
  std::string c = canonical_code(code);
  if (c.empty()) {
    return fail(Errc::data, "not a sign-in code (16 letters and digits, as XXXX-XXXX-XXXX-XXXX)", {}, {},
                "login.code");
  }
  // DELETE … RETURNING: the code is spent by the first exchange, even a failed one.
  auto rows = HEMERA_TRY(database.query(
    "DELETE FROM login_codes WHERE code_sha256 = ?1 RETURNING orcid, expires_at", {hash_hex(c)}));
  if (rows.empty()) {
    return fail(Errc::no_perm, "unknown or already used sign-in code; sign in again", {}, {}, "login.code");
  }
  if (rows[0][1].integer < now()) {
    return fail(Errc::no_perm, "the sign-in code expired; sign in again", {}, {}, "login.code");
  }
  auto raw = HEMERA_TRY(random_bytes(32));
  std::string token;
  for (char ch : raw) {
    token += fmt::format("{:02x}", static_cast<unsigned char>(ch));
  }
  Session s{rows[0][0].text, uid, now(), now() + lifetime.count()};
  HEMERA_TRY(database.exec(
    "INSERT INTO sessions(token_sha256, orcid, uid, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    {hash_hex(token), s.orcid, s.uid, s.created_at, s.expires_at}));
  return std::make_pair(s, token);
}

fs::path session_file(const Actor& actor)
{
  if (!actor.via_sudo) {
    if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x == '/') {
      return fs::path(x) / "hemera" / "session";
    }
    if (const char* h = std::getenv("HOME"); h != nullptr && *h == '/') {
      return fs::path(h) / ".config" / "hemera" / "session";
    }
  }
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[4096];
  if (::getpwuid_r(actor.uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr) {
    return fs::path(pw.pw_dir) / ".config" / "hemera" / "session";
  }
  return {};
}

Result<void> write_file(const Actor& actor, const fs::path& path, const Session& s, const std::string& token)
{
  if (path.empty()) {
    return fail(Errc::cant_create, "no home directory for the session file");
  }
  AsPerson as_person(actor);
  auto dir = path.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    HEMERA_TRY(util::make_dirs(dir, 0700));
  }
  nlohmann::json doc = {{"token", token},
                        {"orcid", s.orcid},
                        {"expires_at", iso(s.expires_at)},
                        {"note", "the ORCID iD here is informative: the archive's database decides"}};
  std::string text = doc.dump(2) + "\n";
  auto tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot create the session file", tmp.string()));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = ok ? errno : err;
    ::unlink(tmp.c_str());
    return tl::unexpected(errno_error(err, "cannot write the session file", path.string()));
  }
  return util::fsync_dir(dir);
}

namespace {

struct FileToken {
  std::string token;
  std::string orcid;
};

// Read and check the session file: the actor's own, owner-only, not a link.
Result<std::optional<FileToken>> read_token(const fs::path& path, const Actor& actor)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return std::optional<FileToken>{};
    }
    Error e = errno_error(errno, "cannot open the session file", path.string());
    if (errno == ELOOP) {
      e = Error{Errc::no_perm, "the session file is a symbolic link; refused", path.string(), {}, "session.file"};
    }
    return tl::unexpected(e);
  }
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 4096) {
    text.resize(static_cast<std::size_t>(st.st_size));
    if (::read(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      text.clear();
    }
  }
  ::close(fd);
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::no_perm, "the session file is not a regular file; refused", path.string(), {}, "session.file");
  }
  if (st.st_uid != actor.uid) {
    return fail(Errc::no_perm, fmt::format("the session file belongs to uid {}, not to {}; refused", st.st_uid, actor.name),
                path.string(), {}, "session.file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(Errc::no_perm,
                fmt::format("the session file is readable or writable by others (mode {:o}); refused: "
                            "run hemera-logout and sign in again",
                            st.st_mode & 07777),
                path.string(), {}, "session.file");
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    return fail(Errc::no_perm, "the session file is not one hemera-login wrote; refused", path.string(), {},
                "session.file");
  }
  FileToken t{j["token"].get<std::string>(), {}};
  if (j.contains("orcid") && j["orcid"].is_string()) {
    t.orcid = j["orcid"].get<std::string>();
  }
  return std::optional<FileToken>(t);
}

}  // namespace

Result<std::optional<Session>> current(db::Database& database, const Actor& actor)
{
  auto path = session_file(actor);
  if (path.empty()) {
    return std::optional<Session>{};
  }
  Result<std::optional<FileToken>> read = std::optional<FileToken>{};
  {
    AsPerson as_person(actor);
    read = read_token(path, actor);
  }
  auto ft = HEMERA_TRY(std::move(read));
  if (!ft) {
    return std::optional<Session>{};
  }
  auto rows = HEMERA_TRY(database.query(
    "SELECT orcid, uid, created_at, expires_at FROM sessions WHERE token_sha256 = ?1", {hash_hex(ft->token)}));
  if (rows.empty()) {
    return fail(Errc::no_perm,
                "the session file names no open session (edited, or the session was closed); "
                "run hemera-logout, then hemera-login",
                path.string(), {}, "session.unknown");
  }
  Session s{rows[0][0].text, rows[0][1].integer, rows[0][2].integer, rows[0][3].integer};
  if (s.uid != static_cast<std::int64_t>(actor.uid)) {
    return fail(Errc::no_perm, fmt::format("this session belongs to uid {}, not to {}; refused", s.uid, actor.name),
                path.string(), {}, "session.uid");
  }
  if (ft->orcid != s.orcid) {
    return fail(Errc::no_perm,
                fmt::format("the session file was edited: it names ORCID iD '{}' but the session is {}'s; refused",
                            ft->orcid, s.orcid),
                path.string(), {}, "session.edited");
  }
  if (s.expires_at <= now()) {
    log::warn("your ORCID session expired at {}; run hemera-login to sign in again", iso(s.expires_at));
    return std::optional<Session>{};
  }
  return std::optional<Session>(s);
}

Result<bool> logout(db::Database& database, const Actor& actor)
{
  auto path = session_file(actor);
  if (path.empty()) {
    return false;
  }
  // A file that fails the checks is still removed: it is the person's own.
  Result<std::optional<FileToken>> ft = std::optional<FileToken>{};
  {
    AsPerson as_person(actor);
    ft = read_token(path, actor);
  }
  if (ft && *ft) {
    HEMERA_TRY(database.exec("DELETE FROM sessions WHERE token_sha256 = ?1 AND uid = ?2",
                             {hash_hex((*ft)->token), static_cast<std::int64_t>(actor.uid)}));
  }
  AsPerson as_person(actor);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return false;
  }
  if (st.st_uid != actor.uid) {
    return fail(Errc::no_perm, "the session file is not yours; not removed", path.string());
  }
  if (::unlink(path.c_str()) != 0) {
    return tl::unexpected(errno_error(errno, "cannot remove the session file", path.string()));
  }
  return true;
}

Result<std::int64_t> purge_expired(db::Database& database)
{
  auto a = HEMERA_TRY(database.query("DELETE FROM sessions WHERE expires_at <= ?1 RETURNING 1", {now()}));
  auto b = HEMERA_TRY(database.query("DELETE FROM login_codes WHERE expires_at <= ?1 RETURNING 1", {now()}));
  return static_cast<std::int64_t>(a.size() + b.size());
}

}  // namespace hemera::session
