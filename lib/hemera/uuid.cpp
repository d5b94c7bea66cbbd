// SPDX-License-Identifier: Apache-2.0
#include <hemera/uuid.hpp>
#include <hemera/util/hex.hpp>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fmt/format.h>

namespace hemera::uuid {

namespace {

using util::hex_value;
constexpr const char* k_hex = util::k_hex_digits;

void set_version(std::uint8_t* u, int version)
{
  u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | (version << 4));
  u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);
}

// Write 36 characters of canonical form at `out`.
void format_into(const std::uint8_t* u, char* out)
{
  int j = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out[j++] = '-';
    }
    out[j++] = k_hex[u[i] >> 4];
    out[j++] = k_hex[u[i] & 0x0F];
  }
}

}  // namespace

Result<Bytes> new_v4()
{
  Bytes u{};
  if (RAND_bytes(u.data(), static_cast<int>(u.size())) != 1) {
    return fail(Errc::internal, "OpenSSL RAND_bytes failed");
  }
  set_version(u.data(), 4);
  return u;
}

Result<void> append_v4_lines(std::string& out, std::size_t count)
{
  constexpr std::size_t k_batch = 4096;
  std::uint8_t random[16 * k_batch];
  std::size_t start = out.size();
  out.resize(start + count * 37);
  char* p = out.data() + start;
  while (count > 0) {
    std::size_t n = count < k_batch ? count : k_batch;
    if (RAND_bytes(random, static_cast<int>(16 * n)) != 1) {
      return fail(Errc::internal, "OpenSSL RAND_bytes failed");
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::uint8_t* u = random + 16 * i;
      set_version(u, 4);
      format_into(u, p);
      p[36] = '\n';
      p += 37;
    }
    count -= n;
  }
  return {};
}

Bytes v5(const Bytes& ns, std::string_view name)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, ns.data(), ns.size());
  EVP_DigestUpdate(ctx, name.data(), name.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  Bytes u{};
  for (std::size_t i = 0; i < u.size(); ++i) {
    u[i] = digest[i];
  }
  set_version(u.data(), 5);
  return u;
}

std::string to_string(const Bytes& u)
{
  std::string out(36, '\0');
  format_into(u.data(), out.data());
  return out;
}

Result<Bytes> parse(std::string_view text)
{
  if (text.size() != 36) {
    return fail(Errc::data, fmt::format("expected 36 characters, found {}", text.size()),
                std::string(text), {}, "uuid.form");
  }
  Bytes u{};
  std::size_t byte = 0;
  for (std::size_t i = 0; i < 36; ++i) {
    bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_pos) {
      if (text[i] != '-') {
        return fail(Errc::data, fmt::format("expected '-' at position {}", i + 1),
                    std::string(text), {}, "uuid.form");
      }
      continue;
    }
    int hi = hex_value(text[i]);
    int lo = (i + 1 < 36) ? hex_value(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      return fail(Errc::data,
                  fmt::format("not a hexadecimal digit at position {}", hi < 0 ? i + 1 : i + 2),
                  std::string(text), {}, "uuid.form");
    }
    u[byte++] = static_cast<std::uint8_t>(hi << 4 | lo);
    ++i;
  }
  return u;
}

Result<Bytes> check_rfc4122(std::string_view text)
{
  auto u = HEMERA_TRY(parse(text));
  if ((u[8] & 0xC0) != 0x80) {
    return fail(Errc::data, "variant is not RFC 4122 (10xx in the 17th digit)", std::string(text),
                {}, "uuid.variant");
  }
  int version = u[6] >> 4;
  if (version < 1 || version > 5) {
    return fail(Errc::data, fmt::format("version {} is not an RFC 4122 version (1-5)", version),
                std::string(text), {}, "uuid.version");
  }
  return u;
}

Result<Bytes> namespace_from(std::string_view name_or_uuid)
{
  if (name_or_uuid == "dns") {
    return parse(k_namespace_dns);
  }
  if (name_or_uuid == "url") {
    return parse(k_namespace_url);
  }
  if (name_or_uuid == "oid") {
    return parse(k_namespace_oid);
  }
  if (name_or_uuid == "x500") {
    return parse(k_namespace_x500);
  }
  auto u = parse(name_or_uuid);
  if (!u) {
    Error e = u.error();
    e.code = Errc::usage;
    e.field = "--namespace";
    return tl::unexpected(e);
  }
  return u;
}

}  // namespace hemera::uuid
