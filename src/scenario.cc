// SPDX-License-Identifier: Apache-2.0
// The parts of scenario.h that need no YAML: selectors and the scenario of a bare repository.
// Parsing lives in src/load/scenario_loader.cc.
#include "fluxsim/scenario.h"

#include <filesystem>

namespace fluxsim {

// Greedy matching with one backtrack point (the last `*` seen): O(|pattern| * |text|) at worst, never
// exponential. Example: "tekton-*s" against "tekton-tasks" — `*` first takes "", the literal 's' fails
// on 't', so `*` grows one character at a time until "task" leaves "s" to match the final 's'.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Match::matches(const ObjectRef& ref, std::string_view applied_by) const {
  if (!group.empty() && !glob_match(group, ref.group)) return false;
  if (!kind.empty() && !glob_match(kind, ref.kind)) return false;
  if (!ns.empty() && !glob_match(ns, ref.ns)) return false;
  if (!name.empty() && !glob_match(name, ref.name)) return false;
  if (!kustomization.empty() && !glob_match(kustomization, applied_by)) return false;
  return true;
}

Scenario default_scenario_for_repo(const std::string& repo_dir) {
  namespace fs = std::filesystem;
  Scenario s;
  s.repo = repo_dir;
  // "./my-repo/" and "my-repo" are both named "my-repo"; "." and ".." are named after the directory
  // they stand for, so a report of `fluxsim run .` still says which repository it was.
  fs::path p = fs::path(repo_dir.empty() ? "." : repo_dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();  // "dir/" normalises to "dir/"
  if (name.empty() || name == "." || name == "..") {
    std::error_code ec;
    fs::path abs = fs::absolute(p, ec).lexically_normal();
    name = abs.filename().string();
    if (name.empty()) name = abs.parent_path().filename().string();
  }
  s.name = name.empty() ? "repository" : name;
  return s;
}

}  // namespace fluxsim
