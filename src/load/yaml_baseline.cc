// SPDX-License-Identifier: Apache-2.0
// The two parse entry points benchmarks compare: yaml-cpp's document API and the loader's reader.
#include <yaml-cpp/yaml.h>

#include <string>

#include "fluxsim/load.h"
#include "load/document.h"

namespace fluxsim {

long yaml_cpp_parse_documents(std::string_view text) {
  try {
    return static_cast<long>(YAML::LoadAll(std::string(text)).size());
  } catch (const std::exception&) {
    return -1;
  }
}

long loader_parse_documents(std::string_view text) {
  auto parsed = load::parse_yaml(text);
  return parsed.error ? -1 : static_cast<long>(parsed.documents.size());
}

}  // namespace fluxsim
