// SPDX-License-Identifier: Apache-2.0
// Compiling a World against a Scenario into a Plan (plan.h), one concern per step: the object table,
// each Kustomization's apply stages and health-check targets, objects only a health check names, the
// sources and the HelmCharts helm-controller creates, the HelmReleases, the fan-out order, faults,
// provided kinds, namespaces that exist from the start, and the scenario's expectations.
#include <algorithm>

#include <fmt/format.h>

#include "flux/apply.h"
#include "flux/defaults.h"
#include "flux/health.h"
#include "flux/kinds.h"
#include "fluxsim/graph.h"
#include "sim/plan.h"

namespace fluxsim::sim {
namespace {

SimTime max_time(SimTime a, SimTime b) { return a < b ? b : a; }
SimTime min_time(SimTime a, SimTime b) { return a < b ? a : b; }

std::string describe(const SourceLocation& where) {
  std::string loc = to_string(where);
  return loc.empty() ? std::string("scenario") : loc;
}

class Compiler {
 public:
  Compiler(Plan& plan, Diagnostics& diags) : p_(plan), w_(plan.world), s_(plan.scenario), diags_(diags), health_(plan.world) {}

  void compile() {
    index_world();
    for (std::size_t i = 0; i < w_.kustomizations.size(); ++i) compile_kustomization(i);
    mark_unseen();
    compile_sources();
    for (std::size_t i = 0; i < w_.helm_releases.size(); ++i) compile_helm_release(i);
    fan_out_order();
    find_appliers();
    for (const Fault& f : s_.faults) compile_fault(f);
    for (const ProvidesRule& rule : s_.provides) compile_provides(rule);
    compile_creators();
    assume_namespaces();
    check_expectations();
  }

 private:
  using Obj = Plan::Obj;

  // --- the object table ---------------------------------------------------------------------------

  // Every object any build applies, plus the Kustomizations, HelmReleases and sources themselves (a
  // Kustomization object is applied by its parent, the root by bootstrap).
  void index_world() {
    const std::size_t nks = w_.kustomizations.size();
    p_.ks.resize(nks);
    p_.helm_install_default = Distribution::fixed(flux::kHelmInstallTime);
    for (std::size_t i = 0; i < nks; ++i) ks_index_.emplace(w_.kustomizations[i].ref, static_cast<std::int32_t>(i));
    for (std::size_t i = 0; i < w_.helm_releases.size(); ++i)
      hr_index_.emplace(w_.helm_releases[i].ref, static_cast<std::int32_t>(i));
    for (std::size_t i = 0; i < w_.sources.size(); ++i) src_index_.emplace(w_.sources[i].ref, static_cast<std::int32_t>(i));
    // Count objects first so that default rule storage never reallocates (KsObj keeps pointers into it).
    std::size_t total = 0;
    for (const Kustomization& k : w_.kustomizations) total += k.objects.size() + k.health_checks.size();
    p_.default_ready.reserve(total);
    for (std::size_t i = 0; i < nks; ++i) p_.ks[i].self = static_cast<std::int32_t>(ensure_object(w_.kustomizations[i].ref));
    for (const Source& src : w_.sources) ensure_object(src.ref);
    for (const HelmRelease& hr : w_.helm_releases) ensure_object(hr.ref);
  }

  std::int32_t link_of(const ObjectRef& ref, ReadinessClass cls) const {
    const auto* index = cls == ReadinessClass::Kustomization ? &ks_index_
                        : cls == ReadinessClass::HelmRelease ? &hr_index_
                        : cls == ReadinessClass::Source      ? &src_index_
                                                             : nullptr;
    if (!index) return kNone;
    auto it = index->find(ref);
    return it == index->end() ? kNone : it->second;
  }

  ObjId ensure_object(const ObjectRef& ref) {
    bool created = false;
    const ObjId id = p_.object_id(ref, &created);
    if (created) {
      Obj& o = p_.objects[id];
      o.link = link_of(ref, o.cls);
      // A Flux kind fluxsim has no spec for (a dead reference) behaves like any custom resource.
      if (o.link == kNone &&
          (o.cls == ReadinessClass::Kustomization || o.cls == ReadinessClass::HelmRelease || o.cls == ReadinessClass::Source))
        o.cls = ReadinessClass::Timed;
    }
    return id;
  }

  // Ready rules: the scenario's, first match wins, then the built-in default for the kind.
  const Distribution* ready_rule(const Resource& r, std::string_view applier) {
    for (const ReadyRule& rule : s_.timing.ready)
      if (rule.match.matches(r.ref, applier)) return &rule.after;
    p_.default_ready.push_back(default_ready_after(r));
    return &p_.default_ready.back();
  }

  // What an applied object makes available: the kind a CRD serves, the namespace a Namespace creates.
  void note_definitions(const Resource& r, Obj& o) {
    if (r.preinstalled) o.preinstalled = true;
    if (!r.defines_kind.empty()) {
      std::string_view dk = r.defines_kind;
      const std::size_t slash = dk.rfind('/');
      const std::int32_t kid =
          slash == std::string_view::npos ? p_.kind_id("", dk) : p_.kind_id(dk.substr(0, slash), dk.substr(slash + 1));
      o.defines_kind = kid;
      p_.kinds[static_cast<std::size_t>(kid)].assumed = false;
    }
    if (r.ref.kind == "Namespace" && r.ref.group.empty()) {
      const std::int32_t nid = p_.namespace_id(r.ref.name);
      o.defines_namespace = nid;
      p_.namespaces[static_cast<std::size_t>(nid)].assumed = false;
    }
  }

  // --- Kustomizations -----------------------------------------------------------------------------

  void compile_kustomization(std::size_t i) {
    const Kustomization& k = w_.kustomizations[i];
    Plan::Ks& plan = p_.ks[i];
    plan.interval = k.interval;
    plan.retry = k.retry_interval_or_default();
    plan.timeout = k.timeout_or_default();
    plan.key = ObjectRefHash{}(k.ref);
    compile_stages(k, plan);
    // Health checks (src/flux/health.h); with wait: true in apply order.
    plan.checks_health = flux::checks_health(k);
    if (k.wait) {
      for (const auto& stage : plan.stages)
        for (const Plan::KsObj& o : stage)
          if (flux::waits_for_applied(k, *o.res)) plan.health.push_back(o.obj);
    } else {
      for (const ObjectRef& ref : health_.targets(k)) plan.health.push_back(ensure_object(ref));
    }
    for (const Reference& d : k.depends_on) {
      auto it = ks_index_.find(ObjectRef{std::string(kKustomizeGroup), "Kustomization", d.ns, d.name});
      plan.deps.push_back(it == ks_index_.end() ? kNone : it->second);
    }
    compile_ready_exprs(k.depends_on, plan.ready_exprs);
    auto sit = src_index_.find(ObjectRef{std::string(kSourceGroup), k.source_ref.kind, k.source_ref.ns, k.source_ref.name});
    plan.source = sit == src_index_.end() ? kNone : sit->second;
  }

  // dependsOn[].readyExpr, compiled once for every run; nothing when no entry has one.
  static void compile_ready_exprs(const std::vector<Reference>& deps, std::vector<flux::ReadyExpr>& out) {
    if (std::none_of(deps.begin(), deps.end(), [](const Reference& d) { return !d.ready_expr.empty(); })) return;
    for (const Reference& d : deps) out.push_back(flux::compile_ready_expr(d));
  }

  // The staged server-side apply (src/flux/apply.h): skipped objects left out, duplicates applied once.
  void compile_stages(const Kustomization& k, Plan::Ks& plan) {
    struct Staged {
      int slot;
      const Resource* res;
      ObjId id;
    };
    std::vector<Staged> staged;
    staged.reserve(k.objects.size());
    for (const Resource& r : k.objects) {
      const ObjId id = ensure_object(r.ref);
      note_definitions(r, p_.objects[id]);
      if (r.skipped) continue;
      staged.push_back({flux::stage_slot(apply_stage(r.ref)), &r, id});
    }
    std::sort(staged.begin(), staged.end(),
              [](const Staged& a, const Staged& b) { return flux::applied_before(a.res->ref, b.res->ref); });
    staged.erase(std::unique(staged.begin(), staged.end(), [](const Staged& a, const Staged& b) { return a.id == b.id; }),
                 staged.end());
    for (const Staged& st : staged) {
      const Distribution* rule = ready_rule(*st.res, k.ref.name);
      plan.stages[st.slot].push_back({st.id, rule, st.res});
      if (!p_.objects[st.id].ready) p_.objects[st.id].ready = rule;
    }
  }

  // Objects named only by health checks: nothing in the world builds them. Such an object exists only
  // once what creates it does (compile_creators: a Helm chart's install, a provides rule's `by`); it then
  // takes its kind's time, or the first scenario rule that matches it (the first Kustomization checking it
  // as the applier). Nothing creating it: it never exists (flux-semantics.md §6.2, §10).
  void mark_unseen() {
    std::vector<bool> built(p_.objects.size(), false);
    for (const Plan::Ks& plan : p_.ks) {
      built[static_cast<std::size_t>(plan.self)] = true;
      for (const auto& stage : plan.stages)
        for (const Plan::KsObj& o : stage) built[o.obj] = true;
    }
    for (ObjId id = 0; id < p_.objects.size(); ++id) {
      Obj& o = p_.objects[id];
      if (built[id]) continue;
      if (o.cls == ReadinessClass::Source && o.link != kNone && w_.sources[static_cast<std::size_t>(o.link)].exists_at_start)
        continue;
      o.unseen = true;
    }
    for (std::size_t i = 0; i < p_.ks.size(); ++i)
      for (ObjId id : p_.ks[i].health)
        if (p_.objects[id].unseen && !p_.objects[id].ready) {
          Resource r;
          r.ref = *p_.objects[id].ref;
          p_.objects[id].ready = ready_rule(r, w_.kustomizations[i].ref.name);
        }
    for (Obj& o : p_.objects)
      if (!o.ready) o.ready = &p_.zero;
  }

  // --- sources and HelmReleases -------------------------------------------------------------------

  // source-controller runs one controller (and worker pool) per source kind.
  std::int32_t pool_of(const std::string& kind) {
    auto it = std::find(p_.source_pools.begin(), p_.source_pools.end(), kind);
    if (it == p_.source_pools.end()) it = p_.source_pools.insert(p_.source_pools.end(), kind);
    return static_cast<std::int32_t>(it - p_.source_pools.begin());
  }

  // A source's fetch time: its kind's timing.fetch entry, else at once (a spec.sources `fetch` wins).
  const Distribution* fetch_of(std::string_view kind) const {
    for (const auto& [k, d] : s_.timing.fetch)
      if (k == kind) return &d;
    return &p_.zero;
  }

  void compile_sources() {
    p_.sources.resize(w_.sources.size());
    for (std::size_t i = 0; i < w_.sources.size(); ++i) {
      const Source& src = w_.sources[i];
      Plan::Src& plan = p_.sources[i];
      plan.obj = static_cast<std::int32_t>(p_.object_ids.at(src.ref));
      plan.pool = pool_of(src.ref.kind);
      plan.key = ObjectRefHash{}(src.ref);
      plan.fetch = fetch_of(src.ref.kind);
      for (const SourceMapping& m : s_.sources)
        if (m.kind == src.ref.kind && m.name == src.ref.name && m.ns == src.ref.ns) {
          if (m.fetch_given) plan.fetch = &m.fetch;
          break;
        }
      plan.name = to_string(src.ref);
      plan.interval = src.interval;
      plan.static_repository = src.oci_helm_repository;
    }
  }

  // helm-controller's view. A chart from a HelmRepository, GitRepository or Bucket is pulled through a
  // HelmChart named <namespace>-<name> that helm-controller creates on its first pass.
  void compile_helm_release(std::size_t i) {
    const HelmRelease& hr = w_.helm_releases[i];
    Plan::Hr& plan = p_.hrs.emplace_back();
    plan.obj = static_cast<std::int32_t>(p_.object_ids.at(hr.ref));
    plan.interval = hr.interval;
    plan.timeout = hr.install_timeout_or_default();  // install.timeout overrides spec.timeout (§10)
    plan.disable_wait = hr.install_disable_wait;
    // install.createNamespace with a targetNamespace: the install creates it, nothing before it does (§10).
    if (hr.create_namespace && !hr.target_namespace.empty() && hr.target_namespace != hr.ref.ns) {
      plan.creates_namespace = p_.namespace_id(hr.target_namespace);
      p_.namespaces[static_cast<std::size_t>(plan.creates_namespace)].assumed = false;
    }
    plan.retry_interval = hr.retry_interval.value_or(flux::kHelmReleaseRetryInterval);
    plan.retries = hr.install_retries;
    plan.retry_on_failure = hr.install_strategy == "RetryOnFailure";
    plan.key = ObjectRefHash{}(hr.ref);
    plan.install = p_.objects[static_cast<std::size_t>(plan.obj)].ready;
    if (!plan.install || plan.install == &p_.zero) plan.install = &p_.helm_install_default;
    for (const Reference& d : hr.depends_on) {
      auto it = hr_index_.find(ObjectRef{std::string(kHelmGroup), "HelmRelease", d.ns, d.name});
      plan.deps.push_back(it == hr_index_.end() ? kNone : it->second);
    }
    compile_ready_exprs(hr.depends_on, plan.ready_exprs);
    if (!hr.chart_source) return;
    auto sit = src_index_.find(*hr.chart_source);
    const std::int32_t repo = sit == src_index_.end() ? kNone : sit->second;
    if (hr.chart_source->kind == "OCIRepository") {
      if (repo == kNone) return;  // outside the world: assumed ready
      plan.chart = repo;
      p_.sources[static_cast<std::size_t>(repo)].helm_releases.push_back(static_cast<std::int32_t>(i));
      return;
    }
    Plan::Src chart;
    chart.pool = pool_of("HelmChart");
    chart.chart_of = static_cast<std::int32_t>(i);
    // An OCI HelmRepository has no artifact: its charts pull straight from the registry (§11).
    const bool oci = repo != kNone && w_.sources[static_cast<std::size_t>(repo)].oci_helm_repository;
    chart.repo = oci ? kNone : repo;
    chart.name = fmt::format("HelmChart/{}/{}-{}", hr.ref.ns, hr.ref.ns, hr.ref.name);
    chart.key = stable_hash(chart.name);
    chart.fetch = fetch_of("HelmChart");
    chart.interval = hr.interval;
    for (const SourceMapping& m : s_.sources)
      if (m.kind == "HelmChart" && m.ns == hr.ref.ns && m.name == hr.ref.ns + "-" + hr.ref.name && m.fetch_given)
        chart.fetch = &m.fetch;
    chart.helm_releases.push_back(static_cast<std::int32_t>(i));
    plan.chart = static_cast<std::int32_t>(p_.sources.size());
    if (repo != kNone && !oci) p_.sources[static_cast<std::size_t>(repo)].charts.push_back(plan.chart);
    p_.sources.push_back(std::move(chart));
  }

  // Kustomizations per source, in dependency order (the order source fan-out enqueues them).
  void fan_out_order() {
    const DependencyGraph graph(w_);
    for (NodeId k : graph.dependency_order()) {
      const std::int32_t src = p_.ks[k].source;
      if (src != kNone) p_.sources[static_cast<std::size_t>(src)].kustomizations.push_back(static_cast<std::int32_t>(k));
    }
  }

  // --- faults and provided kinds ------------------------------------------------------------------

  // Appliers of each object (for `kustomization:` in fault and provides matches).
  void find_appliers() {
    appliers_.assign(p_.objects.size(), {});
    for (std::size_t i = 0; i < p_.ks.size(); ++i)
      for (const auto& stage : p_.ks[i].stages)
        for (const Plan::KsObj& o : stage) appliers_[o.obj].push_back(static_cast<std::int32_t>(i));
    for (std::size_t i = 0; i < p_.ks.size(); ++i)
      if (const auto& parent = w_.kustomizations[i].parent) {
        auto it = ks_index_.find(*parent);
        if (it != ks_index_.end()) appliers_[static_cast<std::size_t>(p_.ks[i].self)].push_back(it->second);
      }
  }

  bool object_matches(const Match& m, ObjId id) const {
    const ObjectRef& ref = *p_.objects[id].ref;
    if (m.kustomization.empty()) return m.matches(ref, "");
    for (std::int32_t a : appliers_[id])
      if (m.matches(ref, w_.kustomizations[static_cast<std::size_t>(a)].ref.name)) return true;
    return false;
  }

  static bool names(const Match& m, const ObjectRef& ref) {
    return glob_match(m.name.empty() ? "*" : m.name, ref.name) && (m.ns.empty() || glob_match(m.ns, ref.ns));
  }

  void compile_fault(const Fault& f) {
    bool matched = false;
    switch (f.type) {
      case Fault::Type::ReadyAt:
      case Fault::Type::NeverReady:
      case Fault::Type::FailedAt:
        for (ObjId id = 0; id < p_.objects.size(); ++id) {
          if (!object_matches(f.match, id)) continue;
          matched = true;
          Obj& o = p_.objects[id];
          if (f.type == Fault::Type::ReadyAt) o.not_before = max_time(o.not_before, f.at);
          if (f.type == Fault::Type::NeverReady) o.never_ready = true;
          if (f.type == Fault::Type::FailedAt) o.failed_at = min_time(o.failed_at, f.at);
        }
        break;
      case Fault::Type::FailApplies:
        for (std::size_t i = 0; i < w_.kustomizations.size(); ++i) {
          if (!names(f.match, w_.kustomizations[i].ref)) continue;
          matched = true;
          p_.ks[i].fail_applies = std::max(p_.ks[i].fail_applies, f.count);
        }
        break;
      case Fault::Type::SourceUnavailable:
        for (std::size_t i = 0; i < w_.sources.size(); ++i) {
          const ObjectRef& ref = w_.sources[i].ref;
          if ((!f.source_kind.empty() && f.source_kind != ref.kind) || !names(f.match, ref)) continue;
          matched = true;
          p_.sources[i].outages.push_back(&f);
        }
        break;
      case Fault::Type::ControllerRestart:
        matched = true;
        p_.restarts.push_back(&f);
        break;
    }
    if (!matched)
      diags_.error(f.where, fmt::format("fault matches nothing in this repository ({})", describe(f.where)),
                   "check the kind, namespace and name against `fluxsim tree --objects`");
  }

  // Every kind in the world that a provides pattern names, served once `by` is Current (or Ready).
  void compile_provides(const ProvidesRule& rule) {
    std::vector<std::int32_t> provided;
    for (std::size_t kid = 0; kid < p_.kinds.size(); ++kid) {
      std::string_view name = p_.kinds[kid].name;
      const std::size_t slash = name.find('/');
      for (const std::string& pat : rule.kinds)
        if (flux::kind_pattern_matches(pat, name.substr(0, slash), name.substr(slash + 1))) {
          provided.push_back(static_cast<std::int32_t>(kid));
          break;
        }
    }
    bool matched = false;
    for (ObjId id = 0; id < p_.objects.size(); ++id) {
      if (!object_matches(rule.by, id)) continue;
      matched = true;
      Obj& o = p_.objects[id];
      std::vector<std::int32_t>* into = &o.provides;
      if (o.cls == ReadinessClass::Kustomization && o.link != kNone)
        into = &p_.ks[static_cast<std::size_t>(o.link)].provides;
      else if (o.cls == ReadinessClass::HelmRelease && o.link != kNone)
        into = &p_.hrs[static_cast<std::size_t>(o.link)].provides;
      into->insert(into->end(), provided.begin(), provided.end());
    }
    if (!matched)
      diags_.error(rule.where, "provides rule matches no object in this repository",
                   "`by` selects the object (operator, HelmRelease, custom resource) whose readiness registers the kinds");
    for (std::int32_t kid : provided) p_.kinds[static_cast<std::size_t>(kid)].assumed = false;
  }

  // What creates each object only a health check names (flux/health.h creators_of): a provides rule's
  // `by` (a HelmRelease at its install, a Kustomization once Ready, another object once Current), else
  // the HelmReleases whose chart makes it by fluxsim's default naming rule.
  void compile_creators() {
    std::vector<bool> checked(p_.objects.size(), false);
    for (const Plan::Ks& plan : p_.ks)
      for (ObjId id : plan.health) checked[id] = true;
    std::vector<bool> bad_by(s_.provides.size(), false);
    for (ObjId id = 0; id < p_.objects.size(); ++id) {
      if (!checked[id] || !p_.objects[id].unseen) continue;
      const flux::Creators creators = flux::creators_of(w_, s_.provides, *p_.objects[id].ref);
      for (std::size_t h : creators.helm_releases) p_.hrs[h].creates.push_back(id);
      for (std::size_t r : creators.rules)
        for (ObjId by = 0; by < p_.objects.size(); ++by) {
          if (by == id || !object_matches(s_.provides[r].by, by)) continue;
          Obj& o = p_.objects[by];
          if (o.cls == ReadinessClass::HelmRelease && o.link != kNone)
            p_.hrs[static_cast<std::size_t>(o.link)].creates.push_back(id);
          else if (o.cls == ReadinessClass::Kustomization && o.link != kNone)
            p_.ks[static_cast<std::size_t>(o.link)].creates.push_back(id);
          else if (o.cls == ReadinessClass::Source && o.link != kNone)
            bad_by[r] = true;
          else
            o.creates.push_back(id);
        }
    }
    for (std::size_t r = 0; r < bad_by.size(); ++r)
      if (bad_by[r])
        diags_.error(s_.provides[r].where, "provides rule: a source does not create objects",
                     "`by` with `objects` selects the HelmRelease whose chart, or the operator object that, creates them");
  }

  // Built-in namespaces always exist; so does the root's own (flux bootstrap creates it).
  void assume_namespaces() {
    for (std::string_view builtin : flux::kBuiltinNamespaces) {
      auto it = p_.namespace_ids.find(std::string(builtin));
      if (it != p_.namespace_ids.end()) p_.namespaces[static_cast<std::size_t>(it->second)].assumed = true;
    }
    if (!w_.kustomizations.empty()) {
      auto it = p_.namespace_ids.find(w_.kustomizations[0].ref.ns);
      if (it != p_.namespace_ids.end()) p_.namespaces[static_cast<std::size_t>(it->second)].assumed = true;
    }
  }

  // Expectations must name Kustomizations that exist.
  void check_expectations() {
    auto known = [&](const std::string& name) {
      const std::size_t slash = name.find('/');
      for (const Kustomization& k : w_.kustomizations)
        if (slash == std::string::npos ? k.ref.name == name
                                       : (k.ref.ns == name.substr(0, slash) && k.ref.name == name.substr(slash + 1)))
          return true;
      return false;
    };
    for (const std::string& n : s_.expect.ready)
      if (!known(n))
        diags_.error(s_.expect.where, fmt::format("expect.ready names '{}', which is not a Kustomization in this repository", n));
    for (const auto& [a, b] : s_.expect.before)
      for (const std::string& n : {a, b})
        if (!known(n))
          diags_.error(s_.expect.where,
                       fmt::format("expect.before names '{}', which is not a Kustomization in this repository", n));
  }

  Plan& p_;
  const World& w_;
  const Scenario& s_;
  Diagnostics& diags_;
  const flux::HealthCheckResolver health_;
  std::unordered_map<ObjectRef, std::int32_t, ObjectRefHash> ks_index_, hr_index_, src_index_;
  std::vector<std::vector<std::int32_t>> appliers_;
};

}  // namespace

Plan::Plan(const World& w, const Scenario& s, Diagnostics& diags) : world(w), scenario(s) { Compiler(*this, diags).compile(); }

}  // namespace fluxsim::sim
