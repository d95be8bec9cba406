// SPDX-License-Identifier: Apache-2.0
// fluxsim compare: observed vs predicted Ready times, matched by kind, namespace and name, from a common
// origin (the first creation among the matched objects on each side).
#include <sstream>

#include <doctest/doctest.h>

#include "fluxsim/compare.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace fluxsim::test;

namespace {

ObservedObject observed(std::string kind, std::string name, std::int64_t created, std::optional<std::int64_t> ready) {
  ObservedObject o;
  o.kind = std::move(kind);
  o.ns = "flux-system";
  o.name = std::move(name);
  o.created_ms = created;
  o.ready_ms = ready;
  o.ready = ready.has_value();
  return o;
}

}  // namespace

TEST_CASE("compare: per object and overall, with the error") {
  WorldBuilder b;
  b.kustomization("infra");
  b.kustomization("apps");
  World w = b.world();
  RunResult r;
  r.kustomizations.resize(3);
  // Predicted: the root created at 0, infra and apps at 2 s; Ready at 5 s, 12 s and 30 s.
  r.kustomizations[0].created_at = at_ms(0);
  r.kustomizations[0].ready_at = at_ms(5'000);
  r.kustomizations[1].created_at = at_ms(2'000);
  r.kustomizations[1].ready_at = at_ms(12'000);
  r.kustomizations[2].created_at = at_ms(2'000);
  r.kustomizations[2].ready_at = at_ms(30'000);
  Observed o;
  o.file = "observed.json";
  o.objects.push_back(observed("Kustomization", "flux-system", 0, 4'000));
  o.objects.push_back(observed("Kustomization", "infra", 3'000, 10'000));
  o.objects.push_back(observed("Kustomization", "apps", 3'000, 40'000));
  o.objects.push_back(observed("Kustomization", "elsewhere", 3'000, 1'000));
  const Comparison c = compare_with_observed(o, w, r);
  REQUIRE(c.rows.size() == 3);
  CHECK(c.matched == 3);
  CHECK(c.only_observed == std::vector<std::string>{"Kustomization/flux-system/elsewhere"});
  CHECK(c.observed_total_ms == 40'000);
  CHECK(c.predicted_total_ms == 30'000);
  // |5-4| + |12-10| + |30-40| = 13 s over 3 objects.
  CHECK(c.mean_abs_error_ms == doctest::Approx(13'000.0 / 3));
  CHECK(percent_error(c.observed_total_ms, c.predicted_total_ms) == "-25.0%");
  std::ostringstream table;
  write_comparison_table(c, "observed.json", "s", table);
  CHECK(table.str().find("Time to full readiness: observed 40s, predicted 30s, error -25.0%") != std::string::npos);
  CHECK(table.str().find("-10s") != std::string::npos);
}

TEST_CASE("compare: a side that never got Ready has no total") {
  WorldBuilder b;
  b.kustomization("apps");
  World w = b.world();
  RunResult r;
  r.kustomizations.resize(2);
  r.kustomizations[0].created_at = at_ms(0);
  r.kustomizations[0].ready_at = at_ms(5'000);
  r.kustomizations[1].created_at = at_ms(1'000);  // never Ready
  Observed o;
  o.objects.push_back(observed("Kustomization", "flux-system", 0, 4'000));
  o.objects.push_back(observed("Kustomization", "apps", 1'000, 9'000));
  const Comparison c = compare_with_observed(o, w, r);
  CHECK(c.matched == 1);
  CHECK(c.observed_total_ms == 9'000);
  CHECK_FALSE(c.predicted_total_ms.has_value());
  CHECK(percent_error(c.observed_total_ms, c.predicted_total_ms) == "n/a");
}
