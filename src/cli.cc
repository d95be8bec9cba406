// SPDX-License-Identifier: Apache-2.0
// Placeholder until the command line lands; keeps the skeleton linking.
#include "fluxsim/cli.h"

#include <ostream>

namespace fluxsim {

ExitCode run_cli(int, const char* const*, std::ostream&, std::ostream& err) {
  err << "fluxsim: not implemented yet\n";
  return ExitCode::InternalError;
}

}  // namespace fluxsim
