// SPDX-License-Identifier: Apache-2.0
// The report commands through the command line: graph, check, explain and run's picture formats. The
// end-to-end cases load a small repository written to a temporary directory.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "fluxsim/cli.h"
#include "fluxsim/load.h"

using namespace fluxsim;
namespace fs = std::filesystem;

namespace {

using Outcome = test::CliResult;

Outcome cli(std::vector<std::string> args) { return test::run_fluxsim(std::move(args)); }

std::string kustomization(const std::string& name, const std::string& path, const std::string& depends_on = "") {
  std::string text = fmt::format(
      "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {}\n  namespace: flux-system\n"
      "spec:\n  interval: 10m\n  path: {}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
      name, path);
  if (!depends_on.empty()) text += fmt::format("  dependsOn:\n    - name: {}\n", depends_on);
  return text;
}

/// A two-Kustomization repository (apps dependsOn infra) in a fresh temporary directory.
struct TempRepo {
  fs::path root;
  TempRepo() {
    root = fs::temp_directory_path() / fmt::format("fluxsim-cli-test-{}", ::getpid());
    fs::remove_all(root);
    write("clusters/test/infra.yaml", kustomization("infra", "./infra"));
    write("clusters/test/apps.yaml", kustomization("apps", "./apps", "infra"));
    write("infra/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: infra\n  namespace: default\n");
    write("apps/settings.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: apps\n  namespace: default\n");
  }
  ~TempRepo() { fs::remove_all(root); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
  }
  std::string dir() const { return root.string(); }
};

}  // namespace

TEST_CASE("fluxsim --help lists the report commands") {
  Outcome o = cli({"--help"});
  CHECK(o.code == ExitCode::Ok);
  for (const char* command : {"run ", "graph ", "check ", "explain "}) CHECK(o.out.find(std::string("\n  ") + command) != std::string::npos);
  CHECK(cli({"graph", "--help"}).out.find("dot") != std::string::npos);
  CHECK(cli({"run", "--help"}).out.find("svg") != std::string::npos);
}

TEST_CASE("unknown output formats are bad input, before anything is loaded") {
  Outcome g = cli({"graph", "-o", "png", "somewhere"});
  CHECK(g.code == ExitCode::BadInput);
  CHECK(g.err == "fluxsim: -o png: unknown format (text, dot, mermaid)\n");
  CHECK(cli({"check", "-o", "xml", "somewhere"}).code == ExitCode::BadInput);
  CHECK(cli({"run", "-o", "gif", "somewhere"}).err.find("(table, json, mermaid, svg, trace, html)") != std::string::npos);
  CHECK(cli({"explain", "/no/such/scenario.yaml"}).code == ExitCode::BadInput);
}

TEST_CASE("graph, check, explain and the run pictures on a small repository") {
  TempRepo repo;
  const std::vector<std::string> in = {repo.dir(), "--entry", "clusters/test"};
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), in.begin(), in.end());
    return cli(head);
  };

  Outcome text = with({"graph"});
  CHECK(text.code == ExitCode::Ok);
  CHECK(text.out.find("wave 2\n  apps ") != std::string::npos);
  CHECK(with({"graph", "-o", "dot"}).out.find("digraph fluxsim {") != std::string::npos);
  CHECK(with({"graph", "-o", "mermaid"}).out.starts_with("flowchart TB\n"));

  Outcome clean = with({"check"});
  CHECK(clean.code == ExitCode::Ok);
  CHECK(clean.out == "no findings\n");

  Outcome story = with({"explain"});
  CHECK(story.code == ExitCode::Ok);
  CHECK(story.out.find("apps: dependency infra not Ready → next check in 30s (--requeue-dependency)") != std::string::npos);

  Outcome svg = with({"run", "-o", "svg"});
  CHECK(svg.code == ExitCode::Ok);
  CHECK(svg.out.starts_with("<?xml"));
  Outcome trace = with({"run", "-o", "trace"});
  CHECK(nlohmann::json::parse(trace.out).contains("traceEvents"));
  CHECK(with({"run", "-o", "mermaid"}).out.find("\ngantt\n") != std::string::npos);
  Outcome json = with({"run", "-o", "json"});
  CHECK(nlohmann::json::parse(json.out)["criticalPath"] == nlohmann::json::array({"flux-system", "infra", "apps"}));
  CHECK_FALSE(nlohmann::json::parse(json.out).contains("events"));  // events only with --events
  Outcome html = with({"run", "-o", "html"});
  CHECK(html.code == ExitCode::Ok);
  CHECK(html.out.starts_with("<!DOCTYPE html>"));
  for (const char* id : {"summary", "gantt", "critical-path", "waves", "failures", "workers", "explanation"})
    CHECK(html.out.find(fmt::format("<section id=\"{}\"", id)) != std::string::npos);
  CHECK(html.out.find("<svg ") != std::string::npos);
  CHECK(html.out.find("<?xml") == std::string::npos);  // the SVG is inline, not a document inside a document
  CHECK(html.out.find("apps: dependency infra not Ready") != std::string::npos);  // the explanation

  SUBCASE("--events streams every trace event as JSON Lines, whatever the report format") {
    const fs::path events = repo.root / "events.jsonl";
    Outcome table = with({"run", "--events", events.string()});
    CHECK(table.code == ExitCode::Ok);
    std::ifstream in_file(events);
    std::size_t lines = 0, ready = 0;
    for (std::string line; std::getline(in_file, line); ++lines) {
      const auto e = nlohmann::json::parse(line);
      CHECK(e.contains("atMs"));
      CHECK(e.contains("type"));
      if (e["type"] == "ReconciliationSucceeded" && e["object"] == "Kustomization/flux-system/apps") ++ready;
    }
    CHECK(lines > 10);
    CHECK(ready >= 1);
    Outcome bad = with({"run", "--events", (repo.root / "no/such/dir/e.jsonl").string()});
    CHECK(bad.code == ExitCode::BadInput);
    CHECK(bad.err.find("--events") != std::string::npos);
    CHECK(with({"run", "--runs", "3", "--events", events.string()}).code == ExitCode::BadInput);
  }

  SUBCASE("a planted cycle makes check exit 1") {
    repo.write("clusters/test/infra.yaml", kustomization("infra", "./infra", "apps"));
    Outcome cycle = with({"check"});
    CHECK(cycle.code == ExitCode::Failed);
    CHECK(cycle.out.find("error: dependsOn cycle") != std::string::npos);
    CHECK(cycle.out.find("clusters/test/") != std::string::npos);
    Outcome json_check = with({"check", "-o", "json"});
    CHECK(json_check.code == ExitCode::Failed);
    CHECK(nlohmann::json::parse(json_check.out)["errors"] == 1);
  }
}
