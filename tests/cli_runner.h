// SPDX-License-Identifier: Apache-2.0
// Runs the fluxsim command line in-process (run_cli with string streams) and builds small scenario
// and repository fixtures in a temporary directory, for tests of commands end to end.
#pragma once

#include <unistd.h>  // getpid: a temporary directory per test process

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fluxsim/cli.h"

namespace fluxsim::test {

struct CliResult {
  ExitCode code = ExitCode::InternalError;
  std::string out, err;
};

inline CliResult run_fluxsim(std::vector<std::string> args) {
  args.insert(args.begin(), "fluxsim");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  CliResult r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

/// A temporary directory, removed with everything in it when the object goes.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// Writes `text` to `relative` (creating directories) and returns the full path.
  std::string write(const std::string& relative, const std::string& text) const {
    const std::filesystem::path p = path_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path(const std::string& relative = "") const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

/// A one-Kustomization repository: the root applies clusters/test, which holds the Flux Kustomization
/// `apps` (wait: true) building ./apps, one Deployment `web`.
inline void write_app_repo(const TempDir& dir) {
  dir.write("repo/clusters/test/apps.yaml", R"(apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  wait: true
  sourceRef:
    kind: GitRepository
    name: flux-system
)");
  dir.write("repo/apps/deploy.yaml", R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
)");
}

/// A scenario file over that repository with the Deployment Current `ready` after apply.
inline std::string write_app_scenario(const TempDir& dir, const std::string& file, const std::string& ready,
                                      const std::string& extra = "") {
  return dir.write(file, "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata: {name: app}\nspec:\n  repo: repo\n"
                         "  entry: clusters/test\n  timing:\n    ready:\n      - match: {kind: Deployment}\n        after: " +
                             ready + "\n" + extra);
}

}  // namespace fluxsim::test
