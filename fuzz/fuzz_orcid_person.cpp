// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the reader of ORCID's public person documents
// (orcid::parse_person). Any bytes must give an error or a person whose
// fields are printable, bounded and whose addresses look like addresses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <hemera/people/person.hpp>

using namespace hemera;

namespace {

void check_printable(const std::string& s, std::size_t max)
{
  if (s.size() > max) {
    std::abort();
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      std::abort();
    }
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      std::abort();  // a C1 control
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = orcid::parse_person(text, "0000-0002-1825-0097");
  if (!p) {
    return 0;
  }
  check_printable(p->given_names, orcid::k_max_name);
  check_printable(p->family_name, orcid::k_max_name);
  check_printable(p->credit_name, orcid::k_max_name);
  check_printable(p->display_name(), 2 * orcid::k_max_name + 1);
  if (p->emails.size() > orcid::k_max_emails) {
    std::abort();
  }
  for (const auto& e : p->emails) {
    check_printable(e, orcid::k_max_email);
    if (e.find('@') == std::string::npos || e.find(' ') != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
