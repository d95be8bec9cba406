// SPDX-License-Identifier: Apache-2.0
// `kustomize build` of a repository directory, as kustomize-controller runs it (kustomize v5 API):
// resources, components, generators, the built-in transformers in kustomize's order, and the fields
// Flux writes into the kustomization before building (FluxOverlay). Objects stay loader Nodes so the
// Flux layer can substitute variables and read specs. Internal to src/load/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "load/document.h"
#include "load/limits.h"
#include "load/repo_files.h"

namespace fluxsim::load {

/// One object in a build.
struct KObject {
  Node node;
  SourceLocation origin;  ///< file and line of the document it came from
  std::string org_name;   ///< metadata.name when first read (kustomize's original id)
  std::string org_ns;
  bool needs_hash = false;  ///< generated ConfigMap/Secret: gets kustomize's content-hash suffix
  std::string behavior;     ///< generator behavior ("create", "merge", "replace"); "" when not generated

  std::string api_version() const { return node.text({"apiVersion"}); }
  std::string kind() const { return node.text({"kind"}); }
  std::string name() const { return node.text({"metadata", "name"}); }
  std::string ns() const { return node.text({"metadata", "namespace"}); }
  std::string group() const;
  std::string version() const;
};

/// A kustomize target selector (types.Selector): empty fields match anything; name and namespace
/// are anchored regular expressions; label/annotation selectors use Kubernetes selector syntax.
struct Selector {
  std::string group, version, kind, name, ns, label_selector, annotation_selector;
};

/// Whether `obj` is selected (kustomize resWrangler.Select: original or current name/namespace).
bool selects(const Selector& sel, const KObject& obj);
/// Kubernetes label-selector match ("a=b,c in (x,y),!d"); nullopt when the selector does not parse.
std::optional<bool> label_selector_matches(const std::string& selector, const Node* labels);
/// Reads a selector from a `target:` / `select:` map.
Selector selector_from(const Node& n);

/// Whether kustomize's built-in schema knows (apiVersion, kind) as cluster-scoped.
bool kustomize_cluster_scoped(const std::string& api_version, const std::string& kind);

/// What kustomize-controller writes into the kustomization file of spec.path before building.
struct FluxOverlay {
  std::optional<std::string> target_namespace;
  std::optional<std::string> name_prefix;
  std::optional<std::string> name_suffix;
  std::vector<Node> patches;                  ///< spec.patches entries ({patch, target})
  std::vector<Node> patches_strategic_merge;  ///< v1beta2 spec.patchesStrategicMerge (objects)
  std::vector<Node> patches_json6902;         ///< v1beta2 spec.patchesJson6902 ({patch, target})
  std::vector<std::string> components;        ///< relative to the built directory
  bool ignore_missing_components = false;
  std::vector<KObject> extra_objects;         ///< applied as if they were files of the directory
};

struct KustomizeOptions {
  /// kubectl kustomize's LoadRestrictionsRootOnly: files a kustomization reads must lie in or below
  /// its directory. kustomize-controller builds with LoadRestrictionsNone (still inside the repo).
  bool root_only = false;
  /// A top-level directory without a kustomization file gets the one Flux generates; otherwise it
  /// is an error, as with `kubectl kustomize`.
  bool flux_generate = true;
  int max_depth = 64;  ///< nested kustomization directories
};

/// Why a build failed: a Flux-like message and the file (and line) at fault.
struct BuildError {
  std::string message;
  SourceLocation where;
};

struct BuildResult {
  std::vector<KObject> objects;
  std::optional<BuildError> error;
  std::vector<Diagnostic> warnings;  ///< remote resources and the like, never fatal
};

class Kustomizer {
 public:
  explicit Kustomizer(RepoFiles& files, KustomizeOptions options = {});
  /// Builds `dir` (relative to the repository root). Never throws.
  BuildResult build(const std::string& dir, const FluxOverlay* overlay = nullptr);
  /// Whether `dir` holds a kustomization file (kustomization.yaml, .yml or Kustomization).
  bool has_kustomization_file(const std::string& dir);

 private:
  RepoFiles& files_;
  KustomizeOptions options_;
};

/// Applies a strategic-merge patch to `target`; returns false when the patch deletes the object.
/// Lists merge by key for built-in kinds (containers by name, ...) and are replaced for custom ones.
bool apply_strategic_merge(Node& target, const Node& patch, bool builtin_kind);
/// Applies RFC 6902 operations; throws std::runtime_error naming the failing operation, or the one
/// that would add more than `max_growth` bytes (tree_bytes) or nest the object deeper than
/// kMaxTreeDepth (load/limits.h). Returns the bytes the operations added.
std::size_t apply_json6902(Node& target, const Node& operations, std::size_t max_growth = kMaxObjectGrowth);
/// Whether kyaml has a schema for this apiVersion (built-in Kubernetes groups).
bool is_builtin_api(const std::string& api_version);

/// kustomize's content hash of a ConfigMap or Secret (api/hasher): 10 characters.
std::string kustomize_hash(const Node& object);
/// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view data);

}  // namespace fluxsim::load
