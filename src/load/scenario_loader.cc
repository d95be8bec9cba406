// SPDX-License-Identifier: Apache-2.0
// Reads a scenario file (product.md §2) into a Scenario. yaml-cpp parses the text once; the document is
// copied into a small plain tree (DocNode) that keeps every key's and value's file:line:col, `--set`
// overrides are applied to that tree, and one decoder walks it against the schema, collecting every
// problem as a Diagnostic. Overrides therefore get exactly the validation the file gets.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "fluxsim/scenario.h"

namespace fluxsim {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kApiVersion = "fluxsim/v1alpha1";
constexpr std::string_view kKind = "Scenario";
/// Bounds that keep a hostile file (alias bombs, deep nesting) from exhausting memory or the stack.
constexpr std::size_t kMaxNodes = 200'000;
constexpr int kMaxDepth = 200;
/// Worker pools and Monte Carlo runs beyond these are typos, and would exhaust memory or never finish.
constexpr std::int64_t kMaxConcurrent = 10'000;
constexpr std::int64_t kMaxRuns = 1'000'000;

// ---------------------------------------------------------------------------------------------------
// The document as a plain tree.

struct DocEntry;

struct DocNode {
  enum class Type { Null, Scalar, Map, Seq };
  Type type = Type::Null;
  std::string scalar;
  bool plain = true;             ///< scalar written without quotes, block indicator or tag
  std::vector<DocEntry> map;     ///< in document order; duplicates kept (reported by the decoder)
  std::vector<DocNode> seq;
  SourceLocation where;          ///< where the value starts
  SourceLocation content_at;     ///< block scalars (`|`, `>`): first line of the content

  const DocEntry* entry(std::string_view key) const;
  DocEntry* entry(std::string_view key);
};

struct DocEntry {
  std::string key;
  SourceLocation key_at;
  DocNode value;
};

const DocEntry* DocNode::entry(std::string_view key) const {
  for (const DocEntry& e : map)
    if (e.key == key) return &e;
  return nullptr;
}

DocEntry* DocNode::entry(std::string_view key) {
  for (DocEntry& e : map)
    if (e.key == key) return &e;
  return nullptr;
}

/// How a value reads in a message: `a mapping`, `a list`, `null` or the text itself, quoted.
std::string describe(const DocNode& n) {
  switch (n.type) {
    case DocNode::Type::Null: return "null";
    case DocNode::Type::Map: return "a mapping";
    case DocNode::Type::Seq: return "a list";
    case DocNode::Type::Scalar: break;
  }
  std::string text = n.scalar;
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return fmt::format("\"{}\"", text);
}

SourceLocation location(const std::string& file, const YAML::Mark& m) {
  if (m.is_null() || m.line < 0) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

/// Copies a yaml-cpp document into a DocNode tree. When `fixed` is set (an override's value), every
/// node gets that location instead of a position inside the override text.
class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, std::string file, Diagnostics& diags, std::optional<SourceLocation> fixed)
      : text_(text), file_(std::move(file)), diags_(diags), fixed_(std::move(fixed)) {}

  DocNode build(const YAML::Node& root) {
    DocNode out = convert(root, 0, SourceLocation{file_, 1, 1});
    if (too_big_)
      diags_.error(fixed_ ? *fixed_ : SourceLocation{file_},
                   fmt::format("the document is too large or too deeply nested (limits: {} values, depth {}); "
                               "a scenario is a few hundred lines",
                               kMaxNodes, kMaxDepth));
    return out;
  }

  bool failed() const { return too_big_; }

 private:
  SourceLocation at(const YAML::Node& y, const SourceLocation& fallback) const {
    if (fixed_) return *fixed_;
    SourceLocation loc = location(file_, y.Mark());
    return loc.line > 0 ? loc : fallback;
  }

  /// For a block scalar the mark sits on its `|` or `>`; the content begins on the next line. The
  /// column is the content's indentation (of its first non-blank line), so that line k of the text
  /// is line content_at.line + k of the file.
  SourceLocation block_content_at(const YAML::Mark& m) const {
    if (fixed_ || m.is_null() || m.line < 0) return {};
    std::size_t pos = m.pos >= 0 ? static_cast<std::size_t>(m.pos) : text_.size();
    if (pos >= text_.size() || (text_[pos] != '|' && text_[pos] != '>')) {
      // Fall back to the line and column yaml-cpp reports.
      std::size_t line_start = 0;
      for (int line = 0; line < m.line && line_start != std::string_view::npos; ++line) {
        line_start = text_.find('\n', line_start);
        if (line_start != std::string_view::npos) ++line_start;
      }
      if (line_start == std::string_view::npos) return {};
      pos = line_start + static_cast<std::size_t>(std::max(0, m.column));
      if (pos >= text_.size() || (text_[pos] != '|' && text_[pos] != '>')) return {};
    }
    std::size_t next = text_.find('\n', pos);
    int column = 0;
    while (next != std::string_view::npos && next + 1 < text_.size()) {
      std::size_t start = next + 1;
      std::size_t end = text_.find('\n', start);
      std::string_view line = text_.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      std::size_t indent = line.find_first_not_of(' ');
      if (indent != std::string_view::npos && line.substr(indent) != "\r") {
        column = static_cast<int>(indent) + 1;
        break;
      }
      next = end;
    }
    return {file_, m.line + 2, column};
  }

  /// The `-` that introduces an empty list item whose (next-token) mark is `m`.
  SourceLocation dash_before(const YAML::Mark& m, const SourceLocation& fallback) const {
    if (fixed_ || m.is_null() || m.pos <= 0 || static_cast<std::size_t>(m.pos) > text_.size()) return fallback;
    std::size_t p = static_cast<std::size_t>(m.pos);
    while (p > 0 && (text_[p - 1] == ' ' || text_[p - 1] == '\t' || text_[p - 1] == '\n' || text_[p - 1] == '\r')) --p;
    if (p == 0 || text_[p - 1] != '-') return fallback;
    --p;
    std::size_t line_start = text_.rfind('\n', p);
    line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(p), '\n'));
    return {file_, line, static_cast<int>(p - line_start) + 1};
  }

  DocNode convert(const YAML::Node& y, int depth, const SourceLocation& fallback, bool in_list = false) {
    DocNode n;
    n.where = at(y, fallback);
    if (too_big_) return n;
    if (++count_ > kMaxNodes || depth > kMaxDepth) {
      too_big_ = true;
      return n;
    }
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        // yaml-cpp places an empty value's mark on the next token: an empty list item is found by
        // its dash just before that; an empty mapping value is reported at its key.
        n.where = in_list ? dash_before(y.Mark(), fallback) : fallback;
        break;
      case YAML::NodeType::Scalar: {
        n.type = DocNode::Type::Scalar;
        n.scalar = y.Scalar();
        n.plain = y.Tag() == "?";
        if (!n.plain) n.content_at = block_content_at(y.Mark());
        break;
      }
      case YAML::NodeType::Sequence:
        n.type = DocNode::Type::Seq;
        for (const YAML::Node& item : y) {
          n.seq.push_back(convert(item, depth + 1, n.where, true));
          if (too_big_) break;
        }
        break;
      case YAML::NodeType::Map:
        n.type = DocNode::Type::Map;
        for (const auto& kv : y) {
          DocEntry e;
          e.key_at = at(kv.first, n.where);
          if (kv.first.IsScalar()) {
            e.key = kv.first.Scalar();
          } else {
            diags_.error(e.key_at, "a mapping key must be a plain string");
            continue;
          }
          e.value = convert(kv.second, depth + 1, e.key_at);
          n.map.push_back(std::move(e));
          if (too_big_) break;
        }
        break;
    }
    return n;
  }

  std::string_view text_;
  std::string file_;
  Diagnostics& diags_;
  std::optional<SourceLocation> fixed_;
  std::size_t count_ = 0;
  bool too_big_ = false;
};

// ---------------------------------------------------------------------------------------------------
// Field-name suggestions ("did you mean ...?").

std::string fold(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The allowed name closest to `key` (case, '_' and '-' ignored), when it is close enough to be a typo.
std::optional<std::string_view> suggest(std::string_view key, std::initializer_list<std::string_view> allowed) {
  std::string k = fold(key);
  std::optional<std::string_view> best;
  // "allReady" -> "allReadyWithin": a truncated name is a better guess than a short near-miss.
  if (k.size() >= 4) {
    for (std::string_view a : allowed)
      if (fold(a).starts_with(k) && (!best || a.size() < best->size())) best = a;
    if (best) return best;
  }
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (std::string_view a : allowed) {
    std::size_t d = edit_distance(k, fold(a));
    if (d < best_distance) {
      best_distance = d;
      best = a;
    }
  }
  std::size_t limit = k.size() >= 8 ? 3 : k.size() >= 4 ? 2 : 1;
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

std::string join_names(std::span<const std::string_view> names) {
  std::string out;
  std::size_t i = 0;
  for (std::string_view n : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += n;
    ++i;
  }
  return out;
}

std::string child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string item(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

bool is_identifier(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

bool is_api_group(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '.' ||
           c == '-';
  });
}

/// "v1", "v1beta1", "v2alpha3": an API version written where a group belongs.
bool looks_like_version(std::string_view s) {
  if (s.size() < 2 || s[0] != 'v' || !std::isdigit(static_cast<unsigned char>(s[1]))) return false;
  std::size_t i = 1;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == s.size()) return true;
  std::string_view rest = s.substr(i);
  for (std::string_view stage : {"alpha", "beta"}) {
    if (rest.starts_with(stage)) {
      rest.remove_prefix(stage.size());
      return !rest.empty() && std::all_of(rest.begin(), rest.end(),
                                          [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    }
  }
  return false;
}

/// A relative path inside the repository, normalised: "./clusters/prod/" -> "clusters/prod", "./" -> ".".
/// Returns nullopt when it is absolute or climbs out of the repository.
std::optional<std::string> repo_relative(std::string_view text) {
  fs::path p(text);
  if (p.is_absolute()) return std::nullopt;
  std::string norm = p.lexically_normal().generic_string();
  while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
  if (norm.empty()) norm = ".";
  if (norm == ".." || norm.starts_with("../")) return std::nullopt;
  return norm;
}

// ---------------------------------------------------------------------------------------------------
// The decoder: the schema of product.md §2, one function per object.

enum class Bound { NonNegative, Positive };

class Decoder;

/// A mapping being decoded: reports a wrong type, unknown and duplicate keys when constructed, then
/// hands out values by key. `path` is the field path used in messages ("controllers.kustomize").
class MapReader {
 public:
  /// `name` labels the mapping in messages ("spec", "controllers.kustomize", "" = the document itself);
  /// `path` prefixes its fields' paths ("" for spec, whose fields are named as `--set` names them).
  MapReader(Decoder& dec, const DocNode* node, std::string name, std::string path,
            std::initializer_list<std::string_view> allowed);
  MapReader(Decoder& dec, const DocNode* node, const std::string& path, std::initializer_list<std::string_view> allowed)
      : MapReader(dec, node, path, path, allowed) {}

  /// The value of `key`, or nullptr when it is absent or null (null means "use the default").
  const DocNode* get(std::string_view key) const {
    if (!is_map_) return nullptr;
    const DocEntry* e = node_->entry(key);
    return e && e->value.type != DocNode::Type::Null ? &e->value : nullptr;
  }
  bool has(std::string_view key) const { return is_map_ && node_->entry(key) != nullptr; }
  const SourceLocation& key_at(std::string_view key) const {
    const DocEntry* e = is_map_ ? node_->entry(key) : nullptr;
    return e ? e->key_at : where();
  }
  std::string path(std::string_view key) const { return child(path_, key); }
  const std::string& path() const { return path_; }
  const SourceLocation& where() const { return node_ ? node_->where : empty_; }
  /// True when the node is a mapping (false for a missing or null node, and for a type error).
  bool ok() const { return is_map_; }
  /// Reports a required key that is absent (or null).
  bool require(std::string_view key) const;

 private:
  Decoder& dec_;
  const DocNode* node_;
  std::string name_;
  std::string path_;
  bool is_map_ = false;
  SourceLocation empty_;
};

class Decoder {
 public:
  Decoder(Diagnostics& diags, std::string file) : diags_(diags), file_(std::move(file)) {}

  void error(const SourceLocation& at, std::string message) { diags_.error(at, std::move(message)); }
  void warning(const SourceLocation& at, std::string message) { diags_.warning(at, std::move(message)); }

  /// "in spec", "in controllers.kustomize", "at the top level": where an unknown key was found.
  static std::string container(std::string_view name) {
    if (name.empty()) return "at the top level";
    return fmt::format("in {}", name);
  }

  // --- scalars: each returns true when a valid value was stored in `out` ---

  bool string(const DocNode* n, std::string_view path, std::string& out) {
    if (!n) return false;
    if (n->type != DocNode::Type::Scalar) {
      error(n->where, fmt::format("{}: expected a string, got {}", path, describe(*n)));
      return false;
    }
    out = n->scalar;
    return true;
  }

  bool nonempty_string(const DocNode* n, std::string_view path, std::string& out) {
    std::string v;
    if (!string(n, path, v)) return false;
    if (v.empty()) {
      error(n->where, fmt::format("{} must not be empty", path));
      return false;
    }
    out = std::move(v);
    return true;
  }

  bool integer(const DocNode* n, std::string_view path, std::int64_t min, std::int64_t max, std::int64_t& out) {
    if (!n) return false;
    std::int64_t v = 0;
    if (n->type != DocNode::Type::Scalar || !n->plain) {
      error(n->where, fmt::format("{}: expected an integer, got {}", path, describe(*n)));
      return false;
    }
    const std::string& s = n->scalar;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      error(n->where, fmt::format("{}: {} is out of range", path, s));
      return false;
    }
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      error(n->where, fmt::format("{}: expected an integer, got {}", path, describe(*n)));
      return false;
    }
    if (v < min || v > max) {
      if (max >= std::numeric_limits<int>::max())
        error(n->where, fmt::format("{} must be at least {}, got {}", path, min, v));
      else
        error(n->where, fmt::format("{} must be between {} and {}, got {}", path, min, max, v));
      return false;
    }
    out = v;
    return true;
  }

  bool integer(const DocNode* n, std::string_view path, std::int64_t min, std::int64_t max, int& out) {
    std::int64_t v = 0;
    if (!integer(n, path, min, max, v)) return false;
    out = static_cast<int>(v);
    return true;
  }

  bool unsigned64(const DocNode* n, std::string_view path, std::uint64_t& out) {
    if (!n) return false;
    if (n->type != DocNode::Type::Scalar || !n->plain) {
      error(n->where, fmt::format("{}: expected a non-negative integer, got {}", path, describe(*n)));
      return false;
    }
    const std::string& s = n->scalar;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      error(n->where, fmt::format("{}: {} is out of range (at most {})", path, s,
                                  std::numeric_limits<std::uint64_t>::max()));
      return false;
    }
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      error(n->where, fmt::format("{}: expected a non-negative integer, got {}", path, describe(*n)));
      return false;
    }
    out = v;
    return true;
  }

  bool boolean(const DocNode* n, std::string_view path, bool& out) {
    if (!n) return false;
    if (n->type == DocNode::Type::Scalar && n->plain) {
      const std::string& s = n->scalar;
      if (s == "true" || s == "True" || s == "TRUE") {
        out = true;
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        out = false;
        return true;
      }
    }
    error(n->where, fmt::format("{}: expected true or false, got {}", path, describe(*n)));
    return false;
  }

  /// A non-negative number (timing.capacity parameters).
  bool real(const DocNode* n, std::string_view path, double& out) {
    if (!n) return false;
    double v = 0;
    const std::string& s = n->type == DocNode::Type::Scalar ? n->scalar : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (n->type != DocNode::Type::Scalar || s.empty() || ec != std::errc() || end != s.data() + s.size() ||
        !(v >= 0) || v > 1e6) {
      error(n->where, fmt::format("{}: expected a non-negative number, got {}", path, describe(*n)));
      return false;
    }
    out = v;
    return true;
  }

  /// A CPU quantity as Kubernetes writes it: cores ("2", "1.5") or millicores ("500m"); 0 = no limit.
  bool cpu_quantity(const DocNode* n, std::string_view path, double& out) {
    if (!n) return false;
    std::optional<double> v = n->type == DocNode::Type::Scalar ? parse_cpu_quantity(n->scalar) : std::nullopt;
    if (!v) {
      error(n->where, fmt::format("{}: expected CPU cores such as 2, 1.5 or 500m (0: no limit), got {}", path,
                                  describe(*n)));
      return false;
    }
    out = *v;
    return true;
  }

  /// A fixed Go duration ("90s", "1m30s").
  bool duration(const DocNode* n, std::string_view path, Bound bound, Duration& out) {
    if (!n) return false;
    if (n->type != DocNode::Type::Scalar) {
      error(n->where, fmt::format("{}: expected a duration such as 30s or 1m30s, got {}", path, describe(*n)));
      return false;
    }
    DurationParse d = parse_duration(n->scalar);
    if (!d.value) {
      if (n->scalar.find('(') != std::string::npos && parse_distribution(n->scalar).error.empty())
        error(n->where, fmt::format("{} takes a fixed duration, not a distribution (got {})", path, describe(*n)));
      else
        error(n->where, fmt::format("{}: {}", path, d.error));
      return false;
    }
    if (d.value->count() < 0 || (bound == Bound::Positive && d.value->count() == 0)) {
      error(n->where, fmt::format("{} must be {}, got {}", path,
                                  bound == Bound::Positive ? "greater than zero" : "zero or more", n->scalar));
      return false;
    }
    out = *d.value;
    return true;
  }

  /// A duration or a distribution ("45s", "uniform(20s, 60s)").
  bool distribution(const DocNode* n, std::string_view path, Distribution& out) {
    if (!n) return false;
    if (n->type != DocNode::Type::Scalar) {
      error(n->where,
            fmt::format("{}: expected a duration or a distribution such as uniform(20s, 60s), got {}", path,
                        describe(*n)));
      return false;
    }
    DistributionParse d = parse_distribution(n->scalar);
    if (!d.error.empty()) {
      error(n->where, fmt::format("{}: {}", path, d.error));
      return false;
    }
    out = d.value;
    return true;
  }

  /// A list; reports any other type. Null or absent gives an empty list.
  const std::vector<DocNode>* list(const DocNode* n, std::string_view path) {
    if (!n) return nullptr;
    if (n->type != DocNode::Type::Seq) {
      error(n->where, fmt::format("{}: expected a list, got {}", path, describe(*n)));
      return nullptr;
    }
    return &n->seq;
  }

  /// "name" or "namespace/name" of a Kustomization (expect.ready, expect.before).
  bool kustomization_name(const DocNode* n, std::string_view path, std::string& out) {
    std::string v;
    if (!nonempty_string(n, path, v)) return false;
    std::size_t slash = v.find('/');
    bool bad = slash != std::string::npos &&
               (slash == 0 || slash + 1 == v.size() || v.find('/', slash + 1) != std::string::npos);
    if (bad) {
      error(n->where, fmt::format("{}: \"{}\" is not a Kustomization name (write name or namespace/name)", path, v));
      return false;
    }
    out = std::move(v);
    return true;
  }

  // --- objects ---

  void document(const DocNode& root, Scenario& s);
  void metadata(const DocNode* n, Scenario& s);
  void spec(const DocNode* n, Scenario& s);
  void root(const DocNode* n, std::string_view path, RootSettings& r);
  void sources(const DocNode* n, std::string_view path, std::vector<SourceMapping>& out);
  void controllers(const DocNode* n, std::string_view path, Controllers& c);
  void timing(const DocNode* n, std::string_view path, Timing& t);
  bool match(const DocNode* n, std::string_view path, Match& m);
  void provides(const DocNode* n, std::string_view path, std::vector<ProvidesRule>& out);
  void faults(const DocNode* n, std::string_view path, std::vector<Fault>& out);
  void fault(const DocNode& n, std::string_view path, Fault& f, bool& ok);
  void expect(const DocNode* n, std::string_view path, Expectations& e);

  const std::string& file() const { return file_; }
  /// Locations of fields the filesystem checks point at (repo:, entry:, sources[i].path:).
  SourceLocation repo_at, entry_at;
  bool repo_given = false;
  /// apiVersion or kind say this is not a scenario: nothing else was decoded.
  bool not_a_scenario = false;
  std::vector<SourceLocation> source_path_at;

 private:
  Diagnostics& diags_;
  std::string file_;
};

MapReader::MapReader(Decoder& dec, const DocNode* node, std::string name, std::string path,
                     std::initializer_list<std::string_view> allowed)
    : dec_(dec), node_(node), name_(std::move(name)), path_(std::move(path)) {
  if (!node || node->type == DocNode::Type::Null) return;
  if (node->type != DocNode::Type::Map) {
    dec_.error(node->where, fmt::format("{}: expected a mapping, got {}", name_.empty() ? "scenario" : name_,
                                        describe(*node)));
    return;
  }
  is_map_ = true;
  for (std::size_t i = 0; i < node->map.size(); ++i) {
    const DocEntry& e = node->map[i];
    if (std::find(allowed.begin(), allowed.end(), e.key) == allowed.end()) {
      std::optional<std::string_view> s = suggest(e.key, allowed);
      dec_.error(e.key_at, fmt::format("unknown field '{}' {}{}", e.key, Decoder::container(name_),
                                       s ? fmt::format(" (did you mean '{}'?)", *s) : std::string()));
      continue;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (node->map[j].key == e.key) {
        const SourceLocation& first = node->map[j].key_at;
        dec_.error(e.key_at, fmt::format("duplicate field '{}' {}{}", e.key, Decoder::container(name_),
                                         first.line > 0 && first.file == e.key_at.file
                                             ? fmt::format(" (first at line {})", first.line)
                                             : std::string()));
        break;
      }
    }
  }
}

bool MapReader::require(std::string_view key) const {
  if (!is_map_ || get(key)) return true;
  dec_.error(has(key) ? key_at(key) : where(),
             fmt::format("{}: missing required field '{}'", name_.empty() ? "scenario" : name_, key));
  return false;
}

void Decoder::document(const DocNode& doc, Scenario& s) {
  MapReader top(*this, &doc, "", "", {"apiVersion", "kind", "metadata", "spec"});
  if (!top.ok()) return;
  // apiVersion and kind first: when they are wrong, the rest is some other kind of file and its fields
  // would only produce noise.
  const DocNode* api_node = top.get("apiVersion");
  const DocNode* kind_node = top.get("kind");
  std::string api_version, kind;
  bool wrong = false;
  if (!api_node && !kind_node) {
    error(doc.where, fmt::format("not a fluxsim scenario: missing apiVersion and kind (a scenario starts with "
                                 "'apiVersion: {}' and 'kind: {}')",
                                 kApiVersion, kKind));
    wrong = true;
  }
  if (api_node) {
    if (!string(api_node, "apiVersion", api_version)) {
      wrong = true;
    } else if (api_version != kApiVersion) {
      error(api_node->where, fmt::format("apiVersion '{}' is not supported: expected '{}'", api_version, kApiVersion));
      wrong = true;
    }
  } else if (kind_node) {
    error(doc.where, fmt::format("missing apiVersion: a scenario starts with 'apiVersion: {}'", kApiVersion));
  }
  if (kind_node) {
    if (!string(kind_node, "kind", kind)) {
      wrong = true;
    } else if (kind != kKind) {
      Diagnostic& d = diags_.error(kind_node->where,
                                   fmt::format("kind '{}' is not a {}: expected 'kind: {}'", kind, kKind, kKind));
      if (api_version != kApiVersion && !api_version.empty())
        d.hint = "this is a Kubernetes manifest; to simulate a repository, pass its directory instead";
      wrong = true;
    }
  } else if (api_node) {
    error(doc.where, fmt::format("missing kind: a scenario has 'kind: {}'", kKind));
  }
  not_a_scenario = wrong;
  if (wrong) return;
  metadata(top.get("metadata"), s);
  spec(top.get("spec"), s);
}

void Decoder::metadata(const DocNode* n, Scenario& s) {
  MapReader m(*this, n, "metadata", {"name", "description"});
  nonempty_string(m.get("name"), m.path("name"), s.name);
  string(m.get("description"), m.path("description"), s.description);
}

void Decoder::spec(const DocNode* n, Scenario& s) {
  // Fields below spec are named without the "spec." prefix, as `--set` names them.
  MapReader sp(*this, n, "spec", "", {"repo", "entry", "root", "manifests", "sources", "controllers", "timing", "provides",
                              "faults", "horizon", "seed", "runs", "expect"});
  if (nonempty_string(sp.get("repo"), "repo", s.repo)) {
    repo_at = sp.get("repo")->where;
    repo_given = true;
  }
  if (const DocNode* e = sp.get("entry")) {
    std::string entry;
    if (string(e, "entry", entry)) {
      entry_at = e->where;
      if (entry.empty()) {
        s.entry.clear();  // explicit "": discover it, like no entry at all
      } else if (std::optional<std::string> rel = repo_relative(entry)) {
        s.entry = *rel;
      } else {
        error(e->where, fmt::format("entry \"{}\" must be a path inside the repository (relative, without "
                                    "leading ..)",
                                    entry));
      }
    }
  }
  root(sp.get("root"), "root", s.root);
  if (const DocNode* m = sp.get("manifests")) {
    if (string(m, "manifests", s.manifests)) s.manifests_at = m->content_at.known() ? m->content_at : m->where;
  }
  sources(sp.get("sources"), "sources", s.sources);
  controllers(sp.get("controllers"), "controllers", s.controllers);
  timing(sp.get("timing"), "timing", s.timing);
  provides(sp.get("provides"), "provides", s.provides);
  faults(sp.get("faults"), "faults", s.faults);
  duration(sp.get("horizon"), "horizon", Bound::Positive, s.horizon);
  unsigned64(sp.get("seed"), "seed", s.seed);
  integer(sp.get("runs"), "runs", 1, kMaxRuns, s.runs);
  expect(sp.get("expect"), "expect", s.expect);
  if (s.expect.all_ready_within && *s.expect.all_ready_within > s.horizon) {
    const DocNode* e = sp.get("expect");
    warning(e ? e->where : sp.where(),
            fmt::format("expect.allReadyWithin {} is beyond the horizon {}: the run stops at the horizon, so it "
                        "means \"all Ready by {}\"",
                        format_duration(*s.expect.all_ready_within), format_duration(s.horizon),
                        format_duration(s.horizon)));
  }
}

void Decoder::root(const DocNode* n, std::string_view path, RootSettings& r) {
  MapReader m(*this, n, std::string(path), {"name", "namespace", "interval"});
  nonempty_string(m.get("name"), m.path("name"), r.name);
  nonempty_string(m.get("namespace"), m.path("namespace"), r.ns);
  duration(m.get("interval"), m.path("interval"), Bound::Positive, r.interval);
}

constexpr std::string_view kSourceKinds[] = {"GitRepository", "OCIRepository", "Bucket", "HelmRepository",
                                             "ExternalArtifact", "HelmChart"};

bool source_kind(Decoder& dec, const DocNode* n, std::string_view path, std::string& out) {
  std::string kind;
  if (!dec.string(n, path, kind)) return false;
  if (std::find(std::begin(kSourceKinds), std::end(kSourceKinds), kind) == std::end(kSourceKinds)) {
    dec.error(n->where, fmt::format("{}: '{}' is not a Flux source kind (one of {})", path, kind,
                                    join_names(kSourceKinds)));
    return false;
  }
  out = std::move(kind);
  return true;
}

void Decoder::sources(const DocNode* n, std::string_view path, std::vector<SourceMapping>& out) {
  const std::vector<DocNode>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const DocNode& it = (*items)[i];
    std::string p = item(path, i);
    MapReader m(*this, &it, p, {"kind", "name", "namespace", "path", "fetch"});
    if (!m.ok()) {
      if (it.type == DocNode::Type::Null) error(it.where, fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    SourceMapping s;
    s.where = it.where;
    m.require("name");
    source_kind(*this, m.get("kind"), m.path("kind"), s.kind);
    nonempty_string(m.get("name"), m.path("name"), s.name);
    nonempty_string(m.get("namespace"), m.path("namespace"), s.ns);
    SourceLocation path_at = it.where;
    std::string dir;
    if (nonempty_string(m.get("path"), m.path("path"), dir)) {
      path_at = m.get("path")->where;
      if (std::optional<std::string> rel = repo_relative(dir))
        s.path = *rel;
      else
        error(path_at, fmt::format("{}: \"{}\" must be a directory inside the repository (relative, without "
                                   "leading ..)",
                                   m.path("path"), dir));
    }
    s.fetch_given = distribution(m.get("fetch"), m.path("fetch"), s.fetch) && m.get("fetch");
    for (const SourceMapping& other : out) {
      if (other.kind == s.kind && other.ns == s.ns && other.name == s.name && !s.name.empty()) {
        error(it.where, fmt::format("{}: {} {}/{} is already mapped{}", p, s.kind, s.ns, s.name,
                                    other.where.line > 0 ? fmt::format(" at line {}", other.where.line) : ""));
        break;
      }
    }
    out.push_back(std::move(s));
    source_path_at.push_back(path_at);
  }
}

void Decoder::controllers(const DocNode* n, std::string_view path, Controllers& c) {
  MapReader m(*this, n, std::string(path), {"kustomize", "source", "helm"});
  {
    MapReader k(*this, m.get("kustomize"), m.path("kustomize"),
                {"concurrent", "requeueDependency", "intervalJitterPercent", "healthPollInterval",
                 "firstReconcileDelay", "stageWaitTimeout", "cpu"});
    KustomizeControllerSettings& s = c.kustomize;
    auto mark = [&](const DocNode* v, const char* field) {
      if (v && v->type != DocNode::Type::Null) c.set_in_scenario.emplace_back(field);
    };
    mark(k.get("concurrent"), "kustomize.concurrent");
    mark(k.get("requeueDependency"), "kustomize.requeueDependency");
    mark(k.get("intervalJitterPercent"), "kustomize.intervalJitterPercent");
    mark(k.get("firstReconcileDelay"), "kustomize.firstReconcileDelay");
    mark(k.get("cpu"), "kustomize.cpu");
    cpu_quantity(k.get("cpu"), k.path("cpu"), s.cpu_limit);
    integer(k.get("concurrent"), k.path("concurrent"), 1, kMaxConcurrent, s.concurrent);
    duration(k.get("requeueDependency"), k.path("requeueDependency"), Bound::Positive, s.requeue_dependency);
    // kustomize-controller's --interval-jitter-percentage: "It cannot be negative, and must be less than 100."
    integer(k.get("intervalJitterPercent"), k.path("intervalJitterPercent"), 0, 99, s.interval_jitter_percent);
    duration(k.get("healthPollInterval"), k.path("healthPollInterval"), Bound::Positive, s.health_poll_interval);
    duration(k.get("firstReconcileDelay"), k.path("firstReconcileDelay"), Bound::NonNegative,
             s.first_reconcile_delay);
    duration(k.get("stageWaitTimeout"), k.path("stageWaitTimeout"), Bound::Positive, s.stage_wait_timeout);
  }
  {
    MapReader src(*this, m.get("source"), m.path("source"), {"concurrent"});
    if (const DocNode* v = src.get("concurrent"); v && v->type != DocNode::Type::Null) c.set_in_scenario.emplace_back("source.concurrent");
    integer(src.get("concurrent"), src.path("concurrent"), 1, kMaxConcurrent, c.source.concurrent);
  }
  {
    MapReader h(*this, m.get("helm"), m.path("helm"), {"concurrent", "requeueDependency", "cpu"});
    if (const DocNode* v = h.get("cpu"); v && v->type != DocNode::Type::Null) c.set_in_scenario.emplace_back("helm.cpu");
    cpu_quantity(h.get("cpu"), h.path("cpu"), c.helm.cpu_limit);
    if (const DocNode* v = h.get("concurrent"); v && v->type != DocNode::Type::Null) c.set_in_scenario.emplace_back("helm.concurrent");
    if (const DocNode* v = h.get("requeueDependency"); v && v->type != DocNode::Type::Null)
      c.set_in_scenario.emplace_back("helm.requeueDependency");
    integer(h.get("concurrent"), h.path("concurrent"), 1, kMaxConcurrent, c.helm.concurrent);
    duration(h.get("requeueDependency"), h.path("requeueDependency"), Bound::Positive, c.helm.requeue_dependency);
  }
}

void Decoder::timing(const DocNode* n, std::string_view path, Timing& t) {
  MapReader m(*this, n, std::string(path), {"build", "applyPerObject", "ready", "fetch", "capacity"});
  distribution(m.get("build"), m.path("build"), t.build);
  distribution(m.get("applyPerObject"), m.path("applyPerObject"), t.apply_per_object);
  {
    // timing.fetch: {OCIRepository: 2s, HelmChart: 3s, ...}
    MapReader f(*this, m.get("fetch"), m.path("fetch"),
                {"GitRepository", "OCIRepository", "Bucket", "HelmRepository", "ExternalArtifact", "HelmChart"});
    for (std::string_view kind : kSourceKinds) {
      Distribution d;
      if (f.get(kind) && distribution(f.get(kind), f.path(kind), d)) t.fetch.emplace_back(std::string(kind), std::move(d));
    }
  }
  {
    MapReader c(*this, m.get("capacity"), m.path("capacity"), {"passCpu", "pollCpu", "contention"});
    real(c.get("passCpu"), c.path("passCpu"), t.capacity.pass_cpu);
    real(c.get("pollCpu"), c.path("pollCpu"), t.capacity.poll_cpu);
    real(c.get("contention"), c.path("contention"), t.capacity.contention);
  }
  const std::vector<DocNode>* rules = list(m.get("ready"), m.path("ready"));
  if (!rules) return;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const DocNode& it = (*rules)[i];
    std::string p = item(m.path("ready"), i);
    MapReader r(*this, &it, p, {"match", "after"});
    if (!r.ok()) {
      if (it.type == DocNode::Type::Null) error(it.where, fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    ReadyRule rule;
    bool ok = r.require("match");
    ok &= r.require("after");
    ok &= match(r.get("match"), r.path("match"), rule.match) || !r.get("match");
    ok &= distribution(r.get("after"), r.path("after"), rule.after) || !r.get("after");
    if (ok) t.ready.push_back(std::move(rule));
  }
}

/// `kind: [group/]Kind`, `namespace`, `name`, `kustomization`; `*` globs anywhere. At least one field.
bool Decoder::match(const DocNode* n, std::string_view path, Match& out) {
  if (!n) return false;
  MapReader m(*this, n, std::string(path), {"kind", "namespace", "name", "kustomization"});
  if (!m.ok()) return false;
  Match r;
  r.where = n->where;
  bool ok = true;
  std::string kind;
  if (nonempty_string(m.get("kind"), m.path("kind"), kind)) {
    std::size_t slash = kind.find('/');
    if (slash == std::string::npos) {
      r.kind = kind;
    } else {
      std::string_view group = std::string_view(kind).substr(0, slash);
      std::string_view k = std::string_view(kind).substr(slash + 1);
      if (group.empty() || k.empty() || k.find('/') != std::string_view::npos) {
        error(m.get("kind")->where, fmt::format("{}: \"{}\" is not a kind (write Kind or group/Kind)", m.path("kind"),
                                                kind));
        ok = false;
      } else if (looks_like_version(group)) {
        error(m.get("kind")->where,
              fmt::format("{}: \"{}\" names an API version, not a group (write {} or group/{})", m.path("kind"),
                          kind, k, k));
        ok = false;
      } else {
        r.group = std::string(group);
        r.kind = std::string(k);
      }
    }
  } else if (m.get("kind")) {
    ok = false;
  }
  ok &= nonempty_string(m.get("namespace"), m.path("namespace"), r.ns) || !m.get("namespace");
  ok &= nonempty_string(m.get("name"), m.path("name"), r.name) || !m.get("name");
  ok &= nonempty_string(m.get("kustomization"), m.path("kustomization"), r.kustomization) ||
        !m.get("kustomization");
  if (ok && r.empty()) {
    error(n->where, fmt::format("{} selects nothing: give kind, namespace, name or kustomization (kind: \"*\" "
                                "matches every object)",
                                path));
    return false;
  }
  if (ok) out = std::move(r);
  return ok;
}

void Decoder::provides(const DocNode* n, std::string_view path, std::vector<ProvidesRule>& out) {
  const std::vector<DocNode>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const DocNode& it = (*items)[i];
    std::string p = item(path, i);
    MapReader m(*this, &it, p, {"by", "kinds"});
    if (!m.ok()) {
      if (it.type == DocNode::Type::Null) error(it.where, fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    ProvidesRule rule;
    rule.where = it.where;
    bool ok = m.require("by");
    ok &= m.require("kinds");
    ok &= match(m.get("by"), m.path("by"), rule.by) || !m.get("by");
    const std::vector<DocNode>* kinds = list(m.get("kinds"), m.path("kinds"));
    if (m.get("kinds") && !kinds) ok = false;
    if (kinds && kinds->empty()) {
      error(m.get("kinds")->where, fmt::format("{} is empty: list the kinds the operator registers", m.path("kinds")));
      ok = false;
    }
    for (std::size_t k = 0; kinds && k < kinds->size(); ++k) {
      const DocNode& kn = (*kinds)[k];
      std::string kp = item(m.path("kinds"), k);
      std::string text;
      if (!nonempty_string(&kn, kp, text)) {
        ok = false;
        continue;
      }
      std::size_t slash = text.find('/');
      std::string_view group = slash == std::string::npos ? std::string_view() : std::string_view(text).substr(0, slash);
      std::string_view kind = slash == std::string::npos ? std::string_view(text) : std::string_view(text).substr(slash + 1);
      std::string problem;
      if (slash != std::string::npos && looks_like_version(group))
        problem = fmt::format("'{}' is an API version, not a group", group);
      else if (slash != std::string::npos && !is_api_group(group))
        problem = fmt::format("'{}' is not an API group", group);
      else if (kind == "*" && slash == std::string::npos)
        problem = "'*' alone would provide every kind";
      else if (kind != "*" && !is_identifier(kind))
        problem = fmt::format("'{}' is not a kind", kind);
      if (!problem.empty()) {
        error(kn.where, fmt::format("{}: \"{}\": {} (write group/Kind, group/* or Kind)", kp, text, problem));
        ok = false;
        continue;
      }
      rule.kinds.push_back(std::move(text));
    }
    if (ok) out.push_back(std::move(rule));
  }
}

/// The action keys of a fault, with the target each one needs.
struct FaultAction {
  std::string_view key;
  std::string_view target;
  std::string_view what;  ///< how the target is described in messages
};
constexpr FaultAction kFaultActions[] = {
    {"readyAt", "match", "the objects it delays"},
    {"neverReady", "match", "the objects that never become ready"},
    {"failedAt", "match", "the objects that fail"},
    {"failApplies", "kustomization", "{name, namespace} of the Kustomization whose applies fail"},
    {"unavailable", "source", "{name, kind, namespace} of the source"},
    {"restartAt", "controller", "kustomize, helm or source"},
};

void Decoder::faults(const DocNode* n, std::string_view path, std::vector<Fault>& out) {
  const std::vector<DocNode>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const DocNode& it = (*items)[i];
    Fault f;
    bool ok = true;
    fault(it, item(path, i), f, ok);
    if (ok) out.push_back(std::move(f));
  }
}

void Decoder::fault(const DocNode& n, std::string_view path, Fault& f, bool& ok) {
  MapReader m(*this, &n, std::string(path),
              {"match", "kustomization", "source", "controller", "readyAt", "neverReady", "failedAt", "failApplies",
               "unavailable", "restartAt"});
  if (!m.ok()) {
    if (n.type == DocNode::Type::Null) error(n.where, fmt::format("{}: expected a mapping, got null", path));
    ok = false;
    return;
  }
  f.where = n.where;
  std::vector<const FaultAction*> actions;
  for (const FaultAction& a : kFaultActions)
    if (m.has(a.key)) actions.push_back(&a);
  if (actions.empty()) {
    error(n.where, fmt::format("{}: no action: give one of readyAt, neverReady, failedAt, failApplies, unavailable "
                               "or restartAt",
                               path));
    ok = false;
    return;
  }
  if (actions.size() > 1) {
    std::string names;
    for (const FaultAction* a : actions) names += (names.empty() ? "" : ", ") + std::string(a->key);
    error(n.where, fmt::format("{}: several actions ({}): a fault takes exactly one; write one fault per action",
                               path, names));
    ok = false;
    return;
  }
  const FaultAction& action = *actions.front();
  for (std::string_view target : {"match", "kustomization", "source", "controller"}) {
    if (target != action.target && m.has(target)) {
      error(m.key_at(target), fmt::format("{}: '{}' does not go with {} ({} takes '{}')", path, target, action.key,
                                          action.key, action.target));
      ok = false;
    }
  }
  if (!m.get(action.target)) {
    error(m.has(action.target) ? m.key_at(action.target) : n.where,
          fmt::format("{}: {} needs '{}': {}", path, action.key, action.target, action.what));
    ok = false;
  }
  const DocNode* value = m.get(action.key);
  if (!value) {
    error(m.key_at(action.key), fmt::format("{}: {} has no value", path, action.key));
    ok = false;
  }
  std::string vpath = m.path(action.key);
  SimTime* at = nullptr;
  if (action.key == "readyAt") {
    f.type = Fault::Type::ReadyAt;
    at = &f.at;
  } else if (action.key == "neverReady") {
    f.type = Fault::Type::NeverReady;
    bool b = false;
    if (boolean(value, vpath, b) && !b) {
      error(value->where, fmt::format("{}: neverReady: false injects nothing; remove the fault", path));
      ok = false;
    } else if (value && !b) {
      ok = false;
    }
  } else if (action.key == "failedAt") {
    f.type = Fault::Type::FailedAt;
    at = &f.at;
  } else if (action.key == "failApplies") {
    f.type = Fault::Type::FailApplies;
    ok &= integer(value, vpath, 1, std::numeric_limits<int>::max(), f.count) || !value;
  } else if (action.key == "unavailable") {
    f.type = Fault::Type::SourceUnavailable;
    MapReader w(*this, value, vpath, {"from", "until"});
    if (value && !w.ok()) ok = false;
    if (w.ok()) {
      Duration from{0}, until{0};
      ok &= w.require("until");
      ok &= duration(w.get("from"), w.path("from"), Bound::NonNegative, from) || !w.get("from");
      bool has_until = duration(w.get("until"), w.path("until"), Bound::Positive, until);
      ok &= has_until || !w.get("until");
      if (has_until && until <= from) {
        error(w.get("until")->where, fmt::format("{}: until ({}) must be after from ({})", vpath,
                                                 format_duration(until), format_duration(from)));
        ok = false;
      }
      f.from = SimTime{from};
      f.until = SimTime{until};
    }
  } else {  // restartAt
    f.type = Fault::Type::ControllerRestart;
    at = &f.at;
  }
  if (at) {
    Duration d{0};
    if (duration(value, vpath, Bound::NonNegative, d))
      *at = SimTime{d};
    else if (value)
      ok = false;
  }

  // The target.
  const DocNode* target = m.get(action.target);
  if (!target) return;
  std::string tpath = m.path(action.target);
  if (action.target == "match") {
    ok &= match(target, tpath, f.match);
  } else if (action.target == "kustomization") {
    MapReader k(*this, target, tpath, {"name", "namespace"});
    if (!k.ok()) {
      ok = false;
      return;
    }
    ok &= k.require("name");
    f.match.where = target->where;
    f.match.group = std::string(kKustomizeGroup);
    f.match.kind = "Kustomization";
    ok &= nonempty_string(k.get("name"), k.path("name"), f.match.name) || !k.get("name");
    ok &= nonempty_string(k.get("namespace"), k.path("namespace"), f.match.ns) || !k.get("namespace");
  } else if (action.target == "source") {
    MapReader k(*this, target, tpath, {"name", "kind", "namespace"});
    if (!k.ok()) {
      ok = false;
      return;
    }
    ok &= k.require("name");
    f.source_kind = "GitRepository";
    ok &= source_kind(*this, k.get("kind"), k.path("kind"), f.source_kind) || !k.get("kind");
    f.match.where = target->where;
    f.match.group = std::string(kSourceGroup);
    f.match.kind = f.source_kind;
    ok &= nonempty_string(k.get("name"), k.path("name"), f.match.name) || !k.get("name");
    ok &= nonempty_string(k.get("namespace"), k.path("namespace"), f.match.ns) || !k.get("namespace");
  } else {  // controller
    std::string c;
    if (string(target, tpath, c)) {
      if (c != "kustomize" && c != "helm" && c != "source") {
        error(target->where, fmt::format("{}: unknown controller '{}' (kustomize, helm or source)", tpath, c));
        ok = false;
      } else {
        f.controller = c;
      }
    } else {
      ok = false;
    }
  }
}

void Decoder::expect(const DocNode* n, std::string_view path, Expectations& e) {
  MapReader m(*this, n, std::string(path), {"allReadyWithin", "ready", "before"});
  if (m.ok()) e.where = n->where;
  Duration d{0};
  if (duration(m.get("allReadyWithin"), m.path("allReadyWithin"), Bound::Positive, d)) e.all_ready_within = d;
  if (const std::vector<DocNode>* ready = list(m.get("ready"), m.path("ready"))) {
    for (std::size_t i = 0; i < ready->size(); ++i) {
      std::string name;
      if (kustomization_name(&(*ready)[i], item(m.path("ready"), i), name)) e.ready.push_back(std::move(name));
    }
  }
  if (const std::vector<DocNode>* before = list(m.get("before"), m.path("before"))) {
    for (std::size_t i = 0; i < before->size(); ++i) {
      const DocNode& pair = (*before)[i];
      std::string p = item(m.path("before"), i);
      if (pair.type != DocNode::Type::Seq || pair.seq.size() != 2) {
        error(pair.where, fmt::format("{}: expected a pair [a, b] (a Ready before b starts applying), got {}", p,
                                      pair.type == DocNode::Type::Seq
                                          ? fmt::format("a list of {}", pair.seq.size())
                                          : describe(pair)));
        continue;
      }
      std::string a, b;
      bool ok = kustomization_name(&pair.seq[0], item(p, 0), a);
      ok &= kustomization_name(&pair.seq[1], item(p, 1), b);
      if (ok && a == b) {
        error(pair.where, fmt::format("{}: '{}' cannot be Ready before it starts applying itself", p, a));
        ok = false;
      }
      if (ok) e.before.emplace_back(std::move(a), std::move(b));
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// --set overrides, applied to the tree before it is decoded.

/// Splits "controllers.kustomize.concurrent" into its segments; "metadata.x" and "spec.x" are taken as
/// written, any other path is below spec.
std::vector<std::string> override_segments(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    out.emplace_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (out.front() != "metadata" && out.front() != "spec") out.insert(out.begin(), "spec");
  return out;
}

/// Findings about an override are located at "--set PATH": it has no file or line.
SourceLocation override_location(const ScenarioOverride& o) { return {fmt::format("--set {}", o.path), 0, 0}; }

void apply_override(DocNode& doc, const ScenarioOverride& o, Diagnostics& diags) {
  SourceLocation at = override_location(o);
  if (o.path.empty()) {
    diags.error(at, "--set needs path=value, e.g. --set controllers.kustomize.concurrent=8");
    return;
  }
  std::vector<std::string> segments = override_segments(o.path);
  for (const std::string& s : segments) {
    if (s.empty()) {
      diags.error(at, fmt::format("'{}' is not a field path (empty segment)", o.path));
      return;
    }
  }
  DocNode value;
  try {
    TreeBuilder builder(o.value, at.file, diags, at);
    value = builder.build(YAML::Load(o.value));
    if (builder.failed()) return;
  } catch (const YAML::Exception& e) {
    diags.error(at, fmt::format("invalid YAML value \"{}\": {}", o.value, e.msg));
    return;
  }
  DocNode* cur = &doc;
  std::string walked;  // the path walked so far, as the user names it (no "spec." prefix)
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    bool last = i + 1 == segments.size();
    if (cur->type == DocNode::Type::Null) {
      cur->type = DocNode::Type::Map;
      cur->where = at;
    }
    if (cur->type == DocNode::Type::Seq) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || end != seg.data() + seg.size()) {
        diags.error(at, fmt::format("{} is a list: index it with a number ({}.0)", walked, walked));
        return;
      }
      if (index >= cur->seq.size()) {
        diags.error(at, fmt::format("{} has {} entries: index {} is out of range", walked, cur->seq.size(), index));
        return;
      }
      cur = &cur->seq[index];
    } else if (cur->type == DocNode::Type::Map) {
      DocEntry* e = cur->entry(seg);
      if (!e) {
        // A new key: if it is not in the schema, the decoder reports it as an unknown field at `at`.
        cur->map.push_back(DocEntry{seg, at, DocNode{}});
        e = &cur->map.back();
        e->value.where = at;
      }
      cur = &e->value;
    } else {
      diags.error(at, fmt::format("{} is {}, not a mapping: it has no field '{}'", walked, describe(*cur), seg));
      return;
    }
    if (!(i == 0 && seg == "spec")) walked = walked.empty() ? seg : walked + "." + seg;
    if (last) *cur = std::move(value);
  }
}

// ---------------------------------------------------------------------------------------------------
// Filesystem checks: the repository and the directories named inside it.

void check_directories(const Scenario& s, const Decoder& dec, Diagnostics& diags) {
  std::error_code ec;
  fs::file_status st = fs::status(s.repo, ec);
  SourceLocation repo_at = dec.repo_at.known() ? dec.repo_at : SourceLocation{dec.file()};
  if (!fs::exists(st)) {
    diags.error(repo_at, dec.repo_given ? fmt::format("repo: directory '{}' does not exist", s.repo)
                                    : fmt::format("repository directory '{}' does not exist", s.repo));
    return;
  }
  if (!fs::is_directory(st)) {
    diags.error(repo_at, fmt::format("repo: '{}' is not a directory", s.repo));
    return;
  }
  if (!s.entry.empty() && s.entry != "." && !fs::is_directory(fs::path(s.repo) / s.entry, ec)) {
    diags.error(dec.entry_at.known() ? dec.entry_at : repo_at,
                fmt::format("entry: '{}' is not a directory in repository '{}'", s.entry, s.repo));
  }
  for (std::size_t i = 0; i < s.sources.size(); ++i) {
    const SourceMapping& m = s.sources[i];
    if (m.path == "." || fs::is_directory(fs::path(s.repo) / m.path, ec)) continue;
    diags.error(i < dec.source_path_at.size() ? dec.source_path_at[i] : m.where,
                fmt::format("sources[{}].path: '{}' is not a directory in repository '{}'", i, m.path, s.repo));
  }
}

/// The scenario's name when metadata.name is not given: the file's stem, or its directory's name for the
/// conventional `NAME/scenario.yaml` layout.
std::string default_name(const std::string& file) {
  fs::path p(file);
  std::string stem = p.stem().string();
  if (stem.empty() || stem == "scenario") {
    fs::path dir = p.parent_path().lexically_normal();
    std::string d = dir.filename().string();
    if (!d.empty() && d != "." && d != "..") return d;
    if (stem.empty()) return "scenario";
  }
  return stem;
}

std::string resolve_repo(const std::string& file, const std::string& repo) {
  fs::path base = fs::path(file).parent_path();
  fs::path p = repo.empty() ? base : (fs::path(repo).is_absolute() ? fs::path(repo) : base / repo);
  std::string out = p.lexically_normal().generic_string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "." : out;
}

}  // namespace

ScenarioLoad parse_scenario(std::string_view text, const std::string& file,
                            const std::vector<ScenarioOverride>& overrides) {
  ScenarioLoad out;
  Scenario& s = out.scenario;
  Diagnostics& diags = out.diagnostics;
  s.file = file;
  s.name = default_name(file);

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    diags.error(location(file, e.mark), fmt::format("invalid YAML: nested more than {} levels deep", e.depth()));
    return out;
  } catch (const YAML::Exception& e) {
    diags.error(location(file, e.mark), fmt::format("invalid YAML: {}", e.msg));
    return out;
  }
  std::vector<const YAML::Node*> present;
  for (const YAML::Node& d : docs)
    if (!d.IsNull()) present.push_back(&d);
  if (present.empty()) {
    diags.error({file}, "the scenario file is empty (a scenario starts with 'apiVersion: fluxsim/v1alpha1' and "
                        "'kind: Scenario')");
    return out;
  }
  if (present.size() > 1) {
    diags.error(location(file, present[1]->Mark()),
                "a scenario file holds one YAML document; found a second one here");
    return out;
  }

  TreeBuilder builder(text, file, diags, std::nullopt);
  DocNode doc = builder.build(*present.front());
  if (builder.failed()) return out;
  if (doc.type != DocNode::Type::Map) {
    diags.error(doc.where, fmt::format("a scenario is a mapping with apiVersion, kind, metadata and spec; got {}",
                                       describe(doc)));
    return out;
  }
  Diagnostics found;
  for (const ScenarioOverride& o : overrides) apply_override(doc, o, found);
  Decoder dec(found, file);
  dec.document(doc, s);
  s.repo = resolve_repo(file, dec.repo_given ? s.repo : std::string());
  // The filesystem is only consulted for a scenario: a wrong kind or apiVersion says enough.
  if (!dec.not_a_scenario) check_directories(s, dec, found);
  // Reported in file order (the decoder walks the schema, not the text), then the findings about
  // `--set` overrides, which have no line, in the order the overrides were given.
  auto override_index = [&](const SourceLocation& where) {
    for (std::size_t i = 0; i < overrides.size(); ++i)
      if (where.file == override_location(overrides[i]).file) return i + 1;
    return std::size_t{0};
  };
  std::vector<Diagnostic> sorted(found.begin(), found.end());
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    auto key = [&](const Diagnostic& d) { return std::tuple(override_index(d.where), d.where.line, d.where.column); };
    return key(a) < key(b);
  });
  for (Diagnostic& d : sorted) diags.add(std::move(d));
  return out;
}

ScenarioLoad load_scenario(const std::string& path, const std::vector<ScenarioOverride>& overrides) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    ScenarioLoad out;
    out.scenario.file = path;
    out.diagnostics.error({path}, "cannot read the scenario file: it does not exist");
    return out;
  }
  if (fs::is_directory(st)) {
    ScenarioLoad out;
    out.scenario.file = path;
    out.diagnostics.error({path}, "this is a directory, not a scenario file",
                          "fluxsim run, graph, tree and check take a repository directory directly");
    return out;
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (!in.good() && !in.eof()) {
    ScenarioLoad out;
    out.scenario.file = path;
    out.diagnostics.error({path}, "cannot read the scenario file");
    return out;
  }
  return parse_scenario(buffer.str(), path, overrides);
}

}  // namespace fluxsim
