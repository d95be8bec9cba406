// SPDX-License-Identifier: Apache-2.0
// Where a run ends (RunResult::settled): at the horizon, or earlier once nothing can change any reported
// figure any more. Hand-computed cases show the run stopping and going on; a property check shows that
// stopping early reports what running to the horizon reports, over random worlds with faults and over
// the shipped scenarios.
#include <filesystem>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluxsim/analysis.h"
#include "fluxsim/critical_path.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"
#include "fluxsim/report.h"
#include "fluxsim/version.h"
#include "fluxsim/scenario.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;
using fluxsim::test::quiet_scenario;

namespace {

std::size_t index_of(const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.kustomizations.size(); ++i)
    if (w.kustomizations[i].ref.name == name) return i;
  throw std::runtime_error("no Kustomization");
}

Fault fault_on(Fault::Type type, std::string name, SimTime at) {
  Fault f;
  f.type = type;
  f.match.name = std::move(name);
  f.at = at;
  return f;
}

Fault restart_at(std::string controller, SimTime at) {
  Fault f;
  f.type = Fault::Type::ControllerRestart;
  f.controller = std::move(controller);
  f.at = at;
  return f;
}

RunResult to_horizon(const World& w, const Scenario& s) {
  EngineOptions o;
  o.run_to_horizon = true;
  return simulate(w, s, o);
}

std::string pass_line(const World& w, const RunResult& r, const PassRecord& p) {
  return fmt::format("{}/{}#{} {}..{} {} {} {}", static_cast<int>(p.controller), p.subject, p.number, to_ms(p.started_at),
                     p.ended_at == kNever ? -1 : to_ms(p.ended_at), to_string(p.outcome), to_string(p.reason), message(w, r, p));
}

std::string event_line(const World& w, const RunResult& r, const TraceEvent& e) {
  return fmt::format("{} {} {} {} {} {} {} {} {}", to_ms(e.at), to_string(e.type), static_cast<int>(e.controller), e.subject,
                     e.other, e.worker, e.value, to_string(e.reason), message(w, r, e));
}

// Stopping early must report what the horizon reports: every figure but those that grow with time.
void same_report(const World& w, const Scenario& s, const RunResult& early, const RunResult& full) {
  REQUIRE(!full.settled);
  REQUIRE(full.ended_at == full.horizon);
  CHECK(early.ended_at <= full.ended_at);
  CHECK(early.all_ready == full.all_ready);
  CHECK(early.time_to_ready == full.time_to_ready);
  CHECK(early.helm_ready_at == full.helm_ready_at);
  CHECK(early.source_ready_at == full.source_ready_at);
  REQUIRE(early.kustomizations.size() == full.kustomizations.size());
  std::vector<bool> running_at_horizon(full.kustomizations.size(), false);
  for (const PassRecord& p : full.passes)
    if (p.controller == Controller::Kustomize && p.outcome == PassOutcome::Running)
      running_at_horizon[static_cast<std::size_t>(p.subject)] = true;
  for (std::size_t k = 0; k < early.kustomizations.size(); ++k) {
    const KustomizationSummary& a = early.kustomizations[k];
    const KustomizationSummary& b = full.kustomizations[k];
    CAPTURE(w.kustomizations[k].ref.name);
    CHECK(a.created_at == b.created_at);
    CHECK(a.first_started_at == b.first_started_at);
    CHECK(a.first_applied_at == b.first_applied_at);
    CHECK(a.ready_at == b.ready_at);
    CHECK(a.attempts == b.attempts);
    CHECK(a.parent == b.parent);
    CHECK(a.passes <= b.passes);
    // A steady-state pass cut by the horizon shows Progressing there; between passes it is what the
    // settled run ends with.
    if (!running_at_horizon[k]) {
      CHECK(a.status == b.status);
      CHECK(a.reason == b.reason);
      CHECK(message(w, early, a) == message(w, full, b));
    }
  }
  if (early.all_ready) {
    REQUIRE(early.workers_until_ready.size() == full.workers_until_ready.size());
    for (std::size_t i = 0; i < early.workers_until_ready.size(); ++i) {
      CHECK(early.workers_until_ready[i].busy == full.workers_until_ready[i].busy);
      CHECK(early.workers_until_ready[i].saturated == full.workers_until_ready[i].saturated);
      CHECK(early.workers_until_ready[i].max_queue_depth == full.workers_until_ready[i].max_queue_depth);
    }
  }
  // The same run up to where the early one stopped: its events and passes are the full run's up to then.
  std::vector<std::string> prefix;
  for (const TraceEvent& e : full.events)
    if (e.at <= early.ended_at) prefix.push_back(event_line(w, full, e));
  std::vector<std::string> events;
  for (const TraceEvent& e : early.events) events.push_back(event_line(w, early, e));
  CHECK(events == prefix);
  std::vector<std::string> passes, full_passes;
  for (const PassRecord& p : early.passes) passes.push_back(pass_line(w, early, p));
  for (const PassRecord& p : full.passes)
    if (p.started_at <= early.ended_at) full_passes.push_back(pass_line(w, full, p));
  CHECK(passes == full_passes);
  CHECK(critical_path(w, s, early).summary == critical_path(w, s, full).summary);
  const auto ea = check_expectations(s, w, early), fa = check_expectations(s, w, full);
  REQUIRE(ea.size() == fa.size());
  for (std::size_t i = 0; i < ea.size(); ++i) {
    CHECK(ea[i].met == fa[i].met);
    CHECK(ea[i].detail == fa[i].detail);
  }
}

// Random worlds as tests/property_test.cc draws them, plus faults: objects Current only after a time,
// failing from a time, never Ready, failed applies, controller restarts, source outages.
struct RandomWorld {
  WorldBuilder builder;
  Scenario scenario;
};

RandomWorld random_world(std::uint64_t seed) {
  Rng rng(seed);
  auto below = [&](std::uint64_t n) { return n == 0 ? 0 : rng.next() % n; };
  RandomWorld rw;
  const int n = 2 + static_cast<int>(below(12));
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    std::string name = fmt::format("k{:02}", i);
    std::string parent = names.empty() || below(3) == 0 ? "flux-system" : names[below(names.size())];
    Kustomization& k = rw.builder.kustomization(name, parent);
    k.wait = below(2) == 0;
    k.interval = std::chrono::minutes(1 + below(10));
    if (below(4) == 0) k.retry_interval = std::chrono::seconds(30 + below(120));
    for (std::uint64_t d = below(3); d > 0 && !names.empty(); --d) rw.builder.depends_on(name, names[below(names.size())]);
    for (std::uint64_t o = below(3); o > 0; --o)
      rw.builder.object(name, "apps/v1", "Deployment", "default", fmt::format("{}-d{}", name, o));
    rw.builder.object(name, "v1", "ConfigMap", "default", name + "-cm");
    names.push_back(name);
  }
  Scenario& s = rw.scenario;
  s.controllers.kustomize.concurrent = 1 + static_cast<int>(below(4));
  s.seed = seed;
  s.horizon = 3h;
  s.timing.ready.push_back({Match{"", "Deployment", "", "", "", {}}, parse_distribution("uniform(5s, 2m)").value});
  s.timing.build = parse_distribution("uniform(500ms, 3s)").value;
  const std::string some = names[below(names.size())];
  switch (below(7)) {
    case 0: break;
    case 1: s.faults.push_back(fault_on(Fault::Type::ReadyAt, some + "-d1", at_ms(60'000 * static_cast<std::int64_t>(1 + below(90))))); break;
    case 2: s.faults.push_back(fault_on(Fault::Type::FailedAt, some + "-d1", at_ms(60'000 * static_cast<std::int64_t>(1 + below(90))))); break;
    case 3: s.faults.push_back(fault_on(Fault::Type::NeverReady, some + "-d1", SimTime{})); break;
    case 4: {
      Fault f;
      f.type = Fault::Type::FailApplies;
      f.match.name = some;
      f.count = 1 + static_cast<int>(below(3));
      s.faults.push_back(f);
      break;
    }
    case 5: s.faults.push_back(restart_at(below(2) ? "kustomize" : "source", at_ms(60'000 * static_cast<std::int64_t>(1 + below(90))))); break;
    default: {
      Fault f;
      f.type = Fault::Type::SourceUnavailable;
      f.match.name = "flux-system";
      f.from = at_ms(60'000 * static_cast<std::int64_t>(below(30)));
      f.until = f.from + std::chrono::minutes(1 + below(30));
      s.faults.push_back(f);
      break;
    }
  }
  return rw;
}

}  // namespace

TEST_CASE("a run ends when every Kustomization is Ready and nothing lies ahead") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario();
  RunResult r = simulate(w, s);
  // engine_test's chain: c is Ready at 153580, the last of them; the root (next pass at 10m), a and b
  // are between passes, every Deployment is Current: from here on only interval passes repeat.
  CHECK(r.settled);
  CHECK(to_ms(r.ended_at) == 153580);
  CHECK(to_ms(r.time_to_ready) == 153580);
  CHECK(coverage(r) == "simulated until 2m33.58s, when nothing could change any more; horizon 1h");
  // Pass counts cover [0, 2m33.58s): a's one pass, b's three (two DependencyNotReady), c's five.
  CHECK(r.kustomizations[index_of(w, "a")].passes == 1);
  CHECK(r.kustomizations[index_of(w, "b")].passes == 3);
  CHECK(r.kustomizations[index_of(w, "c")].passes == 5);
  CHECK(r.workers[0].end == r.ended_at);

  RunResult full = to_horizon(w, s);
  CHECK(!full.settled);
  CHECK(full.ended_at == SimTime{1h});
  CHECK(coverage(full) == "horizon 1h");
  same_report(w, s, r, full);
}

TEST_CASE("an object failing from a time keeps its waiting Kustomization from Ready: the run goes to the horizon") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario();
  // failedAt: a-app is InProgress until 20m, then Failed; it is never Current, so a's health check never
  // passes (it fails at its timeout, 9m30s, and again every retryInterval) and b and c wait on a.
  s.faults.push_back(fault_on(Fault::Type::FailedAt, "a-app", at_ms(1'200'000)));
  RunResult r = simulate(w, s);
  CHECK(!r.settled);
  CHECK(r.ended_at == SimTime{1h});
  CHECK(r.kustomizations[index_of(w, "a")].status == ReadyStatus::False);
  CHECK(r.kustomizations[index_of(w, "a")].reason == Reason::HealthCheckFailed);
}

TEST_CASE("a controller restart ahead keeps the run going; it settles once the restart's passes are done") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario();
  s.faults.push_back(restart_at("kustomize", at_ms(1'800'000)));
  RunResult r = simulate(w, s);
  // Everything is Ready by 153580, but the restart at 30m re-lists and re-runs every Kustomization.
  CHECK(r.settled);
  CHECK(r.ended_at > at_ms(1'800'000));
  CHECK(r.ended_at < SimTime{1h});
  same_report(w, s, r, to_horizon(w, s));
}

TEST_CASE("an object that becomes Current only later keeps the run going until it is") {
  WorldBuilder b;
  b.kustomization("app");  // no wait: Ready once applied
  b.object("app", "apps/v1", "Deployment", "default", "slow");
  Scenario s = quiet_scenario();
  s.faults.push_back(fault_on(Fault::Type::ReadyAt, "slow", at_ms(900'000)));
  RunResult r = simulate(b.world(), s);
  CHECK(r.all_ready);
  CHECK(to_ms(r.time_to_ready) < 10'000);
  // The Deployment turns Current at 15m: until then a health check (or a kind it registers) could still
  // change. The first instant after 15m with no pass in flight is 15m itself.
  CHECK(r.settled);
  CHECK(to_ms(r.ended_at) == 900'000);
}

TEST_CASE("a source outage ahead keeps the run going until it is over") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario();
  Fault f;
  f.type = Fault::Type::SourceUnavailable;
  f.match.name = "flux-system";
  f.from = at_ms(600'000);
  f.until = at_ms(1'200'000);
  s.faults.push_back(f);
  RunResult r = simulate(w, s);
  CHECK(r.settled);
  CHECK(r.ended_at >= at_ms(1'200'000));
  same_report(w, s, r, to_horizon(w, s));
}

TEST_CASE("a run that never gets every Kustomization Ready goes to the horizon") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario();
  s.faults.push_back(fault_on(Fault::Type::NeverReady, "c-app", SimTime{}));
  RunResult r = simulate(w, s);
  CHECK(!r.settled);
  CHECK(r.ended_at == SimTime{1h});
  CHECK(!r.all_ready);
}

TEST_CASE("a HelmRelease must be Ready too before the run ends") {
  WorldBuilder b;
  b.kustomization("infra");
  b.helm_repository("infra", "charts");
  b.helm_release("infra", "podinfo", "charts");
  const World& w = b.world();
  Scenario s = quiet_scenario();
  RunResult r = simulate(w, s);
  REQUIRE(r.helm_ready_at.size() == 1);
  CHECK(r.helm_ready_at[0] != kNever);
  CHECK(r.settled);
  CHECK(r.ended_at >= r.helm_ready_at[0]);
  same_report(w, s, r, to_horizon(w, s));
}

TEST_CASE("on random worlds with faults: stopping when nothing can change reports what the horizon does") {
  int settled = 0;
  for (std::uint64_t seed = 1; seed <= 80; ++seed) {
    CAPTURE(seed);
    RandomWorld rw = random_world(seed);
    const World& w = rw.builder.world();
    RunResult early = simulate(w, rw.scenario);
    settled += early.settled ? 1 : 0;
    same_report(w, rw.scenario, early, to_horizon(w, rw.scenario));
  }
  MESSAGE("random worlds that settled before the horizon: ", settled, " of 80");
  CHECK(settled > 20);  // the property says something only if many runs stop early
}

TEST_CASE("on the shipped scenarios: stopping when nothing can change reports what the horizon does") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(FLUXSIM_SOURCE_DIR) / "scenarios";
  std::vector<fs::path> files;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.path().extension() == ".yaml" && entry.path().parent_path().parent_path() == dir) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  MESSAGE("shipped scenarios compared: ", files.size());
  for (const fs::path& file : files) {
    CAPTURE(file.string());
    ScenarioLoad l = load_scenario(file.string());
    REQUIRE(l.diagnostics.empty());
    WorldLoad wl = load_world(l.scenario);
    apply_controller_flags(l.scenario, wl.world, wl.world.diagnostics);
    apply_world_assumptions(l.scenario, wl.world);
    Simulation sim(wl.world, l.scenario);
    RunResult early = sim.run();
    EngineOptions o;
    o.run_to_horizon = true;
    same_report(wl.world, l.scenario, early, sim.run(o));
  }
}

TEST_CASE("every report of a settled run says what it covers") {
  WorldBuilder b = test::chain_of_three();
  const World& w = b.world();
  Scenario s = quiet_scenario("chain");
  const RunResult r = simulate(w, s);
  REQUIRE(r.settled);
  const RunReport report{s, w, r, {}};
  const std::string covered = "simulated until 2m33.58s, when nothing could change any more; horizon 1h";
  auto render = [&](void (*write)(const RunReport&, std::ostream&)) {
    std::ostringstream out;
    write(report, out);
    return out.str();
  };
  CHECK(render(write_table).starts_with("fluxsim " + std::string(kVersion) + " — scenario chain (seed 1, " + covered + ")\n"));
  const auto json = nlohmann::json::parse(render(write_json));
  CHECK(json["endedMs"] == 153580);
  CHECK(json["settled"] == true);
  CHECK(json["coverage"] == covered);
  CHECK(nlohmann::json::parse(render(write_chrome_trace))["otherData"]["coverage"] == covered);
  CHECK(render(write_html).find(covered) != std::string::npos);
  CHECK(render(write_svg_gantt).find(covered) != std::string::npos);
  CHECK(render(write_mermaid_gantt).find("%% " + covered) != std::string::npos);
  std::ostringstream end;
  write_run_end_line(r, end);
  const auto line = nlohmann::json::parse(end.str());
  CHECK(line["type"] == "RunEnded");
  CHECK(line["atMs"] == 153580);
  CHECK(line["reason"] == "Settled");
  CHECK(line["message"] == covered);
}
