// SPDX-License-Identifier: Apache-2.0
// Reads of a JSON object's member that never throw, for documents from
// outside (records, forms, audit lines, provider replies): nlohmann's
// value(key, default) throws when the member is there with another type.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace hemera::util {

// Return member `key` of `j` as a T (std::string, bool or an integer type),
// or `fallback` when `j` is not an object, or the member is missing or of
// another type.
template <class T>
T member_or(const nlohmann::json& j, const char* key, T fallback)
{
  if (!j.is_object()) {
    return fallback;
  }
  auto it = j.find(key);
  if (it == j.end()) {
    return fallback;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->template get<std::string>() : fallback;
  } else if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->template get<bool>() : fallback;
  } else {
    static_assert(std::is_integral_v<T>, "member_or reads strings, booleans and integers");
    return it->is_number_integer() ? it->template get<T>() : fallback;
  }
}

}  // namespace hemera::util
