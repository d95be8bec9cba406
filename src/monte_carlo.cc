// SPDX-License-Identifier: Apache-2.0
// Monte Carlo driver. Each worker thread takes the next run index from a shared counter, runs it and
// boils the RunResult down to a Digest stored at that index; once every thread has joined, digests
// are reduced strictly in run-index order. Which thread ran which run therefore never shows in the
// result: the same seed and run count give the same bytes for any --jobs.
#include "fluxsim/monte_carlo.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>

#include "fluxsim/analysis.h"

namespace fluxsim {
namespace {

/// What the reduction needs from one run: small, so a thousand runs of a thousand Kustomizations fit.
struct Digest {
  bool all_ready = false;
  SimTime time_to_ready = kNever;
  std::vector<SimTime> ready_at;        ///< per Kustomization
  std::vector<std::int32_t> attempts;   ///< per Kustomization
  std::vector<WorkerUsage> workers;     ///< over the run's window
  std::optional<Duration> longest_wait; ///< recorded runs only
  std::vector<bool> met;                ///< per expectation
  std::vector<std::string> miss_detail; ///< per expectation; empty when met
  std::uint64_t events = 0;
};

Digest digest(const World& world, const Scenario& scenario, const RunResult& r, bool recorded) {
  Digest d;
  d.all_ready = r.all_ready;
  d.time_to_ready = r.time_to_ready;
  d.ready_at.reserve(r.kustomizations.size());
  d.attempts.reserve(r.kustomizations.size());
  for (const KustomizationSummary& s : r.kustomizations) {
    d.ready_at.push_back(s.ready_at);
    d.attempts.push_back(s.attempts);
  }
  d.workers = r.workers_until_ready.empty() ? r.workers : r.workers_until_ready;
  if (recorded) {
    const SimTime window_end = d.workers.empty() ? r.ended_at : d.workers.front().end;
    Duration longest{0};
    for (const PassRecord& p : r.passes) {
      if (p.controller != Controller::Kustomize || p.queued_at == kNever || p.started_at == kNever) continue;
      if (p.started_at > window_end || p.started_at < p.queued_at) continue;
      longest = std::max(longest, p.started_at - p.queued_at);
    }
    d.longest_wait = longest;
  }
  for (ExpectationResult& e : check_expectations(scenario, world, r)) {
    d.met.push_back(e.met);
    d.miss_detail.push_back(e.met ? std::string() : std::move(e.detail));
  }
  d.events = r.simulated_events;
  return d;
}

double ms(SimTime t) { return static_cast<double>(to_ms(t)); }

}  // namespace

double nearest_rank(const std::vector<double>& sorted, int percent) {
  if (sorted.empty()) return 0;
  const std::size_t n = sorted.size();
  const std::size_t p = static_cast<std::size_t>(std::clamp(percent, 0, 100));
  // rank = ceil(p * n / 100), in integers so that no rounding error moves it; at least 1.
  std::size_t rank = (p * n + 99) / 100;
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

std::optional<Stats> summarize(const std::vector<double>& samples) {
  if (samples.empty()) return std::nullopt;
  Stats s;
  s.count = samples.size();
  double sum = 0;
  for (double x : samples) sum += x;  // in sample (run) order: the same sum for any thread count
  s.mean = sum / static_cast<double>(samples.size());
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.min = sorted.front();
  s.max = sorted.back();
  s.p50 = nearest_rank(sorted, 50);
  s.p90 = nearest_rank(sorted, 90);
  s.p99 = nearest_rank(sorted, 99);
  return s;
}

MonteCarloResult run_monte_carlo(const Simulation& sim, const World& world, const Scenario& scenario,
                                 const MonteCarloOptions& options) {
  MonteCarloResult out;
  out.seed = scenario.seed;
  out.runs = std::max<std::size_t>(options.runs, 1);
  out.horizon = SimTime{scenario.horizon};
  const std::size_t runs = out.runs;

  std::vector<Digest> digests(runs);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> abort{false};
  std::mutex progress_mutex;
  std::size_t done = 0;
  std::exception_ptr failure;

  auto worker = [&] {
    try {
      while (!abort.load(std::memory_order_relaxed)) {
        const std::size_t run = next.fetch_add(1, std::memory_order_relaxed);
        if (run >= runs) break;
        const bool recorded = options.record || run == 0;
        RunResult r = sim.run(EngineOptions{run, recorded, options.stop_when_all_ready, {}, true});
        digests[run] = digest(world, scenario, r, options.record);
        std::lock_guard lock(progress_mutex);
        if (run == 0) out.first_run = std::move(r);
        ++done;
        if (options.progress) options.progress(done, runs);
      }
    } catch (...) {
      std::lock_guard lock(progress_mutex);
      if (!failure) failure = std::current_exception();
      abort = true;
    }
  };
  const unsigned jobs = static_cast<unsigned>(std::clamp<std::size_t>(options.jobs, 1, runs));
  if (jobs == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(jobs);
    for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
    for (std::thread& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);

  // ----- reduction, in run-index order -----
  const std::size_t nks = world.kustomizations.size();
  std::vector<double> ttr;
  std::vector<std::vector<double>> ready_at(nks), attempts(nks);
  out.kustomizations.assign(nks, KustomizationStats{});
  for (std::size_t run = 0; run < runs; ++run) {
    const Digest& d = digests[run];
    out.simulated_events += d.events;
    out.time_to_ready_by_run.push_back(d.all_ready ? d.time_to_ready : kNever);
    if (d.all_ready) {
      ++out.all_ready_runs;
      ttr.push_back(ms(d.time_to_ready));
    }
    for (std::size_t k = 0; k < nks && k < d.ready_at.size(); ++k) {
      if (d.ready_at[k] != kNever) {
        ready_at[k].push_back(ms(d.ready_at[k]));
        attempts[k].push_back(d.attempts[k]);
      } else if (out.kustomizations[k].first_not_ready_run < 0) {
        out.kustomizations[k].first_not_ready_run = static_cast<std::int64_t>(run);
      }
    }
  }
  out.ready_probability = static_cast<double>(out.all_ready_runs) / static_cast<double>(runs);
  out.time_to_ready_ms = summarize(ttr);
  for (std::size_t k = 0; k < nks; ++k) {
    KustomizationStats& ks = out.kustomizations[k];
    ks.ready_runs = ready_at[k].size();
    ks.ready_probability = static_cast<double>(ks.ready_runs) / static_cast<double>(runs);
    ks.ready_at_ms = summarize(ready_at[k]);
    ks.attempts = summarize(attempts[k]);
  }

  // Worker pools: the pools are the same in every run (they come from the compiled plan).
  const std::vector<WorkerUsage>& pools = digests.front().workers;
  for (std::size_t p = 0; p < pools.size(); ++p) {
    PoolStats ps;
    ps.controller = pools[p].controller;
    ps.pool = pools[p].pool;
    ps.workers = pools[p].workers;
    std::vector<double> util, saturated, wait, depth;
    for (const Digest& d : digests) {
      if (p >= d.workers.size()) continue;
      util.push_back(d.workers[p].utilisation());
      saturated.push_back(static_cast<double>(d.workers[p].saturated.count()));
      if (options.record && p == 0) {
        wait.push_back(static_cast<double>(d.longest_wait.value_or(Duration{0}).count()));
        depth.push_back(static_cast<double>(d.workers[p].max_queue_depth));
      }
    }
    ps.utilisation = summarize(util).value_or(Stats{});
    ps.saturated_ms = summarize(saturated).value_or(Stats{});
    ps.longest_wait_ms = summarize(wait);
    ps.max_queue_depth = summarize(depth);
    out.workers.push_back(std::move(ps));
  }

  // Expectations: the wording comes from run 0; every run checks the same list.
  const std::vector<ExpectationResult> wording = check_expectations(scenario, world, out.first_run);
  for (std::size_t e = 0; e < wording.size(); ++e) {
    ExpectationStats es;
    es.expect = wording[e].expect;
    es.runs = runs;
    for (std::size_t run = 0; run < runs; ++run) {
      const Digest& d = digests[run];
      if (e >= d.met.size() || d.met[e]) {
        ++es.met_runs;
      } else if (es.first_miss_run < 0) {
        es.first_miss_run = static_cast<std::int64_t>(run);
        es.first_miss_detail = d.miss_detail[e];
      }
    }
    out.expectations.push_back(std::move(es));
  }

  // Why each Kustomization was not Ready in the first run that missed it. Runs are reproducible from
  // their index, so those few runs are replayed rather than keeping every run's messages in memory.
  std::map<std::int64_t, RunResult> replays;
  for (std::size_t k = 0; k < nks; ++k) {
    KustomizationStats& ks = out.kustomizations[k];
    if (ks.first_not_ready_run < 0) continue;
    const RunResult* r = &out.first_run;
    if (ks.first_not_ready_run != 0) {
      auto it = replays.find(ks.first_not_ready_run);
      if (it == replays.end())
        it = replays
                 .emplace(ks.first_not_ready_run,
                          sim.run(EngineOptions{static_cast<std::uint64_t>(ks.first_not_ready_run), false,
                                                options.stop_when_all_ready, {}, true}))
                 .first;
      r = &it->second;
    }
    const KustomizationSummary& s = r->kustomizations.at(k);
    ks.not_ready_reason = to_string(s.reason);
    ks.not_ready_message = message(world, *r, s);
  }
  return out;
}

std::vector<std::size_t> median_ready_order(const MonteCarloResult& mc) {
  std::vector<std::size_t> order(mc.kustomizations.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto &x = mc.kustomizations[a].ready_at_ms, &y = mc.kustomizations[b].ready_at_ms;
    if (x.has_value() != y.has_value()) return x.has_value();
    if (!x) return false;
    if (x->p50 != y->p50) return x->p50 < y->p50;
    return x->min < y->min;
  });
  return order;
}

}  // namespace fluxsim
