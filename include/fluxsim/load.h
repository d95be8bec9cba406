// SPDX-License-Identifier: Apache-2.0
// Reading a repository as kustomize-controller sees its artifact: the root Kustomization applies the
// entry path, every Flux Kustomization found is built from its own spec.path, recursively, giving a
// World (model.h). Files are read through FileSource so tests can use an in-memory tree. yaml-cpp is
// used only behind this header, in src/load/.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/diagnostics.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"

namespace fluxsim {

/// Read-only access to a directory tree. Paths are '/'-separated and relative to the tree's root
/// ("" or "." is the root itself). Implementations never follow a path out of the root.
class FileSource {
 public:
  virtual ~FileSource() = default;
  enum class Type { Missing, File, Directory };
  virtual Type type(const std::string& path) const = 0;
  /// Entry names of a directory, sorted bytewise; empty when it is not a directory.
  virtual std::vector<std::string> list(const std::string& path) const = 0;
  /// Whole contents of a file, or nullopt (missing, unreadable, a directory, or outside the root).
  virtual std::optional<std::string> read(const std::string& path) const = 0;
};

/// The real disk, rooted at `root`; symlinks that resolve outside the root, or back to a directory
/// already on the path, read as Missing; files over 256 MiB read as unreadable.
std::unique_ptr<FileSource> make_disk_file_source(const std::string& root);

/// What the loader needs from a scenario (repo, entry, root, inline manifests, source mappings).
struct LoadOptions {
  std::string entry;            ///< path the root applies; empty = discover (discover_entries)
  RootSettings root;
  std::string manifests;        ///< inline objects applied by the root as if they were in entry
  /// Location of the manifests block in the scenario file: line N of `manifests` is reported as
  /// line manifests_at.line + N (so give the line of the `manifests: |` key).
  SourceLocation manifests_at;
  std::vector<SourceMapping> sources;
};

/// Counters of one load: what a benchmark divides its time by (bench/), and what tests check
/// ("each file is read and parsed once").
struct LoadStats {
  std::size_t files_read = 0;  ///< distinct files read; a file included by many kustomizations counts once
  std::size_t bytes_read = 0;  ///< total size of those files
  std::size_t documents = 0;   ///< YAML documents parsed
  std::size_t builds = 0;      ///< kustomize builds run (one per Kustomization, plus probes)
  std::vector<std::string> yaml_files;  ///< the YAML files parsed, sorted (what a baseline parse should cover)
};

struct WorldLoad {
  World world;
  /// Errors here make the input unusable (exit 2): no repository, no entry found, several entries and
  /// none chosen. Problems inside the repository are not errors here: they become BuildFailure on the
  /// Kustomization that builds them (as Flux would fail) and warnings in world.diagnostics.
  Diagnostics diagnostics;
  LoadStats stats;
};

/// Loads the World a scenario replays. `repo_dir` is used for messages; files come from `files`.
WorldLoad load_world(const FileSource& files, const std::string& repo_dir, const LoadOptions& options);

/// Convenience: LoadOptions from a scenario, files from disk at scenario.repo.
WorldLoad load_world(const Scenario& scenario);

/// A candidate entry point found in a repository, and how it was recognised.
struct EntryCandidate {
  std::string path;  ///< relative to the repository root
  std::string how;   ///< "flux-system/gotk-sync.yaml", "FluxInstance flux", ...
  SourceLocation where;
};

/// Finds entry points as a person would (product.md §4), sorted by path.
std::vector<EntryCandidate> discover_entries(const FileSource& files);

}  // namespace fluxsim
