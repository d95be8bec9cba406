// SPDX-License-Identifier: Apache-2.0
// The loader's own YAML document tree: a small mutable value (null, scalar, sequence, map with
// insertion-ordered keys) where every node remembers its line and column. Built straight from
// libyaml's event stream (document.cc), with every limit counted while events arrive, so hostile
// input is refused before a large tree exists. Repository files and scenario files both read into it;
// the kustomize and Flux layers transform it in place. Internal to src/load/.
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

  /// How a scalar was written; block scalars (`|`, `>`) start their text on the next line.
  enum class Style : std::uint8_t { Plain, SingleQuoted, DoubleQuoted, Literal, Folded };

  Kind kind = Kind::Null;
  /// A scalar written quoted, as a block scalar, or tagged !!str: never a number, bool or null.
  bool quoted = false;
  /// Written with an explicit tag (`!!int 3`, `!include x`): the scenario decoder reads only untagged
  /// plain scalars as numbers and booleans.
  bool tagged = false;
  Style style = Style::Plain;
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
  int line = 0;    ///< where the key is written (1-based; 0 when made up)
  int column = 0;
};

bool operator==(const Node& a, const Node& b);
inline bool operator!=(const Node& a, const Node& b) { return !(a == b); }

/// Limits that keep hostile input bounded (issue 3, "Load restrictions and limits"; issue 15). One set
/// for repository and scenario files. Each is checked before the tree grows past it: the file size
/// before parsing, the others while libyaml's events arrive. README "Limits" lists them.
struct ParseLimits {
  std::size_t max_file_bytes = 64u << 20;    ///< a YAML file larger than this is not read at all
  std::size_t max_scalar_bytes = 16u << 20;  ///< one string (a ConfigMap's embedded JSON fits)
  int max_depth = 256;                       ///< nesting of sequences and maps
  std::size_t max_nodes = 2'000'000;         ///< per file, alias expansions included
  std::size_t max_alias_nodes = 250'000;     ///< nodes copied by aliases, per file (billion laughs)
  /// Go's yaml.v3 rejects a key written twice in one mapping, and so does the repository loader. The
  /// scenario decoder keeps both and reports the second as a finding of its own ("duplicate field").
  bool reject_duplicate_keys = true;
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
/// duplicate keys rejected, custom tags kept as strings. Plain `~`, `null`, `Null`, `NULL` and empty are
/// null; every other scalar is text (numbers and booleans are read by whoever needs one). An empty
/// mapping value is located at its key and an empty block list item at its `-`. Never throws; linear in
/// the input.
ParsedYaml parse_yaml(std::string_view text, const ParseLimits& limits = {});

/// Emits a node as YAML text (block style, sorted nothing); used for messages and tests.
std::string to_yaml(const Node& node);

/// Go encoding/json of the node's value as kustomize marshals it for hashing: map keys sorted
/// bytewise, HTML-escaped strings, scalars as strings.
std::string to_go_json(const Node& node);

}  // namespace fluxsim::load
