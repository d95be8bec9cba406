// SPDX-License-Identifier: Apache-2.0
#include "load/entry_discovery.h"

#include <algorithm>
#include <map>
#include <set>

namespace fluxsim::load {

namespace {

struct Found {
  EntryCandidate c;
  int priority;  // lower wins: bootstrap files, then flux-operator, then self-reference
};

void walk(RepoFiles& files, const std::string& dir, int depth, std::vector<std::string>& out, std::size_t& budget) {
  if (depth > 32) return;
  for (const std::string& name : files.list(dir)) {
    if (budget == 0) return;
    --budget;
    if (!name.empty() && name[0] == '.') continue;
    std::string path = join_path(dir, name);
    FileSource::Type t = files.type(path);
    if (t == FileSource::Type::Directory) {
      walk(files, path, depth + 1, out, budget);
    } else if (t == FileSource::Type::File && (name.ends_with(".yaml") || name.ends_with(".yml"))) {
      out.push_back(path);
    }
  }
}

std::optional<std::string> existing_dir(RepoFiles& files, const std::string& path) {
  std::string p = clamp_path(path);
  if (files.type(p) != FileSource::Type::Directory) return std::nullopt;
  return p;
}

// flux-operator's sync.kind: the kind of the source it creates for the root (GitRepository by default).
std::string sync_kind(const std::string& kind) {
  if (kind == "OCIRepository" || kind == "Bucket") return kind;
  return "GitRepository";
}

}  // namespace

std::vector<std::string> unapplied_kustomization_dirs(RepoFiles& files) {
  std::vector<std::string> yaml_files;
  std::size_t budget = 200'000;
  walk(files, "", 0, yaml_files, budget);
  std::set<std::string> holders;  // folders with a file declaring a Flux Kustomization
  std::set<std::string> applied;  // spec.path of every Flux Kustomization
  for (const std::string& path : yaml_files) {
    const std::string* text = files.read(path);
    if (!text || text->find("kustomize.toolkit.fluxcd.io") == std::string::npos) continue;
    const ParsedYaml* p = files.parse(path);
    if (!p || p->error) continue;
    for (const Node& d : p->documents) {
      if (d.text({"kind"}) != "Kustomization" || d.text({"apiVersion"}).rfind("kustomize.toolkit.fluxcd.io/", 0) != 0) continue;
      holders.insert(parent_dir(path));
      if (auto applies = normalize_path(d.text({"spec", "path"})); applies && !applies->empty()) applied.insert(*applies);
    }
  }
  std::vector<std::string> out;
  for (const std::string& dir : holders) {
    bool reached = false;
    for (const std::string& a : applied) reached = reached || is_under(dir, a);
    // A folder below a candidate is part of it (its kustomization.yaml may include the folder).
    for (const std::string& o : out) reached = reached || is_under(dir, o);
    if (!reached) out.push_back(dir);
  }
  return out;
}

std::vector<EntryCandidate> discover_entries(RepoFiles& files) {
  std::vector<std::string> yaml_files;
  std::size_t budget = 200'000;
  walk(files, "", 0, yaml_files, budget);
  std::vector<Found> found;
  for (const std::string& path : yaml_files) {
    std::string dir = parent_dir(path);
    std::string name = base_name(path);
    if (name == "gotk-sync.yaml" && base_name(dir) == "flux-system") {
      const ParsedYaml* p = files.parse(path);
      std::optional<std::string> entry;
      int line = 0;
      bool placeholder = !p || p->error || std::all_of(p->documents.begin(), p->documents.end(), [](const Node& d) { return d.is_null(); });
      if (p && !p->error) {
        for (const Node& d : p->documents) {
          if (d.text({"kind"}) == "Kustomization" && d.text({"apiVersion"}).rfind("kustomize.toolkit.fluxcd.io/", 0) == 0 &&
              d.get("spec")) {
            entry = existing_dir(files, d.text({"spec", "path"}));
            line = d.line;
            break;
          }
        }
      }
      if (!entry) entry = parent_dir(dir);
      found.push_back(Found{EntryCandidate{*entry, placeholder ? "flux-system/gotk-sync.yaml placeholder" : "flux-system/gotk-sync.yaml",
                                           SourceLocation{path, line, 0}},
                            0});
      continue;
    }
    const std::string* text = files.read(path);
    if (!text) continue;
    bool instance = text->find("FluxInstance") != std::string::npos;
    bool chart = text->find("HelmRelease") != std::string::npos && text->find("instance") != std::string::npos;
    bool ks = text->find("kustomize.toolkit.fluxcd.io") != std::string::npos;
    if (!instance && !chart && !ks) continue;
    const ParsedYaml* p = files.parse(path);
    if (!p || p->error) continue;
    for (const Node& d : p->documents) {
      std::string kind = d.text({"kind"});
      if (instance && kind == "FluxInstance") {
        if (auto e = existing_dir(files, d.text({"spec", "sync", "path"})))
          found.push_back(Found{EntryCandidate{*e, "FluxInstance " + d.text({"metadata", "name"}), SourceLocation{path, d.line, 0},
                                               sync_kind(d.text({"spec", "sync", "kind"}))},
                                1});
      } else if (chart && kind == "HelmRelease") {
        if (const Node* sp = d.at({"spec", "values", "instance", "sync", "path"}); sp && sp->is_scalar()) {
          if (auto e = existing_dir(files, sp->value))
            found.push_back(Found{EntryCandidate{*e, "HelmRelease " + d.text({"metadata", "name"}) + " values.instance.sync.path",
                                                 SourceLocation{path, sp->line, 0},
                                                 sync_kind(d.text({"spec", "values", "instance", "sync", "kind"}))},
                                  1});
        }
      } else if (ks && kind == "Kustomization" && d.text({"apiVersion"}).rfind("kustomize.toolkit.fluxcd.io/", 0) == 0) {
        if (d.text({"spec", "sourceRef", "kind"}) != "GitRepository") continue;
        auto applies = normalize_path(d.text({"spec", "path"}));
        if (!applies || applies->empty() || !is_under(dir, *applies)) continue;
        found.push_back(Found{EntryCandidate{dir, "self-referencing Kustomization " + d.text({"metadata", "name"}) + " (applies " +
                                                      display_path(*applies) + ")",
                                             SourceLocation{path, d.line, 0}},
                              2});
      }
    }
  }
  int best = 3;
  for (const Found& f : found) best = std::min(best, f.priority == 2 ? 2 : 0);
  std::map<std::string, EntryCandidate> by_path;
  for (int prio = 0; prio <= 2; ++prio) {
    for (const Found& f : found) {
      if (f.priority != prio) continue;
      if (best == 0 && prio == 2) continue;  // self-reference is the fallback shape only
      by_path.emplace(f.c.path, f.c);
    }
  }
  std::vector<EntryCandidate> out;
  for (auto& [path, c] : by_path) out.push_back(c);
  return out;
}

}  // namespace fluxsim::load

namespace fluxsim {

std::vector<EntryCandidate> discover_entries(const FileSource& files) {
  load::RepoFiles cache(files);
  return load::discover_entries(cache);
}

std::vector<std::string> unapplied_kustomization_dirs(const FileSource& files) {
  load::RepoFiles cache(files);
  return load::unapplied_kustomization_dirs(cache);
}

}  // namespace fluxsim
