// SPDX-License-Identifier: Apache-2.0
// The FITS checksum (FITS 4.0 Appendix J): a 32-bit ones'-complement sum of
// the big-endian words of whole 2880-byte blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hemera::fits {

// Add the big-endian 32-bit words of `data` to the accumulator `acc`
// (`n` a multiple of 4 and at most 4 GiB); the result is unfolded.
std::uint64_t add_words(const unsigned char* data, std::size_t n, std::uint64_t acc) noexcept;

// Fold an accumulator into a 32-bit ones'-complement sum.
std::uint32_t fold_sum(std::uint64_t acc) noexcept;

// Return the ones'-complement sum of two sums.
std::uint32_t add_sums(std::uint32_t a, std::uint32_t b) noexcept;

// Return true if `value` has the form of a CHECKSUM value: 16 characters of
// the encoding's alphabet (0-9, A-Z, a-z less the punctuation between them).
bool checksum_syntax_ok(std::string_view value) noexcept;

// Parse a DATASUM value (decimal digits, at most 2^32-1); nullopt if malformed.
std::optional<std::uint32_t> parse_datasum(std::string_view value) noexcept;

}  // namespace hemera::fits
