// SPDX-License-Identifier: Apache-2.0
// Flux objects read from built manifests into the model: Kustomization (kustomize.toolkit.fluxcd.io
// v1, v1beta2, v1beta1), HelmRelease (helm.toolkit.fluxcd.io v2, v2beta2, v2beta1) and the sources
// (source.toolkit.fluxcd.io). Defaults are applied as the controllers apply them (namespaces of
// references default to the object's own). Internal to src/load/.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"
#include "load/document.h"
#include "load/kustomize.h"

namespace fluxsim::load {

/// A Flux Kustomization as written: the model fields plus what its own build needs.
struct FluxKustomizationSpec {
  Kustomization model;   ///< spec resolved; objects and build_failure empty
  FluxOverlay overlay;   ///< targetNamespace, patches, components, namePrefix/Suffix
  bool has_post_build = false;
  std::vector<std::pair<std::string, std::string>> substitute;  ///< postBuild.substitute, in order
  std::vector<Field> common_labels, common_annotations;         ///< spec.commonMetadata
  Node spec;  ///< the raw spec, to compare two definitions of the same Kustomization
};

bool is_flux_kustomization(const KObject& o);
bool is_helm_release(const KObject& o);
bool is_flux_source(const KObject& o);  ///< GitRepository, OCIRepository, Bucket, ExternalArtifact, HelmRepository

/// The namespace Flux applies a namespaced object to: its own, else "default".
std::string effective_namespace(const KObject& o);

/// Reads a Flux Kustomization; problems (bad durations, ...) are warnings in `diags`.
FluxKustomizationSpec read_flux_kustomization(const KObject& o, Diagnostics& diags);
HelmRelease read_helm_release(const KObject& o, Diagnostics& diags);
Source read_source(const KObject& o, Diagnostics& diags);

/// "host/org/repo" from a Git URL in any of its spellings (https, ssh, scp-like, with .git).
std::string normalize_git_url(std::string_view url);
/// The branch a GitRepository follows ("refs/heads/x" and ref.name forms folded), "" when unset.
std::string git_branch(const Node& ref);

}  // namespace fluxsim::load
