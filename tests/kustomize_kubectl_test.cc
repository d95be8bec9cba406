// SPDX-License-Identifier: Apache-2.0
// Differential test: for every kustomization directory in tests/fixtures and in the corpus of real
// repositories, fluxsim's kustomize build must give the same set of (apiVersion, kind, namespace,
// name) as `kubectl kustomize DIR`, the reference. Directories kubectl cannot build offline (remote
// bases, helmCharts, missing inputs) are counted and skipped with their reason; fluxsim must then
// fail as well unless the reason is something only the network could provide.
// Without kubectl (or with one older than kustomize v5, such as Debian's kubernetes-client 1.20), or
// without the corpus, the test case skips (tests/skip.h): CTest reports it skipped, not passed.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "fluxsim/load.h"
#include "load/kustomize.h"
#include "skip.h"
#include "test_util.h"

namespace fs = std::filesystem;
using fluxsim::load::Kustomizer;
using fluxsim::load::KustomizeOptions;
using fluxsim::load::RepoFiles;

namespace {

using Id = std::tuple<std::string, std::string, std::string, std::string>;

struct Command {
  int status = -1;
  std::string output;
};

Command run(const std::string& cmd) {
  Command c;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return c;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) c.output.append(buf, n);
  c.status = ::pclose(p);
  return c;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'') out += "'\\''";
    else out += ch;
  }
  return out + "'";
}

/// Why `kubectl kustomize` cannot be the reference here, or empty when it can: kubectl must be on the
/// PATH and bundle kustomize v5 or later (kubectl 1.27+); older ones build differently.
std::string kubectl_problem() {
  Command v = run("kubectl version --client");
  if (v.status != 0) return "kubectl not found on PATH; the differential test needs `kubectl kustomize` (kubectl 1.27 or later)";
  const std::string tag = "Kustomize Version: v";
  std::size_t at = v.output.find(tag);
  int major = at == std::string::npos ? 0 : std::atoi(v.output.c_str() + at + tag.size());
  if (major < 5)
    return "kubectl bundles kustomize older than v5 (kubectl 1.27 or later is needed; Debian's kubernetes-client is too old)";
  return {};
}

std::set<Id> ids_of(const std::string& yaml_text, bool& ok) {
  std::set<Id> ids;
  auto parsed = fluxsim::load::parse_yaml(yaml_text);
  ok = !parsed.error;
  for (const auto& d : parsed.documents) {
    if (!d.is_map()) continue;
    ids.emplace(d.text({"apiVersion"}), d.text({"kind"}), d.text({"metadata", "namespace"}), d.text({"metadata", "name"}));
  }
  return ids;
}

std::string show(const Id& id) {
  return std::get<1>(id) + " " + std::get<0>(id) + " " + std::get<2>(id) + "/" + std::get<3>(id);
}

// A repository root and the kustomization directories below it.
struct Repo {
  std::string root;
  std::vector<std::string> dirs;  // relative to root
};

void find_dirs(const fs::path& root, Repo& repo) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::none, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    std::string name = it->path().filename().string();
    if (name == "kustomization.yaml" || name == "kustomization.yml" || name == "Kustomization") {
      std::string rel = fs::relative(it->path().parent_path(), root).generic_string();
      repo.dirs.push_back(rel == "." ? std::string{} : rel);
    }
  }
  std::sort(repo.dirs.begin(), repo.dirs.end());
  repo.dirs.erase(std::unique(repo.dirs.begin(), repo.dirs.end()), repo.dirs.end());
}

std::string skip_reason(const std::string& kubectl_output) {
  if (kubectl_output.find("--enable-helm") != std::string::npos || kubectl_output.find("helm") != std::string::npos)
    return "helmCharts";
  if (kubectl_output.find("exit status 128") != std::string::npos || kubectl_output.find("://") != std::string::npos ||
      kubectl_output.find("git@") != std::string::npos ||
      kubectl_output.find("no 'git' program") != std::string::npos)  // a remote base on a machine without git
    return "remote resources";
  if (kubectl_output.find("no such file") != std::string::npos || kubectl_output.find("not found") != std::string::npos ||
      kubectl_output.find("evalsymlink") != std::string::npos)
    return "missing files";
  if (kubectl_output.find("security;") != std::string::npos) return "file outside the kustomization root";
  return "kubectl error";
}

/// Builds every directory of `repos` with fluxsim and with kubectl and compares the object sets;
/// prints how many were compared and skipped (`what` names the set: "fixtures", "corpus").
void compare_with_kubectl(const std::vector<Repo>& repos, const std::string& what) {
  // Run kubectl for every directory, a few at a time.
  struct Job {
    const Repo* repo;
    std::string dir;
    Command kubectl;
  };
  std::vector<Job> jobs;
  for (const Repo& r : repos)
    for (const std::string& d : r.dirs) jobs.push_back(Job{&r, d, {}});
  unsigned workers = std::max(2u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (std::size_t i = next++; i < jobs.size(); i = next++) {
        std::string path = jobs[i].repo->root + "/" + jobs[i].dir;
        jobs[i].kubectl = run("kubectl kustomize " + shell_quote(path));
      }
    });
  }
  for (auto& t : pool) t.join();

  int compared = 0;
  int both_failed = 0;
  std::map<std::string, int> skipped;
  std::string skipped_list;
  std::map<std::string, std::unique_ptr<RepoFiles>> caches;
  std::map<std::string, std::unique_ptr<fluxsim::FileSource>> sources;
  for (Job& job : jobs) {
    auto& src = sources[job.repo->root];
    if (!src) src = fluxsim::make_disk_file_source(job.repo->root);
    auto& files = caches[job.repo->root];
    if (!files) files = std::make_unique<RepoFiles>(*src);
    KustomizeOptions opts;
    opts.root_only = true;
    opts.flux_generate = false;
    Kustomizer k(*files, opts);
    auto built = k.build(job.dir);
    std::string where = job.repo->root + "/" + job.dir;
    INFO("directory: " << where);
    if (job.kubectl.status != 0) {
      std::string reason = skip_reason(job.kubectl.output);
      skipped_list += "\n  " + where + ": " + reason;
      if (reason == "remote resources" || reason == "helmCharts") {
        ++skipped[reason];
        continue;
      }
      INFO("kubectl: " << job.kubectl.output);
      CHECK_MESSAGE(built.error.has_value(), "kubectl fails on this directory but fluxsim builds it");
      ++both_failed;
      ++skipped[reason];
      continue;
    }
    if (built.error) {
      FAIL_CHECK("fluxsim fails where kubectl builds: " << built.error->message << " at "
                                                         << fluxsim::to_string(built.error->where));
      continue;
    }
    bool ok = false;
    std::set<Id> want = ids_of(job.kubectl.output, ok);
    REQUIRE(ok);
    std::set<Id> got;
    for (const auto& o : built.objects) got.emplace(o.api_version(), o.kind(), o.ns(), o.name());
    std::vector<std::string> missing, extra;
    for (const Id& id : want)
      if (!got.count(id)) missing.push_back(show(id));
    for (const Id& id : got)
      if (!want.count(id)) extra.push_back(show(id));
    std::string diff;
    for (auto& m : missing) diff += "\n  only kubectl: " + m;
    for (auto& e : extra) diff += "\n  only fluxsim: " + e;
    CHECK_MESSAGE(diff.empty(), "object sets differ:" << diff);
    ++compared;
  }
  std::string summary = "kubectl differential (" + what + "): " + std::to_string(compared) + " directories compared";
  for (auto& [reason, n] : skipped) summary += ", " + std::to_string(n) + " skipped (" + reason + ")";
  summary += "; of the skipped, " + std::to_string(both_failed) + " fail in fluxsim too (the others need the network)";
  MESSAGE(summary << skipped_list);
  CHECK(compared > 0);
}

}  // namespace

TEST_CASE("kustomize builds equal kubectl kustomize on every fixture directory") {
  if (std::string why = kubectl_problem(); !why.empty()) {
    fluxsim::test::skip(why);
    return;
  }
  Repo fixtures;
  fixtures.root = std::string(FLUXSIM_SOURCE_DIR) + "/tests/fixtures";
  REQUIRE(fs::is_directory(fixtures.root));
  find_dirs(fixtures.root, fixtures);
  compare_with_kubectl({fixtures}, "fixtures");
}

TEST_CASE("kustomize builds equal kubectl kustomize on every corpus directory") {
  if (std::string why = kubectl_problem(); !why.empty()) {
    fluxsim::test::skip(why);
    return;
  }
  const std::string corpus = fluxsim::test::corpus_dir();
  if (corpus.empty()) {
    fluxsim::test::skip("corpus of real repositories not found (../shared/corpus beside the checkout, or set FLUXSIM_CORPUS)");
    return;
  }
  std::vector<Repo> repos;
  for (const auto& e : fs::directory_iterator(corpus)) {
    if (!e.is_directory()) continue;
    Repo r;
    r.root = e.path().string();
    find_dirs(e.path(), r);
    repos.push_back(std::move(r));
  }
  std::sort(repos.begin(), repos.end(), [](const Repo& a, const Repo& b) { return a.root < b.root; });
  compare_with_kubectl(repos, "corpus");
}
