// SPDX-License-Identifier: Apache-2.0
// An owned POSIX file descriptor, closed when it goes out of scope.
#pragma once

#include <unistd.h>

#include <utility>

namespace hemera::util {

// Own a file descriptor (-1 for none) and close it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  // Take ownership of `fd` (which may be -1, e.g. a failed open).
  explicit UniqueFd(int fd) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept
  {
    if (this != &other) {
      reset(std::exchange(other.m_fd, -1));
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  // Return the descriptor, still owned.
  [[nodiscard]] int get() const { return m_fd; }
  // Return true when a descriptor is held.
  [[nodiscard]] bool valid() const { return m_fd >= 0; }
  // Give up ownership and return the descriptor.
  int release() { return std::exchange(m_fd, -1); }
  // Close the held descriptor, if any, and own `fd` instead.
  void reset(int fd = -1)
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

 private:
  int m_fd = -1;
};

}  // namespace hemera::util
