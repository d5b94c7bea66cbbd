// SPDX-License-Identifier: Apache-2.0
#include <hemera/archive/root.hpp>

#include <cstdlib>
#include <ctime>

#include <fmt/format.h>

#include <hemera/archive/store.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/checksum.hpp>
#include <hemera/log.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>

namespace hemera::archive {

namespace {

constexpr const char* k_marker_text = "hemera-archive 1\n";

}  // namespace

std::string now_iso8601()
{
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Archive::Archive(Layout layout, db::Database database)
  : m_layout(std::move(layout)), m_db(std::move(database))
{
}

bool is_archive(const fs::path& root)
{
  std::error_code ec;
  Layout l{root};
  return fs::is_regular_file(l.marker(), ec) && fs::is_regular_file(l.database(), ec);
}

Result<Archive> Archive::open(const fs::path& root)
{
  std::error_code ec;
  if (!fs::exists(root, ec)) {
    return fail(Errc::no_input, "archive root not found (create one with hemera-init)",
                root.string());
  }
  if (!is_archive(root)) {
    return fail(Errc::no_input, "not an initialised archive (create one with hemera-init)",
                root.string());
  }
  Layout layout{fs::absolute(root).lexically_normal()};
  auto database = HEMERA_TRY(db::Database::open(layout.database(), false));
  HEMERA_TRY(database.migrate());
  Archive archive(std::move(layout), std::move(database));
  // Complete commits that a crash interrupted after their commit point, and
  // discard the staging of those it interrupted before (any tool does this).
  if (auto done = complete_interrupted(archive); !done) {
    if (done.error().code == Errc::no_perm) {
      log::info("cannot complete interrupted commits: {}", done.error().to_string());
    } else {
      log::warn("cannot complete interrupted commits: {}", done.error().to_string());
    }
  }
  return archive;
}

bool is_copy(const fs::path& root)
{
  std::error_code ec;
  Layout l{root};
  return !fs::exists(l.state(), ec) && (fs::is_directory(l.datb(), ec) || fs::is_directory(l.dasb(), ec));
}

fs::path default_copy_state(const fs::path& root)
{
  const char* xdg = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  fs::path base = xdg != nullptr && *xdg == '/' ? fs::path(xdg)
                  : home != nullptr && *home == '/' ? fs::path(home) / ".local" / "state"
                                                    : fs::path("/var/lib");
  auto abs = fs::absolute(root).lexically_normal().string();
  while (abs.size() > 1 && abs.back() == '/') {
    abs.pop_back();
  }
  return base / "hemera" / "copies" / checksum::sha256(abs).hex().substr(0, 16);
}

Result<Archive> Archive::open_copy(const fs::path& root, const fs::path& state)
{
  std::error_code ec;
  if (!is_copy(root)) {
    return fail(Errc::no_input, "neither an archive nor a replicated copy of one (no DATB/ or DASB/)",
                root.string());
  }
  Layout layout{fs::absolute(root).lexically_normal(), fs::absolute(state).lexically_normal()};
  if (!fs::is_directory(layout.state(), ec)) {
    fs::create_directories(layout.state(), ec);
    if (ec) {
      return fail(Errc::cant_create, "cannot create the copy's state folder: " + ec.message(),
                  layout.state().string());
    }
    fs::permissions(layout.state(), fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  fs::create_directories(layout.locks(), ec);
  if (ec) {
    return fail(Errc::cant_create, "cannot create the locks folder: " + ec.message(), layout.locks().string());
  }
  auto database = HEMERA_TRY(db::Database::open(layout.database(), true));
  HEMERA_TRY(database.migrate());
  return Archive(std::move(layout), std::move(database));
}

Result<Archive> open_archive_or_copy(const fs::path& root, const fs::path& copy_state)
{
  std::error_code ec;
  if (is_archive(root)) {
    if (!copy_state.empty()) {
      return fail(Errc::usage, "a state folder applies to a replicated copy only", root.string());
    }
    return Archive::open(root);
  }
  if (is_copy(root)) {
    return Archive::open_copy(root, copy_state.empty() ? default_copy_state(root) : copy_state);
  }
  if (fs::is_directory(root, ec)) {
    return fail(Errc::no_input,
                "neither an archive (.hemera/) nor a replicated copy of one (DATB/ or DASB/ without .hemera/)",
                root.string());
  }
  return Archive::open(root);  // its own error: not found
}

Result<InitResult> init(const fs::path& root_in, const Actor& actor)
{
  InitResult out;
  std::error_code ec;
  fs::path root = fs::absolute(root_in, ec).lexically_normal();
  out.root = root;
  Layout layout{root};
  bool existing = is_archive(root);
  if (!existing && fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) {
      return fail(Errc::cant_create, "exists and is not a directory", root.string());
    }
    if (!fs::is_empty(root, ec)) {
      if (ec) {
        return tl::unexpected(errno_error(ec.value(), "cannot read directory", root.string()));
      }
      return fail(Errc::cant_create, "directory is not empty and is not an archive",
                  root.string());
    }
  }
  HEMERA_TRY(util::make_dirs(root));
  for (const auto& dir : {layout.datb(), layout.dasb(), layout.state(), layout.staging(),
                          layout.locks()}) {
    HEMERA_TRY(util::make_dirs(dir));
  }
  auto lock = HEMERA_TRY(util::FileLock::acquire(layout.locks() / "init.lock"));
  auto database = HEMERA_TRY(db::Database::open(layout.database(), true));
  HEMERA_TRY(database.migrate());
  out.schema_version = HEMERA_TRY(database.schema_version());

  auto ns_rows = HEMERA_TRY(database.query("SELECT value FROM meta WHERE key = 'legacy_namespace'"));
  if (ns_rows.empty()) {
    auto ns = HEMERA_TRY(uuid::new_v4());
    HEMERA_TRY(database.exec("INSERT INTO meta(key, value) VALUES ('legacy_namespace', ?1)",
                             {uuid::to_string(ns)}));
    HEMERA_TRY(database.exec("INSERT INTO meta(key, value) VALUES ('created_at', ?1)",
                             {now_iso8601()}));
  }
  auto ns_now = HEMERA_TRY(database.query("SELECT value FROM meta WHERE key = 'legacy_namespace'"));
  out.legacy_namespace = ns_now.at(0).at(0).text;

  auto admins = HEMERA_TRY(database.query("SELECT actor FROM roles WHERE role = 'administrator' ORDER BY granted_at LIMIT 1"));
  if (admins.empty()) {
    HEMERA_TRY(auth::bootstrap_administrator(database, layout.audit_log(), actor));
    out.administrator = actor.name;
  } else {
    out.administrator = admins.at(0).at(0).text;
  }
  if (!fs::exists(layout.journal(), ec)) {
    HEMERA_TRY(util::append_file(layout.journal(), ""));
  }
  if (!fs::exists(layout.marker(), ec)) {
    HEMERA_TRY(util::write_file_atomic(layout.marker(), k_marker_text));
  }
  HEMERA_TRY(util::fsync_dir(root));
  out.created = !existing;
  return out;
}

Result<std::string> legacy_namespace(Archive& archive)
{
  auto rows = HEMERA_TRY(archive.db().query("SELECT value FROM meta WHERE key = 'legacy_namespace'"));
  if (rows.empty()) {
    return fail(Errc::config, "no legacy namespace pinned in the archive database",
                archive.layout().database().string());
  }
  return rows.at(0).at(0).text;
}

}  // namespace hemera::archive
