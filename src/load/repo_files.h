// SPDX-License-Identifier: Apache-2.0
// The repository as the loader reads it: a FileSource behind a cache, so each file is read and parsed
// once however many kustomizations include it, plus the path arithmetic every layer shares (paths are
// '/'-separated and relative to the repository root, "" being the root). Internal to src/load/.
#pragma once

#include <cstddef>
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
  /// Every document of a YAML file (or its error), or nullptr when it is not a readable file.
  const ParsedYaml* parse(const std::string& path);

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
  std::unordered_map<std::string, std::unique_ptr<std::optional<std::string>>> texts_;
  std::unordered_map<std::string, std::unique_ptr<ParsedYaml>> parsed_;
  std::size_t files_read_ = 0;
  std::size_t bytes_read_ = 0;
  std::size_t documents_parsed_ = 0;
};

}  // namespace fluxsim::load
