// SPDX-License-Identifier: Apache-2.0
// Authorization: roles per actor in hemera.db, one require() for every
// privileged action, and the append-only, hash-chained audit log.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hemera/actor.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::auth {

// The roles of the seed (§8) plus curator; the service account's role is
// implicit (users.hpp, k_service_role) and cannot be granted.
inline constexpr const char* k_roles[] = {"downloader", "provider", "editor", "curator",
                                          "administrator"};

// One privileged action and the roles that may perform it.
struct Permission {
  const char* action;                 // "ingest", "user.grant"…
  std::vector<const char*> roles;     // roles allowed
  bool owner_provider = false;        // a provider may act on datasets it owns
};

// Return the table of privileged actions (also printed in hemera-user(1)).
const std::vector<Permission>& permissions();

// Return true if `role` is a known role name.
bool is_role(std::string_view role);

// Check that `actor` may perform `action` (on `dataset`, or archive-wide when
// empty); append the decision to the audit log either way. Errc::no_perm when
// denied.
Result<void> require(archive::Archive& archive, const Actor& actor, std::string_view action,
                     std::string_view dataset = {});

// Append one event to the audit log (hash-chained JSON lines); `os_user`,
// when set, names the Unix login behind an ORCID iD.
Result<void> audit(const std::filesystem::path& log, const std::string& actor,
                   std::string_view action, std::string_view dataset, bool allowed,
                   std::string_view detail, std::string_view os_user = {});

// Grant `role` to `actor_name` (optionally on one dataset).
Result<void> grant(archive::Archive& archive, const std::string& granted_by,
                   const std::string& actor_name, const std::string& role,
                   const std::string& dataset = {});

// Revoke `role` from `actor_name`; Errc::data if it was not granted.
Result<void> revoke(archive::Archive& archive, const std::string& actor_name,
                    const std::string& role, const std::string& dataset = {});

// One row of the roles table.
struct Grant {
  std::string actor, role, dataset, granted_by, granted_at;
};

// Return every grant, ordered by actor and role.
Result<std::vector<Grant>> grants(archive::Archive& archive);

// Make `actor` the first administrator of a new archive (hemera-init only).
Result<void> bootstrap_administrator(db::Database& database, const std::filesystem::path& log,
                                     const Actor& actor);

// Check the audit log's hash chain; return the number of events, or the error
// naming the first broken line.
Result<std::size_t> verify_audit_log(const std::filesystem::path& log);

}  // namespace hemera::auth
