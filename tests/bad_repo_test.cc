// SPDX-License-Identifier: Apache-2.0
// Hostile and broken repositories on a real disk (issue 3, "Bad repositories"): every problem is a
// diagnostic naming the file, the load never crashes or hangs, and one broken Kustomization does not
// hide the others.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "test_util.h"

using namespace fluxsim;
namespace fs = std::filesystem;

namespace {

std::string ks(const std::string& name, const std::string& path) {
  return "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: " + name +
         "\n  namespace: flux-system\nspec:\n  interval: 10m\n  prune: true\n  path: " + path +
         "\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n";
}

const Kustomization& named(const World& w, const std::string& name) {
  for (const auto& k : w.kustomizations)
    if (k.ref.name == name) return k;
  FAIL("no Kustomization " << name);
  return w.kustomizations.front();
}

bool warned_about(const World& w, const std::string& file) {
  for (const auto& d : w.diagnostics)
    if (d.where.file == file || d.message.find(file) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a broken repository loads with one diagnostic per problem, each naming its file") {
  test::ScratchDir repo("bad-repo");
  std::string entry;
  entry += ks("good", "./good") + "---\n";
  entry += ks("escaping", "../../../../../../etc") + "---\n";
  entry += ks("loops", "./loops") + "---\n";
  entry += ks("garbage", "./garbage") + "---\n";
  entry += ks("deep", "./deep") + "---\n";
  entry += ks("bomb", "./bomb") + "---\n";
  entry += ks("missing", "./missing") + "---\n";
  entry += ks("self", "./self") + "---\n";
  entry += ks("outside", "./outside");
  repo.write("clusters/prod/ks.yaml", entry);
  repo.write("good/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n  namespace: default\n");

  // Symbolic-link loops and a directory cycle: the generated kustomization must still end.
  repo.write("loops/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in-loops\n  namespace: default\n");
  fs::create_directory_symlink(".", repo.path() / "loops/cycle");
  fs::create_directory_symlink("..", repo.path() / "loops/parent-cycle");
  fs::create_symlink("ping.yaml", repo.path() / "loops/pong.yaml");
  fs::create_symlink("pong.yaml", repo.path() / "loops/ping.yaml");
  fs::create_directory(repo.path() / "loops/a");
  fs::create_directory_symlink("../b", repo.path() / "loops/a/to-b");
  fs::create_directory(repo.path() / "loops/b");
  fs::create_directory_symlink("../a", repo.path() / "loops/b/to-a");

  // A kustomization that reaches outside the repository through a symlink.
  repo.write("outside/kustomization.yaml", "resources:\n  - etc-link/passwd\n");
  fs::create_directory_symlink("/etc", repo.path() / "outside/etc-link");

  std::string garbage;
  unsigned x = 7;
  for (int i = 0; i < 2000; ++i) {
    x = x * 1664525u + 1013904223u;
    garbage += static_cast<char>(x >> 24);
  }
  repo.write("garbage/junk.yaml", garbage);

  repo.write("deep/deep.yaml", std::string(100'000, '[') + std::string(100'000, ']') + "\n");

  std::string bomb = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n  namespace: default\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += std::string("  ") + c + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? "," : "") + "*" + prev;
    bomb += "]\n";
    prev = c;
  }
  repo.write("bomb/bomb.yaml", bomb);

  repo.write("missing/kustomization.yaml", "resources:\n  - present.yaml\n  - absent.yaml\n");
  repo.write("missing/present.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: present\n");

  repo.write("self/kustomization.yaml", "resources:\n  - .\n");

  auto files = make_disk_file_source(repo.path().string());
  LoadOptions o;
  o.entry = "clusters/prod";
  auto r = load_world(*files, repo.path().string(), o);
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const World& w = r.world;
  REQUIRE(w.kustomizations.size() == 10);

  CHECK(named(w, "good").objects.size() == 1);
  CHECK_FALSE(named(w, "good").build_failure);

  // spec.path climbing out of the repository: clamped to the root like Flux's securejoin.
  CHECK(named(w, "escaping").build_failure.has_value());
  CHECK(warned_about(w, "clusters/prod/ks.yaml"));

  // Loops end; only the real file is built.
  const Kustomization& loops = named(w, "loops");
  CHECK_FALSE(loops.build_failure);
  REQUIRE(loops.objects.size() == 1);
  CHECK(loops.objects[0].ref.name == "in-loops");

  auto check_failed = [&](const std::string& name, const std::string& file) {
    CAPTURE(name);
    const Kustomization& k = named(w, name);
    REQUIRE(k.build_failure.has_value());
    CHECK(k.build_failure->reason == "BuildFailed");
    CHECK(k.build_failure->where.file == file);
    CHECK(k.objects.empty());
    CHECK(warned_about(w, file));
  };
  check_failed("garbage", "garbage/junk.yaml");
  check_failed("deep", "deep/deep.yaml");
  check_failed("bomb", "bomb/bomb.yaml");
  check_failed("missing", "missing/kustomization.yaml");
  check_failed("self", "self/kustomization.yaml");
  check_failed("outside", "outside/kustomization.yaml");
  CHECK(named(w, "missing").build_failure->where.line == 3);
  CHECK(named(w, "missing").build_failure->message.find("absent.yaml") != std::string::npos);
  CHECK(named(w, "self").build_failure->message.find("cycle") != std::string::npos);
}

TEST_CASE("the disk source never reads outside its root") {
  test::ScratchDir repo("disk-root");
  repo.write("inside.yaml", "a: 1\n");
  fs::create_symlink("/etc/hostname", repo.path() / "outside-file");
  fs::create_directory_symlink("/etc", repo.path() / "outside-dir");
  fs::create_symlink("inside.yaml", repo.path() / "alias.yaml");
  auto files = make_disk_file_source(repo.path().string());
  CHECK(files->type("inside.yaml") == FileSource::Type::File);
  CHECK(files->read("alias.yaml") == std::optional<std::string>("a: 1\n"));
  CHECK(files->type("outside-file") == FileSource::Type::Missing);
  CHECK_FALSE(files->read("outside-file").has_value());
  CHECK(files->type("outside-dir") == FileSource::Type::Missing);
  CHECK(files->list("outside-dir").empty());
  CHECK_FALSE(files->read("../" + repo.path().filename().string() + "/inside.yaml").has_value());
  CHECK(files->type("") == FileSource::Type::Directory);
}
