// SPDX-License-Identifier: Apache-2.0
// Shared plumbing of the benchmarks in bench/: a small flag parser, wall-clock timing with best-of-K,
// peak RSS, the list of YAML files under a directory, and the two output forms every bench prints
// (aligned text for people, one `RESULT name key=value ...` line for bench/run.sh).
#pragma once

#include <sys/resource.h>  // getrusage: peak RSS

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace fluxsim::bench {

/// Flags as `--name value` or `--name` (boolean), everything else positional. Deliberately tiny:
/// Boost.Program_options belongs to src/cli.cc only.
class Args {
 public:
  /// `booleans` names the flags that take no value.
  Args(int argc, char** argv, std::vector<std::string> booleans = {}) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.starts_with("--")) {
        std::string name = a.substr(2);
        if (auto eq = name.find('='); eq != std::string::npos) {
          flags_[name.substr(0, eq)] = name.substr(eq + 1);
        } else if (std::find(booleans.begin(), booleans.end(), name) != booleans.end()) {
          flags_[name] = "true";
        } else if (i + 1 < argc) {
          flags_[name] = argv[++i];
        } else {
          error_ = fmt::format("flag --{} needs a value", name);
        }
      } else {
        positional_.push_back(a);
      }
    }
  }
  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& name) const { return flags_.count(name) != 0; }
  std::string get(const std::string& name, std::string fallback) const {
    auto it = flags_.find(name);
    return it == flags_.end() ? fallback : it->second;
  }
  /// The flag as a positive integer; `fallback` when absent; an error (see error()) when malformed.
  int get_int(const std::string& name, int fallback) {
    auto it = flags_.find(name);
    if (it == flags_.end()) return fallback;
    char* end = nullptr;
    long v = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || v < 1 || v > 1'000'000'000) {
      error_ = fmt::format("--{} wants a positive integer, got '{}'", name, it->second);
      return fallback;
    }
    return static_cast<int>(v);
  }
  /// The first problem found, or empty.
  const std::string& error() const { return error_; }

 private:
  std::map<std::string, std::string> flags_;
  std::vector<std::string> positional_;
  std::string error_;
};

/// Seconds of wall-clock time since construction (steady clock).
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// Runs `body` `reps` times and returns each repetition's wall-clock seconds, in run order.
inline std::vector<double> time_reps(int reps, const std::function<void()>& body) {
  std::vector<double> out;
  for (int i = 0; i < reps; ++i) {
    Stopwatch sw;
    body();
    out.push_back(sw.seconds());
  }
  return out;
}

inline double best(const std::vector<double>& seconds) {
  return seconds.empty() ? 0.0 : *std::min_element(seconds.begin(), seconds.end());
}

/// "1.234 (best of 3: 1.234 1.301 1.250)".
inline std::string describe_reps(const std::vector<double>& seconds) {
  std::string all;
  for (double s : seconds) all += fmt::format(" {:.3f}", s);
  return fmt::format("{:.3f} (best of {}:{})", best(seconds), seconds.size(), all);
}

/// Peak resident set size of this process so far, in MiB (Linux reports ru_maxrss in KiB).
inline double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

/// A YAML file found under a directory, with its size in bytes.
struct YamlFile {
  std::filesystem::path path;
  std::uintmax_t bytes = 0;
};

/// Every regular *.yaml / *.yml file below `root`, sorted by path; hidden directories (.git, ...) are
/// skipped and symlinks are not followed. Bytes are what a loader of the same tree would read.
inline std::vector<YamlFile> yaml_files_under(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::vector<YamlFile> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && name.starts_with(".")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml") continue;
    files.push_back({entry.path(), entry.file_size(ec)});
  }
  std::sort(files.begin(), files.end(),
            [](const YamlFile& a, const YamlFile& b) { return a.path < b.path; });
  return files;
}

inline std::uintmax_t total_bytes(const std::vector<YamlFile>& files) {
  std::uintmax_t sum = 0;
  for (const auto& f : files) sum += f.bytes;
  return sum;
}

/// Whole contents of a file; nullopt when it cannot be read.
inline std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) text.resize(static_cast<std::size_t>(size));
  in.seekg(0, std::ios::beg);
  if (size > 0) in.read(text.data(), size);
  if (!in && !in.eof()) return std::nullopt;
  return text;
}

/// The build type the benches were compiled with (bench/CMakeLists.txt defines it).
inline std::string_view build_type() {
#ifdef FLUXSIM_BENCH_BUILD_TYPE
  return FLUXSIM_BENCH_BUILD_TYPE;
#else
  return "unknown";
#endif
}

/// Aligned report: a title, then `label  value` rows; finish() prints the RESULT line.
class Report {
 public:
  /// `name` is the bench id used in the RESULT line ("yaml_baseline").
  Report(std::string name, std::string_view what) : name_(std::move(name)) {
    fmt::print("{} — {}\n", name_, what);
    row("build", std::string(build_type()));
    if (build_type() != "Release") {
      fmt::print("  WARNING: not a Release build; numbers are not comparable (see bench/README.md)\n");
    }
  }
  void row(std::string_view label, const std::string& value) {
    fmt::print("  {:<16}{}\n", label, value);
  }
  /// Adds `key=value` to the RESULT line (value printed as given).
  void result(std::string key, std::string value) { results_.emplace_back(std::move(key), std::move(value)); }
  void finish() {
    std::string line = "RESULT " + name_;
    for (const auto& [k, v] : results_) line += fmt::format(" {}={}", k, v);
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }

 private:
  std::string name_;
  std::vector<std::pair<std::string, std::string>> results_;
};

}  // namespace fluxsim::bench
