// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/trace.h"

#include <fmt/format.h>

namespace fluxsim {

const char* to_string(Reason r) {
  switch (r) {
    case Reason::None: return "";
    case Reason::ArtifactFailed: return "ArtifactFailed";
    case Reason::BuildFailed: return "BuildFailed";
    case Reason::DependencyNotReady: return "DependencyNotReady";
    case Reason::InvalidCELExpression: return "InvalidCELExpression";
    case Reason::Progressing: return "Progressing";
    case Reason::ReconciliationSucceeded: return "ReconciliationSucceeded";
    case Reason::ReconciliationFailed: return "ReconciliationFailed";
    case Reason::HealthCheckFailed: return "HealthCheckFailed";
    case Reason::SourceNotReady: return "SourceNotReady";
    case Reason::InstallSucceeded: return "InstallSucceeded";
    case Reason::InstallFailed: return "InstallFailed";
    case Reason::RetriesExceeded: return "RetriesExceeded";
    case Reason::NotCreated: return "NotCreated";
    case Reason::FetchFailed: return "FetchFailed";
    case Reason::Succeeded: return "Succeeded";
    case Reason::Crash: return "Crash";
    case Reason::GracefulRestart: return "GracefulRestart";
    case Reason::LeaderElected: return "LeaderElected";
  }
  return "";
}

const char* to_string(ReadyStatus s) {
  switch (s) {
    case ReadyStatus::True: return "True";
    case ReadyStatus::False: return "False";
    case ReadyStatus::Unknown: break;
  }
  return "Unknown";
}

double WorkerUsage::utilisation() const {
  const double window = static_cast<double>(workers) * static_cast<double>(end.time_since_epoch().count());
  return window > 0 ? static_cast<double>(busy.count()) / window : 0.0;
}

std::string coverage(const RunResult& r) {
  if (r.settled)
    return fmt::format("simulated until {}, when nothing could change any more; horizon {}", format_time(r.ended_at),
                       format_time(r.horizon));
  if (r.ended_at < r.horizon)
    return fmt::format("simulated until every Kustomization was Ready ({}); horizon {}", format_time(r.ended_at),
                       format_time(r.horizon));
  return fmt::format("horizon {}", format_time(r.horizon));
}

const char* to_string(TraceType t) {
  switch (t) {
    case TraceType::Created: return "Created";
    case TraceType::FinalizerAdded: return "FinalizerAdded";
    case TraceType::PassStarted: return "PassStarted";
    case TraceType::Suspended: return "Suspended";
    case TraceType::SourceNotFound: return "SourceNotFound";
    case TraceType::ArtifactNotReady: return "ArtifactNotReady";
    case TraceType::DependencyNotReady: return "DependencyNotReady";
    case TraceType::ApplyStarted: return "ApplyStarted";
    case TraceType::StageApplied: return "StageApplied";
    case TraceType::StageWaitFinished: return "StageWaitFinished";
    case TraceType::HealthCheckStarted: return "HealthCheckStarted";
    case TraceType::KindRegistered: return "KindRegistered";
    case TraceType::ReconciliationSucceeded: return "ReconciliationSucceeded";
    case TraceType::ReconciliationFailed: return "ReconciliationFailed";
    case TraceType::Requeued: return "Requeued";
    case TraceType::ArtifactStored: return "ArtifactStored";
    case TraceType::FetchFailed: return "FetchFailed";
    case TraceType::ControllerRestarted: return "ControllerRestarted";
  }
  return "?";
}

bool is_failure(PassOutcome o) {
  return o == PassOutcome::BuildFailed || o == PassOutcome::ApplyFailed || o == PassOutcome::HealthCheckFailed ||
         o == PassOutcome::InstallFailed;
}

const char* to_string(PassOutcome o) {
  switch (o) {
    case PassOutcome::Finalizer: return "Finalizer";
    case PassOutcome::Suspended: return "Suspended";
    case PassOutcome::SourceNotFound: return "SourceNotFound";
    case PassOutcome::ArtifactNotReady: return "ArtifactNotReady";
    case PassOutcome::DependencyNotReady: return "DependencyNotReady";
    case PassOutcome::BuildFailed: return "BuildFailed";
    case PassOutcome::ApplyFailed: return "ApplyFailed";
    case PassOutcome::HealthCheckFailed: return "HealthCheckFailed";
    case PassOutcome::InstallFailed: return "InstallFailed";
    case PassOutcome::Succeeded: return "Succeeded";
    case PassOutcome::Interrupted: return "Interrupted";
    case PassOutcome::Running: return "Running";
  }
  return "?";
}

const char* to_string(Controller c) {
  switch (c) {
    case Controller::Kustomize: return "kustomize-controller";
    case Controller::Source: return "source-controller";
    case Controller::Helm: return "helm-controller";
  }
  return "?";
}

}  // namespace fluxsim
