// SPDX-License-Identifier: Apache-2.0
// Scenario rules that cannot apply to the world are errors before anything runs (the Plan reports
// into Simulation::diagnostics while it is built, so that list must exist first).
#include <doctest/doctest.h>

#include "fluxsim/engine.h"
#include "world_builder.h"

using namespace fluxsim;

TEST_CASE("Simulation reports scenario rules that match nothing") {
  test::WorldBuilder b;
  b.kustomization("a");
  Scenario s;
  s.provides.push_back({Match{"", "Deployment", "", "nobody", "", {"scenario.yaml", 50, 7}}, {"x.io/*"}, {"scenario.yaml", 50, 7}});
  Simulation sim(b.world(), s);
  REQUIRE(sim.diagnostics().size() == 1);
  CHECK(sim.diagnostics().items()[0].where == SourceLocation{"scenario.yaml", 50, 7});
}
