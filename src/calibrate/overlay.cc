// SPDX-License-Identifier: Apache-2.0
// The timing overlay: a Scenario file whose spec holds only `timing` (and `controllers`), written by
// `fluxsim calibrate` and read by `--timing FILE`. It is validated as a scenario (so every problem has
// its file and line), then turned into `--set` overrides that go in before the command line's own.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "fluxsim/calibrate.h"
#include "load/document.h"

namespace fluxsim {

std::string write_timing_overlay(const Calibration& c, const std::string& observed_file) {
  std::string out;
  out += "# fluxsim timing overlay, fitted by `fluxsim calibrate` to " + observed_file + "\n";
  out += "# Use it with: fluxsim run|diff|compare ... --timing THIS_FILE (the command line's --set still wins).\n";
  for (const std::string& n : c.notes) out += "#   " + n + "\n";
  out += "apiVersion: fluxsim/v1alpha1\nkind: Scenario\nmetadata:\n  name: calibrated-timing\nspec:\n  timing:\n";
  if (c.build) out += "    build: " + format_duration(*c.build) + "\n";
  if (c.apply_per_object) out += "    applyPerObject: " + format_duration(*c.apply_per_object) + "\n";
  if (!c.fetch.empty()) {
    out += "    fetch:\n";
    for (const auto& [kind, d] : c.fetch) out += "      " + kind + ": " + format_duration(d) + "\n";
  }
  if (!c.ready.empty()) {
    out += "    ready:\n";
    for (const auto& [kind, d] : c.ready)
      out += "      - match: {kind: " + kind + "}\n        after: " + format_duration(d) + "\n";
  }
  if (c.contention) out += fmt::format("    capacity:\n      contention: {}\n", *c.contention);
  return out;
}

TimingOverlay load_timing_overlay(const std::string& path) {
  TimingOverlay o;
  o.file = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    o.diagnostics.error({path, 0, 0}, "--timing: cannot read the file");
    return o;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  // Validated as a scenario: unknown fields, bad durations and wrong types with file:line.
  ScenarioLoad as_scenario = parse_scenario(text, path);
  if (as_scenario.diagnostics.has_errors()) {
    o.diagnostics = std::move(as_scenario.diagnostics);
    return o;
  }
  load::ParsedYaml parsed = load::parse_yaml(text);
  if (parsed.error || parsed.documents.empty()) {
    o.diagnostics.error({path, 1, 0}, "--timing: not a YAML document");
    return o;
  }
  const load::Node& doc = parsed.documents.front();
  const load::Node* spec = doc.get("spec");
  if (!spec || !spec->is_map()) return o;
  for (const load::Field& f : spec->fields) {
    if (f.key == "timing") {
      if (!f.value.is_map()) continue;
      for (const load::Field& t : f.value.fields) {
        if (t.key == "ready") continue;
        if (t.key == "capacity" && t.value.is_map()) {  // leaf by leaf: the scenario's other capacity parameters stay
          for (const load::Field& c : t.value.fields) o.overrides.push_back({"timing.capacity." + c.key, load::to_yaml(c.value)});
          continue;
        }
        o.overrides.push_back({"timing." + t.key, load::to_yaml(t.value)});
      }
    } else if (f.key == "controllers") {
      if (!f.value.is_map()) continue;
      for (const load::Field& c : f.value.fields)
        if (c.value.is_map())
          for (const load::Field& v : c.value.fields)
            o.overrides.push_back({"controllers." + c.key + "." + v.key, load::to_yaml(v.value)});
    } else {
      o.diagnostics.error({path, f.value.line, f.value.column},
                          fmt::format("--timing: a timing overlay sets only spec.timing and spec.controllers, not spec.{}", f.key));
    }
  }
  o.ready = as_scenario.scenario.timing.ready;
  return o;
}

void apply_timing_overlay(const TimingOverlay& overlay, Scenario& scenario) {
  std::vector<ReadyRule> rules = overlay.ready;
  rules.insert(rules.end(), scenario.timing.ready.begin(), scenario.timing.ready.end());
  scenario.timing.ready = std::move(rules);
}

}  // namespace fluxsim
