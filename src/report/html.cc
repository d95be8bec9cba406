// SPDX-License-Identifier: Apache-2.0
// `fluxsim run -o html`: the whole report of one run on a single page that opens offline — inline CSS and
// the SVG Gantt chart inline, no scripts, no fonts, no network. Sections (each an element with an id that
// tests and links use): summary, gantt, critical-path (steps and the time split as a stacked bar), waves,
// failures, workers, expectations, explanation (`fluxsim explain`).
#include <algorithm>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include "fluxsim/analysis.h"
#include "fluxsim/report.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

/// Text for HTML content and attribute values; bytes that are not valid UTF-8 become U+FFFD.
std::string html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (std::size_t j = 1; valid && j < len; ++j) valid = (static_cast<unsigned char>(text[i + j]) & 0xC0) == 0x80;
    if (!valid) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (len == 1) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c < 0x20 && c != '\n' && c != '\t' ? ' ' : static_cast<char>(c);
      }
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

const char* part_colour(std::string_view part) {
  if (part == "startup") return "#bdbdbd";
  if (part == "worker") return "#969696";
  if (part == "dependency") return "#fdd49e";
  if (part == "source") return "#cbb8e6";
  if (part == "apply") return "#2b7bba";
  if (part == "health") return "#8fc1e3";
  if (part == "retry") return "#d7301f";
  return "#eeeeee";
}

constexpr const char* kStyle = R"(
body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.summary{font-size:15px}.ok{color:#238b45}.bad{color:#d7301f}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.split{display:flex;height:22px;width:100%;max-width:1000px;border:1px solid #ccc;margin:8px 0}
.split div{height:100%}.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:10px;margin-right:4px}
.gantt{overflow-x:auto;border:1px solid #eee}
pre{background:#f6f8fa;padding:10px;font-size:12px;overflow-x:auto;white-space:pre}
)";

void summary(const RunReport& report, const RunAnalysis& a, std::string& out) {
  const RunResult& r = report.result;
  const std::size_t total = report.world.kustomizations.size();
  out += "<section id=\"summary\">\n";
  if (r.all_ready)
    out += fmt::format("<p class=\"summary ok\">All {} Kustomizations Ready after <b>{}</b>.</p>\n", total, format_time(r.time_to_ready));
  else
    out += fmt::format("<p class=\"summary bad\">{} of {} Kustomizations became Ready within {}{}.</p>\n", a.ready, total,
                       format_time(r.ended_at),
                       a.last_ready == kNever ? std::string() : ", the last at " + format_time(a.last_ready));
  out += fmt::format("<p>Seed {}, {}; {} failed attempt{}.</p>\n", r.seed, html(coverage(r)), a.failed_attempts,
                     a.failed_attempts == 1 ? "" : "s");
  out += "</section>\n";
}

void gantt(const RunReport& report, std::string& out) {
  std::ostringstream svg;
  write_svg_gantt(report, svg);
  std::string text = svg.str();
  if (text.rfind("<?xml", 0) == 0) text.erase(0, text.find('\n') + 1);
  out += "<section id=\"gantt\"><h2>Gantt chart</h2>\n<div class=\"gantt\">\n" + text + "</div></section>\n";
}

void critical(const RunAnalysis& a, std::string& out) {
  const CriticalPath& cp = a.critical_path;
  out += "<section id=\"critical-path\"><h2>Critical path</h2>\n";
  if (cp.steps.empty()) {
    out += "<p>" + html(cp.summary) + "</p></section>\n";
    return;
  }
  out += fmt::format("<p>{} ({}): {}</p>\n", cp.complete ? "The chain that decided the time to full readiness" : "The chain to the last Kustomization that became Ready",
                     format_time(cp.end), html(cp.summary));
  const double total = std::max<double>(1, static_cast<double>(cp.parts.total().count()));
  std::string bar = "<div class=\"split\">", legend = "<div class=\"legend\">";
  for (const auto& [name, d] : named_parts(cp.parts)) {
    if (d.count() <= 0) continue;
    const double pct = 100.0 * static_cast<double>(d.count()) / total;
    bar += fmt::format("<div style=\"width:{:.2f}%;background:{}\" title=\"{} {}\"></div>", pct, part_colour(name), name, format_duration(d));
    legend += fmt::format("<span><i style=\"background:{}\"></i>{} {} ({:.0f}%)</span>", part_colour(name), name, format_duration(d), pct);
  }
  out += bar + "</div>\n" + legend + "</div>\n";
  out += "<table><tr><th>#</th><th>Kustomization</th><th>from → to</th><th>released by</th><th>where the time went</th></tr>\n";
  for (std::size_t i = 0; i < cp.steps.size(); ++i) {
    const CriticalStep& s = cp.steps[i];
    const std::string prev = i > 0 ? a.names[cp.steps[i - 1].kustomization] : "";
    std::string via;
    switch (s.gate) {
      case Gate::Start: via = "created by bootstrap"; break;
      case Gate::Parent: via = "created by " + prev; break;
      case Gate::Dependency: via = "dependsOn " + prev + " Ready"; break;
      case Gate::HealthCheck: via = "health check saw " + prev + " Ready"; break;
    }
    std::string parts = to_string(s.parts);
    if (s.failed_attempts > 0) parts += fmt::format(" ({} failed attempt{}: {})", s.failed_attempts, s.failed_attempts == 1 ? "" : "s", s.last_failure);
    out += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>\n", i + 1,
                       html(a.names[s.kustomization]), format_time(s.from), format_time(s.to), html(via), html(parts));
  }
  out += "</table></section>\n";
}

void waves(const RunReport& report, const RunAnalysis& a, std::string& out) {
  const RunResult& r = report.result;
  out += "<section id=\"waves\"><h2>Waves</h2>\n<p>The static order of the dependency graph: a wave's Kustomizations can start "
         "once every earlier wave is Ready.</p>\n<table><tr><th>wave</th><th>Kustomizations (Ready at)</th></tr>\n";
  const auto phases = a.graph.phases();
  for (std::size_t w = 0; w < phases.size(); ++w) {
    std::string members;
    for (NodeId n : phases[w]) {
      const SimTime t = n < r.kustomizations.size() ? r.kustomizations[n].ready_at : kNever;
      members += fmt::format("{}<span class=\"{}\">{} ({})</span>", members.empty() ? "" : ", ", t == kNever ? "bad" : "ok",
                             html(a.names[n]), t == kNever ? "never Ready" : format_time(t));
    }
    out += fmt::format("<tr><td class=\"num\">{}</td><td>{}</td></tr>\n", w, members);
  }
  out += "</table></section>\n";
}

void failures(const RunReport& report, const RunAnalysis& a, std::string& out) {
  const RunResult& r = report.result;
  out += "<section id=\"failures\"><h2>Failures</h2>\n";
  if (a.failures.empty()) out += "<p>No failed attempt.</p>\n";
  else {
    out += "<table><tr><th>Kustomization</th><th>failed attempts</th><th>first</th><th>last</th><th>what Flux said (the last time)</th>"
           "<th>retry after</th></tr>\n";
    for (const FailureGroup& g : a.failures)
      out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}: {}</td><td>{}</td></tr>\n",
                         html(a.names[g.kustomization]), g.count, format_time(g.first), format_time(g.last), html(g.reason), html(g.message),
                         g.retry.count() > 0 ? format_duration(g.retry) : "-");
    out += "</table>\n";
  }
  std::string not_ready;
  for (std::size_t k : a.order) {
    const KustomizationSummary& s = r.kustomizations[k];
    if (s.ready_at != kNever) continue;
    not_ready += fmt::format("<li><b>{}</b>: {}</li>\n", html(a.names[k]), html(a.why_not_ready[k]));
  }
  if (!not_ready.empty()) out += "<h3>Never Ready</h3>\n<ul class=\"not-ready\">\n" + not_ready + "</ul>\n";
  out += "</section>\n";
}

void workers(const RunAnalysis& a, std::string& out) {
  out += fmt::format("<section id=\"workers\"><h2>Workers ({})</h2>\n<table><tr><th>pool</th><th>workers</th><th>busy</th><th>all busy for</th>"
                     "<th>most waiting</th></tr>\n",
                     html(a.usage_window));
  for (const WorkerUsage& u : a.usage)
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0f}%</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       html(u.pool), u.workers, 100.0 * u.utilisation(), format_duration(u.saturated), u.max_queue_depth);
  out += "</table></section>\n";
}

}  // namespace

void write_html(const RunReport& report, std::ostream& os) {
  const RunAnalysis& a = report.analysis();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>fluxsim — scenario {}</title>\n<style>{}</style>\n</head>\n<body>\n", html(report.scenario.name), kStyle);
  out += fmt::format("<h1>fluxsim {} — scenario {}</h1>\n", kVersion, html(report.scenario.name));
  if (!report.scenario.description.empty()) out += "<p>" + html(report.scenario.description) + "</p>\n";
  summary(report, a, out);
  gantt(report, out);
  critical(a, out);
  waves(report, a, out);
  failures(report, a, out);
  workers(a, out);
  if (!report.expectations.empty()) {
    out += "<section id=\"expectations\"><h2>Expectations</h2>\n<ul>\n";
    for (const ExpectationResult& e : report.expectations)
      out += fmt::format("<li class=\"{}\">{} {} — {}</li>\n", e.met ? "ok" : "bad", e.met ? "ok" : "FAILED", html(e.expect), html(e.detail));
    out += "</ul></section>\n";
  }
  std::ostringstream story;
  write_explain(report, story);
  out += "<section id=\"explanation\"><h2>Explanation</h2>\n<pre>" + html(story.str()) + "</pre></section>\n";
  out += "</body>\n</html>\n";
  os << out;
}

}  // namespace fluxsim
