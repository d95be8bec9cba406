// SPDX-License-Identifier: Apache-2.0
// `fluxsim diff` reports: Markdown for a pull-request comment, a plain table for a terminal or CI log,
// and JSON. All three are views of one DiffResult.
#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "fluxsim/diff.h"
#include "fluxsim/version.h"
#include "report/stats_format.h"

namespace fluxsim {

using namespace report_detail;

namespace {

constexpr std::size_t kListLimit = 20;     ///< entries per list in Markdown and table before "... and N more"
constexpr std::size_t kChangesLimit = 10;  ///< rows of "largest ready-time changes"

/// A scenario name inside a Markdown table cell and code span: no pipe, no backtick.
std::string md_name(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '|' ? '/' : c == '`' ? '\'' : c;
  return out;
}

std::string signed_dur(double ms) {
  if (ms == 0) return "0s";
  return fmt::format("{}{}", ms > 0 ? '+' : '-', dur(std::abs(ms)));
}

std::string signed_percent(double base, double head) {
  if (base <= 0) return "";
  const double p = 100.0 * (head - base) / base;
  return std::abs(p) >= 1 || p == 0 ? fmt::format("{:+.0f}%", p) : fmt::format("{:+.1f}%", p);
}

/// "+1m40s (+37%)", "no change", "-" when a side has no value.
std::string change(const std::optional<double>& base, const std::optional<double>& head) {
  if (!base || !head) return base.has_value() == head.has_value() ? "-" : (head ? "now fully Ready" : "never fully Ready");
  if (*base == *head) return "no change";
  const std::string pct = signed_percent(*base, *head);
  return pct.empty() ? signed_dur(*head - *base) : fmt::format("{} ({})", signed_dur(*head - *base), pct);
}

std::string points(double base, double head) {
  const double d = 100.0 * (head - base);
  if (d == 0) return "no change";
  return std::abs(d) < 1 ? fmt::format("{:+.1f} pts", d) : fmt::format("{:+.0f} pts", d);
}

std::optional<double> pick(const std::optional<Stats>& s, double Stats::*field) {
  if (!s) return std::nullopt;
  return (*s).*field;
}

std::string value_or_never(const std::optional<double>& ms) { return ms ? dur(*ms) : "never"; }

std::string ordinal(std::size_t n) {
  const char* suffix = "th";
  if (n % 100 < 11 || n % 100 > 13) {
    if (n % 10 == 1) suffix = "st";
    else if (n % 10 == 2) suffix = "nd";
    else if (n % 10 == 3) suffix = "rd";
  }
  return fmt::format("{}{}", n, suffix);
}

std::string join_path(const std::vector<std::string>& path, const char* quote) {
  std::string out;
  for (const std::string& n : path) {
    if (!out.empty()) out += " → ";
    out += fmt::format("{}{}{}", quote, n, quote);
  }
  return out.empty() ? "-" : out;
}

/// Why HEAD fails the check, one phrase each; empty when it passes.
std::vector<std::string> failure_reasons(const DiffResult& d) {
  std::vector<std::string> out;
  if (d.slowdown && d.slowdown->exceeded)
    out.push_back(fmt::format("slower than --max-slowdown {} (median run {} → {})", d.slowdown->limit.text,
                              value_or_never(d.slowdown->base_ms), value_or_never(d.slowdown->head_ms)));
  for (const ExpectationStats& e : d.head_expectations)
    if (!e.met()) out.push_back(fmt::format("expectation `{}` missed in {} of {} runs", e.expect, e.runs - e.met_runs, e.runs));
  return out;
}

struct Row {
  std::string what, base, head, change;
};

/// The base/head/change rows shared by the Markdown and the table.
std::vector<Row> summary_rows(const DiffResult& d) {
  std::vector<Row> rows;
  const bool many = d.runs > 1;
  auto time_row = [&](const char* label, double Stats::*field) {
    const auto b = pick(d.base_time_to_ready, field), h = pick(d.head_time_to_ready, field);
    rows.push_back({label, value_or_never(b), value_or_never(h), change(b, h)});
  };
  if (many) {
    time_row("time to full readiness p50", &Stats::p50);
    time_row("time to full readiness p90", &Stats::p90);
    time_row("time to full readiness p99", &Stats::p99);
    rows.push_back({fmt::format("fully Ready (of {} runs)", d.runs), percent(d.base_ready_probability),
                    percent(d.head_ready_probability), points(d.base_ready_probability, d.head_ready_probability)});
  } else {
    time_row("time to full readiness", &Stats::p50);
  }
  rows.push_back({"Kustomizations", std::to_string(d.base_kustomizations), std::to_string(d.head_kustomizations),
                  d.base_kustomizations == d.head_kustomizations
                      ? "no change"
                      : fmt::format("{:+}", static_cast<long long>(d.head_kustomizations) - static_cast<long long>(d.base_kustomizations))});
  rows.push_back({"critical path length", std::to_string(d.base_critical_path.size()), std::to_string(d.head_critical_path.size()),
                  d.base_critical_path == d.head_critical_path ? "unchanged" : "changed"});
  for (const PoolChange& p : d.workers) {
    if (p.base_workers == 0 && p.head_workers == 0) continue;
    rows.push_back({fmt::format("{} busy (mean)", p.pool), percent(p.base_utilisation), percent(p.head_utilisation),
                    points(p.base_utilisation, p.head_utilisation)});
    rows.push_back({fmt::format("{} all {} workers busy (p50)", p.pool, p.head_workers), dur(p.base_saturated_ms),
                    dur(p.head_saturated_ms), change(p.base_saturated_ms, p.head_saturated_ms)});
  }
  return rows;
}

std::string headline_time(const DiffResult& d) {
  const auto b = pick(d.base_time_to_ready, &Stats::p50), h = pick(d.head_time_to_ready, &Stats::p50);
  return fmt::format("{} → {} ({})", value_or_never(b), value_or_never(h), change(b, h));
}

template <class T, class F>
void list(std::string& out, const std::vector<T>& items, F&& line) {
  for (std::size_t i = 0; i < items.size() && i < kListLimit; ++i) out += line(items[i]);
  if (items.size() > kListLimit) out += fmt::format("- … and {} more\n", items.size() - kListLimit);
}

std::string names_inline(const std::vector<std::string>& names, const char* quote) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kListLimit; ++i) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{}{}{}", quote, names[i], quote);
  }
  if (names.size() > kListLimit) out += fmt::format(" and {} more", names.size() - kListLimit);
  return out;
}

std::string failure_line(const NewFailure& f, const char* quote) {
  std::string why = f.reason.empty() ? f.message : (f.message.empty() ? f.reason : f.reason + ": " + f.message);
  return fmt::format("{}{}{}{} — Ready in {} of HEAD runs{}{}", quote, f.name, quote, f.added ? " (added)" : "",
                     percent(f.head_ready_probability), f.added ? "" : fmt::format(" (BASE: {})", percent(f.base_ready_probability)),
                     why.empty() ? "" : ": " + why);
}

}  // namespace

void write_diff_markdown(const DiffResult& d, std::ostream& os) {
  std::string out = fmt::format("### fluxsim diff: time to full readiness {}\n\n", headline_time(d));
  const std::vector<std::string> reasons = failure_reasons(d);
  if (!reasons.empty()) {
    out += ":x: **HEAD fails the check**: ";
    for (std::size_t i = 0; i < reasons.size(); ++i) out += (i ? "; " : "") + reasons[i];
    out += "\n\n";
  } else if (!d.changed()) {
    out += ":white_check_mark: **No change** to the rollout.\n\n";
  } else if (d.slowdown || !d.head_expectations.empty()) {
    out += ":white_check_mark: HEAD passes the check";
    if (d.slowdown) out += fmt::format(" (within --max-slowdown {})", d.slowdown->limit.text);
    out += ".\n\n";
  }

  out += fmt::format("| | BASE `{}` | HEAD `{}` | change |\n|---|---:|---:|---:|\n", md_name(d.base_name), md_name(d.head_name));
  for (const Row& r : summary_rows(d)) out += fmt::format("| {} | {} | {} | {} |\n", r.what, r.base, r.head, r.change);
  out += '\n';

  if (!d.new_failures.empty()) {
    out += fmt::format("**New failures** ({})\n\n", d.new_failures.size());
    list(out, d.new_failures, [](const NewFailure& f) { return "- " + failure_line(f, "`") + "\n"; });
    out += '\n';
  }
  if (!d.fixed.empty()) out += fmt::format("**Now Ready in every run:** {}\n\n", names_inline(d.fixed, "`"));
  if (!d.added.empty()) out += fmt::format("**Added:** {}\n\n", names_inline(d.added, "`"));
  if (!d.removed.empty()) out += fmt::format("**Removed:** {}\n\n", names_inline(d.removed, "`"));
  if (!d.order_changes.empty()) {
    out += fmt::format("**Order changes** ({})\n\n", d.order_changes.size());
    list(out, d.order_changes, [](const OrderChange& c) {
      return fmt::format("- `{}`: Ready {} (was {}), {} → {}\n", c.name, ordinal(c.head_position), ordinal(c.base_position),
                         dur(c.base_ready_ms), dur(c.head_ready_ms));
    });
    out += '\n';
  }
  if (d.base_critical_path == d.head_critical_path) {
    out += fmt::format("**Critical path** (unchanged): {}\n\n", join_path(d.head_critical_path, "`"));
  } else {
    out += "**Critical path**\n\n";
    out += fmt::format("- BASE: {}{}\n", join_path(d.base_critical_path, "`"),
                       d.base_critical_ms ? fmt::format(" (Ready at {})", dur(*d.base_critical_ms)) : "");
    out += fmt::format("- HEAD: {}{}\n\n", join_path(d.head_critical_path, "`"),
                       d.head_critical_ms ? fmt::format(" (Ready at {})", dur(*d.head_critical_ms)) : "");
  }
  if (!d.ready_time_changes.empty()) {
    out += fmt::format("<details><summary>Largest ready-time changes ({}{} changed)</summary>\n\n",
                       d.runs > 1 ? "median, " : "", d.ready_time_changes.size());
    out += "| Kustomization | BASE | HEAD | change |\n|---|---:|---:|---:|\n";
    for (std::size_t i = 0; i < d.ready_time_changes.size() && i < kChangesLimit; ++i) {
      const ReadyTimeChange& c = d.ready_time_changes[i];
      out += fmt::format("| `{}` | {} | {} | {} |\n", c.name, dur(c.base_ms), dur(c.head_ms), change(c.base_ms, c.head_ms));
    }
    out += "\n</details>\n\n";
  }
  if (!d.head_expectations.empty()) {
    out += "**Expectations (HEAD)**\n\n";
    for (const ExpectationStats& e : d.head_expectations) {
      out += fmt::format("- {} `{}` — met in {} of {} runs", e.met() ? ":white_check_mark:" : ":x:", e.expect, e.met_runs, e.runs);
      if (!e.met()) out += fmt::format("; run {}: {}", e.first_miss_run, e.first_miss_detail);
      out += '\n';
    }
    out += '\n';
  }
  out += fmt::format("<sub>fluxsim {} · seed {} · {} run{} per side{} · critical path from run 0</sub>\n", kVersion, d.seed, d.runs,
                     d.runs == 1 ? "" : "s", d.runs > 1 ? " · nearest-rank percentiles over the runs that became Ready" : "");
  os << out;
}

void write_diff_table(const DiffResult& d, std::ostream& os) {
  std::string out = fmt::format("fluxsim {} — diff {} → {} (seed {}, {} run{} per side)\n\n", kVersion, d.base_name, d.head_name,
                                d.seed, d.runs, d.runs == 1 ? "" : "s");
  const std::vector<std::string> reasons = failure_reasons(d);
  if (!reasons.empty()) {
    out += "HEAD FAILS THE CHECK:\n";
    for (const std::string& r : reasons) out += "  " + r + "\n";
    out += '\n';
  } else if (!d.changed()) {
    out += "No change to the rollout.\n\n";
  }
  std::vector<Row> rows = summary_rows(d);
  rows.insert(rows.begin(), Row{"", "BASE", "HEAD", "CHANGE"});
  std::size_t w[4] = {};
  for (const Row& r : rows) {
    w[0] = std::max(w[0], r.what.size());
    w[1] = std::max(w[1], r.base.size());
    w[2] = std::max(w[2], r.head.size());
  }
  for (const Row& r : rows) {
    std::string line = fmt::format("{:<{}}  {:>{}}  {:>{}}  {}", r.what, w[0], r.base, w[1], r.head, w[2], r.change);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  if (!d.new_failures.empty()) {
    out += fmt::format("\nNew failures ({}):\n", d.new_failures.size());
    for (std::size_t i = 0; i < d.new_failures.size() && i < kListLimit; ++i) out += "  " + failure_line(d.new_failures[i], "") + "\n";
    if (d.new_failures.size() > kListLimit) out += fmt::format("  ... and {} more\n", d.new_failures.size() - kListLimit);
  }
  if (!d.fixed.empty()) out += fmt::format("\nNow Ready in every run: {}\n", names_inline(d.fixed, ""));
  if (!d.added.empty()) out += fmt::format("\nAdded: {}\n", names_inline(d.added, ""));
  if (!d.removed.empty()) out += fmt::format("\nRemoved: {}\n", names_inline(d.removed, ""));
  if (!d.order_changes.empty()) {
    out += fmt::format("\nOrder changes ({}):\n", d.order_changes.size());
    for (std::size_t i = 0; i < d.order_changes.size() && i < kListLimit; ++i) {
      const OrderChange& c = d.order_changes[i];
      out += fmt::format("  {}: Ready {} (was {}), {} -> {}\n", c.name, ordinal(c.head_position), ordinal(c.base_position),
                         dur(c.base_ready_ms), dur(c.head_ready_ms));
    }
    if (d.order_changes.size() > kListLimit) out += fmt::format("  ... and {} more\n", d.order_changes.size() - kListLimit);
  }
  out += fmt::format("\nCritical path (run 0):\n  BASE: {}\n  HEAD: {}\n", join_path(d.base_critical_path, ""),
                     join_path(d.head_critical_path, ""));
  if (!d.ready_time_changes.empty()) {
    out += fmt::format("\nLargest ready-time changes ({}{} changed):\n", d.runs > 1 ? "median, " : "", d.ready_time_changes.size());
    for (std::size_t i = 0; i < d.ready_time_changes.size() && i < kChangesLimit; ++i) {
      const ReadyTimeChange& c = d.ready_time_changes[i];
      out += fmt::format("  {}: {} -> {} ({})\n", c.name, dur(c.base_ms), dur(c.head_ms), change(c.base_ms, c.head_ms));
    }
  }
  if (!d.head_expectations.empty()) {
    out += "\nExpectations (HEAD):\n";
    for (const ExpectationStats& e : d.head_expectations) {
      out += fmt::format("  {:<6} {} — met in {} of {} runs", e.met() ? "ok" : "FAILED", e.expect, e.met_runs, e.runs);
      if (!e.met()) out += fmt::format("; run {}: {}", e.first_miss_run, e.first_miss_detail);
      out += '\n';
    }
  }
  os << out;
}

void write_diff_json(const DiffResult& d, std::ostream& os) {
  auto opt_ms = [](const std::optional<double>& v) { return v ? Json(whole_ms(*v)) : Json(nullptr); };
  Json doc;
  doc["fluxsimVersion"] = kVersion;
  doc["seed"] = d.seed;
  doc["runs"] = d.runs;
  auto side = [&](const std::string& name, std::size_t count, double probability, const std::optional<Stats>& ttr,
                  const std::vector<std::string>& path, const std::optional<double>& path_ms) {
    return Json{{"scenario", name},           {"kustomizations", count},    {"readyProbability", probability},
                {"timeToReadyMs", stats_ms_json(ttr)}, {"criticalPath", path}, {"criticalPathReadyAtMs", opt_ms(path_ms)}};
  };
  doc["base"] = side(d.base_name, d.base_kustomizations, d.base_ready_probability, d.base_time_to_ready, d.base_critical_path,
                     d.base_critical_ms);
  doc["head"] = side(d.head_name, d.head_kustomizations, d.head_ready_probability, d.head_time_to_ready, d.head_critical_path,
                     d.head_critical_ms);
  doc["changed"] = d.changed();
  doc["failed"] = d.failed();
  const auto b = pick(d.base_time_to_ready, &Stats::p50), h = pick(d.head_time_to_ready, &Stats::p50);
  doc["timeToReadyChangeMs"] = b && h ? Json(whole_ms(*h - *b)) : Json(nullptr);
  doc["added"] = d.added;
  doc["removed"] = d.removed;
  Json order = Json::array();
  for (const OrderChange& c : d.order_changes)
    order.push_back(Json{{"name", c.name}, {"basePosition", c.base_position}, {"headPosition", c.head_position},
                         {"baseReadyAtMs", whole_ms(c.base_ready_ms)}, {"headReadyAtMs", whole_ms(c.head_ready_ms)}});
  doc["orderChanges"] = std::move(order);
  Json failures = Json::array();
  for (const NewFailure& f : d.new_failures)
    failures.push_back(Json{{"name", f.name},
                            {"added", f.added},
                            {"baseReadyProbability", f.base_ready_probability},
                            {"headReadyProbability", f.head_ready_probability},
                            {"reason", f.reason},
                            {"message", f.message}});
  doc["newFailures"] = std::move(failures);
  doc["fixed"] = d.fixed;
  Json changes = Json::array();
  for (const ReadyTimeChange& c : d.ready_time_changes)
    changes.push_back(Json{{"name", c.name}, {"baseReadyAtMs", whole_ms(c.base_ms)}, {"headReadyAtMs", whole_ms(c.head_ms)},
                           {"changeMs", whole_ms(c.delta_ms())}});
  doc["readyAtChanges"] = std::move(changes);
  Json workers = Json::array();
  for (const PoolChange& p : d.workers)
    workers.push_back(Json{{"pool", p.pool},
                           {"base", {{"workers", p.base_workers}, {"utilisationMean", rounded(p.base_utilisation, 4)},
                                     {"saturatedMsP50", whole_ms(p.base_saturated_ms)}}},
                           {"head", {{"workers", p.head_workers}, {"utilisationMean", rounded(p.head_utilisation, 4)},
                                     {"saturatedMsP50", whole_ms(p.head_saturated_ms)}}}});
  doc["workers"] = std::move(workers);
  Json expectations = Json::array();
  for (const ExpectationStats& e : d.head_expectations) {
    Json x{{"expect", e.expect}, {"met", e.met()}, {"metRuns", e.met_runs}, {"runs", e.runs}};
    if (!e.met()) x["detail"] = e.first_miss_detail;
    expectations.push_back(std::move(x));
  }
  doc["headExpectations"] = std::move(expectations);
  if (d.slowdown)
    doc["maxSlowdown"] = Json{{"limit", d.slowdown->limit.text},
                              {"baseMedianRunMs", opt_ms(d.slowdown->base_ms)},
                              {"headMedianRunMs", opt_ms(d.slowdown->head_ms)},
                              {"exceeded", d.slowdown->exceeded}};
  else
    doc["maxSlowdown"] = nullptr;
  os << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace fluxsim
