// SPDX-License-Identifier: Apache-2.0
// The run as a Mermaid gantt chart, for a pull-request comment: one section per Kustomization (grouped by
// wave, the critical path starred) whose phases are tasks on one row (displayMode compact), coloured by
// Mermaid's task states: queued = done (grey), waiting for a dependency or the source = active (pale),
// applying and health checking = plain (blue, named), failed = crit (red); Ready is a milestone. The
// axis frames the rollout (analysis.h) and reads "03m20s", never "03:20" that looks like hours. Times are written as local wall-clock
// instants on 2000-01-01 (dateFormat YYYY-MM-DD HH:mm:ss.SSS): Mermaid parses them in the viewer's time
// zone and formats the axis in the same zone, so the axis reads 00:00 at the start of the run wherever
// it is viewed (epoch milliseconds would shift the axis by the viewer's UTC offset).
#include <algorithm>
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

  // Section titles (the Kustomizations) sit in the left padding: make room for the longest.
  std::size_t longest = 10;
  for (std::size_t k = 0; k < world.kustomizations.size(); ++k) longest = std::max(longest, graph.name(k).size() + 6);
  std::string out = fmt::format("---\ndisplayMode: compact\nconfig:\n  gantt:\n    leftPadding: {}\n---\ngantt\n",
                                std::min<std::size_t>(longest * 7 + 16, 320));
  if (r.all_ready)
    out += fmt::format("  title {}: all {} Kustomizations Ready after {} (seed {})\n", task_name(report.scenario.name),
                       world.kustomizations.size(), format_time(r.time_to_ready), r.seed);
  else
    out += fmt::format("  title {}: {} of {} Kustomizations Ready within {} (seed {})\n", task_name(report.scenario.name), analysis.ready,
                       world.kustomizations.size(), format_time(r.ended_at), r.seed);
  out += fmt::format("  %% {}\n", coverage(r));
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
      // The phases as tasks; neighbours that read the same (startup and queued) are one task. A task too
      // short for its label gets an invisible one (a zero-width space), so labels never overlap.
      struct Task {
        std::string label, tags;
        SimTime from, to;
        bool always_named = false;  // the never-Ready end of a row: its reason is the point
      };
      std::vector<Task> tasks;
      const std::vector<PhaseSpan>& spans = analysis.timelines[k];
      for (std::size_t i = 0; i < spans.size(); ++i) {
        const PhaseSpan& p = spans[i];
        if (p.from >= frame) break;
        if (p.phase == Phase::Ready || p.phase == Phase::Idle) continue;
        const SimTime to = std::min(p.to, frame);
        const bool last = i + 1 == spans.size() || spans[i + 1].from >= frame;
        Task t{"", "", p.from, to, false};
        switch (p.phase) {
          case Phase::Startup:
          case Phase::Queued: t.label = "queued"; t.tags = "done, "; break;
          case Phase::WaitingForSource: t.label = "waiting for source"; t.tags = "active, "; break;
          case Phase::WaitingForDependency: t.label = "waiting for dependencies"; t.tags = "active, "; break;
          case Phase::Applying: t.label = "applying"; break;
          case Phase::HealthChecking: t.label = "health checking"; break;
          case Phase::Failed: t.label = "failed"; t.tags = "crit, "; break;
          default: break;
        }
        if (s.ready_at == kNever && last) {
          t.label = "never Ready: " + analysis.why_not_ready_reason[k];
          t.tags = "crit, ";
          t.always_named = true;
        }
        if (!tasks.empty() && tasks.back().label == t.label && tasks.back().to == t.from) tasks.back().to = t.to;
        else tasks.push_back(std::move(t));
      }
      const std::int64_t frame_ms = std::max<std::int64_t>(1, to_ms(frame));
      for (const Task& t : tasks) {
        const double share = static_cast<double>(to_ms(t.to) - to_ms(t.from)) / static_cast<double>(frame_ms);
        const bool fits = t.always_named || static_cast<double>(t.label.size()) * 0.0075 < share;  // ~7px a character on a ~950px axis
        out += fmt::format("  {} :{}k{}, {}, {}\n", fits ? task_name(t.label) : "\u200b", t.tags, ++id, wall_clock(t.from), wall_clock(t.to));
      }
      if (s.ready_at != kNever && s.ready_at <= frame)
        out += fmt::format("  Ready {} :milestone, k{}, {}, {}\n", format_time(s.ready_at), ++id, wall_clock(s.ready_at), wall_clock(s.ready_at));
    }
  }
  os << out;
}

}  // namespace fluxsim
