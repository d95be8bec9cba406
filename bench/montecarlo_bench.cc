// SPDX-License-Identifier: Apache-2.0
// Monte Carlo throughput: R runs of an N-Kustomization synthetic world at 1 and 2 threads, with the
// world compiled once (one Simulation shared by every run and thread). Prints runs per second at each
// thread count, the speed-up (target >= 1.8x from 1 to 2 threads) and the 2-thread wall time (target
// < 10 s for 1,000 runs of 1,000 Kustomizations on 2 cores); checks that both reports are identical.
//
//   montecarlo_bench [REPO] [--kustomizations N] [--runs R] [--objects-per-kustomization M] [--seed S] [--reps K]
//
// Each thread count is timed K times (default 3, alternating) and the best is reported.
//
// Without a repository directory the world is built in code (bench/synthetic_world.h, the shape of
// bench/gen_repo.py), so the bench does not depend on the repository loader.
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_util.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "fluxsim/monte_carlo.h"
#include "fluxsim/random.h"
#include "synthetic_world.h"

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
  World world_storage;
  if (!args.positional().empty()) {
    WorldLoad load = load_world(default_scenario_for_repo(args.positional()[0]));
    if (load.diagnostics.has_errors()) {
      fmt::print(stderr, "montecarlo_bench: {}\n", to_string(*load.diagnostics.first_error()));
      return 2;
    }
    world_storage = std::move(load.world);
    report.row("repository", args.positional()[0]);
  } else {
    world_storage = fb::synthetic_world(kustomizations, objects, static_cast<std::uint64_t>(seed));
  }
  const World& world = world_storage;
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
