// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: `--set PATH=VALUE` and `--sweep PATH=V1,V2` on a small valid scenario. The input's
// first line is the path, the rest the value (and the whole input is also read as a --sweep argument).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fluxsim/scenario.h"
#include "fluxsim/sweep.h"

namespace {

constexpr std::string_view kScenario = R"(apiVersion: fluxsim/v1alpha1
kind: Scenario
metadata: {name: fuzz}
spec:
  repo: repo
  entry: clusters/test
  controllers:
    kustomize: {concurrent: 4, requeueDependency: 30s}
  timing:
    ready:
      - match: {kind: Deployment}
        after: uniform(10s, 20s)
  horizon: 1h
  runs: 1
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string path(input.substr(0, nl));
  std::string value(nl == std::string_view::npos ? std::string_view{} : input.substr(nl + 1));
  fluxsim::ScenarioLoad load = fluxsim::parse_scenario(kScenario, "fuzz/scenario.yaml", {{path, value}});
  (void)load;
  fluxsim::SweepParse sweep = fluxsim::parse_sweep(input);
  if (sweep.sweep && sweep.sweep->values.size() <= 16) {
    for (const std::string& v : sweep.sweep->values) {
      fluxsim::ScenarioLoad one = fluxsim::parse_scenario(kScenario, "fuzz/scenario.yaml", {{sweep.sweep->path, v}});
      (void)one;
    }
  }
  return 0;
}
