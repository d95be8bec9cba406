// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/diagnostics.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace fluxsim {

std::string to_string(const SourceLocation& where) {
  if (where.file.empty()) return {};
  if (where.line <= 0) return where.file;
  if (where.column <= 0) return fmt::format("{}:{}", where.file, where.line);
  return fmt::format("{}:{}:{}", where.file, where.line, where.column);
}

std::string to_string(const Diagnostic& d) {
  std::string out = to_string(d.where);
  if (!out.empty()) out += ": ";
  switch (d.severity) {
    case Severity::Error: out += "error: "; break;
    case Severity::Warning: out += "warning: "; break;
    case Severity::Note: out += "note: "; break;
  }
  out += d.message;
  if (!d.object.empty()) out += fmt::format(" ({})", d.object);
  if (!d.hint.empty()) out += fmt::format(" (hint: {})", d.hint);
  return out;
}

Diagnostic& Diagnostics::add(Diagnostic d) {
  items_.push_back(std::move(d));
  return items_.back();
}

Diagnostic& Diagnostics::error(SourceLocation where, std::string message, std::string hint) {
  return add({Severity::Error, std::move(where), {}, std::move(message), std::move(hint)});
}

Diagnostic& Diagnostics::warning(SourceLocation where, std::string message, std::string hint) {
  return add({Severity::Warning, std::move(where), {}, std::move(message), std::move(hint)});
}

Diagnostic& Diagnostics::note(SourceLocation where, std::string message, std::string hint) {
  return add({Severity::Note, std::move(where), {}, std::move(message), std::move(hint)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const { return first_error() != nullptr; }

const Diagnostic* Diagnostics::first_error() const {
  for (const Diagnostic& d : items_)
    if (d.severity == Severity::Error) return &d;
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

void fatal_bug(const std::string& what) {
  throw std::logic_error("this is a bug in fluxsim: " + what);
}

}  // namespace fluxsim
