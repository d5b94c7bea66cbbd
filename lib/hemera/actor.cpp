// SPDX-License-Identifier: Apache-2.0
#include <hemera/actor.hpp>

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

namespace hemera {

namespace {

std::string user_name(uid_t uid)
{
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &result) == 0 && result != nullptr) {
    return pw.pw_name;
  }
  return fmt::format("uid:{}", uid);
}

bool is_service_uid(const std::string& service_account, uid_t euid)
{
  if (service_account.empty() || euid == 0) {
    return false;
  }
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buf[4096];
  return ::getpwnam_r(service_account.c_str(), &pw, buf, sizeof buf, &result) == 0 && result != nullptr &&
         pw.pw_uid == euid;
}

}  // namespace

Actor current_actor(const std::string& service_account)
{
  Actor a;
  uid_t euid = ::geteuid();
  const char* sudo_uid = std::getenv("SUDO_UID");
  // Through sudo to root or to the service account, the person behind sudo acts.
  if ((euid == 0 || is_service_uid(service_account, euid)) && sudo_uid != nullptr && *sudo_uid != '\0') {
    char* end = nullptr;
    unsigned long v = std::strtoul(sudo_uid, &end, 10);
    if (*end == '\0') {
      a.uid = static_cast<uid_t>(v);
      a.name = user_name(a.uid);
      a.via_sudo = true;
      return a;
    }
  }
  a.uid = ::getuid();
  a.name = user_name(a.uid);
  a.service = is_service_uid(service_account, euid);
  return a;
}

}  // namespace hemera
