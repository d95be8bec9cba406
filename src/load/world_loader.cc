// SPDX-License-Identifier: Apache-2.0
// load_world: the hierarchy discovered the way Flux discovers it. The implicit root Kustomization
// applies the entry path; every Flux Kustomization found in a build becomes a World entry (first
// builder wins) and is built in turn, breadth first, from its own spec.path inside its source's
// directory, with Flux's build rules (targetNamespace, patches, components, post-build variables).
// Problems inside the repository become BuildFailure on the Kustomization that builds them, never
// errors of the load.
#include <algorithm>
#include <cctype>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "fluxsim/load.h"
#include "load/controller_flags.h"
#include "load/document.h"
#include "load/entry_discovery.h"
#include "load/flux_objects.h"
#include "load/kustomize.h"
#include "load/repo_files.h"
#include "load/substitute.h"

namespace fluxsim {

namespace {

using load::Field;
using load::FluxKustomizationSpec;
using load::KObject;
using load::Node;

constexpr std::string_view kSubstituteKey = "kustomize.toolkit.fluxcd.io/substitute";

std::string object_name(const ObjectRef& r) { return to_string(r); }

bool meta_says(const KObject& o, std::string_view key, std::string_view value) {
  for (const char* section : {"annotations", "labels"}) {
    const Node* m = o.node.at({"metadata", section});
    if (!m) continue;
    const Node* v = m->get(key);
    if (v && v->is_scalar() && v->value == value) return true;
  }
  return false;
}

void shift_lines(Node& n, int delta) {
  if (n.line > 0) n.line += delta;
  for (Node& i : n.items) shift_lines(i, delta);
  for (Field& f : n.fields) shift_lines(f.value, delta);
}

/// Variables of a ConfigMap or Secret found in a build, for postBuild.substituteFrom.
struct ConfigData {
  std::vector<std::pair<std::string, std::string>> vars;
  bool unreadable = false;  ///< a SOPS-encrypted Secret: its values are unknown offline
  SourceLocation where;
};

ConfigData config_data(const KObject& o) {
  ConfigData d;
  d.where = o.origin;
  if (o.node.get("sops")) {
    d.unreadable = true;
    return d;
  }
  bool secret = o.kind() == "Secret";
  if (const Node* data = o.node.get("data"); data && data->is_map()) {
    for (const Field& f : data->fields) {
      std::string v = f.value.is_scalar() ? f.value.value : std::string{};
      if (secret) {
        auto decoded = load::base64_decode(v);
        if (!decoded) {
          d.unreadable = true;
          continue;
        }
        v = *decoded;
      }
      d.vars.emplace_back(f.key, v);
    }
  }
  if (secret) {
    if (const Node* sd = o.node.get("stringData"); sd && sd->is_map())
      for (const Field& f : sd->fields) d.vars.emplace_back(f.key, f.value.is_scalar() ? f.value.value : std::string{});
  }
  return d;
}

class WorldLoader {
 public:
  WorldLoader(const FileSource& source, const std::string& repo_dir, const LoadOptions& options, WorldLoad& out)
      : files_(source), kustomizer_(files_), options_(options), out_(out), world_(out.world) {
    world_.repo_root = repo_dir;
    // Builds take a file's tree and change it: the controller flags are read from it as first parsed.
    files_.on_first_parse([this](const std::string& path, const load::ParsedYaml& parsed) {
      std::vector<ControllerFlag> found;
      for (const load::Node& doc : parsed.documents) load::find_controller_flags(doc, path, found);
      if (!found.empty()) flags_by_file_[path] = std::move(found);
    });
  }

  void run() {
    if (files_.type("") != FileSource::Type::Directory) {
      out_.diagnostics.error(SourceLocation{world_.repo_root, 0, 0}, "repository directory not found: " + world_.repo_root);
      return;
    }
    if (!choose_entry()) return;
    if (!read_manifests()) return;
    make_root();
    drain();
    // Sources found late (a FluxInstance naming this repository, ...) can map sources that an earlier
    // Kustomization needed: build those now.
    for (int round = 0; round < 4; ++round) {
      bool again = false;
      for (std::size_t i = 0; i < states_.size(); ++i) {
        if (states_[i].waiting_for_source && source_directory(i)) {
          states_[i].waiting_for_source = false;
          queue_.push_back(i);
          again = true;
        }
      }
      if (!again) break;
      drain();
    }
    finish_sources();
    if (!options_.strict_offline) {
      assume_remote_sources();
      infer_providers();
    }
    // Flags the repository sets on the controllers it deploys, from every file a build read (found as
    // each file was first parsed), in path order.
    for (const std::string& path : files_.parsed_paths())
      if (auto it = flags_by_file_.find(path); it != flags_by_file_.end())
        for (ControllerFlag& f : it->second) world_.controller_flags.push_back(std::move(f));
    out_.stats.files_read = files_.files_read();
    out_.stats.bytes_read = files_.bytes_read();
    out_.stats.documents = files_.documents_parsed();
    out_.stats.builds = builds_;
    out_.stats.yaml_files = files_.parsed_paths();
  }

 private:
  struct State {
    FluxKustomizationSpec spec;
    bool done = false;
    bool waiting_for_source = false;
  };

  Diagnostics& warnings() { return world_.diagnostics; }

  bool choose_entry() {
    std::string entry = options_.entry;
    if (entry.empty()) {
      auto found = load::discover_entries(files_);
      if (found.empty()) {
        std::vector<std::string> dirs = load::unapplied_kustomization_dirs(files_);
        std::string list;
        for (const std::string& d : dirs) list += (list.empty() ? "" : ", ") + load::display_path(d);
        out_.diagnostics.error(SourceLocation{world_.repo_root, 0, 0},
                               "no entry point found in " + world_.repo_root +
                                   ": no flux-system/gotk-sync.yaml, FluxInstance, flux-instance HelmRelease or self-referencing Kustomization" +
                                   (dirs.empty() ? std::string{}
                                                 : "; folders holding Flux Kustomizations that nothing applies: " + list),
                               dirs.empty() ? "give the path the root Kustomization applies with --entry (e.g. clusters/production)"
                                            : "give the one `flux bootstrap --path` points at with --entry (e.g. --entry " +
                                                  load::display_path(dirs.front()) + ")");
        return false;
      }
      if (found.size() > 1) {
        std::string list;
        for (const EntryCandidate& c : found) {
          if (!list.empty()) list += ", ";
          list += c.path + " (" + c.how + ")";
        }
        out_.diagnostics.error(SourceLocation{world_.repo_root, 0, 0},
                               "several entry points found in " + world_.repo_root + ": " + list,
                               "choose one with --entry PATH");
        return false;
      }
      entry = found[0].path;
      root_source_kind_ = found[0].source_kind;
    }
    auto norm = load::normalize_path(entry);
    if (!norm) {
      out_.diagnostics.error(SourceLocation{world_.repo_root, 0, 0}, "entry path '" + entry + "' is outside the repository " + world_.repo_root);
      return false;
    }
    if (files_.type(*norm) != FileSource::Type::Directory) {
      out_.diagnostics.error(SourceLocation{world_.repo_root, 0, 0},
                             "entry path not found: " + world_.repo_root + "/" + load::display_path(*norm) + " is not a directory");
      return false;
    }
    world_.entry = *norm;
    return true;
  }

  bool read_manifests() {
    if (options_.manifests.find_first_not_of(" \t\r\n") == std::string::npos) return true;
    const SourceLocation& at = options_.manifests_at;
    std::string file = at.file.empty() ? std::string("<manifests>") : at.file;
    auto parsed = load::parse_yaml(options_.manifests);
    if (parsed.error) {
      out_.diagnostics.error(SourceLocation{file, at.line + parsed.error->line, parsed.error->column},
                             "manifests: yaml: " + parsed.error->message);
      return false;
    }
    for (Node& doc : parsed.documents) {
      if (doc.is_null()) continue;
      shift_lines(doc, at.line);
      SourceLocation where{file, doc.line, doc.column};
      if (!doc.is_map() || doc.text({"kind"}).empty() || doc.text({"metadata", "name"}).empty()) {
        out_.diagnostics.error(where, "manifests: every document must be a Kubernetes object with kind and metadata.name");
        return false;
      }
      KObject o;
      o.node = std::move(doc);
      o.origin = where;
      o.org_name = o.name();
      o.org_ns = o.ns();
      manifests_.push_back(std::move(o));
    }
    return true;
  }

  void make_root() {
    const RootSettings& r = options_.root;
    FluxKustomizationSpec spec;
    Kustomization& k = spec.model;
    k.ref = ObjectRef{std::string(kKustomizeGroup), "Kustomization", r.ns, r.name};
    k.api_version = "kustomize.toolkit.fluxcd.io/v1";
    k.source_ref = Reference{root_source_kind_, r.ns, r.name, {}, false};
    k.path = world_.entry.empty() ? std::string("./") : "./" + world_.entry;
    k.interval = r.interval;
    k.prune = true;
    add_kustomization(std::move(spec), std::nullopt);

    Source root_source;
    root_source.ref = ObjectRef{std::string(kSourceGroup), root_source_kind_, r.ns, r.name};
    root_source.api_version = "source.toolkit.fluxcd.io/v1";
    root_source.directory = ".";
    root_source.exists_at_start = true;
    world_.sources.push_back(std::move(root_source));
  }

  std::size_t add_kustomization(FluxKustomizationSpec spec, std::optional<ObjectRef> parent) {
    Kustomization k = spec.model;
    k.parent = std::move(parent);
    std::size_t i = world_.kustomizations.size();
    index_[k.ref] = i;
    world_.kustomizations.push_back(std::move(k));
    states_.push_back(State{std::move(spec), false, false});
    queue_.push_back(i);
    return i;
  }

  void drain() {
    std::size_t streak = 0;  // deferrals in a row without progress
    while (!queue_.empty()) {
      std::size_t i = queue_.front();
      queue_.pop_front();
      bool may_defer = streak <= queue_.size();
      if (process(i, may_defer)) {
        streak = 0;
      } else {
        ++streak;
        queue_.push_back(i);
      }
    }
  }

  Source* find_source(const Reference& ref) {
    for (Source& s : world_.sources)
      if (s.ref.kind == ref.kind && s.ref.ns == ref.ns && s.ref.name == ref.name) return &s;
    return nullptr;
  }

  std::string url_key(const Source& s) const { return load::normalize_git_url(s.url) + "#" + s.branch; }

  const SourceMapping* mapping_for(const ObjectRef& ref) const {
    for (const SourceMapping& m : options_.sources)
      if (!m.assumed && m.kind == ref.kind && m.name == ref.name && m.ns == ref.ns) return &m;
    return nullptr;
  }

  // Which directory backs the source of Kustomization i: the scenario's mapping, the root's source,
  // a GitRepository naming this repository and branch, or one whose Kustomization applies itself.
  std::optional<std::string> source_directory(std::size_t i) {
    const Kustomization& k = world_.kustomizations[i];
    Source* s = find_source(k.source_ref);
    if (!s) return std::nullopt;
    if (s->directory) return s->directory;
    if (const SourceMapping* m = mapping_for(s->ref)) {
      auto p = load::normalize_path(m->path);
      if (p) s->directory = p->empty() ? std::string(".") : *p;
      return s->directory;
    }
    if (s->ref.kind == "GitRepository" && !s->url.empty() && this_repo_.count(url_key(*s))) {
      s->directory = ".";
      return s->directory;
    }
    return std::nullopt;
  }

  // A GitRepository no rule maps: if the Kustomization's own path, built from this checkout,
  // contains that very Kustomization, the source is this repository (a self-referencing root).
  bool probe_self_reference(std::size_t i, const std::string& dir) {
    const Kustomization& k = world_.kustomizations[i];
    if (k.source_ref.kind != "GitRepository") return false;
    if (files_.type(dir) != FileSource::Type::Directory) return false;
    ++builds_;
    auto result = kustomizer_.build(dir, &states_[i].spec.overlay);
    if (result.error) return false;
    for (const KObject& o : result.objects) {
      if (!load::is_flux_kustomization(o)) continue;
      if (o.name() == k.ref.name && load::effective_namespace(o) == k.ref.ns) return true;
    }
    return false;
  }

  std::string build_dir(const std::string& source_dir, const std::string& spec_path, std::size_t i) {
    std::string base = source_dir == "." ? std::string{} : source_dir;
    if (!load::normalize_path(spec_path)) {
      warnings()
          .warning(world_.kustomizations[i].origin,
                   "spec.path '" + spec_path + "' climbs above the source root; Flux confines it to the root")
          .object = object_name(world_.kustomizations[i].ref);
    }
    return load::join_path(base, load::clamp_path(spec_path));
  }

  // Returns false when the Kustomization must wait for objects other builds may still produce.
  bool process(std::size_t i, bool may_defer) {
    State& st = states_[i];
    Kustomization& k = world_.kustomizations[i];
    std::string name = object_name(k.ref);

    Source* src = find_source(k.source_ref);
    if (!src && !may_defer) src = source_from_scenario(k.source_ref);
    if (!src) {
      if (may_defer) return false;
      warnings()
          .warning(k.source_ref.where.known() ? k.source_ref.where : k.origin,
                   "source " + k.source_ref.kind + "/" + k.source_ref.ns + "/" + k.source_ref.name +
                       " is not defined in the repository: this Kustomization never gets an artifact (Flux: ArtifactFailed)")
          .object = name;
      st.done = true;
      return true;
    }
    auto dir = source_directory(i);
    if (!dir && src->ref.kind == "GitRepository") {
      std::string candidate = build_dir(".", k.path, i);
      if (probe_self_reference(i, candidate)) {
        src->directory = ".";
        if (!src->url.empty()) this_repo_.insert(url_key(*src));
        warnings()
            .note(src->origin, "source " + to_string(src->ref) + " taken as this repository: Kustomization " + name +
                                   " applies a path of this checkout that contains itself")
            .object = to_string(src->ref);
        dir = ".";
      }
    }
    if (!dir) {
      if (may_defer) return false;
      st.waiting_for_source = true;
      if (options_.strict_offline && unmapped_warned_.insert(src->ref).second) {
        std::string what = src->url.empty() ? std::string{} : " (" + src->url + (src->branch.empty() ? "" : ", " + src->branch) + ")";
        warnings()
            .warning(src->origin, "source " + to_string(src->ref) + what +
                                      " is not mapped to a directory of this checkout: fluxsim cannot read it offline, so Kustomizations built from it fail with ArtifactFailed",
                     "map it with the scenario's spec.sources")
            .object = to_string(src->ref);
      }
      return true;
    }
    std::string path = build_dir(*dir, k.path, i);
    if (files_.type(path) != FileSource::Type::Directory) {
      k.build_failure = BuildFailure{"ArtifactFailed", "kustomization path not found: " + k.path, k.origin};
      warnings().warning(k.origin, "kustomization path not found: '" + k.path + "' in source " + to_string(src->ref) +
                                       " (directory " + load::display_path(path) + ")").object = name;
      st.done = true;
      return true;
    }

    ++builds_;
    load::FluxOverlay overlay = st.spec.overlay;
    if (i == 0) overlay.extra_objects = manifests_;
    auto result = kustomizer_.build(path, &overlay);
    // Build warnings are reported once the outcome is final (not for a build that is deferred or
    // redone with the root's adopted spec).
    auto report_build_warnings = [&] {
      for (Diagnostic& d : result.warnings) {
        d.object = name;
        warnings().add(d);
      }
    };
    if (result.error) {
      report_build_warnings();
      fail_build(i, "kustomize build failed: " + result.error->message, result.error->where);
      st.done = true;
      return true;
    }

    // The root takes the spec of the Kustomization with its own identity (gotk-sync.yaml).
    if (i == 0 && !root_adopted_) {
      for (const KObject& o : result.objects) {
        if (!load::is_flux_kustomization(o) || o.name() != k.ref.name || load::effective_namespace(o) != k.ref.ns) continue;
        root_adopted_ = true;
        adopt_root(o);
        if (states_[0].spec.has_post_build || needs_rebuild(states_[0].spec.overlay)) return process(0, false);
        break;
      }
    }

    if (st.spec.has_post_build && !substitute(i, result.objects, may_defer)) return false;
    report_build_warnings();
    if (k.build_failure) {
      st.done = true;
      return true;
    }
    std::vector<std::pair<std::string, SourceLocation>> remote = remote_bases(result.warnings);
    for (KObject& o : result.objects) {
      for (const Field& f : st.spec.common_labels)
        o.node.child_map("metadata").child_map("labels").set(f.key, Node::scalar(f.value.value));
      for (const Field& f : st.spec.common_annotations)
        o.node.child_map("metadata").child_map("annotations").set(f.key, Node::scalar(f.value.value));
    }
    record(i, result.objects);  // may grow states_ and world_.kustomizations: `st` and `k` are stale now
    states_[i].done = true;
    if (!remote.empty() && !options_.strict_offline) {
      Kustomization& built = world_.kustomizations[i];
      for (const auto& [url, where] : remote)
        assume(Assumption{Assumption::Kind::RemoteBase, url, "built by Kustomization " + object_name(built.ref), where});
      built.objects.push_back(unknown_objects(built, remote.front().second));
    }
    return true;
  }

  // The remote bases and components a build left out, from the kustomizer's warnings about them.
  static std::vector<std::pair<std::string, SourceLocation>> remote_bases(const std::vector<Diagnostic>& build_warnings) {
    std::vector<std::pair<std::string, SourceLocation>> out;
    for (const Diagnostic& d : build_warnings) {
      for (std::string_view prefix : {"remote resource '", "remote component '"}) {
        if (!d.message.starts_with(prefix)) continue;
        std::size_t end = d.message.find('\'', prefix.size());
        if (end != std::string::npos) out.emplace_back(d.message.substr(prefix.size(), end - prefix.size()), d.where);
      }
    }
    return out;
  }

  // The placeholder for objects fluxsim cannot read offline (model.h kUnknownObjectsKind).
  static Resource unknown_objects(const Kustomization& k, const SourceLocation& where) {
    Resource r;
    r.ref = ObjectRef{std::string(kUnknownObjectsGroup), std::string(kUnknownObjectsKind), "", k.ref.ns + "." + k.ref.name};
    r.api_version = std::string(kUnknownObjectsGroup) + "/v1";
    r.origin = where;
    return r;
  }

  // What fluxsim assumes is a note (listed once in the report); under --strict-offline, a warning as before.
  Diagnostic& assumed_or_warning(const SourceLocation& where, std::string message) {
    return options_.strict_offline ? warnings().warning(where, std::move(message)) : warnings().note(where, std::move(message));
  }

  // Kinds whose CRD the repository does not hold, served by a HelmRelease whose chart (or name)
  // matches their API group ("cert-manager" -> cert-manager.io): modelled as a provides rule when the
  // repository is written for it, that is when every Kustomization applying those kinds comes after the
  // one applying the HelmRelease (dependsOn, or a parent that does). Otherwise the repository relies on
  // them being installed already (a bootstrap script, say: home-lab repositories install CRDs before
  // Flux), and they stay assumed installed.
  void infer_providers() {
    std::set<std::string> crd_kinds;
    for (const Kustomization& k : world_.kustomizations)
      for (const Resource& r : k.objects)
        if (!r.defines_kind.empty()) crd_kinds.insert(r.defines_kind);
    // group -> Kustomizations applying objects of that group whose kind has no CRD here
    std::map<std::string, std::set<ObjectRef>> groups;
    std::map<std::string, std::set<std::string>> kinds_of;
    for (const Kustomization& k : world_.kustomizations)
      for (const Resource& r : k.objects) {
        const std::string& g = r.ref.group;
        if (r.skipped || r.preinstalled || !custom_group(g) || crd_kinds.count(g + "/" + r.ref.kind)) continue;
        groups[g].insert(k.ref);
        kinds_of[g].insert(r.ref.kind);
      }
    for (const auto& [group, appliers] : groups) {
      for (const HelmRelease& hr : world_.helm_releases) {
        if (!plausible_installer(hr.chart, group) && !plausible_installer(hr.ref.name, group)) continue;
        if (!hr.parent) continue;
        bool ordered = true;
        for (const ObjectRef& a : appliers) ordered = ordered && a != *hr.parent && comes_after(a, *hr.parent);
        if (!ordered) continue;
        InferredProvider* p = nullptr;
        for (InferredProvider& x : world_.inferred_providers)
          if (x.by == hr.ref) p = &x;
        if (!p) {
          world_.inferred_providers.push_back(InferredProvider{hr.ref, {}, hr.origin});
          p = &world_.inferred_providers.back();
        }
        p->kinds.push_back(group + "/*");
        std::string kinds;
        for (const std::string& kind : kinds_of[group]) kinds += (kinds.empty() ? "" : ", ") + kind;
        assume(Assumption{Assumption::Kind::InferredProvider, to_string(hr.ref) + " serves " + group + "/*",
                          "chart " + (hr.chart.empty() ? hr.ref.name : hr.chart) + " matches the API group of " + kinds, hr.origin});
        break;
      }
    }
  }

  // Whether `later` is ordered after `earlier`: reached through dependsOn and parent links.
  bool comes_after(const ObjectRef& later, const ObjectRef& earlier) const {
    std::set<ObjectRef> seen;
    std::vector<ObjectRef> todo{later};
    while (!todo.empty()) {
      ObjectRef at = todo.back();
      todo.pop_back();
      auto it = index_.find(at);
      if (it == index_.end()) continue;
      const Kustomization& k = world_.kustomizations[it->second];
      std::vector<ObjectRef> next;
      for (const Reference& d : k.depends_on) next.push_back(ObjectRef{std::string(kKustomizeGroup), "Kustomization", d.ns, d.name});
      if (k.parent) next.push_back(*k.parent);
      for (ObjectRef& n : next) {
        if (n == earlier) return true;
        if (seen.insert(n).second) todo.push_back(std::move(n));
      }
    }
    return false;
  }

  // API groups neither Kubernetes nor Flux serve, nor fluxsim's placeholder.
  static bool custom_group(std::string_view g) {
    if (g.empty() || g.find('.') == std::string_view::npos) return false;  // core, apps, batch, policy, ...
    return !g.ends_with(".k8s.io") && !g.ends_with(".toolkit.fluxcd.io") && g != kUnknownObjectsGroup;
  }

  // "cert-manager" for cert-manager.io, "kyverno" for kyverno.io, "volsync" for volsync.backube,
  // "external-secrets" for external-secrets.io; also NAME-operator / -controller / -crds.
  static bool plausible_installer(const std::string& chart_path, const std::string& group) {
    std::string chart = load::base_name(chart_path);
    if (chart.empty()) return false;
    std::transform(chart.begin(), chart.end(), chart.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string label = group.substr(0, group.find('.'));
    auto squash = [](std::string t) {
      t.erase(std::remove(t.begin(), t.end(), '-'), t.end());
      return t;
    };
    if (chart == group || squash(chart) == squash(label)) return true;
    for (const char* suffix : {"-operator", "-controller", "-crds"})
      if (chart == label + suffix) return true;
    return false;
  }

  void assume(Assumption a) {
    for (const Assumption& x : world_.assumptions)
      if (x.kind == a.kind && x.subject == a.subject) return;
    world_.assumptions.push_back(std::move(a));
  }

  // Sources no rule maps to this checkout are assumed reachable: their artifact arrives after a fetch
  // time and each Kustomization still waiting for one applies a placeholder for its unknown objects.
  void assume_remote_sources() {
    for (std::size_t i = 0; i < states_.size(); ++i) {
      if (!states_[i].waiting_for_source) continue;
      Kustomization& k = world_.kustomizations[i];
      Source* src = find_source(k.source_ref);
      if (!src || src->directory) continue;
      src->assumed_remote = true;
      src->directory = "";
      std::string what = src->url.empty() ? std::string{} : " (" + src->url + (src->branch.empty() ? "" : ", " + src->branch) + ")";
      assume(Assumption{Assumption::Kind::RemoteSource, to_string(src->ref), "used by Kustomization " + object_name(k.ref) + what,
                        src->origin});
      warnings()
          .note(src->origin, "source " + to_string(src->ref) + what +
                                 " is not in this checkout: assumed reachable, its artifact arriving after timing.fetch." + src->ref.kind +
                                 ", and Kustomization " + object_name(k.ref) + " applies objects fluxsim cannot see",
                "map it with the scenario's spec.sources for exact results (or --strict-offline to fail it)")
          .object = object_name(k.ref);
      k.objects.push_back(unknown_objects(k, k.origin));
      states_[i].waiting_for_source = false;
      states_[i].done = true;
    }
    // Sources nothing here builds from (chart repositories, charts' OCI artifacts): reachable too.
    for (Source& src : world_.sources) {
      if (src.directory || src.ref.kind == "ExternalArtifact" || src.oci_helm_repository) continue;
      src.assumed_remote = true;
      src.directory = "";
      assume(Assumption{Assumption::Kind::RemoteSource, to_string(src.ref), src.url, src.origin});
    }
  }

  static bool needs_rebuild(const load::FluxOverlay& o) {
    return o.target_namespace || o.name_prefix || o.name_suffix || !o.patches.empty() || !o.patches_strategic_merge.empty() ||
           !o.patches_json6902.empty() || !o.components.empty();
  }

  void adopt_root(const KObject& o) {
    FluxKustomizationSpec spec = load::read_flux_kustomization(o, warnings());
    Kustomization& root = world_.kustomizations[0];
    std::string entry_path = root.path;
    auto declared = load::normalize_path(spec.model.path);
    if (!declared || *declared != world_.entry) {
      warnings()
          .warning(o.origin, "the root Kustomization " + object_name(root.ref) + " applies '" + spec.model.path +
                                 "', but the entry is '" + load::display_path(world_.entry) + "': fluxsim applies the entry")
          .object = object_name(root.ref);
    }
    Kustomization adopted = spec.model;
    adopted.parent.reset();
    adopted.path = entry_path;
    root = std::move(adopted);
    spec.model.path = entry_path;
    states_[0].spec = std::move(spec);
  }

  void fail_build(std::size_t i, const std::string& message, const SourceLocation& where) {
    Kustomization& k = world_.kustomizations[i];
    k.build_failure = BuildFailure{"BuildFailed", message, where};
    k.objects.clear();
    warnings().warning(where, message).object = object_name(k.ref);
  }

  // postBuild: variables from substituteFrom (in order) then substitute; strict for every variable
  // unless a source is unreadable offline (then unknown variables stay as written).
  bool substitute(std::size_t i, std::vector<KObject>& objects, bool may_defer) {
    State& st = states_[i];
    Kustomization& k = world_.kustomizations[i];
    std::map<std::string, std::string> vars;
    std::vector<std::string> unknown_sources;
    for (const SubstituteFrom& ref : k.substitute_from) {
      auto key = std::make_tuple(ref.kind, k.ref.ns, ref.name);
      const ConfigData* data = nullptr;
      auto it = configs_.find(key);
      ConfigData own;
      if (it != configs_.end()) {
        data = &it->second;
      } else {
        // Objects this very build applies (a bootstrap that creates its own settings).
        for (const KObject& o : objects) {
          if (o.kind() == ref.kind && o.name() == ref.name && load::effective_namespace(o) == k.ref.ns) {
            own = config_data(o);
            data = &own;
            break;
          }
        }
      }
      if (!data) {
        if (ref.optional) continue;
        if (may_defer) return false;
        unknown_sources.push_back(ref.kind + "/" + ref.name + " (not found in the repository)");
        continue;
      }
      if (data->unreadable) {
        unknown_sources.push_back(ref.kind + "/" + ref.name + " (SOPS-encrypted, unreadable offline)");
        continue;
      }
      for (const auto& [key2, value] : data->vars) {
        std::string v = value;
        v.erase(std::remove(v.begin(), v.end(), '\n'), v.end());
        vars[key2] = v;
      }
    }
    for (const auto& [key, value] : st.spec.substitute) {
      std::string v = value;
      v.erase(std::remove(v.begin(), v.end(), '\n'), v.end());
      vars[key] = v;
    }
    for (const auto& [key, value] : vars) {
      (void)value;
      if (!load::valid_var_name(key)) {
        fail_build(i, "post build failed: '" + key + "' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'",
                   k.origin);
        return true;
      }
    }
    if (vars.empty() && unknown_sources.empty()) return true;
    bool lenient = !unknown_sources.empty();
    std::set<std::string> unresolved;
    load::VarLookup lookup = [&](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it != vars.end()) return it->second;
      return std::nullopt;
    };
    std::size_t budget = load::kMaxBuildBytes;  // what substitution may add to this build's objects
    for (KObject& o : objects) {
      if (meta_says(o, kSubstituteKey, "disabled")) continue;
      auto outcome = load::substitute_tree(o.node, lookup, /*strict=*/true, lenient ? &unresolved : nullptr, &budget);
      std::string obj = o.kind() + "/" + load::effective_namespace(o) + "/" + o.name();
      if (outcome.missing) {
        fail_build(i, "post build failed for '" + obj + "': envsubst error: variable substitution failed: variable not set (strict mode): \"" +
                          *outcome.missing + "\"",
                   o.origin);
        return true;
      }
      if (outcome.error) {
        fail_build(i, "post build failed for '" + obj + "': envsubst error: variable substitution failed: " + *outcome.error, o.origin);
        return true;
      }
    }
    if (lenient) {
      for (const std::string& src : unknown_sources)
        assume(Assumption{Assumption::Kind::UnreadableValues, src.substr(0, src.find(' ')) + " in namespace " + k.ref.ns,
                          "postBuild.substituteFrom of Kustomization " + object_name(k.ref), k.origin});
      for (const std::string& src : unknown_sources)
        if (unknown_warned_.insert(k.ref.ns + "/" + src).second)
          assumed_or_warning(k.origin, "postBuild.substituteFrom " + src + " in namespace " + k.ref.ns +
                                     ": assumed to exist in the cluster, its values are unknown offline")
              .object = object_name(k.ref);
      if (!unresolved.empty()) {
        std::string names;
        for (const std::string& n : unresolved) names += (names.empty() ? "" : ", ") + n;
        assumed_or_warning(k.origin, "variables left as written (" + names + "): their values are unknown offline")
            .object = object_name(k.ref);
      }
    }
    return true;
  }

  void record(std::size_t i, std::vector<KObject>& objects) {
    const ObjectRef parent = world_.kustomizations[i].ref;
    std::vector<Resource> resources;
    resources.reserve(objects.size());
    for (KObject& o : objects) {
      Resource r;
      r.api_version = o.api_version();
      r.ref = ObjectRef{o.group(), o.kind(), o.ns(), o.name()};
      r.origin = o.origin;
      if (r.ref.kind == "CustomResourceDefinition" && r.ref.group == "apiextensions.k8s.io") {
        std::string g = o.node.text({"spec", "group"});
        std::string kind = o.node.text({"spec", "names", "kind"});
        if (!kind.empty()) r.defines_kind = g + "/" + kind;
      }
      r.skipped = meta_says(o, "kustomize.toolkit.fluxcd.io/reconcile", "disabled") ||
                  meta_says(o, "kustomize.toolkit.fluxcd.io/ssa", "Ignore") ||
                  meta_says(o, "kustomize.toolkit.fluxcd.io/ssa", "ignore");
      std::string base = load::base_name(o.origin.file);
      // What `flux bootstrap` applies exists from the start, except Flux Kustomizations and HelmReleases
      // other than the root: the root's apply creates those so that they are reconciled like any other.
      r.preinstalled = (base == "gotk-components.yaml" || base == "gotk-sync.yaml") &&
                       !((load::is_flux_kustomization(o) || load::is_helm_release(o)) && !(r.ref == world_.kustomizations[0].ref));
      r.load_balancer = r.ref.kind == "Service" && r.ref.group.empty() && o.node.text({"spec", "type"}) == "LoadBalancer";

      if (r.ref.kind == "ConfigMap" || r.ref.kind == "Secret") {
        auto key = std::make_tuple(r.ref.kind, load::effective_namespace(o), r.ref.name);
        configs_.emplace(key, config_data(o));
      }
      if (!r.skipped) discover(o, parent, r.preinstalled);
      resources.push_back(std::move(r));
    }
    world_.kustomizations[i].objects = std::move(resources);
  }

  void discover(const KObject& o, const ObjectRef& parent, bool preinstalled) {
    if (load::is_flux_kustomization(o)) {
      FluxKustomizationSpec spec = load::read_flux_kustomization(o, warnings());
      if (o.ns().empty())
        warnings().warning(o.origin, "Kustomization " + o.name() + " has no namespace; taken as 'default'").object =
            object_name(spec.model.ref);
      auto it = index_.find(spec.model.ref);
      if (it != index_.end()) {
        const State& first = states_[it->second];
        if (it->second != 0 && !(first.spec.spec == spec.spec))
          warnings()
              .warning(o.origin, object_name(spec.model.ref) + " is also defined here with a different spec; the first definition (" +
                                     to_string(first.spec.model.origin) + ") wins")
              .object = object_name(spec.model.ref);
        return;
      }
      add_kustomization(std::move(spec), parent);
      return;
    }
    if (load::is_helm_release(o)) {
      HelmRelease h = load::read_helm_release(o, warnings());
      for (const HelmRelease& x : world_.helm_releases)
        if (x.ref == h.ref) return;
      h.parent = parent;
      world_.helm_releases.push_back(std::move(h));
      note_flux_instance_values(o);
      return;
    }
    if (load::is_flux_source(o)) {
      Source s = load::read_source(o, warnings());
      if (Source* existing = find_source(Reference{s.ref.kind, s.ref.ns, s.ref.name, {}, false})) {
        // The root's implicit source, declared by gotk-sync.yaml: learn its URL.
        if (existing->url.empty() && existing->directory && *existing->directory == "." && existing->origin.file.empty()) {
          existing->url = s.url;
          existing->branch = s.branch;
          existing->origin = s.origin;
          existing->api_version = s.api_version;
          existing->interval = s.interval;
          if (!s.url.empty()) this_repo_.insert(url_key(*existing));
        }
        return;
      }
      s.exists_at_start = preinstalled;
      world_.sources.push_back(std::move(s));
      return;
    }
    if (o.kind() == "FluxInstance") {
      if (const Node* sync = o.node.at({"spec", "sync"})) note_sync(*sync);
    }
  }

  // flux-operator: the sync of a FluxInstance (or of the flux-instance chart's values) names this
  // repository's URL and branch.
  void note_sync(const Node& sync) {
    std::string kind = sync.text({"kind"});
    if (!kind.empty() && kind != "GitRepository") return;
    std::string url = sync.text({"url"});
    if (url.empty()) return;
    Node ref = Node::map();
    std::string r = sync.text({"ref"});
    ref.set("name", Node::scalar(r));
    this_repo_.insert(load::normalize_git_url(url) + "#" + load::git_branch(ref));
  }

  void note_flux_instance_values(const KObject& o) {
    if (const Node* sync = o.node.at({"spec", "values", "instance", "sync"})) note_sync(*sync);
  }

  // A source the repository never declares but the scenario maps: it exists from the start.
  Source* source_from_scenario(const Reference& ref) {
    ObjectRef r{std::string(kSourceGroup), ref.kind, ref.ns, ref.name};
    const SourceMapping* m = mapping_for(r);
    if (!m) return nullptr;
    Source s;
    s.ref = r;
    s.origin = m->where;
    auto p = load::normalize_path(m->path);
    if (p) s.directory = p->empty() ? std::string(".") : *p;
    s.exists_at_start = true;
    world_.sources.push_back(std::move(s));
    return &world_.sources.back();
  }

  void finish_sources() {
    for (Source& s : world_.sources) {
      if (s.directory) continue;
      if (const SourceMapping* m = mapping_for(s.ref)) {
        auto p = load::normalize_path(m->path);
        if (p) s.directory = p->empty() ? std::string(".") : *p;
      } else if (s.ref.kind == "GitRepository" && !s.url.empty() && this_repo_.count(url_key(s))) {
        s.directory = ".";
      }
    }
    for (const SourceMapping& m : options_.sources) {
      if (m.assumed) continue;
      ObjectRef ref{std::string(kSourceGroup), m.kind, m.ns, m.name};
      if (find_source(Reference{ref.kind, ref.ns, ref.name, {}, false})) continue;
      Source s;
      s.ref = ref;
      s.origin = m.where;
      auto p = load::normalize_path(m.path);
      if (p) s.directory = p->empty() ? std::string(".") : *p;
      s.exists_at_start = true;
      world_.sources.push_back(std::move(s));
    }
  }

  load::RepoFiles files_;
  load::Kustomizer kustomizer_;
  const LoadOptions& options_;
  WorldLoad& out_;
  World& world_;
  std::vector<State> states_;
  std::map<ObjectRef, std::size_t> index_;
  std::deque<std::size_t> queue_;
  std::vector<KObject> manifests_;
  std::map<std::tuple<std::string, std::string, std::string>, ConfigData> configs_;
  std::set<std::string> this_repo_;
  std::set<ObjectRef> unmapped_warned_;
  std::set<std::string> unknown_warned_;
  bool root_adopted_ = false;
  std::string root_source_kind_ = "GitRepository";
  std::size_t builds_ = 0;
  std::unordered_map<std::string, std::vector<ControllerFlag>> flags_by_file_;
};

}  // namespace

WorldLoad load_world(const FileSource& files, const std::string& repo_dir, const LoadOptions& options) {
  WorldLoad out;
  WorldLoader loader(files, repo_dir, options, out);
  loader.run();
  return out;
}

namespace {

// Locations inside the repository are relative to its root; prefixed with the repository path as the
// user gave it, they open from the directory fluxsim was run in. Locations in the scenario file (inline
// manifests) are already relative to that directory and keep their path.
// A location naming the repository itself (errors about the whole repository) keeps its name.
void relocate(SourceLocation& where, const std::string& prefix, const std::string& scenario_file, const std::string& repo) {
  if (where.file.empty() || where.file == scenario_file || where.file == repo || where.file.front() == '/' || where.file.front() == '(') return;
  where.file = prefix + where.file;
}

void relocate_world(WorldLoad& load, const std::string& prefix, const std::string& scenario_file, const std::string& repo) {
  auto fix = [&](SourceLocation& w) { relocate(w, prefix, scenario_file, repo); };
  World& world = load.world;
  for (Kustomization& k : world.kustomizations) {
    fix(k.origin);
    fix(k.source_ref.where);
    for (Reference& d : k.depends_on) fix(d.where);
    for (Resource& r : k.objects) fix(r.origin);
    for (SubstituteFrom& f : k.substitute_from) fix(f.where);
    if (k.build_failure) fix(k.build_failure->where);
  }
  for (HelmRelease& h : world.helm_releases) {
    fix(h.origin);
    for (Reference& d : h.depends_on) fix(d.where);
  }
  for (Source& src : world.sources) fix(src.origin);
  for (ControllerFlag& f : world.controller_flags) fix(f.where);
  for (Assumption& a : world.assumptions) fix(a.where);
  for (InferredProvider& p : world.inferred_providers) fix(p.where);
  auto fix_all = [&](const Diagnostics& in) {
    Diagnostics out;
    for (Diagnostic d : in) {
      fix(d.where);
      out.add(std::move(d));
    }
    return out;
  };
  world.diagnostics = fix_all(world.diagnostics);
  load.diagnostics = fix_all(load.diagnostics);
}

}  // namespace

WorldLoad load_world(const Scenario& scenario) {
  LoadOptions o;
  o.entry = scenario.entry;
  o.root = scenario.root;
  o.manifests = scenario.manifests;
  o.manifests_at = scenario.manifests_at;
  o.sources = scenario.sources;
  o.strict_offline = scenario.strict_offline;
  std::string repo = scenario.repo.empty() ? std::string(".") : scenario.repo;
  auto files = make_disk_file_source(repo);
  WorldLoad load = load_world(*files, repo, o);
  std::string prefix = std::filesystem::path(repo).lexically_normal().generic_string();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() && prefix != ".") relocate_world(load, prefix + "/", scenario.manifests_at.file, repo);
  return load;
}

void apply_world_assumptions(Scenario& scenario, const World& world) {
  if (scenario.strict_offline) return;
  for (const Source& src : world.sources) {
    if (!src.assumed_remote) continue;
    bool mapped = false;
    for (const SourceMapping& m : scenario.sources)
      mapped = mapped || (m.kind == src.ref.kind && m.name == src.ref.name && m.ns == src.ref.ns);
    if (mapped) continue;
    SourceMapping m;
    m.kind = src.ref.kind;
    m.name = src.ref.name;
    m.ns = src.ref.ns;
    m.path.clear();
    m.fetch = remote_fetch_time(scenario.timing, src.ref.kind);
    m.fetch_given = true;  // compile.cc's fetch_of: an explicit fetch wins over timing.fetch
    m.where = src.origin;
    m.assumed = true;
    scenario.sources.push_back(std::move(m));
  }
  for (const InferredProvider& p : world.inferred_providers) {
    ProvidesRule rule;
    for (const std::string& pattern : p.kinds) {
      // A scenario rule for the same group decides instead.
      std::string group = pattern.substr(0, pattern.find('/'));
      bool given = false;
      for (const ProvidesRule& r : scenario.provides)
        for (const std::string& k : r.kinds) {
          std::size_t slash = k.find('/');
          given = given || (slash != std::string::npos && glob_match(k.substr(0, slash), group));
        }
      if (!given) rule.kinds.push_back(pattern);
    }
    if (rule.kinds.empty()) continue;
    rule.by.group = p.by.group;
    rule.by.kind = p.by.kind;
    rule.by.ns = p.by.ns;
    rule.by.name = p.by.name;
    rule.by.where = p.where;
    rule.where = p.where;
    scenario.provides.push_back(std::move(rule));
  }
}

}  // namespace fluxsim
