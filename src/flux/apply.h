// SPDX-License-Identifier: Apache-2.0
// The staged server-side apply (flux-semantics.md §4.3; fluxcd/pkg ssa ApplyAllStaged, sort.go).
// apply_stage() and apply_kind_order() are declared in fluxsim/model.h (reports use them) and defined
// in apply.cc beside the rest of the rule.
#pragma once

#include "fluxsim/model.h"

namespace fluxsim::flux {

/// The stages in the order they are applied; stages 1 and 2 are waited on before the next one.
inline constexpr ApplyStage kApplyStages[] = {ApplyStage::ClusterDefinitions, ApplyStage::Classes, ApplyStage::Rest};
inline constexpr int kStageCount = 3;

/// Index of `stage` in kApplyStages (0, 1, 2).
int stage_slot(ApplyStage stage);

/// Whether stage `slot` is waited on (its objects Current) before the next stage is applied.
inline bool stage_is_waited_on(int slot) { return slot < kStageCount - 1; }

/// SSA apply order: stage, then kind order, then group, kind, namespace, name.
bool applied_before(const ObjectRef& a, const ObjectRef& b);

}  // namespace fluxsim::flux
