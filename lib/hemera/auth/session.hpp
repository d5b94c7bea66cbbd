// SPDX-License-Identifier: Apache-2.0
// Sign-in sessions: a one-time code (issued by hemera-csw after an ORCID
// sign-in) exchanged by hemera-login for a session. A session is a random
// token; hemera.db keeps only its SHA-256 with the ORCID iD, the Unix uid and
// the expiry. The token sits in the person's owner-only session file; the
// ORCID iD always comes from the database row, never from the file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <hemera/actor.hpp>
#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::session {

namespace fs = std::filesystem;

// How long a one-time code stays valid.
inline constexpr std::chrono::seconds k_code_lifetime{300};
// The default session lifetime (configuration key orcid.session_lifetime).
inline constexpr std::chrono::seconds k_default_lifetime{8 * 3600};

// A session as the database knows it.
struct Session {
  std::string orcid;
  std::int64_t uid = 0;
  std::int64_t created_at = 0;  // Unix seconds
  std::int64_t expires_at = 0;
};

// Issue a one-time code for `orcid` (already verified by the sign-in) and
// return it as the person types it: "XXXX-XXXX-XXXX-XXXX" (80 random bits).
Result<std::string> issue_code(db::Database& database, const std::string& orcid);

// Exchange a one-time code (spent even if the exchange then fails) for a new
// session of Unix user `uid`; return the session and its token.
Result<std::pair<Session, std::string>> exchange_code(db::Database& database, std::string_view code,
                                                      std::int64_t uid, std::chrono::seconds lifetime);

// Return the session file of `actor`: $XDG_CONFIG_HOME or ~/.config of the
// person (their passwd home under sudo), then hemera/session.
fs::path session_file(const Actor& actor);

// Write the session file (mode 0600, owned by `actor`'s uid, never through a
// symbolic link), creating its directory (0700) when needed.
Result<void> write_file(const Actor& actor, const fs::path& path, const Session& s, const std::string& token);

// Return the valid session named by `actor`'s session file, or nullopt when
// there is no file or the session expired. Errc::no_perm when the file is not
// the actor's own owner-only file, names an unknown session, another uid, or
// an ORCID iD other than the database row's (an edited file).
Result<std::optional<Session>> current(db::Database& database, const Actor& actor);

// Delete the actor's session (row and file); return false if there was none.
Result<bool> logout(db::Database& database, const Actor& actor);

// Delete expired sessions and codes; return how many rows went.
Result<std::int64_t> purge_expired(db::Database& database);

}  // namespace hemera::session
