// SPDX-License-Identifier: Apache-2.0
// The run as a self-contained SVG Gantt chart: no scripts, no external fonts or stylesheets. One row
// per Kustomization in ready order, its phases (timeline.h) as coloured bars with a tooltip each, a time
// axis at the top and the bottom with gridlines, a legend, and the moment everything was Ready. Rows are
// 20px high with alternating shading, so a chart of 100 Kustomizations stays readable.
#include <algorithm>
#include <array>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/critical_path.h"
#include "fluxsim/graph.h"
#include "fluxsim/report.h"
#include "fluxsim/timeline.h"
#include "fluxsim/version.h"

namespace fluxsim {
namespace {

constexpr double kRowHeight = 20;
constexpr double kBarHeight = 12;
constexpr double kChartWidth = 960;
constexpr double kMargin = 12;
constexpr double kHeader = 100;  // title, subtitle, legend, axis labels

struct Style {
  const char* label;
  const char* colour;
};

/// Colour per phase; Startup shares the "queued" look (a new object waiting for its first real pass).
Style style(Phase p) {
  switch (p) {
    case Phase::Startup:
    case Phase::Queued: return {"queued", "#bdbdbd"};
    case Phase::WaitingForSource: return {"waiting for source", "#cbb8e6"};
    case Phase::WaitingForDependency: return {"waiting for dependencies", "#fdd49e"};
    case Phase::Applying: return {"applying", "#2b7bba"};
    case Phase::HealthChecking: return {"health checking", "#8fc1e3"};
    case Phase::Failed: return {"failed", "#d7301f"};
    case Phase::Ready: return {"ready", "#a1d99b"};
    case Phase::Idle: return {"idle", "#eeeeee"};
  }
  return {"?", "#000000"};
}

std::string xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters, even escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

/// A "nice" tick step giving at most about 12 ticks over `span`.
Duration tick_step(Duration span) {
  static constexpr std::array<std::int64_t, 22> kSteps = {
      100,       200,       500,       1'000,      2'000,      5'000,      10'000,     15'000,
      30'000,    60'000,    120'000,   300'000,    600'000,    900'000,    1'800'000,  3'600'000,
      7'200'000, 10'800'000, 21'600'000, 43'200'000, 86'400'000, 172'800'000};
  for (std::int64_t step : kSteps)
    if (span.count() / step <= 12) return Duration{step};
  return Duration{span.count() / 12 + 1};
}

/// Name length in characters (UTF-8 code points), for the label column width.
std::size_t columns(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

void write_svg_gantt(const RunReport& report, std::ostream& os) {
  const World& world = report.world;
  const RunResult& r = report.result;
  const RunAnalysis& analysis = report.analysis();
  const DependencyGraph& graph = analysis.graph;
  const CriticalPath& cp = analysis.critical_path;
  const std::vector<bool>& critical = analysis.on_critical_path;
  const std::vector<std::size_t>& order = analysis.order;

  // The time axis frames the rollout (analysis.h: until the last Ready plus a margin), not the horizon:
  // rows that are never Ready run to the frame's edge and name their reason in the right-hand column.
  const SimTime chart_end = analysis.frame_end;
  const Duration span = std::max(Duration{1}, chart_end.time_since_epoch());
  bool any_not_ready = false;
  for (std::size_t k : order) any_not_ready = any_not_ready || r.kustomizations[k].ready_at == kNever;
  const double status_width = any_not_ready ? 300 : 0;

  std::size_t longest = 12;
  for (std::size_t k = 0; k < world.kustomizations.size(); ++k) longest = std::max(longest, columns(graph.name(k)) + 8);
  const double label_width = std::clamp(static_cast<double>(longest) * 7.0 + 16, 140.0, 380.0);
  const double x0 = kMargin + label_width;
  const double rows = static_cast<double>(order.size());
  const double top = kHeader;
  const double height = top + rows * kRowHeight + 40;
  const double width = x0 + kChartWidth + status_width + kMargin + 8;
  auto x_of = [&](SimTime t) {
    return x0 + kChartWidth * static_cast<double>(to_ms(std::min(t, chart_end))) / static_cast<double>(span.count());
  };

  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" viewBox=\"0 0 {:.0f} {:.0f}\" "
                     "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
                     width, height, width, height);
  out += "<style>text{fill:#222}.axis{fill:#555;font-size:11px}.crit{font-weight:bold}.grid{stroke:#ddd;stroke-width:1}"
         ".ready-line{stroke:#238b45;stroke-width:1.5;stroke-dasharray:4 3}</style>\n";
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#ffffff\"/>\n", width, height);

  // Title and subtitle.
  std::string title = fmt::format("fluxsim {} — scenario {} (seed {})", kVersion, report.scenario.name, r.seed);
  std::string subtitle = r.all_ready
                             ? fmt::format("all {} Kustomizations Ready after {}", world.kustomizations.size(), format_time(r.time_to_ready))
                             : fmt::format("{} of {} Kustomizations Ready within {}, the last at {}", analysis.ready,
                                           world.kustomizations.size(), format_time(r.ended_at),
                                           analysis.last_ready == kNever ? std::string("-") : format_time(analysis.last_ready));
  if (chart_end < r.ended_at) subtitle += fmt::format(" (chart: 0 → {} of the {} run)", format_time(chart_end), format_time(r.ended_at));
  if (r.ended_at < r.horizon) subtitle += "; " + coverage(r);
  if (!cp.steps.empty()) {
    std::string chain;
    for (const CriticalStep& s : cp.steps) chain += (chain.empty() ? "" : " → ") + graph.name(s.kustomization);
    subtitle += " — critical path (bold): " + chain;
  }
  out += fmt::format("<text x=\"{}\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", kMargin, xml(title));
  out += fmt::format("<text x=\"{}\" y=\"40\">{}</text>\n", kMargin, xml(subtitle));

  // Legend.
  static constexpr Phase kLegend[] = {Phase::Queued,         Phase::WaitingForSource, Phase::WaitingForDependency, Phase::Applying,
                                      Phase::HealthChecking, Phase::Failed,           Phase::Ready};
  out += "<g class=\"legend\">\n";
  double lx = kMargin;
  for (Phase p : kLegend) {
    const Style st = style(p);
    out += fmt::format("<rect x=\"{:.1f}\" y=\"52\" width=\"14\" height=\"10\" fill=\"{}\"/><text x=\"{:.1f}\" y=\"61\">{}</text>\n", lx,
                       st.colour, lx + 18, st.label);
    lx += 18 + 6.3 * static_cast<double>(std::string_view(st.label).size()) + 16;
  }
  out += "</g>\n";

  // Axis: gridlines and labels above and below the rows.
  const Duration step = tick_step(span);
  const double bottom = top + rows * kRowHeight;
  out += "<g class=\"axis\">\n";
  for (Duration t{0}; t <= span; t += step) {
    const double x = x_of(SimTime{t});
    out += fmt::format("<line class=\"grid\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\"/>", x, top - 6, x, bottom + 4);
    const std::string label = format_duration(t);
    out += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x, top - 10, label);
    out += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n", x, bottom + 18, label);
  }
  out += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\">time since bootstrap</text>\n", kMargin, top - 10);
  out += "</g>\n";

  // Rows.
  for (std::size_t row = 0; row < order.size(); ++row) {
    const std::size_t k = order[row];
    const KustomizationSummary& s = r.kustomizations[k];
    const double y = top + static_cast<double>(row) * kRowHeight;
    const std::string name = graph.name(k);
    out += fmt::format("<g class=\"kustomization\" data-name=\"{}\">\n", xml(name));
    out += fmt::format("<title>{}: wave {}, {}</title>\n", xml(name), graph.wave(k),
                       xml(s.ready_at != kNever ? "Ready at " + format_time(s.ready_at)
                                                : (s.reason == Reason::None ? "not Ready" : to_string(s.reason) + (": " + message(world, r, s)))));
    if (row % 2 == 1)
      out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.0f}\" fill=\"#f6f8fa\"/>\n", kMargin, y,
                         width - 2 * kMargin, kRowHeight);
    std::string label = xml(name);
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\"{}>{}</text>", kMargin + 4, y + 14, critical[k] ? " class=\"crit\"" : "", label);
    out += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">w{}</text>\n", x0 - 6, y + 14, graph.wave(k));
    if (s.created_at == kNever) {
      out += fmt::format("<text class=\"axis\" x=\"{:.1f}\" y=\"{:.1f}\">never created</text>\n", x0 + 4, y + 14);
    }
    for (const PhaseSpan& p : analysis.timelines[k]) {
      if (p.from >= chart_end) break;
      const double a = x_of(p.from), b = x_of(p.to);
      const Style st = style(p.phase);
      const double bar_y = y + (kRowHeight - kBarHeight) / 2;
      out += fmt::format("<rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.0f}\" fill=\"{}\"><title>{}: {} {} → {} ({})</title></rect>\n",
                         a, bar_y, std::max(b - a, 0.75), kBarHeight, st.colour, xml(name), st.label, format_time(p.from),
                         format_time(p.to), format_duration(p.to - p.from));
    }
    if (s.ready_at == kNever && s.created_at != kNever) {
      std::string text = "never Ready: " + analysis.why_not_ready[k];
      std::string shown = text;
      if (columns(shown) > 46) {
        std::size_t cut = 0, n = 0;
        while (cut < shown.size() && n < 45) n += (static_cast<unsigned char>(shown[cut++]) & 0xC0) != 0x80 ? 1 : 0;
        while (cut < shown.size() && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) ++cut;
        shown = shown.substr(0, cut) + "…";
      }
      out += fmt::format("<text class=\"not-ready\" x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#d7301f\"><title>{}</title>{}</text>\n",
                         x0 + kChartWidth + 8, y + 14, xml(text), xml(shown));
    }
    if (s.ready_at != kNever && s.ready_at < chart_end)
      out += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"#238b45\"/>\n", x_of(s.ready_at), y + kRowHeight / 2);
    out += "</g>\n";
  }

  if (r.all_ready) {
    const double x = x_of(r.time_to_ready);
    out += fmt::format("<line class=\"ready-line\" x1=\"{:.2f}\" y1=\"{:.1f}\" x2=\"{:.2f}\" y2=\"{:.1f}\"/>\n", x, top - 4, x, bottom + 4);
    out += fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#238b45\">all Ready {}</text>\n", x - 4,
                       bottom + 32, format_time(r.time_to_ready));
  }
  out += "</svg>\n";
  os << out;
}

}  // namespace fluxsim
