// SPDX-License-Identifier: Apache-2.0
// The command line as users meet it: bad input is one line naming the file (and line), exit code 2 and
// nothing on stdout; expectations decide exit code 1; output files are written whole or not at all;
// the same scenario and seed give byte-identical reports.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "cli_runner.h"
#include "fluxsim/cli.h"
#include "fluxsim/version.h"

using namespace fluxsim;
namespace fs = std::filesystem;

namespace {

using Outcome = test::CliResult;

Outcome cli(std::vector<std::string> args) { return test::run_fluxsim(std::move(args)); }

/// A scratch directory with a one-Kustomization repository and a place for scenario files.
struct Scratch {
  fs::path root = fs::temp_directory_path() / fmt::format("fluxsim-cli-{}", ::getpid());
  Scratch() {
    fs::remove_all(root);
    write("repo/clusters/prod/app.yaml",
          "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\n"
          "spec:\n  interval: 10m\n  path: ./app\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n");
    write("repo/app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\n");
  }
  ~Scratch() { fs::remove_all(root); }
  std::string write(const std::string& rel, const std::string& text) const {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel) << text;
    return (root / rel).string();
  }
  std::string path(const std::string& rel) const { return (root / rel).string(); }
};

const std::string kHeader = "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: t\n";

/// Exit 2, nothing on stdout, and exactly one line on stderr that names `file` and contains `what`.
void check_bad_input(const Outcome& o, const std::string& file, const std::string& what) {
  CHECK(o.code == ExitCode::BadInput);
  CHECK(o.out.empty());
  INFO("stderr: ", o.err);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  CHECK(o.err.find(file) != std::string::npos);
  CHECK(o.err.find(what) != std::string::npos);
}

}  // namespace

TEST_CASE("bad input: one line naming the file (and line), exit 2, nothing on stdout") {
  Scratch s;
  SUBCASE("YAML syntax error") {
    std::string f = s.write("bad.yaml", kHeader + "spec:\n  repo: ./repo\n  horizon: [1h\n");
    check_bad_input(cli({"run", f}), f + ":", "error");
  }
  SUBCASE("invalid duration") {
    std::string f = s.write("dur.yaml", kHeader + "spec:\n  repo: ./repo\n  entry: clusters/prod\n  horizon: 5 minutes\n");
    check_bad_input(cli({"run", f}), f + ":8:12:", "5 minutes");
  }
  SUBCASE("missing repository") {
    std::string f = s.write("norepo.yaml", kHeader + "spec:\n  repo: ./nowhere\n");
    check_bad_input(cli({"run", f}), f + ":6:", "nowhere");
  }
  SUBCASE("empty file") {
    std::string f = s.write("empty.yaml", "");
    check_bad_input(cli({"run", f}), f, "empty");
  }
  SUBCASE("wrong kind") {
    std::string f = s.write("kind.yaml", "apiVersion: fluxsim/v1alpha1\nkind: Scenery\nspec:\n  repo: ./repo\n");
    check_bad_input(cli({"run", f}), f + ":2:", "Scenery");
  }
  SUBCASE("unknown field") {
    std::string f = s.write("typo.yaml", kHeader + "spec:\n  repo: ./repo\n  entry: clusters/prod\n  controllers:\n    kustomize:\n      concurent: 8\n");
    check_bad_input(cli({"run", f}), f + ":10:7:", "concurent");
  }
  SUBCASE("a path that does not exist") { check_bad_input(cli({"run", s.path("missing.yaml")}), "missing.yaml", "no such file"); }
  SUBCASE("an unknown flag or format") {
    Outcome o = cli({"run", s.path("repo"), "--bogus"});
    CHECK(o.code == ExitCode::BadInput);
    CHECK(o.out.empty());
    o = cli({"run", s.path("repo"), "--entry", "clusters/prod", "-o", "pdf"});
    CHECK(o.code == ExitCode::BadInput);
    CHECK(o.err.find("pdf") != std::string::npos);
  }
  SUBCASE("an entry that does not exist") {
    Outcome o = cli({"run", s.path("repo"), "--entry", "clusters/staging"});
    CHECK(o.code == ExitCode::BadInput);
    CHECK(o.out.empty());
    CHECK(o.err.find("clusters/staging") != std::string::npos);
  }
  SUBCASE("every command refuses a missing input the same way") {
    for (const char* cmd : {"tree", "graph", "check", "explain"}) {
      CAPTURE(cmd);
      check_bad_input(cli({cmd, s.path("nope")}), "nope", "no such file");
    }
  }
}

TEST_CASE("a failed expectation exits 1 after printing the whole report") {
  Scratch s;
  std::string ok = s.write("ok.yaml", kHeader + "spec:\n  repo: ./repo\n  entry: clusters/prod\n  expect:\n    allReadyWithin: 1m\n");
  Outcome o = cli({"run", ok});
  CHECK(o.code == ExitCode::Ok);
  CHECK(o.out.find("ok     allReadyWithin 1m") != std::string::npos);
  std::string slow = s.write("slow.yaml", kHeader + "spec:\n  repo: ./repo\n  entry: clusters/prod\n  expect:\n    allReadyWithin: 2s\n");
  o = cli({"run", slow});
  CHECK(o.code == ExitCode::Failed);
  CHECK(o.out.find("FAILED allReadyWithin 2s") != std::string::npos);
}

TEST_CASE("--out writes the report whole, and nothing when the input is bad") {
  Scratch s;
  const std::string target = s.path("report.json");
  Outcome o = cli({"run", s.path("repo"), "--entry", "clusters/prod", "-o", "json", "--out", target});
  CHECK(o.code == ExitCode::Ok);
  CHECK(o.out.empty());
  std::ifstream in(target);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find("\"fluxsimVersion\"") != std::string::npos);
  CHECK(text.str().back() == '\n');
  // One line on stderr says what was written and how big it is.
  CHECK(o.err == fmt::format("fluxsim: wrote {} ({:.1f} kB)\n", target, static_cast<double>(text.str().size()) / 1e3));
  const std::string untouched = s.path("never.json");
  o = cli({"run", s.path("repo"), "--entry", "clusters/nope", "--out", untouched});
  CHECK(o.code == ExitCode::BadInput);
  CHECK_FALSE(fs::exists(untouched));
  CHECK(o.err.find("wrote") == std::string::npos);
}

TEST_CASE("the same scenario and seed give byte-identical reports") {
  Scratch s;
  std::string f = s.write("random.yaml", kHeader +
                                             "spec:\n  repo: ./repo\n  entry: clusters/prod\n  timing:\n    build: uniform(1s, 5s)\n"
                                             "  seed: 42\n");
  Outcome a = cli({"run", f, "-o", "json"}), b = cli({"run", f, "-o", "json"});
  CHECK(a.code == ExitCode::Ok);
  CHECK(a.out == b.out);
  Outcome c = cli({"run", f, "-o", "json", "--seed", "43"});
  CHECK(c.out != a.out);
}

TEST_CASE("fluxsim help COMMAND prints that command's help; --version its version; no command is bad input") {
  for (const char* command : {"run", "tree", "graph", "check", "explain", "diff"}) {
    CAPTURE(command);
    Outcome help = cli({"help", command}), flag = cli({command, "--help"});
    CHECK(help.code == ExitCode::Ok);
    CHECK(help.out == flag.out);
    CHECK(help.out.rfind(fmt::format("usage: fluxsim {} ", command), 0) == 0);
  }
  CHECK(cli({"help"}).out == cli({"--help"}).out);
  CHECK(cli({"help"}).out.find("commands:") != std::string::npos);
  Outcome unknown = cli({"help", "deploy"});
  CHECK(unknown.code == ExitCode::BadInput);
  CHECK(unknown.out.empty());
  CHECK(unknown.err == "fluxsim: help deploy: unknown command (fluxsim --help lists them)\n");

  Outcome version = cli({"--version"});
  CHECK(version.code == ExitCode::Ok);
  CHECK(version.out == fmt::format("fluxsim {}\n", kVersion));
  CHECK(cli({"version"}).out == version.out);

  Outcome none = cli({});
  CHECK(none.code == ExitCode::BadInput);
  CHECK(none.out.empty());  // exit 2 leaves stdout empty; the usage goes to stderr
  CHECK(none.err.find("usage: fluxsim COMMAND") != std::string::npos);
}
