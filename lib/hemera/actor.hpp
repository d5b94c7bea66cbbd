// SPDX-License-Identifier: Apache-2.0
// Who is running the tool: the Unix user, or the one behind sudo.
#pragma once

#include <string>
#include <sys/types.h>

namespace hemera {

// The person or account on whose behalf a tool runs.
struct Actor {
  std::string name;         // Unix login name ("jdoe"); later bound to an ORCID
  uid_t uid = 0;            // that user's uid
  bool via_sudo = false;    // SUDO_UID was set and we run as root
  bool service = false;     // running as the archive's service account
  // True for privileged runs (sudo or service account): config from /etc only.
  [[nodiscard]] bool privileged() const { return via_sudo || service; }
};

// Return the current actor: SUDO_UID's user when euid is 0 and SUDO_UID is set,
// else the real user. `service_account` is the service account's name.
Actor current_actor(const std::string& service_account = "hemera");

}  // namespace hemera
