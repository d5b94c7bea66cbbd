// SPDX-License-Identifier: Apache-2.0
// Hexadecimal digits: one table for encoding, one for decoding.
#pragma once

#include <array>
#include <cstddef>

namespace hemera::util {

// Lower-case hexadecimal digits, indexed by value.
inline constexpr char k_hex_digits[] = "0123456789abcdef";

namespace detail {
inline constexpr std::array<signed char, 256> k_hex_values = [] {
  std::array<signed char, 256> t{};
  for (auto& v : t) {
    v = -1;
  }
  for (int c = 0; c < 10; ++c) {
    t[static_cast<std::size_t>('0' + c)] = static_cast<signed char>(c);
  }
  for (int c = 0; c < 6; ++c) {
    t[static_cast<std::size_t>('a' + c)] = static_cast<signed char>(10 + c);
    t[static_cast<std::size_t>('A' + c)] = static_cast<signed char>(10 + c);
  }
  return t;
}();
}  // namespace detail

// Return the value of hexadecimal digit `c` (either case), or -1.
inline int hex_value(char c) noexcept
{
  return detail::k_hex_values[static_cast<unsigned char>(c)];
}

}  // namespace hemera::util
