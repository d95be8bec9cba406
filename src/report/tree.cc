// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/tree.h"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fluxsim {

namespace {

struct Index {
  const World& world;
  std::vector<std::vector<std::size_t>> children;
  std::map<std::pair<std::string, std::string>, std::size_t> by_name;  // (namespace, name) -> index

  explicit Index(const World& w) : world(w), children(w.kustomizations.size()) {
    for (std::size_t i = 0; i < w.kustomizations.size(); ++i) by_name[{w.kustomizations[i].ref.ns, w.kustomizations[i].ref.name}] = i;
    for (std::size_t i = 1; i < w.kustomizations.size(); ++i) {
      const auto& p = w.kustomizations[i].parent;
      if (!p) continue;
      auto it = by_name.find({p->ns, p->name});
      if (it != by_name.end() && it->second != i) children[it->second].push_back(i);
    }
  }

  // The World index of an applied object that is one of this Kustomization's children.
  std::optional<std::size_t> child_of(std::size_t parent, const Resource& r) const {
    if (r.ref.kind != "Kustomization" || r.ref.group != kKustomizeGroup) return std::nullopt;
    auto it = by_name.find({r.ref.ns.empty() ? std::string("default") : r.ref.ns, r.ref.name});
    if (it == by_name.end()) return std::nullopt;
    const auto& k = world.kustomizations[it->second];
    if (!k.parent || it->second == 0) return std::nullopt;
    const auto& p = world.kustomizations[parent].ref;
    if (k.parent->ns != p.ns || k.parent->name != p.name) return std::nullopt;
    return it->second;
  }
};

std::map<std::string, int> counts(const Kustomization& k) {
  std::map<std::string, int> c;
  for (const Resource& r : k.objects) c[r.ref.kind]++;
  return c;
}

std::string source_name(const Reference& r) { return r.kind + "/" + r.ns + "/" + r.name; }

std::string status(const World& w, const Kustomization& k) {
  if (k.build_failure) return k.build_failure->reason + ": " + k.build_failure->message;
  const Source* s = w.find_source(k.source_ref.kind, k.source_ref.ns, k.source_ref.name);
  if (!s) return "ArtifactFailed: source " + source_name(k.source_ref) + " not found";
  if (!s->directory) return "no artifact: source " + source_name(k.source_ref) + " is not mapped to this checkout";
  return {};
}

std::string header(const World& w, const Kustomization& k, bool with_counts) {
  std::string line = to_string(k.ref) + "  path=" + (k.path.empty() ? "./" : k.path) + " source=" + source_name(k.source_ref);
  if (!k.depends_on.empty()) {
    line += " dependsOn=[";
    for (std::size_t i = 0; i < k.depends_on.size(); ++i) {
      if (i) line += ",";
      line += k.depends_on[i].ns + "/" + k.depends_on[i].name;
    }
    line += "]";
  }
  if (k.suspend) line += " suspended";
  if (with_counts) {
    line += " objects=" + std::to_string(k.objects.size());
    auto c = counts(k);
    if (!c.empty()) {
      line += " (";
      bool first = true;
      for (const auto& [kind, n] : c) {
        if (!first) line += ", ";
        first = false;
        line += kind + " " + std::to_string(n);
      }
      line += ")";
    }
  }
  std::string st = status(w, k);
  if (!st.empty()) line += "  [" + st + "]";
  return line;
}

void text_node(const Index& ix, std::size_t i, const TreeOptions& o, const std::string& prefix, std::ostream& out) {
  const Kustomization& k = ix.world.kustomizations[i];
  struct Item {
    std::optional<std::size_t> child;
    const Resource* object = nullptr;
  };
  std::vector<Item> items;
  if (o.objects) {
    std::vector<bool> shown(ix.world.kustomizations.size(), false);
    for (const Resource& r : k.objects) {
      auto c = ix.child_of(i, r);
      if (c && !shown[*c]) {
        shown[*c] = true;
        items.push_back(Item{c, nullptr});
      } else {
        items.push_back(Item{std::nullopt, &r});
      }
    }
    for (std::size_t c : ix.children[i])
      if (!shown[c]) items.push_back(Item{c, nullptr});
  } else {
    for (std::size_t c : ix.children[i]) items.push_back(Item{c, nullptr});
  }
  for (std::size_t n = 0; n < items.size(); ++n) {
    bool last = n + 1 == items.size();
    out << prefix << (last ? "└── " : "├── ");
    std::string next = prefix + (last ? "    " : "│   ");
    if (items[n].child) {
      out << header(ix.world, ix.world.kustomizations[*items[n].child], !o.objects) << "\n";
      text_node(ix, *items[n].child, o, next, out);
    } else {
      const Resource& r = *items[n].object;
      out << to_string(r.ref);
      if (r.skipped) out << "  (skipped: reconcile disabled)";
      out << "\n";
    }
  }
}

nlohmann::ordered_json json_node(const Index& ix, std::size_t i, const TreeOptions& o) {
  const World& w = ix.world;
  const Kustomization& k = w.kustomizations[i];
  nlohmann::ordered_json j;
  j["kind"] = "Kustomization";
  j["namespace"] = k.ref.ns;
  j["name"] = k.ref.name;
  j["path"] = k.path;
  j["source"] = {{"kind", k.source_ref.kind}, {"namespace", k.source_ref.ns}, {"name", k.source_ref.name}};
  auto deps = nlohmann::ordered_json::array();
  for (const Reference& d : k.depends_on) deps.push_back({{"namespace", d.ns}, {"name", d.name}});
  j["dependsOn"] = deps;
  j["objectCount"] = k.objects.size();
  nlohmann::ordered_json c = nlohmann::ordered_json::object();
  for (const auto& [kind, n] : counts(k)) c[kind] = n;
  j["objectCounts"] = c;
  if (o.objects) {
    auto objs = nlohmann::ordered_json::array();
    for (const Resource& r : k.objects) {
      nlohmann::ordered_json x = {{"apiVersion", r.api_version}, {"kind", r.ref.kind}, {"namespace", r.ref.ns}, {"name", r.ref.name}};
      if (r.skipped) x["skipped"] = true;
      objs.push_back(x);
    }
    j["objects"] = objs;
  }
  std::string st = status(w, k);
  if (k.build_failure) {
    j["buildFailure"] = {{"reason", k.build_failure->reason},
                         {"message", k.build_failure->message},
                         {"file", k.build_failure->where.file},
                         {"line", k.build_failure->where.line}};
  } else if (!st.empty()) {
    j["status"] = st;
  }
  auto children = nlohmann::ordered_json::array();
  for (std::size_t c : ix.children[i]) children.push_back(json_node(ix, c, o));
  j["children"] = children;
  return j;
}

}  // namespace

void write_tree(const World& world, const TreeOptions& options, std::ostream& out) {
  if (world.kustomizations.empty()) {
    out << (options.json ? "null\n" : "");
    return;
  }
  Index ix(world);
  if (options.json) {
    out << json_node(ix, 0, options).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  out << header(world, world.kustomizations[0], !options.objects) << "\n";
  text_node(ix, 0, options, "", out);
}

}  // namespace fluxsim
