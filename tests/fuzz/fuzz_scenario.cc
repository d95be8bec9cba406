// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the scenario decoder (parse_scenario) on arbitrary text. Any input must give a
// scenario or diagnostics, never a crash, a hang or unbounded memory (issue 15).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxsim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fluxsim::ScenarioLoad load = fluxsim::parse_scenario(text, "fuzz/scenario.yaml");
  (void)load;
  return 0;
}
