// SPDX-License-Identifier: Apache-2.0
// Hostile input (issue 15): one case per class the hostile-input pass found — target regexps, deep
// field paths, patches and substitutions that amplify an object, quadratic trims and cycles, bytes that
// are not UTF-8 — each ending in a finding that names the file (or a plain result), in bounded time.
#include <chrono>
#include <ctime>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "fluxsim/check.h"
#include "fluxsim/graph.h"
#include "fluxsim/load.h"
#include "fluxsim/scenario.h"
#include "fluxsim/time.h"
#include "load/kustomize.h"
#include "load/substitute.h"
#include "test_util.h"

using fluxsim::load::BuildResult;
using fluxsim::load::Kustomizer;
using fluxsim::load::RepoFiles;
using fluxsim::test::MemoryFileSource;

namespace {

BuildResult build(const fluxsim::FileSource& files, const std::string& dir) {
  RepoFiles cache(files);
  Kustomizer k(cache);
  return k.build(dir);
}

std::string config_map(const std::string& name, const std::string& data = "a: b") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: default\ndata:\n  " + data + "\n";
}

// A kustomization over one ConfigMap with a JSON patch whose target has `target`.
std::string patched(const std::string& target) {
  return "resources: [cm.yaml]\npatches:\n  - target: " + target +
         "\n    patch: |\n      - {op: add, path: /data/x, value: patched}\n";
}

double seconds_since(std::clock_t start) { return fluxsim::test::cpu_seconds_since(start); }

std::string flux_kustomization(const std::string& name, const std::string& path, const std::string& extra = "") {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: " + path + "\n  prune: true\n" + extra +
         "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
}

const fluxsim::Kustomization& named(const fluxsim::World& w, const std::string& name) {
  for (const auto& k : w.kustomizations)
    if (k.ref.name == name) return k;
  FAIL("no Kustomization " << name);
  return w.kustomizations.front();
}

}  // namespace

// ----- regular expressions -------------------------------------------------------------------------

TEST_CASE("a target name is a Go regexp: a 100,000-character name against (n|m)* or .* is matched in linear time") {
  const std::string name(100'000, 'n');
  for (const char* pattern : {"'(n|m)*'", "'.*'", "'n+'"}) {
    INFO(pattern);
    MemoryFileSource fs{{"app/kustomization.yaml", patched(std::string("{kind: ConfigMap, name: ") + pattern + "}")},
                        {"app/cm.yaml", config_map(name)}};
    const std::clock_t start = std::clock();
    auto r = build(fs, "app");
    CHECK(seconds_since(start) < 5);
    REQUIRE_FALSE(r.error);
    REQUIRE(r.objects.size() == 1);
    CHECK(r.objects[0].node.text({"data", "x"}) == "patched");
  }
}

TEST_CASE("a target regexp that backtracks exponentially elsewhere, (x+x+)+y on 40 characters, ends at once") {
  MemoryFileSource fs{{"app/kustomization.yaml", patched("{kind: ConfigMap, name: '(x+x+)+y'}")},
                      {"app/cm.yaml", config_map(std::string(40, 'x'))}};
  const std::clock_t start = std::clock();
  auto r = build(fs, "app");
  CHECK(seconds_since(start) < 2);
  REQUIRE_FALSE(r.error);
  CHECK(r.objects[0].node.text({"data", "x"}).empty());  // not selected: the name has no y
}

TEST_CASE("target selectors are anchored: a name pattern must match the whole name") {
  MemoryFileSource fs{{"app/kustomization.yaml", patched("{kind: ConfigMap, name: 'web'}")},
                      {"app/cm.yaml", config_map("web-extra")}};
  auto r = build(fs, "app");
  REQUIRE_FALSE(r.error);
  CHECK(r.objects[0].node.text({"data", "x"}).empty());
}

TEST_CASE("kind, group and version of a target are regexps too, as kustomize's SelectorRegex makes them") {
  MemoryFileSource fs{{"app/kustomization.yaml", patched("{kind: 'Config.*', version: 'v[0-9]'}")},
                      {"app/cm.yaml", config_map("web")}};
  auto r = build(fs, "app");
  REQUIRE_FALSE(r.error);
  CHECK(r.objects[0].node.text({"data", "x"}) == "patched");
}

TEST_CASE("an invalid target regexp fails the build naming the kustomization file and the patch's line") {
  MemoryFileSource fs{{"app/kustomization.yaml", patched("{kind: ConfigMap, name: '(x'}")}, {"app/cm.yaml", config_map("x")}};
  auto r = build(fs, "app");
  REQUIRE(r.error);
  CHECK(r.error->message.find("error parsing regexp") != std::string::npos);
  CHECK(r.error->message.find("(x") != std::string::npos);
  CHECK(r.error->where.file == "app/kustomization.yaml");
  CHECK(r.error->where.line == 3);  // the `- target:` entry
}

// ----- unbounded recursion -------------------------------------------------------------------------

TEST_CASE("a replacement fieldPath of 30,000 components is a finding, not a stack overflow") {
  std::string path = "a";
  for (int i = 1; i < 30'000; ++i) path += ".a";
  MemoryFileSource fs{
      {"app/kustomization.yaml", "resources: [cm.yaml]\nreplacements:\n  - source: {kind: ConfigMap, name: c, fieldPath: data.a}\n"
                                 "    targets:\n      - select: {kind: ConfigMap}\n        fieldPaths: ['" + path +
                                     "']\n        options: {create: true}\n"},
      {"app/cm.yaml", config_map("c")}};
  auto r = build(fs, "app");
  REQUIRE(r.error);
  CHECK(r.error->message.find("more than 256 components") != std::string::npos);
  CHECK(r.error->where.file == "app/kustomization.yaml");
}

TEST_CASE("a source fieldPath of 30,000 components is a finding too") {
  std::string path = "data";
  for (int i = 1; i < 30'000; ++i) path += ".a";
  MemoryFileSource fs{{"app/kustomization.yaml", "resources: [cm.yaml]\nreplacements:\n  - source: {kind: ConfigMap, name: c, fieldPath: " +
                                                     path + "}\n    targets:\n      - select: {kind: ConfigMap}\n        fieldPaths: [data.b]\n"},
                      {"app/cm.yaml", config_map("c")}};
  auto r = build(fs, "app");
  REQUIRE(r.error);
  CHECK(r.error->message.find("components") != std::string::npos);
}

TEST_CASE("JSON patches that move an object into itself, level by level, stop before it nests deeper than 512 levels") {
  // Each round wraps /data in one more map: {data: D} -> {w: {data: D}} -> {data: {data: D}}.
  std::string ops;
  for (int i = 0; i < 600; ++i)
    ops += "      - {op: add, path: /w, value: {}}\n      - {op: move, from: /data, path: /w/data}\n"
           "      - {op: move, from: /w, path: /data}\n";
  MemoryFileSource fs{{"app/kustomization.yaml", "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap}\n    patch: |\n" + ops},
                      {"app/cm.yaml", config_map("c")}};
  auto r = build(fs, "app");
  REQUIRE(r.error);
  CHECK(r.error->message.find("deeper than 512 levels") != std::string::npos);
  CHECK(r.error->where.file == "app/kustomization.yaml");
}

TEST_CASE("substitution defaults nested 50,000 deep are an error naming the object's file") {
  std::string nested;
  for (int i = 0; i < 50'000; ++i) nested += "${a:=";
  nested += "x" + std::string(50'000, '}');
  auto o = fluxsim::load::envsubst(nested, [](const std::string&) { return std::optional<std::string>{}; }, true);
  REQUIRE(o.error);
  CHECK(o.error->find("nested") != std::string::npos);
  // 64 levels are fine.
  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "${a:=";
  ok += "x" + std::string(64, '}');
  auto fine = fluxsim::load::envsubst(ok, [](const std::string&) { return std::optional<std::string>{}; }, true);
  CHECK_FALSE(fine.error);
  CHECK(fine.text == "x");
}

// ----- amplification -------------------------------------------------------------------------------

TEST_CASE("40 JSON-patch copies that each double a field stop at the 16 MiB growth limit, naming the file") {
  std::string ops;
  for (int i = 0; i < 40; ++i) ops += "      - {op: copy, from: /data, path: /data/d" + std::to_string(i) + "}\n";
  MemoryFileSource fs{{"app/kustomization.yaml", "resources: [cm.yaml]\npatches:\n  - target: {kind: ConfigMap}\n    patch: |\n" + ops},
                      {"app/cm.yaml", config_map("c", "a: " + std::string(1000, 'v'))}};
  const std::clock_t start = std::clock();
  auto r = build(fs, "app");
  CHECK(seconds_since(start) < 10);
  REQUIRE(r.error);
  CHECK(r.error->message.find("more than 16 MiB") != std::string::npos);
  CHECK(r.error->where.file == "app/kustomization.yaml");
}

TEST_CASE("replacements whose source contains their target stop at the growth limit") {
  std::string reps;
  for (int i = 0; i < 40; ++i)
    reps += "  - source: {kind: ConfigMap, name: c, fieldPath: data}\n    targets:\n      - select: {kind: ConfigMap}\n"
            "        fieldPaths: [data.d" + std::to_string(i) + "]\n        options: {create: true}\n";
  MemoryFileSource fs{{"app/kustomization.yaml", "resources: [cm.yaml]\nreplacements:\n" + reps},
                      {"app/cm.yaml", config_map("c", "a: " + std::string(1000, 'v'))}};
  auto r = build(fs, "app");
  REQUIRE(r.error);
  CHECK(r.error->message.find("MiB (fluxsim's limit)") != std::string::npos);
  CHECK(r.error->where.file == "app/kustomization.yaml");
}

TEST_CASE("a kustomization that reaches one directory through 2^30 paths stops at the build's 256 MiB") {
  // level i includes level i+1 twice, through a/ and b/ with their own namePrefix (so no id repeats).
  MemoryFileSource fs;
  const int levels = 30;
  for (int i = 0; i < levels; ++i) {
    const std::string dir = std::string("l") + std::to_string(i);
    fs.add(dir + "/kustomization.yaml", "resources: [a, b]\n");
    for (const char* side : {"a", "b"})
      fs.add(dir + "/" + side + "/kustomization.yaml",
             std::string("namePrefix: ") + side + "-\nresources: [../../l" + std::to_string(i + 1) + "]\n");
  }
  fs.add(std::string("l") + std::to_string(levels) + "/kustomization.yaml", "resources: [cm.yaml]\n");
  fs.add(std::string("l") + std::to_string(levels) + "/cm.yaml", config_map("c", "a: " + std::string(64 * 1024, 'v')));
  const std::clock_t start = std::clock();
  auto r = build(fs, "l0");
  CHECK(seconds_since(start) < 20);
  REQUIRE(r.error);
  CHECK(r.error->message.find("more than 256 MiB of objects") != std::string::npos);
  CHECK(r.error->where.file.find("kustomization.yaml") != std::string::npos);
}

TEST_CASE("200,000 ${x} of a 4 kB value fail the post-build substitution at the limit, naming the object's file") {
  MemoryFileSource fs;
  fs.add("clusters/test/apps.yaml",
         flux_kustomization("apps", "./apps", "  postBuild:\n    substitute:\n      x: " + std::string(4000, 'v') + "\n"));
  std::string many;
  for (int i = 0; i < 200'000; ++i) many += "${x}";
  fs.add("apps/cm.yaml", config_map("c", "a: \"" + many + "\""));
  fluxsim::LoadOptions options;
  options.entry = "clusters/test";
  const std::clock_t start = std::clock();
  auto load = fluxsim::load_world(fs, "repo", options);
  CHECK(seconds_since(start) < 20);
  const auto& apps = named(load.world, "apps");
  REQUIRE(apps.build_failure);
  CHECK(apps.build_failure->message.find("fluxsim's limit") != std::string::npos);
  CHECK(apps.build_failure->where.file == "apps/cm.yaml");
}

TEST_CASE("${x//a/long} that would grow past the limit is an error, and short replacements still work") {
  auto lookup = [](const std::string& n) -> std::optional<std::string> {
    if (n == "x") return std::string(1'000'000, 'a');
    if (n == "y") return std::string("aabab");
    return std::nullopt;
  };
  auto big = fluxsim::load::envsubst("${x//a/" + std::string(100, 'b') + "}", lookup, true);
  REQUIRE(big.error);
  CHECK(big.error->find("limit") != std::string::npos);
  CHECK(fluxsim::load::envsubst("${y//ab/X}", lookup, true).text == "aXX");
  CHECK(fluxsim::load::envsubst("${y/ab/X}", lookup, true).text == "aXab");
}

// ----- quadratic paths -----------------------------------------------------------------------------

TEST_CASE("${x##*z} and ${x%%z*} on a 200,000-character value take linear time") {
  const std::string value = std::string(200'000, 'a') + "z" + std::string(1000, 'b') + "z" + "tail";
  auto lookup = [&](const std::string&) -> std::optional<std::string> { return value; };
  const std::clock_t start = std::clock();
  CHECK(fluxsim::load::envsubst("${x##*z}", lookup, true).text == "tail");
  CHECK(fluxsim::load::envsubst("${x#*z}", lookup, true).text == std::string(1000, 'b') + "ztail");
  CHECK(fluxsim::load::envsubst("${x%%z*}", lookup, true).text == std::string(200'000, 'a'));
  CHECK(fluxsim::load::envsubst("${x%z*}", lookup, true).text == value.substr(0, value.size() - 5));
  CHECK(fluxsim::load::envsubst("${x##*q}", lookup, true).text == value);  // no match: unchanged
  CHECK(seconds_since(start) < 2);
}

TEST_CASE("suffix trims match classes and escapes the right way round") {
  auto lookup = [](const std::string&) -> std::optional<std::string> { return std::string("web-12"); };
  CHECK(fluxsim::load::envsubst("${x%[0-9]}", lookup, true).text == "web-1");
  CHECK(fluxsim::load::envsubst("${x%%-[0-9]*}", lookup, true).text == "web");
  CHECK(fluxsim::load::envsubst("${x#[a-z]}", lookup, true).text == "eb-12");
  CHECK(fluxsim::load::envsubst("${x%\\2}", lookup, true).text == "web-1");
}

namespace {

// n Kustomizations k0..k(n-1) applied by the root; k(i) dependsOn k(i+1 mod n) when `ring`.
fluxsim::World ring_world(int n, bool ring, bool self_loops = false) {
  fluxsim::World w;
  auto make = [](const std::string& name) {
    fluxsim::Kustomization k;
    k.ref = {std::string(fluxsim::kKustomizeGroup), "Kustomization", "flux-system", name};
    k.api_version = "kustomize.toolkit.fluxcd.io/v1";
    k.source_ref = {"GitRepository", "flux-system", "flux-system", {}, false};
    k.path = "./" + name;
    k.interval = std::chrono::minutes(10);
    return k;
  };
  w.kustomizations.push_back(make("flux-system"));
  for (int i = 0; i < n; ++i) {
    fluxsim::Kustomization k = make(std::string("k") + std::to_string(i));
    k.parent = w.kustomizations[0].ref;
    std::string dep = self_loops ? k.ref.name : ring ? std::string("k") + std::to_string((i + 1) % n) : "";
    if (!dep.empty()) k.depends_on.push_back({"Kustomization", "flux-system", dep, {"clusters/test/k.yaml", i + 1, 3}, false});
    w.kustomizations.push_back(std::move(k));
  }
  return w;
}

std::size_t count_findings(const fluxsim::CheckResult& r, const std::string& check) {
  std::size_t n = 0;
  for (const auto& f : r.findings) n += f.check == check;
  return n;
}

}  // namespace

TEST_CASE("a 4,000-Kustomization dependsOn ring loaded from YAML is found once, in seconds") {
  MemoryFileSource fs;
  std::string all;
  for (int i = 0; i < 4000; ++i)
    all += flux_kustomization(std::string("k") + std::to_string(i), "./empty", "  dependsOn:\n    - name: k" + std::to_string((i + 1) % 4000) + "\n") + "---\n";
  fs.add("clusters/test/all.yaml", all);
  fs.add("empty/cm.yaml", config_map("e"));
  fluxsim::LoadOptions options;
  options.entry = "clusters/test";
  const std::clock_t start = std::clock();
  auto load = fluxsim::load_world(fs, "repo", options);
  fluxsim::DependencyGraph g(load.world);
  CHECK(seconds_since(start) < 30);
  REQUIRE(g.cycles().size() == 1);
  CHECK(g.cycles()[0].members.size() == 4000);
}

TEST_CASE("check reports a 100,000-Kustomization dependsOn ring once, in near-linear time") {
  fluxsim::World w = ring_world(100'000, true);
  const std::clock_t start = std::clock();
  auto result = fluxsim::check_world(w, fluxsim::Scenario{});
  CHECK(seconds_since(start) < 30);
  CHECK(count_findings(result, "dependency-cycle") == 1);
}

TEST_CASE("20,000 self-dependencies are 20,000 one-member cycles, found without a pass over the graph each") {
  fluxsim::World w = ring_world(20'000, false, true);
  const std::clock_t start = std::clock();
  fluxsim::DependencyGraph g(w);
  CHECK(seconds_since(start) < 10);
  CHECK(g.cycles().size() == 20'000);
}

TEST_CASE("a 20,000-deep chain of wait: true parents is checked without a search per health check") {
  fluxsim::World w = ring_world(0, false);
  auto make_child = [&](int i) {
    fluxsim::Kustomization k = w.kustomizations[0];
    k.ref.name = std::string("k") + std::to_string(i);
    k.path = "./" + k.ref.name;
    k.objects.clear();
    k.wait = true;
    k.parent = w.kustomizations.back().ref;
    fluxsim::Resource r;
    r.api_version = "kustomize.toolkit.fluxcd.io/v1";
    r.ref = k.ref;
    w.kustomizations.back().objects.push_back(r);
    w.kustomizations.push_back(std::move(k));
  };
  for (int i = 0; i < 20'000; ++i) make_child(i);
  const std::clock_t start = std::clock();
  auto result = fluxsim::check_world(w, fluxsim::Scenario{});
  CHECK(seconds_since(start) < 30);
  CHECK(count_findings(result, "health-check-deadlock") == 0);
  CHECK(count_findings(result, "dependency-cycle") == 0);
}

// ----- reproducers the fuzzers found ---------------------------------------------------------------

TEST_CASE("the longest Go duration prints as text that parses back to it (fuzz_duration)") {
  for (const char* text : {"2562047h47m16.854775807s", "-2562047h47m16.854775808s", "9223372036854775807ns"}) {
    INFO(text);
    auto d = fluxsim::parse_duration(text);
    REQUIRE(d.value);
    auto again = fluxsim::parse_duration(fluxsim::format_duration(*d.value));
    REQUIRE(again.value);
    CHECK(*again.value == *d.value);
  }
}

// ----- bytes that are not UTF-8 --------------------------------------------------------------------

TEST_CASE("names and messages with bytes that are not UTF-8 still give JSON and traces, never exit 3") {
  fluxsim::test::TempDir dir("hostile-utf8");
  dir.write("repo/clusters/test/apps.yaml", flux_kustomization("apps", "./apps", "  dependsOn:\n    - name: \"miss\xff\"\n"));
  dir.write("repo/apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"c\xfe\"\n  namespace: \"d\xc3\"\n");
  const std::string repo = dir.path("repo");
  for (std::vector<std::string> args : {std::vector<std::string>{"run", repo, "-o", "json"}, {"run", repo, "-o", "trace"},
                                        {"check", repo, "-o", "json"}, {"tree", repo, "-o", "json"}}) {
    INFO(args[0] << " " << args[3]);
    auto r = fluxsim::test::run_fluxsim(args);
    CHECK(r.code != fluxsim::ExitCode::InternalError);
    CHECK(r.err.find("internal") == std::string::npos);
    if (r.code == fluxsim::ExitCode::Ok || r.code == fluxsim::ExitCode::Failed) CHECK(nlohmann::json::accept(r.out));
  }
}

// Found by tests/fuzz/fuzz_scenario (150 s run): a 2 kB scenario on which the YAML reader underneath
// parse_scenario (yaml-cpp's LoadAll) runs for more than a minute and takes over 8 GB. The YAML reader
// is being replaced (libyaml); skipped until then: run it with -tc='*YAML reader*' --no-skip.
TEST_CASE("a 2 kB scenario found by fuzz_scenario is decoded (or refused) in seconds by the YAML reader" * doctest::skip()) {
  const std::string file = std::string(FLUXSIM_SOURCE_DIR) + "/tests/fuzz/reproducers/scenario-yaml-reader-blowup.yaml";
  const std::clock_t start = std::clock();
  auto load = fluxsim::load_scenario(file);
  CHECK(seconds_since(start) < 10);
}
