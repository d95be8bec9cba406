// SPDX-License-Identifier: Apache-2.0
// Problems found in input, as values with a location. Loaders, the scenario parser and graph checks
// collect them into a Diagnostics list instead of stopping at the first, so a user sees every broken
// reference in one run. Nothing here throws across a public API.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fluxsim {

enum class Severity { Error, Warning, Note };

/// Where something was written. Paths are as the user gave them or relative to the repository root;
/// line and column are 1-based, 0 when unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// "file:line:col", "file:line" or "file", whichever parts are known; empty when nothing is.
std::string to_string(const SourceLocation& where);

/// One finding.
struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLocation where;
  std::string object;   ///< the object concerned ("Kustomization/flux-system/apps"), may be empty
  std::string message;  ///< one line, no trailing period
  std::string hint;     ///< optional suggestion for the fix
};

/// "file:line:col: error: message (object) (hint: ...)": the one format every command prints.
std::string to_string(const Diagnostic& d);

/// An ordered list of findings; order is the order they were found, which is deterministic.
class Diagnostics {
 public:
  Diagnostic& add(Diagnostic d);
  Diagnostic& error(SourceLocation where, std::string message, std::string hint = {});
  Diagnostic& warning(SourceLocation where, std::string message, std::string hint = {});
  Diagnostic& note(SourceLocation where, std::string message, std::string hint = {});
  void append(const Diagnostics& other);

  bool has_errors() const;
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  /// The first error, or nullptr when there is none.
  const Diagnostic* first_error() const;

 private:
  std::vector<Diagnostic> items_;
};

/// Levenshtein distance between two strings: how "did you mean 'concurrent'?" hints pick a suggestion.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Thrown only for broken invariants inside fluxsim ("this is a bug in fluxsim"); the CLI maps it to
/// exit code 3. Input problems are Diagnostics, never this.
[[noreturn]] void fatal_bug(const std::string& what);

}  // namespace fluxsim
