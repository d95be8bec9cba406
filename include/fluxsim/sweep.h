// SPDX-License-Identifier: Apache-2.0
// What-if sweeps: one scenario field set to each of several values (`--sweep
// controllers.kustomize.concurrent=1,2,4,8`), each value a Monte Carlo run of its own, reported as one
// row per value — the capacity-planning table. Values go through the scenario parser's `--set`
// override path, so they are validated exactly like fields written in a file.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/monte_carlo.h"
#include "fluxsim/scenario.h"

namespace fluxsim {

/// `PATH=V1,V2,...`: a field path as `--set` takes it and the values to try, in the order given.
struct Sweep {
  std::string path;
  std::vector<std::string> values;
};

struct SweepParse {
  std::optional<Sweep> sweep;
  std::string error;  ///< empty on success
};

/// Parses `--sweep` text. Values are split on commas outside parentheses, so a distribution such as
/// `uniform(1s, 2s)` is one value. Each value must be a number, a duration or a distribution: a sweep is
/// over a numeric or duration field.
SweepParse parse_sweep(std::string_view text);

/// Reads the scenario with the given `--set` overrides applied (the CLI reads the file or repository).
using ScenarioReader = std::function<ScenarioLoad(const std::vector<ScenarioOverride>&)>;

struct SweepScenarios {
  std::vector<Scenario> scenarios;  ///< one per value, in order; empty when there are errors
  Diagnostics diagnostics;          ///< every problem with every value, located at "--sweep PATH=VALUE"
};

/// One scenario per value: `read(base + {path, value})`.
SweepScenarios sweep_scenarios(const Sweep& sweep, const std::vector<ScenarioOverride>& base, const ScenarioReader& read);

/// One value of the sweep and its Monte Carlo result (run with MonteCarloOptions::record on, for the
/// queue waits).
struct SweepRow {
  std::string value;
  MonteCarloResult result;
};

struct SweepReport {
  const Scenario& scenario;  ///< the scenario of the first value (name, seed)
  const Sweep& sweep;
  const std::vector<SweepRow>& rows;
};

/// VALUE, time to full readiness p50 and p90, readyProbability, kustomize-controller utilisation (mean)
/// and time with every worker busy (p50), the longest wait of a due pass for a worker (p50 over runs),
/// and whether the scenario's expectations held in every run.
void write_sweep_table(const SweepReport& report, std::ostream& out);
/// The same as JSON: {"sweep": PATH, "rows": [{"value", "timeToReadyMs": {...}, "readyProbability", "workers": [...]}]}.
void write_sweep_json(const SweepReport& report, std::ostream& out);

/// True when some value missed an expectation in some run.
bool sweep_missed_expectations(const std::vector<SweepRow>& rows);

}  // namespace fluxsim
