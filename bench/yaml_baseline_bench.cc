// SPDX-License-Identifier: Apache-2.0
// The parse floors load ratios are measured against: read every .yaml/.yml file under a directory and
// parse each with a bare parser, nothing else. Best of K repetitions.
//
//   yaml_baseline_bench DIR [--reps K] [--keep] [--parser libyaml|yaml-cpp]
//
// --parser libyaml (the default) runs libyaml's event parser and builds nothing: the floor fluxsim's
// loader (libyaml events into its own tree) is compared to. --parser yaml-cpp is YAML::LoadAll, the
// library fluxsim used before 0.2; it exists only when libyaml-cpp-dev was installed at build time
// (an optional, bench-only baseline). --keep (yaml-cpp) holds every parsed document until the end of
// a repetition: what keeping yaml-cpp trees alive costs in memory.
// The directory walk is done once, outside the timed region; reading and parsing are timed.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#if FLUXSIM_HAVE_YAML_CPP
#include <yaml-cpp/yaml.h>
#endif

#include "bench_util.h"
#include "fluxsim/load.h"

namespace fb = fluxsim::bench;

namespace {

struct Pass {
  std::size_t documents = 0;
  std::size_t errors = 0;
  std::size_t unreadable = 0;
  double read_seconds = 0;
  std::string first_error;
};

Pass parse_all(const std::vector<fb::YamlFile>& files, bool keep, bool yaml_cpp) {
  Pass pass;
#if FLUXSIM_HAVE_YAML_CPP
  std::vector<std::vector<YAML::Node>> kept;
  if (keep) kept.reserve(files.size());
#else
  (void)keep;
#endif
  for (const auto& f : files) {
    fb::Stopwatch read_clock;
    std::optional<std::string> text = fb::read_file(f.path);
    pass.read_seconds += read_clock.seconds();
    if (!text) {
      ++pass.unreadable;
      continue;
    }
    if (!yaml_cpp) {
      long documents = fluxsim::libyaml_parse_documents(*text);
      if (documents < 0 && pass.errors++ == 0) pass.first_error = f.path.string();
      if (documents > 0) pass.documents += static_cast<std::size_t>(documents);
      continue;
    }
#if FLUXSIM_HAVE_YAML_CPP
    try {
      std::vector<YAML::Node> docs = YAML::LoadAll(*text);
      pass.documents += docs.size();
      if (keep) kept.push_back(std::move(docs));
    } catch (const YAML::Exception& e) {
      if (pass.errors++ == 0) pass.first_error = fmt::format("{}: {}", f.path.string(), e.what());
    }
#endif
  }
  return pass;
}

}  // namespace

int main(int argc, char** argv) {
  fb::Args args(argc, argv, {"keep"});
  int reps = args.get_int("reps", 3);
  bool keep = args.has("keep");
  const std::string parser = args.get("parser", keep ? "yaml-cpp" : "libyaml");
  if (!args.error().empty() || args.positional().size() != 1 || (parser != "libyaml" && parser != "yaml-cpp")) {
    std::fprintf(stderr, "usage: yaml_baseline_bench DIR [--reps K] [--keep] [--parser libyaml|yaml-cpp]\n%s\n",
                 args.error().c_str());
    return 2;
  }
  const bool yaml_cpp = parser == "yaml-cpp";
#if !FLUXSIM_HAVE_YAML_CPP
  if (yaml_cpp) {
    std::fprintf(stderr, "yaml_baseline_bench: built without yaml-cpp (install libyaml-cpp-dev and rebuild)\n");
    return 3;
  }
#endif
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
    pass = parse_all(files, keep, yaml_cpp);
    if (best_read == 0 || pass.read_seconds < best_read) best_read = pass.read_seconds;
  });
  const double best = fb::best(seconds);

  const std::string id = !yaml_cpp ? "libyaml_baseline" : keep ? "yaml_baseline_keep" : "yaml_baseline";
  fb::Report report(id, !yaml_cpp ? "bare libyaml event parse of every file, nothing built"
                        : keep    ? "bare yaml-cpp YAML::LoadAll of every file, documents kept"
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
