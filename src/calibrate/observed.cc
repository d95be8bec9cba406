// SPDX-License-Identifier: Apache-2.0
// Reading a cluster's exported state (kubectl get ... -A -o json): JSON is YAML, so the project's one
// YAML reader parses it and every item keeps its line for messages.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "fluxsim/calibrate.h"
#include "load/document.h"

namespace fluxsim {
namespace {

using load::Node;
using load::parse_yaml;
using load::ParseLimits;
using load::ParsedYaml;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, out);
  return ec == std::errc() && end == s.data() + at + n;
}

const Node* ready_condition(const Node& item) {
  const Node* conds = item.at({"status", "conditions"});
  if (!conds || !conds->is_seq()) return nullptr;
  for (const Node& c : conds->items)
    if (c.text({"type"}) == "Ready") return &c;
  return nullptr;
}

// "Reconciliation finished in 5.2s, next run in 1h0m0s" -> 5200.
std::optional<std::int64_t> finished_in(std::string_view message) {
  constexpr std::string_view kKey = "finished in ";
  std::size_t p = message.find(kKey);
  if (p == std::string_view::npos) return std::nullopt;
  p += kKey.size();
  std::size_t e = p;
  while (e < message.size() && message[e] != ',' && message[e] != ' ') ++e;
  DurationParse d = parse_duration(message.substr(p, e - p));
  if (!d.value) return std::nullopt;
  return d.value->count();
}

class Reader {
 public:
  Reader(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  std::optional<Node> document(std::string_view text) {
    ParseLimits limits;
    limits.max_nodes = 50'000'000;
    ParsedYaml parsed = parse_yaml(text, limits);
    if (parsed.error) {
      diags_.error({file_, parsed.error->line, parsed.error->column},
                   fmt::format("not a kubectl -o json export: {}", parsed.error->message));
      return std::nullopt;
    }
    if (parsed.documents.size() != 1 || !parsed.documents[0].is_map()) {
      diags_.error({file_, 1, 0}, "not a kubectl -o json export: expected one JSON object (a List with items)");
      return std::nullopt;
    }
    return std::move(parsed.documents[0]);
  }

  /// items of a List, or the object itself.
  std::vector<const Node*> items(const Node& doc) {
    std::vector<const Node*> out;
    if (const Node* list = doc.get("items")) {
      if (!list->is_seq()) {
        diags_.error({file_, list->line, list->column}, "items: expected a list");
        return out;
      }
      for (const Node& it : list->items) out.push_back(&it);
    } else if (doc.get("kind")) {
      out.push_back(&doc);
    } else {
      diags_.error({file_, doc.line, doc.column}, "not a kubectl -o json export: no items and no kind");
    }
    return out;
  }

  std::optional<std::int64_t> time(const Node& item, std::initializer_list<std::string_view> path, bool required) {
    const Node* n = item.at(path);
    if (!n || !n->is_scalar() || n->value.empty()) {
      if (required) missing(item, path);
      return std::nullopt;
    }
    std::optional<std::int64_t> t = parse_rfc3339(n->value);
    if (!t) bad(*n, path, fmt::format("\"{}\" is not an RFC 3339 time", n->value));
    return t;
  }

  std::optional<std::int64_t> duration(const Node& n, std::string_view path) {
    if (!n.is_scalar()) {
      diags_.error({file_, n.line, n.column}, fmt::format("{}: expected a duration", path));
      return std::nullopt;
    }
    DurationParse d = parse_duration(n.value);
    if (!d.value || d.value->count() < 0) {
      diags_.error({file_, n.line, n.column}, fmt::format("{}: \"{}\" is not a duration", path, n.value));
      return std::nullopt;
    }
    return d.value->count();
  }

  void missing(const Node& item, std::initializer_list<std::string_view> path) {
    std::string p;
    for (std::string_view s : path) {
      if (!p.empty()) p += '.';
      p += s;
    }
    diags_.error({file_, item.line, item.column}, fmt::format("{} {}: missing {}", item.text({"kind"}),
                                                              item.text({"metadata", "name"}), p));
  }
  void bad(const Node& n, std::initializer_list<std::string_view> path, const std::string& what) {
    std::string p;
    for (std::string_view s : path) {
      if (!p.empty()) p += '.';
      p += s;
    }
    diags_.error({file_, n.line, n.column}, fmt::format("{}: {}", p, what));
  }

 private:
  const std::string& file_;
  Diagnostics& diags_;
};

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t p = 19;
  std::int64_t ms = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int scale = 100, n = 0;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      ms += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
      ++n;
    }
    if (n == 0) return std::nullopt;
  }
  std::int64_t offset_min = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int oh = 0, om = 0;
    if (!digits(s, p + 1, 2, oh) || p + 3 >= s.size() || s[p + 3] != ':' || !digits(s, p + 4, 2, om)) return std::nullopt;
    offset_min = (s[p] == '-' ? -1 : 1) * (oh * 60 + om);
    p += 6;
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60'000 + se * 1000 + ms - offset_min * 60'000;
}

const ObservedObject* Observed::find(std::string_view kind, std::string_view ns, std::string_view name) const {
  for (const ObservedObject& o : objects)
    if (o.kind == kind && o.ns == ns && o.name == name) return &o;
  return nullptr;
}

ObservedLoad parse_observed(std::string_view text, const std::string& file, std::string_view events_text,
                            const std::string& events_file) {
  ObservedLoad out;
  out.observed.file = file;
  Reader r(file, out.diagnostics);
  std::optional<Node> doc = r.document(text);
  if (!doc) return out;
  std::vector<ObservedObject>& objs = out.observed.objects;
  for (const Node* item : r.items(*doc)) {
    if (!item->is_map()) {
      out.diagnostics.error({file, item->line, item->column}, "items: expected objects");
      continue;
    }
    ObservedObject o;
    o.kind = item->text({"kind"});
    o.ns = item->text({"metadata", "namespace"});
    o.name = item->text({"metadata", "name"});
    o.line = item->line;
    if (o.kind.empty() || o.name.empty()) {
      out.diagnostics.error({file, item->line, item->column}, "item without kind or metadata.name");
      continue;
    }
    o.created_ms = r.time(*item, {"metadata", "creationTimestamp"}, true);
    if (const Node* ready = ready_condition(*item)) {
      o.ready = ready->text({"status"}) == "True";
      if (o.ready) o.ready_ms = r.time(*ready, {"lastTransitionTime"}, true);
    }
    if (o.kind == "Kustomization") {
      o.wait = item->text({"spec", "wait"}) == "true";
      if (const Node* hc = item->at({"spec", "healthChecks"}); hc && hc->is_seq() && !hc->items.empty()) o.wait = true;
      if (const Node* inv = item->at({"status", "inventory", "entries"}); inv && inv->is_seq())
        for (const Node& e : inv->items) {
          // id: <namespace>_<name>_<group>_<kind>
          const std::string id = e.text({"id"});
          const std::size_t us = id.rfind('_');
          if (us != std::string::npos) o.inventory_kinds.push_back(id.substr(us + 1));
        }
      if (const Node* hist = item->at({"status", "history"}); hist && hist->is_seq() && !hist->items.empty()) {
        // The oldest entry is the first revision applied: the bootstrap pass.
        const Node* first = &hist->items.front();
        std::optional<std::int64_t> earliest;
        for (const Node& h : hist->items)
          if (std::optional<std::int64_t> t = r.time(h, {"firstReconciled"}, false); t && (!earliest || *t < *earliest)) {
            earliest = t;
            first = &h;
          }
        if (const Node* d = first->get("lastReconciledDuration")) o.pass_ms = r.duration(*d, "status.history[].lastReconciledDuration");
      }
    } else if (o.kind == "HelmRelease") {
      if (const Node* hist = item->at({"status", "history"}); hist && hist->is_seq() && !hist->items.empty() && o.ready_ms) {
        // Helm's snapshots, newest first: the oldest's firstDeployed is when the install began.
        std::optional<std::int64_t> first;
        for (const Node& h : hist->items)
          if (std::optional<std::int64_t> t = r.time(h, {"firstDeployed"}, false); t && (!first || *t < *first)) first = t;
        if (first && *o.ready_ms >= *first) o.pass_ms = *o.ready_ms - *first;
      }
    }
    objs.push_back(std::move(o));
  }
  if (!events_text.empty()) {
    Reader er(events_file, out.diagnostics);
    if (std::optional<Node> ev = er.document(events_text))
      for (const Node* e : er.items(*ev)) {
        if (e->text({"involvedObject", "kind"}) != "Kustomization") continue;
        std::optional<std::int64_t> d = finished_in(e->text({"message"}));
        if (!d) continue;
        for (ObservedObject& o : objs)
          if (o.kind == "Kustomization" && o.ns == e->text({"involvedObject", "namespace"}) &&
              o.name == e->text({"involvedObject", "name"}) && !o.pass_ms) {
            o.pass_ms = d;
            break;
          }
      }
  }
  if (objs.empty() && !out.diagnostics.has_errors())
    out.diagnostics.error({file, doc->line, doc->column}, "no Flux objects in the export (kubectl get kustomizations,helmreleases,... -A -o json)");
  // Time zero: the earliest creation.
  std::int64_t origin = std::numeric_limits<std::int64_t>::max();
  for (const ObservedObject& o : objs)
    if (o.created_ms) origin = std::min(origin, *o.created_ms);
  if (origin == std::numeric_limits<std::int64_t>::max()) origin = 0;
  out.observed.origin_ms = origin;
  for (ObservedObject& o : objs) {
    if (o.created_ms) *o.created_ms -= origin;
    if (o.ready_ms) *o.ready_ms -= origin;
  }
  return out;
}

ObservedLoad read_observed(const std::string& path, const std::string& events_path) {
  std::string text, events;
  if (!read_file(path, text)) {
    ObservedLoad out;
    out.diagnostics.error({path, 0, 0}, "cannot read the file");
    return out;
  }
  if (!events_path.empty() && !read_file(events_path, events)) {
    ObservedLoad out;
    out.diagnostics.error({events_path, 0, 0}, "cannot read the file");
    return out;
  }
  return parse_observed(text, path, events, events_path);
}

}  // namespace fluxsim
