// SPDX-License-Identifier: Apache-2.0
// `fluxsim check` output: one diagnostic line per finding (the house format of diagnostics.h, tagged with
// the check's id), or JSON for tools.
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fluxsim/check.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "?";
}

}  // namespace

void write_check_text(const CheckResult& result, std::ostream& os) {
  std::string out;
  for (const Finding& f : result.findings) out += to_string(f.diagnostic) + " [" + f.check + "]\n";
  const std::size_t errors = result.errors(), warnings = result.warnings();
  if (result.findings.empty()) out += "no findings\n";
  else out += fmt::format("{} error{}, {} warning{}\n", errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
  os << out;
}

void write_check_json(const CheckResult& result, const Scenario& scenario, std::ostream& os) {
  using Json = nlohmann::ordered_json;
  Json doc;
  doc["fluxsimVersion"] = kVersion;
  doc["scenario"] = scenario.name;
  doc["errors"] = result.errors();
  doc["warnings"] = result.warnings();
  Json findings = Json::array();
  for (const Finding& f : result.findings) {
    const Diagnostic& d = f.diagnostic;
    Json j;
    j["check"] = f.check;
    j["severity"] = severity_name(d.severity);
    j["file"] = d.where.file.empty() ? Json(nullptr) : Json(d.where.file);
    j["line"] = d.where.line > 0 ? Json(d.where.line) : Json(nullptr);
    j["column"] = d.where.column > 0 ? Json(d.where.column) : Json(nullptr);
    j["object"] = d.object;
    j["message"] = d.message;
    j["hint"] = d.hint;
    findings.push_back(std::move(j));
  }
  doc["findings"] = std::move(findings);
  os << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace fluxsim
