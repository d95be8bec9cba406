// SPDX-License-Identifier: Apache-2.0
// Reports of a run: pure functions of (Scenario, World, RunResult) writing text to a stream. Each
// format lives in its own file under src/report/; adding one never touches the engine.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/analysis.h"
#include "fluxsim/model.h"
#include "fluxsim/scenario.h"
#include "fluxsim/trace.h"

namespace fluxsim {

enum class ReportFormat { Table, Json, Mermaid, Trace, Svg, Html };

/// Parses "table", "json", ...; nullopt for an unknown name.
std::optional<ReportFormat> parse_report_format(std::string_view name);

/// Everything a single-run report shows.
struct RunReport {
  const Scenario& scenario;
  const World& world;
  const RunResult& result;
  std::vector<ExpectationResult> expectations;

  /// The one analysis of the run (analysis.h) that every renderer reads: computed on first use, then
  /// shared by every format written from this report.
  const RunAnalysis& analysis() const;
  mutable std::shared_ptr<const RunAnalysis> analysis_cache{};
};

/// The human table (product.md §3): one row per Kustomization in ready order, then time to full
/// readiness and controller worker utilisation.
void write_table(const RunReport& report, std::ostream& out);

/// Stable JSON (product.md §3, schema docs/report.schema.json): camelCase fields, times as integer
/// milliseconds of simulated time. The trace events are not in it: they are a separate stream (--events).
void write_json(const RunReport& report, std::ostream& out);

/// One trace event as one line of JSON Lines (`fluxsim run --events FILE`): atMs, object
/// ("Kustomization/ns/name"), type, and worker, reason and message when set. Written as the engine
/// produces events, so a run's events are never all in memory.
void write_event_line(const World& world, const RunResult& result, const TraceEvent& event, std::ostream& out);
/// The last line of `--events`: type RunEnded at RunResult::ended_at, reason Settled (nothing could change
/// any more), AllReady or Horizon, and what the events cover as its message (coverage()).
void write_run_end_line(const RunResult& result, std::ostream& out);

/// The trace events a report of a run draws (kinds becoming served, controller restarts): all a run keeps
/// in memory when it streams its events (EngineOptions::keep_events false).
bool drawn_by_reports(TraceType type);

/// "Kustomization/flux-system/apps", "GitRepository/flux-system/flux-system", "" for no subject.
std::string object_name(const World& world, const TraceEvent& event);

/// A Mermaid `gantt` chart (renders in GitHub Markdown inside a ```mermaid fence): one task per
/// Kustomization from its creation to its first Ready (or the end of the run), grouped by wave; tasks on the
/// critical path are marked `crit`, Ready ones `done`, the others `active`. (src/report/gantt_mermaid.cc)
void write_mermaid_gantt(const RunReport& report, std::ostream& out);

/// A self-contained SVG Gantt chart: one row (a <g class="kustomization"> group) per Kustomization in ready
/// order, bars coloured by phase (timeline.h), a labelled time axis and a legend. (src/report/gantt_svg.cc)
void write_svg_gantt(const RunReport& report, std::ostream& out);

/// Chrome trace-event JSON (Perfetto, chrome://tracing): one track per controller worker with a complete
/// ("X") event per pass, and one track per Kustomization with its phases; times in microseconds.
/// (src/report/chrome_trace.cc)
void write_chrome_trace(const RunReport& report, std::ostream& out);

/// `fluxsim explain`: the run as a numbered story, one line per controller decision, each naming the Flux
/// rule (field or flag) behind it; stops at full readiness, then the critical path and its hint.
/// Needs a recorded run. (src/report/explain.cc)
void write_explain(const RunReport& report, std::ostream& out);

/// A single-file HTML page that opens offline (inline CSS and SVG, no scripts, no network): the summary,
/// the Gantt chart, the critical path and its time split, the waves, the failures and the explanation.
/// (src/report/html.cc)
void write_html(const RunReport& report, std::ostream& out);

/// Kustomization indexes in the order the table lists them: by first Ready, never-Ready last
/// (by creation, then name).
std::vector<std::size_t> ready_order(const World& world, const RunResult& result);


}  // namespace fluxsim
