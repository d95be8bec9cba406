// SPDX-License-Identifier: Apache-2.0
// Finding the flags a repository sets on the Flux controllers it deploys (--concurrent,
// --requeue-dependency, ...), so the simulation runs the controllers the repository runs.
// Internal to src/load/.
#pragma once

#include <string>
#include <vector>

#include "fluxsim/model.h"
#include "load/document.h"

namespace fluxsim::load {

/// Scans one parsed YAML document (from `file`) and appends every controller flag it sets:
/// - patch entries `{patch: ..., target: {kind: Deployment, name: REGEX}}` whose name regex matches
///   kustomize-controller, helm-controller or source-controller (JSON6902 `add .../args/-` values, or a
///   strategic-merge patch listing args) — in kustomization.yaml files, Flux spec.patches and
///   FluxInstance/flux-instance `kustomize.patches` alike;
/// - a Deployment named after a controller, with `--flag=value` container args.
void find_controller_flags(const Node& document, const std::string& file, std::vector<ControllerFlag>& out);

}  // namespace fluxsim::load
