// SPDX-License-Identifier: Apache-2.0
// One bandwidth limit shared by every connection of a replication run
// (hemera-replicate --bwlimit): a token bucket the upload readers draw from.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace hemera::replicate {

// A token bucket of `bytes_per_second`, safe to share between threads. Each
// reader reserves a small chunk and sleeps until the bucket has paid for it,
// so the bytes released by time t never exceed rate * t plus one burst.
class RateLimiter {
 public:
  // Start with an empty bucket filling at `bytes_per_second` (at least 1).
  explicit RateLimiter(std::uint64_t bytes_per_second);

  // Wait until up to `want` bytes may be sent; return how many (at least 1,
  // at most one chunk: a tenth of a second's worth, 1 KiB to 64 KiB).
  std::size_t acquire(std::size_t want);

  // Return the rate in bytes per second.
  [[nodiscard]] std::uint64_t rate() const { return m_rate; }

 private:
  using Clock = std::chrono::steady_clock;
  std::uint64_t m_rate;
  std::size_t m_chunk;
  double m_burst;         // the most tokens the bucket holds
  double m_tokens = 0;    // negative: reserved ahead of the refill
  Clock::time_point m_last;
  std::mutex m_mutex;
};

}  // namespace hemera::replicate
