// SPDX-License-Identifier: Apache-2.0
// Interim matcher (the scenario loader branch brings the full scenario.cc).
#include "fluxsim/scenario.h"

namespace fluxsim {

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
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

}  // namespace fluxsim
