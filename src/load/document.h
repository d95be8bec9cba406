// SPDX-License-Identifier: Apache-2.0
// The loader's own YAML document tree: a small mutable value (null, scalar, sequence, map with
// insertion-ordered keys) where every node remembers its line and column. Built straight from
// yaml-cpp's event stream (document.cc) with bounded nesting and alias expansion; the kustomize and
// Flux layers transform it in place. Internal to src/load/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluxsim::load {

struct Field;

/// One YAML node. A plain struct: copy it to clone a subtree.
struct Node {
  enum class Kind : std::uint8_t { Null, Scalar, Seq, Map };

  Kind kind = Kind::Null;
  /// A scalar written quoted, as a block scalar, or tagged !!str: never a number, bool or null.
  bool quoted = false;
  int line = 0;    ///< 1-based; 0 for nodes the loader made up
  int column = 0;  ///< 1-based
  std::string value;           ///< scalar text (Kind::Scalar)
  std::vector<Node> items;     ///< Kind::Seq
  std::vector<Field> fields;   ///< Kind::Map, in document order

  static Node scalar(std::string text, bool is_quoted = true);
  static Node map();
  static Node seq();

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_map() const { return kind == Kind::Map; }

  /// Map lookup; nullptr when absent or when this is not a map.
  const Node* get(std::string_view key) const;
  Node* get(std::string_view key);
  /// Follows map keys; nullptr as soon as one is missing.
  const Node* at(std::initializer_list<std::string_view> path) const;
  Node* at(std::initializer_list<std::string_view> path);
  /// Scalar text at a path, "" when absent or not a scalar.
  std::string text(std::initializer_list<std::string_view> path) const;
  /// Sets (replacing in place) or appends a key; turns a null node into a map first.
  Node& set(std::string key, Node value);
  /// The child map under `key`, created (as an empty map) when absent or null.
  Node& child_map(std::string_view key);
  bool erase(std::string_view key);

  /// Plain scalar "true"/"false" (YAML 1.2 core spellings); nullopt otherwise.
  std::optional<bool> as_bool() const;
  /// Plain or quoted scalar holding a decimal integer.
  std::optional<long long> as_int() const;
  /// Number of nodes in this subtree (this one included).
  std::size_t size() const;
};

struct Field {
  std::string key;
  Node value;
};

bool operator==(const Node& a, const Node& b);
inline bool operator!=(const Node& a, const Node& b) { return !(a == b); }

/// Limits that keep hostile input bounded (issue 3, "Load restrictions and limits").
struct ParseLimits {
  int max_depth = 256;                  ///< nesting of sequences and maps
  std::size_t max_nodes = 2'000'000;    ///< per file, alias expansions included
  std::size_t max_alias_nodes = 250'000;  ///< nodes copied by aliases, per file (billion laughs)
};

struct YamlError {
  int line = 0;
  int column = 0;
  std::string message;
};

/// Every document of a YAML stream, or the first error. Empty documents are kept as null nodes.
struct ParsedYaml {
  std::vector<Node> documents;
  std::optional<YamlError> error;
};

/// Parses a YAML stream as Go's yaml.v3 reads it: anchors (redefinable), aliases, merge keys `<<`,
/// duplicate keys rejected. Never throws.
ParsedYaml parse_yaml(std::string_view text, const ParseLimits& limits = {});

/// Emits a node as YAML text (block style, sorted nothing); used for messages and tests.
std::string to_yaml(const Node& node);

/// Go encoding/json of the node's value as kustomize marshals it for hashing: map keys sorted
/// bytewise, HTML-escaped strings, scalars as strings.
std::string to_go_json(const Node& node);

}  // namespace fluxsim::load
