// SPDX-License-Identifier: Apache-2.0
// Flux post-build variable substitution (fluxcd/pkg/envsubst, the drone/envsubst fork): `${VAR}`,
// `${VAR:=default}`, `${VAR:-default}`, `${VAR=default}`, the bash string functions, and `$$` as an
// escaped `$` (so `$${VAR}` stays literally `${VAR}`). Applied to every key and scalar of an object,
// which equals Flux's substitution of the object's YAML text for every value that is not itself
// YAML structure. Internal to src/load/.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "load/document.h"

namespace fluxsim::load {

/// Looks a variable up: its value, or nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(const std::string&)>;

struct SubstituteOutcome {
  std::string text;
  std::optional<std::string> missing;  ///< strict mode: the first variable with no value and no default
  std::optional<std::string> error;    ///< a malformed `${...}` ("bad substitution", ...)
};

/// Expands `text` (to kMaxObjectGrowth bytes more at most; more is an error). In strict mode an unset variable without a default is reported in `missing`;
/// otherwise it expands to "". With `unresolved`, such a variable is kept as written ("${NAME}")
/// and recorded there instead (its value exists but is unknown offline); defaults still apply.
SubstituteOutcome envsubst(std::string_view text, const VarLookup& lookup, bool strict,
                           std::set<std::string>* unresolved = nullptr);

/// Expands every key and scalar of `node` in place; stops at the first missing variable or error.
/// The object may grow by kMaxObjectGrowth bytes at most (load/limits.h), and by `*budget` when
/// given, which is decreased by what it grew: more is an error.
SubstituteOutcome substitute_tree(Node& node, const VarLookup& lookup, bool strict,
                                  std::set<std::string>* unresolved = nullptr, std::size_t* budget = nullptr);

/// Flux's variable-name rule: ^[_[:alpha:]][_[:alpha:][:digit:]]*$
bool valid_var_name(std::string_view name);

}  // namespace fluxsim::load
