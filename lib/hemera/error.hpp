// SPDX-License-Identifier: Apache-2.0
// Errors as values: every public library function returns Result<T>.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace hemera {

// Error classes; each maps to exactly one exit code (cli::exit_code).
enum class Errc {
  usage,        // 64: bad command line
  data,         // 65: bad input data
  no_input,     // 66: missing input, root not an archive
  unavailable,  // 69: permanent remote failure (DNS, TLS, host key)
  cant_create,  // 73: output exists, cannot create
  io,           // 74: read/write error
  temp_fail,    // 75: transient failure, may be retried
  no_perm,      // 77: the actor lacks the role, or the OS said EACCES
  config,       // 78: bad or untrusted configuration, rejected credentials
  internal,     // 70: a bug
};

// An error with its context: where (file:line), which field, which rule.
struct Error {
  Errc code = Errc::internal;
  std::string message{};
  std::string where{};  // "form.yaml:12" or a path
  std::string field{};  // "temporal_extent.start"
  std::string rule{};   // "H5", "fits.keyword-order"

  // Return the one-line human text: "where: field: message [rule]".
  [[nodiscard]] std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Return an unexpected Error, ready to be returned from a Result function.
inline tl::unexpected<Error> fail(Errc code, std::string message,
                                  std::string where = {},
                                  std::string field = {},
                                  std::string rule = {})
{
  return tl::unexpected<Error>(Error{code, std::move(message), std::move(where),
                                     std::move(field), std::move(rule)});
}

// Return an Error for a failed system call on `path`, classified from errno.
Error errno_error(int err, const std::string& what, const std::string& path);

// Return the short name of an error class ("usage", "io"…), as used in JSON.
const char* errc_name(Errc code) noexcept;

// Prefix the error's location with `where` when it has none.
Error with_where(Error e, const std::string& where);

namespace detail {
template <typename T>
T take(tl::expected<T, Error>&& r)
{
  return std::move(*r);
}
inline void take(tl::expected<void, Error>&& /*r*/) {}
}  // namespace detail

}  // namespace hemera

// Evaluate a Result expression; return its error from the enclosing function,
// otherwise yield its value.
#define HEMERA_TRY(...)                                              \
  __extension__({                                                               \
    auto hemera_try_result_ = (__VA_ARGS__);                         \
    if (!hemera_try_result_) {                                       \
      return tl::unexpected<::hemera::Error>(                        \
        std::move(hemera_try_result_).error());                      \
    }                                                                \
    ::hemera::detail::take(std::move(hemera_try_result_));           \
  })
