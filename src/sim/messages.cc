// SPDX-License-Identifier: Apache-2.0
// The one place a recorded Message (trace.h) becomes text: when a report is written, never while
// simulating. Messages name the World's objects and the compiled plan's (RunResult::plan), so this lives
// with the engine; reports call fluxsim::message().
#include <fmt/format.h>

#include "fluxsim/model.h"
#include "fluxsim/trace.h"
#include "sim/plan.h"
#include "sim/state.h"

namespace fluxsim {

namespace {

// "name status: 'InProgress', ..." from (object, status) pairs of RunResult::message_args.
std::string object_statuses(const RunResult& r, const sim::Plan& plan, const Message& m) {
  std::string out;
  for (std::int32_t i = 0; i < m.b; ++i) {
    const auto at = static_cast<std::size_t>(m.c) + 2 * static_cast<std::size_t>(i);
    const auto id = static_cast<std::size_t>(r.message_args[at]);
    const std::int32_t status = r.message_args[at + 1];  // sim::Run::Status: 0 NotFound, 1 InProgress, 3 Failed
    if (!out.empty()) out += ", ";
    out += plan.objects[id].name;
    out += " status: '";
    out += status == 0 ? "NotFound" : status == 3 ? "Failed" : "InProgress";
    out += '\'';
  }
  return out;
}

const char* controller_word(std::uint8_t c) {
  switch (static_cast<Controller>(c)) {
    case Controller::Helm: return "helm";
    case Controller::Source: return "source";
    case Controller::Kustomize: break;
  }
  return "kustomize";
}

std::string helm_failure(const World& world, const sim::Plan& plan, const Message& m) {
  const HelmRelease& spec = world.helm_releases[static_cast<std::size_t>(m.a)];
  const std::string release = fmt::format("{}/{}", spec.release_namespace(), spec.helm_release_name());
  std::string out;
  if (m.kind == MessageKind::InstallUnmappedKind) {
    const sim::Plan::Obj& made = plan.objects[static_cast<std::size_t>(m.b)];
    out = fmt::format(
        "Helm install failed for release {}: unable to build kubernetes objects from release manifest: "
        "resource mapping not found for name: \"{}\" namespace: \"{}\": no matches for kind \"{}\"",
        release, made.ref->name, made.ref->ns, made.ref->kind);
  } else if (m.kind == MessageKind::InstallFailedEarly) {
    out = fmt::format("Helm install failed for release {}: failed early due to stalled resources", release);
  } else {
    out = fmt::format("Helm install failed for release {}: context deadline exceeded (timeout {}{})", release,
                      format_duration(Duration{m.n}), spec.install_timeout ? ": install.timeout" : "");
  }
  if (m.flag) out = fmt::format("{} (install retries exhausted: {})", out, m.c);
  return out;
}

std::string fan_out(const World& world, const RunResult& r, const sim::Plan& plan, const Message& m) {
  auto name = [&](std::int32_t k) {
    const ObjectRef& ref = world.kustomizations[static_cast<std::size_t>(k)].ref;
    return ref.ns + "/" + ref.name;
  };
  std::string out =
      fmt::format("{}: stored artifact for revision '{}'", plan.sources[static_cast<std::size_t>(m.a)].name, sim::kRevision);
  std::string list;
  for (std::int32_t i = 0; i < m.b; ++i) {
    const std::int32_t k = r.message_args[static_cast<std::size_t>(m.c + i)];
    if (m.flag == 2) {
      list += (list.empty() ? "" : " -> ") + name(k);
      continue;
    }
    std::string item = name(k);
    const std::int32_t other = plan.ks[static_cast<std::size_t>(k)].source;
    if (other != sim::kNone && other != m.a)
      item += fmt::format(" (on {}/{})", world.sources[static_cast<std::size_t>(other)].ref.kind,
                          world.sources[static_cast<std::size_t>(other)].ref.name);
    list += (list.empty() ? "" : ", ") + item;
  }
  if (m.flag == 2) {
    out += "; fan-out: circular dependency detected: " + list + ", so no Kustomization is enqueued";
  } else if (m.flag == 1) {
    out += fmt::format("; fan-out enqueues {} Kustomization{} in dependency order", m.n, m.n == 1 ? "" : "s");
    if (!list.empty()) out += ", with the dependencies the walk reached: " + list;
  }
  return out;
}

}  // namespace

std::string message(const World& world, const RunResult& r, const Message& m) {
  const auto a = static_cast<std::size_t>(m.a);
  switch (m.kind) {
    case MessageKind::None: return {};
    case MessageKind::Suspended: return "spec.suspend is true: nothing is reconciled and nothing requeues it";
    case MessageKind::SourceNotFound: {
      const Reference& s = world.kustomizations[a].source_ref;
      return fmt::format("Source '{}/{}/{}' not found", s.kind, s.ns, s.name);
    }
    case MessageKind::ArtifactNotFound:
      return fmt::format("Source artifact not found, retrying in {}", format_duration(Duration{m.n}));
    case MessageKind::DependencyNotFound:
    case MessageKind::DependencyNotReady: {
      const Reference& d = m.flag ? world.helm_releases[a].depends_on[static_cast<std::size_t>(m.b)]
                                  : world.kustomizations[a].depends_on[static_cast<std::size_t>(m.b)];
      return fmt::format("dependency '{}/{}' {}", d.ns, d.name,
                         m.kind == MessageKind::DependencyNotFound ? "not found" : "is not ready");
    }
    case MessageKind::Text: return r.texts[a];
    case MessageKind::Fetching:
      return fmt::format("Fetching manifests for revision {} with a timeout of {}", sim::kRevision,
                         format_duration(Duration{m.n}));
    case MessageKind::BuildFailure: return world.kustomizations[a].build_failure->message;
    case MessageKind::SourceUnmapped: {
      const Reference& s = world.kustomizations[a].source_ref;
      return fmt::format(
          "{}/{}/{} is not mapped to a directory of this checkout: fluxsim cannot read its artifact offline "
          "(map it under spec.sources)",
          s.kind, s.ns, s.name);
    }
    case MessageKind::InjectedApplyFailure: return fmt::format("apply failed: injected fault (failApplies: {} left)", m.n);
    case MessageKind::NoMatchesForKind: {
      const sim::Plan::KsObj& o = r.plan->ks[a].stages[m.b][static_cast<std::size_t>(m.c)];
      const sim::Plan::Obj& info = r.plan->objects[o.obj];
      return fmt::format("{} dry-run failed: no matches for kind \"{}\" in version \"{}\"", info.name, info.ref->kind,
                         o.res->api_version);
    }
    case MessageKind::NamespaceNotFound: {
      const sim::Plan::Obj& info = r.plan->objects[a];
      return fmt::format("{} dry-run failed: namespaces \"{}\" not found", info.name, info.ref->ns);
    }
    case MessageKind::StageTimeout: return fmt::format("timeout waiting for: [{}]", object_statuses(r, *r.plan, m));
    case MessageKind::HealthTimeout:
      return fmt::format("health check failed after {}: timeout waiting for: [{}]", format_duration(Duration{m.n}),
                         object_statuses(r, *r.plan, m));
    case MessageKind::HealthFailedEarly:
      return fmt::format("health check failed after {}: failed early due to stalled resources: [{}]",
                         format_duration(Duration{m.n}), object_statuses(r, *r.plan, m));
    case MessageKind::AppliedRevision: return fmt::format("Applied revision: {}", sim::kRevision);
    case MessageKind::RequeueInterval: return "interval";
    case MessageKind::RequeueDependency: return "--requeue-dependency";
    case MessageKind::RequeueRetry: return "retryInterval";
    case MessageKind::KindServed: return r.plan->kinds[a].name;
    case MessageKind::ChartNotReady: return fmt::format("{} is not ready", r.plan->sources[a].name);
    case MessageKind::RunningInstall:
      return fmt::format("Running 'install' action with timeout of {}", format_duration(Duration{m.n}));
    case MessageKind::InstallSucceeded: {
      const ObjectRef& ref = world.helm_releases[a].ref;
      return fmt::format("Helm install succeeded for release {}/{}", ref.ns, ref.name);
    }
    case MessageKind::InstallUnmappedKind:
    case MessageKind::InstallFailedEarly:
    case MessageKind::InstallTimedOut: return helm_failure(world, *r.plan, m);
    case MessageKind::FetchOutage: {
      const std::string& url =
          a < world.sources.size() && !world.sources[a].url.empty() ? world.sources[a].url : r.plan->sources[a].name;
      return fmt::format("failed to fetch {}: source unavailable (injected outage); retrying in {}", url,
                         format_duration(Duration{m.n}));
    }
    case MessageKind::ArtifactStoredFanOut: return fan_out(world, r, *r.plan, m);
    case MessageKind::ControllerCrashed:
      return fmt::format(
          "{}-controller crashed: passes in flight are lost; the new process waits {} for the old "
          "leader's lease to expire (--leader-election-lease-duration) before it lists anything",
          controller_word(m.controller), format_duration(Duration{m.n}));
    case MessageKind::ControllerRestartedGracefully:
      return fmt::format(
          "{}-controller restarted gracefully: passes in flight are lost; the lease is released, so the "
          "new process lists and enqueues every object at once",
          controller_word(m.controller));
    case MessageKind::LeaderElected:
      return fmt::format("{}-controller acquired the leader lease: every object is listed and enqueued again",
                         controller_word(m.controller));
    case MessageKind::LostToRestart: return "lost to a controller restart";
    case MessageKind::NeverCreated: {
      const auto& parent = world.kustomizations[a].parent;
      return parent
                 ? fmt::format("never created: Kustomization/{}/{} did not apply it within the horizon", parent->ns, parent->name)
                 : std::string("never created");
    }
    case MessageKind::WaitingFirstReconcile: return "waiting for its first reconcile";
    case MessageKind::SourceName: return r.plan->sources[a].name;
  }
  return {};
}

}  // namespace fluxsim
