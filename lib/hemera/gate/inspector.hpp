// SPDX-License-Identifier: Apache-2.0
// The format inspector of archive::ingest, shared by hemera-ingest (strict
// profile) and hemera-recover (legacy profile): the validators and the header
// summaries that fill a record.
#pragma once

#include <hemera/archive/ingest.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::gate {

// Return the inspector that validates NASA Ames and FITS files under
// `profile` and summarises their headers for the record.
archive::Inspector format_inspector(const validate::Profile& profile);

}  // namespace hemera::gate
