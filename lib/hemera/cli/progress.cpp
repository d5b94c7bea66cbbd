// SPDX-License-Identifier: Apache-2.0
#include <hemera/cli/progress.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

namespace hemera::cli {

namespace {

bool smart_terminal()
{
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) == 1 && term != nullptr && std::strcmp(term, "dumb") != 0;
}

}  // namespace

Progress::Progress(std::string what, std::uint64_t total, bool enabled)
  : m_what(std::move(what)), m_total(total), m_active(enabled && smart_terminal())
{
}

Progress::~Progress()
{
  if (m_active) {
    std::fputs("\r\033[K", stderr);
  }
}

void Progress::advance(std::uint64_t n)
{
  m_done += n;
  if (!m_active) {
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (now - m_last >= std::chrono::milliseconds(100) || m_done >= m_total) {
    m_last = now;
    draw();
  }
}

void Progress::draw()
{
  constexpr int k_width = 30;
  double frac = m_total == 0 ? 1.0 : static_cast<double>(m_done) / static_cast<double>(m_total);
  frac = frac > 1.0 ? 1.0 : frac;
  int filled = static_cast<int>(frac * k_width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(k_width, '.');
  std::string line = fmt::format("\r{} [{}] {:3.0f}%\033[K", m_what, bar, frac * 100.0);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace hemera::cli
