// SPDX-License-Identifier: Apache-2.0
#include <hemera/replicate/rate.hpp>

#include <algorithm>
#include <thread>

namespace hemera::replicate {

RateLimiter::RateLimiter(std::uint64_t bytes_per_second)
  : m_rate(std::max<std::uint64_t>(1, bytes_per_second)),
    m_chunk(static_cast<std::size_t>(std::clamp<std::uint64_t>(m_rate / 10, 1024, 64 * 1024))),
    m_burst(static_cast<double>(m_chunk)),
    m_last(Clock::now())
{
}

std::size_t RateLimiter::acquire(std::size_t want)
{
  std::size_t take = std::max<std::size_t>(1, std::min(want, m_chunk));
  double wait = 0;
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    auto now = Clock::now();
    double elapsed = std::chrono::duration<double>(now - m_last).count();
    m_last = now;
    m_tokens = std::min(m_burst, m_tokens + elapsed * static_cast<double>(m_rate));
    m_tokens -= static_cast<double>(take);
    if (m_tokens < 0) {
      wait = -m_tokens / static_cast<double>(m_rate);
    }
  }
  if (wait > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
  return take;
}

}  // namespace hemera::replicate
