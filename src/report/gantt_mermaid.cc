// SPDX-License-Identifier: Apache-2.0
// The run as a Mermaid gantt chart, for a pull-request comment: one section per Kustomization (grouped by
// wave, the critical path starred) whose phases are tasks on one row (displayMode compact), coloured by
// Mermaid's task states: queued = done (grey), waiting for a dependency or the source = active (pale),
// applying and health checking = plain (blue, named), failed = crit (red); Ready is a milestone. The
// axis frames the rollout (analysis.h) and reads "03m20s", never "03:20" that looks like hours. Times are written as local wall-clock
// instants on 2000-01-01 (dateFormat YYYY-MM-DD HH:mm:ss.SSS): Mermaid parses them in the viewer's time
// zone and formats the axis in the same zone, so the axis reads 00:00 at the start of the run wherever
// it is viewed (epoch milliseconds would shift the axis by the viewer's UTC offset).
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/analysis.h"
#include "fluxsim/report.h"

namespace fluxsim {
namespace {

/// "2000-01-01 00:02:41.500" for t = 2m41.5s.
std::string wall_clock(SimTime t) {
  std::int64_t ms = to_ms(t);
  std::int64_t days = ms / 86'400'000;
  ms %= 86'400'000;
  int year = 2000, month = 1;
  auto days_in = [](int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kDays[m - 1];
  };
  while (days >= days_in(year, month)) {
    days -= days_in(year, month);
    if (++month > 12) {
      month = 1;
      ++year;
    }
  }
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}", year, month, days + 1, ms / 3'600'000, ms / 60'000 % 60,
                     ms / 1000 % 60, ms % 1000);
}

/// Task names end at ':' and '#' starts an entity in Mermaid; ';' ends a statement.
std::string task_name(std::string name) {
  for (char& c : name)
    if (c == ':' || c == '#' || c == ';') c = '_';
  return name;
}

}  // namespace

void write_mermaid_gantt(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  const RunAnalysis& analysis = report.analysis();
  const DependencyGraph& graph = analysis.graph;
  const SimTime frame = analysis.frame_end;

  std::string out = "---\ndisplayMode: compact\n---\ngantt\n";
  if (r.all_ready)
    out += fmt::format("  title {}: all {} Kustomizations Ready after {} (seed {})\n", task_name(report.scenario.name),
                       world.kustomizations.size(), format_time(r.time_to_ready), r.seed);
  else
    out += fmt::format("  title {}: {} of {} Kustomizations Ready within {} (seed {})\n", task_name(report.scenario.name), analysis.ready,
                       world.kustomizations.size(), format_time(r.ended_at), r.seed);
  out += "  dateFormat YYYY-MM-DD HH:mm:ss.SSS\n";
  out += fmt::format("  axisFormat {}\n", frame >= SimTime{std::chrono::hours(1)} ? "%Hh%Mm" : "%Mm%Ss");
  out += "  todayMarker off\n";
  out += fmt::format("  %% 0 → {}: the rollout until the last Ready; ★ = on the critical path; done = queued, active = waiting for a "
                     "dependency or the source, crit = failed\n",
                     format_time(frame));

  std::size_t id = 0;
  for (int w = 0; w < graph.wave_count(); ++w) {
    for (std::size_t k : analysis.order) {
      if (graph.wave(k) != w) continue;
      const KustomizationSummary& s = r.kustomizations[k];
      const std::string name = task_name(graph.name(k));
      out += fmt::format("  section {}w{} {}\n", analysis.on_critical_path[k] ? "★ " : "", w, name);
      if (s.created_at == kNever) {
        out += fmt::format("  never created :crit, k{}, {}, {}\n", ++id, wall_clock(SimTime{}), wall_clock(frame));
        continue;
      }
      const std::vector<PhaseSpan>& spans = analysis.timelines[k];
      for (std::size_t i = 0; i < spans.size(); ++i) {
        const PhaseSpan& p = spans[i];
        if (p.from >= frame) break;
        if (p.phase == Phase::Ready || p.phase == Phase::Idle) continue;
        const SimTime to = std::min(p.to, frame);
        const bool last = i + 1 == spans.size() || spans[i + 1].from >= frame;
        std::string label, tags;
        switch (p.phase) {
          case Phase::Startup:
          case Phase::Queued: label = "queued"; tags = "done, "; break;
          case Phase::WaitingForSource: label = "waiting for source"; tags = "active, "; break;
          case Phase::WaitingForDependency: label = "waiting for dependencies"; tags = "active, "; break;
          case Phase::Applying: label = "applying"; break;
          case Phase::HealthChecking: label = "health checking"; break;
          case Phase::Failed: label = "failed"; tags = "crit, "; break;
          default: break;
        }
        if (s.ready_at == kNever && last) {
          label = "never Ready: " + analysis.why_not_ready_reason[k];
          tags = "crit, ";
        }
        out += fmt::format("  {} :{}k{}, {}, {}\n", task_name(label), tags, ++id, wall_clock(p.from), wall_clock(to));
      }
      if (s.ready_at != kNever && s.ready_at <= frame)
        out += fmt::format("  Ready {} :milestone, k{}, {}, {}\n", format_time(s.ready_at), ++id, wall_clock(s.ready_at), wall_clock(s.ready_at));
    }
  }
  os << out;
}

}  // namespace fluxsim
