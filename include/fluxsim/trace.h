// SPDX-License-Identifier: Apache-2.0
// The record of one simulated run: the contract between the engine and every report. The engine
// appends typed events (what happened, when, to whom) and one PassRecord per reconcile pass, and fills
// a summary per Kustomization. Reports are pure functions of (World, RunResult); adding a format never
// touches the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fluxsim/time.h"

namespace fluxsim {

struct World;
struct RunResult;
namespace sim {
struct Plan;  // src/sim/plan.h: the compiled names a message refers to
}  // namespace sim

/// Which controller an event or pass belongs to.
enum class Controller : std::uint8_t { Kustomize, Source, Helm };

/// What happened. Subjects are indexes into World::kustomizations, World::sources or
/// World::helm_releases depending on `controller`; a source-controller event about a HelmChart (which
/// helm-controller creates, so the World has none) has `helm_chart` set and its HelmRelease's index.
enum class TraceType : std::uint8_t {
  Created,                  ///< object created (other = parent Kustomization, -1 when created by bootstrap)
  FinalizerAdded,           ///< first reconcile only adds the finalizer; requeued after the min retry delay
  PassStarted,              ///< a worker took the object (worker, value = pass number from 1)
  Suspended,                ///< spec.suspend: the pass does nothing and nothing requeues it
  SourceNotFound,           ///< sourceRef names no existing source object (requeue retryInterval)
  ArtifactNotReady,         ///< the source has no artifact yet (requeue --requeue-dependency); other = the World
                            ///< source (HelmRelease: the chart's OCIRepository or HelmRepository), -1 if none
  DependencyNotReady,       ///< other = the dependency (index, or -1 if it does not exist); message says which
  ApplyStarted,             ///< got past source and dependency checks; value = apply attempt number
  StageApplied,             ///< value = stage (1, 2, 4); other = objects written (new or changed)
  StageWaitFinished,        ///< value = stage; the stage's objects are Current
  HealthCheckStarted,       ///< other = number of objects waited on
  KindRegistered,           ///< message = "group/Kind" now served by the API (CRD Established or provider Current)
  ReconciliationSucceeded,  ///< Ready=True
  ReconciliationFailed,     ///< Ready=False; message = Flux-like reason text
  Requeued,                 ///< value = delay in milliseconds; message = why (interval, retryInterval, ...)
  ArtifactStored,           ///< source: an artifact exists (value = revision)
  FetchFailed,              ///< source: fetch failed (outage); message says why
  ControllerRestarted,      ///< a controller restarted: passes in flight lost, everything enqueued again
};

/// A Flux condition reason (Ready's, helm-controller's, source-controller's), or the engine's own word for a
/// restart. Kept as a number while simulating; to_string gives Flux's spelling when a report is written.
enum class Reason : std::uint8_t {
  None,                     ///< no reason ("")
  ArtifactFailed,
  BuildFailed,
  DependencyNotReady,
  InvalidCELExpression,
  Progressing,
  ReconciliationSucceeded,
  ReconciliationFailed,
  HealthCheckFailed,
  SourceNotReady,
  InstallSucceeded,
  InstallFailed,
  RetriesExceeded,
  NotCreated,
  FetchFailed,
  Succeeded,
  Crash,
  GracefulRestart,
  LeaderElected,
};

/// What a message says, without its text: message() renders it when a report is written, from the
/// World, the compiled plan's names (RunResult::plan) and the run's argument lists, so nothing is
/// formatted while simulating. Fields a, b, c and n are the arguments each kind names.
enum class MessageKind : std::uint8_t {
  None,                  ///< ""
  Suspended,             ///< "spec.suspend is true: ..."
  SourceNotFound,        ///< a = Kustomization: "Source 'kind/ns/name' not found"
  ArtifactNotFound,      ///< n = retry (ms): "Source artifact not found, retrying in ..."
  DependencyNotFound,    ///< a = Kustomization, b = dependsOn entry: "dependency 'ns/name' not found"
  DependencyNotReady,    ///< a = Kustomization (HelmRelease when flag), b = entry: "dependency 'ns/name' is not ready"
  Text,                  ///< a = index into RunResult::texts (a readyExpr's verdict, computed by CEL)
  Fetching,              ///< n = timeout (ms): "Fetching manifests for revision ... with a timeout of ..."
  BuildFailure,          ///< a = Kustomization: its World build_failure message (the loader's text)
  SourceUnmapped,        ///< a = Kustomization: its source is not mapped to a directory
  InjectedApplyFailure,  ///< n = failApplies left
  NoMatchesForKind,      ///< a = Kustomization, b = apply stage (0..2), c = object in the stage: dry-run failed
  NamespaceNotFound,     ///< a = plan object: dry-run failed, namespace not found
  StageTimeout,          ///< c = offset, b = count of (object, status) pairs in RunResult::message_args
  HealthTimeout,         ///< n = waited (ms); c, b = (object, status) pairs
  HealthFailedEarly,     ///< n = waited (ms); c, b = (object, status) pairs (the Failed ones)
  AppliedRevision,       ///< "Applied revision: main@sha1:..."
  RequeueInterval,       ///< "interval"
  RequeueDependency,     ///< "--requeue-dependency"
  RequeueRetry,          ///< "retryInterval"
  KindServed,            ///< a = plan kind: "group/Kind"
  ChartNotReady,         ///< a = engine source (its plan name): "... is not ready"
  RunningInstall,        ///< n = timeout (ms): "Running 'install' action with timeout of ..."
  InstallSucceeded,      ///< a = HelmRelease
  InstallUnmappedKind,   ///< a = HelmRelease, b = plan object; flag: retries exhausted (c = retries)
  InstallFailedEarly,    ///< a = HelmRelease; flag: retries exhausted (c = retries)
  InstallTimedOut,       ///< a = HelmRelease, n = timeout (ms); flag: retries exhausted (c = retries)
  FetchOutage,           ///< a = engine source, n = retry (ms)
  ArtifactStoredFanOut,  ///< a = engine source; flag 0: none, 1: n enqueued (c, b: reached Kustomizations), 2: cycle (c, b)
  ControllerCrashed,     ///< n = lease wait (ms); the controller is the event's
  ControllerRestartedGracefully,
  LeaderElected,
  LostToRestart,         ///< "lost to a controller restart"
  NeverCreated,          ///< a = Kustomization (its parent, when it has one, is named)
  WaitingFirstReconcile, ///< "waiting for its first reconcile"
  SourceName,            ///< a = engine source: its name ("HelmChart/ns/ns-name")
};

/// A message as its kind and arguments (24 bytes, no allocation).
struct Message {
  std::int64_t n = 0;
  std::int32_t a = -1, b = -1, c = -1;
  MessageKind kind = MessageKind::None;
  std::uint8_t flag = 0;
  std::uint8_t controller = 0;  ///< ControllerCrashed/RestartedGracefully/LeaderElected: which (Controller)
  bool empty() const { return kind == MessageKind::None; }
  bool operator==(const Message&) const = default;
};

/// One line of the run's log: 56 bytes, nothing on the heap (the narrow fields first, packed).
struct TraceEvent {
  SimTime at;
  TraceType type;
  Controller controller = Controller::Kustomize;
  Reason reason = Reason::None;  ///< Flux condition reason where one applies (DependencyNotReady)
  bool helm_chart = false;    ///< Source events: the subject is the HelmChart of HelmRelease `subject`
  std::int32_t subject = -1;  ///< index of the object in its World vector (-1: none)
  std::int32_t other = -1;    ///< see TraceType
  std::int32_t worker = -1;   ///< worker slot of the controller, when a worker is involved
  std::int64_t value = 0;     ///< see TraceType
  Message message;            ///< Flux-like message (message()); empty for routine events
};

/// How a reconcile pass ended.
enum class PassOutcome : std::uint8_t {
  Finalizer,           ///< only added the finalizer
  Suspended,
  SourceNotFound,
  ArtifactNotReady,
  DependencyNotReady,
  BuildFailed,         ///< also ArtifactFailed for a path missing from the artifact
  ApplyFailed,         ///< a dry-run or apply error, or a stage wait that timed out
  HealthCheckFailed,
  InstallFailed,       ///< helm-controller: the Helm install (with its wait) failed or timed out
  Succeeded,
  Interrupted,         ///< lost to a controller restart
  Running,             ///< still running at the end of the run (the horizon)
};

/// One reconcile pass of one object: the timeline a Gantt chart or critical path is drawn from.
/// Times that a pass never reached are kNever. 104 bytes, nothing on the heap.
struct PassRecord {
  Controller controller = Controller::Kustomize;
  PassOutcome outcome = PassOutcome::Running;
  Reason reason = Reason::None;     ///< Ready reason at the end of the pass
  std::int32_t subject = -1;
  std::int32_t number = 0;          ///< 1-based pass number of this object (finalizer passes excluded)
  std::int32_t attempt = 0;         ///< apply attempt number, 0 when the pass did not attempt to apply
  std::int32_t worker = -1;
  std::int32_t blocked_by = -1;     ///< DependencyNotReady: the dependency (World index), -1 if missing
  SimTime queued_at = kNever;       ///< when its queue entry became due (start minus this = wait for a worker)
  SimTime started_at = kNever;
  SimTime built_at = kNever;        ///< build (fetch + kustomize build + dry-run) finished
  SimTime applied_at = kNever;      ///< all stages applied (stage waits included)
  SimTime health_started_at = kNever;
  SimTime ended_at = kNever;
  Duration requeue_after{0};        ///< the delay it asked for when it ended (0: none)
  Message message;                  ///< message()
};

/// A Ready condition's status.
enum class ReadyStatus : std::uint8_t { Unknown, True, False };

/// Per-Kustomization results (product.md §3).
struct KustomizationSummary {
  SimTime created_at = kNever;
  SimTime first_started_at = kNever;
  SimTime first_applied_at = kNever;
  SimTime ready_at = kNever;          ///< first time Ready became True
  std::int32_t attempts = 0;          ///< apply attempts up to the first Ready (all of them if never Ready)
  std::int32_t passes = 0;            ///< every pass within the horizon (finalizer passes excluded)
  std::int32_t parent = -1;           ///< the Kustomization that created it at run time (-1: bootstrap)
  ReadyStatus status = ReadyStatus::Unknown;  ///< Ready condition status at the end of the run (ended_at)
  Reason reason = Reason::None;       ///< Ready reason at the end of the run (None when it never existed)
  Message message;                    ///< message()
};

/// Busy time of one controller's workers.
struct WorkerUsage {
  Controller controller = Controller::Kustomize;
  std::string pool;          ///< "kustomize-controller", "source-controller GitRepository", ...
  int workers = 0;
  Duration busy{0};          ///< sum over workers of time spent in passes, within [0, end)
  SimTime end{};             ///< the window the usage is measured over: [0, end)
  Duration saturated{0};     ///< time during which every worker was busy
  std::size_t max_queue_depth = 0;  ///< most due items waiting for a worker at once
  double utilisation() const;       ///< busy / (workers * end), 0..1
};

/// Everything one run produced.
struct RunResult {
  std::uint64_t seed = 0;
  std::uint64_t run = 0;
  SimTime horizon{};
  SimTime ended_at{};                 ///< last simulated instant (horizon, or earlier if stopped)
  /// The run ended before the horizon because nothing could change any reported figure any more: every
  /// Kustomization and HelmRelease Ready with no pass in flight, every source stored, and no fault,
  /// restart, outage or object status change ahead (README "How fluxsim models Flux"). What follows would
  /// only repeat steady-state passes, so the figures that grow with time (pass counts, worker usage over
  /// the run, events, passes) cover [0, ended_at); every other figure is what the horizon would show.
  bool settled = false;
  bool all_ready = false;
  SimTime time_to_ready = kNever;     ///< the instant the last Kustomization first became Ready
  std::vector<KustomizationSummary> kustomizations;  ///< parallel to World::kustomizations
  std::vector<SimTime> helm_ready_at;                ///< parallel to World::helm_releases (kNever: never)
  std::vector<SimTime> source_ready_at;              ///< parallel to World::sources: first artifact
  std::vector<WorkerUsage> workers;                  ///< kustomize, then one per source kind; over [0, ended_at)
  std::vector<WorkerUsage> workers_until_ready;      ///< the same over [0, time_to_ready); empty if never all Ready
  std::vector<TraceEvent> events;                    ///< empty unless recording was asked for
  std::vector<PassRecord> passes;                    ///< in start order; empty unless recording
  std::uint64_t simulated_events = 0;                ///< engine events processed (for benchmarks)
  /// What messages refer to: the compiled plan's names (built once, shared by every run of a Simulation),
  /// the run's argument lists (objects with their status at the time) and the few texts CEL computed.
  std::shared_ptr<const sim::Plan> plan;
  std::vector<std::int32_t> message_args;
  std::vector<std::string> texts;
};

/// A message as Flux would word it: the one place a Message becomes text (src/trace.cc).
std::string message(const World& world, const RunResult& r, const Message& m);
inline std::string message(const World& world, const RunResult& r, const TraceEvent& e) { return message(world, r, e.message); }
inline std::string message(const World& world, const RunResult& r, const PassRecord& p) { return message(world, r, p.message); }
inline std::string message(const World& world, const RunResult& r, const KustomizationSummary& s) {
  return message(world, r, s.message);
}

/// What a run's time-dependent figures cover, for reports: "simulated until 3m12s, when nothing could
/// change any more; horizon 24h", "simulated until every Kustomization was Ready (3m12s); horizon 24h" or
/// "horizon 24h" (simulated to the horizon).
std::string coverage(const RunResult& r);

const char* to_string(TraceType t);
const char* to_string(Reason r);  ///< "" for Reason::None
const char* to_string(ReadyStatus s);  ///< "True", "False", "Unknown"
const char* to_string(PassOutcome o);
/// A pass that tried and failed (build, apply, health check, Helm install): the next try waits for a retry.
bool is_failure(PassOutcome o);
const char* to_string(Controller c);

}  // namespace fluxsim
