// SPDX-License-Identifier: Apache-2.0
#include <hemera/fits/checksum.hpp>

#include <cstring>
#include <string>

namespace hemera::fits {

std::uint32_t fold_sum(std::uint64_t acc) noexcept
{
  while ((acc >> 32) != 0) {
    acc = (acc & 0xFFFFFFFFU) + (acc >> 32);
  }
  return static_cast<std::uint32_t>(acc);
}

std::uint64_t add_words(const unsigned char* data, std::size_t n, std::uint64_t acc) noexcept
{
  acc = fold_sum(acc);
  // Two independent accumulators let the compiler keep the adds in flight.
  std::uint64_t a = acc;
  std::uint64_t b = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint32_t w1;
    std::uint32_t w2;
    std::memcpy(&w1, data + i, 4);
    std::memcpy(&w2, data + i + 4, 4);
    a += __builtin_bswap32(w1);
    b += __builtin_bswap32(w2);
  }
  for (; i + 4 <= n; i += 4) {
    std::uint32_t w;
    std::memcpy(&w, data + i, 4);
    a += __builtin_bswap32(w);
  }
  return std::uint64_t{fold_sum(a)} + fold_sum(b);
}

std::uint32_t add_sums(std::uint32_t a, std::uint32_t b) noexcept
{
  return fold_sum(std::uint64_t{a} + b);
}

bool checksum_syntax_ok(std::string_view value) noexcept
{
  if (value.size() != 16) {
    return false;
  }
  for (char c : value) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::optional<std::uint32_t> parse_datasum(std::string_view value) noexcept
{
  while (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  while (!value.empty() && value.back() == ' ') {
    value.remove_suffix(1);
  }
  if (value.empty() || value.size() > 10) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > 0xFFFFFFFFU) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

}  // namespace hemera::fits
