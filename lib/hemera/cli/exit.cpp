// SPDX-License-Identifier: Apache-2.0
#include <hemera/cli/tool.hpp>

#include <sysexits.h>

namespace hemera::cli {

int exit_code(Errc code) noexcept
{
  switch (code) {
  case Errc::usage: return EX_USAGE;              // 64
  case Errc::data: return EX_DATAERR;             // 65
  case Errc::no_input: return EX_NOINPUT;         // 66
  case Errc::unavailable: return EX_UNAVAILABLE;  // 69
  case Errc::cant_create: return EX_CANTCREAT;    // 73
  case Errc::io: return EX_IOERR;                 // 74
  case Errc::temp_fail: return EX_TEMPFAIL;       // 75
  case Errc::no_perm: return EX_NOPERM;           // 77
  case Errc::config: return EX_CONFIG;            // 78
  case Errc::internal: return EX_SOFTWARE;        // 70
  }
  return EX_SOFTWARE;
}

}  // namespace hemera::cli
