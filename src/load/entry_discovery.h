// SPDX-License-Identifier: Apache-2.0
// Finding the entry point of a repository as a person would (product.md §4): flux bootstrap's
// flux-system/gotk-sync.yaml (or its comment-only placeholder), a flux-operator FluxInstance or
// flux-instance HelmRelease sync path, else a Kustomization applied by hand whose own path contains it.
// Internal to src/load/; the public entry point is fluxsim::discover_entries (load.h).
#pragma once

#include <vector>

#include "fluxsim/load.h"
#include "load/repo_files.h"

namespace fluxsim::load {

std::vector<EntryCandidate> discover_entries(RepoFiles& files);
std::vector<std::string> unapplied_kustomization_dirs(RepoFiles& files);

}  // namespace fluxsim::load
