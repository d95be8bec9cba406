// SPDX-License-Identifier: Apache-2.0
// The repository as the loader reads it: a FileSource behind a cache, so each file is read and parsed
// once however many kustomizations include it, plus the path arithmetic every layer shares (paths are
// '/'-separated and relative to the repository root, "" being the root). Internal to src/load/.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fluxsim/load.h"
#include "load/document.h"

namespace fluxsim::load {

/// Drops "." and empty parts and resolves "..": "./a/../b/" -> "b". nullopt when the path climbs
/// above the root or is absolute.
std::optional<std::string> normalize_path(std::string_view path);
/// Like Flux's securejoin: ".." never climbs above the root ("../../x" -> "x").
std::string clamp_path(std::string_view path);
/// "a/b" + "c" -> "a/b/c"; either side may be "".
std::string join_path(std::string_view dir, std::string_view rel);
/// "a/b/c" -> "a/b"; "a" -> "".
std::string parent_dir(std::string_view path);
/// "a/b/c.yaml" -> "c.yaml".
std::string base_name(std::string_view path);
/// True when `path` is `dir` or below it ("" contains everything).
bool is_under(std::string_view path, std::string_view dir);
/// How a path is shown in messages: "." for the root.
std::string display_path(std::string_view path);

class RepoFiles {
 public:
  explicit RepoFiles(const FileSource& source, ParseLimits limits = {});

  FileSource::Type type(const std::string& path);
  /// Entry names of a directory, sorted bytewise.
  const std::vector<std::string>& list(const std::string& path);
  /// Whole file, or nullptr when it is not a readable file.
  const std::string* read(const std::string& path);
  /// Every document of a YAML file (or its error), or nullptr when it is not a readable file. The
  /// tree stays in the cache (until a take()).
  const ParsedYaml* parse(const std::string& path);
  /// The same documents, handed over to the caller to keep and change: the first time a file is
  /// taken its parsed tree moves out of the cache (most files are read by one build only, so nothing
  /// is copied and the cache does not hold every tree of the repository), its text stays. A file taken
  /// again (a base several overlays use) is parsed a second time from that text, kept, and copied from
  /// then on: one read and at most two parses per file whatever the number of readers. nullopt when it
  /// is not a readable file.
  std::optional<ParsedYaml> take(const std::string& path);
  /// Called once per file, on its first parse, before anyone changes or takes the tree.
  void on_first_parse(std::function<void(const std::string& path, const ParsedYaml& parsed)> hook) {
    on_first_parse_ = std::move(hook);
  }

  /// Paths of every file parsed so far, sorted bytewise.
  std::vector<std::string> parsed_paths() const;

  std::size_t files_read() const { return files_read_; }
  std::size_t bytes_read() const { return bytes_read_; }
  std::size_t documents_parsed() const { return documents_parsed_; }

 private:
  const FileSource& source_;
  ParseLimits limits_;
  std::unordered_map<std::string, FileSource::Type> types_;
  std::unordered_map<std::string, std::vector<std::string>> lists_;
  std::unordered_map<std::string, std::optional<std::string>> texts_;  // node-based: a text stays where it is
  struct Parsed {
    std::unique_ptr<ParsedYaml> tree;  ///< null once taken (until parsed again)
    bool taken = false;                ///< handed out once: later takes copy a kept tree
  };
  const ParsedYaml* parse_into(const std::string& path, Parsed& entry, bool first);
  std::unordered_map<std::string, Parsed> parsed_;
  std::function<void(const std::string&, const ParsedYaml&)> on_first_parse_;
  std::size_t files_read_ = 0;
  std::size_t bytes_read_ = 0;
  std::size_t documents_parsed_ = 0;
};

}  // namespace fluxsim::load
