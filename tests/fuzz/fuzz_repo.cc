// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: a repository of a few files, loaded through the in-memory FileSource the tests use
// and then checked (graph, cycles, ordering checks). The input is split at lines "#### " into files:
// the first part is the entry's Flux objects (clusters/test/flux.yaml), then apps/kustomization.yaml,
// apps/a.yaml, apps/b.yaml, apps/base/kustomization.yaml, apps/base/c.yaml; "#### PATH" names a part's
// file instead.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

#include "fluxsim/check.h"
#include "fluxsim/load.h"
#include "fluxsim/scenario.h"
#include "test_util.h"

namespace {

constexpr const char* kDefaultPaths[] = {"clusters/test/flux.yaml", "apps/kustomization.yaml", "apps/a.yaml",
                                         "apps/b.yaml", "apps/base/kustomization.yaml", "apps/base/c.yaml"};

bool safe_path(std::string_view p) {
  if (p.empty() || p.size() > 64 || p.front() == '/') return false;
  for (char c : p)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '-' || c == '_')) return false;
  return p.find("..") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fluxsim::test::MemoryFileSource files;
  std::size_t part = 0, pos = 0;
  std::string path = kDefaultPaths[0];
  while (pos <= input.size() && part < 12) {
    std::size_t next = input.find("\n#### ", pos);
    std::string_view text = input.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    files.add(path, std::string(text));
    if (next == std::string_view::npos) break;
    std::size_t eol = input.find('\n', next + 6);
    std::string_view name = input.substr(next + 6, eol == std::string_view::npos ? std::string_view::npos : eol - next - 6);
    ++part;
    path = safe_path(name) ? std::string(name)
                           : std::string(kDefaultPaths[part < std::size(kDefaultPaths) ? part : std::size(kDefaultPaths) - 1]);
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  fluxsim::LoadOptions options;
  options.entry = "clusters/test";
  fluxsim::WorldLoad load = fluxsim::load_world(files, "fuzz-repo", options);
  if (!load.diagnostics.has_errors()) {
    fluxsim::Scenario scenario = fluxsim::default_scenario_for_repo("fuzz-repo");
    fluxsim::CheckResult result = fluxsim::check_world(load.world, scenario);
    (void)result;
  }
  return 0;
}
