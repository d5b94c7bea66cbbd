// SPDX-License-Identifier: Apache-2.0
// Constructors of the network targets, used by the scheme table only.
#pragma once

#include <memory>
#include <string>

#include <hemera/replicate/target.hpp>

namespace hemera::replicate {

// Return an FTP, FTPS or SFTP target for `config.url`; `rest` is the URL after "://".
Result<std::unique_ptr<Target>> make_curl_target(const TargetConfig& config, const std::string& rest);
// Return an S3 target for `config.url` ("s3://bucket/prefix"); `rest` is "bucket/prefix".
Result<std::unique_ptr<Target>> make_s3_target(const TargetConfig& config, const std::string& rest);

}  // namespace hemera::replicate
