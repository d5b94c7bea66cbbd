// SPDX-License-Identifier: Apache-2.0
// Placeholder until the NASA Ames validator lands: refuses to judge.
#include <hemera/nasa_ames/validate.hpp>

namespace hemera::nasa_ames {

Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& /*profile*/)
{
  return fail(Errc::internal, "NASA Ames validation is not built yet", path.string());
}

Result<validate::FileReport> validate_volumes(const std::vector<std::filesystem::path>& paths,
                                              const validate::Profile& /*profile*/)
{
  return fail(Errc::internal, "NASA Ames validation is not built yet",
              paths.empty() ? std::string() : paths.front().string());
}

}  // namespace hemera::nasa_ames
