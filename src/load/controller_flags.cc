// SPDX-License-Identifier: Apache-2.0
#include "load/controller_flags.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "load/selector.h"

namespace fluxsim::load {
namespace {

constexpr std::array<std::string_view, 3> kControllers = {"kustomize", "helm", "source"};

// The flags that change timing, per controller (flux-semantics.md §3, §10, §11).
bool timing_flag(std::string_view name) {
  return name == "concurrent" || name == "requeue-dependency" || name == "interval-jitter-percentage" ||
         name == "min-retry-delay" || name == "feature-gates";
}

// Every "--name=value" in `text`, attributed to `line` of `file`.
void scan_args(std::string_view text, const std::vector<std::string>& controllers, const std::string& file, int line,
               std::vector<ControllerFlag>& out) {
  std::size_t pos = 0;
  while ((pos = text.find("--", pos)) != std::string_view::npos) {
    pos += 2;
    std::size_t eq = text.find('=', pos);
    if (eq == std::string_view::npos) break;
    std::string_view name = text.substr(pos, eq - pos);
    if (!timing_flag(name)) continue;
    std::size_t end = eq + 1;
    // --feature-gates=A=true,B=false is one value, commas included.
    const bool list_value = name == "feature-gates";
    while (end < text.size() && text[end] != '\n' && text[end] != ' ' && text[end] != '"' && text[end] != '\'' &&
           (list_value || text[end] != ',') && text[end] != ']')
      ++end;
    std::string value(text.substr(eq + 1, end - eq - 1));
    if (value.empty()) continue;
    // A multi-line scalar is a block scalar whose content starts on the line after its indicator.
    int at = line;
    if (line > 0 && text.find('\n') + 1 < text.size())
      at = line + 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
    for (const std::string& c : controllers) out.push_back({c, std::string(name), value, {file, at, 0}});
    pos = end;
  }
}

// A CPU limit in a patch's text: a JSON6902 operation on .../resources/limits/cpu (its `value:` within the
// next lines), or a strategic-merge patch's `limits:` block with a `cpu:` entry. Recorded as the
// pseudo-flag "cpu-limit" (the capacity model's budget, capacity.h).
void scan_cpu_limit(std::string_view text, const std::vector<std::string>& controllers, const std::string& file,
                    int line, std::vector<ControllerFlag>& out) {
  auto value_after = [&](std::size_t pos, std::string_view key) -> std::pair<std::string, std::size_t> {
    // The first `key` within the next three lines after pos.
    std::size_t limit = pos;
    for (int i = 0; i < 4 && limit != std::string_view::npos; ++i) limit = text.find('\n', limit + 1);
    std::size_t at = text.find(key, pos);
    if (at == std::string_view::npos || (limit != std::string_view::npos && at > limit)) return {"", 0};
    std::size_t b = at + key.size();
    while (b < text.size() && (text[b] == ' ' || text[b] == '"' || text[b] == '\'')) ++b;
    std::size_t e = b;
    while (e < text.size() && text[e] != '\n' && text[e] != ' ' && text[e] != '"' && text[e] != '\'' && text[e] != ',' &&
           text[e] != '}')
      ++e;
    return {std::string(text.substr(b, e - b)), at};
  };
  std::pair<std::string, std::size_t> found;
  if (std::size_t p = text.find("/resources/limits/cpu"); p != std::string_view::npos) found = value_after(p, "value:");
  else if (std::size_t q = text.find("limits:"); q != std::string_view::npos) found = value_after(q, "cpu:");
  if (found.first.empty()) return;
  int at = line;
  if (line > 0 && text.find('\n') + 1 < text.size())
    at = line + 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(found.second), '\n'));
  for (const std::string& c : controllers) out.push_back({c, "cpu-limit", found.first, {file, at, 0}});
}

// The controllers a kustomize target name (an anchored regular expression) selects.
std::vector<std::string> targeted(const std::string& pattern) {
  std::vector<std::string> out;
  if (regexp_error(pattern)) return out;
  for (std::string_view c : kControllers) {
    std::string name = std::string(c) + "-controller";
    if (regexp_matches(pattern, name)) out.emplace_back(c);
  }
  return out;
}

void scalars(const Node& n, std::string& text) {
  if (n.is_scalar()) {
    text += n.value;
    text += '\n';
  }
  for (const Node& item : n.items) scalars(item, text);
  for (const Field& f : n.fields) scalars(f.value, text);
}

void walk(const Node& n, const std::string& file, std::vector<ControllerFlag>& out, int depth) {
  if (depth > 64) return;
  if (n.is_map()) {
    const Node* patch = n.get("patch");
    const Node* target = patch ? n.get("target") : nullptr;
    const Node* target_kind = target ? target->get("kind") : nullptr;
    if (target_kind && target_kind->is_scalar() && target_kind->value == "Deployment") {
      std::vector<std::string> controllers;
      if (const Node* name = target->get("name"); name && name->is_scalar()) controllers = targeted(name->value);
      if (!controllers.empty()) {
        std::string text;
        scalars(*patch, text);
        scan_args(text, controllers, file, patch->line, out);
        scan_cpu_limit(text, controllers, file, patch->line, out);
      }
    }
    // A controller Deployment itself (a document of its own).
    const Node* kind = depth == 0 ? n.get("kind") : nullptr;
    if (kind && kind->is_scalar() && kind->value == "Deployment") {
      const std::string name = n.text({"metadata", "name"});
      for (std::string_view c : kControllers)
        if (name == std::string(c) + "-controller")
          if (const Node* containers = n.at({"spec", "template", "spec", "containers"}))
            for (const Node& container : containers->items) {
              if (const Node* args = container.get("args"))
                for (const Node& arg : args->items)
                  if (arg.is_scalar()) scan_args(arg.value, {std::string(c)}, file, arg.line, out);
              if (const Node* cpu = container.at({"resources", "limits", "cpu"}); cpu && cpu->is_scalar())
                out.push_back({std::string(c), "cpu-limit", cpu->value, {file, cpu->line, 0}});
            }
    }
    for (const Field& f : n.fields) walk(f.value, file, out, depth + 1);
  } else if (n.is_seq()) {
    for (const Node& item : n.items) walk(item, file, out, depth + 1);
  }
}

}  // namespace

void find_controller_flags(const Node& document, const std::string& file, std::vector<ControllerFlag>& out) {
  walk(document, file, out, 0);
}

}  // namespace fluxsim::load
