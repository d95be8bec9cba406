// SPDX-License-Identifier: Apache-2.0
// Monte Carlo throughput: R runs of an N-Kustomization synthetic world at 1 and 2 threads, with the
// world compiled once (one Simulation shared by every run and thread). Prints runs per second at each
// thread count, the speed-up (target >= 1.8x from 1 to 2 threads) and the 2-thread wall time (target
// < 10 s for 1,000 runs of 1,000 Kustomizations on 2 cores); checks that both reports are identical.
//
//   montecarlo_bench [--kustomizations N] [--runs R] [--objects-per-kustomization M] [--seed S] [--reps K]
//
// Each thread count is timed K times (default 3, alternating) and the best is reported.
//
// The world is built in code in the shape of bench/gen_repo.py (so the bench does not depend on the
// repository loader): the root applies three phase Kustomizations (infrastructure -> platform -> apps,
// chained by dependsOn); each phase applies components of one `<c>-base` (wait: true, sometimes
// dependsOn the previous component's base) and 1-5 `<c>-<feature>` Kustomizations (dependsOn the base,
// now and then the previous feature; half wait, some health-check two workloads), M objects each.
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "fluxsim/monte_carlo.h"
#include "fluxsim/random.h"

namespace fb = fluxsim::bench;
using namespace fluxsim;

namespace {

/// CPU time (user + system) of the whole process so far, in seconds: with wall time it tells a machine
/// busy with other work (CPU time flat, wall time up) from overhead of threading (CPU time up).
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

constexpr const char* kFeatureWords[] = {"config", "rbac",     "monitoring", "ingress", "backup",  "policies",
                                         "dashboards", "alerts", "tasks",   "triggers", "workers", "jobs",
                                         "storage", "network",  "secrets",  "tenants",  "gateway", "cache"};

class Generator {
 public:
  Generator(int kustomizations, int objects, std::uint64_t seed) : objects_(objects), rng_(Rng::stream(seed, 0, "bench-world")) {
    Kustomization root = flux_kustomization("flux-system", "./clusters/production", std::chrono::minutes(10));
    world_.kustomizations.push_back(root);
    Source src;
    src.ref = {std::string(kSourceGroup), "GitRepository", "flux-system", "flux-system"};
    src.api_version = "source.toolkit.fluxcd.io/v1";
    src.directory = ".";
    src.exists_at_start = true;
    world_.sources.push_back(src);
    build(kustomizations);
  }
  const World& world() const { return world_; }

 private:
  struct Component {
    std::string name;
    std::vector<std::string> features;
    bool crds = false;
    std::string depends_on;
    std::size_t phase = 0;
  };

  double uniform() { return rng_.uniform01(); }
  int between(int lo, int hi) { return lo + static_cast<int>(uniform() * (hi - lo + 1)); }
  bool chance(double p) { return uniform() < p; }

  static Kustomization flux_kustomization(const std::string& name, const std::string& path, Duration interval) {
    Kustomization k;
    k.ref = {std::string(kKustomizeGroup), "Kustomization", "flux-system", name};
    k.api_version = "kustomize.toolkit.fluxcd.io/v1";
    k.source_ref = {"GitRepository", "flux-system", "flux-system", {}, false};
    k.path = path;
    k.interval = interval;
    k.retry_interval = std::chrono::minutes(1);
    k.prune = true;
    return k;
  }

  static Resource resource(const std::string& api_version, const std::string& kind, const std::string& ns, const std::string& name) {
    Resource r;
    r.ref = {std::string(group_of(api_version)), kind, ns, name};
    r.api_version = api_version;
    return r;
  }

  /// Adds Kustomization `k`, applied by `parent` (an index), and returns its index.
  std::size_t add(Kustomization k, std::size_t parent) {
    k.parent = world_.kustomizations[parent].ref;
    world_.kustomizations[parent].objects.push_back(resource("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", k.ref.name));
    world_.kustomizations.push_back(std::move(k));
    return world_.kustomizations.size() - 1;
  }

  void base_objects(Kustomization& k, const Component& c) {
    const std::string ns = c.name;
    std::vector<Resource> plan = {resource("v1", "Namespace", "", ns)};
    if (c.crds) {
      Resource crd = resource("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "clusters." + c.name + ".example.com");
      crd.defines_kind = c.name + ".example.com/Cluster";
      plan.push_back(crd);
    }
    plan.push_back(resource("v1", "ServiceAccount", ns, c.name + "-operator"));
    plan.push_back(resource("apps/v1", "Deployment", ns, c.name + "-operator"));
    plan.push_back(resource("v1", "Service", ns, c.name + "-operator"));
    for (int i = 0; static_cast<int>(plan.size()) < objects_; ++i)
      plan.push_back(resource("v1", "ConfigMap", ns, fmt::format("{}-settings-{}", c.name, i)));
    if (plan.size() > static_cast<std::size_t>(objects_)) plan.resize(static_cast<std::size_t>(objects_));
    k.objects = std::move(plan);
  }

  /// Feature objects with gen_repo.py's mix; returns the workloads (for health checks).
  std::vector<ObjectRef> feature_objects(Kustomization& k, const Component& c, const std::string& feature) {
    std::vector<ObjectRef> workloads;
    for (int i = 0; i < objects_; ++i) {
      const std::string name = fmt::format("{}-{}-{}", c.name, feature, i);
      const double x = uniform() * 96;  // ConfigMap 30, ServiceAccount 12, Service 15, Deployment 18, CR 17, StatefulSet 2, Job 2
      if (x < 30 || (x >= 75 && x < 92 && !c.crds)) k.objects.push_back(resource("v1", "ConfigMap", c.name, name));
      else if (x < 42) k.objects.push_back(resource("v1", "ServiceAccount", c.name, name));
      else if (x < 57) k.objects.push_back(resource("v1", "Service", c.name, name));
      else if (x < 75) {
        k.objects.push_back(resource("apps/v1", "Deployment", c.name, name));
        workloads.push_back(k.objects.back().ref);
      } else if (x < 92) k.objects.push_back(resource(c.name + ".example.com/v1", "Cluster", c.name, name));
      else if (x < 94) {
        k.objects.push_back(resource("apps/v1", "StatefulSet", c.name, name));
        workloads.push_back(k.objects.back().ref);
      } else k.objects.push_back(resource("batch/v1", "Job", c.name, name));
    }
    return workloads;
  }

  void build(int n) {
    // Components: the Kustomizations minus the three phases, as 1 base + 1..5 features each.
    std::vector<Component> components;
    int budget = n - 3;
    while (budget > 0) {
      Component c;
      c.name = fmt::format("c{:04}", components.size());
      const int reserve = std::max(0, 3 - static_cast<int>(components.size()) - 1);
      const int features = std::max(0, std::min(between(1, 5), budget - 1 - reserve));
      for (int f = 0; f < features; ++f) c.features.push_back(fmt::format("{}{}", kFeatureWords[f * 5 % 18], f));
      c.crds = chance(0.5);
      if (!components.empty() && chance(0.3)) c.depends_on = components.back().name + "-base";
      budget -= 1 + features;
      components.push_back(std::move(c));
    }
    const double shares[] = {0.4, 0.2, 0.4};
    std::size_t start = 0;
    for (std::size_t p = 0; p < 3; ++p) {
      const std::size_t share = std::max<std::size_t>(1, static_cast<std::size_t>(shares[p] * static_cast<double>(components.size()) + 0.5));
      const std::size_t end = p == 2 ? components.size() : std::min(components.size(), start + share);
      for (std::size_t i = start; i < end; ++i) components[i].phase = p;
      start = end;
    }
    const char* phases[] = {"infrastructure", "platform", "apps"};
    std::size_t phase_index[3];
    for (std::size_t p = 0; p < 3; ++p) {
      Kustomization k = flux_kustomization(phases[p], fmt::format("./{}/production", phases[p]), std::chrono::minutes(10));
      k.timeout = std::chrono::minutes(10);
      if (p > 0) k.depends_on.push_back({"Kustomization", "flux-system", phases[p - 1], {}, false});
      phase_index[p] = add(std::move(k), 0);
    }
    const Duration intervals[] = {std::chrono::minutes(10), std::chrono::minutes(30), std::chrono::hours(1)};
    for (const Component& c : components) {
      Kustomization base = flux_kustomization(c.name + "-base", fmt::format("./{}/{}/base", phases[c.phase], c.name), std::chrono::hours(1));
      base.wait = true;
      base.timeout = std::chrono::minutes(5);
      if (!c.depends_on.empty()) base.depends_on.push_back({"Kustomization", "flux-system", c.depends_on, {}, false});
      base_objects(base, c);
      add(std::move(base), phase_index[c.phase]);
      for (std::size_t j = 0; j < c.features.size(); ++j) {
        const std::string& feature = c.features[j];
        Kustomization k = flux_kustomization(c.name + "-" + feature, fmt::format("./{}/{}/{}", phases[c.phase], c.name, feature),
                                             intervals[between(0, 2)]);
        k.timeout = std::chrono::minutes(5);
        k.depends_on.push_back({"Kustomization", "flux-system", c.name + "-base", {}, false});
        if (j > 0 && chance(0.15)) k.depends_on.push_back({"Kustomization", "flux-system", c.name + "-" + c.features[j - 1], {}, false});
        std::vector<ObjectRef> workloads = feature_objects(k, c, feature);
        k.wait = chance(0.5);
        if (!k.wait && !workloads.empty() && chance(0.5))
          for (std::size_t w = 0; w < workloads.size() && w < 2; ++w) k.health_checks.push_back(workloads[w]);
        add(std::move(k), phase_index[c.phase]);
      }
    }
  }

  int objects_;
  Rng rng_;
  World world_;
};

std::string report_of(const World& world, const Scenario& scenario, const MonteCarloResult& mc) {
  std::ostringstream out;
  write_monte_carlo_json({scenario, world, mc}, out);
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  fb::Args args(argc, argv);
  const int kustomizations = args.get_int("kustomizations", 1000);
  const int runs = args.get_int("runs", 1000);
  const int objects = args.get_int("objects-per-kustomization", 16);
  const int seed = args.get_int("seed", 1);
  const int reps = args.get_int("reps", 3);
  if (!args.error().empty() || args.positional().size() > 1 || kustomizations < 4) {
    fmt::print(stderr, "usage: montecarlo_bench [REPO] [--kustomizations N>=4] [--runs R] [--objects-per-kustomization M] [--seed S] [--reps K]\n{}\n",
               args.error());
    return 2;
  }
  // `--jobs` (as bench/run.sh passes it) is accepted; this bench always compares 1 and 2 jobs.

  fb::Report report("montecarlo", "Monte Carlo runs of one world, compiled once, at 1 and 2 threads");
  fb::Stopwatch build_clock;
  // A repository directory is loaded once (as `fluxsim run REPO --runs N` does); without one the world
  // is built in code.
  std::optional<Generator> gen;
  World loaded;
  if (!args.positional().empty()) {
    WorldLoad load = load_world(default_scenario_for_repo(args.positional()[0]));
    if (load.diagnostics.has_errors()) {
      fmt::print(stderr, "montecarlo_bench: {}\n", to_string(*load.diagnostics.first_error()));
      return 2;
    }
    loaded = std::move(load.world);
    report.row("repository", args.positional()[0]);
  } else {
    gen.emplace(kustomizations, objects, static_cast<std::uint64_t>(seed));
  }
  const World& world = gen ? gen->world() : loaded;
  Scenario scenario;
  scenario.name = "montecarlo-bench";
  scenario.seed = static_cast<std::uint64_t>(seed);
  scenario.timing.build = parse_distribution("uniform(700ms, 1300ms)").value;
  scenario.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, parse_distribution("lognormal(30s, 0.4)").value});
  scenario.timing.ready.push_back({Match{"", "StatefulSet", "", "", "", {}}, parse_distribution("lognormal(60s, 0.4)").value});
  const double world_seconds = build_clock.seconds();
  fb::Stopwatch compile_clock;
  const Simulation sim(world, scenario);  // compiled once, shared by every run and thread
  const double compile_seconds = compile_clock.seconds();
  if (sim.diagnostics().has_errors()) {
    for (const Diagnostic& d : sim.diagnostics()) fmt::print(stderr, "{}\n", to_string(d));
    return 1;
  }
  std::size_t total_objects = 0;
  for (const Kustomization& k : world.kustomizations) total_objects += k.objects.size();
  report.row("world", fmt::format("{} Kustomizations, {} objects (built in {:.3f}s, compiled in {:.3f}s)",
                                  world.kustomizations.size(), total_objects, world_seconds, compile_seconds));
  report.row("runs", std::to_string(runs));

  // Repetitions alternate 1 and 2 jobs, so a burst of load from elsewhere hits both alike; best of each.
  std::vector<double> times[2], cpu[2];
  std::string reports[2];
  MonteCarloResult last;
  for (int rep = 0; rep < reps; ++rep) {
    for (unsigned jobs = 1; jobs <= 2; ++jobs) {
      MonteCarloOptions options;
      options.runs = static_cast<std::size_t>(runs);
      options.jobs = jobs;
      const double cpu_before = cpu_seconds();
      fb::Stopwatch clock;
      MonteCarloResult mc = run_monte_carlo(sim, world, scenario, options);
      times[jobs - 1].push_back(clock.seconds());
      cpu[jobs - 1].push_back(cpu_seconds() - cpu_before);
      reports[jobs - 1] = report_of(world, scenario, mc);
      last = std::move(mc);
    }
  }
  const double seconds[2] = {fb::best(times[0]), fb::best(times[1])};
  for (unsigned jobs = 1; jobs <= 2; ++jobs)
    report.row(fmt::format("{} job{}", jobs, jobs == 1 ? "" : "s"),
               fmt::format("{:.1f} runs/s  ({:.2f} M engine events/s)  wall {}s  cpu {:.3f}s", runs / seconds[jobs - 1],
                           static_cast<double>(last.simulated_events) / seconds[jobs - 1] / 1e6, fb::describe_reps(times[jobs - 1]),
                           fb::best(cpu[jobs - 1])));
  const double speedup = seconds[0] / seconds[1];
  const bool identical = reports[0] == reports[1];
  report.row("speed-up", fmt::format("{:.2f}x from 1 to 2 jobs (target >= 1.8x); CPU time 2 jobs / 1 job: {:.2f} (1.00 = no "
                                     "threading overhead; a lower speed-up then means the cores were busy elsewhere)",
                                     speedup, fb::best(cpu[1]) / fb::best(cpu[0])));
  report.row("2-job time", fmt::format("{:.3f}s (target < 10s for 1,000 runs of 1,000 Kustomizations)", seconds[1]));
  report.row("identical", identical ? "yes: the 1- and 2-job reports are the same bytes" : "NO: the reports differ (a bug)");
  if (last.time_to_ready_ms)
    report.row("time to ready", fmt::format("p50 {}  p90 {}  p99 {}  ({:.1f}% of runs)", format_duration(Duration{static_cast<std::int64_t>(last.time_to_ready_ms->p50)}),
                                            format_duration(Duration{static_cast<std::int64_t>(last.time_to_ready_ms->p90)}),
                                            format_duration(Duration{static_cast<std::int64_t>(last.time_to_ready_ms->p99)}),
                                            100.0 * last.ready_probability));
  report.result("kustomizations", std::to_string(world.kustomizations.size()));
  report.result("runs", std::to_string(runs));
  report.result("runs_per_s_1job", fmt::format("{:.1f}", runs / seconds[0]));
  report.result("runs_per_s_2jobs", fmt::format("{:.1f}", runs / seconds[1]));
  report.result("speedup", fmt::format("{:.2f}", speedup));
  report.result("seconds_2jobs", fmt::format("{:.3f}", seconds[1]));
  report.result("identical", identical ? "1" : "0");
  report.finish();
  // The per-job-count lines bench/run.sh reads (README.md: montecarlo_j1, montecarlo_j2).
  for (unsigned jobs = 1; jobs <= 2; ++jobs)
    fmt::print("RESULT montecarlo_j{} seconds={:.4f} runs_per_s={:.1f}\n", jobs, seconds[jobs - 1], runs / seconds[jobs - 1]);
  return identical ? 0 : 1;
}
