// SPDX-License-Identifier: Apache-2.0
// Offline `flux tree kustomization`: the Kustomization hierarchy of a World drawn as a tree, each
// Kustomization with its namespace, source, path and dependsOn, nested under the parent that applies
// it, with the objects it applies (or their counts). Text for people, JSON for tools.
#pragma once

#include <iosfwd>

#include "fluxsim/model.h"

namespace fluxsim {

struct TreeOptions {
  /// List every object a Kustomization applies (as `flux tree` does); otherwise counts by kind.
  bool objects = false;
  /// JSON instead of text.
  bool json = false;
};

/// Writes the tree of `world`, rooted at world.kustomizations[0]. Deterministic: children and objects
/// appear in World order (discovery order, build order).
void write_tree(const World& world, const TreeOptions& options, std::ostream& out);

}  // namespace fluxsim
