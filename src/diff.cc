// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/diff.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "fluxsim/critical_path.h"

namespace fluxsim {
namespace {

bool same(const std::optional<Stats>& a, const std::optional<Stats>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->p50 == b->p50 && a->p90 == b->p90 && a->p99 == b->p99 && a->min == b->min && a->max == b->max &&
         a->mean == b->mean && a->count == b->count;
}

/// The median run's time to full readiness, a run that never got there counting as infinitely slow.
std::optional<double> median_run_ms(const MonteCarloResult& mc) {
  std::vector<SimTime> all = mc.time_to_ready_by_run;
  if (all.empty()) return std::nullopt;
  std::sort(all.begin(), all.end());
  const std::size_t rank = std::max<std::size_t>((50 * all.size() + 99) / 100, 1);
  const SimTime t = all[rank - 1];
  if (t == kNever) return std::nullopt;
  return static_cast<double>(to_ms(t));
}

/// The critical path of one side's run 0 (recorded in full), as the Kustomizations it passes through.
std::vector<std::size_t> critical_path_of(const World& world, const Scenario& scenario, const RunResult& run0) {
  std::vector<std::size_t> out;
  for (NodeId k : critical_path(world, scenario, run0).nodes())
    if (out.empty() || out.back() != k) out.push_back(k);
  return out;
}

/// Indexes into `seq` of one longest strictly increasing subsequence (patience sorting; deterministic).
std::vector<std::size_t> longest_increasing(const std::vector<std::size_t>& seq) {
  std::vector<std::size_t> tails;                 // index into seq of the smallest tail of each length
  std::vector<std::ptrdiff_t> prev(seq.size(), -1);
  for (std::size_t i = 0; i < seq.size(); ++i) {
    auto it = std::lower_bound(tails.begin(), tails.end(), seq[i], [&](std::size_t t, std::size_t v) { return seq[t] < v; });
    if (it != tails.begin()) prev[i] = static_cast<std::ptrdiff_t>(*(it - 1));
    if (it == tails.end()) tails.push_back(i);
    else *it = i;
  }
  std::vector<std::size_t> out;
  for (std::ptrdiff_t i = tails.empty() ? -1 : static_cast<std::ptrdiff_t>(tails.back()); i >= 0; i = prev[static_cast<std::size_t>(i)])
    out.push_back(static_cast<std::size_t>(i));
  std::reverse(out.begin(), out.end());
  return out;
}

bool failed(PassOutcome o) {
  return o == PassOutcome::BuildFailed || o == PassOutcome::ApplyFailed || o == PassOutcome::HealthCheckFailed;
}

/// A message with its numbers blanked: the failures "… (2 left)" and "… (1 left)" are one kind.
std::string shape(const std::string& message) {
  std::string out;
  for (char c : message)
    if (c < '0' || c > '9') out += c;
    else if (out.empty() || out.back() != '#') out += '#';
  return out;
}

/// The kinds of failed attempt (outcome, reason, message) that HEAD's run has more of than BASE's.
std::vector<FailureChange> failure_changes(const World& base_world, const RunResult& base, const World& head_world,
                                           const RunResult& head) {
  std::map<std::tuple<PassOutcome, std::string, std::string>, FailureChange> kinds;
  for (const RunResult* side : {&base, &head})
    for (const PassRecord& p : side->passes) {
      if (p.controller != Controller::Kustomize || !failed(p.outcome)) continue;
      std::string text = message(side == &base ? base_world : head_world, *side, p);
      FailureChange& c = kinds[{p.outcome, to_string(p.reason), shape(text)}];
      if (c.base_count + c.head_count == 0) {
        c.outcome = p.outcome;
        c.reason = to_string(p.reason);
        c.message = std::move(text);
      }
      if (side == &base) ++c.base_count;
      else {
        if (c.head_count == 0) c.retry_ms = static_cast<double>(p.requeue_after.count());
        ++c.head_count;
      }
    }
  std::vector<FailureChange> out;
  for (auto& [key, c] : kinds)
    if (c.head_count > c.base_count) out.push_back(std::move(c));
  std::stable_sort(out.begin(), out.end(), [](const FailureChange& x, const FailureChange& y) {
    return x.head_count - x.base_count > y.head_count - y.base_count;
  });
  return out;
}

}  // namespace

SlowdownParse parse_slowdown(std::string_view text) {
  std::string t(text);
  while (!t.empty() && t.back() == ' ') t.pop_back();
  while (!t.empty() && t.front() == ' ') t.erase(t.begin());
  if (t.empty()) return {std::nullopt, "--max-slowdown needs a duration (2m) or a percentage (20%)"};
  Slowdown s;
  s.text = t;
  if (t.back() == '%') {
    const std::string number = t.substr(0, t.size() - 1);
    char* end = nullptr;
    const double p = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(p) || p < 0)
      return {std::nullopt, fmt::format("--max-slowdown {}: not a percentage (e.g. 20%)", text)};
    s.percent = p;
    return {s, {}};
  }
  DurationParse d = parse_duration(t);
  if (!d.value) return {std::nullopt, fmt::format("--max-slowdown {}: {} (a duration like 2m, or a percentage like 20%)", text, d.error)};
  if (d.value->count() < 0) return {std::nullopt, fmt::format("--max-slowdown {}: must not be negative", text)};
  s.absolute = *d.value;
  return {s, {}};
}

bool DiffResult::changed() const {
  if (!same(base_time_to_ready, head_time_to_ready) || base_ready_probability != head_ready_probability) return true;
  if (base_kustomizations != head_kustomizations) return true;
  if (!added.empty() || !removed.empty() || !order_changes.empty() || !new_failures.empty() || !fixed.empty() ||
      !ready_time_changes.empty())
    return true;
  if (base_critical_path != head_critical_path || base_critical_ms != head_critical_ms) return true;
  for (const PoolChange& p : workers)
    if (p.base_workers != p.head_workers || p.base_utilisation != p.head_utilisation || p.base_saturated_ms != p.head_saturated_ms)
      return true;
  return false;
}

bool DiffResult::failed() const {
  for (const ExpectationStats& e : head_expectations)
    if (!e.met()) return true;
  return slowdown && slowdown->exceeded;
}

DiffResult compare_rollouts(const DiffSide& base, const DiffSide& head, const std::optional<Slowdown>& max_slowdown) {
  DiffResult d;
  d.base_name = base.scenario.name;
  d.head_name = head.scenario.name;
  d.seed = head.result.seed;
  d.runs = head.result.runs;
  d.base_kustomizations = base.world.kustomizations.size();
  d.head_kustomizations = head.world.kustomizations.size();
  d.base_ready_probability = base.result.ready_probability;
  d.head_ready_probability = head.result.ready_probability;
  d.base_time_to_ready = base.result.time_to_ready_ms;
  d.head_time_to_ready = head.result.time_to_ready_ms;

  // Names: "name" unless the two worlds together span several namespaces.
  std::set<std::string> namespaces;
  for (const World* w : {&base.world, &head.world})
    for (const Kustomization& k : w->kustomizations) namespaces.insert(k.ref.ns);
  const bool qualify = namespaces.size() > 1;
  auto name_of = [&](const Kustomization& k) { return qualify ? k.ref.ns + "/" + k.ref.name : k.ref.name; };
  auto key_of = [](const Kustomization& k) { return k.ref.ns + "/" + k.ref.name; };

  std::map<std::string, std::size_t> in_base, in_head;
  for (std::size_t i = 0; i < base.world.kustomizations.size(); ++i) in_base.emplace(key_of(base.world.kustomizations[i]), i);
  for (std::size_t i = 0; i < head.world.kustomizations.size(); ++i) in_head.emplace(key_of(head.world.kustomizations[i]), i);
  for (const auto& [key, i] : in_head)
    if (!in_base.count(key)) d.added.push_back(name_of(head.world.kustomizations[i]));
  for (const auto& [key, i] : in_base)
    if (!in_head.count(key)) d.removed.push_back(name_of(base.world.kustomizations[i]));
  std::sort(d.added.begin(), d.added.end());
  std::sort(d.removed.begin(), d.removed.end());
  for (const std::string& name : d.added)
    for (const auto& [key, i] : in_head)
      if (name_of(head.world.kustomizations[i]) == name) {
        const auto& stats = head.result.kustomizations[i].ready_at_ms;
        d.added_ready_ms.push_back(stats ? std::optional<double>(stats->p50) : std::nullopt);
        break;
      }

  // Order: among Kustomizations Ready (in some run) on both sides, by median ready time, then
  // minimum, then name; those out of one longest run of unchanged relative order have moved.
  struct Common {
    std::string key, name;
    std::size_t b, h;  // World indexes
  };
  std::vector<Common> common;
  for (const auto& [key, b] : in_base) {
    auto it = in_head.find(key);
    if (it == in_head.end()) continue;
    common.push_back({key, name_of(base.world.kustomizations[b]), b, it->second});
  }
  auto ranked = [&](bool head_side) {
    std::vector<std::size_t> idx;
    for (std::size_t c = 0; c < common.size(); ++c) {
      const auto& bs = base.result.kustomizations[common[c].b].ready_at_ms;
      const auto& hs = head.result.kustomizations[common[c].h].ready_at_ms;
      if (bs && hs) idx.push_back(c);
    }
    std::sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) {
      const Stats& sx = *(head_side ? head.result.kustomizations[common[x].h] : base.result.kustomizations[common[x].b]).ready_at_ms;
      const Stats& sy = *(head_side ? head.result.kustomizations[common[y].h] : base.result.kustomizations[common[y].b]).ready_at_ms;
      if (sx.p50 != sy.p50) return sx.p50 < sy.p50;
      if (sx.min != sy.min) return sx.min < sy.min;
      return common[x].key < common[y].key;
    });
    return idx;
  };
  const std::vector<std::size_t> base_order = ranked(false), head_order = ranked(true);
  std::vector<std::size_t> head_pos(common.size(), 0), base_pos(common.size(), 0);
  for (std::size_t p = 0; p < head_order.size(); ++p) head_pos[head_order[p]] = p;
  for (std::size_t p = 0; p < base_order.size(); ++p) base_pos[base_order[p]] = p;
  std::vector<std::size_t> seq;  // head positions, in base order
  for (std::size_t c : base_order) seq.push_back(head_pos[c]);
  std::vector<bool> stays(common.size(), false);
  for (std::size_t i : longest_increasing(seq)) stays[base_order[i]] = true;
  for (std::size_t c : head_order) {
    if (stays[c]) continue;
    d.order_changes.push_back({common[c].name, base_pos[c] + 1, head_pos[c] + 1,
                               base.result.kustomizations[common[c].b].ready_at_ms->p50,
                               head.result.kustomizations[common[c].h].ready_at_ms->p50});
  }

  // Readiness gained and lost, and ready-time changes.
  for (std::size_t h = 0; h < head.world.kustomizations.size(); ++h) {
    const KustomizationStats& hs = head.result.kustomizations[h];
    auto it = in_base.find(key_of(head.world.kustomizations[h]));
    const KustomizationStats* bs = it == in_base.end() ? nullptr : &base.result.kustomizations[it->second];
    if (hs.ready_runs < head.result.runs && (!bs || bs->ready_runs == base.result.runs))
      d.new_failures.push_back({name_of(head.world.kustomizations[h]), bs == nullptr, bs ? bs->ready_probability : 0.0,
                                hs.ready_probability, hs.not_ready_reason, hs.not_ready_message});
    if (bs && bs->ready_runs < base.result.runs && hs.ready_runs == head.result.runs)
      d.fixed.push_back(name_of(head.world.kustomizations[h]));
  }
  for (const Common& c : common) {
    const auto& bs = base.result.kustomizations[c.b].ready_at_ms;
    const auto& hs = head.result.kustomizations[c.h].ready_at_ms;
    if (bs && hs && bs->p50 != hs->p50) d.ready_time_changes.push_back({c.name, bs->p50, hs->p50});
  }
  std::sort(d.ready_time_changes.begin(), d.ready_time_changes.end(), [](const ReadyTimeChange& x, const ReadyTimeChange& y) {
    if (std::abs(x.delta_ms()) != std::abs(y.delta_ms())) return std::abs(x.delta_ms()) > std::abs(y.delta_ms());
    return x.name < y.name;
  });

  // Critical paths (run 0 of each side).
  auto path_of = [&](const DiffSide& side, std::vector<std::string>& names, std::optional<double>& at) {
    const std::vector<std::size_t> chain = critical_path_of(side.world, side.scenario, side.result.first_run);
    for (std::size_t k : chain) names.push_back(name_of(side.world.kustomizations[k]));
    if (!chain.empty() && chain.back() < side.result.first_run.kustomizations.size()) {
      const SimTime t = side.result.first_run.kustomizations[chain.back()].ready_at;
      if (t != kNever) at = static_cast<double>(to_ms(t));
    }
  };
  path_of(base, d.base_critical_path, d.base_critical_ms);
  path_of(head, d.head_critical_path, d.head_critical_ms);

  // Worker pools, matched by label: BASE's order, then pools only HEAD has.
  for (const PoolStats& p : base.result.workers)
    d.workers.push_back({p.pool, p.workers, 0, p.utilisation.mean, 0, p.saturated_ms.p50, 0});
  for (const PoolStats& p : head.result.workers) {
    auto it = std::find_if(d.workers.begin(), d.workers.end(), [&](const PoolChange& c) { return c.pool == p.pool; });
    if (it == d.workers.end()) it = d.workers.insert(d.workers.end(), PoolChange{p.pool, 0, 0, 0, 0, 0, 0});
    it->head_workers = p.workers;
    it->head_utilisation = p.utilisation.mean;
    it->head_saturated_ms = p.saturated_ms.p50;
  }

  d.failure_changes = failure_changes(base.world, base.result.first_run, head.world, head.result.first_run);

  d.head_expectations = head.result.expectations;
  if (max_slowdown) {
    SlowdownCheck check;
    check.limit = *max_slowdown;
    auto beyond = [&](double base_ms, double head_ms, double budget_of) {
      const double slower = head_ms - base_ms;
      return max_slowdown->absolute ? slower > static_cast<double>(max_slowdown->absolute->count())
                                    : slower > budget_of * max_slowdown->percent / 100.0;
    };
    check.base_ms = median_run_ms(base.result);
    check.head_ms = median_run_ms(head.result);
    bool exceeded = false;
    if (!check.head_ms) exceeded = check.base_ms.has_value();
    else if (check.base_ms) exceeded = beyond(*check.base_ms, *check.head_ms, *check.base_ms);
    // What both sides can compare: the Kustomizations Ready (in some run) on both sides.
    std::vector<ReadyTimeChange> both;
    for (const Common& c : common) {
      const auto& bs = base.result.kustomizations[c.b].ready_at_ms;
      const auto& hs = head.result.kustomizations[c.h].ready_at_ms;
      if (!bs || !hs) continue;
      both.push_back({c.name, bs->p50, hs->p50});
      check.base_common_ms = std::max(check.base_common_ms.value_or(0.0), bs->p50);
      check.head_common_ms = std::max(check.head_common_ms.value_or(0.0), hs->p50);
    }
    // When both sides reach full readiness, their times decide (a Kustomization that turns Ready later
    // in a rollout that finishes sooner is a change of order, not a slowdown); otherwise the
    // Kustomizations Ready on both sides do, each on its own and together.
    const bool comparable = check.base_ms && check.head_ms;
    if (!comparable && check.base_common_ms && beyond(*check.base_common_ms, *check.head_common_ms, *check.base_common_ms))
      exceeded = true;
    for (const ReadyTimeChange& c : both)
      if (!comparable && beyond(c.base_ms, c.head_ms, *check.base_common_ms)) check.regressions.push_back(c);
    std::sort(check.regressions.begin(), check.regressions.end(), [](const ReadyTimeChange& x, const ReadyTimeChange& y) {
      if (x.delta_ms() != y.delta_ms()) return x.delta_ms() > y.delta_ms();
      return x.name < y.name;
    });
    for (std::size_t h = 0; h < head.world.kustomizations.size(); ++h) {
      if (head.result.kustomizations[h].ready_runs > 0) continue;
      auto it = in_base.find(key_of(head.world.kustomizations[h]));
      if (it == in_base.end() || base.result.kustomizations[it->second].ready_runs > 0)
        check.never_ready.push_back(name_of(head.world.kustomizations[h]));
    }
    check.exceeded = exceeded || !check.regressions.empty() || !check.never_ready.empty();
    d.slowdown = check;
  }
  return d;
}

}  // namespace fluxsim
