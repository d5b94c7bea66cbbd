// SPDX-License-Identifier: Apache-2.0
// RFC 4122 UUIDs: version 4 (random) and version 5 (SHA-1 name-based).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <hemera/error.hpp>

namespace hemera::uuid {

using Bytes = std::array<std::uint8_t, 16>;

// The RFC 4122 Appendix C namespaces.
inline constexpr std::string_view k_namespace_dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
inline constexpr std::string_view k_namespace_url = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
inline constexpr std::string_view k_namespace_oid = "6ba7b812-9dad-11d1-80b4-00c04fd430c8";
inline constexpr std::string_view k_namespace_x500 = "6ba7b814-9dad-11d1-80b4-00c04fd430c8";

// Return a new version 4 UUID from OpenSSL's CSPRNG.
Result<Bytes> new_v4();

// Fill `out` with `count` version 4 UUIDs in canonical form, one per line.
Result<void> append_v4_lines(std::string& out, std::size_t count);

// Return the version 5 UUID of `ns` and `name` (SHA-1, RFC 4122 §4.3).
Bytes v5(const Bytes& ns, std::string_view name);

// Return the canonical lower-case form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
std::string to_string(const Bytes& u);

// Parse the canonical form (either case); fail naming what is wrong.
Result<Bytes> parse(std::string_view text);

// Check that `text` is an RFC 4122 UUID: canonical form, variant 10x, version
// 1-5. Return the error describing the first defect.
Result<Bytes> check_rfc4122(std::string_view text);

// Return the namespace for a name ("dns", "url", "oid", "x500") or a UUID text.
Result<Bytes> namespace_from(std::string_view name_or_uuid);

}  // namespace hemera::uuid
