// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace hemera {

// Return the toolkit's version ("0.1.0").
const char* version() noexcept;

}  // namespace hemera
