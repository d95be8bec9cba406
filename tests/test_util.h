// SPDX-License-Identifier: Apache-2.0
// Shared test helpers: an in-memory FileSource (ninja's VirtualFileSystem), so loader tests build
// repositories from inline YAML, and a scratch directory on disk for the tests that need real files
// (symlinks). Keep this header small; add helpers as the suites need them.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fluxsim/load.h"

namespace fluxsim::test {

/// A repository held in memory: files by path ("a/b.yaml"); directories are implied by file paths
/// or added with add_dir. Paths are normalised the way FileSource paths are ("." and "" = root).
class MemoryFileSource : public FileSource {
 public:
  MemoryFileSource() = default;
  MemoryFileSource(std::initializer_list<std::pair<const std::string, std::string>> files) {
    for (const auto& [path, text] : files) add(path, text);
  }

  MemoryFileSource& add(const std::string& path, std::string text) {
    std::string p = clean(path);
    files_[p] = std::move(text);
    for (std::string d = parent(p); !d.empty(); d = parent(d)) dirs_.insert(d);
    return *this;
  }
  MemoryFileSource& add_dir(const std::string& path) {
    for (std::string d = clean(path); !d.empty(); d = parent(d)) dirs_.insert(d);
    return *this;
  }

  Type type(const std::string& path) const override {
    std::string p = clean(path);
    if (p.empty() || dirs_.count(p)) return Type::Directory;
    if (files_.count(p)) return Type::File;
    return Type::Missing;
  }

  std::vector<std::string> list(const std::string& path) const override {
    std::string p = clean(path);
    std::set<std::string> names;
    auto consider = [&](const std::string& entry) {
      if (parent(entry) == p) names.insert(p.empty() ? entry : entry.substr(p.size() + 1));
    };
    for (const auto& [f, _] : files_) consider(f);
    for (const std::string& d : dirs_) consider(d);
    if (type(p) != Type::Directory) return {};
    return {names.begin(), names.end()};
  }

  std::optional<std::string> read(const std::string& path) const override {
    auto it = files_.find(clean(path));
    if (it == files_.end()) return std::nullopt;
    ++reads_[it->first];
    return it->second;
  }

  /// How many times a file was read (each file should be read at most once per load).
  int reads(const std::string& path) const {
    auto it = reads_.find(clean(path));
    return it == reads_.end() ? 0 : it->second;
  }

 private:
  static std::string clean(const std::string& path) {
    std::string out;
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t slash = path.find('/', start);
      if (slash == std::string::npos) slash = path.size();
      std::string part = path.substr(start, slash - start);
      start = slash + 1;
      if (part.empty() || part == ".") continue;
      if (!out.empty()) out += '/';
      out += part;
    }
    return out;
  }
  static std::string parent(const std::string& p) {
    std::size_t slash = p.rfind('/');
    return slash == std::string::npos ? std::string{} : p.substr(0, slash);
  }

  std::map<std::string, std::string> files_;
  std::set<std::string> dirs_;
  mutable std::map<std::string, int> reads_;
};

/// A fresh directory under the system temp dir, removed when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("fluxsim-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
  }

 private:
  std::filesystem::path path_;
};

/// The corpus of real repositories (env FLUXSIM_CORPUS overrides); empty when absent.
inline std::string corpus_dir() {
  std::error_code ec;
  if (const char* env = std::getenv("FLUXSIM_CORPUS"); env && *env)
    return std::filesystem::is_directory(env, ec) ? std::filesystem::canonical(env, ec).string() : std::string{};
  // The corpus sits beside the checkout (../shared/corpus), or two levels up from a worktree.
  for (const char* rel : {"/../shared/corpus", "/../../shared/corpus"}) {
    std::string dir = std::string(FLUXSIM_SOURCE_DIR) + rel;
    if (std::filesystem::is_directory(dir, ec)) return std::filesystem::canonical(dir, ec).string();
  }
  return {};
}

// CPU seconds since `start` (std::clock, not inflated by a loaded machine), in an optimised build's
// terms: an unoptimised or ASan+UBSan build runs about ten times slower. Bounds on it catch quadratic
// paths (100x and more) in hostile-input tests; they do not time the code (speed goals live in bench/).
// GCC says ASan with __SANITIZE_ADDRESS__, clang with __has_feature(address_sanitizer).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLUXSIM_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(FLUXSIM_TEST_ASAN) || !defined(NDEBUG)
inline constexpr double kBuildSlowdown = 10;
#else
inline constexpr double kBuildSlowdown = 1;
#endif
inline double cpu_seconds_since(std::clock_t start) {
  return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC / kBuildSlowdown;
}

}  // namespace fluxsim::test
