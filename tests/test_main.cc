// SPDX-License-Identifier: Apache-2.0
// doctest's main, plus one rule: when a test case skipped (tests/skip.h), nothing failed, and
// FLUXSIM_SKIP_RETURN_CODE is set (CTest sets it, with the SKIP_RETURN_CODE property), exit with that
// code so the test is reported as skipped, never as passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "skip.h"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int status = context.run();
  if (context.shouldExit() || status != 0) return status;
  const auto& skipped = fluxsim::test::skipped_reasons();
  if (skipped.empty()) return 0;
  std::cout << "fluxsim_tests: " << skipped.size() << " test case(s) skipped:\n";
  for (const std::string& reason : skipped) std::cout << "  " << reason << '\n';
  const char* code = std::getenv("FLUXSIM_SKIP_RETURN_CODE");
  return code && *code ? std::atoi(code) : 0;
}
