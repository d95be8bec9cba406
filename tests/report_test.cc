// SPDX-License-Identifier: Apache-2.0
// The report formats on small recorded runs: the table and JSON carry waves and the critical path;
// the SVG is well-formed XML with one bar group per Kustomization; the trace is JSON with an event for
// every pass; the Mermaid gantt has one task per Kustomization; the graph pictures parse with their
// tools. Tests that need xmllint or dot say so and skip when the tool is missing.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluxsim/engine.h"
#include "fluxsim/graph_report.h"
#include "fluxsim/report.h"
#include "world_builder.h"

using namespace fluxsim;
using namespace std::chrono_literals;
using fluxsim::test::WorldBuilder;

namespace {

bool have(const char* tool) { return std::system(fmt::format("command -v {} >/dev/null 2>&1", tool).c_str()) == 0; }

/// Writes `text` to a file in the temporary directory and runs `command FILE`; returns its exit status.
int run_tool(const std::string& command, const std::string& text, const std::string& name) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / fmt::format("fluxsim-report-test-{}-{}", ::getpid(), name);
  {
    std::ofstream out(file);
    out << text;
  }
  const int status = std::system(fmt::format("{} '{}' >/dev/null 2>&1", command, file.string()).c_str());
  std::filesystem::remove(file);
  return status;
}

/// The chain of three (b dependsOn a, c dependsOn b, wait: true on a Deployment each), plus a sibling
/// whose first apply fails, on two workers.
struct Fixture {
  WorldBuilder builder;
  Scenario scenario;
  RunResult result;
  Fixture() {
    for (const char* n : {"a", "b", "c"}) {
      builder.kustomization(n).wait = true;
      builder.object(n, "apps/v1", "Deployment", "default", std::string(n) + "-app");
    }
    builder.depends_on("b", "a");
    builder.depends_on("c", "b");
    builder.kustomization("flaky").retry_interval = 1min;
    builder.object("flaky", "v1", "ConfigMap", "default", "settings");
    scenario.name = "fixture";
    scenario.horizon = 1h;
    scenario.controllers.kustomize.concurrent = 2;
    Fault f;
    f.type = Fault::Type::FailApplies;
    f.match.name = "flaky";
    f.count = 1;
    scenario.faults.push_back(f);
    // To the horizon: the reports must leave the steady state after the rollout out of their frame.
    EngineOptions to_horizon;
    to_horizon.run_to_horizon = true;
    result = simulate(builder.world(), scenario, to_horizon);
  }
  RunReport report() const { return RunReport{scenario, builder.world(), result, {}}; }
};

template <typename Writer>
std::string render(Writer write, const RunReport& report) {
  std::ostringstream out;
  write(report, out);
  return out.str();
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// A wide world: n Kustomizations in a few layers with dependsOn between layers.
World wide_world(int n) {
  WorldBuilder b;
  for (int i = 0; i < n; ++i) {
    const std::string name = fmt::format("component-{:03}", i);
    b.kustomization(name, i < 10 ? "flux-system" : fmt::format("component-{:03}", i % 10)).wait = i % 3 == 0;
    b.object(name, "apps/v1", "Deployment", "default", name);
    if (i >= 20) b.depends_on(name, fmt::format("component-{:03}", i - 10));
  }
  return b.world();
}

}  // namespace

TEST_CASE("the table shows each Kustomization's wave and the critical path with its split and hint") {
  Fixture f;
  const std::string table = render(write_table, f.report());
  CHECK(table.find("KUSTOMIZATION  WAVE") != std::string::npos);
  CHECK(std::regex_search(table, std::regex("\nc +3 +flux-system ")));  // c: root -> a -> b -> c
  CHECK(table.find("Critical path (2m33.58s): flux-system → a → b → c\n") != std::string::npos);
  CHECK(table.find("dependsOn b Ready") != std::string::npos);
  CHECK(table.find("where the time went: health 1m30s (59%), dependency 58s (38%)") != std::string::npos);
  CHECK(table.find("% of the 2m33.58s is health checking") != std::string::npos);
  CHECK(table.find("Parallel phases (apply attempts that overlapped, until all Ready): 4\n") != std::string::npos);
  CHECK(table.find("  2 Kustomizations, up to 2 at once: b, flaky\n") != std::string::npos);
}

TEST_CASE("the JSON report has a wave per Kustomization and the critical path as names plus detail") {
  Fixture f;
  const auto doc = nlohmann::json::parse(render(write_json, f.report()));
  CHECK(doc["criticalPath"] == nlohmann::json::array({"flux-system", "a", "b", "c"}));
  std::map<std::string, int> waves;
  for (const auto& k : doc["kustomizations"]) waves[k["name"]] = k["wave"];
  CHECK(waves == std::map<std::string, int>{{"flux-system", 0}, {"a", 1}, {"b", 2}, {"c", 3}, {"flaky", 1}});
  const auto& detail = doc["criticalPathDetail"];
  CHECK(detail["totalMs"] == 153580);
  std::int64_t sum = 0;
  for (const auto& step : detail["steps"])
    for (const auto& [part, ms] : step["partsMs"].items()) sum += ms.get<std::int64_t>();
  CHECK(sum == 153580);
  CHECK(detail["steps"][2]["gate"] == "dependsOn");
  CHECK(detail["partsMs"]["dependency"] == 58000);
  CHECK(detail["summary"].get<std::string>().starts_with("59% of the 2m33.58s"));
  // Parallel phases until all Ready: root; a with flaky's failed attempt; b with flaky's retry; c.
  const auto& phases = doc["parallelPhases"];
  REQUIRE(phases.size() == 4);
  CHECK(phases[1]["kustomizations"] == nlohmann::json::array({"a", "flaky"}));
  CHECK(phases[2]["kustomizations"] == nlohmann::json::array({"b", "flaky"}));
  CHECK(phases[1]["maxParallel"] == 2);
  CHECK(phases[3]["toMs"] == 153580);
}

TEST_CASE("JSON criticalPath names each Kustomization once; criticalPathDetail keeps every step") {
  // A wait: true parent creates its child, then its health check waits for it: the chain visits the
  // parent twice (flux-system > parent > child > parent).
  WorldBuilder b;
  Kustomization& parent = b.kustomization("parent");
  parent.wait = true;
  b.kustomization("child", "parent").wait = true;
  b.object("child", "apps/v1", "Deployment", "default", "big");
  Scenario s;
  s.name = "revisit";
  s.horizon = 1h;
  const RunResult r = simulate(b.world(), s);
  const auto doc = nlohmann::json::parse(render(write_json, RunReport{s, b.world(), r, {}}));
  std::vector<std::string> steps;
  for (const auto& step : doc["criticalPathDetail"]["steps"]) steps.push_back(step["name"]);
  CHECK(steps == std::vector<std::string>{"flux-system", "parent", "child", "parent"});
  CHECK(doc["criticalPath"] == nlohmann::json::array({"flux-system", "parent", "child"}));
}

TEST_CASE("the SVG Gantt is well-formed XML with one bar group per Kustomization") {
  Fixture f;
  const std::string svg = render(write_svg_gantt, f.report());
  CHECK(svg.starts_with("<?xml"));
  CHECK(count(svg, "<g class=\"kustomization\"") == f.builder.world().kustomizations.size());
  for (const char* phase : {"queued", "waiting for dependencies", "applying", "health checking", "failed", "ready"})
    CHECK(svg.find(fmt::format(">{}</text>", phase)) != std::string::npos);  // the legend
  CHECK(svg.find("flaky: failed ") != std::string::npos);   // flaky's failed bar has a tooltip
  CHECK(svg.find("all Ready 2m33.58s") != std::string::npos);
  if (!have("xmllint")) {
    MESSAGE("skipped the XML check: xmllint is not installed");
    return;
  }
  CHECK(run_tool("xmllint --noout", svg, "gantt.svg") == 0);
  CHECK(run_tool("xmllint --noout", "<svg><g></svg>", "broken.svg") != 0);  // the check can fail
}

TEST_CASE("the SVG Gantt of 100 Kustomizations has 100 rows and stays well-formed") {
  World w = wide_world(99);
  Scenario s;
  s.name = "wide & <tall>";  // escaped in the title
  s.horizon = 2h;
  RunResult r = simulate(w, s);
  const std::string svg = render(write_svg_gantt, RunReport{s, w, r, {}});
  CHECK(count(svg, "<g class=\"kustomization\"") == 100);
  CHECK(svg.find("wide &amp; &lt;tall&gt;") != std::string::npos);
  if (have("xmllint")) CHECK(run_tool("xmllint --noout", svg, "wide.svg") == 0);
  else MESSAGE("skipped the XML check: xmllint is not installed");
}

TEST_CASE("the Chrome trace frames the rollout: named tracks, no zero-length slice, flows, counters, messages") {
  Fixture f;
  const auto doc = nlohmann::json::parse(render(write_chrome_trace, f.report()));
  REQUIRE(doc.contains("traceEvents"));
  const std::int64_t frame = doc["otherData"]["frameMs"].get<std::int64_t>() * 1000;
  // The frame: c, the last, is Ready at 2m33.58s; plus 4% = 6.14s: 2m39.72s, not the 1h horizon.
  CHECK(frame == 159'723'000);
  std::size_t passes = 0, flows_started = 0, flows_finished = 0, counters = 0;
  std::set<std::pair<int, int>> named, used;
  std::set<int> named_processes;
  std::map<std::pair<int, int>, std::vector<std::pair<std::int64_t, std::int64_t>>> per_track;
  bool failed_with_message = false;
  for (const auto& e : doc["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "thread_name") named.insert({e["pid"].get<int>(), e["tid"].get<int>()});
    if (ph == "M" && e["name"] == "process_name") named_processes.insert(e["pid"].get<int>());
    if (ph == "C") {
      ++counters;
      CHECK(e["ts"].get<std::int64_t>() < frame);
      continue;
    }
    if (ph == "M") continue;
    used.insert({e["pid"].get<int>(), e["tid"].get<int>()});
    CHECK(e["ts"].get<std::int64_t>() < frame);
    if (ph == "s") ++flows_started;
    if (ph == "f") ++flows_finished;
    if (e["cat"] == "pass") ++passes;
    if (ph != "X") continue;
    CHECK(e["dur"].get<std::int64_t>() > 0);  // speedscope rejects zero-length slices
    CHECK(e["ts"].get<std::int64_t>() + e["dur"].get<std::int64_t>() <= frame);
    per_track[{e["pid"].get<int>(), e["tid"].get<int>()}].push_back({e["ts"].get<std::int64_t>(), e["dur"].get<std::int64_t>()});
    if (e["cat"] == "phase" && e["name"] == "failed" && e["tid"] == 5 && e["args"].contains("message")) failed_with_message = true;
  }
  for (const auto& track : used) {
    CAPTURE(track.first);
    CAPTURE(track.second);
    CHECK(named.count(track) == 1);  // every track has a name
    CHECK(named_processes.count(track.first) == 1);
  }
  std::size_t started_in_frame = 0;
  for (const PassRecord& p : f.result.passes) started_in_frame += to_ms(p.started_at) * 1000 < frame ? 1 : 0;
  CHECK(passes == started_in_frame);
  CHECK(started_in_frame < f.result.passes.size());  // the interval re-runs until the horizon are left out
  // Flows: a→b and b→c (dependsOn), and the root creating a, b, c and flaky.
  CHECK(flows_started == 6);
  CHECK(flows_finished == flows_started);
  CHECK(counters > 0);
  CHECK(failed_with_message);  // flaky (World index 4, track 5) failed once: the slice says why
  for (auto& [track, spans] : per_track) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) CHECK(spans[i - 1].first + spans[i - 1].second <= spans[i].first);
  }
  // c's successful pass: started 122560ms -> 122560000us, 31020ms long.
  bool found = false;
  for (const auto& e : doc["traceEvents"])
    if (!found && e["ph"] == "X" && e["cat"] == "pass" && e["name"] == "c" && e["args"]["outcome"] == "Succeeded") {
      CHECK(e["ts"] == 122'560'000);
      CHECK(e["dur"] == 31'020'000);
      found = true;
    }
  CHECK(found);
}

TEST_CASE("the Mermaid gantt has a section per Kustomization whose phases are task states") {
  Fixture f;
  const std::string text = render(write_mermaid_gantt, f.report());
  CHECK(text.starts_with("---\ndisplayMode: compact\n"));
  CHECK(text.find("\n---\ngantt\n") != std::string::npos);
  CHECK(text.find("  axisFormat %Mm%Ss\n") != std::string::npos);  // 2m39s reads as minutes, not 02:39 hours
  std::set<std::string> sections, labels;
  std::string last = "9999";
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex(R"(  section (★ )?w\d+ (.*))"))) sections.insert(m[2]);
    if (std::regex_match(line, m, std::regex(R"(  ([^ :%][^:]*?) :([a-z, ]*)k\d+, (2000-01-01 [0-9:.]+), (2000-01-01 [0-9:.]+))"))) {
      labels.insert(m[1]);
      CHECK(m[3].str() <= m[4].str());
      CHECK(m[4].str() <= "2000-01-01 00:02:39.723");  // nothing past the frame
    }
  }
  CHECK(sections == std::set<std::string>{"flux-system", "a", "b", "c", "flaky"});
  // Phases wide enough for their name are named; shorter ones (applying takes about 1s of 2m40s) get an
  // invisible name so that labels never overlap.
  for (const char* phase : {"waiting for dependencies", "health checking", "failed"}) CHECK(labels.count(phase) == 1);
  for (const std::string& label : labels)
    if (!label.starts_with("Ready ")) CHECK(std::set<std::string>{"queued", "waiting for dependencies", "applying", "health checking", "failed", "\u200b"}.count(label) == 1);
  CHECK(labels.count("\u200b") == 1);
  CHECK(text.find("  section ★ w3 c\n") != std::string::npos);  // on the critical path
  CHECK(text.find("  failed :crit, ") != std::string::npos);
  CHECK(text.find("  waiting for dependencies :active, ") != std::string::npos);
  CHECK(text.find("  Ready 2m33.58s :milestone, k") != std::string::npos);  // c Ready at 2m33.58s
  CHECK(text.find("2000-01-01 00:02:33.580") != std::string::npos);
}

TEST_CASE("graph pictures: DOT parses with dot, Mermaid is a flowchart, text lists waves and cycles") {
  WorldBuilder b;
  b.kustomization("infra");
  for (const char* n : {"a", "b"}) b.kustomization(n, "infra");
  b.depends_on("b", "a");
  b.kustomization("x \"quoted\"");
  b.kustomization("y");
  b.depends_on("x \"quoted\"", "y");
  b.get("x \"quoted\"").depends_on.back().where = {"apps/x.yaml", 3, 5};
  b.depends_on("y", "x \"quoted\"");
  b.depends_on("b", "ghost");
  const World& w = b.world();
  DependencyGraph g(w);
  std::ostringstream dot, mermaid, text;
  write_graph_dot(w, g, dot);
  write_graph_mermaid(w, g, mermaid);
  write_graph_text(w, g, text);

  CHECK(dot.str().find("digraph fluxsim {") != std::string::npos);
  CHECK(dot.str().find("// cycle: x \"quoted\" → y → x \"quoted\"") != std::string::npos);
  CHECK(count(dot.str(), "rank=same") == static_cast<std::size_t>(g.wave_count()));
  CHECK(count(dot.str(), "style=dashed, dir=back") == 4);  // three dependsOn edges and the missing one
  CHECK(count(dot.str(), "\"#d7301f\", penwidth=2") == 4);   // two ring nodes, two ring edges

  CHECK(mermaid.str().starts_with("flowchart TB\n"));
  for (std::size_t k = 0; k < w.kustomizations.size(); ++k) CHECK(mermaid.str().find(fmt::format("    k{}[\"", k)) != std::string::npos);
  CHECK(mermaid.str().find("x #quot;quoted#quot;") != std::string::npos);
  CHECK(mermaid.str().find("k2 -.->|Ready before| k3") != std::string::npos);  // down the waves: a before b

  CHECK(text.str().find("wave 2\n  a ") != std::string::npos);
  CHECK(text.str().find("dependsOn a; dependsOn flux-system/ghost (not found)") != std::string::npos);
  CHECK(text.str().find("cycles (nothing in a cycle can ever become Ready):\n  x \"quoted\" → y → x \"quoted\"\n    x \"quoted\" dependsOn y (apps/x.yaml:3:5)\n") !=
        std::string::npos);

  if (!have("dot")) {
    MESSAGE("skipped the DOT check: graphviz (dot) is not installed");
    return;
  }
  CHECK(run_tool("dot -Tsvg -o /dev/null", dot.str(), "graph.dot") == 0);
  CHECK(run_tool("dot -Tsvg -o /dev/null", "digraph { a -> }", "broken.dot") != 0);  // the check can fail
  std::ostringstream wide;
  World big = wide_world(120);
  write_graph_dot(big, DependencyGraph(big), wide);
  CHECK(run_tool("dot -Tsvg -o /dev/null", wide.str(), "wide.dot") == 0);
}

TEST_CASE("graph pictures: a dependsOn on a wait: true Kustomization puts the dependent after what it waits for") {
  WorldBuilder b;
  b.kustomization("infra").wait = true;
  for (const char* n : {"a", "b"}) b.kustomization(n, "infra");
  b.depends_on("b", "a");
  b.kustomization("apps");
  b.depends_on("apps", "infra");
  b.get("apps").depends_on.back().where = {"clusters/apps.yaml", 11, 7};
  const World& w = b.world();
  DependencyGraph g(w);
  std::ostringstream dot, mermaid, text;
  write_graph_dot(w, g, dot);
  write_graph_mermaid(w, g, mermaid);
  write_graph_text(w, g, text);
  // apps: wave 4, after b (wave 3), not wave 2 after infra.
  CHECK(text.str().find("wave 4\n  apps         applied by flux-system; dependsOn infra (clusters/apps.yaml:11:7), whose health "
                        "check waits for b\n") != std::string::npos);
  // One dotted edge b -> apps beside the written ones; it is not a dependsOn edge.
  CHECK(count(dot.str(), "style=dotted") == 1);
  CHECK(dot.str().find(fmt::format("  k3 -> k{} [style=dotted, dir=back", w.kustomizations.size() - 1)) != std::string::npos);
  CHECK(count(dot.str(), "label=\"dependsOn\"") == 2);
  CHECK(mermaid.str().find(fmt::format("  k3 -.->|via infra| k{}\n", w.kustomizations.size() - 1)) != std::string::npos);
  CHECK(mermaid.str().find("  linkStyle 6 stroke:#6a51a3") != std::string::npos);  // after 4 parent + 2 dependsOn links
  if (have("dot")) CHECK(run_tool("dot -Tsvg -o /dev/null", dot.str(), "wait.dot") == 0);
}

TEST_CASE("report formats parse by name") {
  CHECK(parse_report_format("svg") == ReportFormat::Svg);
  CHECK(parse_report_format("trace") == ReportFormat::Trace);
  CHECK(parse_report_format("mermaid") == ReportFormat::Mermaid);
  CHECK_FALSE(parse_report_format("png").has_value());
  CHECK(parse_graph_format("dot") == GraphFormat::Dot);
  CHECK(parse_graph_format("text") == GraphFormat::Text);
  CHECK_FALSE(parse_graph_format("svg").has_value());
}

// A rollout with one Kustomization that is never Ready: `broken` fails its health check every time
// (its Deployment is never Current), `app` is Ready after its Deployment's 20s.
struct NeverReadyFixture {
  WorldBuilder builder;
  Scenario scenario;
  RunResult result;
  NeverReadyFixture() {
    for (const char* n : {"app", "broken"}) {
      builder.kustomization(n).wait = true;
      builder.object(n, "apps/v1", "Deployment", "default", n);
    }
    builder.get("broken").retry_interval = std::chrono::minutes(2);
    builder.get("broken").timeout = std::chrono::minutes(1);
    scenario.name = "never";
    scenario.horizon = 6h;
    Fault f;
    f.type = Fault::Type::NeverReady;
    f.match.name = "broken";
    scenario.faults.push_back(f);
    result = simulate(builder.world(), scenario);
  }
  RunReport report() const { return RunReport{scenario, builder.world(), result, {}}; }
};

TEST_CASE("the table groups repeated failures into one line per Kustomization and measures workers until the last Ready") {
  NeverReadyFixture f;
  const RunReport report = f.report();
  const RunAnalysis& a = report.analysis();
  REQUIRE(a.failures.size() == 1);
  CHECK(a.failures[0].count > 50);  // a failed health check every 3m for 6h
  const std::string table = render(write_table, f.report());
  CAPTURE(table);
  CHECK(count(table, ": broken: HealthCheckFailed") == 0);
  CHECK(count(table, " broken: ") == 2);  // the failure line and the "Not Ready" line
  CHECK(table.find(fmt::format("Failed attempts ({} in all):\n  {}× ", a.failed_attempts, a.failures[0].count)) != std::string::npos);
  CHECK(table.find("... and") == std::string::npos);
  CHECK(table.find(fmt::format("busy until the last Ready ({})", format_time(a.last_ready))) != std::string::npos);
  CHECK(table.find("over the run") == std::string::npos);
}

TEST_CASE("charts frame the rollout, not the horizon, and draw never-Ready rows to the edge with their reason") {
  NeverReadyFixture f;
  const RunReport report = f.report();
  const RunAnalysis& a = report.analysis();
  // The rollout ends at app's Ready or broken's first failed health check, whichever is later; the
  // frame adds 4%, far from the 6h horizon.
  CHECK(a.last_ready != kNever);
  CHECK(a.frame_end < SimTime{std::chrono::minutes(10)});
  CHECK(a.frame_end > a.last_ready);
  const std::string svg = render(write_svg_gantt, f.report());
  CHECK(svg.find("never Ready: HealthCheckFailed") != std::string::npos);
  CHECK(svg.find(fmt::format("(chart: 0 → {} of the 6h run)", format_time(a.frame_end))) != std::string::npos);
  CHECK(svg.find(">1h<") == std::string::npos);  // no axis label in hours
  const std::string mermaid = render(write_mermaid_gantt, f.report());
  CHECK(mermaid.find("  never Ready_ HealthCheckFailed :crit, k") != std::string::npos);
  if (have("xmllint")) CHECK(run_tool("xmllint --noout", svg, "never.svg") == 0);
}

TEST_CASE("invalid UTF-8 in a repository reaches the JSON reports as U+FFFD, never as raw bytes") {
  WorldBuilder b;
  b.kustomization("caf\xE9-app");  // Latin-1 "café": not UTF-8
  b.object("caf\xE9-app", "v1", "ConfigMap", "default", "settings");
  Scenario s;
  s.name = "latin1";
  s.horizon = 1h;
  const RunResult r = simulate(b.world(), s);
  const RunReport report{s, b.world(), r, {}};
  for (const std::string& text : {render(write_json, report), render(write_chrome_trace, report)}) {
    const auto doc = nlohmann::json::parse(text);  // throws on invalid UTF-8
    CHECK(text.find("caf\xEF\xBF\xBD-app") != std::string::npos);
    CHECK(text.find("caf\xE9") == std::string::npos);
    CHECK_FALSE(doc.is_null());
  }
}

TEST_CASE("a run can stream its events instead of keeping them") {
  Fixture f;
  EngineOptions options;
  std::vector<TraceEvent> seen;
  options.run_to_horizon = true;  // as the fixture ran
  options.keep_events = false;
  options.on_event = [&](const TraceEvent& e, const RunResult&) { seen.push_back(e); };
  Simulation sim(f.builder.world(), f.scenario);
  const RunResult streamed = sim.run(options);
  CHECK(streamed.events.empty());
  REQUIRE(seen.size() == f.result.events.size());  // the same events, in the same order
  for (std::size_t i = 0; i < seen.size(); ++i) {
    CHECK(seen[i].at == f.result.events[i].at);
    CHECK(seen[i].type == f.result.events[i].type);
  }
  CHECK(streamed.passes.size() == f.result.passes.size());
  std::ostringstream line;
  write_event_line(f.builder.world(), streamed, seen.front(), line);
  CHECK(line.str().find("\"atMs\":") == 1);
  CHECK(line.str().back() == '\n');
}
