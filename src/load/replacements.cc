// SPDX-License-Identifier: Apache-2.0
// kustomize `replacements`: copy one field of one source object into fields of the selected targets.
// Field paths are dotted ("spec.template.spec.containers.[name=app].image"); a bracketed part either
// matches a list element by one of its fields or names a map key that contains dots
// ("metadata.annotations.[example.com/x]"); `*` matches every element.
#include <stdexcept>
#include <string>
#include <vector>

#include "load/kustomize.h"
#include "load/limits.h"

namespace fluxsim::load {

namespace {

// The components of a field path; more than kMaxFieldPathParts is an error (lookup() recurses once
// per component, and a created path nests the object one level per component).
std::vector<std::string> split_field_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : path) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == '.' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
      if (parts.size() >= kMaxFieldPathParts)
        throw std::runtime_error("fieldPath `" + path.substr(0, 60) + "...` has more than " +
                                 std::to_string(kMaxFieldPathParts) + " components (fluxsim's limit)");
      continue;
    }
    cur += c;
  }
  parts.push_back(cur);
  return parts;
}

bool bracketed(const std::string& p) { return p.size() >= 2 && p.front() == '[' && p.back() == ']'; }

// Every node the path reaches. With `create`, missing map keys (and list elements named by
// [key=value]) are made on the way.
void lookup(Node& n, const std::vector<std::string>& parts, std::size_t i, bool create, std::vector<Node*>& out) {
  if (i == parts.size()) {
    out.push_back(&n);
    return;
  }
  const std::string& p = parts[i];
  if (n.is_seq() || (n.is_null() && bracketed(p) && p.find('=') != std::string::npos)) {
    if (p == "*") {
      for (Node& e : n.items) lookup(e, parts, i + 1, create, out);
      return;
    }
    if (bracketed(p)) {
      std::string inner = p.substr(1, p.size() - 2);
      std::size_t eq = inner.find('=');
      if (eq == std::string::npos) return;
      std::string key = inner.substr(0, eq);
      std::string value = inner.substr(eq + 1);
      bool found = false;
      for (Node& e : n.items) {
        if (key.empty() ? (e.is_scalar() && e.value == value) : (e.text({key}) == value && e.get(key))) {
          found = true;
          lookup(e, parts, i + 1, create, out);
        }
      }
      if (!found && create && !key.empty()) {
        if (n.is_null()) n = Node::seq();
        Node e = Node::map();
        e.set(key, Node::scalar(value));
        n.items.push_back(std::move(e));
        lookup(n.items.back(), parts, i + 1, create, out);
      }
      return;
    }
    std::size_t idx = 0;
    bool numeric = !p.empty();
    for (char c : p) {
      if (c < '0' || c > '9') numeric = false;
      else idx = idx * 10 + static_cast<std::size_t>(c - '0');
    }
    if (numeric && idx < n.items.size()) lookup(n.items[idx], parts, i + 1, create, out);
    return;
  }
  if (n.is_map() || (n.is_null() && create)) {
    if (p == "*") {
      for (Field& f : n.fields) lookup(f.value, parts, i + 1, create, out);
      return;
    }
    std::string key = bracketed(p) ? p.substr(1, p.size() - 2) : p;
    Node* child = n.get(key);
    if (!child) {
      if (!create) return;
      child = &n.set(key, Node{});
    }
    lookup(*child, parts, i + 1, create, out);
  }
}

std::vector<std::string> split(const std::string& s, const std::string& delim) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t at = s.find(delim, start);
    if (at == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, at - start));
    start = at + delim.size();
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& delim) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += delim;
    out += parts[i];
  }
  return out;
}

bool id_selected(const Node& sel, const KObject& o) {
  auto want = [&](const char* f) { return sel.text({f}); };
  if (!want("kind").empty() && want("kind") != o.kind()) return false;
  if (!want("group").empty() && want("group") != o.group()) return false;
  if (!want("version").empty() && want("version") != o.version()) return false;
  if (!want("name").empty() && want("name") != o.name() && want("name") != o.org_name) return false;
  std::string ns = want("namespace");
  if (!ns.empty()) {
    auto norm = [](const std::string& x) { return x.empty() ? std::string("default") : x; };
    if (norm(ns) != norm(o.ns()) && norm(ns) != norm(o.org_ns)) return false;
  }
  return true;
}

// Replacement targets select by exact id (kustomize v5.5 does not treat these names as patterns),
// plus label and annotation selectors.
bool target_selected(const Node& sel, const KObject& o) {
  if (!id_selected(sel, o)) return false;
  for (const char* field : {"labelSelector", "annotationSelector"}) {
    std::string expr = sel.text({field});
    if (expr.empty()) continue;
    auto m = label_selector_matches(expr, o.node.at({"metadata", std::string_view(field) == "labelSelector" ? "labels" : "annotations"}));
    if (!m) throw std::runtime_error("unable to parse requirement: " + std::string(field) + " \"" + expr + "\"");
    if (!*m) return false;
  }
  return true;
}

std::string describe(const Node& sel) {
  std::string out;
  for (const Field& f : sel.fields) {
    if (f.key == "fieldPath" || f.key == "options") continue;
    if (!out.empty()) out += ", ";
    out += f.key + "=" + f.value.value;
  }
  return "{" + out + "}";
}

}  // namespace

std::size_t apply_replacements(std::vector<KObject>& objects, const std::vector<Node>& replacements, std::size_t max_growth) {
  // Bytes (tree_bytes) the replacements add, in all and per object: each copies its source value into
  // every field it selects, so a few replacements whose source contains their target double an object each.
  std::size_t grown = 0;
  std::vector<std::size_t> object_grown(objects.size(), 0);
  for (const Node& r : replacements) {
    const Node* source = r.get("source");
    if (!source || !source->is_map()) throw std::runtime_error("replacement has no source");
    const KObject* src = nullptr;
    for (const KObject& o : objects) {
      if (!id_selected(*source, o)) continue;
      if (src) throw std::runtime_error("multiple matches for replacement source selector " + describe(*source));
      src = &o;
    }
    if (!src) throw std::runtime_error("nothing selected by replacement source " + describe(*source));
    std::string field_path = source->text({"fieldPath"});
    if (field_path.empty()) field_path = "metadata.name";
    std::vector<Node*> found;
    Node src_copy = src->node;
    lookup(src_copy, split_field_path(field_path), 0, false, found);
    if (found.empty()) throw std::runtime_error("fieldPath `" + field_path + "` is missing for replacement source " + describe(*source));
    Node value = *found[0];
    if (std::string delim = source->text({"options", "delimiter"}); !delim.empty() && value.is_scalar()) {
      auto parts = split(value.value, delim);
      long long idx = source->at({"options", "index"}) ? source->at({"options", "index"})->as_int().value_or(0) : 0;
      if (idx < 0 || idx >= static_cast<long long>(parts.size()))
        throw std::runtime_error("options.index " + std::to_string(idx) + " is out of bounds for value " + value.value);
      value = Node::scalar(parts[static_cast<std::size_t>(idx)], value.quoted);
    }
    const std::size_t value_bytes = tree_bytes(value, kMaxObjectGrowth);
    const int value_depth = tree_depth(value);

    const Node* targets = r.get("targets");
    if (!targets || !targets->is_seq()) continue;
    for (const Node& t : targets->items) {
      const Node* sel = t.get("select");
      if (!sel || !sel->is_map()) throw std::runtime_error("target must specify resources to select");
      std::vector<const Node*> rejects;
      if (const Node* rej = t.get("reject"); rej && rej->is_seq())
        for (const Node& x : rej->items) rejects.push_back(&x);
      std::vector<std::string> paths;
      if (const Node* fps = t.get("fieldPaths"); fps && fps->is_seq())
        for (const Node& p : fps->items) paths.push_back(p.value);
      if (paths.empty()) paths.push_back("metadata.name");
      bool create = t.at({"options", "create"}) && t.at({"options", "create"})->as_bool().value_or(false);
      std::string delim = t.text({"options", "delimiter"});
      long long index = t.at({"options", "index"}) ? t.at({"options", "index"})->as_int().value_or(0) : 0;
      for (std::size_t oi = 0; oi < objects.size(); ++oi) {
        KObject& o = objects[oi];
        if (!target_selected(*sel, o)) continue;
        bool rejected = false;
        for (const Node* rj : rejects)
          if (target_selected(*rj, o)) rejected = true;
        if (rejected) continue;
        for (const std::string& fp : paths) {
          std::vector<Node*> hits;
          const std::vector<std::string> path_parts = split_field_path(fp);
          if (static_cast<int>(path_parts.size()) + value_depth > kMaxTreeDepth)
            throw std::runtime_error("replacing field \"" + fp.substr(0, 60) + "\" nests the object deeper than " +
                                     std::to_string(kMaxTreeDepth) + " levels (fluxsim's limit)");
          lookup(o.node, path_parts, 0, create, hits);
          if (hits.empty()) throw std::runtime_error("unable to find field \"" + fp + "\" in replacement target");
          for (Node* h : hits) {
            grown += value_bytes;
            object_grown[oi] += value_bytes;
            if (object_grown[oi] > kMaxObjectGrowth || grown > max_growth)
              throw std::runtime_error("replacements grow " + std::string(object_grown[oi] > kMaxObjectGrowth ? "one object" : "the objects") +
                                       " by more than " + std::to_string((object_grown[oi] > kMaxObjectGrowth ? kMaxObjectGrowth : max_growth) >> 20) +
                                       " MiB (fluxsim's limit), at field \"" + fp.substr(0, 60) + "\" of " + o.kind() + "/" + o.name());
            if (!delim.empty() && value.is_scalar()) {
              auto parts = h->is_scalar() ? split(h->value, delim) : std::vector<std::string>{};
              if (index < 0) parts.insert(parts.begin(), value.value);
              else if (index >= static_cast<long long>(parts.size())) parts.push_back(value.value);
              else parts[static_cast<std::size_t>(index)] = value.value;
              *h = Node::scalar(join(parts, delim), h->quoted);
            } else {
              int line = h->line, column = h->column;
              *h = value;
              h->line = line;
              h->column = column;
            }
          }
        }
      }
    }
  }
  return grown;
}

}  // namespace fluxsim::load
