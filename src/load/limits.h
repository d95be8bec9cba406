// SPDX-License-Identifier: Apache-2.0
// Bounds that keep a hostile repository cheap to load (issue 15): how deep an object may nest once
// patches and replacements have reshaped it, how much one patch, replacement or substitution may add
// to an object, and how much one kustomize build may read, generate and grow in all. README "Hostile input: bounds and fuzzing"
// lists each with its value. Internal to src/load/.
#pragma once

#include <cstddef>

#include "load/document.h"

namespace fluxsim::load {

/// Nesting of an object tree after patches and replacements (the YAML reader allows 256 per file).
/// Every recursive walk of a Node tree relies on it.
inline constexpr int kMaxTreeDepth = 512;
/// Components of a replacement fieldPath (each one is a level of the object).
inline constexpr std::size_t kMaxFieldPathParts = 256;
/// Bytes one JSON patch, strategic-merge patch, replacement or variable substitution may add to one
/// object, measured by tree_bytes().
inline constexpr std::size_t kMaxObjectGrowth = std::size_t{16} << 20;
/// Bytes one kustomize build may read, generate and grow by patches, replacements and substitution,
/// in all (a kustomization that includes one directory through many paths is read many times).
inline constexpr std::size_t kMaxBuildBytes = std::size_t{256} << 20;
/// What tree_bytes() counts for each node besides its text: about what a node costs in memory.
inline constexpr std::size_t kBytesPerNode = 64;
/// Nesting of `${...}` inside `${...}` defaults in one scalar.
inline constexpr int kMaxSubstitutionNesting = 64;

/// The size of a subtree for the bounds above: its scalar and key bytes plus kBytesPerNode per node.
/// Iterative; stops counting once the total passes `stop_after`.
std::size_t tree_bytes(const Node& node, std::size_t stop_after = static_cast<std::size_t>(-1));
/// Levels of a subtree: 1 for a scalar or an empty collection. Iterative.
int tree_depth(const Node& node);

}  // namespace fluxsim::load
