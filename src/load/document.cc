// SPDX-License-Identifier: Apache-2.0
#include "load/document.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstdint>
#include <istream>
#include <map>
#include <streambuf>
#include <unordered_set>

namespace fluxsim::load {

Node Node::scalar(std::string text, bool is_quoted) {
  Node n;
  n.kind = Kind::Scalar;
  n.quoted = is_quoted;
  n.value = std::move(text);
  return n;
}

Node Node::map() {
  Node n;
  n.kind = Kind::Map;
  return n;
}

Node Node::seq() {
  Node n;
  n.kind = Kind::Seq;
  return n;
}

const Node* Node::get(std::string_view key) const {
  if (kind != Kind::Map) return nullptr;
  for (const Field& f : fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

Node* Node::get(std::string_view key) {
  if (kind != Kind::Map) return nullptr;
  for (Field& f : fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

const Node* Node::at(std::initializer_list<std::string_view> path) const {
  const Node* n = this;
  for (std::string_view k : path) {
    n = n->get(k);
    if (!n) return nullptr;
  }
  return n;
}

Node* Node::at(std::initializer_list<std::string_view> path) {
  Node* n = this;
  for (std::string_view k : path) {
    n = n->get(k);
    if (!n) return nullptr;
  }
  return n;
}

std::string Node::text(std::initializer_list<std::string_view> path) const {
  const Node* n = at(path);
  return n && n->is_scalar() ? n->value : std::string{};
}

Node& Node::set(std::string key, Node v) {
  if (kind != Kind::Map) {
    *this = map();
  }
  for (Field& f : fields) {
    if (f.key == key) {
      f.value = std::move(v);
      return f.value;
    }
  }
  fields.push_back(Field{std::move(key), std::move(v)});
  return fields.back().value;
}

Node& Node::child_map(std::string_view key) {
  Node* n = get(key);
  if (n && n->is_map()) return *n;
  return set(std::string(key), map());
}

bool Node::erase(std::string_view key) {
  if (kind != Kind::Map) return false;
  auto it = std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == key; });
  if (it == fields.end()) return false;
  fields.erase(it);
  return true;
}

std::optional<bool> Node::as_bool() const {
  if (kind != Kind::Scalar || quoted) return std::nullopt;
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  return std::nullopt;
}

std::optional<long long> Node::as_int() const {
  if (kind != Kind::Scalar || value.empty() || value.size() > 18) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (value[0] == '-' || value[0] == '+') {
    neg = value[0] == '-';
    i = 1;
  }
  if (i == value.size()) return std::nullopt;
  long long v = 0;
  for (; i < value.size(); ++i) {
    char c = value[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return neg ? -v : v;
}

std::size_t Node::size() const {
  std::size_t n = 1;
  for (const Node& i : items) n += i.size();
  for (const Field& f : fields) n += f.value.size();
  return n;
}

bool operator==(const Node& a, const Node& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Node::Kind::Null:
      return true;
    case Node::Kind::Scalar:
      return a.value == b.value;
    case Node::Kind::Seq:
      return a.items == b.items;
    case Node::Kind::Map:
      if (a.fields.size() != b.fields.size()) return false;
      for (const Field& f : a.fields) {
        const Node* o = b.get(f.key);
        if (!o || !(*o == f.value)) return false;
      }
      return true;
  }
  return false;
}

namespace {

/// A read-only streambuf over text that is not copied.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

struct ParseAbort {
  YAML::Mark mark;
  std::string message;
};

/// Builds Node trees from yaml-cpp events. Iterative (an explicit stack), so nesting depth costs
/// heap, not C++ stack; the depth and node budget end hostile input early.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const ParseLimits& limits, std::vector<Node>& out) : limits_(limits), out_(out) {}

  void OnDocumentStart(const YAML::Mark&) override {
    stack_.clear();
    anchors_.clear();
    have_root_ = false;
  }
  void OnDocumentEnd() override {
    out_.push_back(have_root_ ? std::move(root_) : Node{});
    root_ = Node{};
    have_root_ = false;
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node n;
    place(n, mark);
    finish(std::move(n), anchor, mark);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      for (const Frame& f : stack_)
        if (f.anchor == anchor) throw ParseAbort{mark, "recursive alias"};
      throw ParseAbort{mark, "unknown alias"};
    }
    std::size_t n = it->second.size();
    aliased_ += n;
    if (aliased_ > limits_.max_alias_nodes)
      throw ParseAbort{mark, "aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                                 " nodes (alias bomb?)"};
    count(n, mark);
    Node copy = it->second;
    finish(std::move(copy), YAML::NullAnchor, mark, /*from_alias=*/true);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node n;
    place(n, mark);
    n.kind = Node::Kind::Scalar;
    // "?" = plain (type resolved later), "!" = quoted or block; explicit !!str forces a string.
    n.quoted = tag == "!" || tag == "tag:yaml.org,2002:str";
    n.value = value;
    finish(std::move(n), anchor, mark);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(Node::Kind::Seq, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(Node::Kind::Map, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = YAML::NullAnchor;
    YAML::Mark mark;
    bool has_key = false;
    Node key;
    std::vector<Node> merges;  // values of `<<` keys, applied at the end of the map
    std::unordered_set<std::string> seen;  // keys, once the map is large
  };

  static void place(Node& n, const YAML::Mark& mark) {
    n.line = mark.line + 1;
    n.column = mark.column + 1;
  }

  void count(std::size_t n, const YAML::Mark& mark) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes)
      throw ParseAbort{mark, "document too large: more than " + std::to_string(limits_.max_nodes) +
                                 " nodes after alias expansion (alias bomb?)"};
  }

  void open(Node::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      throw ParseAbort{mark, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels"};
    count(1, mark);
    Frame f;
    f.node.kind = kind;
    place(f.node, mark);
    f.anchor = anchor;
    f.mark = mark;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.node.is_map() && !f.merges.empty()) apply_merges(f);
    finish(std::move(f.node), f.anchor, f.mark);
  }

  // YAML merge keys: explicit keys win; among merged maps the first listed wins.
  void apply_merges(Frame& f) {
    std::vector<Field> merged;
    for (Node& m : f.merges) {
      std::vector<Node*> sources;
      if (m.is_map()) {
        sources.push_back(&m);
      } else if (m.is_seq()) {
        for (Node& i : m.items) {
          if (!i.is_map()) throw ParseAbort{f.mark, "map merge requires map or sequence of maps as the value"};
          sources.push_back(&i);
        }
      } else {
        throw ParseAbort{f.mark, "map merge requires map or sequence of maps as the value"};
      }
      for (Node* s : sources) {
        for (Field& fld : s->fields) {
          if (f.node.get(fld.key)) continue;
          bool dup = std::any_of(merged.begin(), merged.end(), [&](const Field& x) { return x.key == fld.key; });
          if (!dup) merged.push_back(fld);
        }
      }
    }
    for (Field& m : merged) f.node.fields.push_back(std::move(m));
  }

  void finish(Node n, YAML::anchor_t anchor, const YAML::Mark& mark, bool from_alias = false) {
    if (!from_alias) {
      if (!n.is_map() && !n.is_seq()) count(1, mark);
    }
    if (anchor != YAML::NullAnchor) anchors_[anchor] = n;  // a redefinition replaces the old one
    if (stack_.empty()) {
      root_ = std::move(n);
      have_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.is_seq()) {
      top.node.items.push_back(std::move(n));
      return;
    }
    if (!top.has_key) {
      top.key = std::move(n);
      top.has_key = true;
      return;
    }
    top.has_key = false;
    Node key = std::move(top.key);
    std::string name;
    if (key.is_scalar()) {
      name = key.value;
    } else if (key.is_null()) {
      name = "";
    } else {
      throw ParseAbort{mark, "complex (non-scalar) mapping keys are not supported"};
    }
    if (key.is_scalar() && !key.quoted && name == "<<") {
      top.merges.push_back(std::move(n));
      return;
    }
    bool dup = false;
    if (top.seen.empty() && top.node.fields.size() < 16) {
      dup = top.node.get(name) != nullptr;
    } else {
      if (top.seen.empty())
        for (const Field& fl : top.node.fields) top.seen.insert(fl.key);
      dup = !top.seen.insert(name).second;
    }
    if (dup) {
      const Node* first = top.node.get(name);
      YAML::Mark at = mark;
      at.line = key.line - 1;
      at.column = key.column - 1;
      throw ParseAbort{at, "mapping key \"" + name + "\" already defined at line " +
                               std::to_string(first ? first->line : 0)};
    }
    top.node.fields.push_back(Field{std::move(name), std::move(n)});
  }

  const ParseLimits& limits_;
  std::vector<Node>& out_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Node> anchors_;
  Node root_;
  bool have_root_ = false;
  std::size_t nodes_ = 0;
  std::size_t aliased_ = 0;
};

}  // namespace

ParsedYaml parse_yaml(std::string_view text, const ParseLimits& limits) {
  ParsedYaml out;
  ViewBuf buf(text);
  std::istream in(&buf);
  TreeBuilder builder(limits, out.documents);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
    }
  } catch (const ParseAbort& e) {
    out.error = YamlError{e.mark.line + 1, e.mark.column + 1, e.message};
  } catch (const YAML::Exception& e) {
    out.error = YamlError{e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1, e.msg};
  } catch (const std::exception& e) {
    out.error = YamlError{0, 0, e.what()};
  }
  if (out.error) out.documents.clear();
  return out;
}

namespace {

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  static const std::string_view kSpecial = ":#{}[],&*!|>'\"%@`";
  if (kSpecial.find(s[0]) != std::string_view::npos || s[0] == '-' || s[0] == '?' || s[0] == ' ' ||
      s.back() == ' ')
    return true;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.find('\n') != std::string::npos)
    return true;
  if (s == "true" || s == "false" || s == "null" || s == "~" || s == "yes" || s == "no" || s == "y" || s == "n")
    return true;
  bool numeric = std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e'; });
  return numeric;
}

std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default: o += c;
    }
  }
  return o + "\"";
}

std::string scalar_text(const Node& n) {
  if (n.is_null()) return "null";
  if (n.quoted && needs_quotes(n.value)) return quote(n.value);
  if (!n.quoted && n.value.find('\n') == std::string::npos && !n.value.empty()) return n.value;
  return needs_quotes(n.value) ? quote(n.value) : n.value;
}

void emit(const Node& n, int indent, std::string& out) {
  std::string pad(static_cast<std::size_t>(indent), ' ');
  if (n.is_map()) {
    if (n.fields.empty()) {
      out += "{}\n";
      return;
    }
    for (const Field& f : n.fields) {
      out += pad;
      out += needs_quotes(f.key) ? quote(f.key) : f.key;
      out += ':';
      if ((f.value.is_map() && !f.value.fields.empty()) || (f.value.is_seq() && !f.value.items.empty())) {
        out += '\n';
        emit(f.value, f.value.is_seq() ? indent : indent + 2, out);
      } else {
        out += ' ';
        emit(f.value, 0, out);
      }
    }
  } else if (n.is_seq()) {
    if (n.items.empty()) {
      out += "[]\n";
      return;
    }
    for (const Node& i : n.items) {
      out += pad;
      out += "- ";
      if ((i.is_map() && !i.fields.empty()) || (i.is_seq() && !i.items.empty())) {
        std::string sub;
        emit(i, indent + 2, sub);
        out += sub.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        emit(i, 0, out);
      }
    }
  } else {
    out += scalar_text(n);
    out += '\n';
  }
}

void json_string(const std::string& s, std::string& out) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '<': out += "\\u003c"; break;
        case '>': out += "\\u003e"; break;
        case '&': out += "\\u0026"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence; invalid bytes become U+FFFD as in Go.
    int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    bool ok = len > 0 && c < 0xF5 && i + static_cast<std::size_t>(len) <= s.size();
    std::uint32_t cp = 0;
    if (ok) {
      cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
      for (int k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((cc & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3F);
      }
      if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
        ok = false;
    }
    if (!ok) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (cp == 0x2028) {
      out += "\\u2028";
    } else if (cp == 0x2029) {
      out += "\\u2029";
    } else {
      out.append(s, i, static_cast<std::size_t>(len));
    }
    i += static_cast<std::size_t>(len);
  }
  out += '"';
}

void go_json(const Node& n, std::string& out) {
  switch (n.kind) {
    case Node::Kind::Null:
      out += "null";
      return;
    case Node::Kind::Scalar:
      json_string(n.value, out);
      return;
    case Node::Kind::Seq: {
      out += '[';
      bool first = true;
      for (const Node& i : n.items) {
        if (!first) out += ',';
        first = false;
        go_json(i, out);
      }
      out += ']';
      return;
    }
    case Node::Kind::Map: {
      std::vector<const Field*> sorted;
      for (const Field& f : n.fields) sorted.push_back(&f);
      std::sort(sorted.begin(), sorted.end(), [](const Field* a, const Field* b) { return a->key < b->key; });
      out += '{';
      bool first = true;
      for (const Field* f : sorted) {
        if (!first) out += ',';
        first = false;
        json_string(f->key, out);
        out += ':';
        go_json(f->value, out);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string to_yaml(const Node& node) {
  std::string out;
  emit(node, 0, out);
  return out;
}

std::string to_go_json(const Node& node) {
  std::string out;
  go_json(node, out);
  return out;
}

}  // namespace fluxsim::load
