// SPDX-License-Identifier: Apache-2.0
// Diagnostics on stderr, by level; the level is checked before formatting.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace hemera::log {

enum class Level { quiet = 0, normal = 1, verbose = 2, debug = 3 };

// Set the program name printed before each line and the level in force.
void setup(std::string program, Level level);
// Return the level in force.
Level level() noexcept;
// Write one line "program: prefix: text" to stderr.
void write(std::string_view prefix, std::string_view text);

// Log a warning (shown unless quiet).
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args)
{
  if (level() >= Level::normal) {
    write("warning", fmt::format(f, std::forward<Args>(args)...));
  }
}

// Log progress information (shown with -v).
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args)
{
  if (level() >= Level::verbose) {
    write("info", fmt::format(f, std::forward<Args>(args)...));
  }
}

// Log details for debugging (shown with -vv).
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args)
{
  if (level() >= Level::debug) {
    write("debug", fmt::format(f, std::forward<Args>(args)...));
  }
}

}  // namespace hemera::log
