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
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "fluxsim/analysis.h"
#include "fluxsim/check.h"
#include "fluxsim/engine.h"
#include "fluxsim/graph.h"
#include "fluxsim/graph_report.h"
#include "fluxsim/load.h"
#include "fluxsim/readiness.h"
#include "fluxsim/report.h"
#include "fluxsim/scenario.h"
#include "fluxsim/tree.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

/// An input problem: printed as one line, exit code 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

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
};

void add_input_options(po::options_description& desc, InputOptions& in) {
  desc.add_options()
      ("entry", po::value(&in.entry)->value_name("PATH"),
       "path inside the repository that the root Kustomization applies (default: discovered, as `flux bootstrap --path`)")
      ("set", po::value(&in.sets)->value_name("KEY=VALUE")->composing(),
       "override a scenario field below spec, e.g. --set controllers.kustomize.concurrent=8 (repeatable)");
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

void throw_diagnostics(const Diagnostics& diags) {
  std::string lines;
  for (const Diagnostic& d : diags)
    if (d.severity == Severity::Error) {
      if (!lines.empty()) lines += "\nfluxsim: ";
      lines += to_string(d);
    }
  throw BadInput(lines);
}

/// Loads the scenario named on the command line, or the default scenario of a repository directory.
Scenario load_input_scenario(const InputOptions& in) {
  if (in.input.empty()) throw BadInput("missing SCENARIO or REPO argument");
  std::error_code ec;
  const fs::file_status st = fs::status(in.input, ec);
  if (ec || !fs::exists(st)) throw BadInput(fmt::format("{}: no such file or directory", in.input));
  const std::vector<ScenarioOverride> overrides = parse_sets(in.sets);
  Scenario scenario;
  if (fs::is_directory(st)) {
    // A bare repository: every default. Overrides go through the scenario parser so they are
    // validated exactly like fields written in a file.
    Scenario defaults = default_scenario_for_repo(in.input);
    if (overrides.empty()) {
      scenario = defaults;
    } else {
      std::string text = fmt::format("apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: \"{}\"\nspec:\n  repo: \"{}\"\n",
                                     defaults.name, fs::absolute(in.input).generic_string());
      ScenarioLoad load = parse_scenario(text, "(command line)", overrides);
      if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
      scenario = std::move(load.scenario);
    }
  } else {
    ScenarioLoad load = load_scenario(in.input, overrides);
    if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
    scenario = std::move(load.scenario);
  }
  if (!in.entry.empty()) scenario.entry = in.entry;
  return scenario;
}

/// Loads the repository, and makes the scenario run the controllers the repository deploys (flags
/// such as --concurrent=20 found in its patches), unless the scenario set those fields itself.
World load_input_world(Scenario& scenario, Io io) {
  WorldLoad load = load_world(scenario);
  if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
  apply_controller_flags(scenario, load.world, load.world.diagnostics);
  // Problems inside the repository are part of the simulation (the Kustomization that builds them
  // fails as Flux would); list them briefly on stderr.
  std::size_t shown = 0, warnings = 0;
  for (const Diagnostic& d : load.world.diagnostics) {
    if (d.severity == Severity::Note) continue;
    ++warnings;
    if (shown < 10) {
      io.err << "fluxsim: " << to_string(d) << '\n';
      ++shown;
    }
  }
  if (warnings > shown)
    io.err << fmt::format("fluxsim: ... and {} more findings (see `fluxsim check`)\n", warnings - shown);
  return std::move(load.world);
}

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
}

struct Command {
  const char* name;
  const char* usage;
  const char* summary;
  std::function<ExitCode(const std::vector<std::string>&, Io)> handler;
};

/// Parses a sub-command's arguments; prints help and returns false on --help.
bool parse_args(const std::vector<std::string>& args, po::options_description& desc, const char* usage,
                const char* summary, std::string* positional, Io io, const char* more_help = nullptr) {
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
  if (pos.size() > 1) throw BadInput(fmt::format("unexpected argument '{}'", pos[1]));
  if (positional) *positional = pos.empty() ? std::string() : pos[0];
  return true;
}

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
      "  applied; any other namespace is assumed to exist. Objects that health checks name but no build\n"
      "  contains are assumed to be created out of band and Current.\n"
      "\nExit codes: 0 ok; 1 an expectation failed; 2 bad input; 3 internal error.\n";
  return text;
}

ExitCode cmd_run(const std::vector<std::string>& args, Io io) {
  InputOptions in;
  std::string format = "table", out_path;
  std::optional<std::uint64_t> seed;
  po::options_description desc("Options");
  add_input_options(desc, in);
  desc.add_options()
      ("output,o", po::value(&format)->value_name("FORMAT"),
       "report format: table (default), json, mermaid (a gantt chart for GitHub), svg (a Gantt picture) or trace "
       "(Chrome trace-event JSON for ui.perfetto.dev)")
      ("seed", po::value<std::uint64_t>()->value_name("N")->notifier([&](std::uint64_t v) { seed = v; }),
       "random seed (default: the scenario's, else 1)")
      ("out", po::value(&out_path)->value_name("FILE"), "write the report to FILE (whole, or not at all) instead of stdout");
  const std::string more = run_help_text();
  if (!parse_args(args, desc, "fluxsim run SCENARIO|REPO [options]",
                  "Simulate a from-scratch Flux bootstrap of the repository and report the rollout.", &in.input, io,
                  more.c_str()))
    return ExitCode::Ok;
  std::optional<ReportFormat> fmt_kind = parse_report_format(format);
  if (!fmt_kind) throw BadInput(fmt::format("-o {}: unknown format (table, json, mermaid, svg, trace)", format));

  Scenario scenario = load_input_scenario(in);
  if (seed) scenario.seed = *seed;
  World world = load_input_world(scenario, io);
  Simulation sim(world, scenario);
  if (sim.diagnostics().has_errors()) throw_diagnostics(sim.diagnostics());
  RunResult result = sim.run();
  RunReport report{scenario, world, result, check_expectations(scenario, world, result)};
  std::ostringstream text;
  switch (*fmt_kind) {
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
  World world = load_input_world(scenario, io);
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

/// The World of a scenario or repository, with the loader's own findings left in World::diagnostics
/// (graph and check show them their own way, so nothing is echoed on stderr).
World load_quiet_world(Scenario& scenario) {
  WorldLoad load = load_world(scenario);
  if (load.diagnostics.has_errors()) throw_diagnostics(load.diagnostics);
  apply_controller_flags(scenario, load.world, load.world.diagnostics);
  return std::move(load.world);
}

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
  World world = load_quiet_world(scenario);
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
      "Checks: dependency-cycle, missing-dependency, suspended-dependency, health-check-deadlock (a wait: true\n"
      "Kustomization waiting for a child that waits for it), crd-ordering (a custom resource applied before its CRD\n"
      "or its provider), unknown-kind, health-check-timeout (shorter than the readiness it waits for, from the\n"
      "scenario's timing), short-interval; plus the loader's and the scenario's own findings.\n"
      "\nExit codes: 0 no errors (warnings allowed); 1 some error; 2 bad input; 3 internal error.\n";
  if (!parse_args(args, desc, "fluxsim check SCENARIO|REPO [options]",
                  "Static findings, each with file:line and a hint: ordering mistakes that Flux would only reveal at run time.",
                  &in.input, io, more))
    return ExitCode::Ok;
  if (format != "text" && format != "json") throw BadInput(fmt::format("-o {}: unknown format (text, json)", format));
  Scenario scenario = load_input_scenario(in);
  World world = load_quiet_world(scenario);
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
  Scenario scenario = load_input_scenario(in);
  if (seed) scenario.seed = *seed;
  World world = load_input_world(scenario, io);
  Simulation sim(world, scenario);
  if (sim.diagnostics().has_errors()) throw_diagnostics(sim.diagnostics());
  RunResult result = sim.run();
  RunReport report{scenario, world, result, check_expectations(scenario, world, result)};
  std::ostringstream text;
  write_explain(report, text);
  emit(text.str(), out_path, io);
  return ExitCode::Ok;
}

// ----- the table -------------------------------------------------------------------------------------

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "fluxsim run SCENARIO|REPO [--entry PATH] [-o table|json|mermaid|svg|trace] [--seed S] [--set key=value]...",
       "simulate a bootstrap: rollout order, time to full readiness, what waited on what", cmd_run},
      {"tree", "fluxsim tree SCENARIO|REPO [--entry PATH] [--objects] [-o text|json]",
       "offline `flux tree`: each Kustomization and the objects it would apply", cmd_tree},
      {"graph", "fluxsim graph SCENARIO|REPO [--entry PATH] [-o text|dot|mermaid]",
       "the static graph: hierarchy and dependsOn in topological waves, cycles marked", cmd_graph},
      {"check", "fluxsim check SCENARIO|REPO [--entry PATH] [-o text|json]",
       "static findings (cycles, missing dependencies, CRD ordering, deadlocks...); exit 1 on errors", cmd_check},
      {"explain", "fluxsim explain SCENARIO|REPO [--entry PATH] [--seed S]",
       "the run told as a story, one line per decision, naming the Flux rule behind it", cmd_explain},
  };
  return kCommands;
}

std::string main_help() {
  std::string text = fmt::format(
      "fluxsim {} — an offline, apply-time orchestration simulator for Flux CD\n\n"
      "usage: fluxsim COMMAND [options]     (fluxsim COMMAND --help for a command's options)\n\ncommands:\n",
      kVersion);
  for (const Command& c : commands()) text += fmt::format("  {:<9} {}\n", c.name, c.summary);
  text += "\nA SCENARIO is a fluxsim/v1alpha1 Scenario file; a REPO is a Git checkout of Flux manifests.\n";
  return text;
}

}  // namespace

ExitCode run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Io io{out, err};
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
      out << main_help();
      return args.empty() ? ExitCode::BadInput : ExitCode::Ok;
    }
    if (args[0] == "--version" || args[0] == "version") {
      out << "fluxsim " << kVersion << '\n';
      return ExitCode::Ok;
    }
    for (const Command& c : commands())
      if (args[0] == c.name) return c.handler(std::vector<std::string>(args.begin() + 1, args.end()), io);
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
