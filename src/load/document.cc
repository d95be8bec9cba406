// SPDX-License-Identifier: Apache-2.0
#include "load/document.h"

#include <yaml.h>

#include <algorithm>
#include <iterator>
#include <cstdint>
#include <new>
#include <unordered_map>
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
    case Node::Kind::Map: {
      if (a.fields.size() != b.fields.size()) return false;
      // Same key order (the usual case): one pass. Otherwise an index of b's keys, not a scan per key.
      bool same_order = true;
      for (std::size_t i = 0; i < a.fields.size() && same_order; ++i) same_order = a.fields[i].key == b.fields[i].key;
      if (same_order) {
        for (std::size_t i = 0; i < a.fields.size(); ++i)
          if (!(a.fields[i].value == b.fields[i].value)) return false;
        return true;
      }
      std::unordered_map<std::string_view, const Node*> index;
      index.reserve(b.fields.size());
      for (const Field& f : b.fields) index.emplace(f.key, &f.value);
      for (const Field& f : a.fields) {
        auto it = index.find(f.key);
        if (it == index.end() || !(*it->second == f.value)) return false;
      }
      return true;
    }
  }
  return false;
}

namespace {

struct ParseAbort {
  int line = 0;  // 1-based
  int column = 0;
  std::string message;
};

int line_of(const yaml_mark_t& m) { return static_cast<int>(m.line) + 1; }
int column_of(const yaml_mark_t& m) { return static_cast<int>(m.column) + 1; }

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20)) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10)) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

/// Builds Node trees from libyaml's events. Iterative (an explicit stack), so nesting depth costs
/// heap, not C++ stack; every limit is counted as events arrive, before the tree holds what it limits.
class TreeBuilder {
 public:
  TreeBuilder(const ParseLimits& limits, std::vector<Node>& out) : limits_(limits), out_(out) {}

  void event(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        stack_.clear();
        fields_.clear();
        items_.clear();
        anchors_.clear();  // anchors do not cross document boundaries
        have_root_ = false;
        break;
      case YAML_DOCUMENT_END_EVENT:
        out_.push_back(have_root_ ? std::move(root_) : Node{});
        root_ = Node{};
        have_root_ = false;
        break;
      case YAML_ALIAS_EVENT:
        alias(e);
        break;
      case YAML_SCALAR_EVENT:
        scalar(e);
        break;
      case YAML_SEQUENCE_START_EVENT:
        open(Node::Kind::Seq, e.start_mark, e.data.sequence_start.anchor,
             e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE);
        break;
      case YAML_MAPPING_START_EVENT:
        open(Node::Kind::Map, e.start_mark, e.data.mapping_start.anchor,
             e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        close();
        break;
      default:
        break;
    }
  }

 private:
  // An open sequence or map. Its children wait in fields_ / items_ (from `first` on) until it closes,
  // and then move into a vector of their exact size: one allocation per container, no regrowth.
  struct Frame {
    Node node;
    std::string anchor;
    bool flow = false;
    bool has_key = false;
    std::size_t first = 0;                  // its first child in fields_ (map) or items_ (sequence)
    Node key;
    std::vector<Node> merges;               // values of `<<` keys, applied at the end of the map
    std::unordered_set<std::string> seen;   // keys, once the map is large
  };

  static void place(Node& n, const yaml_mark_t& mark) {
    n.line = line_of(mark);
    n.column = column_of(mark);
  }

  void count(std::size_t n, const yaml_mark_t& mark) {
    nodes_ += n;
    if (nodes_ > limits_.max_nodes)
      throw ParseAbort{line_of(mark), column_of(mark),
                       "document too large: more than " + std::to_string(limits_.max_nodes) +
                           " nodes after alias expansion (alias bomb?)"};
  }

  void alias(const yaml_event_t& e) {
    const std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      for (const Frame& f : stack_)
        if (f.anchor == name) throw ParseAbort{line_of(e.start_mark), column_of(e.start_mark), "recursive alias"};
      throw ParseAbort{line_of(e.start_mark), column_of(e.start_mark), "unknown alias \"" + name + "\""};
    }
    std::size_t n = it->second.size();
    aliased_ += n;
    if (aliased_ > limits_.max_alias_nodes)
      throw ParseAbort{line_of(e.start_mark), column_of(e.start_mark),
                       "aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                           " nodes (alias bomb?)"};
    count(n, e.start_mark);
    Node copy = it->second;
    place(copy, e.start_mark);
    finish(std::move(copy), nullptr, e.start_mark);
  }

  void scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    if (s.length > limits_.max_scalar_bytes)
      throw ParseAbort{line_of(e.start_mark), column_of(e.start_mark),
                       "a string of " + size_text(s.length) + " is longer than the " +
                           size_text(limits_.max_scalar_bytes) + " limit"};
    count(1, e.start_mark);
    Node n;
    place(n, e.start_mark);
    const char* tag = reinterpret_cast<const char*>(s.tag);
    const std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
    const bool plain = s.style == YAML_PLAIN_SCALAR_STYLE || s.style == YAML_ANY_SCALAR_STYLE;
    if (!tag && plain && (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")) {
      // An implicit empty value carries the mark of what follows it; Frame::add relocates it.
      implicit_empty_ = text.empty() && e.start_mark.index == e.end_mark.index;
      finish(std::move(n), s.anchor, e.start_mark);
      implicit_empty_ = false;
      return;
    }
    n.kind = Node::Kind::Scalar;
    const std::string_view t = tag ? std::string_view(tag) : std::string_view();
    n.tagged = tag && t != "!";
    n.quoted = t == "!" || t == "tag:yaml.org,2002:str" || (!tag && !plain);
    switch (s.style) {
      case YAML_SINGLE_QUOTED_SCALAR_STYLE: n.style = Node::Style::SingleQuoted; break;
      case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n.style = Node::Style::DoubleQuoted; break;
      case YAML_LITERAL_SCALAR_STYLE: n.style = Node::Style::Literal; break;
      case YAML_FOLDED_SCALAR_STYLE: n.style = Node::Style::Folded; break;
      default: n.style = Node::Style::Plain; break;
    }
    n.value.assign(text);
    finish(std::move(n), s.anchor, e.start_mark);
  }

  void open(Node::Kind kind, const yaml_mark_t& mark, const yaml_char_t* anchor, bool flow) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      throw ParseAbort{line_of(mark), column_of(mark),
                       "nested more than " + std::to_string(limits_.max_depth) + " levels deep"};
    count(1, mark);
    Frame& f = stack_.emplace_back();
    f.node.kind = kind;
    place(f.node, mark);
    if (anchor) f.anchor = reinterpret_cast<const char*>(anchor);
    f.flow = flow;
    f.first = kind == Node::Kind::Map ? fields_.size() : items_.size();
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (f.node.is_map()) {
      f.node.fields.reserve(fields_.size() - f.first);
      std::move(fields_.begin() + static_cast<std::ptrdiff_t>(f.first), fields_.end(), std::back_inserter(f.node.fields));
      fields_.resize(f.first);
    } else {
      f.node.items.reserve(items_.size() - f.first);
      std::move(items_.begin() + static_cast<std::ptrdiff_t>(f.first), items_.end(), std::back_inserter(f.node.items));
      items_.resize(f.first);
    }
    if (f.node.is_map() && !f.merges.empty()) apply_merges(f);
    yaml_mark_t mark{};
    mark.line = static_cast<std::size_t>(f.node.line - 1);
    mark.column = static_cast<std::size_t>(f.node.column - 1);
    if (f.anchor.empty()) {
      finish(std::move(f.node), nullptr, mark);
    } else {
      anchors_[f.anchor] = f.node;  // a redefinition replaces the old one (Go's yaml.v3 accepts it)
      finish(std::move(f.node), nullptr, mark);
    }
  }

  // YAML merge keys: explicit keys win; among merged maps the first listed wins. Linear in the keys.
  void apply_merges(Frame& f) {
    std::unordered_set<std::string_view> present;
    present.reserve(f.node.fields.size());
    for (const Field& fl : f.node.fields) present.insert(fl.key);
    std::vector<Field> merged;
    const ParseAbort bad{f.node.line, f.node.column, "map merge requires map or sequence of maps as the value"};
    for (Node& m : f.merges) {
      std::vector<Node*> sources;
      if (m.is_map()) {
        sources.push_back(&m);
      } else if (m.is_seq()) {
        for (Node& i : m.items) {
          if (!i.is_map()) throw bad;
          sources.push_back(&i);
        }
      } else {
        throw bad;
      }
      for (Node* s : sources) {
        for (Field& fld : s->fields) {
          if (present.count(fld.key)) continue;
          present.insert(fld.key);  // a view into the merged map, alive until this function returns
          merged.push_back(fld);
        }
      }
    }
    for (Field& m : merged) f.node.fields.push_back(std::move(m));
  }

  void finish(Node n, const yaml_char_t* anchor, const yaml_mark_t& mark) {
    if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = n;  // a redefinition replaces the old one
    if (stack_.empty()) {
      root_ = std::move(n);
      have_root_ = true;
      return;
    }
    Frame& top = stack_.back();
    if (top.node.is_seq()) {
      // An empty block list item: libyaml marks it just after its `-`; point at the dash.
      if (implicit_empty_ && !top.flow && n.column > 1) --n.column;
      items_.push_back(std::move(n));
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
      name = std::move(key.value);
    } else if (!key.is_null()) {
      throw ParseAbort{key.line, key.column, "complex (non-scalar) mapping keys are not supported"};
    }
    if (implicit_empty_) {  // `key:` with nothing after it: the value is where the key is
      n.line = key.line;
      n.column = key.column;
    }
    if (key.is_scalar() && !key.quoted && !key.tagged && name == "<<") {
      top.merges.push_back(std::move(n));
      return;
    }
    if (limits_.reject_duplicate_keys) {
      const auto begin = fields_.begin() + static_cast<std::ptrdiff_t>(top.first);
      const auto same = [&](const Field& fl) { return fl.key == name; };
      bool dup = false;
      if (top.seen.empty() && fields_.size() - top.first < 16) {
        dup = std::any_of(begin, fields_.end(), same);
      } else {
        if (top.seen.empty())
          for (auto it = begin; it != fields_.end(); ++it) top.seen.insert(it->key);
        dup = !top.seen.insert(name).second;
      }
      if (dup) {
        const int first_line = std::find_if(begin, fields_.end(), same)->line;
        throw ParseAbort{key.line, key.column,
                         "mapping key \"" + name + "\" already defined at line " + std::to_string(first_line)};
      }
    }
    (void)mark;
    fields_.push_back(Field{std::move(name), std::move(n), key.line, key.column});
  }

  const ParseLimits& limits_;
  std::vector<Node>& out_;
  std::vector<Frame> stack_;
  std::vector<Field> fields_;  // children of the open maps, innermost last
  std::vector<Node> items_;    // children of the open sequences, innermost last
  std::unordered_map<std::string, Node> anchors_;
  Node root_;
  bool have_root_ = false;
  bool implicit_empty_ = false;
  std::size_t nodes_ = 0;
  std::size_t aliased_ = 0;
};

/// libyaml's own error, at the position it stopped. A reader error (bad UTF-8) has a byte offset only.
YamlError parser_error(const yaml_parser_t& p, std::string_view text) {
  YamlError e;
  e.message = p.problem ? p.problem : "invalid YAML";
  if (p.error == YAML_READER_ERROR) {
    std::size_t offset = std::min(p.problem_offset, text.size());
    e.line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
    line_start = (line_start == std::string_view::npos || offset == 0) ? 0 : line_start + 1;
    e.column = static_cast<int>(offset - line_start) + 1;
    if (p.problem_value >= 0 && e.message.find("UTF") != std::string::npos) e.message += " (the file must be UTF-8)";
    return e;
  }
  // libyaml's problem alone, as Go's yaml.v3 (a port of libyaml, what Flux runs) words it.
  e.line = line_of(p.problem_mark);
  e.column = column_of(p.problem_mark);
  return e;
}

}  // namespace

ParsedYaml parse_yaml(std::string_view text, const ParseLimits& limits) {
  ParsedYaml out;
  if (text.size() > limits.max_file_bytes) {
    out.error = YamlError{1, 1, "the file is " + size_text(text.size()) + ", more than the " +
                                    size_text(limits.max_file_bytes) + " a YAML file may hold; it was not read"};
    return out;
  }
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) {
    out.error = YamlError{0, 0, "out of memory"};
    return out;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
  TreeBuilder builder(limits, out.documents);
  try {
    while (true) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        out.error = parser_error(parser, text);
        break;
      }
      const bool end = event.type == YAML_STREAM_END_EVENT;
      try {
        builder.event(event);
      } catch (...) {
        yaml_event_delete(&event);
        throw;
      }
      yaml_event_delete(&event);
      if (end) break;
    }
  } catch (const ParseAbort& e) {
    out.error = YamlError{e.line, e.column, e.message};
  } catch (const std::bad_alloc&) {
    out.error = YamlError{0, 0, "out of memory"};
  } catch (const std::exception& e) {
    out.error = YamlError{0, 0, e.what()};
  }
  yaml_parser_delete(&parser);
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
