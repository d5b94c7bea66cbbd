// SPDX-License-Identifier: Apache-2.0
// A compiled PCRE2 pattern with named groups, for the rules of hemera-recover.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <hemera/error.hpp>

namespace hemera::recover {

// One compiled pattern (bytes, not UTF-8: legacy names may be Latin-1).
class Regex {
 public:
  // Compile `pattern`; Errc::data naming the offset of a syntax error.
  static Result<Regex> compile(const std::string& pattern);

  // Return the named groups of the first match in `subject` (unset groups
  // are left out), or nullopt when it does not match.
  [[nodiscard]] std::optional<std::map<std::string, std::string>> match(std::string_view subject) const;

 private:
  struct Code;
  std::shared_ptr<Code> m_code;
};

}  // namespace hemera::recover
