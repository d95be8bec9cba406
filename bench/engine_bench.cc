// SPDX-License-Identifier: Apache-2.0
// The engine alone: how long simulate() takes on an N-Kustomization hierarchy over a long horizon,
// and how that grows with N. The world is built in code (bench/synthetic_world.h, the shape of
// gen_repo.py) or, with a repository directory, loaded first (load time not counted here).
//
//   engine_bench [REPO] [--kustomizations N] [--objects M] [--horizon 24h] [--reps K] [--to-horizon 1]
//
// --to-horizon 1: keep simulating steady state until the horizon (EngineOptions::run_to_horizon) instead
// of stopping once nothing can change: every interval re-run is recorded, the recording path's worst case.
//
// It also prints the recording path against the Monte Carlo path (issue 13): CPU seconds, heap
// allocations and bytes allocated by one run with recording off and on, and the record sizes.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <new>

#include "bench_util.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "synthetic_world.h"

using namespace fluxsim;

// Every heap allocation of this process, counted (the bench's own: the engine is unchanged). GCC cannot
// see that these replace the global pair, and warns about free() on new'd pointers once inlined.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<std::uint64_t> g_allocations{0}, g_bytes{0};
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const int n = args.get_int("kustomizations", 10'000);
  const int m = args.get_int("objects", 16);
  const int reps = args.get_int("reps", 3);
  const bool to_horizon = args.get_int("to-horizon", 0) != 0;
  DurationParse horizon = parse_duration(args.get("horizon", "24h"));
  if (!args.error().empty() || !horizon.value) {
    std::fprintf(stderr, "engine_bench: %s\n", !args.error().empty() ? args.error().c_str() : horizon.error.c_str());
    return 2;
  }
  World world;
  std::string what;
  if (!args.positional().empty()) {
    Scenario s = default_scenario_for_repo(args.positional()[0]);
    WorldLoad load = load_world(s);
    if (load.diagnostics.has_errors()) {
      std::fprintf(stderr, "engine_bench: %s\n", to_string(*load.diagnostics.first_error()).c_str());
      return 2;
    }
    world = std::move(load.world);
    what = args.positional()[0];
  } else {
    world = bench::synthetic_world(n, m);
    what = fmt::format("synthetic, {} Kustomizations x {} objects", n, m);
  }
  Scenario scenario;
  scenario.horizon = *horizon.value;
  std::size_t objects = 0;
  for (const Kustomization& k : world.kustomizations) objects += k.objects.size();

  bench::Report report("engine", "simulate() alone, no I/O");
  report.row("world", what);
  report.row("size", fmt::format("{} Kustomizations, {} objects", world.kustomizations.size(), objects));
  report.row("horizon", format_duration(scenario.horizon));
  Simulation sim(world, scenario);
  RunResult last;
  EngineOptions quiet;
  quiet.record = false;
  quiet.run_to_horizon = to_horizon;
  auto seconds = bench::time_reps(reps, [&] { last = sim.run(quiet); });
  EngineOptions recorded;
  recorded.run_to_horizon = to_horizon;
  auto rec_seconds = bench::time_reps(1, [&] { last = sim.run(recorded); });
  const double best = bench::best(seconds);
  const double eps = static_cast<double>(last.simulated_events) / best;
  report.row("seconds", bench::describe_reps(seconds));
  report.row("recording", fmt::format("{:.3f} s with the full trace ({} events, {} passes)", bench::best(rec_seconds),
                                      last.events.size(), last.passes.size()));
  report.row("events", fmt::format("{} simulated ({:.2f} M/s)", last.simulated_events, eps / 1e6));
  report.row("all ready", last.all_ready ? format_time(last.time_to_ready) : std::string("no"));
  // Recording off (the Monte Carlo path) against on: best CPU of K runs, allocations of one.
  auto measure = [&](const EngineOptions& options, const char* label) {
    double cpu = 1e300;
    std::uint64_t allocations = 0, bytes = 0;
    for (int i = 0; i < reps; ++i) {
      const std::uint64_t a0 = g_allocations.load(), b0 = g_bytes.load();
      const double c0 = cpu_seconds();
      RunResult r = sim.run(options);
      cpu = std::min(cpu, cpu_seconds() - c0);
      allocations = g_allocations.load() - a0;
      bytes = g_bytes.load() - b0;
      last = std::move(r);
    }
    report.row(label, fmt::format("{:.3f} s CPU, {} allocations, {:.1f} MiB allocated ({} events, {} passes kept)", cpu,
                                  allocations, static_cast<double>(bytes) / (1024.0 * 1024.0), last.events.size(),
                                  last.passes.size()));
    return cpu;
  };
  const double off = measure(quiet, "recording off");
  const double on = measure(recorded, "recording on");
  report.row("recording cost", fmt::format("{:.2f}x the Monte Carlo path", off > 0 ? on / off : 0.0));
  report.row("record sizes", fmt::format("sizeof(TraceEvent) {} B, sizeof(PassRecord) {} B, sizeof(KustomizationSummary) {} B",
                                         sizeof(TraceEvent), sizeof(PassRecord), sizeof(KustomizationSummary)));
  report.row("peak RSS", fmt::format("{:.1f} MiB", bench::peak_rss_mib()));
  report.result("seconds", fmt::format("{:.4f}", best));
  report.result("events", std::to_string(last.simulated_events));
  report.result("events_per_s", fmt::format("{:.0f}", eps));
  report.result("kustomizations", std::to_string(world.kustomizations.size()));
  report.result("recording_cpu_ratio", fmt::format("{:.3f}", off > 0 ? on / off : 0.0));
  report.finish();
  return 0;
}
