// SPDX-License-Identifier: Apache-2.0
// The baseline every load ratio is measured against: read every .yaml/.yml file under a directory and
// parse each with YAML::LoadAll, bare yaml-cpp, nothing else. Best of K repetitions.
//
//   yaml_baseline_bench DIR [--reps K] [--keep]
//
// --keep holds every parsed document until the end of a repetition (what a loader that keeps all
// documents alive would cost in memory); by default each file's documents are dropped once parsed.
// The directory walk is done once, outside the timed region; reading and parsing are timed.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "bench_util.h"

namespace fb = fluxsim::bench;

namespace {

struct Pass {
  std::size_t documents = 0;
  std::size_t errors = 0;
  std::size_t unreadable = 0;
  double read_seconds = 0;
  std::string first_error;
};

Pass parse_all(const std::vector<fb::YamlFile>& files, bool keep) {
  Pass pass;
  std::vector<std::vector<YAML::Node>> kept;
  if (keep) kept.reserve(files.size());
  for (const auto& f : files) {
    fb::Stopwatch read_clock;
    std::optional<std::string> text = fb::read_file(f.path);
    pass.read_seconds += read_clock.seconds();
    if (!text) {
      ++pass.unreadable;
      continue;
    }
    try {
      std::vector<YAML::Node> docs = YAML::LoadAll(*text);
      pass.documents += docs.size();
      if (keep) kept.push_back(std::move(docs));
    } catch (const YAML::Exception& e) {
      if (pass.errors++ == 0) pass.first_error = fmt::format("{}: {}", f.path.string(), e.what());
    }
  }
  return pass;
}

}  // namespace

int main(int argc, char** argv) {
  fb::Args args(argc, argv, {"keep"});
  int reps = args.get_int("reps", 3);
  bool keep = args.has("keep");
  if (!args.error().empty() || args.positional().size() != 1) {
    std::fprintf(stderr, "usage: yaml_baseline_bench DIR [--reps K] [--keep]\n%s\n", args.error().c_str());
    return 2;
  }
  const std::string dir = args.positional()[0];

  fb::Stopwatch walk_clock;
  std::vector<fb::YamlFile> files = fb::yaml_files_under(dir);
  double walk_seconds = walk_clock.seconds();
  if (files.empty()) {
    std::fprintf(stderr, "yaml_baseline_bench: no .yaml/.yml files under %s\n", dir.c_str());
    return 2;
  }
  const double bytes = static_cast<double>(fb::total_bytes(files));
  const double mb = bytes / 1e6;

  Pass pass;
  double best_read = 0;
  std::vector<double> seconds = fb::time_reps(reps, [&] {
    pass = parse_all(files, keep);
    if (best_read == 0 || pass.read_seconds < best_read) best_read = pass.read_seconds;
  });
  const double best = fb::best(seconds);

  fb::Report report(keep ? "yaml_baseline_keep" : "yaml_baseline", keep ? "bare yaml-cpp YAML::LoadAll of every file, documents kept"
                                          : "bare yaml-cpp YAML::LoadAll of every file");
  report.row("directory", dir);
  report.row("files", fmt::format("{} (walk {:.3f} s, untimed)", files.size(), walk_seconds));
  report.row("documents", fmt::format("{}", pass.documents));
  report.row("parse errors", pass.errors == 0 ? "0" : fmt::format("{} (first: {})", pass.errors, pass.first_error));
  if (pass.unreadable) report.row("unreadable", fmt::format("{}", pass.unreadable));
  report.row("MB", fmt::format("{:.3f} ({:.0f} bytes)", mb, bytes));
  report.row("seconds", fb::describe_reps(seconds));
  report.row("of which read", fmt::format("{:.3f} (best)", best_read));
  report.row("MB/s", fmt::format("{:.2f}", mb / best));
  report.row("peak RSS", fmt::format("{:.1f} MiB", fb::peak_rss_mib()));
  report.result("files", fmt::format("{}", files.size()));
  report.result("documents", fmt::format("{}", pass.documents));
  report.result("errors", fmt::format("{}", pass.errors));
  report.result("bytes", fmt::format("{:.0f}", bytes));
  report.result("mb", fmt::format("{:.3f}", mb));
  report.result("seconds", fmt::format("{:.4f}", best));
  report.result("mbps", fmt::format("{:.3f}", mb / best));
  report.result("rss_mib", fmt::format("{:.1f}", fb::peak_rss_mib()));
  report.finish();
  return 0;
}
