// SPDX-License-Identifier: Apache-2.0
// The command line: sub-command table, flag parsing and exit codes. The only user of
// Boost.Program_options (src/cli.cc).
#pragma once

#include <iosfwd>

namespace fluxsim {

/// Process exit codes (product.md §1).
enum class ExitCode : int {
  Ok = 0,
  Failed = 1,         ///< the simulation ran, but an expectation or check failed
  BadInput = 2,       ///< bad scenario, flag or repository; the message names the file (and line)
  InternalError = 3,  ///< a bug in fluxsim
};

/// Runs fluxsim with the given arguments, writing the report to `out` and messages to `err`.
ExitCode run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace fluxsim
