// SPDX-License-Identifier: Apache-2.0
// Strategic-merge and JSON 6902 patches on loader Nodes. Strategic merge follows kyaml's merge2: maps
// merge recursively, null deletes, `$patch: delete|replace` directives, lists of built-in kinds merge
// by their patch merge key while lists of custom resources are replaced (checked against kubectl).
#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

#include "flux/kinds.h"
#include "load/kustomize.h"
#include "load/limits.h"

namespace fluxsim::load {

// Strategic merge applies to the Kubernetes API types: the one list of their groups (src/flux/kinds.h).
bool is_builtin_api(const std::string& api_version) {
  std::size_t slash = api_version.find('/');
  std::string_view group = slash == std::string::npos ? std::string_view{} : std::string_view(api_version).substr(0, slash);
  return flux::is_kubernetes_group(group);
}

namespace {

// Patch merge keys of the Kubernetes API types (x-kubernetes-patch-merge-key), by field name.
std::string merge_key_for(std::string_view field, const Node& patch_list) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" || field == "env" ||
      field == "volumes" || field == "imagePullSecrets" ||
      field == "readinessGates")
    return field == "readinessGates" ? "conditionType" : "name";
  if (field == "volumeMounts") return "mountPath";
  if (field == "volumeDevices") return "devicePath";
  if (field == "hostAliases") return "ip";
  if (field == "topologySpreadConstraints") return "topologyKey";
  if (field == "conditions") return "type";
  if (field == "ports") {
    for (const Node& i : patch_list.items)
      if (i.get("containerPort")) return "containerPort";
    return "port";
  }
  return {};
}

bool is_directive(const std::string& key) { return !key.empty() && key[0] == '$'; }

Node strip_directives(const Node& n) {
  Node out = n;
  if (out.is_map()) {
    out.fields.erase(std::remove_if(out.fields.begin(), out.fields.end(),
                                    [](const Field& f) { return is_directive(f.key); }),
                     out.fields.end());
    for (Field& f : out.fields) f.value = strip_directives(f.value);
  } else if (out.is_seq()) {
    out.items.erase(std::remove_if(out.items.begin(), out.items.end(),
                                   [](const Node& i) { return i.is_map() && i.text({"$patch"}) == "replace" && i.fields.size() == 1; }),
                    out.items.end());
    for (Node& i : out.items) i = strip_directives(i);
  }
  return out;
}

bool merge_map(Node& dst, const Node& patch, bool builtin);

void merge_list(Node& dst, const Node& patch, std::string_view field, bool builtin) {
  // A list-level `$patch: replace` element replaces the whole list.
  bool replace = std::any_of(patch.items.begin(), patch.items.end(),
                             [](const Node& i) { return i.is_map() && i.text({"$patch"}) == "replace"; });
  std::string key = builtin ? merge_key_for(field, patch) : std::string{};
  bool maps = !patch.items.empty() && std::all_of(patch.items.begin(), patch.items.end(), [](const Node& i) { return i.is_map(); });
  if (replace || key.empty() || !maps || !dst.is_seq()) {
    dst = strip_directives(patch);
    return;
  }
  for (const Node& p : patch.items) {
    const Node* kv = p.get(key);
    std::string want = kv && kv->is_scalar() ? kv->value : std::string{};
    auto it = std::find_if(dst.items.begin(), dst.items.end(), [&](const Node& d) {
      const Node* dk = d.get(key);
      return kv && dk && dk->is_scalar() && dk->value == want;
    });
    std::string directive = p.text({"$patch"});
    if (directive == "delete") {
      if (it != dst.items.end()) dst.items.erase(it);
      continue;
    }
    if (it == dst.items.end()) {
      dst.items.push_back(strip_directives(p));
    } else if (!merge_map(*it, p, builtin)) {
      dst.items.erase(it);
    }
  }
}

// Returns false when the patch deletes `dst` (`$patch: delete`).
bool merge_map(Node& dst, const Node& patch, bool builtin) {
  std::string directive = patch.text({"$patch"});
  if (directive == "delete") return false;
  if (directive == "replace" || !dst.is_map()) {
    dst = strip_directives(patch);
    return true;
  }
  std::vector<std::string> retain;
  bool has_retain = false;
  for (const Field& f : patch.fields) {
    if (f.key == "$retainKeys" && f.value.is_seq()) {
      has_retain = true;
      for (const Node& i : f.value.items) retain.push_back(i.value);
      continue;
    }
    if (f.key.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      Node* list = dst.get(f.key.substr(25));
      if (list && list->is_seq() && f.value.is_seq()) {
        for (const Node& del : f.value.items)
          list->items.erase(std::remove_if(list->items.begin(), list->items.end(),
                                           [&](const Node& x) { return x.is_scalar() && x.value == del.value; }),
                            list->items.end());
      }
      continue;
    }
    if (is_directive(f.key)) continue;
    if (f.value.is_null()) {
      dst.erase(f.key);
      continue;
    }
    Node* cur = dst.get(f.key);
    if (!cur) {
      if (f.value.is_map() && f.value.text({"$patch"}) == "delete") continue;
      dst.set(f.key, strip_directives(f.value));
      continue;
    }
    if (f.value.is_map()) {
      if (!cur->is_map()) {
        *cur = strip_directives(f.value);
      } else if (!merge_map(*cur, f.value, builtin)) {
        dst.erase(f.key);
      }
    } else if (f.value.is_seq()) {
      merge_list(*cur, f.value, f.key, builtin);
    } else {
      *cur = f.value;
    }
  }
  if (has_retain) {
    dst.fields.erase(std::remove_if(dst.fields.begin(), dst.fields.end(),
                                    [&](const Field& f) { return std::find(retain.begin(), retain.end(), f.key) == retain.end(); }),
                     dst.fields.end());
  }
  return true;
}

// --- JSON 6902 ---

std::vector<std::string> parse_pointer(const std::string& path) {
  std::vector<std::string> parts;
  if (path.empty()) return parts;
  if (path[0] != '/') throw std::runtime_error("JSON pointer must start with '/': \"" + path + "\"");
  std::size_t start = 1;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string raw = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    std::string part;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        part += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        part += raw[i];
      }
    }
    parts.push_back(std::move(part));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::optional<std::size_t> index_of(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::size_t>(c - '0');
  }
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  return v;
}

[[noreturn]] void missing(const std::string& op, const std::string& path) {
  throw std::runtime_error(op + " operation does not apply: doc is missing path: \"" + path + "\"");
}

Node* walk(Node& root, const std::vector<std::string>& parts, std::size_t count) {
  Node* n = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (n->is_map()) {
      n = n->get(parts[i]);
    } else if (n->is_seq()) {
      auto idx = index_of(parts[i]);
      if (!idx || *idx >= n->items.size()) return nullptr;
      n = &n->items[*idx];
    } else {
      return nullptr;
    }
    if (!n) return nullptr;
  }
  return n;
}

void json_add(Node& root, const std::string& path, Node value, const std::string& op) {
  auto parts = parse_pointer(path);
  if (parts.empty()) {
    root = std::move(value);
    return;
  }
  Node* parent = walk(root, parts, parts.size() - 1);
  if (!parent) missing(op, path);
  const std::string& last = parts.back();
  if (parent->is_map()) {
    parent->set(last, std::move(value));
  } else if (parent->is_seq()) {
    if (last == "-") {
      parent->items.push_back(std::move(value));
      return;
    }
    auto idx = index_of(last);
    if (!idx || *idx > parent->items.size())
      throw std::runtime_error(op + " operation does not apply: index out of range: \"" + path + "\"");
    parent->items.insert(parent->items.begin() + static_cast<std::ptrdiff_t>(*idx), std::move(value));
  } else if (parent->is_null()) {
    missing(op, path);
  } else {
    missing(op, path);
  }
}

Node json_remove(Node& root, const std::string& path, const std::string& op) {
  auto parts = parse_pointer(path);
  if (parts.empty()) throw std::runtime_error(op + " operation does not apply: cannot remove the root");
  Node* parent = walk(root, parts, parts.size() - 1);
  if (!parent) missing(op, path);
  const std::string& last = parts.back();
  if (parent->is_map()) {
    Node* v = parent->get(last);
    if (!v) missing(op, path);
    Node out = std::move(*v);
    parent->erase(last);
    return out;
  }
  if (parent->is_seq()) {
    auto idx = index_of(last);
    if (!idx || *idx >= parent->items.size()) missing(op, path);
    Node out = std::move(parent->items[*idx]);
    parent->items.erase(parent->items.begin() + static_cast<std::ptrdiff_t>(*idx));
    return out;
  }
  missing(op, path);
}

}  // namespace

bool apply_strategic_merge(Node& target, const Node& patch, bool builtin_kind) {
  if (!patch.is_map()) return true;
  return merge_map(target, patch, builtin_kind);
}

std::size_t apply_json6902(Node& target, const Node& operations, std::size_t max_growth) {
  if (!operations.is_seq()) throw std::runtime_error("JSON patch must be a list of operations");
  // What the operations add (bytes, tree_bytes) and how deep the object may be (an upper bound, worked
  // out only once a move needs it): a few `copy` operations can otherwise double an object each, and a
  // copy into itself deepen it, past what memory and the recursive walks of a tree can take.
  std::size_t grown = 0;
  std::optional<int> depth_bound;
  auto grow = [&](const Node& value, std::size_t at_depth, const std::string& op, const std::string& path) {
    grown += tree_bytes(value, max_growth - std::min(grown, max_growth));
    if (grown > max_growth)
      throw std::runtime_error(op + " operation at \"" + path + "\" grows the object by more than " +
                               std::to_string(max_growth >> 20) + " MiB (fluxsim's limit)");
    int depth = static_cast<int>(at_depth) + tree_depth(value);
    if (depth > kMaxTreeDepth)
      throw std::runtime_error(op + " operation at \"" + path + "\" nests the object deeper than " +
                               std::to_string(kMaxTreeDepth) + " levels (fluxsim's limit)");
    if (depth_bound) depth_bound = std::max(*depth_bound, depth);
  };
  for (const Node& op_node : operations.items) {
    std::string op = op_node.text({"op"});
    std::string path = op_node.text({"path"});
    if (!op_node.get("path")) throw std::runtime_error("JSON patch operation \"" + op + "\" has no path");
    const Node* value = op_node.get("value");
    if (op == "add") {
      if (!value) throw std::runtime_error("add operation has no value");
      grow(*value, parse_pointer(path).size(), op, path);
      json_add(target, path, *value, op);
    } else if (op == "remove") {
      json_remove(target, path, op);
    } else if (op == "replace") {
      auto parts = parse_pointer(path);
      if (!value) throw std::runtime_error("replace operation has no value");
      Node* at = walk(target, parts, parts.size());
      if (!at) missing(op, path);
      grow(*value, parts.size(), op, path);
      *at = *value;
    } else if (op == "move") {
      std::string from = op_node.text({"from"});
      const std::size_t from_depth = parse_pointer(from).size(), to_depth = parse_pointer(path).size();
      if (to_depth > from_depth) {
        // The moved subtree reaches at most depth_bound - from_depth levels below its old place.
        if (!depth_bound) depth_bound = tree_depth(target);
        int deeper = *depth_bound + static_cast<int>(to_depth - from_depth);
        if (deeper > kMaxTreeDepth) deeper = tree_depth(target) + static_cast<int>(to_depth - from_depth);
        if (deeper > kMaxTreeDepth)
          throw std::runtime_error("move operation to \"" + path + "\" nests the object deeper than " +
                                   std::to_string(kMaxTreeDepth) + " levels (fluxsim's limit)");
        depth_bound = deeper;
      }
      Node moved = json_remove(target, from, op);
      json_add(target, path, std::move(moved), op);
    } else if (op == "copy") {
      std::string from = op_node.text({"from"});
      auto parts = parse_pointer(from);
      Node* src = walk(target, parts, parts.size());
      if (!src) missing(op, from);
      grow(*src, parse_pointer(path).size(), op, path);
      json_add(target, path, *src, op);
    } else if (op == "test") {
      auto parts = parse_pointer(path);
      Node* at = walk(target, parts, parts.size());
      if (!at || !value || !(*at == *value))
        throw std::runtime_error("testing value " + path + " failed: test failed");
    } else {
      throw std::runtime_error("Unexpected kind: " + op);
    }
  }
  return grown;
}

}  // namespace fluxsim::load
