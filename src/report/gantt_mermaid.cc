// SPDX-License-Identifier: Apache-2.0
// The run as a Mermaid gantt chart, for a pull-request comment. Times are written as local wall-clock
// instants on 2000-01-01 (dateFormat YYYY-MM-DD HH:mm:ss.SSS): Mermaid parses them in the viewer's time
// zone and formats the axis in the same zone, so the axis reads 00:00 at the start of the run wherever
// it is viewed (epoch milliseconds would shift the axis by the viewer's UTC offset).
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
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
  const DependencyGraph graph(world);
  const CriticalPath cp = critical_path(world, report.scenario, r);
  std::vector<bool> critical(world.kustomizations.size(), false);
  for (const CriticalStep& s : cp.steps) critical[s.kustomization] = true;

  std::string out = "gantt\n";
  if (r.all_ready)
    out += fmt::format("  title {}: all {} Kustomizations Ready after {} (seed {})\n", task_name(report.scenario.name),
                       world.kustomizations.size(), format_time(r.time_to_ready), r.seed);
  else
    out += fmt::format("  title {}: not all Ready within {} (seed {})\n", task_name(report.scenario.name), format_time(r.ended_at),
                       r.seed);
  out += "  dateFormat YYYY-MM-DD HH:mm:ss.SSS\n";
  const SimTime span = r.all_ready ? r.time_to_ready : r.ended_at;
  out += fmt::format("  axisFormat {}\n", span >= SimTime{std::chrono::hours(1)} ? "%H:%M" : "%M:%S");
  out += "  todayMarker off\n";
  out += "  %% one task per Kustomization, from its creation until it first became Ready; crit = on the critical path\n";

  const std::vector<std::size_t> order = ready_order(world, r);
  std::size_t id = 0;
  for (int w = 0; w < graph.wave_count(); ++w) {
    bool header = false;
    for (std::size_t k : order) {
      if (graph.wave(k) != w) continue;
      if (!header) {
        out += fmt::format("  section wave {}\n", w);
        header = true;
      }
      const KustomizationSummary& s = r.kustomizations[k];
      ++id;
      if (s.created_at == kNever) {
        out += fmt::format("  %% {}: never created\n", task_name(graph.name(k)));
        continue;
      }
      const bool ready = s.ready_at != kNever;
      SimTime end = ready ? s.ready_at : r.ended_at;
      if (end <= s.created_at) end = s.created_at + Duration{1};
      std::string tags = critical[k] ? "crit, " : "";
      tags += ready ? "done, " : "active, ";
      out += fmt::format("  {} :{}k{}, {}, {}\n", task_name(graph.name(k)), tags, id, wall_clock(s.created_at), wall_clock(end));
    }
  }
  if (r.all_ready) {
    out += "  section ready\n";
    out += fmt::format("  all Ready :milestone, ready, {}, {}\n", wall_clock(r.time_to_ready), wall_clock(r.time_to_ready));
  }
  os << out;
}

}  // namespace fluxsim
