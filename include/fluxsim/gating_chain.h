// SPDX-License-Identifier: Apache-2.0
// The gating chain of a run: starting from the Kustomization that became Ready last, each step goes to
// whatever released it last — its parent (which created it) or the dependsOn target that became Ready
// latest — back to the root. An interim critical path read from a RunResult's summaries alone (so it
// works on unrecorded runs); `fluxsim diff` calls it in one place, to be swapped for the critical-path
// analysis when that lands.
#pragma once

#include <cstddef>
#include <vector>

#include "fluxsim/model.h"
#include "fluxsim/trace.h"

namespace fluxsim {

/// Kustomization indexes, root first, ending at the one that became Ready last (when every one did)
/// or else at the first never-Ready one in ready order (a never-Ready dependency is always the latest
/// release, so the chain runs through what blocked it). Empty for an empty world. For example, with
/// root -> infra (parent) and apps dependsOn infra, apps Ready last: [root, infra, apps] when infra was
/// Ready after apps was created, [root, apps] when infra was Ready before apps existed.
std::vector<std::size_t> gating_chain(const World& world, const RunResult& result);

}  // namespace fluxsim
