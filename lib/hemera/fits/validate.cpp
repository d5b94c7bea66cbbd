// SPDX-License-Identifier: Apache-2.0
// Placeholder until the FITS validator lands: refuses to judge.
#include <hemera/fits/validate.hpp>

namespace hemera::fits {

Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& /*profile*/)
{
  return fail(Errc::internal, "FITS validation is not built yet", path.string());
}

}  // namespace hemera::fits
