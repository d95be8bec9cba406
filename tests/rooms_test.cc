// SPDX-License-Identifier: Apache-2.0
// The rooms of README "How the code is laid out" and what may depend on what: src/flux/ (Flux's rules)
// only on public headers; src/sim/ (the engine's insides) on src/flux/, never on the loader, the reports
// or the command pipeline; src/sim/ is private to the engine; src/app/ (the pipeline) only for cli.cc.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <doctest/doctest.h>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool includes(const std::string& text, const std::string& dir) { return text.find("#include \"" + dir) != std::string::npos; }

}  // namespace

TEST_CASE("each room depends only on what README allows") {
  const fs::path root = FLUXSIM_SOURCE_DIR;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
    if (!entry.is_regular_file()) continue;
    const std::string rel = fs::relative(entry.path(), root / "src").generic_string();
    const std::string text = slurp(entry.path());
    INFO(rel);
    ++files;
    if (rel.starts_with("flux/")) {
      CHECK_FALSE(includes(text, "sim/"));
      CHECK_FALSE(includes(text, "app/"));
      CHECK_FALSE(includes(text, "load/"));
      CHECK_FALSE(includes(text, "report/"));
    }
    if (rel.starts_with("sim/")) {
      CHECK_FALSE(includes(text, "app/"));
      CHECK_FALSE(includes(text, "load/"));
      CHECK_FALSE(includes(text, "report/"));
    }
    if (!rel.starts_with("sim/") && rel != "engine.cc") CHECK_FALSE(includes(text, "sim/"));
    if (!rel.starts_with("app/") && rel != "cli.cc") CHECK_FALSE(includes(text, "app/"));
  }
  CHECK(files > 30);
}

TEST_CASE("the Flux rules that had copies are written once") {
  // Each rule's tell-tale, and the one file allowed to spell it out.
  const fs::path root = FLUXSIM_SOURCE_DIR;
  struct Rule {
    const char* text;
    const char* home;
  };
  const Rule rules[] = {
      {"\"flowcontrol.apiserver.k8s.io\"", "flux/kinds.cc"},                    // the Kubernetes API groups
      {"glob_match(pattern.substr(0, slash)", "flux/kinds.cc"},                 // provides patterns
      {"* (2.0 * ", "flux/defaults.cc"},                                        // interval jitter
      {"\"kube-node-lease\"", "flux/kinds.h"},                                   // built-in namespaces
      {"\"PodDisruptionBudget\"", "flux/apply.cc"},                             // SSA kind order
      {"health_checks)", "flux/health.cc"},                                     // health-check targets
      {"300'000", "flux/defaults.h"},                                           // HelmRelease timeout
  };
  for (const Rule& rule : rules) {
    INFO(rule.text);
    int homes = 0, copies = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
      if (!entry.is_regular_file()) continue;
      const std::string rel = fs::relative(entry.path(), root / "src").generic_string();
      if (rel.starts_with("load/") || rel.starts_with("report/gantt")) continue;  // the loader has its own vocabulary
      if (slurp(entry.path()).find(rule.text) == std::string::npos) continue;
      if (rel == rule.home) ++homes;
      else {
        INFO(rel);
        ++copies;
        CHECK(rel == rule.home);
      }
    }
    CHECK(homes == 1);
    CHECK(copies == 0);
  }
}
