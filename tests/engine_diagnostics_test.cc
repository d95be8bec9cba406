// SPDX-License-Identifier: Apache-2.0
// A failing test for the lead (skipped by default: run with `fluxsim_tests --no-skip -tc="*match nothing*"`).
//
// Simulation declares `plan_` before `diagnostics_` (include/fluxsim/engine.h), so its constructor builds
// the Plan — which writes scenario errors into `diagnostics_` — before `diagnostics_` itself is constructed:
// the push_back lands in an unconstructed vector (undefined behaviour: a crash with a dirty stack), and the
// vector's own constructor then empties it. Scenario rules that match nothing are never reported, by
// `fluxsim run` or `fluxsim check`. Fix: declare `diagnostics_` before `plan_`.
#include <doctest/doctest.h>

#include "fluxsim/engine.h"
#include "world_builder.h"

using namespace fluxsim;

TEST_CASE("Simulation reports scenario rules that match nothing" * doctest::skip()) {
  test::WorldBuilder b;
  b.kustomization("a");
  Scenario s;
  s.provides.push_back({Match{"", "Deployment", "", "nobody", "", {"scenario.yaml", 50, 7}}, {"x.io/*"}, {"scenario.yaml", 50, 7}});
  Simulation sim(b.world(), s);
  REQUIRE(sim.diagnostics().size() == 1);
  CHECK(sim.diagnostics().items()[0].where == SourceLocation{"scenario.yaml", 50, 7});
}
