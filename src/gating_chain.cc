// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/gating_chain.h"

#include "fluxsim/report.h"

namespace fluxsim {

std::vector<std::size_t> gating_chain(const World& world, const RunResult& result) {
  const std::size_t n = std::min(world.kustomizations.size(), result.kustomizations.size());
  if (n == 0) return {};
  // The end of the chain: the last to become Ready, or the first that never did.
  std::size_t end = 0;
  bool found = false;
  if (result.all_ready) {
    for (std::size_t k = 0; k < n; ++k)
      if (!found || result.kustomizations[k].ready_at > result.kustomizations[end].ready_at) {
        end = k;
        found = true;
      }
  } else {
    for (std::size_t k : ready_order(world, result))
      if (k < n && result.kustomizations[k].ready_at == kNever) {
        end = k;
        found = true;
        break;
      }
  }
  if (!found) return {};

  std::vector<std::size_t> chain;
  std::vector<bool> seen(n, false);
  std::size_t k = end;
  while (true) {
    chain.push_back(k);
    seen[k] = true;
    const KustomizationSummary& s = result.kustomizations[k];
    // Candidates: each dependsOn target, released when it became Ready (never: it still gates), then
    // the parent, released when it created this one. The latest release gates; ties go to the earlier
    // candidate, so a dependency wins over the parent at the same instant.
    std::int32_t gate = -1;
    SimTime gate_at{};
    auto consider = [&](std::int32_t candidate, SimTime released) {
      if (candidate < 0 || static_cast<std::size_t>(candidate) >= n) return;
      if (gate < 0 || released > gate_at) {
        gate = candidate;
        gate_at = released;
      }
    };
    for (const Reference& d : world.kustomizations[k].depends_on) {
      const Kustomization* dep = world.find_kustomization(d.ns, d.name);
      if (!dep) continue;
      const auto i = static_cast<std::int32_t>(dep - world.kustomizations.data());
      consider(i, result.kustomizations[static_cast<std::size_t>(i)].ready_at);
    }
    std::int32_t parent = s.parent;
    if (parent < 0 && world.kustomizations[k].parent) {
      const ObjectRef& p = *world.kustomizations[k].parent;
      if (const Kustomization* pk = world.find_kustomization(p.ns, p.name))
        parent = static_cast<std::int32_t>(pk - world.kustomizations.data());
    }
    consider(parent, s.created_at);
    if (gate < 0 || seen[static_cast<std::size_t>(gate)]) break;
    k = static_cast<std::size_t>(gate);
  }
  return {chain.rbegin(), chain.rend()};
}

}  // namespace fluxsim
