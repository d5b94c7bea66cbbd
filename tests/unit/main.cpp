// SPDX-License-Identifier: Apache-2.0
// doctest runner: each run works in a fresh temporary directory.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

int main(int argc, char** argv)
{
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("hemera-unit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::current_path(dir);
  ::unsetenv("HEMERA_CONFIG");
  ::unsetenv("HEMERA_ROOT");
  doctest::Context context(argc, argv);
  int rc = context.run();
  fs::current_path(fs::temp_directory_path());
  if (rc == 0) {
    fs::remove_all(dir);
  }
  return rc;
}
