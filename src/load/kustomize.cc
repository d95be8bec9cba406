// SPDX-License-Identifier: Apache-2.0
// kustomize build, following kustomize v5's KustTarget: for one kustomization directory,
//   resources (files and nested kustomization directories) -> generators -> components
//   -> transformers in the built-in order: patchesStrategicMerge, patches, namespace, namePrefix,
//      nameSuffix, labels/commonLabels, commonAnnotations, patchesJson6902, replicas, images,
//      replacements
// and, once at the top, the content-hash suffix of generated ConfigMaps/Secrets and the removal of
// local-config objects. Flux's own fields (targetNamespace, spec.patches, ...) are written into the
// top kustomization first, as kustomize-controller does; a directory without a kustomization file gets
// the generated one Flux makes.
#include "load/kustomize.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

namespace fluxsim::load {

std::size_t apply_replacements(std::vector<KObject>& objects, const std::vector<Node>& replacements, std::size_t max_growth);

namespace {

constexpr std::array<std::string_view, 3> kKustomizationFiles = {"kustomization.yaml", "kustomization.yml",
                                                                  "Kustomization"};

/// A build failure, thrown inside the build and turned into BuildResult::error at the top.
struct KFail : std::runtime_error {
  KFail(const std::string& what, SourceLocation at) : std::runtime_error(what), where(std::move(at)) {}
  SourceLocation where;
};

[[noreturn]] void fail(const std::string& message, SourceLocation where = {}) { throw KFail(message, std::move(where)); }

bool is_remote(std::string_view s) {
  auto starts = [&](std::string_view p) { return s.substr(0, p.size()) == p; };
  return s.find("://") != std::string_view::npos || starts("github.com/") || starts("gitlab.com/") ||
         starts("bitbucket.org/") || starts("git@") || starts("git::") || starts("gh:") ||
         s.find("?ref=") != std::string_view::npos || s.find(".git//") != std::string_view::npos;
}

// Files source-controller leaves out of every artifact (its default ignore patterns).
bool excluded_from_artifact(const std::string& name) {
  static const std::set<std::string, std::less<>> kNames = {
      ".git", ".github", ".circleci", ".sops.yaml", ".flux.yaml", ".goreleaser.yml", ".travis.yml",
      ".gitlab-ci.yml", "appveyor.yml", ".drone.yml", "cloudbuild.yaml", "codeship-services.yml",
      "codeship-steps.yml", ".gitignore", ".gitmodules", ".gitattributes"};
  return kNames.count(name) > 0;
}

const std::set<std::string, std::less<>>& known_fields() {
  static const std::set<std::string, std::less<>> kFields = {
      "apiVersion", "kind", "metadata", "openapi", "namePrefix", "nameSuffix", "namespace",
      "commonLabels", "labels", "commonAnnotations", "patches", "images", "imageTags", "replacements",
      "replicas", "sortOptions", "patchesStrategicMerge", "patchesJson6902", "vars", "resources",
      "components", "crds", "bases", "configMapGenerator", "secretGenerator", "helmGlobals",
      "helmCharts", "helmChartInflationGenerator", "generatorOptions", "configurations", "generators",
      "transformers", "validators", "buildMetadata"};
  return kFields;
}

// kustomize decodes kustomization.yaml with Go's encoding/json, which matches a key to a field
// case-insensitively when no key matches exactly ("apiversion", "Resources"); a later key for the same
// field replaces an earlier one.
void canonical_field_names(Node& spec) {
  auto lower = [](std::string_view t) {
    std::string out(t);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
  };
  bool renamed = false;
  for (Field& f : spec.fields) {
    if (known_fields().count(f.key)) continue;
    const std::string key = lower(f.key);
    for (const std::string& known : known_fields())
      if (lower(known) == key) {
        f.key = known;
        renamed = true;
        break;
      }
  }
  if (!renamed) return;
  std::vector<Field> kept;
  for (Field& f : spec.fields) {
    auto same = std::find_if(kept.begin(), kept.end(), [&](const Field& k) { return k.key == f.key; });
    if (same != kept.end()) *same = std::move(f);
    else kept.push_back(std::move(f));
  }
  spec.fields = std::move(kept);
}

std::string id_string(const KObject& o) {
  std::string g = o.group();
  std::string v = o.version();
  std::string ns = o.ns();
  return o.kind() + "." + (v.empty() ? "[noVer]" : v) + "." + (g.empty() ? "[noGrp]" : g) + "/" + o.name() + "." +
         (ns.empty() || ns == "default" ? "[noNs]" : ns);
}

std::string ns_key(const std::string& ns) { return ns == "default" ? std::string{} : ns; }

// The scalar at `path`, "" when absent or not a scalar (Node::text without the copy).
std::string_view scalar_at(const Node& n, std::initializer_list<std::string_view> path) {
  const Node* x = n.at(path);
  return x && x->is_scalar() ? std::string_view(x->value) : std::string_view{};
}

// group, version, kind, namespace ("default" as none) and name, built without a temporary string per
// part: every object's key is taken at each level of a build it is appended at.
std::string id_key(const KObject& o, bool original) {
  const std::string_view av = scalar_at(o.node, {"apiVersion"});
  const std::size_t slash = av.find('/');
  const std::string_view group = slash == std::string_view::npos ? std::string_view{} : av.substr(0, slash);
  const std::string_view version = slash == std::string_view::npos ? av : av.substr(slash + 1);
  const std::string_view kind = scalar_at(o.node, {"kind"});
  std::string_view ns = original ? std::string_view(o.org_ns) : scalar_at(o.node, {"metadata", "namespace"});
  if (ns == "default") ns = {};
  const std::string_view name = original ? std::string_view(o.org_name) : scalar_at(o.node, {"metadata", "name"});
  std::string key;
  key.reserve(group.size() + version.size() + kind.size() + ns.size() + name.size() + 4);
  key += group;
  key += '\x1f';
  key += version;
  key += '\x1f';
  key += kind;
  key += '\x1f';
  key += ns;
  key += '\x1f';
  key += name;
  return key;
}

// resWrangler.GetMatchingResourcesByAnyId(id.Equals): same group/version/kind, and name and
// namespace equal to the object's current or original ones.
std::vector<std::size_t> matching_any_id(const std::vector<KObject>& ra, const std::string& api_version,
                                         const std::string& kind, const std::string& name, const std::string& ns) {
  std::vector<std::size_t> out;
  std::string want_ns = ns_key(ns);
  for (std::size_t i = 0; i < ra.size(); ++i) {
    const KObject& o = ra[i];
    if (o.kind() != kind || o.api_version() != api_version) continue;
    bool cur = o.name() == name && ns_key(o.ns()) == want_ns;
    bool org = o.org_name == name && ns_key(o.org_ns) == want_ns;
    if (cur || org) out.push_back(i);
  }
  return out;
}

/// Appends `add` to `ra`, rejecting an id already there. `known`, when given, holds the ids of `ra`
/// already and is kept up to date, so a kustomization listing n resources costs O(n), not O(n²).
void append_all(std::vector<KObject>& ra, std::vector<KObject>&& add, const SourceLocation& where,
                std::unordered_set<std::string>* known = nullptr) {
  std::unordered_set<std::string> local;
  std::unordered_set<std::string>& ids = known ? *known : local;
  if (!known) {
    ids.reserve(ra.size() + add.size());
    for (const KObject& o : ra) ids.insert(id_key(o, false));
  }
  for (KObject& o : add) {
    if (!ids.insert(id_key(o, false)).second)
      fail("may not add resource with an already registered id: " + id_string(o), o.origin.known() ? o.origin : where);
    ra.push_back(std::move(o));
  }
}

std::string strip_quotes(const std::string& v) {
  if (v.size() >= 2 && ((v.front() == '"' && v.back() == '"') || (v.front() == '\'' && v.back() == '\'')))
    return v.substr(1, v.size() - 2);
  return v;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return false;
    for (int k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0xC0) != 0x80) return false;
    i += static_cast<std::size_t>(len);
  }
  return true;
}

std::vector<std::string> string_list(const Node* n, const std::string& field, const SourceLocation& where) {
  std::vector<std::string> out;
  if (!n || n->is_null()) return out;
  if (!n->is_seq()) fail("invalid Kustomization: field \"" + field + "\" must be a list of strings", where);
  for (const Node& i : n->items) {
    if (!i.is_scalar()) fail("invalid Kustomization: field \"" + field + "\" must be a list of strings", where);
    out.push_back(i.value);
  }
  return out;
}

class Build {
 public:
  Build(RepoFiles& files, const KustomizeOptions& options, std::vector<Diagnostic>& warnings)
      : files_(files), options_(options), warnings_(warnings) {}

  std::vector<KObject> run(const std::string& dir, const FluxOverlay* overlay) {
    KFile k;
    if (auto loaded = load_kfile(dir)) {
      k = std::move(*loaded);
    } else if (options_.flux_generate) {
      k = generated_kfile(dir);
    } else {
      fail("unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '" +
               display_path(dir) + "'",
           SourceLocation{display_path(dir), 0, 0});
    }
    if (overlay) apply_overlay(k, *overlay);
    std::vector<KObject> ra;
    stack_.push_back(dir);
    accumulate(k, ra, 0, overlay ? &overlay->extra_objects : nullptr);
    stack_.pop_back();
    for (KObject& o : ra) {
      if (!o.needs_hash) continue;
      std::string hash = kustomize_hash(o.node);
      o.node.child_map("metadata").set("name", Node::scalar(o.name() + "-" + hash));
      o.needs_hash = false;
    }
    ra.erase(std::remove_if(ra.begin(), ra.end(),
                            [](const KObject& o) {
                              return o.node.text({"metadata", "annotations", "config.kubernetes.io/local-config"}) == "true";
                            }),
             ra.end());
    return ra;
  }

 private:
  struct KFile {
    std::string dir;
    std::string file;  ///< the kustomization file; for a generated one, the directory
    Node spec;
    bool generated = false;
    SourceLocation at(const Node* n = nullptr) const {
      return SourceLocation{file.empty() ? display_path(dir) : file, n ? n->line : 0, n ? n->column : 0};
    }
  };

  std::optional<KFile> load_kfile(const std::string& dir) {
    std::optional<std::string> found;
    int count = 0;
    for (std::string_view name : kKustomizationFiles) {
      std::string p = join_path(dir, name);
      if (files_.type(p) == FileSource::Type::File) {
        ++count;
        if (!found) found = p;
      }
    }
    if (!found) return std::nullopt;
    if (count > 1) fail("Found multiple kustomization files under: " + display_path(dir), SourceLocation{*found, 0, 0});
    std::optional<ParsedYaml> parsed = files_.take(*found);
    if (!parsed) fail("cannot read " + *found, SourceLocation{*found, 0, 0});
    if (parsed->error)
      fail("invalid Kustomization: yaml: line " + std::to_string(parsed->error->line) + ": " + parsed->error->message,
           SourceLocation{*found, parsed->error->line, parsed->error->column});
    KFile k;
    k.dir = dir;
    k.file = *found;
    for (Node& d : parsed->documents) {
      if (!d.is_null()) {
        k.spec = std::move(d);
        break;
      }
    }
    if (k.spec.is_null()) k.spec = Node::map();
    if (!k.spec.is_map()) fail("invalid Kustomization: not a map", k.at(&k.spec));
    canonical_field_names(k.spec);
    bool empty = true;
    for (const Field& f : k.spec.fields) {
      if (!known_fields().count(f.key))
        fail("invalid Kustomization: json: unknown field \"" + f.key + "\"", k.at(&f.value));
      if (f.key != "apiVersion" && f.key != "kind" && f.key != "metadata" && !f.value.is_null()) empty = false;
    }
    if (empty) fail("kustomization.yaml is empty", k.at());
    return k;
  }

  // kustomize-controller's generated kustomization: every .yaml/.yml below `dir` in lexical walk order,
  // a sub-directory with its own kustomization file taken as one resource and not descended into.
  KFile generated_kfile(const std::string& dir) {
    KFile k;
    k.dir = dir;
    k.generated = true;
    k.spec = Node::map();
    Node resources = Node::seq();
    std::vector<std::string> found;
    scan(dir, dir, found, 0);
    for (const std::string& f : found) resources.items.push_back(Node::scalar(f));
    k.spec.set("resources", std::move(resources));
    return k;
  }

  void scan(const std::string& base, const std::string& dir, std::vector<std::string>& out, int depth) {
    if (depth > 64) fail("directory nesting too deep below '" + display_path(base) + "'", SourceLocation{dir, 0, 0});
    for (const std::string& name : files_.list(dir)) {
      if (excluded_from_artifact(name)) continue;
      std::string path = join_path(dir, name);
      std::string rel = path.substr(base.empty() ? 0 : base.size() + 1);
      FileSource::Type t = files_.type(path);
      if (t == FileSource::Type::Directory) {
        if (has_kfile(path)) {
          out.push_back(rel);
        } else {
          scan(base, path, out, depth + 1);
        }
      } else if (t == FileSource::Type::File) {
        if (!(name.ends_with(".yaml") || name.ends_with(".yml"))) continue;
        try {
          check_objects(path, SourceLocation{path, 0, 0});
        } catch (const KFail& e) {
          fail(std::string("failed to decode Kubernetes YAML from ") + path + ": " + e.what(), e.where);
        }
        out.push_back(rel);
      }
    }
  }

  bool has_kfile(const std::string& dir) {
    for (std::string_view name : kKustomizationFiles)
      if (files_.type(join_path(dir, name)) == FileSource::Type::File) return true;
    return false;
  }

  void apply_overlay(KFile& k, const FluxOverlay& o) {
    Node& s = k.spec;
    if (o.target_namespace) s.set("namespace", Node::scalar(*o.target_namespace));
    if (o.name_prefix) s.set("namePrefix", Node::scalar(*o.name_prefix));
    if (o.name_suffix) s.set("nameSuffix", Node::scalar(*o.name_suffix));
    auto append = [&](const char* field, const std::vector<Node>& items) {
      if (items.empty()) return;
      Node* list = s.get(field);
      if (!list || !list->is_seq()) list = &s.set(field, Node::seq());
      for (const Node& i : items) list->items.push_back(i);
    };
    append("patches", o.patches);
    append("patchesStrategicMerge", o.patches_strategic_merge);
    append("patchesJson6902", o.patches_json6902);
    std::vector<Node> comps;
    for (const std::string& c : o.components) {
      if (c.empty() || c[0] == '/' || is_remote(c))
        fail("component path '" + c + "' must be local and relative", k.at());
      if (o.ignore_missing_components) {
        auto p = normalize_path(join_path(k.dir, c));
        if (!p || files_.type(*p) == FileSource::Type::Missing) continue;
      }
      comps.push_back(Node::scalar(c));
    }
    append("components", comps);
  }

  std::string resolve(const KFile& k, const std::string& rel, const Node* at) {
    if (!rel.empty() && rel[0] == '/') fail("absolute path '" + rel + "' is outside the repository", k.at(at));
    auto p = normalize_path(join_path(k.dir, rel));
    if (!p) fail("path '" + rel + "' in '" + display_path(k.dir) + "' is outside the repository root", k.at(at));
    return *p;
  }

  // A file the kustomization reads (patch, generator input, ...): kubectl's root-only restriction.
  void check_restriction(const KFile& k, const std::string& path, const Node* at) {
    if (options_.root_only && !is_under(path, k.dir))
      fail("security; file '" + path + "' is not in or below '" + display_path(k.dir) + "'", k.at(at));
  }

  const std::string& read_text(const KFile& k, const std::string& path, const Node* at) {
    const std::string* text = files_.read(path);
    if (!text) fail("evalsymlink failure on '" + path + "' : lstat " + path + ": no such file or directory", k.at(at));
    return *text;
  }

  std::vector<KObject> read_objects(const std::string& path, const SourceLocation& ref) {
    std::optional<ParsedYaml> parsed = files_.take(path);  // this build's own copy: its documents move into objects
    if (!parsed) fail("accumulating resources from '" + path + "': no such file or directory", ref);
    if (parsed->error)
      fail("accumulating resources from '" + path + "': MalformedYAMLError: yaml: line " +
               std::to_string(parsed->error->line) + ": " + parsed->error->message,
           SourceLocation{path, parsed->error->line, parsed->error->column});
    std::vector<KObject> out;
    out.reserve(parsed->documents.size());
    for (Node& doc : parsed->documents) add_document(doc, path, &out);
    return out;
  }

  // What read_objects checks, without copying: Flux's scan decodes every file it lists.
  void check_objects(const std::string& path, const SourceLocation& ref) {
    const ParsedYaml* parsed = files_.parse(path);
    if (!parsed) fail("accumulating resources from '" + path + "': no such file or directory", ref);
    if (parsed->error)
      fail("accumulating resources from '" + path + "': MalformedYAMLError: yaml: line " +
               std::to_string(parsed->error->line) + ": " + parsed->error->message,
           SourceLocation{path, parsed->error->line, parsed->error->column});
    for (const Node& doc : parsed->documents) add_document(doc, path, nullptr);
  }

  // Checks one document (a List's items one by one) and, given `out`, moves its objects there (only a
  // document the caller owns, a non-const one, can be given with `out`).
  template <class DocNode>
  static void add_document(DocNode& doc, const std::string& path, std::vector<KObject>* out) {
    if (doc.is_null()) return;
    SourceLocation at{path, doc.line, doc.column};
    if (!doc.is_map()) fail("accumulating resources from '" + path + "': missing Resource metadata", at);
    std::string kind = doc.text({"kind"});
    auto* items = doc.get("items");
    if (kind.ends_with("List") && items && (items->is_seq() || items->is_null())) {
      for (auto& i : items->items) add_document(i, path, out);
      return;
    }
    if (kind.empty()) {
      if (!doc.get("metadata") && !doc.get("apiVersion"))
        fail("accumulating resources from '" + path + "': missing Resource metadata", at);
      fail("accumulating resources from '" + path + "': missing kind in object", at);
    }
    std::string name = doc.text({"metadata", "name"});
    if (name.empty()) fail("accumulating resources from '" + path + "': missing metadata.name in object " + kind, at);
    if constexpr (!std::is_const_v<DocNode>) {
      if (!out) return;
      KObject o;
      o.org_ns = doc.text({"metadata", "namespace"});
      o.node = std::move(doc);
      o.origin = std::move(at);
      o.org_name = std::move(name);
      out->push_back(std::move(o));
    }
  }

  // One kustomization (or component) into `ra`. Components share the parent's accumulator.
  void accumulate(const KFile& k, std::vector<KObject>& ra, int depth, const std::vector<KObject>* extra) {
    if (depth > options_.max_depth)
      fail("kustomization nesting deeper than " + std::to_string(options_.max_depth) + " levels", k.at());
    const Node& s = k.spec;
    if (const Node* h = s.get("helmCharts"); h && h->is_seq() && !h->items.empty()) {
      std::string chart = h->items[0].text({"name"});
      warnings_.push_back(Diagnostic{Severity::Warning, k.at(h), {},
                                     "helmCharts chart '" + chart + "' is external: not fetched", {}});
      fail("helmCharts requires kustomize --enable-helm, which kustomize-controller does not use (chart '" + chart + "')",
           k.at(h));
    }
    if (const Node* h = s.get("helmChartInflationGenerator"); h && h->is_seq() && !h->items.empty())
      fail("helmChartInflationGenerator requires kustomize --enable-helm, which kustomize-controller does not use", k.at(h));
    for (const char* f : {"transformers", "generators", "validators"}) {
      if (const Node* n = s.get(f); n && n->is_seq() && !n->items.empty())
        warnings_.push_back(Diagnostic{Severity::Warning, k.at(n), {},
                                       std::string("kustomization field '") + f + "' (plugin configuration) is not evaluated by fluxsim", {}});
    }

    std::vector<std::string> resources = string_list(s.get("resources"), "resources", k.at(s.get("resources")));
    for (const std::string& b : string_list(s.get("bases"), "bases", k.at(s.get("bases")))) resources.push_back(b);
    const Node* res_node = s.get("resources");
    // While resources accumulate, ra only grows through append_all: one id set serves the whole loop.
    std::unordered_set<std::string> ids;
    ids.reserve(ra.size() + resources.size());
    for (const KObject& o : ra) ids.insert(id_key(o, false));
    for (std::size_t i = 0; i < resources.size(); ++i) {
      const Node* at = res_node && i < res_node->items.size() ? &res_node->items[i] : res_node;
      accumulate_resource(k, resources[i], at, ra, depth, ids);
    }
    if (extra) {
      std::vector<KObject> copy = *extra;
      for (const KObject& o : copy) spend(tree_bytes(o.node, budget_), k.at());
      append_all(ra, std::move(copy), k.at());
    }
    run_generators(k, ra);
    const Node* comp_node = s.get("components");
    std::vector<std::string> comps = string_list(comp_node, "components", k.at(comp_node));
    for (std::size_t i = 0; i < comps.size(); ++i) {
      const Node* at = comp_node && i < comp_node->items.size() ? &comp_node->items[i] : comp_node;
      if (is_remote(comps[i])) {
        warnings_.push_back(Diagnostic{Severity::Warning, k.at(at), {}, "remote component '" + comps[i] + "' is external: not fetched", {}});
        continue;
      }
      std::string dir = resolve(k, comps[i], at);
      if (files_.type(dir) != FileSource::Type::Directory)
        fail("accumulating components: component '" + comps[i] + "' is not a directory", k.at(at));
      enter(dir, k, at);
      auto sub = load_kfile(dir);
      if (!sub) fail("accumulating components: no kustomization file in '" + dir + "'", k.at(at));
      if (sub->spec.text({"kind"}) != "Component")
        fail("expected kind 'Component' for path '" + dir + "' but got '" + sub->spec.text({"kind"}) + "'", k.at(at));
      accumulate(*sub, ra, depth + 1, nullptr);
      stack_.pop_back();
    }
    run_transformers(k, ra);
  }

  void enter(const std::string& dir, const KFile& k, const Node* at) {
    if (std::find(stack_.begin(), stack_.end(), dir) != stack_.end())
      fail("cycle detected: '" + display_path(dir) + "' includes itself (via '" + display_path(k.dir) + "')", k.at(at));
    stack_.push_back(dir);
  }

  void accumulate_resource(const KFile& k, const std::string& rel, const Node* at, std::vector<KObject>& ra, int depth,
                           std::unordered_set<std::string>& ids) {
    if (is_remote(rel)) {
      warnings_.push_back(Diagnostic{Severity::Warning, k.at(at), {},
                                     "remote resource '" + rel + "' is external: not fetched, its objects are unknown", {}});
      ++remote_skipped_;
      return;
    }
    std::string path = resolve(k, rel, at);
    FileSource::Type t = files_.type(path);
    if (t == FileSource::Type::File) {
      check_restriction(k, path, at);
      std::vector<KObject> objects = read_objects(path, k.at(at));
      spend(read_bytes(path, objects), k.at(at));
      append_all(ra, std::move(objects), k.at(at), &ids);
      return;
    }
    if (t == FileSource::Type::Directory) {
      enter(path, k, at);
      auto sub = load_kfile(path);
      if (!sub)
        fail("accumulating resources: '" + path + "': unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory",
             k.at(at));
      if (sub->spec.text({"kind"}) == "Component")
        fail("expected kind != 'Component' for path '" + path + "'", k.at(at));
      std::vector<KObject> sub_ra;
      accumulate(*sub, sub_ra, depth + 1, nullptr);
      stack_.pop_back();
      append_all(ra, std::move(sub_ra), k.at(at), &ids);
      return;
    }
    fail("accumulating resources: '" + display_path(path) + "': no such file or directory (from '" +
             (k.generated ? display_path(k.dir) : k.file) + "')",
         k.at(at));
  }

  // --- generators ---

  struct GenOptions {
    bool disable_hash = false;
    bool immutable = false;
    std::vector<Field> labels, annotations;
  };

  static void merge_options(GenOptions& into, const Node* opts) {
    if (!opts || !opts->is_map()) return;
    if (auto b = opts->get("disableNameSuffixHash"); b && b->as_bool().value_or(false)) into.disable_hash = true;
    if (auto b = opts->get("immutable"); b && b->as_bool().value_or(false)) into.immutable = true;
    auto merge = [](std::vector<Field>& dst, const Node* m) {
      if (!m || !m->is_map()) return;
      for (const Field& f : m->fields) {
        auto it = std::find_if(dst.begin(), dst.end(), [&](const Field& x) { return x.key == f.key; });
        if (it != dst.end()) it->value = f.value;
        else dst.push_back(f);
      }
    };
    merge(into.labels, opts->get("labels"));
    merge(into.annotations, opts->get("annotations"));
  }

  void add_pair(const KFile& k, std::map<std::string, std::string>& data, const std::string& key, std::string value,
                const Node* at, const std::string& what) {
    if (key.empty()) fail("configmap/secret generator " + what + ": empty key", k.at(at));
    if (!data.emplace(key, std::move(value)).second)
      fail("configmap/secret generator " + what + ": key '" + key + "' already exists", k.at(at));
  }

  KObject generate(const KFile& k, const Node& g, bool secret) {
    std::string name = g.text({"name"});
    if (name.empty()) fail(std::string(secret ? "secretGenerator" : "configMapGenerator") + " entry has no name", k.at(&g));
    std::map<std::string, std::string> data;
    if (const Node* lits = g.get("literals"); lits && lits->is_seq()) {
      for (const Node& l : lits->items) {
        std::size_t eq = l.value.find('=');
        if (eq == std::string::npos) fail("invalid literal source " + l.value + ", expected key=value", k.at(&l));
        add_pair(k, data, l.value.substr(0, eq), strip_quotes(l.value.substr(eq + 1)), &l, name);
      }
    }
    if (const Node* fs = g.get("files"); fs && fs->is_seq()) {
      for (const Node& f : fs->items) {
        std::string spec = f.value;
        std::string key, rel = spec;
        std::size_t eq = spec.find('=');
        if (eq != std::string::npos) {
          key = spec.substr(0, eq);
          rel = spec.substr(eq + 1);
        } else {
          key = base_name(spec);
        }
        if (is_remote(rel)) {
          warnings_.push_back(Diagnostic{Severity::Warning, k.at(&f), {},
                                         "generator " + name + ": remote file '" + rel +
                                             "' is external: not fetched (the object's content and hash suffix are unknown)",
                                         {}});
          continue;
        }
        std::string path = resolve(k, rel, &f);
        check_restriction(k, path, &f);
        if (files_.type(path) != FileSource::Type::File)
          fail("configmap/secret generator " + name + ": file '" + rel + "' not found (from " + k.file + ")", k.at(&f));
        add_pair(k, data, key, read_text(k, path, &f), &f, name);
      }
    }
    std::vector<const Node*> envs;
    if (const Node* e = g.get("envs"); e && e->is_seq())
      for (const Node& i : e->items) envs.push_back(&i);
    if (const Node* e = g.get("env"); e && e->is_scalar()) envs.push_back(e);
    for (const Node* e : envs) {
      std::string path = resolve(k, e->value, e);
      check_restriction(k, path, e);
      if (files_.type(path) != FileSource::Type::File)
        fail("configmap/secret generator " + name + ": env file '" + e->value + "' not found (from " + k.file + ")", k.at(e));
      const std::string& text = read_text(k, path, e);
      std::size_t start = 0;
      bool first = true;
      while (start <= text.size()) {
        std::size_t nl = text.find('\n', start);
        std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        start = nl == std::string::npos ? text.size() + 1 : nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (first && line.rfind("\xEF\xBB\xBF", 0) == 0) line = line.substr(3);
        first = false;
        std::size_t b = line.find_first_not_of(" \t\v\f");
        if (b == std::string::npos) continue;
        line = line.substr(b);
        if (line[0] == '#') continue;
        std::size_t eq = line.find('=');
        std::string key = line.substr(0, eq);
        std::string value = eq == std::string::npos ? std::string{} : line.substr(eq + 1);  // no process environment
        add_pair(k, data, key, value, e, name);
      }
    }

    GenOptions opts;
    merge_options(opts, g.get("options"));
    merge_options(opts, k.spec.get("generatorOptions"));

    Node obj = Node::map();
    obj.set("apiVersion", Node::scalar("v1"));
    obj.set("kind", Node::scalar(secret ? "Secret" : "ConfigMap"));
    Node& meta = obj.set("metadata", Node::map());
    meta.set("name", Node::scalar(name));
    std::string ns = g.text({"namespace"});
    if (!ns.empty()) meta.set("namespace", Node::scalar(ns));
    if (!opts.labels.empty()) {
      Node& l = meta.set("labels", Node::map());
      for (const Field& f : opts.labels) l.set(f.key, Node::scalar(f.value.value));
    }
    if (!opts.annotations.empty()) {
      Node& a = meta.set("annotations", Node::map());
      for (const Field& f : opts.annotations) a.set(f.key, Node::scalar(f.value.value));
    }
    if (!data.empty()) {
      Node d = Node::map();
      Node bin = Node::map();
      for (auto& [key, value] : data) {
        if (secret) {
          d.set(key, Node::scalar(base64_encode(value)));
        } else if (valid_utf8(value)) {
          d.set(key, Node::scalar(value));
        } else {
          bin.set(key, Node::scalar(base64_encode(value)));
        }
      }
      if (!d.fields.empty()) obj.set("data", std::move(d));
      if (!bin.fields.empty()) obj.set("binaryData", std::move(bin));
    }
    if (secret) {
      std::string type = g.text({"type"});
      obj.set("type", Node::scalar(type.empty() ? "Opaque" : type));
    }
    if (opts.immutable) obj.set("immutable", Node::scalar("true", false));

    KObject o;
    o.node = std::move(obj);
    o.origin = k.at(&g);
    o.org_name = name;
    o.org_ns = ns;
    o.needs_hash = !opts.disable_hash;
    o.behavior = g.text({"behavior"});
    if (o.behavior.empty()) o.behavior = "create";
    return o;
  }

  void absorb(const KFile& k, std::vector<KObject>& ra, KObject gen) {
    auto matches = matching_any_id(ra, gen.api_version(), gen.kind(), gen.name(), gen.ns());
    if (matches.empty()) {
      if (gen.behavior == "merge" || gen.behavior == "replace")
        fail("id " + id_string(gen) + " does not exist; cannot merge or replace", gen.origin);
      std::vector<KObject> one;
      one.push_back(std::move(gen));
      append_all(ra, std::move(one), k.at());
      return;
    }
    if (matches.size() > 1) fail("found multiple objects matching " + id_string(gen), gen.origin);
    KObject& old = ra[matches[0]];
    if (gen.behavior != "merge" && gen.behavior != "replace")
      fail("id " + id_string(gen) + " exists; behavior must be merge or replace", gen.origin);
    for (const char* meta : {"labels", "annotations"}) {
      const Node* o = old.node.at({"metadata", meta});
      if (!o || !o->is_map()) continue;
      Node& dst = gen.node.child_map("metadata").child_map(meta);
      for (const Field& f : o->fields)
        if (!dst.get(f.key)) dst.set(f.key, f.value);
    }
    if (gen.behavior == "merge") {
      for (const char* section : {"data", "binaryData"}) {
        const Node* o = old.node.get(section);
        if (!o || !o->is_map()) continue;
        Node merged = *o;
        if (const Node* n = gen.node.get(section); n && n->is_map())
          for (const Field& f : n->fields) merged.set(f.key, f.value);
        gen.node.set(section, std::move(merged));
      }
    }
    gen.needs_hash = gen.needs_hash || old.needs_hash;
    gen.org_name = old.org_name;
    gen.org_ns = old.org_ns;
    if (!gen.node.at({"metadata", "namespace"}) && !old.ns().empty())
      gen.node.child_map("metadata").set("namespace", Node::scalar(old.ns()));
    gen.behavior = "create";
    old = std::move(gen);
  }

  void run_generators(const KFile& k, std::vector<KObject>& ra) {
    for (const char* field : {"configMapGenerator", "secretGenerator"}) {
      const Node* gens = k.spec.get(field);
      if (!gens || !gens->is_seq()) continue;
      for (const Node& g : gens->items) {
        KObject gen = generate(k, g, std::string(field) == "secretGenerator");
        spend(tree_bytes(gen.node, budget_), k.at(&g));
        absorb(k, ra, std::move(gen));
      }
    }
  }

  // --- transformers ---

  // Patch documents from an inline string or a file; a string that names an existing file is a file.
  ParsedYaml patch_documents(const KFile& k, const std::string& text_or_path, const Node* at, bool maybe_path) {
    if (maybe_path && text_or_path.find('\n') == std::string::npos && !text_or_path.empty()) {
      auto path = normalize_path(join_path(k.dir, text_or_path));
      if (path && files_.type(*path) == FileSource::Type::File) {
        check_restriction(k, *path, at);
        const ParsedYaml* p = files_.parse(*path);
        if (!p) fail("cannot read patch '" + *path + "'", k.at(at));
        if (p->error)
          fail("patch '" + *path + "': yaml: line " + std::to_string(p->error->line) + ": " + p->error->message,
               SourceLocation{*path, p->error->line, p->error->column});
        return *p;
      }
    }
    ParsedYaml p = parse_yaml(text_or_path);
    if (p.error)
      fail("unable to parse SM or JSON patch from " + text_or_path.substr(0, 60) + ": yaml: line " +
               std::to_string(p.error->line) + ": " + p.error->message,
           k.at(at));
    // Lines of an inline patch are relative to the patch string: point at the patch field instead.
    return p;
  }

  void smp_by_id(const KFile& k, std::vector<KObject>& ra, const Node& patch, const Node* at) {
    std::string name = patch.text({"metadata", "name"});
    auto matches = matching_any_id(ra, patch.text({"apiVersion"}), patch.text({"kind"}), name, patch.text({"metadata", "namespace"}));
    if (matches.empty() && remote_skipped_ > 0) {
      warnings_.push_back(Diagnostic{Severity::Warning, k.at(at), {},
                                     "patch target " + patch.text({"kind"}) + "/" + name +
                                         " not found: it may come from a remote resource fluxsim did not fetch",
                                     {}});
      return;
    }
    if (matches.size() != 1)
      fail(std::string(matches.empty() ? "no matches for Id " : "multiple matches for Id ") + patch.text({"kind"}) + "." +
               patch.text({"apiVersion"}) + "/" + name + "; failed to find unique target for patch",
           k.at(at));
    KObject& o = ra[matches[0]];
    spend(tree_bytes(patch, budget_), k.at(at));  // a merge adds at most the patch
    if (!apply_strategic_merge(o.node, patch, is_builtin_api(o.api_version())))
      ra.erase(ra.begin() + static_cast<std::ptrdiff_t>(matches[0]));
  }

  void apply_patch(const KFile& k, std::vector<KObject>& ra, const ParsedYaml& docs, const Node* target, const Node* at) {
    std::vector<const Node*> patches;
    for (const Node& d : docs.documents)
      if (!d.is_null()) patches.push_back(&d);
    if (patches.empty()) return;
    bool json = patches.size() == 1 && patches[0]->is_seq();
    if (json) {
      if (!target || !target->is_map()) fail("must specify a target for JSON patch", k.at(at));
      Selector sel = selector_from(*target);
      for (KObject& o : ra) {
        if (!select(sel, o, k, at)) continue;
        try {
          spend(apply_json6902(o.node, *patches[0]), k.at(at));
        } catch (const std::runtime_error& e) {
          fail(std::string("unable to apply JSON patch to ") + id_string(o) + ": " + e.what(), k.at(at));
        }
      }
      return;
    }
    for (const Node* p : patches)
      if (!p->is_map()) fail("unable to parse SM or JSON patch: not a map or a list of operations", k.at(at));
    if (!target || !target->is_map()) {
      for (const Node* p : patches) smp_by_id(k, ra, *p, at);
      return;
    }
    Selector sel = selector_from(*target);
    for (std::size_t i = 0; i < ra.size();) {
      KObject& o = ra[i];
      if (!select(sel, o, k, at)) {
        ++i;
        continue;
      }
      bool keep = true;
      for (const Node* p : patches) {
        Node copy = *p;
        // The patch takes the target's identity: its own name is only a placeholder.
        Node& meta = copy.child_map("metadata");
        meta.set("name", Node::scalar(o.name()));
        if (!o.ns().empty()) meta.set("namespace", Node::scalar(o.ns()));
        else meta.erase("namespace");
        copy.set("apiVersion", Node::scalar(o.api_version()));
        copy.set("kind", Node::scalar(o.kind()));
        spend(tree_bytes(copy, budget_), k.at(at));  // a merge adds at most the patch
        if (!apply_strategic_merge(o.node, copy, is_builtin_api(o.api_version()))) {
          keep = false;
          break;
        }
      }
      if (keep) ++i;
      else ra.erase(ra.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  bool select(const Selector& sel, const KObject& o, const KFile& k, const Node* at) {
    try {
      return selects(sel, o);
    } catch (const std::runtime_error& e) {
      fail(e.what(), k.at(at));
    }
  }

  static void set_meta(KObject& o, const char* section, const Field& f) {
    o.node.child_map("metadata").child_map(section).set(f.key, Node::scalar(f.value.is_scalar() ? f.value.value : ""));
  }

  void run_transformers(const KFile& k, std::vector<KObject>& ra) {
    const Node& s = k.spec;
    // patchesStrategicMerge
    if (const Node* psm = s.get("patchesStrategicMerge"); psm && psm->is_seq()) {
      for (const Node& entry : psm->items) {
        if (entry.is_map()) {
          smp_by_id(k, ra, entry, &entry);
          continue;
        }
        ParsedYaml docs = patch_documents(k, entry.value, &entry, true);
        for (const Node& d : docs.documents) {
          if (d.is_null()) continue;
          if (!d.is_map()) fail("patchesStrategicMerge entry is not a map", k.at(&entry));
          smp_by_id(k, ra, d, &entry);
        }
      }
    }
    // patches
    if (const Node* ps = s.get("patches"); ps && ps->is_seq()) {
      for (const Node& entry : ps->items) {
        const Node* target = entry.get("target");
        std::string path = entry.text({"path"});
        const Node* inline_patch = entry.get("patch");
        if (!path.empty() && inline_patch) fail("patch and path can't be set at the same time", k.at(&entry));
        ParsedYaml docs;
        if (!path.empty()) {
          std::string p = resolve(k, path, &entry);
          if (files_.type(p) != FileSource::Type::File)
            fail("patch file '" + path + "' not found (from " + k.file + ")", k.at(&entry));
          docs = patch_documents(k, path, &entry, true);
        } else if (inline_patch && inline_patch->is_scalar()) {
          docs = patch_documents(k, inline_patch->value, inline_patch, false);
        } else if (inline_patch && !inline_patch->is_null()) {
          docs.documents.push_back(*inline_patch);
        } else {
          fail("patch entry has neither 'patch' nor 'path'", k.at(&entry));
        }
        apply_patch(k, ra, docs, target, &entry);
      }
    }
    // namespace
    if (std::string ns = s.text({"namespace"}); !ns.empty()) {
      for (KObject& o : ra) {
        if (o.kind() == "Namespace") {
          o.node.child_map("metadata").set("name", Node::scalar(ns));
          continue;
        }
        if (kustomize_cluster_scoped(o.api_version(), o.kind())) continue;
        o.node.child_map("metadata").set("namespace", Node::scalar(ns));
      }
    }
    // namePrefix / nameSuffix
    std::string prefix = s.text({"namePrefix"});
    std::string suffix = s.text({"nameSuffix"});
    if (!prefix.empty() || !suffix.empty()) {
      for (KObject& o : ra) {
        std::string kind = o.kind();
        if (kind == "CustomResourceDefinition" || kind == "Namespace" ||
            (kind == "APIService" && o.group() == "apiregistration.k8s.io"))
          continue;
        o.node.child_map("metadata").set("name", Node::scalar(prefix + o.name() + suffix));
      }
    }
    // labels, commonLabels
    if (const Node* labels = s.get("labels"); labels && labels->is_seq()) {
      for (const Node& l : labels->items) {
        const Node* pairs = l.get("pairs");
        if (!pairs || !pairs->is_map()) continue;
        for (KObject& o : ra)
          for (const Field& f : pairs->fields) set_meta(o, "labels", f);
      }
    }
    if (const Node* cl = s.get("commonLabels"); cl && cl->is_map()) {
      for (KObject& o : ra)
        for (const Field& f : cl->fields) set_meta(o, "labels", f);
    }
    if (const Node* ca = s.get("commonAnnotations"); ca && ca->is_map()) {
      for (KObject& o : ra)
        for (const Field& f : ca->fields) set_meta(o, "annotations", f);
    }
    // patchesJson6902
    if (const Node* pj = s.get("patchesJson6902"); pj && pj->is_seq()) {
      for (const Node& entry : pj->items) {
        const Node* target = entry.get("target");
        if (!target) fail("patchesJson6902 entry has no target", k.at(&entry));
        ParsedYaml docs;
        std::string path = entry.text({"path"});
        const Node* inline_patch = entry.get("patch");
        if (!path.empty()) {
          std::string p = resolve(k, path, &entry);
          if (files_.type(p) != FileSource::Type::File)
            fail("patch file '" + path + "' not found (from " + k.file + ")", k.at(&entry));
          docs = patch_documents(k, path, &entry, true);
        } else if (inline_patch && inline_patch->is_scalar()) {
          docs = patch_documents(k, inline_patch->value, inline_patch, false);
        } else if (inline_patch && inline_patch->is_seq()) {
          docs.documents.push_back(*inline_patch);
        }
        const Node* ops = nullptr;
        for (const Node& d : docs.documents)
          if (!d.is_null()) ops = &d;
        if (!ops || !ops->is_seq()) fail("patchesJson6902 entry is not a list of operations", k.at(&entry));
        Selector sel = selector_from(*target);
        for (KObject& o : ra) {
          if (!select(sel, o, k, &entry)) continue;
          try {
            spend(apply_json6902(o.node, *ops), k.at(&entry));
          } catch (const std::runtime_error& e) {
            fail(std::string("unable to apply JSON patch to ") + id_string(o) + ": " + e.what(), k.at(&entry));
          }
        }
      }
    }
    // replicas and images change no identity: accepted, not applied.
    // replacements
    if (const Node* reps = s.get("replacements"); reps && reps->is_seq()) {
      std::vector<Node> list;
      for (const Node& r : reps->items) {
        std::string path = r.text({"path"});
        if (!path.empty() && !r.get("source")) {
          std::string p = resolve(k, path, &r);
          check_restriction(k, p, &r);
          const ParsedYaml* parsed = files_.parse(p);
          if (!parsed) fail("replacements file '" + path + "' not found", k.at(&r));
          if (parsed->error)
            fail("replacements file '" + p + "': yaml: line " + std::to_string(parsed->error->line) + ": " + parsed->error->message,
                 SourceLocation{p, parsed->error->line, parsed->error->column});
          for (const Node& d : parsed->documents) {
            if (d.is_seq())
              for (const Node& i : d.items) list.push_back(i);
            else if (d.is_map())
              list.push_back(d);
          }
        } else {
          list.push_back(r);
        }
      }
      try {
        spend(apply_replacements(ra, list, budget_), k.at(reps));
      } catch (const std::runtime_error& e) {
        fail(e.what(), k.at(reps));
      }
    }
  }

  // The build budget (kMaxBuildBytes): what reading, generating and patching objects may add up to, in
  // tree_bytes. A kustomization that reaches one directory through many paths (each with its own
  // namePrefix, so no id repeats) reads it once per path: without a bound, n levels of that read it 2^n times.
  void spend(std::size_t bytes, const SourceLocation& where) {
    if (bytes > budget_)
      fail("kustomize build reads, generates and patches more than " + std::to_string(kMaxBuildBytes >> 20) +
               " MiB of objects (fluxsim's limit; counted as scalar and key bytes plus " + std::to_string(kBytesPerNode) +
               " per node)",
           where);
    budget_ -= bytes;
  }

  // The bytes of a file's objects, worked out once per file and build.
  std::size_t read_bytes(const std::string& path, const std::vector<KObject>& objects) {
    auto [it, fresh] = read_bytes_.try_emplace(path, 0);
    if (fresh)
      for (const KObject& o : objects) it->second += tree_bytes(o.node, budget_);
    return it->second;
  }

  RepoFiles& files_;
  const KustomizeOptions& options_;
  std::vector<Diagnostic>& warnings_;
  std::vector<std::string> stack_;
  int remote_skipped_ = 0;  ///< remote resources left out: patches may miss their targets
  std::size_t budget_ = kMaxBuildBytes;
  std::unordered_map<std::string, std::size_t> read_bytes_;
};

}  // namespace

Kustomizer::Kustomizer(RepoFiles& files, KustomizeOptions options) : files_(files), options_(options) {}

bool Kustomizer::has_kustomization_file(const std::string& dir) {
  for (std::string_view name : kKustomizationFiles)
    if (files_.type(join_path(dir, name)) == FileSource::Type::File) return true;
  return false;
}

BuildResult Kustomizer::build(const std::string& dir, const FluxOverlay* overlay) {
  BuildResult result;
  Build b(files_, options_, result.warnings);
  try {
    result.objects = b.run(dir, overlay);
  } catch (const KFail& e) {
    result.error = BuildError{e.what(), e.where};
    result.objects.clear();
  } catch (const std::exception& e) {
    result.error = BuildError{e.what(), SourceLocation{display_path(dir), 0, 0}};
    result.objects.clear();
  }
  return result;
}

}  // namespace fluxsim::load
