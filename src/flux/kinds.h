// SPDX-License-Identifier: Apache-2.0
// Kinds, API groups and the patterns that name them, each rule once (flux-semantics.md §4.3, §6.3).
#pragma once

#include <string>
#include <string_view>

namespace fluxsim::flux {

/// API groups Kubernetes itself serves. Objects of these groups follow kstatus's per-kind rules;
/// anything else is a custom resource (§6.3).
bool is_kubernetes_group(std::string_view group);

/// API groups every cluster serves before a Kustomization applies anything: Kubernetes' own and the
/// Flux groups flux bootstrap installed (*.toolkit.fluxcd.io). A custom resource of any other group
/// needs its CustomResourceDefinition (or an operator that provides the kind) first (§4.3).
bool is_served_at_bootstrap(std::string_view group);

/// Custom kinds that carry no status conditions, so kstatus calls them Current as soon as they exist.
bool is_statusless_custom_kind(std::string_view group, std::string_view kind);

/// The source kinds source-controller reconciles (one controller, and worker pool, per kind).
bool is_source_kind(std::string_view kind);

/// Namespaces every cluster has before anything is applied (the root's own exists too: flux bootstrap
/// creates it).
inline constexpr std::string_view kBuiltinNamespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};

/// "group/Kind": how a kind is keyed and printed ("/Kind" for the core group).
std::string kind_key(std::string_view group, std::string_view kind);

/// A scenario `provides` pattern: "group/Kind", "group/*" or "Kind" (any group); globs allowed.
bool kind_pattern_matches(std::string_view pattern, std::string_view group, std::string_view kind);

}  // namespace fluxsim::flux
