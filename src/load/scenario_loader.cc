// SPDX-License-Identifier: Apache-2.0
// Reads a scenario file (product.md §2) into a Scenario. The text is read into the loader's one YAML
// document tree (load/document.h: libyaml, the limits every repository file gets), which keeps every
// key's and value's line:col; `--set` overrides are applied to that tree, and one decoder walks it
// against the schema, collecting every problem as a Diagnostic. Overrides therefore get exactly the
// validation the file gets. Scalar settings and their bounds come from one table (scenario_settings.h)
// that `--set`, `--sweep` and the command line share.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "fluxsim/scenario.h"
#include "load/document.h"

namespace fluxsim {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kApiVersion = "fluxsim/v1alpha1";
constexpr std::string_view kKind = "Scenario";
// ---------------------------------------------------------------------------------------------------
// The settings table: one type and one bound per setting, for the file, --set, --sweep and --runs.

/// Worker pools and Monte Carlo runs beyond these are typos, and would exhaust memory or never finish;
/// no Flux timing is measured in months, and a horizon past a month only grows the run's memory.
constexpr std::int64_t kMaxConcurrent = 10'000;
constexpr std::int64_t kMaxRuns = 1'000'000;
constexpr std::int64_t kMaxDurationMs = 30LL * 24 * 3'600'000;  // 30 days
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
/// No controller pod has more cores than a large node (contention is bounded by kMaxContention, capacity.h).
constexpr std::int64_t kMaxCpu = 1'000;

using T = ScenarioSetting::Type;
constexpr ScenarioSetting kSettings[] = {
    {"metadata.name", T::String, 0, 0, "the file's name", "the scenario's name in reports"},
    {"metadata.description", T::String, 0, 0, "", "free text"},
    {"repo", T::String, 0, 0, "the file's directory", "repository directory, relative to the file"},
    {"entry", T::String, 0, 0, "discovered", "path the root Kustomization applies"},
    {"root.name", T::String, 0, 0, "flux-system", "the implicit root Kustomization"},
    {"root.namespace", T::String, 0, 0, "flux-system", ""},
    {"root.interval", T::Duration, 1, kMaxDurationMs, "10m", ""},
    {"manifests", T::String, 0, 0, "", "inline objects the root applies"},
    {"sources[].fetch", T::Distribution, 0, kMaxDurationMs, "0s", "time until a source's first artifact"},
    {"controllers.kustomize.concurrent", T::Integer, 1, kMaxConcurrent, "4", "--concurrent"},
    {"controllers.kustomize.requeueDependency", T::Duration, 1, kMaxDurationMs, "30s", "--requeue-dependency"},
    {"controllers.kustomize.intervalJitterPercent", T::Integer, 0, 99, "5", "--interval-jitter-percentage"},
    {"controllers.kustomize.healthPollInterval", T::Duration, 1, kMaxDurationMs, "5s", "health check poll"},
    {"controllers.kustomize.firstReconcileDelay", T::Duration, 0, kMaxDurationMs, "750ms", "--min-retry-delay"},
    {"controllers.kustomize.stageWaitTimeout", T::Duration, 1, kMaxDurationMs, "60s", "CRD/Namespace stage wait"},
    {"controllers.kustomize.cpu", T::Number, 0, kMaxCpu, "0", "resources.limits.cpu (2, 1.5, 500m; 0: no limit)"},
    {"controllers.source.concurrent", T::Integer, 1, kMaxConcurrent, "2", "--concurrent"},
    {"controllers.helm.concurrent", T::Integer, 1, kMaxConcurrent, "4", "--concurrent"},
    {"controllers.helm.requeueDependency", T::Duration, 1, kMaxDurationMs, "30s", "--requeue-dependency"},
    {"controllers.helm.cpu", T::Number, 0, kMaxCpu, "0", "resources.limits.cpu (2, 1.5, 500m; 0: no limit)"},
    {"timing.build", T::Distribution, 0, kMaxDurationMs, "1s", "per apply attempt"},
    {"timing.applyPerObject", T::Distribution, 0, kMaxDurationMs, "20ms", "per object written"},
    {"timing.fetch.<Kind>", T::Distribution, 0, kMaxDurationMs, "none (assumed remote: Git 3s, OCI 2s, Bucket 2s, Helm 3s)",
     "time until a source's first artifact, per source kind"},
    {"timing.capacity.passCpu", T::Number, 0, kMaxCpu, "0.25", "cores one working pass wants"},
    {"timing.capacity.pollCpu", T::Number, 0, kMaxCpu, "0.02", "cores one health-check wait wants"},
    {"timing.capacity.contention", T::Number, 0, kMaxContention, "1.3", "extra work per unit of load over the budget"},
    {"timing.ready[].after", T::Distribution, 0, kMaxDurationMs, "", "time until matched objects are Current"},
    {"faults[].readyAt", T::Duration, 0, kMaxDurationMs, "", ""},
    {"faults[].neverReady", T::Boolean, 0, 0, "", ""},
    {"faults[].failedAt", T::Duration, 0, kMaxDurationMs, "", ""},
    {"faults[].failApplies", T::Integer, 1, kIntMax, "", "apply attempts that fail"},
    {"faults[].unavailable.from", T::Duration, 0, kMaxDurationMs, "0s", ""},
    {"faults[].unavailable.until", T::Duration, 1, kMaxDurationMs, "", ""},
    {"faults[].restartAt", T::Duration, 0, kMaxDurationMs, "", ""},
    {"horizon", T::Duration, 1, kMaxDurationMs, "6h", "simulated time: the run stops here"},
    {"seed", T::Seed, 0, 0, "1", "0 to 18446744073709551615"},
    {"runs", T::Integer, 1, kMaxRuns, "1", "Monte Carlo runs (also --runs)"},
    {"expect.allReadyWithin", T::Duration, 1, kMaxDurationMs, "", ""},
};

/// The table row for `path`; every path the decoder names is in the table.
const ScenarioSetting& setting(std::string_view path) {
  for (const ScenarioSetting& s : kSettings)
    if (s.path == path) return s;
  throw std::logic_error(fmt::format("scenario setting '{}' is not in the settings table", path));
}

// ---------------------------------------------------------------------------------------------------
// The document: the loader's tree. Nodes an override made carry line -(k+1) for override k (they have
// no line of their own; findings about them are located at "--set PATH").

using load::Field;
using load::Node;

const Field* find_field(const Node& n, std::string_view key) {
  for (const Field& f : n.fields)
    if (f.key == key) return &f;
  return nullptr;
}

/// An untagged plain scalar: the only kind read as a number or a boolean.
bool is_plain(const Node& n) { return n.is_scalar() && !n.quoted && !n.tagged; }

/// How a value reads in a message: `a mapping`, `a list`, `null` or the text itself, quoted.
std::string describe(const Node& n) {
  switch (n.kind) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Map: return "a mapping";
    case Node::Kind::Seq: return "a list";
    case Node::Kind::Scalar: break;
  }
  std::string text = n.value.size() > 40 ? n.value.substr(0, 37) + "..." : n.value;
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return fmt::format("\"{}\"", text);
}

/// Where file positions and override positions are named.
class Places {
 public:
  Places(std::string file, std::string_view text, const std::vector<ScenarioOverride>& overrides)
      : file_(std::move(file)), text_(text), overrides_(overrides) {}

  SourceLocation of(int line, int column) const {
    if (line < 0) {
      std::size_t k = static_cast<std::size_t>(-line - 1);
      return {fmt::format("--set {}", k < overrides_.size() ? overrides_[k].path : std::string()), 0, 0};
    }
    if (line == 0) return {file_, 0, 0};
    return {file_, line, column};
  }
  SourceLocation of(const Node& n) const { return of(n.line, n.column); }
  SourceLocation key_of(const Field& f) const { return of(f.line, f.column); }

  /// For a block scalar (`|`, `>`) the node sits on its indicator; the content begins on the next line.
  /// The column is the content's indentation (of its first non-blank line), so that line k of the text
  /// is line content_at.line + k of the file. Unknown (line 0) for other scalars.
  SourceLocation content_at(const Node& n) const {
    if (n.line <= 0 || (n.style != Node::Style::Literal && n.style != Node::Style::Folded)) return {};
    std::size_t pos = 0;
    for (int line = 1; line <= n.line && pos != std::string_view::npos; ++line) {
      pos = text_.find('\n', pos);
      if (pos != std::string_view::npos) ++pos;
    }
    int column = 0;
    while (pos != std::string_view::npos && pos < text_.size()) {
      std::size_t end = text_.find('\n', pos);
      std::string_view line = text_.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
      std::size_t indent = line.find_first_not_of(' ');
      if (indent != std::string_view::npos && line.substr(indent) != "\r") {
        column = static_cast<int>(indent) + 1;
        break;
      }
      pos = end == std::string_view::npos ? end : end + 1;
    }
    return {file_, n.line + 1, column};
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::string_view text_;
  const std::vector<ScenarioOverride>& overrides_;
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

class Decoder;

/// A mapping being decoded: reports a wrong type, unknown and duplicate keys when constructed, then
/// hands out values by key. `path` is the field path used in messages ("controllers.kustomize").
class MapReader {
 public:
  /// `name` labels the mapping in messages ("spec", "controllers.kustomize", "" = the document itself);
  /// `path` prefixes its fields' paths ("" for spec, whose fields are named as `--set` names them).
  MapReader(Decoder& dec, const Node* node, std::string name, std::string path,
            std::initializer_list<std::string_view> allowed);
  MapReader(Decoder& dec, const Node* node, const std::string& path, std::initializer_list<std::string_view> allowed)
      : MapReader(dec, node, path, path, allowed) {}

  /// The value of `key`, or nullptr when it is absent or null (null means "use the default").
  const Node* get(std::string_view key) const {
    if (!is_map_) return nullptr;
    const Field* e = find_field(*node_, key);
    return e && !e->value.is_null() ? &e->value : nullptr;
  }
  bool has(std::string_view key) const { return is_map_ && find_field(*node_, key) != nullptr; }
  SourceLocation key_at(std::string_view key) const;
  std::string path(std::string_view key) const { return child(path_, key); }
  const std::string& path() const { return path_; }
  SourceLocation where() const;
  /// True when the node is a mapping (false for a missing or null node, and for a type error).
  bool ok() const { return is_map_; }
  /// Reports a required key that is absent (or null).
  bool require(std::string_view key) const;

 private:
  Decoder& dec_;
  const Node* node_;
  std::string name_;
  std::string path_;
  bool is_map_ = false;
};

class Decoder {
 public:
  Decoder(Diagnostics& diags, const Places& places) : diags_(diags), places_(places) {}

  SourceLocation where_of(const Node& n) const { return places_.of(n); }
  SourceLocation key_of(const Field& f) const { return places_.key_of(f); }

  void error(const SourceLocation& at, std::string message) { diags_.error(at, std::move(message)); }
  void warning(const SourceLocation& at, std::string message) { diags_.warning(at, std::move(message)); }

  /// "in spec", "in controllers.kustomize", "at the top level": where an unknown key was found.
  static std::string container(std::string_view name) {
    if (name.empty()) return "at the top level";
    return fmt::format("in {}", name);
  }

  // --- scalars: each returns true when a valid value was stored in `out` ---

  bool string(const Node* n, std::string_view path, std::string& out) {
    if (!n) return false;
    if (!n->is_scalar()) {
      error(where_of(*n), fmt::format("{}: expected a string, got {}", path, describe(*n)));
      return false;
    }
    out = n->value;
    return true;
  }

  bool nonempty_string(const Node* n, std::string_view path, std::string& out) {
    std::string v;
    if (!string(n, path, v)) return false;
    if (v.empty()) {
      error(where_of(*n), fmt::format("{} must not be empty", path));
      return false;
    }
    out = std::move(v);
    return true;
  }

  bool integer(const Node* n, std::string_view path, const ScenarioSetting& setting, std::int64_t& out) {
    const std::int64_t min = setting.min, max = setting.max;
    if (!n) return false;
    std::int64_t v = 0;
    if (!is_plain(*n)) {
      error(where_of(*n), fmt::format("{}: expected an integer, got {}", path, describe(*n)));
      return false;
    }
    const std::string& s = n->value;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      error(where_of(*n), fmt::format("{}: {} is out of range", path, s));
      return false;
    }
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      error(where_of(*n), fmt::format("{}: expected an integer, got {}", path, describe(*n)));
      return false;
    }
    if (v < min || v > max) {
      if (max >= std::numeric_limits<int>::max())
        error(where_of(*n), fmt::format("{} must be at least {}, got {}", path, min, v));
      else
        error(where_of(*n), fmt::format("{} must be between {} and {}, got {}", path, min, max, v));
      return false;
    }
    out = v;
    return true;
  }

  bool integer(const Node* n, std::string_view path, const ScenarioSetting& setting, int& out) {
    std::int64_t v = 0;
    if (!integer(n, path, setting, v)) return false;
    out = static_cast<int>(v);
    return true;
  }

  bool unsigned64(const Node* n, std::string_view path, std::uint64_t& out) {
    if (!n) return false;
    if (!is_plain(*n)) {
      error(where_of(*n), fmt::format("{}: expected a non-negative integer, got {}", path, describe(*n)));
      return false;
    }
    const std::string& s = n->value;
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
      error(where_of(*n), fmt::format("{}: {} is out of range (at most {})", path, s,
                                  std::numeric_limits<std::uint64_t>::max()));
      return false;
    }
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      error(where_of(*n), fmt::format("{}: expected a non-negative integer, got {}", path, describe(*n)));
      return false;
    }
    out = v;
    return true;
  }

  bool boolean(const Node* n, std::string_view path, bool& out) {
    if (!n) return false;
    if (n->is_scalar() && is_plain(*n)) {
      const std::string& s = n->value;
      if (s == "true" || s == "True" || s == "TRUE") {
        out = true;
        return true;
      }
      if (s == "false" || s == "False" || s == "FALSE") {
        out = false;
        return true;
      }
    }
    error(where_of(*n), fmt::format("{}: expected true or false, got {}", path, describe(*n)));
    return false;
  }

  /// A number within the setting's bounds (timing.capacity parameters).
  bool real(const Node* n, std::string_view path, const ScenarioSetting& setting, double& out) {
    if (!n || n->is_null()) return false;
    double v = 0;
    const std::string& s = n->is_scalar() ? n->value : std::string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!n->is_scalar() || s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
      error(where_of(*n), fmt::format("{}: expected a number, got {}", path, describe(*n)));
      return false;
    }
    if (!(v >= static_cast<double>(setting.min)) || v > static_cast<double>(setting.max)) {
      error(where_of(*n), fmt::format("{} must be between {} and {}, got {}", path, setting.min, setting.max, n->value));
      return false;
    }
    out = v;
    return true;
  }

  /// A CPU quantity as Kubernetes writes it: cores ("2", "1.5") or millicores ("500m"); 0 = no limit.
  bool cpu_quantity(const Node* n, std::string_view path, const ScenarioSetting& setting, double& out) {
    if (!n || n->is_null()) return false;
    std::optional<double> v = n->is_scalar() ? parse_cpu_quantity(n->value) : std::nullopt;
    if (!v) {
      error(where_of(*n), fmt::format("{}: expected CPU cores such as 2, 1.5 or 500m (0: no limit), got {}", path,
                                      describe(*n)));
      return false;
    }
    if (*v < static_cast<double>(setting.min) || *v > static_cast<double>(setting.max)) {
      error(where_of(*n), fmt::format("{} must be between {} and {} cores, got {}", path, setting.min, setting.max,
                                      n->value));
      return false;
    }
    out = *v;
    return true;
  }

  /// A fixed Go duration ("90s", "1m30s").
  bool duration(const Node* n, std::string_view path, const ScenarioSetting& setting, Duration& out) {
    if (!n) return false;
    if (!n->is_scalar()) {
      error(where_of(*n), fmt::format("{}: expected a duration such as 30s or 1m30s, got {}", path, describe(*n)));
      return false;
    }
    DurationParse d = parse_duration(n->value);
    if (!d.value) {
      if (n->value.find('(') != std::string::npos && parse_distribution(n->value).error.empty())
        error(where_of(*n), fmt::format("{} takes a fixed duration, not a distribution (got {})", path, describe(*n)));
      else
        error(where_of(*n), fmt::format("{}: {}", path, d.error));
      return false;
    }
    if (d.value->count() < setting.min) {
      error(where_of(*n), fmt::format("{} must be {}, got {}", path, setting.min > 0 ? "greater than zero" : "zero or more",
                                      n->value));
      return false;
    }
    if (d.value->count() > setting.max) {
      error(where_of(*n), fmt::format("{} must be at most {}, got {}", path, format_duration(Duration{setting.max}),
                                      n->value));
      return false;
    }
    out = *d.value;
    return true;
  }

  /// A duration or a distribution ("45s", "uniform(20s, 60s)").
  bool distribution(const Node* n, std::string_view path, const ScenarioSetting& setting, Distribution& out) {
    if (!n) return false;
    if (!n->is_scalar()) {
      error(where_of(*n),
            fmt::format("{}: expected a duration or a distribution such as uniform(20s, 60s), got {}", path,
                        describe(*n)));
      return false;
    }
    DistributionParse d = parse_distribution(n->value);
    if (!d.error.empty()) {
      error(where_of(*n), fmt::format("{}: {}", path, d.error));
      return false;
    }
    if (d.value.a.count() > setting.max || d.value.b.count() > setting.max) {
      error(where_of(*n), fmt::format("{}: {} goes beyond {}, the longest a scenario duration may be", path,
                                      describe(*n), format_duration(Duration{setting.max})));
      return false;
    }
    out = d.value;
    return true;
  }

  /// A list; reports any other type. Null or absent gives an empty list.
  const std::vector<Node>* list(const Node* n, std::string_view path) {
    if (!n) return nullptr;
    if (!n->is_seq()) {
      error(where_of(*n), fmt::format("{}: expected a list, got {}", path, describe(*n)));
      return nullptr;
    }
    return &n->items;
  }

  /// "name" or "namespace/name" of a Kustomization (expect.ready, expect.before).
  bool kustomization_name(const Node* n, std::string_view path, std::string& out) {
    std::string v;
    if (!nonempty_string(n, path, v)) return false;
    std::size_t slash = v.find('/');
    bool bad = slash != std::string::npos &&
               (slash == 0 || slash + 1 == v.size() || v.find('/', slash + 1) != std::string::npos);
    if (bad) {
      error(where_of(*n), fmt::format("{}: \"{}\" is not a Kustomization name (write name or namespace/name)", path, v));
      return false;
    }
    out = std::move(v);
    return true;
  }

  // --- objects ---

  void document(const Node& root, Scenario& s);
  void metadata(const Node* n, Scenario& s);
  void spec(const Node* n, Scenario& s);
  void root(const Node* n, std::string_view path, RootSettings& r);
  void sources(const Node* n, std::string_view path, std::vector<SourceMapping>& out);
  void controllers(const Node* n, std::string_view path, Controllers& c);
  void timing(const Node* n, std::string_view path, Timing& t);
  bool match(const Node* n, std::string_view path, Match& m);
  void provides(const Node* n, std::string_view path, std::vector<ProvidesRule>& out);
  void faults(const Node* n, std::string_view path, std::vector<Fault>& out);
  void fault(const Node& n, std::string_view path, Fault& f, bool& ok);
  void expect(const Node* n, std::string_view path, Expectations& e);

  const std::string& file() const { return places_.file(); }
  /// Locations of fields the filesystem checks point at (repo:, entry:, sources[i].path:).
  SourceLocation repo_at, entry_at;
  bool repo_given = false;
  /// apiVersion or kind say this is not a scenario: nothing else was decoded.
  bool not_a_scenario = false;
  std::vector<SourceLocation> source_path_at;

 private:
  Diagnostics& diags_;
  const Places& places_;
};

MapReader::MapReader(Decoder& dec, const Node* node, std::string name, std::string path,
                     std::initializer_list<std::string_view> allowed)
    : dec_(dec), node_(node), name_(std::move(name)), path_(std::move(path)) {
  if (!node || node->is_null()) return;
  if (!node->is_map()) {
    dec_.error(dec_.where_of(*node), fmt::format("{}: expected a mapping, got {}", name_.empty() ? "scenario" : name_,
                                        describe(*node)));
    return;
  }
  is_map_ = true;
  // Each allowed key remembers where it was first written: one pass, however many keys the map has.
  std::vector<const Field*> first(allowed.size(), nullptr);
  for (const Field& e : node->fields) {
    auto known = std::find(allowed.begin(), allowed.end(), e.key);
    if (known == allowed.end()) {
      std::optional<std::string_view> s = suggest(e.key, allowed);
      dec_.error(dec_.key_of(e), fmt::format("unknown field '{}' {}{}", e.key, Decoder::container(name_),
                                             s ? fmt::format(" (did you mean '{}'?)", *s) : std::string()));
      continue;
    }
    const Field*& seen = first[static_cast<std::size_t>(known - allowed.begin())];
    if (!seen) {
      seen = &e;
      continue;
    }
    const SourceLocation at = dec_.key_of(e), was = dec_.key_of(*seen);
    dec_.error(at, fmt::format("duplicate field '{}' {}{}", e.key, Decoder::container(name_),
                               was.line > 0 && was.file == at.file ? fmt::format(" (first at line {})", was.line)
                                                                   : std::string()));
  }
}

SourceLocation MapReader::key_at(std::string_view key) const {
  const Field* e = is_map_ ? find_field(*node_, key) : nullptr;
  return e ? dec_.key_of(*e) : where();
}

SourceLocation MapReader::where() const { return node_ ? dec_.where_of(*node_) : SourceLocation{}; }

bool MapReader::require(std::string_view key) const {
  if (!is_map_ || get(key)) return true;
  dec_.error(has(key) ? key_at(key) : where(),
             fmt::format("{}: missing required field '{}'", name_.empty() ? "scenario" : name_, key));
  return false;
}

void Decoder::document(const Node& doc, Scenario& s) {
  MapReader top(*this, &doc, "", "", {"apiVersion", "kind", "metadata", "spec"});
  if (!top.ok()) return;
  // apiVersion and kind first: when they are wrong, the rest is some other kind of file and its fields
  // would only produce noise.
  const Node* api_node = top.get("apiVersion");
  const Node* kind_node = top.get("kind");
  std::string api_version, kind;
  bool wrong = false;
  if (!api_node && !kind_node) {
    error(where_of(doc), fmt::format("not a fluxsim scenario: missing apiVersion and kind (a scenario starts with "
                                 "'apiVersion: {}' and 'kind: {}')",
                                 kApiVersion, kKind));
    wrong = true;
  }
  if (api_node) {
    if (!string(api_node, "apiVersion", api_version)) {
      wrong = true;
    } else if (api_version != kApiVersion) {
      error(where_of(*api_node), fmt::format("apiVersion '{}' is not supported: expected '{}'", api_version, kApiVersion));
      wrong = true;
    }
  } else if (kind_node) {
    error(where_of(doc), fmt::format("missing apiVersion: a scenario starts with 'apiVersion: {}'", kApiVersion));
  }
  if (kind_node) {
    if (!string(kind_node, "kind", kind)) {
      wrong = true;
    } else if (kind != kKind) {
      Diagnostic& d = diags_.error(where_of(*kind_node),
                                   fmt::format("kind '{}' is not a {}: expected 'kind: {}'", kind, kKind, kKind));
      if (api_version != kApiVersion && !api_version.empty())
        d.hint = "this is a Kubernetes manifest; to simulate a repository, pass its directory instead";
      wrong = true;
    }
  } else if (api_node) {
    error(where_of(doc), fmt::format("missing kind: a scenario has 'kind: {}'", kKind));
  }
  not_a_scenario = wrong;
  if (wrong) return;
  metadata(top.get("metadata"), s);
  spec(top.get("spec"), s);
}

void Decoder::metadata(const Node* n, Scenario& s) {
  MapReader m(*this, n, "metadata", {"name", "description"});
  nonempty_string(m.get("name"), m.path("name"), s.name);
  string(m.get("description"), m.path("description"), s.description);
}

void Decoder::spec(const Node* n, Scenario& s) {
  // Fields below spec are named without the "spec." prefix, as `--set` names them.
  MapReader sp(*this, n, "spec", "", {"repo", "entry", "root", "manifests", "sources", "controllers", "timing", "provides",
                              "faults", "horizon", "seed", "runs", "expect", "offline"});
  if (nonempty_string(sp.get("repo"), "repo", s.repo)) {
    repo_at = where_of(*sp.get("repo"));
    repo_given = true;
  }
  if (const Node* e = sp.get("entry")) {
    std::string entry;
    if (string(e, "entry", entry)) {
      entry_at = where_of(*e);
      if (entry.empty()) {
        s.entry.clear();  // explicit "": discover it, like no entry at all
      } else if (std::optional<std::string> rel = repo_relative(entry)) {
        s.entry = *rel;
      } else {
        error(where_of(*e), fmt::format("entry \"{}\" must be a path inside the repository (relative, without "
                                    "leading ..)",
                                    entry));
      }
    }
  }
  root(sp.get("root"), "root", s.root);
  if (const Node* m = sp.get("manifests")) {
    if (string(m, "manifests", s.manifests)) {
      SourceLocation content = places_.content_at(*m);
      s.manifests_at = content.known() ? content : where_of(*m);
    }
  }
  sources(sp.get("sources"), "sources", s.sources);
  controllers(sp.get("controllers"), "controllers", s.controllers);
  timing(sp.get("timing"), "timing", s.timing);
  provides(sp.get("provides"), "provides", s.provides);
  faults(sp.get("faults"), "faults", s.faults);
  duration(sp.get("horizon"), "horizon", setting("horizon"), s.horizon);
  unsigned64(sp.get("seed"), "seed", s.seed);
  integer(sp.get("runs"), "runs", setting("runs"), s.runs);
  expect(sp.get("expect"), "expect", s.expect);
  if (std::string offline; string(sp.get("offline"), "offline", offline)) {
    if (offline == "strict") s.strict_offline = true;
    else if (offline != "assume")
      error(where_of(*sp.get("offline")), fmt::format("offline: expected strict or assume, got \"{}\"", offline));
  }
  if (s.expect.all_ready_within && *s.expect.all_ready_within > s.horizon) {
    const Node* e = sp.get("expect");
    warning(e ? where_of(*e) : sp.where(),
            fmt::format("expect.allReadyWithin {} is beyond the horizon {}: the run stops at the horizon, so it "
                        "means \"all Ready by {}\"",
                        format_duration(*s.expect.all_ready_within), format_duration(s.horizon),
                        format_duration(s.horizon)));
  }
}

void Decoder::root(const Node* n, std::string_view path, RootSettings& r) {
  MapReader m(*this, n, std::string(path), {"name", "namespace", "interval"});
  nonempty_string(m.get("name"), m.path("name"), r.name);
  nonempty_string(m.get("namespace"), m.path("namespace"), r.ns);
  duration(m.get("interval"), m.path("interval"), setting("root.interval"), r.interval);
}

constexpr std::string_view kSourceKinds[] = {"GitRepository", "OCIRepository", "Bucket", "HelmRepository",
                                             "ExternalArtifact", "HelmChart"};

bool source_kind(Decoder& dec, const Node* n, std::string_view path, std::string& out) {
  std::string kind;
  if (!dec.string(n, path, kind)) return false;
  if (std::find(std::begin(kSourceKinds), std::end(kSourceKinds), kind) == std::end(kSourceKinds)) {
    dec.error(dec.where_of(*n), fmt::format("{}: '{}' is not a Flux source kind (one of {})", path, kind,
                                    join_names(kSourceKinds)));
    return false;
  }
  out = std::move(kind);
  return true;
}

void Decoder::sources(const Node* n, std::string_view path, std::vector<SourceMapping>& out) {
  const std::vector<Node>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Node& it = (*items)[i];
    std::string p = item(path, i);
    MapReader m(*this, &it, p, {"kind", "name", "namespace", "path", "fetch"});
    if (!m.ok()) {
      if (it.is_null()) error(where_of(it), fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    SourceMapping s;
    s.where = where_of(it);
    m.require("name");
    source_kind(*this, m.get("kind"), m.path("kind"), s.kind);
    nonempty_string(m.get("name"), m.path("name"), s.name);
    nonempty_string(m.get("namespace"), m.path("namespace"), s.ns);
    SourceLocation path_at = where_of(it);
    std::string dir;
    if (nonempty_string(m.get("path"), m.path("path"), dir)) {
      path_at = where_of(*m.get("path"));
      if (std::optional<std::string> rel = repo_relative(dir))
        s.path = *rel;
      else
        error(path_at, fmt::format("{}: \"{}\" must be a directory inside the repository (relative, without "
                                   "leading ..)",
                                   m.path("path"), dir));
    }
    s.fetch_given = distribution(m.get("fetch"), m.path("fetch"), setting("sources[].fetch"), s.fetch) && m.get("fetch");
    for (const SourceMapping& other : out) {
      if (other.kind == s.kind && other.ns == s.ns && other.name == s.name && !s.name.empty()) {
        error(where_of(it), fmt::format("{}: {} {}/{} is already mapped{}", p, s.kind, s.ns, s.name,
                                    other.where.line > 0 ? fmt::format(" at line {}", other.where.line) : ""));
        break;
      }
    }
    out.push_back(std::move(s));
    source_path_at.push_back(path_at);
  }
}

void Decoder::controllers(const Node* n, std::string_view path, Controllers& c) {
  MapReader m(*this, n, std::string(path), {"kustomize", "source", "helm"});
  {
    MapReader k(*this, m.get("kustomize"), m.path("kustomize"),
                {"concurrent", "requeueDependency", "intervalJitterPercent", "healthPollInterval",
                 "firstReconcileDelay", "stageWaitTimeout", "cpu"});
    KustomizeControllerSettings& s = c.kustomize;
    auto mark = [&](const Node* v, const char* field) {
      if (v && !v->is_null()) c.set_in_scenario.emplace_back(field);
    };
    mark(k.get("concurrent"), "kustomize.concurrent");
    mark(k.get("requeueDependency"), "kustomize.requeueDependency");
    mark(k.get("intervalJitterPercent"), "kustomize.intervalJitterPercent");
    mark(k.get("firstReconcileDelay"), "kustomize.firstReconcileDelay");
    mark(k.get("cpu"), "kustomize.cpu");
    cpu_quantity(k.get("cpu"), k.path("cpu"), setting("controllers.kustomize.cpu"), s.cpu_limit);
    integer(k.get("concurrent"), k.path("concurrent"), setting("controllers.kustomize.concurrent"), s.concurrent);
    duration(k.get("requeueDependency"), k.path("requeueDependency"), setting("controllers.kustomize.requeueDependency"),
             s.requeue_dependency);
    // kustomize-controller's --interval-jitter-percentage: "It cannot be negative, and must be less than 100."
    integer(k.get("intervalJitterPercent"), k.path("intervalJitterPercent"),
            setting("controllers.kustomize.intervalJitterPercent"), s.interval_jitter_percent);
    duration(k.get("healthPollInterval"), k.path("healthPollInterval"), setting("controllers.kustomize.healthPollInterval"),
             s.health_poll_interval);
    duration(k.get("firstReconcileDelay"), k.path("firstReconcileDelay"), setting("controllers.kustomize.firstReconcileDelay"),
             s.first_reconcile_delay);
    duration(k.get("stageWaitTimeout"), k.path("stageWaitTimeout"), setting("controllers.kustomize.stageWaitTimeout"),
             s.stage_wait_timeout);
  }
  {
    MapReader src(*this, m.get("source"), m.path("source"), {"concurrent"});
    if (const Node* v = src.get("concurrent"); v && !v->is_null()) c.set_in_scenario.emplace_back("source.concurrent");
    integer(src.get("concurrent"), src.path("concurrent"), setting("controllers.source.concurrent"), c.source.concurrent);
  }
  {
    MapReader h(*this, m.get("helm"), m.path("helm"), {"concurrent", "requeueDependency", "cpu"});
    if (const Node* v = h.get("cpu"); v && !v->is_null()) c.set_in_scenario.emplace_back("helm.cpu");
    cpu_quantity(h.get("cpu"), h.path("cpu"), setting("controllers.helm.cpu"), c.helm.cpu_limit);
    if (const Node* v = h.get("concurrent"); v && !v->is_null()) c.set_in_scenario.emplace_back("helm.concurrent");
    if (const Node* v = h.get("requeueDependency"); v && !v->is_null())
      c.set_in_scenario.emplace_back("helm.requeueDependency");
    integer(h.get("concurrent"), h.path("concurrent"), setting("controllers.helm.concurrent"), c.helm.concurrent);
    duration(h.get("requeueDependency"), h.path("requeueDependency"), setting("controllers.helm.requeueDependency"),
             c.helm.requeue_dependency);
  }
}

void Decoder::timing(const Node* n, std::string_view path, Timing& t) {
  MapReader m(*this, n, std::string(path), {"build", "applyPerObject", "ready", "fetch", "capacity"});
  distribution(m.get("build"), m.path("build"), setting("timing.build"), t.build);
  distribution(m.get("applyPerObject"), m.path("applyPerObject"), setting("timing.applyPerObject"), t.apply_per_object);
  {
    // timing.fetch: {OCIRepository: 2s, HelmChart: 3s, ...}
    MapReader f(*this, m.get("fetch"), m.path("fetch"),
                {"GitRepository", "OCIRepository", "Bucket", "HelmRepository", "ExternalArtifact", "HelmChart"});
    const ScenarioSetting& fetch = setting("timing.fetch.<Kind>");
    for (std::string_view kind : kSourceKinds) {
      Distribution d;
      if (f.get(kind) && distribution(f.get(kind), f.path(kind), fetch, d)) t.fetch.emplace_back(std::string(kind), std::move(d));
    }
  }
  {
    MapReader c(*this, m.get("capacity"), m.path("capacity"), {"passCpu", "pollCpu", "contention"});
    real(c.get("passCpu"), c.path("passCpu"), setting("timing.capacity.passCpu"), t.capacity.pass_cpu);
    real(c.get("pollCpu"), c.path("pollCpu"), setting("timing.capacity.pollCpu"), t.capacity.poll_cpu);
    real(c.get("contention"), c.path("contention"), setting("timing.capacity.contention"), t.capacity.contention);
  }
  const std::vector<Node>* rules = list(m.get("ready"), m.path("ready"));
  if (!rules) return;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const Node& it = (*rules)[i];
    std::string p = item(m.path("ready"), i);
    MapReader r(*this, &it, p, {"match", "after"});
    if (!r.ok()) {
      if (it.is_null()) error(where_of(it), fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    ReadyRule rule;
    bool ok = r.require("match");
    ok &= r.require("after");
    ok &= match(r.get("match"), r.path("match"), rule.match) || !r.get("match");
    ok &= distribution(r.get("after"), r.path("after"), setting("timing.ready[].after"), rule.after) || !r.get("after");
    if (ok) t.ready.push_back(std::move(rule));
  }
}

/// `kind: [group/]Kind`, `namespace`, `name`, `kustomization`; `*` globs anywhere. At least one field.
bool Decoder::match(const Node* n, std::string_view path, Match& out) {
  if (!n) return false;
  MapReader m(*this, n, std::string(path), {"kind", "namespace", "name", "kustomization"});
  if (!m.ok()) return false;
  Match r;
  r.where = where_of(*n);
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
        error(where_of(*m.get("kind")), fmt::format("{}: \"{}\" is not a kind (write Kind or group/Kind)", m.path("kind"),
                                                kind));
        ok = false;
      } else if (looks_like_version(group)) {
        error(where_of(*m.get("kind")),
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
    error(where_of(*n), fmt::format("{} selects nothing: give kind, namespace, name or kustomization (kind: \"*\" "
                                "matches every object)",
                                path));
    return false;
  }
  if (ok) out = std::move(r);
  return ok;
}

void Decoder::provides(const Node* n, std::string_view path, std::vector<ProvidesRule>& out) {
  const std::vector<Node>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Node& it = (*items)[i];
    std::string p = item(path, i);
    MapReader m(*this, &it, p, {"by", "kinds", "objects"});
    if (!m.ok()) {
      if (it.is_null()) error(where_of(it), fmt::format("{}: expected a mapping, got null", p));
      continue;
    }
    ProvidesRule rule;
    rule.where = where_of(it);
    bool ok = m.require("by");
    if (!m.get("objects")) ok &= m.require("kinds");
    ok &= match(m.get("by"), m.path("by"), rule.by) || !m.get("by");
    if (const Node* objs = m.get("objects")) {
      const std::vector<Node>* list_of = list(objs, m.path("objects"));
      if (!list_of) ok = false;
      if (list_of && list_of->empty()) {
        error(where_of(*objs), fmt::format("{} is empty: list the objects `by` creates", m.path("objects")));
        ok = false;
      }
      for (std::size_t k = 0; list_of && k < list_of->size(); ++k) {
        Match om;
        if (!match(&(*list_of)[k], item(m.path("objects"), k), om)) {
          ok = false;
          continue;
        }
        if (!om.kustomization.empty()) {
          error(where_of((*list_of)[k]), fmt::format("{}: kustomization: no Kustomization applies these objects (`by` creates them)",
                                                    item(m.path("objects"), k)));
          ok = false;
          continue;
        }
        rule.objects.push_back(std::move(om));
      }
    }
    const std::vector<Node>* kinds = list(m.get("kinds"), m.path("kinds"));
    if (m.get("kinds") && !kinds) ok = false;
    if (kinds && kinds->empty()) {
      error(where_of(*m.get("kinds")), fmt::format("{} is empty: list the kinds the operator registers", m.path("kinds")));
      ok = false;
    }
    for (std::size_t k = 0; kinds && k < kinds->size(); ++k) {
      const Node& kn = (*kinds)[k];
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
        error(where_of(kn), fmt::format("{}: \"{}\": {} (write group/Kind, group/* or Kind)", kp, text, problem));
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

void Decoder::faults(const Node* n, std::string_view path, std::vector<Fault>& out) {
  const std::vector<Node>* items = list(n, path);
  if (!items) return;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Node& it = (*items)[i];
    Fault f;
    bool ok = true;
    fault(it, item(path, i), f, ok);
    if (ok) out.push_back(std::move(f));
  }
}

void Decoder::fault(const Node& n, std::string_view path, Fault& f, bool& ok) {
  MapReader m(*this, &n, std::string(path),
              {"match", "kustomization", "source", "controller", "readyAt", "neverReady", "failedAt", "failApplies",
               "unavailable", "restartAt", "mode"});
  if (!m.ok()) {
    if (n.is_null()) error(where_of(n), fmt::format("{}: expected a mapping, got null", path));
    ok = false;
    return;
  }
  f.where = where_of(n);
  std::vector<const FaultAction*> actions;
  for (const FaultAction& a : kFaultActions)
    if (m.has(a.key)) actions.push_back(&a);
  if (actions.empty()) {
    error(where_of(n), fmt::format("{}: no action: give one of readyAt, neverReady, failedAt, failApplies, unavailable "
                               "or restartAt",
                               path));
    ok = false;
    return;
  }
  if (actions.size() > 1) {
    std::string names;
    for (const FaultAction* a : actions) names += (names.empty() ? "" : ", ") + std::string(a->key);
    error(where_of(n), fmt::format("{}: several actions ({}): a fault takes exactly one; write one fault per action",
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
    error(m.has(action.target) ? m.key_at(action.target) : where_of(n),
          fmt::format("{}: {} needs '{}': {}", path, action.key, action.target, action.what));
    ok = false;
  }
  const Node* value = m.get(action.key);
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
      error(where_of(*value), fmt::format("{}: neverReady: false injects nothing; remove the fault", path));
      ok = false;
    } else if (value && !b) {
      ok = false;
    }
  } else if (action.key == "failedAt") {
    f.type = Fault::Type::FailedAt;
    at = &f.at;
  } else if (action.key == "failApplies") {
    f.type = Fault::Type::FailApplies;
    ok &= integer(value, vpath, setting("faults[].failApplies"), f.count) || !value;
  } else if (action.key == "unavailable") {
    f.type = Fault::Type::SourceUnavailable;
    MapReader w(*this, value, vpath, {"from", "until"});
    if (value && !w.ok()) ok = false;
    if (w.ok()) {
      Duration from{0}, until{0};
      ok &= w.require("until");
      ok &= duration(w.get("from"), w.path("from"), setting("faults[].unavailable.from"), from) || !w.get("from");
      bool has_until = duration(w.get("until"), w.path("until"), setting("faults[].unavailable.until"), until);
      ok &= has_until || !w.get("until");
      if (has_until && until <= from) {
        error(where_of(*w.get("until")), fmt::format("{}: until ({}) must be after from ({})", vpath,
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
  // mode: how a restart ends the old process (flux-semantics.md §11, leader election): crash (the
  // default: the lease is left to expire) or graceful (SIGTERM: the lease is released).
  if (m.has("mode")) {
    std::string mode;
    if (action.key != "restartAt") {
      error(m.key_at("mode"), fmt::format("{}: 'mode' goes only with restartAt (crash or graceful)", path));
      ok = false;
    } else if (!m.get("mode")) {
      // null: the default, crash
    } else if (string(m.get("mode"), m.path("mode"), mode)) {
      if (mode == "crash" || mode == "graceful") {
        f.graceful = mode == "graceful";
      } else {
        error(where_of(*m.get("mode")),
              fmt::format("{}: unknown restart mode '{}' (crash: the lease expires first; graceful: it is released)",
                          m.path("mode"), mode));
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  if (at) {
    Duration d{0};
    if (duration(value, vpath, setting(fmt::format("faults[].{}", action.key)), d))
      *at = SimTime{d};
    else if (value)
      ok = false;
  }

  // The target.
  const Node* target = m.get(action.target);
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
    f.match.where = where_of(*target);
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
    f.match.where = where_of(*target);
    f.match.group = std::string(kSourceGroup);
    f.match.kind = f.source_kind;
    ok &= nonempty_string(k.get("name"), k.path("name"), f.match.name) || !k.get("name");
    ok &= nonempty_string(k.get("namespace"), k.path("namespace"), f.match.ns) || !k.get("namespace");
  } else {  // controller
    std::string c;
    if (string(target, tpath, c)) {
      if (c != "kustomize" && c != "helm" && c != "source") {
        error(where_of(*target), fmt::format("{}: unknown controller '{}' (kustomize, helm or source)", tpath, c));
        ok = false;
      } else {
        f.controller = c;
      }
    } else {
      ok = false;
    }
  }
}

void Decoder::expect(const Node* n, std::string_view path, Expectations& e) {
  MapReader m(*this, n, std::string(path), {"allReadyWithin", "ready", "before"});
  if (m.ok()) e.where = where_of(*n);
  Duration d{0};
  if (duration(m.get("allReadyWithin"), m.path("allReadyWithin"), setting("expect.allReadyWithin"), d)) e.all_ready_within = d;
  if (const std::vector<Node>* ready = list(m.get("ready"), m.path("ready"))) {
    for (std::size_t i = 0; i < ready->size(); ++i) {
      std::string name;
      if (kustomization_name(&(*ready)[i], item(m.path("ready"), i), name)) e.ready.push_back(std::move(name));
    }
  }
  if (const std::vector<Node>* before = list(m.get("before"), m.path("before"))) {
    for (std::size_t i = 0; i < before->size(); ++i) {
      const Node& pair = (*before)[i];
      std::string p = item(m.path("before"), i);
      if (!pair.is_seq() || pair.items.size() != 2) {
        error(where_of(pair), fmt::format("{}: expected a pair [a, b] (a Ready before b starts applying), got {}", p,
                                      pair.is_seq()
                                          ? fmt::format("a list of {}", pair.items.size())
                                          : describe(pair)));
        continue;
      }
      std::string a, b;
      bool ok = kustomization_name(&pair.items[0], item(p, 0), a);
      ok &= kustomization_name(&pair.items[1], item(p, 1), b);
      if (ok && a == b) {
        error(where_of(pair), fmt::format("{}: '{}' cannot be Ready before it starts applying itself", p, a));
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

/// One set of limits for repository and scenario files; a scenario keeps a key written twice so that
/// the decoder can name it ("duplicate field").
load::ParseLimits scenario_parse_limits() {
  load::ParseLimits limits;
  limits.reject_duplicate_keys = false;
  return limits;
}

/// Findings about an override are located at "--set PATH": it has no file or line.
SourceLocation override_location(const ScenarioOverride& o) { return {fmt::format("--set {}", o.path), 0, 0}; }

/// Every node of an override's value is located at the override (line -(k+1), see Places).
void place_at_override(Node& root, int line) {
  std::vector<Node*> todo{&root};
  while (!todo.empty()) {
    Node* n = todo.back();
    todo.pop_back();
    n->line = line;
    n->column = 0;
    for (Node& i : n->items) todo.push_back(&i);
    for (Field& f : n->fields) {
      f.line = line;
      f.column = 0;
      todo.push_back(&f.value);
    }
  }
}

void apply_override(Node& doc, const ScenarioOverride& o, std::size_t k, Diagnostics& diags) {
  const int line = -static_cast<int>(k + 1);
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
  load::ParsedYaml parsed = load::parse_yaml(o.value, scenario_parse_limits());
  if (parsed.error) {
    diags.error(at, fmt::format("invalid YAML value \"{}\": {}", o.value, parsed.error->message));
    return;
  }
  if (parsed.documents.size() > 1) {
    diags.error(at, fmt::format("invalid YAML value \"{}\": one value, not several documents", o.value));
    return;
  }
  Node value = parsed.documents.empty() ? Node{} : std::move(parsed.documents.front());
  place_at_override(value, line);
  Node* cur = &doc;
  std::string walked;  // the path walked so far, as the user names it (no "spec." prefix)
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& seg = segments[i];
    bool last = i + 1 == segments.size();
    if (cur->is_null()) {
      *cur = Node::map();
      cur->line = line;
    }
    if (cur->is_seq()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), index);
      if (ec != std::errc() || end != seg.data() + seg.size()) {
        diags.error(at, fmt::format("{} is a list: index it with a number ({}.0)", walked, walked));
        return;
      }
      if (index >= cur->items.size()) {
        diags.error(at, fmt::format("{} has {} entries: index {} is out of range", walked, cur->items.size(), index));
        return;
      }
      cur = &cur->items[index];
    } else if (cur->is_map()) {
      Field* e = nullptr;
      for (Field& f : cur->fields)
        if (f.key == seg) {
          e = &f;
          break;
        }
      if (!e) {
        // A new key: if it is not in the schema, the decoder reports it as an unknown field at `at`.
        cur->fields.push_back(Field{seg, Node{}, line, 0});
        e = &cur->fields.back();
        e->value.line = line;
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

  const Places places(file, text, overrides);
  load::ParsedYaml parsed = load::parse_yaml(text, scenario_parse_limits());
  if (parsed.error) {
    diags.error(places.of(parsed.error->line, parsed.error->column), fmt::format("invalid YAML: {}", parsed.error->message));
    return out;
  }
  std::vector<Node*> present;
  for (Node& d : parsed.documents)
    if (!d.is_null()) present.push_back(&d);
  if (present.empty()) {
    diags.error({file}, "the scenario file is empty (a scenario starts with 'apiVersion: fluxsim/v1alpha1' and "
                        "'kind: Scenario')");
    return out;
  }
  if (present.size() > 1) {
    diags.error(places.of(*present[1]), "a scenario file holds one YAML document; found a second one here");
    return out;
  }
  Node& doc = *present.front();
  if (!doc.is_map()) {
    diags.error(places.of(doc), fmt::format("a scenario is a mapping with apiVersion, kind, metadata and spec; got {}",
                                            describe(doc)));
    return out;
  }
  Diagnostics found;
  for (std::size_t k = 0; k < overrides.size(); ++k) apply_override(doc, overrides[k], k, found);
  Decoder dec(found, places);
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
  const std::size_t limit = scenario_parse_limits().max_file_bytes;
  if (std::uintmax_t size = fs::file_size(path, ec); !ec && size > limit) {
    ScenarioLoad out;
    out.scenario.file = path;
    out.diagnostics.error({path, 1, 1}, fmt::format("the scenario file is {} bytes, more than the {} MiB a YAML file "
                                                    "may hold (a scenario is a few hundred lines); it was not read",
                                                    size, limit >> 20));
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

std::span<const ScenarioSetting> scenario_settings() { return kSettings; }

const ScenarioSetting* find_scenario_setting(std::string_view path) {
  for (const ScenarioSetting& s : kSettings)
    if (s.path == path) return &s;
  return nullptr;
}

std::int64_t scenario_setting_max(std::string_view path) { return setting(path).max; }

}  // namespace fluxsim
