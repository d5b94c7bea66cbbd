// SPDX-License-Identifier: Apache-2.0
// A progress bar on stderr, drawn only on a terminal, so cron output stays clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hemera::cli {

class Progress {
 public:
  // Show progress towards `total` units (bytes, files) labelled `what`;
  // `enabled` is false for --quiet and --json runs.
  Progress(std::string what, std::uint64_t total, bool enabled);
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  // Erase the bar.
  ~Progress();

  // Add `n` units done; redraw at most ten times a second.
  void advance(std::uint64_t n);

  // Return true if a bar would be drawn: stderr is a terminal, TERM is not
  // "dumb", and the bar is enabled.
  [[nodiscard]] bool active() const { return m_active; }

 private:
  void draw();

  std::string m_what;
  std::uint64_t m_total;
  std::uint64_t m_done = 0;
  bool m_active;
  std::chrono::steady_clock::time_point m_last{};
};

}  // namespace hemera::cli
