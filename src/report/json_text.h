// SPDX-License-Identifier: Apache-2.0
// The one place every JSON report becomes text. Names and messages come from repositories, and a
// repository may hold bytes that are not UTF-8: each such byte is written as U+FFFD (the replacement
// character) instead of failing the report, so invalid UTF-8 never reaches the output as raw bytes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace fluxsim {

/// `doc` as JSON text: indented by `indent` spaces (-1: one line), invalid UTF-8 replaced by U+FFFD.
template <class Json>
std::string json_text(const Json& doc, int indent = 2) {
  return doc.dump(indent, ' ', false, Json::error_handler_t::replace);
}

}  // namespace fluxsim
