// SPDX-License-Identifier: Apache-2.0
// People and accounts: who an actor is (session, binding, Unix user, service
// account), user management by ORCID iD, the table of privileged commands of
// every tool, and reading the audit log back with filters.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/actor.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/orcid.hpp>
#include <hemera/config.hpp>
#include <hemera/error.hpp>

namespace hemera::auth {

// The implicit role of the archive's service account (cron).
inline constexpr const char* k_service_role = "service";

// Who an actor is for the roles, resolved for each decision.
struct Identity {
  std::string name;     // the ORCID iD, or the Unix login name when unbound
  std::string orcid;    // "" when unbound
  std::string os_user;  // the Unix login behind the run
  std::string via;      // "session", "binding", "unix" or "service"
  bool service = false; // holds the service role
};

// Resolve `actor`: the service account (not through sudo) holds the service
// role; otherwise the ORCID iD of a valid session, else the ORCID iD bound to
// the Unix user, else the Unix user. A session file that fails its checks is
// an error, never silently ignored.
Result<Identity> identify(archive::Archive& archive, const Actor& actor);

// Return the canonical principal named on a command line: an ORCID iD (any
// accepted form, checked for `registry`) or a Unix login name.
Result<std::string> parse_principal(std::string_view text, orcid::Registry registry);

// Return the registry of the configured ORCID provider (orcid.issuer).
orcid::Registry configured_registry(const config::Config& config);

// One person or account and what it holds.
struct User {
  std::string name;                  // ORCID iD or Unix login
  std::string orcid;                 // bound ORCID iD of a Unix login ("" if none)
  std::vector<std::string> unix_users;  // Unix logins bound to this ORCID iD
  std::vector<Grant> grants;
  std::int64_t open_sessions = 0;
};

// Return every known person or account, with grants and bindings.
Result<std::vector<User>> users(archive::Archive& archive);
// Return one person or account; Errc::no_input if unknown.
Result<User> show_user(archive::Archive& archive, const std::string& name);
// Register an ORCID iD (no role yet); Errc::cant_create if known.
Result<void> add_user(archive::Archive& archive, const Identity& by, const std::string& orcid);
// Forget a person: roles, bindings, sessions. Refuses the last administrator.
Result<void> remove_user(archive::Archive& archive, const Identity& by, const std::string& name);
// Bind Unix login `unix_user` to `orcid`; the login's roles move to the iD.
Result<void> bind(archive::Archive& archive, const Identity& by, const std::string& unix_user,
                  const std::string& orcid);
// Remove the binding of `unix_user`; Errc::data if it had none.
Result<void> unbind(archive::Archive& archive, const Identity& by, const std::string& unix_user);

// One privileged command of one tool and the action it needs.
struct Command {
  const char* tool;        // "hemera-snapshot"
  const char* invocation;  // "prune"
  const char* action;      // "snapshot.prune"
};

// Return every privileged command of every tool (also in hemera-user(1)).
const std::vector<Command>& commands();

// Return the permission of `action`, or nullptr.
const Permission* find_permission(std::string_view action);

// Return true if holding `role` lets an actor perform `action` archive-wide.
bool role_allows(std::string_view role, std::string_view action);

// Filters of hemera-user audit; empty fields match everything.
struct AuditFilter {
  std::string actor;
  std::string action;     // exact, or a prefix ending in '*' ("user.*")
  std::string dataset;
  std::string since;      // ISO 8601 UTC, inclusive
  std::string until;      // ISO 8601 UTC, exclusive
  std::optional<bool> allowed;
};

// Call `each` for every audit event matching `filter`, in order; return how
// many matched. Streams the log: memory does not grow with its size.
Result<std::size_t> scan_audit(const std::filesystem::path& log, const AuditFilter& filter,
                               const std::function<void(const nlohmann::json&)>& each);

}  // namespace hemera::auth
