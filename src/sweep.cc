// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/sweep.h"

#include <cstdlib>

#include <fmt/format.h>

#include "fluxsim/distribution.h"

namespace fluxsim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  std::string text(s);
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

}  // namespace

SweepParse parse_sweep(std::string_view text) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return {std::nullopt, fmt::format("--sweep {}: expected PATH=V1,V2,..., e.g. --sweep controllers.kustomize.concurrent=1,2,4,8",
                                      text)};
  Sweep sweep;
  sweep.path = std::string(trim(text.substr(0, eq)));
  std::string_view rest = text.substr(eq + 1);
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= rest.size(); ++i) {
    const char c = i < rest.size() ? rest[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c != ',' || depth > 0) continue;
    std::string_view value = trim(rest.substr(start, i - start));
    if (value.empty())
      return {std::nullopt, fmt::format("--sweep {}: empty value in the list (values are separated by commas)", text)};
    if (!is_number(value) && !parse_distribution(value).error.empty())
      return {std::nullopt,
              fmt::format("--sweep {}: '{}' is neither a number nor a duration (a sweep is over a numeric or duration field)",
                          text, value)};
    sweep.values.emplace_back(value);
    start = i + 1;
  }
  if (depth != 0) return {std::nullopt, fmt::format("--sweep {}: unbalanced parentheses", text)};
  return {std::move(sweep), {}};
}

SweepScenarios sweep_scenarios(const Sweep& sweep, const std::vector<ScenarioOverride>& base, const ScenarioReader& read) {
  SweepScenarios out;
  std::vector<Scenario> scenarios;
  for (const std::string& value : sweep.values) {
    std::vector<ScenarioOverride> overrides = base;
    overrides.push_back({sweep.path, value});
    ScenarioLoad load = read(overrides);
    // The parser locates findings about an override at "--set PATH"; say which sweep value it was.
    const std::string set_at = fmt::format("--set {}", sweep.path);
    for (Diagnostic d : load.diagnostics) {
      if (d.where.file == set_at) d.where.file = fmt::format("--sweep {}={}", sweep.path, value);
      out.diagnostics.add(std::move(d));
    }
    scenarios.push_back(std::move(load.scenario));
  }
  if (!out.diagnostics.has_errors()) out.scenarios = std::move(scenarios);
  return out;
}

bool sweep_missed_expectations(const std::vector<SweepRow>& rows) {
  for (const SweepRow& row : rows)
    for (const ExpectationStats& e : row.result.expectations)
      if (!e.met()) return true;
  return false;
}

}  // namespace fluxsim
