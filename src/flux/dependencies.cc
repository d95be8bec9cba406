// SPDX-License-Identifier: Apache-2.0
// dependsOn[].readyExpr: the objects CEL sees and the check of one entry (flux-semantics.md §2, §10;
// kustomize-controller checkDependencies/evalReadyExpr, helm-controller the same).
#include "flux/dependencies.h"

#include <fmt/format.h>

#include "fluxsim/time.h"

namespace fluxsim::flux {

using cel::List;
using cel::Map;
using cel::Value;

ReadyExpr compile_ready_expr(const Reference& entry) {
  ReadyExpr out;
  if (entry.ready_expr.empty()) return out;
  cel::Compiled c = cel::compile(entry.ready_expr);
  if (c.ok()) {
    out.program = std::move(c.program);
  } else if (c.problem.kind == cel::Problem::Kind::Invalid) {
    out.invalid = true;
    out.problem = cel::to_string(c.problem);
  }
  return out;
}

namespace {

Value string_map(const std::vector<std::pair<std::string, std::string>>& fields) {
  Map m;
  for (const auto& [k, v] : fields) m.emplace_back(k, Value::string(v));
  return Value::map(std::move(m));
}

Value metadata(const ObjectRef& ref, const std::optional<ObjectRef>& parent,
               const std::vector<std::pair<std::string, std::string>>& labels,
               const std::vector<std::pair<std::string, std::string>>& annotations) {
  Map m{{"name", Value::string(ref.name)}, {"namespace", Value::string(ref.ns)}, {"generation", Value::integer(1)}};
  auto all_labels = labels;
  if (parent) {
    // kustomize-controller labels every object it applies with its owner.
    auto set = [&](const std::string& key, const std::string& value) {
      for (auto& [k, v] : all_labels)
        if (k == key) {
          v = value;
          return;
        }
      all_labels.emplace_back(key, value);
    };
    set("kustomize.toolkit.fluxcd.io/name", parent->name);
    set("kustomize.toolkit.fluxcd.io/namespace", parent->ns);
  }
  if (!all_labels.empty()) m.emplace_back("labels", string_map(all_labels));
  if (!annotations.empty()) m.emplace_back("annotations", string_map(annotations));
  return Value::map(std::move(m));
}

const char* condition_status(StatusView::Condition c) {
  switch (c) {
    case StatusView::Condition::True: return "True";
    case StatusView::Condition::False: return "False";
    default: return "Unknown";
  }
}

// status.conditions: Ready (with its reason and message), Reconciling and Stalled when set.
Value conditions(const StatusView& s) {
  List out;
  if (s.ready != StatusView::Condition::None)
    out.push_back(Value::map(Map{{"type", Value::string("Ready")},
                                 {"status", Value::string(condition_status(s.ready))},
                                 {"reason", Value::string(std::string(s.reason))},
                                 {"message", Value::string(std::string(s.message))},
                                 {"observedGeneration", Value::integer(1)}}));
  if (s.reconciling)
    out.push_back(Value::map(Map{{"type", Value::string("Reconciling")},
                                 {"status", Value::string("True")},
                                 {"reason", Value::string("Progressing")},
                                 {"observedGeneration", Value::integer(1)}}));
  if (s.stalled)
    out.push_back(Value::map(Map{{"type", Value::string("Stalled")},
                                 {"status", Value::string("True")},
                                 {"reason", Value::string(std::string(s.reason))},
                                 {"observedGeneration", Value::integer(1)}}));
  return Value::list(std::move(out));
}

Value reference(const Reference& r, bool with_kind) {
  Map m;
  if (with_kind && !r.kind.empty()) m.emplace_back("kind", Value::string(r.kind));
  m.emplace_back("name", Value::string(r.name));
  if (!r.ns.empty()) m.emplace_back("namespace", Value::string(r.ns));
  if (!r.ready_expr.empty()) m.emplace_back("readyExpr", Value::string(r.ready_expr));
  return Value::map(std::move(m));
}

Value depends_on(const std::vector<Reference>& deps) {
  List out;
  for (const Reference& d : deps) out.push_back(reference(d, false));
  return Value::list(std::move(out));
}

std::string shorten(const std::string& s) { return s.size() > 160 ? s.substr(0, 157) + "..." : s; }

}  // namespace

Value kustomization_object(const Kustomization& k, const StatusView& s) {
  Map spec{{"interval", Value::string(format_duration(k.interval))},
           {"path", Value::string(k.path)},
           {"prune", Value::boolean(k.prune)},
           {"sourceRef", reference(k.source_ref, true)}};
  if (k.wait) spec.emplace_back("wait", Value::boolean(true));
  if (k.suspend) spec.emplace_back("suspend", Value::boolean(true));
  if (k.force) spec.emplace_back("force", Value::boolean(true));
  if (!k.target_namespace.empty()) spec.emplace_back("targetNamespace", Value::string(k.target_namespace));
  if (!k.depends_on.empty()) spec.emplace_back("dependsOn", depends_on(k.depends_on));
  if (k.timeout) spec.emplace_back("timeout", Value::string(format_duration(*k.timeout)));
  if (k.retry_interval) spec.emplace_back("retryInterval", Value::string(format_duration(*k.retry_interval)));

  Map status;
  if (s.observed) status.emplace_back("observedGeneration", Value::integer(1));
  if (s.ready != StatusView::Condition::None || s.reconciling || s.stalled) status.emplace_back("conditions", conditions(s));
  if (!s.last_applied_revision.empty())
    status.emplace_back("lastAppliedRevision", Value::string(std::string(s.last_applied_revision)));
  if (!s.last_attempted_revision.empty())
    status.emplace_back("lastAttemptedRevision", Value::string(std::string(s.last_attempted_revision)));
  return Value::map(Map{{"apiVersion", Value::string(k.api_version.empty() ? "kustomize.toolkit.fluxcd.io/v1" : k.api_version)},
                        {"kind", Value::string("Kustomization")},
                        {"metadata", metadata(k.ref, k.parent, k.labels, k.annotations)},
                        {"spec", Value::map(std::move(spec))},
                        {"status", Value::map(std::move(status))}});
}

Value helm_release_object(const HelmRelease& h, const StatusView& s) {
  Map spec{{"interval", Value::string(format_duration(h.interval))}};
  if (!h.target_namespace.empty()) spec.emplace_back("targetNamespace", Value::string(h.target_namespace));
  if (h.suspend) spec.emplace_back("suspend", Value::boolean(true));
  if (h.timeout) spec.emplace_back("timeout", Value::string(format_duration(*h.timeout)));
  if (!h.depends_on.empty()) spec.emplace_back("dependsOn", depends_on(h.depends_on));

  Map status;
  if (s.observed) status.emplace_back("observedGeneration", Value::integer(1));
  if (s.ready != StatusView::Condition::None || s.reconciling || s.stalled) status.emplace_back("conditions", conditions(s));
  if (s.install_failures > 0) status.emplace_back("installFailures", Value::integer(s.install_failures));
  return Value::map(Map{{"apiVersion", Value::string(h.api_version.empty() ? "helm.toolkit.fluxcd.io/v2" : h.api_version)},
                        {"kind", Value::string("HelmRelease")},
                        {"metadata", metadata(h.ref, h.parent, h.labels, h.annotations)},
                        {"spec", Value::map(std::move(spec))},
                        {"status", Value::map(std::move(status))}});
}

DependencyCheck check_ready_expr(const ReadyExpr& expr, const Reference& entry, const Value& self, const Value& dep,
                                 bool additive, bool builtin_ready) {
  DependencyCheck out;
  const std::string name = entry.ns + "/" + entry.name;
  if (expr.invalid) {
    // evalReadyExpr: cel.NewExpression failed -> reconcile.TerminalError -> Stalled, no requeue.
    out.verdict = DependencyCheck::Verdict::Stalled;
    out.by_expr = true;
    out.reason = "InvalidCELExpression";
    out.message = fmt::format(
        "Reconciliation failed terminally due to configuration error: failed to evaluate dependency {}: failed to parse the "
        "CEL expression '{}': {}",
        entry.name, shorten(entry.ready_expr), expr.problem);
    return out;
  }
  out.reason = "DependencyNotReady";
  const cel::Program::Result r = expr.program->evaluate(self, dep);
  if (!r.ok) {
    // An evaluation error is returned as is: DependencyNotReady, requeue --requeue-dependency.
    out.verdict = DependencyCheck::Verdict::NotReady;
    out.by_expr = true;
    out.message = fmt::format("failed to evaluate the CEL expression '{}': {}", shorten(entry.ready_expr), r.error);
    return out;
  }
  if (!r.value) {
    out.verdict = DependencyCheck::Verdict::NotReady;
    out.by_expr = true;
    out.message = fmt::format("dependency '{}' is not ready according to readyExpr eval", name);
    return out;
  }
  // True: with the AdditiveCELDependencyCheck gate off the built-in test is skipped.
  if (additive && !builtin_ready) {
    out.verdict = DependencyCheck::Verdict::NotReady;
    out.message = fmt::format("dependency '{}' is not ready", name);
    return out;
  }
  out.by_expr = true;
  return out;
}

}  // namespace fluxsim::flux
