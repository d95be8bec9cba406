// SPDX-License-Identifier: Apache-2.0
#include "load/flux_objects.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "flux/cel.h"
#include "fluxsim/time.h"

namespace fluxsim::load {

namespace {

SourceLocation at(const KObject& o, const Node* n) {
  SourceLocation w = o.origin;
  if (n && n->line > 0 && o.origin.line > 0) {
    // Nodes keep their line within the file they were read from; objects built from inline
    // manifests were shifted already, so the node's own line is right whenever it is set.
    w.line = n->line;
    w.column = n->column;
  }
  return w;
}

std::optional<Duration> duration(const KObject& o, const Node* n, const char* field, Diagnostics& diags) {
  if (!n || n->is_null()) return std::nullopt;
  DurationParse p = parse_duration(n->value);
  if (!p.value) {
    diags.warning(at(o, n), std::string("invalid ") + field + " \"" + n->value + "\": " + p.error).object = o.kind() + "/" + o.name();
    return std::nullopt;
  }
  return *p.value;
}

bool flag(const Node* n) { return n && n->as_bool().value_or(false); }

std::string object_name(const KObject& o) { return o.kind() + "/" + effective_namespace(o) + "/" + o.name(); }

// metadata.labels / metadata.annotations as strings (what a readyExpr sees of them).
std::vector<std::pair<std::string, std::string>> string_map(const KObject& o, const char* field) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const Node* m = o.node.at({"metadata", field}); m && m->is_map())
    for (const Field& f : m->fields) out.emplace_back(f.key, f.value.is_scalar() ? f.value.value : "");
  return out;
}

// A dependsOn entry; a readyExpr is compiled once here so that `check` and the run report what Flux
// would reject (Invalid: the dependent stalls) or fluxsim cannot evaluate (Unsupported: the built-in
// test stands in), at the entry's file:line.
Reference depends_on_entry(const KObject& o, const Node& d, const char* kind, const std::string& ns, std::size_t index,
                           Diagnostics& diags) {
  Reference r;
  r.kind = kind;
  r.name = d.text({"name"});
  r.ns = d.text({"namespace"}).empty() ? ns : d.text({"namespace"});
  r.where = at(o, &d);
  const Node* expr = d.get("readyExpr");
  r.has_ready_expr = expr != nullptr;
  if (expr && expr->is_scalar() && !expr->value.empty()) {
    r.ready_expr = expr->value;
    flux::cel::Compiled c = flux::cel::compile(r.ready_expr);
    if (!c.ok()) {
      const std::string what = fmt::format("dependsOn[{}].readyExpr ({}/{}): {}", index, r.ns, r.name, to_string(c.problem));
      if (c.problem.kind == flux::cel::Problem::Kind::Invalid)
        diags.error(r.where, "invalid CEL expression: " + what,
                    "Flux marks the dependent Stalled (InvalidCELExpression) and never retries it; fix the expression")
            .object = object_name(o);
      else
        diags.warning(r.where, "unsupported expression: " + what,
                      "fluxsim evaluates this dependency with the built-in readiness test instead")
            .object = object_name(o);
    }
  } else if (expr && !expr->is_null()) {
    r.has_ready_expr = false;  // readyExpr: "" is no expression (the built-in test applies)
  }
  return r;
}

}  // namespace

bool is_flux_kustomization(const KObject& o) { return o.kind() == "Kustomization" && o.group() == kKustomizeGroup; }
bool is_helm_release(const KObject& o) { return o.kind() == "HelmRelease" && o.group() == kHelmGroup; }
bool is_flux_source(const KObject& o) {
  std::string k = o.kind();
  std::string g = o.group();
  if (g != kSourceGroup) return false;
  return k == "GitRepository" || k == "OCIRepository" || k == "Bucket" || k == "ExternalArtifact" || k == "HelmRepository";
}

std::string effective_namespace(const KObject& o) {
  std::string ns = o.ns();
  return ns.empty() ? std::string("default") : ns;
}

FluxKustomizationSpec read_flux_kustomization(const KObject& o, Diagnostics& diags) {
  FluxKustomizationSpec out;
  Kustomization& k = out.model;
  k.ref = ObjectRef{std::string(kKustomizeGroup), "Kustomization", effective_namespace(o), o.name()};
  k.api_version = o.api_version();
  k.origin = o.origin;
  k.labels = string_map(o, "labels");
  k.annotations = string_map(o, "annotations");
  const Node* spec = o.node.get("spec");
  static const Node kEmpty = Node::map();
  if (!spec || !spec->is_map()) {
    diags.warning(o.origin, "Kustomization has no spec").object = object_name(o);
    spec = &kEmpty;
  }
  out.spec = *spec;
  const std::string& ns = k.ref.ns;

  if (auto d = duration(o, spec->get("interval"), "interval", diags)) {
    k.interval = *d;
  } else if (!spec->get("interval")) {
    diags.warning(o.origin, "spec.interval is required; assuming 10m").object = object_name(o);
  }
  k.retry_interval = duration(o, spec->get("retryInterval"), "retryInterval", diags);
  k.timeout = duration(o, spec->get("timeout"), "timeout", diags);
  k.path = spec->text({"path"});
  k.wait = flag(spec->get("wait"));
  k.prune = flag(spec->get("prune"));
  k.suspend = flag(spec->get("suspend"));
  k.force = flag(spec->get("force"));
  k.target_namespace = spec->text({"targetNamespace"});
  k.has_health_check_exprs = spec->get("healthCheckExprs") && spec->get("healthCheckExprs")->is_seq() &&
                             !spec->get("healthCheckExprs")->items.empty();

  if (const Node* src = spec->get("sourceRef"); src && src->is_map()) {
    k.source_ref.kind = src->text({"kind"});
    k.source_ref.name = src->text({"name"});
    k.source_ref.ns = src->text({"namespace"}).empty() ? ns : src->text({"namespace"});
    k.source_ref.where = at(o, src);
  } else {
    diags.warning(o.origin, "spec.sourceRef is required").object = object_name(o);
  }
  if (const Node* deps = spec->get("dependsOn"); deps && deps->is_seq()) {
    for (const Node& d : deps->items) k.depends_on.push_back(depends_on_entry(o, d, "Kustomization", ns, k.depends_on.size(), diags));
  }
  if (const Node* hcs = spec->get("healthChecks"); hcs && hcs->is_seq()) {
    for (const Node& h : hcs->items) {
      std::string av = h.text({"apiVersion"});
      k.health_checks.push_back(ObjectRef{std::string(group_of(av)), h.text({"kind"}), h.text({"namespace"}), h.text({"name"})});
      k.health_check_origins.push_back(at(o, &h));
    }
  }
  if (const Node* pb = spec->get("postBuild"); pb && !pb->is_null()) {
    out.has_post_build = true;
    if (const Node* sub = pb->get("substitute"); sub && sub->is_map())
      for (const Field& f : sub->fields) out.substitute.emplace_back(f.key, f.value.is_scalar() ? f.value.value : "");
    if (const Node* from = pb->get("substituteFrom"); from && from->is_seq()) {
      for (const Node& f : from->items) {
        SubstituteFrom s;
        s.kind = f.text({"kind"});
        s.name = f.text({"name"});
        s.optional = flag(f.get("optional"));
        s.where = at(o, &f);
        k.substitute_from.push_back(std::move(s));
      }
    }
  }

  FluxOverlay& ov = out.overlay;
  if (const Node* tn = spec->get("targetNamespace"); tn && tn->is_scalar() && !tn->value.empty()) ov.target_namespace = tn->value;
  if (const Node* p = spec->get("namePrefix"); p && p->is_scalar() && !p->value.empty()) ov.name_prefix = p->value;
  if (const Node* p = spec->get("nameSuffix"); p && p->is_scalar() && !p->value.empty()) ov.name_suffix = p->value;
  if (const Node* ps = spec->get("patches"); ps && ps->is_seq()) ov.patches = ps->items;
  if (const Node* ps = spec->get("patchesStrategicMerge"); ps && ps->is_seq()) ov.patches_strategic_merge = ps->items;
  if (const Node* ps = spec->get("patchesJson6902"); ps && ps->is_seq()) ov.patches_json6902 = ps->items;
  if (const Node* cs = spec->get("components"); cs && cs->is_seq())
    for (const Node& c : cs->items) ov.components.push_back(c.value);
  ov.ignore_missing_components = flag(spec->get("ignoreMissingComponents"));
  if (const Node* cm = spec->get("commonMetadata"); cm && cm->is_map()) {
    if (const Node* l = cm->get("labels"); l && l->is_map()) out.common_labels = l->fields;
    if (const Node* a = cm->get("annotations"); a && a->is_map()) out.common_annotations = a->fields;
  }
  return out;
}

HelmRelease read_helm_release(const KObject& o, Diagnostics& diags) {
  HelmRelease h;
  h.ref = ObjectRef{std::string(kHelmGroup), "HelmRelease", effective_namespace(o), o.name()};
  h.api_version = o.api_version();
  h.origin = o.origin;
  h.labels = string_map(o, "labels");
  h.annotations = string_map(o, "annotations");
  static const Node kEmpty = Node::map();
  const Node* spec = o.node.get("spec");
  if (!spec || !spec->is_map()) spec = &kEmpty;
  if (auto d = duration(o, spec->get("interval"), "interval", diags)) h.interval = *d;
  h.timeout = duration(o, spec->get("timeout"), "timeout", diags);
  h.install_timeout = duration(o, spec->at({"install", "timeout"}), "install.timeout", diags);
  h.upgrade_timeout = duration(o, spec->at({"upgrade", "timeout"}), "upgrade.timeout", diags);
  h.install_disable_wait = flag(spec->at({"install", "disableWait"}));
  h.release_name = spec->text({"releaseName"});
  if (const Node* deps = spec->get("dependsOn"); deps && deps->is_seq()) {
    for (const Node& d : deps->items) h.depends_on.push_back(depends_on_entry(o, d, "HelmRelease", h.ref.ns, h.depends_on.size(), diags));
  }
  if (const Node* r = spec->at({"install", "remediation", "retries"})) h.install_retries = static_cast<int>(r->as_int().value_or(0));
  if (const Node* r = spec->at({"upgrade", "remediation", "retries"})) h.upgrade_retries = static_cast<int>(r->as_int().value_or(0));
  h.install_strategy = spec->text({"install", "strategy", "name"});
  h.retry_interval = duration(o, spec->at({"install", "strategy", "retryInterval"}), "install.strategy.retryInterval", diags);
  if (const Node* src = spec->at({"chart", "spec", "sourceRef"}); src && src->is_map()) {
    std::string ns = src->text({"namespace"}).empty() ? h.ref.ns : src->text({"namespace"});
    h.chart_source = ObjectRef{std::string(kSourceGroup), src->text({"kind"}), ns, src->text({"name"})};
    h.chart = spec->text({"chart", "spec", "chart"});
  } else if (const Node* ref = spec->get("chartRef"); ref && ref->is_map()) {
    std::string ns = ref->text({"namespace"}).empty() ? h.ref.ns : ref->text({"namespace"});
    h.chart_source = ObjectRef{std::string(kSourceGroup), ref->text({"kind"}), ns, ref->text({"name"})};
    h.chart = ref->text({"name"});
  }
  h.target_namespace = spec->text({"targetNamespace"});
  h.create_namespace = flag(spec->at({"install", "createNamespace"}));
  h.suspend = flag(spec->get("suspend"));
  return h;
}

std::string normalize_git_url(std::string_view url) {
  std::string u(url);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (std::size_t scheme = u.find("://"); scheme != std::string::npos) {
    u = u.substr(scheme + 3);
  } else if (std::size_t colon = u.find(':'); colon != std::string::npos && u.find('/') > colon) {
    u[colon] = '/';  // scp-like git@host:org/repo
  }
  if (std::size_t at_sign = u.find('@'); at_sign != std::string::npos && at_sign < u.find('/')) u = u.substr(at_sign + 1);
  if (std::size_t slash = u.find('/'); slash != std::string::npos) {
    std::string host = u.substr(0, slash);
    if (std::size_t port = host.find(':'); port != std::string::npos) host = host.substr(0, port);
    u = host + u.substr(slash);
  }
  while (!u.empty() && u.back() == '/') u.pop_back();
  if (u.size() > 4 && u.ends_with(".git")) u.resize(u.size() - 4);
  return u;
}

std::string git_branch(const Node& ref) {
  std::string b = ref.text({"branch"});
  if (!b.empty()) return b;
  std::string name = ref.text({"name"});
  if (name.rfind("refs/heads/", 0) == 0) return name.substr(11);
  if (!name.empty()) return name;
  for (const char* other : {"tag", "semver", "commit"}) {
    std::string v = ref.text({other});
    if (!v.empty()) return std::string(other) + ":" + v;
  }
  return {};
}

Source read_source(const KObject& o, Diagnostics& diags) {
  Source s;
  s.ref = ObjectRef{std::string(kSourceGroup), o.kind(), effective_namespace(o), o.name()};
  s.api_version = o.api_version();
  s.origin = o.origin;
  const Node* spec = o.node.get("spec");
  if (!spec || !spec->is_map()) return s;
  s.url = spec->text({"url"});
  if (s.url.empty()) s.url = spec->text({"endpoint"});
  if (const Node* ref = spec->get("ref"); ref && ref->is_map()) s.branch = git_branch(*ref);
  if (auto d = duration(o, spec->get("interval"), "interval", diags)) s.interval = *d;
  s.oci_helm_repository = s.ref.kind == "HelmRepository" && spec->text({"type"}) == "oci";
  return s;
}

}  // namespace fluxsim::load
