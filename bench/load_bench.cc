// SPDX-License-Identifier: Apache-2.0
// Loading a repository: fluxsim::load_world (every kustomize and Flux build of every Kustomization),
// and load + one simulation as `fluxsim run REPO` does it, each beside a bare yaml-cpp parse of the very
// files the loader read, measured in the same process, interleaved, so the ratio compares like with like.
//
//   load_bench REPO [--entry PATH] [--reps K]
#include <cstdio>

#include <yaml-cpp/yaml.h>

#include "bench_util.h"
#include "fluxsim/engine.h"
#include "fluxsim/load.h"

using namespace fluxsim;

namespace {

// The baseline: yaml-cpp's own document API (YAML::LoadAll) on `text`, the "bare yaml-cpp parse" load
// times are compared to. The number of documents, or -1 when the text does not parse.
long yaml_cpp_parse_documents(std::string_view text) {
  try {
    return static_cast<long>(YAML::LoadAll(std::string(text)).size());
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const int reps = args.get_int("reps", 3);
  if (!args.error().empty() || args.positional().empty()) {
    std::fprintf(stderr, "usage: load_bench REPO [--entry PATH] [--reps K]%s%s\n", args.error().empty() ? "" : ": ",
                 args.error().c_str());
    return 2;
  }
  const std::string repo = args.positional()[0];
  Scenario scenario = default_scenario_for_repo(repo);
  scenario.entry = args.get("entry", "");

  // A first load finds the files to parse for the baseline; it is dropped before anything is timed.
  LoadStats stats;
  std::size_t kustomizations = 0, objects = 0;
  {
    WorldLoad first = load_world(scenario);
    if (first.diagnostics.has_errors()) {
      std::fprintf(stderr, "load_bench: %s\n", to_string(*first.diagnostics.first_error()).c_str());
      return 2;
    }
    stats = first.stats;
    kustomizations = first.world.kustomizations.size();
    for (const Kustomization& k : first.world.kustomizations) objects += k.objects.size();
  }
  const double mb = static_cast<double>(stats.bytes_read) / 1e6;
  std::size_t yaml_bytes = 0;
  for (const std::string& f : stats.yaml_files)
    if (auto text = bench::read_file(std::filesystem::path(repo) / f)) yaml_bytes += text->size();

  std::vector<double> baseline, load, load_sim;
  long documents = 0;
  for (int i = 0; i < reps; ++i) {
    // The baseline: read and parse the same YAML files with bare yaml-cpp.
    bench::Stopwatch b;
    documents = 0;
    for (const std::string& f : stats.yaml_files)
      if (auto text = bench::read_file(std::filesystem::path(repo) / f)) documents += yaml_cpp_parse_documents(*text);
    baseline.push_back(b.seconds());
    {
      bench::Stopwatch l;
      WorldLoad w = load_world(scenario);
      load.push_back(l.seconds());
    }
    {
      bench::Stopwatch ls;
      WorldLoad w = load_world(scenario);
      RunResult r = simulate(w.world, scenario);
      load_sim.push_back(ls.seconds());
    }
  }
  const double best_base = bench::best(baseline), best_load = bench::best(load), best_sim = bench::best(load_sim);
  const double yaml_mb = static_cast<double>(yaml_bytes) / 1e6;

  bench::Report report("load", "fluxsim::load_world, and load + simulate, beside bare yaml-cpp on the same files");
  report.row("repository", repo);
  report.row("world", fmt::format("{} Kustomizations, {} objects, {} builds", kustomizations, objects, stats.builds));
  report.row("read", fmt::format("{} files, {:.3f} MB ({} YAML files, {:.3f} MB, {} documents)", stats.files_read, mb,
                                 stats.yaml_files.size(), yaml_mb, documents));
  report.row("yaml-cpp", bench::describe_reps(baseline));
  report.row("load", bench::describe_reps(load) + fmt::format("  = {:.2f}x yaml-cpp, {:.2f} MB/s", best_load / best_base, mb / best_load));
  report.row("load+simulate", bench::describe_reps(load_sim) + fmt::format("  = {:.2f}x yaml-cpp", best_sim / best_base));
  report.row("peak RSS", fmt::format("{:.1f} MiB", bench::peak_rss_mib()));
  report.result("seconds", fmt::format("{:.4f}", best_load));
  report.result("mb", fmt::format("{:.3f}", mb));
  report.result("mbps", fmt::format("{:.3f}", mb / best_load));
  report.result("ratio", fmt::format("{:.3f}", best_load / best_base));
  report.finish();
  std::printf("RESULT yaml_same_files seconds=%.4f mb=%.3f mbps=%.3f\n", best_base, yaml_mb, yaml_mb / best_base);
  std::printf("RESULT load_simulate seconds=%.4f rss_mib=%.1f ratio=%.3f\n", best_sim, bench::peak_rss_mib(), best_sim / best_base);
  return 0;
}
