// SPDX-License-Identifier: Apache-2.0
// source-controller's reconcile, as transitions (flux-semantics.md §3, §11): one controller per source
// kind, each with its own workers. A pass: dequeue -> [finalizer? requeue after --min-retry-delay] ->
// [a HelmChart whose repository has no artifact? nothing: the repository's watch enqueues it] -> fetch
// -> artifact stored (the first one fans out to every Kustomization and HelmRelease using it), requeue
// spec.interval | fetch failed -> rate-limited requeue (750ms·2^n). Sources flux bootstrap creates take
// the finalizer pass too.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "fluxsim/scenario.h"
#include "fluxsim/time.h"

namespace fluxsim::sim::source {

enum class Step : std::uint8_t {
  AddFinalizer,    ///< first reconcile: only the finalizer, requeue --min-retry-delay
  WaitRepository,  ///< a HelmChart whose repository has no artifact yet: ends, nothing requeues it
  Fetch,           ///< fetch the artifact
  Stored,          ///< artifact stored; requeue spec.interval
  FetchFailed,     ///< the fetch failed; rate-limited requeue
};

struct Effect {
  Step step;
  Duration requeue{0};
  bool first_artifact = false;  ///< Stored: the source had no artifact before (the watch fans out)
};

struct Dequeued {
  bool finalized = false;
  bool repository_artifact = true;  ///< HelmChart: its repository has an artifact (true for other kinds)
};
Effect on_dequeue(const Dequeued& in, const SourceControllerSettings& settings);

/// Whether an outage window [from, until) overlaps the fetch [started, ended].
inline bool outage_overlaps(SimTime from, SimTime until, SimTime started, SimTime ended) {
  return started < until && ended >= from;
}

struct Fetched {
  bool failed = false;  ///< an outage overlapped the fetch
  int failures = 0;     ///< consecutive failed fetches, this one included
  bool had_artifact = false;
  Duration interval{};  ///< spec.interval
};
Effect on_fetched(const Fetched& in);

/// The Kustomizations a new artifact enqueues (flux-semantics.md §2 "Cycles", §3 trigger 2;
/// kustomize-controller `requestsForRevisionChangeOf` with fluxcd/pkg runtime/dependency `Sort`).
/// `listed`: the Kustomizations of the source that are not skipped (skipped: lastAttemptedRevision
/// already the new revision and Ready or Reconciling), in list order. `deps(k)`: k's dependsOn
/// (kNone for a dependency that does not exist). Sort walks depth first from each listed one, in
/// order, appending a Kustomization after its dependencies; only listed Kustomizations have edges, so
/// a dependency outside the list (on another source, or skipped) is enqueued too, just before its
/// first dependent, but its own dependencies are not followed. A cycle among listed Kustomizations
/// makes Sort fail: nothing at all is enqueued and `cycle` is the error's path ("a -> b -> a").
struct FanOut {
  std::vector<std::int32_t> enqueue;  ///< in order; may name Kustomizations that do not exist yet
  std::vector<std::int32_t> cycle;    ///< non-empty: the walk met a cycle and enqueued nothing
};
FanOut fan_out(std::span<const std::int32_t> listed, std::size_t kustomizations,
               const std::function<std::span<const std::int32_t>(std::int32_t)>& deps);

}  // namespace fluxsim::sim::source
