// SPDX-License-Identifier: Apache-2.0
// Skipping a test case honestly. A case that cannot run here (no corpus of real repositories, no
// kubectl) calls skip("why") and returns; test_main.cc then exits with FLUXSIM_SKIP_RETURN_CODE
// (set by CTest, see tests/golden.cmake) when nothing failed, so `ctest` lists the test as skipped
// instead of passed. Run by hand, the binary still exits 0 and prints the reason.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace fluxsim::test {

/// The reasons given by skipped test cases of this process, in order.
inline std::vector<std::string>& skipped_reasons() {
  static std::vector<std::string> reasons;
  return reasons;
}

/// Records that the current test case cannot run here, and why; the caller returns right after.
inline void skip(const std::string& reason) {
  skipped_reasons().push_back(reason);
  std::cout << "SKIPPED: " << reason << std::endl;
}

}  // namespace fluxsim::test
