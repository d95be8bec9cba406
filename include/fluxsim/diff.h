// SPDX-License-Identifier: Apache-2.0
// Comparing two rollouts (`fluxsim diff BASE HEAD`): the base and head of a pull request, each a
// Monte Carlo result of its own World and Scenario. Reports time to readiness, Kustomizations added
// and removed, order changes, new failures, each critical path and worker load, and decides whether
// HEAD fails the check (an expectation missed, or slower than --max-slowdown).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/model.h"
#include "fluxsim/monte_carlo.h"
#include "fluxsim/scenario.h"

namespace fluxsim {

/// --max-slowdown: how much slower HEAD may be than BASE, as a duration ("2m") or a percentage ("20%").
struct Slowdown {
  std::optional<Duration> absolute;  ///< set for a duration
  double percent = 0;                ///< used when `absolute` is unset
  std::string text;                  ///< as given
};

struct SlowdownParse {
  std::optional<Slowdown> value;
  std::string error;
};
SlowdownParse parse_slowdown(std::string_view text);

/// One side of the comparison. The references must outlive the DiffResult computation only.
struct DiffSide {
  const Scenario& scenario;
  const World& world;
  const MonteCarloResult& result;
};

/// A Kustomization whose place in the ready order changed (among those Ready in both).
struct OrderChange {
  std::string name;
  std::size_t base_position = 0;  ///< 1-based, among the Kustomizations Ready in both
  std::size_t head_position = 0;
  double base_ready_ms = 0;       ///< median ready time
  double head_ready_ms = 0;
};

/// A Kustomization Ready in every BASE run (or new in HEAD) that is not Ready in every HEAD run.
struct NewFailure {
  std::string name;
  bool added = false;               ///< not in BASE at all
  double base_ready_probability = 0;
  double head_ready_probability = 0;
  std::string reason;               ///< HEAD's Ready reason in the first run that missed
  std::string message;
};

/// A Kustomization in both whose median ready time changed.
struct ReadyTimeChange {
  std::string name;
  double base_ms = 0;
  double head_ms = 0;
  double delta_ms() const { return head_ms - base_ms; }
};

/// One worker pool (matched by its label) on both sides; absent on a side: workers 0.
struct PoolChange {
  std::string pool;
  int base_workers = 0, head_workers = 0;
  double base_utilisation = 0, head_utilisation = 0;  ///< mean over runs, 0..1
  double base_saturated_ms = 0, head_saturated_ms = 0;  ///< median time with every worker busy
};

/// More failed attempts of one kind in HEAD's run 0 than in BASE's: the usual cause of a slowdown.
struct FailureChange {
  PassOutcome outcome = PassOutcome::ApplyFailed;  ///< BuildFailed, ApplyFailed or HealthCheckFailed
  std::string reason, message;                     ///< as Flux reported them (message of the first such failure)
  std::size_t base_count = 0, head_count = 0;      ///< failed attempts with this outcome, reason and message
  double retry_ms = 0;                             ///< the requeue each asked for (retryInterval), HEAD's first
};

/// The slowdown check. Compares what both sides can compare, so a Kustomization never Ready on both sides
/// cannot hide a regression elsewhere. HEAD exceeds the limit when any of these holds:
/// - the median run's time to full readiness grew beyond the limit, or HEAD never got there and BASE did
///   (a run that never got there counts as infinitely slow: nullopt);
/// - when a side never reaches full readiness (so the first rule cannot compare them): the time to
///   readiness of the Kustomizations Ready on both sides (the latest of their median ready times) grew
///   beyond the limit, or one of them became Ready later by more than the limit allows (a percentage is
///   taken of BASE's time to readiness of those Ready on both sides, so a 1s → 3s change is no
///   regression in a 10-minute rollout);
/// - a Kustomization that was Ready in BASE (or is added) is never Ready in HEAD.
struct SlowdownCheck {
  Slowdown limit;
  std::optional<double> base_ms, head_ms;
  std::optional<double> base_common_ms, head_common_ms;  ///< time to readiness of those Ready on both sides
  std::vector<ReadyTimeChange> regressions;              ///< slower beyond the limit, largest first
  std::vector<std::string> never_ready;                  ///< Ready in BASE (or added), never Ready in HEAD
  bool exceeded = false;
};

struct DiffResult {
  std::string base_name, head_name;        ///< scenario names
  std::uint64_t seed = 0;                  ///< HEAD's seed (both sides normally share one)
  std::size_t runs = 0;
  std::size_t base_kustomizations = 0, head_kustomizations = 0;
  double base_ready_probability = 0, head_ready_probability = 0;
  std::optional<Stats> base_time_to_ready, head_time_to_ready;  ///< over each side's all-Ready runs
  std::vector<std::string> added, removed;                     ///< sorted
  std::vector<std::optional<double>> added_ready_ms;           ///< parallel to `added`: median Ready time (nullopt: never)
  std::vector<OrderChange> order_changes;                      ///< in HEAD order
  std::vector<NewFailure> new_failures;                        ///< in HEAD world order
  std::vector<std::string> fixed;      ///< not Ready in every BASE run, Ready in every HEAD run
  std::vector<ReadyTimeChange> ready_time_changes;  ///< non-zero only, largest |change| first, then by name
  std::vector<std::string> base_critical_path, head_critical_path;  ///< names, root first (run 0)
  std::optional<double> base_critical_ms, head_critical_ms;           ///< when the path's end was Ready
  std::vector<PoolChange> workers;
  std::vector<FailureChange> failure_changes;  ///< run 0: kinds of failure HEAD has more of, most added first
  std::vector<ExpectationStats> head_expectations;
  std::optional<SlowdownCheck> slowdown;

  /// Anything a reviewer would want to see changed (time, readiness, membership, order, failures,
  /// critical path, worker load).
  bool changed() const;
  /// HEAD fails the check: an expectation missed in some run, or slower than --max-slowdown.
  bool failed() const;
};

/// Compares two rollouts. Kustomizations are matched by namespace and name; names are shown as
/// "name", or "namespace/name" when either side spans several namespaces.
DiffResult compare_rollouts(const DiffSide& base, const DiffSide& head, const std::optional<Slowdown>& max_slowdown);

/// Markdown for a pull-request comment: a headline, a base/head/change table, then lists.
void write_diff_markdown(const DiffResult& diff, std::ostream& out);
void write_diff_table(const DiffResult& diff, std::ostream& out);
void write_diff_json(const DiffResult& diff, std::ostream& out);

}  // namespace fluxsim
