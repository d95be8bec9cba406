// SPDX-License-Identifier: Apache-2.0
// One run's mutable state: per object, per Kustomization, per source and per HelmRelease, the worker
// pools, and the engine's own events. Owned by a Run (run.h).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "fluxsim/random.h"
#include "fluxsim/trace.h"
#include "sim/plan.h"
#include "sim/work_queue.h"

namespace fluxsim::sim {

constexpr std::string_view kRevision = "main@sha1:0000001";

inline SimTime max_time(SimTime a, SimTime b) { return a < b ? b : a; }
inline SimTime min_time(SimTime a, SimTime b) { return a < b ? a : b; }

// First poll tick (start + k*interval, k >= 0) at or after t.
inline SimTime tick_at_or_after(SimTime start, Duration interval, SimTime t) {
  if (t <= start) return start;
  if (t == kNever) return kNever;
  const auto since = (t - start).count();
  const auto step = interval.count() > 0 ? interval.count() : 1;
  const auto k = (since + step - 1) / step;
  return start + Duration{k * step};
}

enum class Ready : std::uint8_t { None, Unknown, True, False };

enum class Phase : std::uint8_t { Idle, Building, StageWait, Applied, Health };

enum class Ev : std::uint8_t {
  KsStep,        // continue the pass of Kustomization `id` (token must match)
  KsCreate,      // Kustomization `id` is created (by `arg`)
  SourceCreate,  // source `id` is created
  SourceStep,    // fetch of source `id` finished (token must match)
  Wake,          // a queue entry of controller pool `id` became due
  KindServed,    // kind `id` became available (trace only)
  Restart,       // controller restart (fault index `id`)
  HrCreate,      // HelmRelease `id` is created (by Kustomization `arg`)
  HrStep,        // the Helm action of HelmRelease `id` ends (token must match; arg = 1 success, 0 failure)
};

struct Event {
  Ev type;
  std::uint32_t id;
  std::int32_t arg = kNone;
  std::uint32_t token = 0;
};

struct ObjState {
  SimTime created_at = kNever;
  SimTime current_at = kNever;
  SimTime failed_at = kNever;
};

struct KsState {
  bool exists = false;
  bool finalized = false;
  Ready ready = Ready::None;
  bool reconciling = false;
  bool observed = false;  // status.observedGeneration == metadata.generation
  bool stalled = false;   // Stalled=True InvalidCELExpression (an invalid readyExpr): kstatus Failed
  int last_applied = -1;  // revision
  int last_attempted = -1;
  Reason reason = Reason::None;  // the Ready condition's (trace.h; worded only for a report or a readyExpr)
  Message message;
  // The pass in flight.
  bool in_pass = false;
  Phase phase = Phase::Idle;
  std::uint32_t token = 0;
  int stage = 0;
  SimTime step_start{};  // start of the current wait (stage wait or health check)
  SimTime deadline{};
  std::int32_t worker = kNone;
  std::size_t pass_record = std::numeric_limits<std::size_t>::max();
  PassRecord pass;  // the pass in flight (copied to the result when recording)
  // Counters.
  int passes = 0, attempts = 0, attempts_at_ready = 0;
  int fail_applies_left = 0;
  KustomizationSummary summary;
  Rng build_rng{0}, apply_rng{0}, jitter_rng{0};
  double stretch = 1.0;  // capacity model: how much longer this pass's build and apply work takes
};

struct SourceState {
  bool exists = false;
  bool finalized = false;
  bool artifact = false;
  int revision = 0;
  int failures = 0;
  bool in_pass = false;
  std::uint32_t token = 0;
  std::int32_t worker = kNone;
  SimTime first_artifact = kNever;
  SimTime fetch_started{};
  Rng fetch_rng{0};
};

struct HrState {
  bool exists = false;
  bool finalized = false;
  Ready ready = Ready::None;
  bool reconciling = false;
  bool observed = false;
  bool stalled = false;  // Stalled=True: retries exhausted, kstatus Failed, no automatic retry
  bool chart_requested = false;
  Reason reason = Reason::None;
  Message message;
  bool in_pass = false;
  std::uint32_t token = 0;
  std::int32_t worker = kNone;
  int passes = 0, installs = 0, failures = 0, rate_limited = 0;
  SimTime created_at = kNever, ready_at = kNever;
  PassRecord pass;
  Message failure;             // message of the pending failure
  bool stored_release = true;  // the pending failure came after Helm stored a release (remediation counts it)
  Rng install_rng{0}, jitter_rng{0};
};

struct Pool {
  Controller controller;
  std::string label;
  WorkQueue queue;
  std::vector<bool> busy;
  int busy_count = 0;
  SimTime last_change{};
  Duration busy_time{0};
  Duration saturated{0};
  std::size_t max_depth = 0;

  void account(SimTime now) {
    busy_time += (now - last_change) * busy_count;
    if (busy_count == static_cast<int>(busy.size())) saturated += now - last_change;
    last_change = now;
  }
  std::int32_t take(SimTime now) {
    account(now);
    for (std::size_t i = 0; i < busy.size(); ++i)
      if (!busy[i]) {
        busy[i] = true;
        ++busy_count;
        return static_cast<std::int32_t>(i);
      }
    return kNone;
  }
  void release(SimTime now, std::int32_t worker) {
    account(now);
    busy[static_cast<std::size_t>(worker)] = false;
    --busy_count;
  }
  bool has_free() const { return busy_count < static_cast<int>(busy.size()); }
};

}  // namespace fluxsim::sim
