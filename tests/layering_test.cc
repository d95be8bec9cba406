// SPDX-License-Identifier: Apache-2.0
// Each third-party library stays in its own layer (README "Layout"): no public header may include
// libyaml, Boost.Graph or Boost.Program_options, and only the named files may use them. yaml-cpp is
// not used at all any more (libyaml replaced it; it survives only as an optional bench baseline).
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
}  // namespace

TEST_CASE("third-party libraries stay in their layer") {
  const fs::path root = FLUXSIM_SOURCE_DIR;
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root / "include")) {
    if (!entry.is_regular_file()) continue;
    std::string text = slurp(entry.path());
    INFO(entry.path().string());
    CHECK(text.find("yaml-cpp/") == std::string::npos);
    CHECK(text.find("<yaml.h>") == std::string::npos);
    CHECK(text.find("boost/graph") == std::string::npos);
    CHECK(text.find("boost/program_options") == std::string::npos);
    CHECK(text.find("nlohmann/") == std::string::npos);
    CHECK(text.find("re2/") == std::string::npos);
    ++files;
  }
  CHECK(files > 5);
  for (const auto& entry : fs::recursive_directory_iterator(root / "src")) {
    if (!entry.is_regular_file()) continue;
    std::string rel = fs::relative(entry.path(), root / "src").generic_string();
    std::string text = slurp(entry.path());
    INFO(rel);
    CHECK(text.find("#include <yaml-cpp/") == std::string::npos);
    if (text.find("#include <yaml.h>") != std::string::npos) CHECK(rel.starts_with("load/"));
    if (text.find("#include <boost/graph") != std::string::npos) CHECK(rel == "graph.cc");
    if (text.find("#include <boost/program_options") != std::string::npos) CHECK(rel == "cli.cc");
    if (text.find("#include <re2/") != std::string::npos) CHECK(rel == "load/selector.cc");
  }
}
