// SPDX-License-Identifier: Apache-2.0
// The command line: one table of sub-commands (name, one-line summary, handler), flag parsing with
// Boost.Program_options (used nowhere else), and the mapping of outcomes to exit codes. Every handler
// renders its whole output into a string first, so bad input leaves stdout empty and `--out FILE` is
// written whole or not at all.
#include "fluxsim/cli.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>  // isatty: the progress bar only draws on a terminal

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "app/pipeline.h"
#include "fluxsim/analysis.h"
#include "fluxsim/calibrate.h"
#include "fluxsim/check.h"
#include "fluxsim/compare.h"
#include "fluxsim/diff.h"
#include "fluxsim/engine.h"
#include "fluxsim/graph.h"
#include "fluxsim/graph_report.h"
#include "fluxsim/load.h"
#include "fluxsim/monte_carlo.h"
#include "fluxsim/readiness.h"
#include "fluxsim/report.h"
#include "fluxsim/scenario.h"
#include "fluxsim/sweep.h"
#include "fluxsim/tree.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

using app::BadInput;
using app::throw_diagnostics;

struct Io {
  std::ostream& out;
  std::ostream& err;
};

// ----- shared plumbing -------------------------------------------------------------------------------

/// Options every command that reads a scenario or repository accepts.
struct InputOptions {
  std::string input;                  ///< SCENARIO file or REPO directory
  std::string entry;                  ///< --entry
  std::vector<std::string> sets;      ///< --set key=value
  bool strict_offline = false;        ///< --strict-offline
  std::string timing;                 ///< --timing FILE: a timing overlay (fluxsim calibrate writes one)
};

void add_input_options(po::options_description& desc, InputOptions& in) {
  desc.add_options()
      ("entry", po::value(&in.entry)->value_name("PATH"),
       "path inside the repository that the root Kustomization applies (default: discovered, as `flux bootstrap --path`)")
      ("set", po::value(&in.sets)->value_name("KEY=VALUE")->composing(),
       "override a scenario field below spec, e.g. --set controllers.kustomize.concurrent=8 (repeatable)")
      ("strict-offline", po::bool_switch(&in.strict_offline),
       "fail sources and bases the checkout cannot provide (ArtifactFailed) instead of assuming them reachable "
       "(same as spec.offline: strict)")
      ("timing", po::value(&in.timing)->value_name("FILE"),
       "a timing overlay (what `fluxsim calibrate` writes): its timing and controllers fields apply before --set");
}

std::vector<ScenarioOverride> parse_sets(const std::vector<std::string>& sets) {
  std::vector<ScenarioOverride> out;
  for (const std::string& s : sets) {
    std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw BadInput(fmt::format("--set {}: expected KEY=VALUE, e.g. --set controllers.kustomize.concurrent=8", s));
    out.push_back({s.substr(0, eq), s.substr(eq + 1)});
  }
  return out;
}

app::Input input_of(const InputOptions& in) {
  return app::Input{in.input, in.entry, in.strict_offline, in.timing};
}

/// The scenario named on the command line (or a repository's defaults), its --set applied.
Scenario load_input_scenario(const InputOptions& in) { return app::load_scenario(input_of(in), parse_sets(in.sets)); }

/// Writes `text` to stdout, or whole to `path` (a temporary file renamed into place).
void emit(const std::string& text, const std::string& path, Io io) {
  if (path.empty() || path == "-") {
    io.out << text;
    io.out.flush();
    return;
  }
  const std::string tmp = path + ".fluxsim-tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw BadInput(fmt::format("{}: cannot write", path));
    f << text;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      throw BadInput(fmt::format("{}: write failed", path));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw BadInput(fmt::format("{}: cannot write: {}", path, ec.message()));
  }
  // Say what was written: with stdout left empty, this is the only sign the command did something.
  const std::size_t bytes = text.size();
  const std::string size = bytes < 1000      ? fmt::format("{} B", bytes)
                           : bytes < 1000000 ? fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3)
                                             : fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
  io.err << fmt::format("fluxsim: wrote {} ({})\n", path, size);
}

struct Command {
  const char* name;
  const char* usage;
  const char* summary;
  std::function<ExitCode(const std::vector<std::string>&, Io)> handler;
};

/// Parses a sub-command's arguments; prints help and returns false on --help.
/// `positionals`, when given, receives every positional argument (for commands taking several).
bool parse_args(const std::vector<std::string>& args, po::options_description& desc, const char* usage,
                const char* summary, std::string* positional, Io io, const char* more_help = nullptr,
                std::vector<std::string>* positionals = nullptr) {
  bool help = false;
  desc.add_options()("help,h", po::bool_switch(&help), "show this help");
  po::options_description hidden;
  std::vector<std::string> pos;
  hidden.add_options()("input", po::value(&pos));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description p;
  p.add("input", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(p).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw BadInput(e.what());
  }
  if (help) {
    std::ostringstream text;
    text << "usage: " << usage << "\n\n" << summary << "\n\n" << desc;
    if (more_help) text << '\n' << more_help;
    io.out << text.str();
    return false;
  }
  if (positionals) {
    *positionals = pos;
    return true;
  }
  if (pos.size() > 1) throw BadInput(fmt::format("unexpected argument '{}'", pos[1]));
  if (positional) *positional = pos.empty() ? std::string() : pos[0];
  return true;
}

// ===== Monte Carlo, what-if sweeps and diff (--runs, --jobs, --sweep; fluxsim diff) ==================
// Kept together so that other commands' edits to this file do not meet these.

/// spec.runs's bound (the scenario settings table): one bound for the file, --set, --sweep and --runs.
const std::size_t kMaxRuns = static_cast<std::size_t>(scenario_setting_max("runs"));

/// --runs, --jobs and --sweep, shared by `run` (and --runs/--jobs by `diff`).
struct MonteCarloFlags {
  std::optional<std::size_t> runs;  ///< --runs; unset: the scenario's spec.runs
  unsigned jobs = 0;                ///< --jobs; 0: one per hardware thread
  std::string sweep;                ///< --sweep PATH=V1,V2,...
};

void add_monte_carlo_options(po::options_description& desc, MonteCarloFlags& mc, bool with_sweep) {
  desc.add_options()
      ("runs", po::value<long long>()->value_name("N")->notifier([&mc](long long v) {
         if (v < 1 || v > static_cast<long long>(kMaxRuns)) throw BadInput(fmt::format("--runs {}: expected 1 to {}", v, kMaxRuns));
         mc.runs = static_cast<std::size_t>(v);
       }),
       "Monte Carlo: simulate N runs (default: the scenario's spec.runs, else 1) and report percentiles")
      ("jobs,j", po::value<long long>()->value_name("J")->notifier([&mc](long long v) {
         if (v < 0 || v > 4096) throw BadInput(fmt::format("--jobs {}: expected 1 to 4096 (0: one per hardware thread)", v));
         mc.jobs = static_cast<unsigned>(v);
       }),
       "threads for the runs (default: one per hardware thread); the report does not depend on it");
  if (with_sweep)
    desc.add_options()("sweep", po::value(&mc.sweep)->value_name("PATH=V1,V2,..."),
                       "what-if: one row per value of a numeric or duration field, e.g. "
                       "--sweep controllers.kustomize.concurrent=1,2,4,8,16");
}

/// The run count and thread count to use, validated.
std::size_t runs_of(const MonteCarloFlags& mc, const Scenario& scenario) {
  const std::size_t runs = mc.runs.value_or(static_cast<std::size_t>(std::max(scenario.runs, 1)));
  if (runs < 1 || runs > kMaxRuns) throw BadInput(fmt::format("--runs {}: expected 1 to {}", runs, kMaxRuns));
  return runs;
}
unsigned jobs_of(const MonteCarloFlags& mc) {
  if (mc.jobs > 0) return mc.jobs;
  return std::max(1u, std::thread::hardware_concurrency());
}

/// A progress bar on stderr: only when stderr is a terminal, and only once the work has taken more
/// than a second. Erased when done, so nothing of it stays in a log.
class ProgressBar {
 public:
  explicit ProgressBar(Io io) : err_(io.err), enabled_(&io.err == &std::cerr && isatty(STDERR_FILENO) == 1) {}
  ~ProgressBar() {
    if (shown_) err_ << "\r\033[K" << std::flush;
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// A hook for MonteCarloOptions::progress; `label` names the part of the work ("base", "concurrent=4").
  ProgressHook hook(std::string label) {
    if (!enabled_) return {};
    return [this, label = std::move(label)](std::size_t done, std::size_t total) { update(label, done, total); };
  }

 private:
  void update(const std::string& label, std::size_t done, std::size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1)) return;
    if (shown_ && done != total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    shown_ = true;
    constexpr std::size_t kWidth = 30;
    const std::size_t filled = total == 0 ? kWidth : done * kWidth / total;
    err_ << "\r\033[K" << (label.empty() ? "" : label + " ") << '[' << std::string(filled, '#')
         << std::string(kWidth - filled, '.') << "] " << done << '/' << total << " runs" << std::flush;
  }

  std::ostream& err_;
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

MonteCarloResult monte_carlo_of(const Simulation& sim, const World& world, const Scenario& scenario, std::size_t runs,
                                unsigned jobs, bool record, ProgressHook progress) {
  MonteCarloOptions options;
  options.runs = runs;
  options.jobs = jobs;
  options.record = record;
  options.progress = std::move(progress);
  return run_monte_carlo(sim, world, scenario, options);
}

/// `fluxsim run --runs N` (N > 1, or spec.runs > 1): the Monte Carlo report.
ExitCode run_monte_carlo_report(const Simulation& sim, const World& world, const Scenario& scenario, ReportFormat format,
                                const std::string& out_path, std::size_t runs, const MonteCarloFlags& mc, Io io) {
  if (format != ReportFormat::Table && format != ReportFormat::Json)
    throw BadInput("with --runs > 1 the report is a table or JSON (-o table|json); other formats show one run (--runs 1)");
  MonteCarloResult result;
  {
    ProgressBar bar(io);
    result = monte_carlo_of(sim, world, scenario, runs, jobs_of(mc), false, bar.hook(""));
  }
  std::ostringstream text;
  if (format == ReportFormat::Json) write_monte_carlo_json({scenario, world, result}, text);
  else write_monte_carlo_table({scenario, world, result}, text);
  emit(text.str(), out_path, io);
  for (const ExpectationStats& e : result.expectations)
    if (!e.met()) return ExitCode::Failed;
  return ExitCode::Ok;
}

/// `fluxsim run --sweep PATH=V1,V2`: one Monte Carlo result per value; exit 1 when a value misses an
/// expectation in some run, as `run` does.
ExitCode run_sweep_report(const InputOptions& in, std::optional<std::uint64_t> seed, ReportFormat format,
                          const std::string& out_path, const MonteCarloFlags& mc, Io io) {
  if (format != ReportFormat::Table && format != ReportFormat::Json)
    throw BadInput("--sweep prints a table or JSON (-o table|json)");
  SweepParse parsed = parse_sweep(mc.sweep);
  if (!parsed.sweep) throw BadInput(parsed.error);
  const Sweep& sweep = *parsed.sweep;
  SweepScenarios scenarios = sweep_scenarios(sweep, parse_sets(in.sets), [&](const std::vector<ScenarioOverride>& overrides) {
    return app::read_scenario(input_of(in), overrides);
  });
  if (scenarios.diagnostics.has_errors()) throw_diagnostics(scenarios.diagnostics);
  for (Scenario& s : scenarios.scenarios)
    if (seed) s.seed = *seed;
  // Each value loads the repository for itself, exactly as `run` would with that --set: loading may
  // depend on the swept field, and may adjust the scenario. Only the first load's findings are shown.
  std::ostringstream repeated_findings;
  std::vector<SweepRow> rows;
  ProgressBar bar(io);
  for (std::size_t i = 0; i < scenarios.scenarios.size(); ++i) {
    Scenario& scenario = scenarios.scenarios[i];
    const auto input = app::prepare(scenario, i == 0 ? &io.err : &repeated_findings);
    scenario = input->scenario();
    rows.push_back({sweep.values[i], monte_carlo_of(input->simulation(), input->world(), input->scenario(), runs_of(mc, scenario),
                                                    jobs_of(mc), true, bar.hook(fmt::format("{}={}", sweep.path, sweep.values[i])))});
  }
  std::ostringstream text;
  const SweepReport report{scenarios.scenarios.front(), sweep, rows};
  if (format == ReportFormat::Json) write_sweep_json(report, text);
  else write_sweep_table(report, text);
  emit(text.str(), out_path, io);
  return sweep_missed_expectations(rows) ? ExitCode::Failed : ExitCode::Ok;
}

const char* kDiffHelp =
    "Each side is simulated --runs times (default: the larger spec.runs of the two, else 1) with the same\n"
    "seed. A Kustomization is matched across sides by namespace and name. Order changes are those that left\n"
    "one longest run of unchanged relative order; a new failure is Ready in every BASE run (or new) but not\n"
    "in every HEAD run. The critical path is that of run 0.\n"
    "\n--max-slowdown compares the median run's time to full readiness (a run that never got there counts as\n"
    "infinitely slow): HEAD fails when it is slower by more than the duration, or the percentage, given.\n"
    "\nExit codes: 0 HEAD passes; 1 HEAD misses an expectation or exceeds --max-slowdown; 2 bad input;\n"
    "3 internal error.\n";

ExitCode cmd_diff(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  MonteCarloFlags mc;
  std::string format = "table", out_path, base_repo, head_repo, max_slowdown;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> positionals;
  po::options_description desc("Options");
  add_input_options(desc, in);
  add_monte_carlo_options(desc, mc, false);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"), "report format: table (default), markdown (a pull-request comment) or json")
      ("base-repo", po::value(&base_repo)->value_name("DIR"), "with one SCENARIO: the BASE checkout of its repository")
      ("head-repo", po::value(&head_repo)->value_name("DIR"), "with one SCENARIO: the HEAD checkout of its repository")
      ("max-slowdown", po::value(&max_slowdown)->value_name("D|P%"),
       "exit 1 when HEAD is slower than BASE by more than a duration (2m) or a percentage (20%)")
      ("seed", po::value<std::uint64_t>()->value_name("N")->notifier([&](std::uint64_t v) { seed = v; }),
       "random seed for both sides (default: each scenario's, else 1)")
      ("out", po::value(&out_path)->value_name("FILE"), "write the report to FILE (whole, or not at all) instead of stdout");
  if (!parse_args(args, desc, "fluxsim diff BASE HEAD [options]  |  fluxsim diff [SCENARIO] --base-repo DIR --head-repo DIR [options]",
                  "Compare two rollouts (two scenarios or repositories, or one scenario on two checkouts): time to full\n"
                  "readiness, Kustomizations added and removed, order changes, new failures, critical paths, worker load.",
                  nullptr, io, kDiffHelp, &positionals))
    return ExitCode::Ok;
  if (format != "table" && format != "markdown" && format != "json")
    throw BadInput(fmt::format("-o {}: unknown format (table, markdown, json)", format));
  std::optional<Slowdown> limit;
  if (!max_slowdown.empty()) {
    SlowdownParse p = parse_slowdown(max_slowdown);
    if (!p.value) throw BadInput(p.error);
    limit = p.value;
  }
  // The two sides' inputs.
  const bool repos = !base_repo.empty() || !head_repo.empty();
  InputOptions base_in = in, head_in = in;
  if (repos) {
    if (base_repo.empty() || head_repo.empty()) throw BadInput("--base-repo and --head-repo go together");
    if (positionals.size() > 1) throw BadInput(fmt::format("with --base-repo and --head-repo, give at most one SCENARIO (got '{}' too)", positionals[1]));
    base_in.input = positionals.empty() ? base_repo : positionals[0];
    head_in.input = positionals.empty() ? head_repo : positionals[0];
  } else {
    if (positionals.size() != 2)
      throw BadInput(positionals.size() < 2 ? "diff needs BASE and HEAD (two scenarios or repositories), or --base-repo and --head-repo"
                                            : fmt::format("unexpected argument '{}'", positionals[2]));
    base_in.input = positionals[0];
    head_in.input = positionals[1];
  }
  Scenario base_s = load_input_scenario(base_in);
  Scenario head_s = load_input_scenario(head_in);
  if (repos && !positionals.empty()) {
    // One scenario on two checkouts: the scenario's repository is replaced by each checkout.
    for (auto [s, dir] : {std::pair{&base_s, &base_repo}, std::pair{&head_s, &head_repo}}) {
      std::error_code ec;
      if (!fs::is_directory(*dir, ec)) throw BadInput(fmt::format("{}: not a directory", *dir));
      s->repo = *dir;
    }
  }
  if (base_s.name == head_s.name && (repos ? base_repo != head_repo : base_in.input != head_in.input)) {
    base_s.name += repos ? fmt::format(" ({})", base_repo) : fmt::format(" ({})", base_in.input);
    head_s.name += repos ? fmt::format(" ({})", head_repo) : fmt::format(" ({})", head_in.input);
  }
  if (seed) base_s.seed = head_s.seed = *seed;
  MonteCarloFlags both = mc;
  if (!both.runs) both.runs = static_cast<std::size_t>(std::max({base_s.runs, head_s.runs, 1}));
  const std::size_t runs = runs_of(both, base_s);

  const auto base = app::prepare(base_s, &io.err);
  const auto head = app::prepare(head_s, &io.err);
  MonteCarloResult base_r, head_r;
  {
    ProgressBar bar(io);
    base_r = monte_carlo_of(base->simulation(), base->world(), base->scenario(), runs, jobs_of(mc), false, bar.hook("base"));
    head_r = monte_carlo_of(head->simulation(), head->world(), head->scenario(), runs, jobs_of(mc), false, bar.hook("head"));
  }
  const DiffResult diff =
      compare_rollouts({base->scenario(), base->world(), base_r}, {head->scenario(), head->world(), head_r}, limit);
  std::ostringstream text;
  if (format == "markdown") write_diff_markdown(diff, text);
  else if (format == "json") write_diff_json(diff, text);
  else write_diff_table(diff, text);
  emit(text.str(), out_path, io);
  return diff.failed() ? ExitCode::Failed : ExitCode::Ok;
}

// ===== end of Monte Carlo, sweeps and diff ============================================================

// ----- fluxsim run -----------------------------------------------------------------------------------

std::string run_help_text() {
  std::string text =
      "Default timings (every one can be overridden in the scenario's `timing`):\n";
  for (const std::string& line : describe_default_timings()) text += "  " + line + "\n";
  text +=
      "\nAssumptions:\n"
      "  a kind whose CustomResourceDefinition is in the repository exists once that CRD is applied and\n"
      "  Established; a kind named in `provides` once its provider is Current; any other kind is assumed\n"
      "  installed. A namespace that some Namespace object in the repository creates exists once it is\n"
      "  applied; any other namespace is assumed to exist. An object that a healthChecks entry names but\n"
      "  no build contains (one an operator or a Helm chart creates) appears when that health check\n"
      "  starts and takes its kind's time (or a matching `timing.ready` rule) to become Current.\n"
      "  Flags the repository patches onto the Flux controllers (--concurrent, --requeue-dependency, ...)\n"
      "  are used unless the scenario sets the same field.\n"
      "\nExit codes: 0 ok; 1 an expectation failed; 2 bad input; 3 internal error.\n";
  return text;
}

ExitCode cmd_run(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "table", out_path, events_path;
  std::optional<std::uint64_t> seed;
  MonteCarloFlags mc;
  po::options_description desc("Options");
  add_input_options(desc, in);
  add_monte_carlo_options(desc, mc, true);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"),
       "report format: table (default), json, mermaid (a gantt chart for GitHub), svg (a Gantt picture), trace "
       "(Chrome trace-event JSON for ui.perfetto.dev) or html (one page with all of them that opens offline)")
      ("events", po::value(&events_path)->value_name("FILE"),
       "also write every trace event to FILE as JSON Lines, as the run produces them (one run only)")
      ("seed", po::value<std::uint64_t>()->value_name("N")->notifier([&](std::uint64_t v) { seed = v; }),
       "random seed (default: the scenario's, else 1)")
      ("out", po::value(&out_path)->value_name("FILE"), "write the report to FILE (whole, or not at all) instead of stdout");
  const std::string more = run_help_text();
  if (!parse_args(args, desc, "fluxsim run SCENARIO|REPO [options]",
                  "Simulate a from-scratch Flux bootstrap of the repository and report the rollout.", &in.input, io,
                  more.c_str()))
    return ExitCode::Ok;
  std::optional<ReportFormat> fmt_kind = parse_report_format(format);
  if (!fmt_kind) throw BadInput(fmt::format("-o {}: unknown format (table, json, mermaid, svg, trace, html)", format));

  if (!mc.sweep.empty()) return run_sweep_report(in, seed, *fmt_kind, out_path, mc, io);
  Scenario loaded = load_input_scenario(in);
  if (seed) loaded.seed = *seed;
  const auto input = app::prepare(std::move(loaded), &io.err);
  const Scenario& scenario = input->scenario();
  const World& world = input->world();
  if (const std::size_t runs = runs_of(mc, scenario); runs > 1) {
    if (!events_path.empty()) throw BadInput("--events writes the events of one run: use it with --runs 1");
    return run_monte_carlo_report(input->simulation(), world, scenario, *fmt_kind, out_path, runs, mc, io);
  }
  // Events stream to --events FILE as they happen; only those the report draws stay in memory (all of them
  // for the HTML page, which tells the run's story).
  std::ofstream events;
  if (!events_path.empty()) {
    events.open(events_path, std::ios::binary | std::ios::trunc);
    if (!events) throw BadInput(fmt::format("--events {}: cannot write the file", events_path));
  }
  const bool keep_all = *fmt_kind == ReportFormat::Html;
  std::vector<TraceEvent> kept;
  EngineOptions options;
  options.keep_events = keep_all;
  options.on_event = [&](const TraceEvent& e, const RunResult& so_far) {
    if (events.is_open()) write_event_line(world, so_far, e, events);
    if (!keep_all && drawn_by_reports(e.type)) kept.push_back(e);
  };
  RunResult result = input->simulation().run(options);
  if (!keep_all) result.events = std::move(kept);
  if (events.is_open()) write_run_end_line(result, events);
  if (events.is_open() && !events.flush()) throw BadInput(fmt::format("--events {}: write failed", events_path));
  RunReport report{scenario, world, result, check_expectations(scenario, world, result)};
  std::ostringstream text;
  switch (*fmt_kind) {
    case ReportFormat::Html: write_html(report, text); break;
    case ReportFormat::Json: write_json(report, text); break;
    case ReportFormat::Mermaid: write_mermaid_gantt(report, text); break;
    case ReportFormat::Svg: write_svg_gantt(report, text); break;
    case ReportFormat::Trace: write_chrome_trace(report, text); break;
    case ReportFormat::Table: write_table(report, text); break;
  }
  emit(text.str(), out_path, io);
  for (const ExpectationResult& e : report.expectations)
    if (!e.met) return ExitCode::Failed;
  return ExitCode::Ok;
}

// ----- fluxsim tree ----------------------------------------------------------------------------------

ExitCode cmd_tree(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "text", out_path;
  bool objects = false;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"), "text (default) or json")
      ("objects", po::bool_switch(&objects), "list every object each Kustomization applies (default: counts by kind)")
      ("out", po::value(&out_path)->value_name("FILE"), "write to FILE (whole, or not at all) instead of stdout");
  if (!parse_args(args, desc, "fluxsim tree SCENARIO|REPO [--entry PATH] [--objects] [-o text|json]",
                  "Offline `flux tree kustomization`: each Kustomization nested under the one that applies it, with\n"
                  "its namespace, source, path and dependsOn, and the objects its build applies.",
                  &in.input, io))
    return ExitCode::Ok;
  if (format != "text" && format != "json") throw BadInput(fmt::format("-o {}: unknown format (text, json)", format));
  Scenario scenario = load_input_scenario(in);
  World world = app::load_repository(scenario, &io.err);
  TreeOptions options;
  options.objects = objects;
  options.json = format == "json";
  std::ostringstream text;
  write_tree(world, options, text);
  emit(text.str(), out_path, io);
  return ExitCode::Ok;
}

// ----- reports: fluxsim graph, check, explain ---------------------------------------------------------
// (the static graph, static findings and the teaching story; the run pictures are formats of `run`)

ExitCode cmd_graph(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "text", out_path;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"),
       "text (default), dot (Graphviz: `| dot -Tsvg > graph.svg`) or mermaid (a flowchart for GitHub)")
      ("out", po::value(&out_path)->value_name("FILE"), "write to FILE (whole, or not at all) instead of stdout");
  if (!parse_args(args, desc, "fluxsim graph SCENARIO|REPO [options]",
                  "The static graph: who applies whom (parent -> child) and who waits for whom (dependsOn), in topological "
                  "waves, with every dependsOn cycle marked and listed with the file and line of each entry.",
                  &in.input, io))
    return ExitCode::Ok;
  std::optional<GraphFormat> kind = parse_graph_format(format);
  if (!kind) throw BadInput(fmt::format("-o {}: unknown format (text, dot, mermaid)", format));
  Scenario scenario = load_input_scenario(in);
  World world = app::load_repository(scenario, nullptr);  // graph shows the loader's findings its own way
  DependencyGraph graph(world);
  std::ostringstream text;
  switch (*kind) {
    case GraphFormat::Dot: write_graph_dot(world, graph, text); break;
    case GraphFormat::Mermaid: write_graph_mermaid(world, graph, text); break;
    case GraphFormat::Text: write_graph_text(world, graph, text); break;
  }
  emit(text.str(), out_path, io);
  return ExitCode::Ok;
}

ExitCode cmd_check(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "text", out_path;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"), "text (default) or json")
      ("out", po::value(&out_path)->value_name("FILE"), "write to FILE (whole, or not at all) instead of stdout");
  const char* more =
      "Checks: root-build (the root Kustomization cannot build: nothing rolls out), dependency-cycle, missing-dependency, suspended-dependency, health-check-deadlock (a wait: true\n"
      "Kustomization waiting for a child that waits for it), crd-ordering (a custom resource applied before its CRD\n"
      "or its provider), unknown-kind, namespace-ordering (a namespaced object applied before another\n"
      "Kustomization creates its Namespace, or before a HelmRelease's install.createNamespace does),\n"
      "health-check-uncreated (a healthChecks entry naming an object nothing creates: no Kustomization applies\n"
      "it, no HelmRelease's chart makes it), health-check-timeout (shorter than the readiness it waits for, from the\n"
      "scenario's timing), short-interval; plus the loader's and the scenario's own findings.\n"
      "\nExit codes: 0 no errors (warnings allowed); 1 some error; 2 bad input; 3 internal error.\n";
  if (!parse_args(args, desc, "fluxsim check SCENARIO|REPO [options]",
                  "Static findings, each with file:line and a hint: ordering mistakes that Flux would only reveal at run time.",
                  &in.input, io, more))
    return ExitCode::Ok;
  if (format != "text" && format != "json") throw BadInput(fmt::format("-o {}: unknown format (text, json)", format));
  Scenario scenario = load_input_scenario(in);
  World world = app::load_repository(scenario, nullptr);  // check lists the loader's findings itself
  CheckResult result = check_world(world, scenario);
  std::ostringstream text;
  if (format == "json") write_check_json(result, scenario, text);
  else write_check_text(result, text);
  emit(text.str(), out_path, io);
  return result.has_errors() ? ExitCode::Failed : ExitCode::Ok;
}

ExitCode cmd_explain(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string out_path;
  std::optional<std::uint64_t> seed;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("seed", po::value<std::uint64_t>()->value_name("N")->notifier([&](std::uint64_t v) { seed = v; }),
       "random seed (default: the scenario's, else 1)")
      ("out", po::value(&out_path)->value_name("FILE"), "write to FILE (whole, or not at all) instead of stdout");
  if (!parse_args(args, desc, "fluxsim explain SCENARIO|REPO [options]",
                  "The run told as a numbered story, one line per controller decision, each naming the Flux rule (field "
                  "or flag) behind it; then the critical path and what to change.",
                  &in.input, io))
    return ExitCode::Ok;
  Scenario loaded = load_input_scenario(in);
  if (seed) loaded.seed = *seed;
  const auto input = app::prepare(std::move(loaded), &io.err);
  const Scenario& scenario = input->scenario();
  const World& world = input->world();
  RunResult result = input->simulation().run();
  RunReport report{scenario, world, result, check_expectations(scenario, world, result)};
  std::ostringstream text;
  write_explain(report, text);
  emit(text.str(), out_path, io);
  return ExitCode::Ok;
}

// ----- calibration: fluxsim calibrate, fluxsim compare ---------------------------------------------------

const char* kObservedHelp =
    "OBSERVED is what kubectl prints for the Flux objects (Flux >= 2.6 keeps status.history):\n"
    "  kubectl get kustomizations,helmreleases,gitrepositories,ocirepositories,helmcharts -A -o json > observed.json\n"
    "  kubectl get events -A -o json > events.json        # optional: --events events.json\n";

Observed load_observed_input(const std::string& path, const std::string& events) {
  if (path.empty()) throw BadInput("missing OBSERVED.json argument (kubectl get kustomizations,helmreleases,... -A -o json)");
  ObservedLoad load = read_observed(path, events);
  if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
  return std::move(load.observed);
}

ExitCode cmd_calibrate(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string repo, out_path, events;
  std::vector<std::string> positionals;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("repo", po::value(&repo)->value_name("DIR|SCENARIO"),
       "the repository (or a scenario) the cluster runs: the fit is refined by simulating it")
      ("events", po::value(&events)->value_name("FILE"), "kubectl get events -A -o json: pass durations history lacks")
      ("out", po::value(&out_path)->value_name("FILE"), "write the overlay to FILE (whole, or not at all) instead of stdout");
  const std::string more = std::string(kObservedHelp) +
      "\nThe overlay is a Scenario whose spec holds only timing: give it to run, diff, compare or --sweep with\n"
      "--timing FILE. How each value is fitted is written in the overlay's comments.\n"
      "\nExit codes: 0 ok; 2 bad input; 3 internal error.\n";
  if (!parse_args(args, desc, "fluxsim calibrate OBSERVED.json [--repo DIR|SCENARIO] [--events FILE] [--out FILE]",
                  "Fit timings (build and apply cost, per-kind readiness, source fetch, Helm install) to what a cluster\n"
                  "reported, and write them as a timing overlay.",
                  nullptr, io, more.c_str(), &positionals))
    return ExitCode::Ok;
  if (positionals.size() > 1) throw BadInput(fmt::format("unexpected argument '{}'", positionals[1]));
  const Observed observed = load_observed_input(positionals.empty() ? "" : positionals[0], events);
  Calibration fitted;
  if (!repo.empty()) {
    in.input = repo;
    Scenario scenario = load_input_scenario(in);
    const World world = app::load_repository(scenario, nullptr);
    fitted = calibrate(observed, &world, scenario);
  } else {
    fitted = calibrate(observed, nullptr, Scenario{});
  }
  emit(write_timing_overlay(fitted, observed.file), out_path, io);
  return ExitCode::Ok;
}

ExitCode cmd_compare(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "table", out_path, events;
  std::optional<std::uint64_t> seed;
  std::vector<std::string> positionals;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"), "table (default) or json")
      ("events", po::value(&events)->value_name("FILE"), "kubectl get events -A -o json (optional)")
      ("seed", po::value<std::uint64_t>()->value_name("N")->notifier([&](std::uint64_t v) { seed = v; }),
       "random seed (default: the scenario's, else 1)")
      ("out", po::value(&out_path)->value_name("FILE"), "write to FILE (whole, or not at all) instead of stdout");
  const std::string more = std::string(kObservedHelp) +
      "\nBoth sides are timed from the first creation among the objects they share; objects are matched by kind,\n"
      "namespace and name. The error is predicted minus observed.\n"
      "\nExit codes: 0 ok; 2 bad input; 3 internal error.\n";
  if (!parse_args(args, desc, "fluxsim compare OBSERVED.json SCENARIO|REPO [--timing FILE] [-o table|json]",
                  "Observed vs predicted: when each Kustomization and HelmRelease became Ready on the cluster and in the\n"
                  "simulation, and the time to full readiness, with the error.",
                  nullptr, io, more.c_str(), &positionals))
    return ExitCode::Ok;
  if (format != "table" && format != "json") throw BadInput(fmt::format("-o {}: unknown format (table, json)", format));
  if (positionals.size() != 2)
    throw BadInput(positionals.size() < 2 ? "compare needs OBSERVED.json and a SCENARIO or REPO"
                                          : fmt::format("unexpected argument '{}'", positionals[2]));
  const Observed observed = load_observed_input(positionals[0], events);
  in.input = positionals[1];
  Scenario scenario = load_input_scenario(in);
  if (seed) scenario.seed = *seed;
  const auto input = app::prepare(std::move(scenario), &io.err);
  EngineOptions options;
  options.record = false;
  const RunResult result = input->simulation().run(options);
  const Comparison c = compare_with_observed(observed, input->world(), result);
  std::ostringstream text;
  if (format == "json") write_comparison_json(c, observed.file, input->scenario().name, text);
  else write_comparison_table(c, observed.file, input->scenario().name, text);
  emit(text.str(), out_path, io);
  return ExitCode::Ok;
}

// ----- the table -------------------------------------------------------------------------------------

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "fluxsim run SCENARIO|REPO [--entry PATH] [-o table|json|mermaid|svg|trace] [--runs N] [--jobs J] [--seed S] [--set key=value]... [--sweep key=v1,v2,...]",
       "simulate a bootstrap: rollout order, time to full readiness, what waited on what", cmd_run},
      {"tree", "fluxsim tree SCENARIO|REPO [--entry PATH] [--objects] [-o text|json]",
       "offline `flux tree`: each Kustomization and the objects it would apply", cmd_tree},
      {"graph", "fluxsim graph SCENARIO|REPO [--entry PATH] [-o text|dot|mermaid]",
       "the static graph: hierarchy and dependsOn in topological waves, cycles marked", cmd_graph},
      {"check", "fluxsim check SCENARIO|REPO [--entry PATH] [-o text|json]",
       "static findings (cycles, missing dependencies, CRD ordering, deadlocks...); exit 1 on errors", cmd_check},
      {"explain", "fluxsim explain SCENARIO|REPO [--entry PATH] [--seed S]",
       "the run told as a story, one line per decision, naming the Flux rule behind it", cmd_explain},
      {"diff", "fluxsim diff BASE HEAD [--base-repo DIR --head-repo DIR] [-o table|markdown|json] [--runs N] [--max-slowdown D|P%]",
       "compare two rollouts (a pull request's base and head): time to ready, order, failures, critical path", cmd_diff},
      {"calibrate", "fluxsim calibrate OBSERVED.json [--repo DIR|SCENARIO] [--events FILE] [--out FILE]",
       "fit timings to a cluster's kubectl export; write them as a timing overlay (--timing FILE)", cmd_calibrate},
      {"compare", "fluxsim compare OBSERVED.json SCENARIO|REPO [--timing FILE] [-o table|json]",
       "observed vs predicted Ready times per Kustomization/HelmRelease and overall, with the error", cmd_compare},
  };
  return kCommands;
}

std::string main_help() {
  std::string text = fmt::format(
      "fluxsim {} — an offline, apply-time orchestration simulator for Flux CD\n\n"
      "usage: fluxsim COMMAND [options]     (fluxsim help COMMAND, or fluxsim COMMAND --help, for a command's options)\n"
      "       fluxsim --version\n\ncommands:\n",
      kVersion);
  for (const Command& c : commands()) text += fmt::format("  {:<9} {}\n", c.name, c.summary);
  text +=
      "\nA SCENARIO is a fluxsim/v1alpha1 Scenario file; a REPO is a Git checkout of Flux manifests.\n"
      "Exit codes: 0 ok; 1 an expectation, a check or --max-slowdown failed; 2 bad input; 3 internal error.\n";
  return text;
}

const Command* find_command(const std::string& name) {
  for (const Command& c : commands())
    if (name == c.name) return &c;
  return nullptr;
}

}  // namespace

ExitCode run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Io io{out, err};
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    if (args.empty()) {
      // No command: the usage is the error message, so it goes to stderr (stdout stays empty on exit 2).
      err << main_help();
      return ExitCode::BadInput;
    }
    if (args[0] == "-h" || args[0] == "--help" || (args[0] == "help" && args.size() == 1)) {
      out << main_help();
      return ExitCode::Ok;
    }
    if (args[0] == "help") {  // fluxsim help COMMAND: that command's --help
      if (args.size() > 2) throw BadInput(fmt::format("help takes one COMMAND (got '{}' too)", args[2]));
      const Command* c = find_command(args[1]);
      if (!c) throw BadInput(fmt::format("help {}: unknown command (fluxsim --help lists them)", args[1]));
      return c->handler({"--help"}, io);
    }
    if (args[0] == "--version" || args[0] == "version") {
      out << "fluxsim " << kVersion << '\n';
      return ExitCode::Ok;
    }
    if (const Command* c = find_command(args[0])) return c->handler(std::vector<std::string>(args.begin() + 1, args.end()), io);
    throw BadInput(fmt::format("unknown command '{}' (fluxsim --help lists them)", args[0]));
  } catch (const BadInput& e) {
    err << "fluxsim: " << e.what() << '\n';
    return ExitCode::BadInput;
  } catch (const std::logic_error& e) {
    err << "fluxsim: internal error: " << e.what() << '\n';
    return ExitCode::InternalError;
  } catch (const std::exception& e) {
    err << "fluxsim: internal error: " << e.what() << '\n';
    return ExitCode::InternalError;
  }
}

}  // namespace fluxsim
