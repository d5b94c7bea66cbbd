// SPDX-License-Identifier: Apache-2.0
#include <hemera/log.hpp>

#include <cstdio>

namespace hemera::log {

namespace {
std::string g_program = "hemera";
Level g_level = Level::normal;
}  // namespace

void setup(std::string program, Level lvl)
{
  g_program = std::move(program);
  g_level = lvl;
}

Level level() noexcept
{
  return g_level;
}

void write(std::string_view prefix, std::string_view text)
{
  std::string line = fmt::format("{}: {}: {}\n", g_program, prefix, text);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace hemera::log
