// SPDX-License-Identifier: Apache-2.0
// kustomize's target-selector regular expressions: Go regexps (RE2 syntax and semantics, linear time,
// no backtracking), anchored as kustomize's types.SelectorRegex anchors them, `^(?:pattern)$`. Used for
// the group, version, kind, name and namespace of patch targets, and by the controller-flag reader.
// Internal to src/load/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fluxsim::load {

/// Why `pattern` is not a valid Go regexp (RE2's message), or nullopt when it compiles.
std::optional<std::string> regexp_error(const std::string& pattern);

/// Whether `value` matches `^(?:pattern)$` as Go's regexp.MatchString decides it; an empty pattern
/// matches everything (kustomize leaves empty selector fields out). Throws std::runtime_error naming
/// the pattern when it does not compile.
bool regexp_matches(const std::string& pattern, std::string_view value);

}  // namespace fluxsim::load
