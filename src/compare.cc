// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace fluxsim {
namespace {

std::string seconds(std::optional<std::int64_t> v) {
  if (!v) return "never";
  return format_duration(Duration{*v});
}

}  // namespace

Comparison compare_with_observed(const Observed& obs, const World& world, const RunResult& result) {
  Comparison c;
  struct Pair {
    const ObservedObject* o;
    std::optional<SimTime> created;  // predicted creation (Kustomizations only)
    SimTime ready;
  };
  std::vector<Pair> pairs;
  std::vector<bool> seen_ks(world.kustomizations.size(), false), seen_hr(world.helm_releases.size(), false);
  for (const ObservedObject& o : obs.objects) {
    if (o.kind == "Kustomization") {
      bool found = false;
      for (std::size_t k = 0; k < world.kustomizations.size(); ++k)
        if (world.kustomizations[k].ref.ns == o.ns && world.kustomizations[k].ref.name == o.name) {
          const KustomizationSummary& s = result.kustomizations[k];
          pairs.push_back({&o, s.created_at == kNever ? std::nullopt : std::optional<SimTime>(s.created_at), s.ready_at});
          seen_ks[k] = found = true;
          break;
        }
      if (!found) c.only_observed.push_back(o.id());
    } else if (o.kind == "HelmRelease") {
      bool found = false;
      for (std::size_t h = 0; h < world.helm_releases.size(); ++h)
        if (world.helm_releases[h].ref.ns == o.ns && world.helm_releases[h].ref.name == o.name) {
          pairs.push_back({&o, std::nullopt, h < result.helm_ready_at.size() ? result.helm_ready_at[h] : kNever});
          seen_hr[h] = found = true;
          break;
        }
      if (!found) c.only_observed.push_back(o.id());
    }
  }
  c.only_predicted = static_cast<std::size_t>(std::count(seen_ks.begin(), seen_ks.end(), false) +
                                              std::count(seen_hr.begin(), seen_hr.end(), false));
  // The common origin: the first creation among the matched objects on each side. A side with no
  // creation time for them (HelmReleases only) starts when the root Kustomization first applied.
  std::int64_t obs_origin = std::numeric_limits<std::int64_t>::max();
  std::int64_t pred_origin = std::numeric_limits<std::int64_t>::max();
  for (const Pair& p : pairs) {
    if (p.o->created_ms) obs_origin = std::min(obs_origin, *p.o->created_ms);
    if (p.created) pred_origin = std::min(pred_origin, to_ms(*p.created));
  }
  if (obs_origin == std::numeric_limits<std::int64_t>::max()) obs_origin = 0;
  if (pred_origin == std::numeric_limits<std::int64_t>::max())
    pred_origin = !result.kustomizations.empty() && result.kustomizations[0].first_applied_at != kNever
                      ? to_ms(result.kustomizations[0].first_applied_at)
                      : 0;
  bool all_obs = !pairs.empty(), all_pred = !pairs.empty();
  std::int64_t last_obs = 0, last_pred = 0;
  double err = 0;
  for (const Pair& p : pairs) {
    ComparedObject row{p.o->kind, p.o->ns, p.o->name, std::nullopt, std::nullopt};
    if (p.o->ready_ms) row.observed_ms = *p.o->ready_ms - obs_origin;
    if (p.ready != kNever) row.predicted_ms = to_ms(p.ready) - pred_origin;
    if (row.observed_ms) last_obs = std::max(last_obs, *row.observed_ms);
    else all_obs = false;
    if (row.predicted_ms) last_pred = std::max(last_pred, *row.predicted_ms);
    else all_pred = false;
    if (row.observed_ms && row.predicted_ms) {
      ++c.matched;
      err += std::abs(static_cast<double>(*row.predicted_ms - *row.observed_ms));
    }
    c.rows.push_back(std::move(row));
  }
  if (c.matched) c.mean_abs_error_ms = err / static_cast<double>(c.matched);
  if (all_obs) c.observed_total_ms = last_obs;
  if (all_pred) c.predicted_total_ms = last_pred;
  std::stable_sort(c.rows.begin(), c.rows.end(), [](const ComparedObject& a, const ComparedObject& b) {
    return a.observed_ms.value_or(std::numeric_limits<std::int64_t>::max()) <
           b.observed_ms.value_or(std::numeric_limits<std::int64_t>::max());
  });
  return c;
}

std::string percent_error(std::optional<std::int64_t> observed, std::optional<std::int64_t> predicted) {
  if (!observed || !predicted || *observed <= 0) return "n/a";
  const double p = 100.0 * static_cast<double>(*predicted - *observed) / static_cast<double>(*observed);
  return fmt::format("{:+.1f}%", p);
}

void write_comparison_table(const Comparison& c, const std::string& observed_file, const std::string& scenario,
                            std::ostream& out) {
  out << fmt::format("Observed ({}) vs predicted ({}); times from the first creation, Ready = first Ready=True\n\n",
                     observed_file, scenario);
  std::size_t width = 4;
  for (const ComparedObject& r : c.rows) width = std::max(width, r.kind.size() + r.ns.size() + r.name.size() + 2);
  out << fmt::format("{:<{}}  {:>10}  {:>10}  {:>10}  {:>8}\n", "object", width, "observed", "predicted", "error", "error%");
  for (const ComparedObject& r : c.rows) {
    std::string diff = "n/a";
    if (r.observed_ms && r.predicted_ms)
      diff = fmt::format("{}{}", *r.predicted_ms >= *r.observed_ms ? "+" : "-",
                         format_duration(Duration{std::abs(*r.predicted_ms - *r.observed_ms)}));
    const std::string object = fmt::format("{}/{}/{}", r.kind, r.ns, r.name);
    out << fmt::format("{:<{}}  {:>10}  {:>10}  {:>10}  {:>8}\n", object, width,
                       seconds(r.observed_ms), seconds(r.predicted_ms), diff, percent_error(r.observed_ms, r.predicted_ms));
  }
  out << '\n';
  out << fmt::format("Time to full readiness: observed {}, predicted {}, error {}\n", seconds(c.observed_total_ms),
                     seconds(c.predicted_total_ms), percent_error(c.observed_total_ms, c.predicted_total_ms));
  out << fmt::format("Mean absolute error per object: {} over {} objects Ready on both sides\n",
                     format_duration(Duration{static_cast<std::int64_t>(std::llround(c.mean_abs_error_ms))}), c.matched);
  if (!c.only_observed.empty())
    out << fmt::format("In the export but not in the repository ({}): {}{}\n", c.only_observed.size(),
                       fmt::join(c.only_observed.begin(), c.only_observed.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, c.only_observed.size())), ", "),
                       c.only_observed.size() > 5 ? ", ..." : "");
  if (c.only_predicted) out << fmt::format("In the repository but not in the export: {}\n", c.only_predicted);
}

void write_comparison_json(const Comparison& c, const std::string& observed_file, const std::string& scenario,
                           std::ostream& out) {
  nlohmann::ordered_json j;
  j["observed"] = observed_file;
  j["scenario"] = scenario;
  auto opt = [](std::optional<std::int64_t> v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr); };
  j["observedTimeToReadyMs"] = opt(c.observed_total_ms);
  j["predictedTimeToReadyMs"] = opt(c.predicted_total_ms);
  j["meanAbsoluteErrorMs"] = std::llround(c.mean_abs_error_ms);
  j["matched"] = c.matched;
  j["objects"] = nlohmann::ordered_json::array();
  for (const ComparedObject& r : c.rows)
    j["objects"].push_back({{"kind", r.kind}, {"namespace", r.ns}, {"name", r.name}, {"observedReadyMs", opt(r.observed_ms)},
                            {"predictedReadyMs", opt(r.predicted_ms)}});
  j["onlyObserved"] = c.only_observed;
  j["onlyPredicted"] = c.only_predicted;
  out << j.dump(2) << '\n';
}

}  // namespace fluxsim
