// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: Go durations (parse_duration) and their printing: whatever parses prints as text
// that parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fluxsim/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fluxsim::DurationParse d = fluxsim::parse_duration(text);
  if (!d.value) return 0;
  fluxsim::DurationParse again = fluxsim::parse_duration(fluxsim::format_duration(*d.value));
  if (!again.value || *again.value != *d.value) std::abort();
  return 0;
}
