// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "fluxsim/cli.h"

int main(int argc, char** argv) {
  return static_cast<int>(fluxsim::run_cli(argc, argv, std::cout, std::cerr));
}
