// SPDX-License-Identifier: Apache-2.0
// The capacity model (capacity.h): its limits (no budget or a large one = today's timings to the
// millisecond; a small one slows every pass) and the direction kustomize-controller#816 reports (on a
// constrained controller, more workers can finish later).
#include <doctest/doctest.h>

#include "cli_runner.h"
#include "fluxsim/capacity.h"
#include "fluxsim/engine.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace fluxsim::test;

namespace {

// n Kustomizations applied by the root, each wait: true on one Deployment.
World waiting_world(int n) {
  WorldBuilder b;
  for (int i = 0; i < n; ++i) {
    const std::string name = "app-" + std::to_string(i);
    b.kustomization(name).wait = true;
    b.object(name, "apps/v1", "Deployment", "default", name);
  }
  return b.world();
}

Scenario with_timing(Duration build, Duration deployment_ready, int workers, double cpu) {
  Scenario s = quiet_scenario("capacity");
  s.timing.build = Distribution::fixed(build);
  ReadyRule r;
  r.match.kind = "Deployment";
  r.after = Distribution::fixed(deployment_ready);
  s.timing.ready.push_back(r);
  s.controllers.kustomize.concurrent = workers;
  s.controllers.kustomize.cpu_limit = cpu;
  return s;
}

}  // namespace

TEST_CASE("capacity: no budget, or demand within it, leaves the work as it is") {
  const CapacityParams p;
  CHECK(stretch_factor(p, {0, 50, 50}) == 1.0);       // no limit
  CHECK(stretch_factor(p, {1.0, 4, 0}) == 1.0);       // 4 x 0.25 = 1 core: exactly the budget
  CHECK(stretch(Duration{1234}, 1.0) == Duration{1234});
}

TEST_CASE("capacity: over the budget, work stretches by load x (1 + contention x (load - 1))") {
  const CapacityParams p;  // passCpu 0.25, pollCpu 0.02, contention 1.3
  // 8 working passes want 2 cores of a 1-core budget: load 2, factor 2 x (1 + 1.3 x 1) = 4.6.
  CHECK(stretch_factor(p, {1.0, 8, 0}) == doctest::Approx(4.6));
  // 4 working + 50 waiting: (1 + 1) / 1 = 2 again: polling workers count too.
  CHECK(stretch_factor(p, {1.0, 4, 50}) == doctest::Approx(4.6));
  CHECK(stretch(Duration{1000}, 4.6) == Duration{4600});
  CapacityParams sharing_only = p;
  sharing_only.contention = 0;
  CHECK(stretch_factor(sharing_only, {1.0, 8, 0}) == doctest::Approx(2.0));
}

TEST_CASE("capacity: CPU quantities as Kubernetes writes them") {
  CHECK(parse_cpu_quantity("2") == 2.0);
  CHECK(parse_cpu_quantity("1.5") == 1.5);
  CHECK(parse_cpu_quantity("500m") == 0.5);
  CHECK_FALSE(parse_cpu_quantity("two").has_value());
  CHECK_FALSE(parse_cpu_quantity("-1").has_value());
  CHECK_FALSE(parse_cpu_quantity("m").has_value());
}

TEST_CASE("capacity: a large budget gives today's timeline exactly") {
  const World w = waiting_world(12);
  const RunResult today = simulate(w, with_timing(Duration{1000}, Duration{7000}, 4, 0));
  const RunResult large = simulate(w, with_timing(Duration{1000}, Duration{7000}, 4, 1000));
  REQUIRE(today.all_ready);
  CHECK(large.time_to_ready == today.time_to_ready);
  for (std::size_t k = 0; k < w.kustomizations.size(); ++k) CHECK(large.kustomizations[k].ready_at == today.kustomizations[k].ready_at);
}

TEST_CASE("capacity: a small budget slows the rollout") {
  const World w = waiting_world(12);
  const RunResult today = simulate(w, with_timing(Duration{1000}, Duration{7000}, 4, 0));
  const RunResult tight = simulate(w, with_timing(Duration{1000}, Duration{7000}, 4, 0.25));
  REQUIRE(tight.all_ready);
  CHECK(tight.time_to_ready > today.time_to_ready);
}

TEST_CASE("capacity: on one CPU, 20 workers finish later than 8 (kustomize-controller#816's direction)") {
  // 200 Kustomizations whose passes carry 4 s of work and one 5 s health poll: 4 workers want exactly
  // the one core (4 x 0.25), so 8 workers help; 20 building at once want 5 cores, and the contention
  // term makes their work grow faster than the workers do.
  const World w = waiting_world(200);
  auto ready = [&](int workers) {
    return simulate(w, with_timing(Duration{4000}, Duration{2500}, workers, 1.0)).time_to_ready;
  };
  const SimTime at4 = ready(4), at8 = ready(8), at20 = ready(20);
  CHECK(at8 < at4);
  CHECK(at20 > at8);
  // Without a budget more workers always help.
  CHECK(simulate(w, with_timing(Duration{4000}, Duration{2500}, 20, 0)).time_to_ready < at8);
}

TEST_CASE("capacity: the CPU limit comes from the controller Deployment in the repository") {
  TempDir dir("fluxsim-capacity-repo");
  write_app_repo(dir);
  dir.write("repo/clusters/test/flux-system/gotk-components.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: kustomize-controller
  namespace: flux-system
spec:
  template:
    spec:
      containers:
      - name: manager
        args: [--concurrent=8]
        resources:
          limits:
            cpu: 500m
)");
  const CliResult r = run_fluxsim({"run", dir.path("repo"), "--entry", "clusters/test", "-o", "json"});
  CHECK(r.code == ExitCode::Ok);
  CHECK(r.out.find("resources.limits.cpu=500m on kustomize-controller") != std::string::npos);
  // A scenario's own cpu wins, and a bad one is an error at its line.
  const std::string bad = dir.write("bad.yaml", "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {name: x}\nspec:\n"
                                                "  repo: repo\n  entry: clusters/test\n  controllers:\n    kustomize:\n      cpu: lots\n");
  const CliResult b = run_fluxsim({"run", bad});
  CHECK(b.code == ExitCode::BadInput);
  CHECK(b.err.find("bad.yaml:9") != std::string::npos);
}
