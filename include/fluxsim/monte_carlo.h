// SPDX-License-Identifier: Apache-2.0
// Monte Carlo: many runs of one compiled Simulation, spread over threads, reduced to distributions
// (percentiles of time to readiness and of each Kustomization's ready time, readiness probabilities,
// worker load). Runs are reduced in run-index order, so the result is the same for any thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "fluxsim/engine.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/trace.h"

namespace fluxsim {

/// Summary of a sample. Percentiles are nearest-rank: pP is the smallest sample x such that at least
/// P% of the samples are <= x, i.e. sorted[ceil(P/100 * n) - 1]; so every percentile is a value that
/// actually occurred, and with one sample (or identical samples) all of them equal that sample.
/// Example: samples {10, 20, 30, 40}: p50 = sorted[ceil(2) - 1] = 20, p90 = sorted[ceil(3.6) - 1] = 40.
struct Stats {
  double p50 = 0, p90 = 0, p99 = 0, min = 0, max = 0;
  double mean = 0;        ///< arithmetic mean, summed in sample order
  std::size_t count = 0;  ///< number of samples (> 0 whenever a Stats exists)
};

/// Nearest-rank percentile of an ascending, non-empty sample; `percent` in [0, 100] (0 gives the min).
double nearest_rank(const std::vector<double>& sorted, int percent);

/// Summarises a sample; nullopt when it is empty.
std::optional<Stats> summarize(const std::vector<double>& samples);

/// Called after each finished run with (runs finished, runs in all). Calls are serialised (never two
/// at once) but may come from any worker thread; it must not touch the simulation.
using ProgressHook = std::function<void(std::size_t done, std::size_t total)>;

struct MonteCarloOptions {
  std::size_t runs = 1;   ///< run indexes 0 .. runs-1 (EngineOptions::run)
  unsigned jobs = 1;      ///< threads; capped at `runs`; the result does not depend on it
  /// Keep events and pass records in each run: slower, but measures queue waits and depths. Run 0's
  /// RunResult (MonteCarloResult::first_run) is always recorded.
  bool record = false;
  /// End each run once every Kustomization has been Ready (the usual Monte Carlo question). Off, runs
  /// go to the horizon and worker figures cover the whole horizon.
  bool stop_when_all_ready = true;
  ProgressHook progress;  ///< optional
};

/// One Kustomization over all runs.
struct KustomizationStats {
  std::size_t ready_runs = 0;        ///< runs in which it became Ready within the horizon
  double ready_probability = 0;      ///< ready_runs / runs
  std::optional<Stats> ready_at_ms;  ///< first Ready, milliseconds; over the ready runs only (nullopt: none)
  std::optional<Stats> attempts;     ///< apply attempts up to the first Ready; over the ready runs only
  /// The lowest run index in which it was not Ready (-1: Ready in every run), and its Ready reason and
  /// message in that run, so a failure can be explained and replayed (`fluxsim run --seed S` shows run 0).
  std::int64_t first_not_ready_run = -1;
  std::string not_ready_reason;
  std::string not_ready_message;
};

/// One controller worker pool over all runs. Each run's figures cover that run's window: [0, time to
/// full readiness) when it got there, else [0, horizon).
struct PoolStats {
  Controller controller = Controller::Kustomize;
  std::string pool;                         ///< "kustomize-controller", ...
  int workers = 0;
  Stats utilisation;                        ///< busy / (workers * window), 0..1
  Stats saturated_ms;                       ///< time during which every worker was busy
  /// Only with MonteCarloOptions::record (otherwise nullopt): per run, the longest time a due
  /// Kustomization pass waited for a free worker, and the most due items waiting at once. Kustomize
  /// pool only.
  std::optional<Stats> longest_wait_ms;
  std::optional<Stats> max_queue_depth;
};

/// One scenario expectation over all runs: met when it held in every run.
struct ExpectationStats {
  std::string expect;                 ///< as check_expectations words it
  std::size_t met_runs = 0;
  std::size_t runs = 0;
  std::int64_t first_miss_run = -1;   ///< lowest run index that missed it (-1: none)
  std::string first_miss_detail;      ///< why it missed in that run
  bool met() const { return met_runs == runs; }
};

struct MonteCarloResult {
  std::uint64_t seed = 0;
  std::size_t runs = 0;
  SimTime horizon{};
  std::size_t all_ready_runs = 0;          ///< runs in which every Kustomization became Ready
  double ready_probability = 0;            ///< all_ready_runs / runs
  /// Time to full readiness in milliseconds, over the all-Ready runs only; nullopt when there were none.
  std::optional<Stats> time_to_ready_ms;
  /// Each run's time to full readiness, in run order; kNever for a run that did not get there.
  std::vector<SimTime> time_to_ready_by_run;
  std::vector<KustomizationStats> kustomizations;  ///< parallel to World::kustomizations
  std::vector<PoolStats> workers;                  ///< kustomize-controller first, as RunResult::workers
  std::vector<ExpectationStats> expectations;
  RunResult first_run;                     ///< run 0 in full (recorded): for order, critical path, examples
  std::uint64_t simulated_events = 0;      ///< summed over runs (for benchmarks)
};

/// Runs `options.runs` runs of `sim` (compiled from `world` and `scenario`, which must be the ones it
/// holds) on `options.jobs` threads and reduces them. Deterministic: equal for any `jobs`.
MonteCarloResult run_monte_carlo(const Simulation& sim, const World& world, const Scenario& scenario,
                                 const MonteCarloOptions& options);

/// Kustomization indexes in the order a Monte Carlo report lists them: by median ready time, then
/// minimum, then World order; never-Ready ones last, in World order.
std::vector<std::size_t> median_ready_order(const MonteCarloResult& mc);

/// Report of a Monte Carlo run (product.md §3 with runs > 1): the single-run table's layout with a
/// percentile block per time, readiness probabilities and worker-load distributions.
struct MonteCarloReport {
  const Scenario& scenario;
  const World& world;
  const MonteCarloResult& result;
};
void write_monte_carlo_table(const MonteCarloReport& report, std::ostream& out);
/// JSON: timeToReadyMs and every readyAtMs are {"p50","p90","p99","min","max","mean"} (integer
/// milliseconds; null when never Ready in any run); readyProbability overall and per Kustomization.
void write_monte_carlo_json(const MonteCarloReport& report, std::ostream& out);

}  // namespace fluxsim
