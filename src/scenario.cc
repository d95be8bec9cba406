// SPDX-License-Identifier: Apache-2.0
// The parts of scenario.h that need no YAML: selectors and the scenario of a bare repository.
// Parsing lives in src/load/scenario_loader.cc.
#include "fluxsim/scenario.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace fluxsim {

// Greedy matching with one backtrack point (the last `*` seen): O(|pattern| * |text|) at worst, never
// exponential. Example: "tekton-*s" against "tekton-tasks" — `*` first takes "", the literal 's' fails
// on 't', so `*` grows one character at a time until "task" leaves "s" to match the final 's'.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Match::matches(const ObjectRef& ref, std::string_view applied_by) const {
  if (!group.empty() && !glob_match(group, ref.group)) return false;
  if (!kind.empty() && !glob_match(kind, ref.kind)) return false;
  if (!ns.empty() && !glob_match(ns, ref.ns)) return false;
  if (!name.empty() && !glob_match(name, ref.name)) return false;
  if (!kustomization.empty() && !glob_match(kustomization, applied_by)) return false;
  return true;
}

Scenario default_scenario_for_repo(const std::string& repo_dir) {
  namespace fs = std::filesystem;
  Scenario s;
  s.repo = repo_dir;
  // "./my-repo/" and "my-repo" are both named "my-repo"; "." and ".." are named after the directory
  // they stand for, so a report of `fluxsim run .` still says which repository it was.
  fs::path p = fs::path(repo_dir.empty() ? "." : repo_dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();  // "dir/" normalises to "dir/"
  if (name.empty() || name == "." || name == "..") {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec).lexically_normal();
    name = abs.filename().string();
    if (name.empty()) name = abs.parent_path().filename().string();
  }
  s.name = name.empty() ? "repository" : name;
  return s;
}

Distribution remote_fetch_time(const Timing& timing, std::string_view kind) {
  for (const auto& [k, d] : timing.fetch)
    if (k == kind) return d;
  if (kind == "OCIRepository" || kind == "Bucket") return Distribution::fixed(Duration{2'000});
  return Distribution::fixed(Duration{3'000});  // GitRepository, HelmRepository, other kinds
}

void apply_controller_flags(Scenario& scenario, const World& world, Diagnostics& warnings) {
  Controllers& c = scenario.controllers;
  auto is_set = [&](std::string_view field) {
    return std::find(c.set_in_scenario.begin(), c.set_in_scenario.end(), field) != c.set_in_scenario.end();
  };
  for (const ControllerFlag& f : world.controller_flags) {
    std::string field;
    if (f.name == "feature-gates") {
      // Only AdditiveCELDependencyCheck changes what fluxsim simulates (flux-semantics.md §2, §10).
      if (f.controller == "source") continue;
      std::optional<bool> on;
      std::string_view gates = f.value;
      while (!gates.empty()) {
        const std::size_t comma = gates.find(',');
        std::string_view gate = gates.substr(0, comma);
        gates = comma == std::string_view::npos ? std::string_view{} : gates.substr(comma + 1);
        const std::size_t eq = gate.find('=');
        if (gate.substr(0, eq) != "AdditiveCELDependencyCheck" || eq == std::string_view::npos) continue;
        const std::string_view v = gate.substr(eq + 1);
        if (v == "true" || v == "True" || v == "TRUE" || v == "1" || v == "t" || v == "T") on = true;
        else if (v == "false" || v == "False" || v == "FALSE" || v == "0" || v == "f" || v == "F") on = false;
      }
      if (!on) continue;
      (f.controller == "kustomize" ? c.kustomize.additive_cel_dependency_check : c.helm.additive_cel_dependency_check) = *on;
      const std::string suffix = " on " + f.controller + "-controller";
      auto& from = c.from_repository;
      from.erase(std::remove_if(from.begin(), from.end(),
                                [&](const std::string& l) { return l.starts_with("--feature-gates=") && l.find(suffix) != std::string::npos; }),
                 from.end());
      std::string line = std::string("--feature-gates=AdditiveCELDependencyCheck=") + (*on ? "true" : "false") + suffix;
      if (std::string loc = to_string(f.where); !loc.empty()) line += " (" + loc + ")";
      from.push_back(line);
      continue;
    }
    if (f.name == "concurrent") field = f.controller + ".concurrent";
    else if (f.name == "requeue-dependency" && f.controller != "source") field = f.controller + ".requeueDependency";
    else if (f.name == "interval-jitter-percentage" && f.controller != "source") field = f.controller + ".intervalJitterPercent";
    else if (f.name == "min-retry-delay") field = f.controller + ".firstReconcileDelay";
    else if (f.name == "cpu-limit" && f.controller != "source") field = f.controller + ".cpu";
    else continue;
    if (is_set(field)) continue;
    bool ok = true;
    if (f.name == "cpu-limit") {
      // resources.limits.cpu: the capacity model's budget (capacity.h).
      std::optional<double> cores = parse_cpu_quantity(f.value);
      ok = cores.has_value();
      if (ok) (f.controller == "kustomize" ? c.kustomize.cpu_limit : c.helm.cpu_limit) = *cores;
    } else if (f.name == "concurrent" || f.name == "interval-jitter-percentage") {
      char* end = nullptr;
      long v = std::strtol(f.value.c_str(), &end, 10);
      const long max = f.name == "concurrent" ? 10'000 : 99;
      const long min = f.name == "concurrent" ? 1 : 0;
      ok = end != f.value.c_str() && *end == '\0' && v >= min && v <= max;
      if (ok) {
        if (field == "kustomize.concurrent") c.kustomize.concurrent = static_cast<int>(v);
        else if (field == "helm.concurrent") c.helm.concurrent = static_cast<int>(v);
        else if (field == "source.concurrent") c.source.concurrent = static_cast<int>(v);
        else if (field == "helm.intervalJitterPercent") c.helm.interval_jitter_percent = static_cast<int>(v);
        else c.kustomize.interval_jitter_percent = static_cast<int>(v);
      }
    } else {
      DurationParse d = parse_duration(f.value);
      ok = d.value && d.value->count() >= 0;
      if (ok) {
        if (field == "kustomize.requeueDependency") c.kustomize.requeue_dependency = *d.value;
        else if (field == "helm.requeueDependency") c.helm.requeue_dependency = *d.value;
        else if (field == "helm.firstReconcileDelay") c.helm.first_reconcile_delay = *d.value;
        else if (field == "source.firstReconcileDelay") c.source.first_reconcile_delay = *d.value;
        else c.kustomize.first_reconcile_delay = *d.value;
      }
    }
    if (f.name == "cpu-limit") {
      if (!ok) {
        warnings.warning(f.where, "resources.limits.cpu: " + f.value + " on " + f.controller + "-controller: not a CPU quantity; ignored");
        continue;
      }
      auto& from = c.from_repository;
      const std::string suffix = " on " + f.controller + "-controller";
      from.erase(std::remove_if(from.begin(), from.end(),
                                [&](const std::string& l) { return l.starts_with("resources.limits.cpu=") && l.find(suffix) != std::string::npos; }),
                 from.end());
      std::string line = "resources.limits.cpu=" + f.value + suffix;
      if (std::string loc = to_string(f.where); !loc.empty()) line += " (" + loc + ")";
      from.push_back(line);
      continue;
    }
    if (!ok) {
      warnings.warning(f.where, "--" + f.name + "=" + f.value + " on " + f.controller + "-controller: value not understood; ignored");
      continue;
    }
    std::string line = "--" + f.name + "=" + f.value + " on " + f.controller + "-controller";
    std::string loc = to_string(f.where);
    if (!loc.empty()) line += " (" + loc + ")";
    // The last flag for a field wins, as the last argument does on a command line.
    std::string prefix = "--" + f.name + "=";
    std::string suffix = " on " + f.controller + "-controller";
    auto& from = c.from_repository;
    from.erase(std::remove_if(from.begin(), from.end(),
                              [&](const std::string& l) { return l.starts_with(prefix) && l.find(suffix) != std::string::npos; }),
               from.end());
    from.push_back(line);
  }
}

}  // namespace fluxsim
