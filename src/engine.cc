// SPDX-License-Identifier: Apache-2.0
// The engine: a compiled Plan (immutable, shared by runs) and a Run (one simulation's mutable state).
//
// A run is a loop over the event calendar. All events of one instant are processed first (state
// changes before observations, see EventPriority); then every controller hands due queue entries to
// free workers; passes that end at once (a dependency check, say) free their worker inside that same
// dispatch. kustomize-controller's pass is the sequence of flux-semantics.md §1:
//
//   dequeue -> [finalizer? requeue after min retry delay] -> [suspended? stop] -> source exists?
//     (no: ArtifactFailed, retryInterval) -> artifact? (no: ArtifactFailed, 30s) -> dependsOn Ready?
//     (no: DependencyNotReady, 30s) -> Ready=Unknown; build -> stage 1 (CRDs, Namespaces,
//     ClusterRoles: dry-run, apply, wait <= 60s) -> stage 2 (*Class: same) -> stage 4 (the rest:
//     dry-run all, then apply one by one; children are created here) -> health checks (wait /
//     healthChecks, poll 5s, fail fast, timeout) -> Ready=True, requeue interval ± jitter
//     | any failure -> Ready=False, requeue retryInterval.
//
// The worker is held from dequeue to the end of the pass. Nothing wakes a Kustomization whose
// dependency becomes Ready: it polls on its own 30s requeue, which is the latency fluxsim exists to show.
#include "fluxsim/engine.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <map>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "fluxsim/event_queue.h"
#include "fluxsim/readiness.h"
#include "fluxsim/work_queue.h"

namespace fluxsim {

using namespace std::chrono_literals;

namespace {

constexpr std::int32_t kNone = -1;
constexpr Duration kMinRetryDelay = 750ms;   // --min-retry-delay
constexpr Duration kMaxRetryDelay = 15min;   // --max-retry-delay
constexpr std::string_view kRevision = "main@sha1:0000001";

using ObjId = std::uint32_t;

SimTime max_time(SimTime a, SimTime b) { return a < b ? b : a; }
SimTime min_time(SimTime a, SimTime b) { return a < b ? a : b; }

// First poll tick (start + k*interval, k >= 0) at or after t.
SimTime tick_at_or_after(SimTime start, Duration interval, SimTime t) {
  if (t <= start) return start;
  if (t == kNever) return kNever;
  const auto since = (t - start).count();
  const auto step = interval.count() > 0 ? interval.count() : 1;
  const auto k = (since + step - 1) / step;
  return start + Duration{k * step};
}

std::string kind_key(std::string_view group, std::string_view kind) {
  std::string out(group);
  out += '/';
  out += kind;
  return out;
}

// A provides pattern: "group/Kind", "group/*" or "Kind".
bool kind_pattern_matches(std::string_view pattern, std::string_view group, std::string_view kind) {
  std::size_t slash = pattern.find('/');
  if (slash == std::string_view::npos) return glob_match(pattern, kind);
  return glob_match(pattern.substr(0, slash), group) && glob_match(pattern.substr(slash + 1), kind);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The plan: everything a run needs that does not change between runs.

struct Simulation::Plan {
  const World& world;
  const Scenario& scenario;

  struct Obj {
    const ObjectRef* ref = nullptr;
    ReadinessClass cls = ReadinessClass::Immediate;
    std::int32_t link = kNone;   // Kustomization / HelmRelease / Source index for those classes
    std::int32_t kind = kNone;   // index into kinds
    std::int32_t ns = kNone;     // index into namespaces; kNone for cluster-scoped
    std::uint64_t key = 0;       // random stream key
    bool preinstalled = false;
    bool unseen = false;         // named by a health check, built by nobody: created out of band when
                                 // the first health check waiting on it starts (an operator or chart)
    // Faults
    SimTime not_before{};        // readyAt
    bool never_ready = false;
    SimTime failed_at = kNever;  // failedAt
    // What this object makes available.
    std::int32_t defines_kind = kNone;       // CRD -> the kind it serves once Established
    std::int32_t defines_namespace = kNone;  // Namespace object -> the namespace
    std::vector<std::int32_t> provides;      // kinds served once this object is Current
    const Distribution* ready = nullptr;     // readiness delay of the first applier's rule
    std::string name;                        // to_string(ref), for messages
  };

  struct KsObj {
    ObjId obj;
    const Distribution* ready;  // the rule that matched for this applier
    const Resource* res;        // as built (apiVersion for messages)
  };

  struct Ks {
    std::vector<KsObj> stages[3];        // stage 1, 2, 4 in SSA apply order, skipped objects left out
    std::vector<ObjId> health;           // objects the health check waits on
    bool checks_health = false;          // wait or healthChecks set
    std::vector<std::int32_t> deps;      // Kustomization index, kNone when missing
    std::int32_t source = kNone;         // World source index
    std::int32_t self = kNone;           // this Kustomization's object id
    Duration interval{}, retry{}, timeout{};
    int fail_applies = 0;
    std::uint64_t key = 0;
    std::vector<std::int32_t> provides;  // kinds served once this Kustomization is Ready
  };

  struct Src {
    std::int32_t obj = kNone;            // kNone for a HelmChart (helm-controller creates it; not in the world)
    std::int32_t pool = 0;               // source-controller runs one controller per source kind
    const Distribution* fetch = nullptr;
    std::vector<const Fault*> outages;
    std::uint64_t key = 0;
    std::vector<std::int32_t> kustomizations;  // referencing it, in dependency order
    std::vector<std::int32_t> helm_releases;   // whose chart this is (HelmChart / OCIRepository chartRef)
    std::vector<std::int32_t> charts;          // HelmCharts pulled from this repository
    std::int32_t chart_of = kNone;             // HelmChart: its HelmRelease
    std::int32_t repo = kNone;                 // HelmChart: the source it pulls from (kNone: outside the world)
    std::string name;                          // "HelmChart/ns/name" etc., for messages
    Duration interval{60'000};
  };

  struct Hr {
    std::int32_t obj = kNone;
    std::vector<std::int32_t> deps;      // HelmRelease index, kNone when missing
    std::int32_t chart = kNone;          // engine source index of its chart (HelmChart or OCIRepository)
    const Distribution* install = nullptr;  // Helm install with its wait (the HelmRelease's ready rule)
    Duration interval{}, timeout{}, retry_interval{};
    int retries = 0;
    bool retry_on_failure = false;
    std::uint64_t key = 0;
    std::vector<std::int32_t> provides;  // kinds served once this HelmRelease is Ready
  };

  struct Kind {
    std::string name;            // "group/Kind"
    bool assumed = true;         // installed out of band: always served
  };
  struct Namespace {
    std::string name;
    bool assumed = true;         // not created by any object in the world: exists from the start
  };

  std::vector<Obj> objects;
  std::vector<Ks> ks;
  std::vector<Src> sources;               // World::sources, then one HelmChart per HelmRelease that needs one
  std::vector<Hr> hrs;
  std::vector<std::string> source_pools;  // source kinds with their own worker pool
  std::vector<Kind> kinds;
  std::vector<Namespace> namespaces;
  std::vector<const Fault*> restarts;
  Distribution zero = Distribution::fixed(Duration{0});
  Distribution helm_install_default;
  std::vector<Distribution> default_ready;  // owned storage for default rules, per object

  std::unordered_map<ObjectRef, ObjId, ObjectRefHash> object_ids;
  std::unordered_map<std::string, std::int32_t> kind_ids;
  std::unordered_map<std::string, std::int32_t> namespace_ids;

  Plan(const World& w, const Scenario& s, Diagnostics& diags);

  std::int32_t kind_id(std::string_view group, std::string_view kind) {
    std::string key = kind_key(group, kind);
    auto [it, inserted] = kind_ids.try_emplace(key, static_cast<std::int32_t>(kinds.size()));
    if (inserted) kinds.push_back({key, true});
    return it->second;
  }
  std::int32_t namespace_id(const std::string& name) {
    if (name.empty()) return kNone;
    auto [it, inserted] = namespace_ids.try_emplace(name, static_cast<std::int32_t>(namespaces.size()));
    if (inserted) namespaces.push_back({name, true});
    return it->second;
  }
  ObjId object_id(const ObjectRef& ref, bool* created = nullptr) {
    auto [it, inserted] = object_ids.try_emplace(ref, static_cast<ObjId>(objects.size()));
    if (created) *created = inserted;
    if (inserted) {
      Obj o;
      o.ref = &it->first;
      o.cls = readiness_class(ref);
      o.kind = kind_id(ref.group, ref.kind);
      o.ns = namespace_id(ref.ns);
      o.key = ObjectRefHash{}(ref);
      o.name = to_string(ref);
      objects.push_back(std::move(o));
    }
    return it->second;
  }
};

Simulation::Plan::Plan(const World& w, const Scenario& s, Diagnostics& diags) : world(w), scenario(s) {
  const std::size_t nks = w.kustomizations.size();
  ks.resize(nks);
  helm_install_default = Distribution::fixed(Duration{45'000});
  default_ready.reserve(0);

  // Object table: every object any build applies, plus the Kustomizations, HelmReleases and sources
  // themselves (a Kustomization object is applied by its parent, the root by bootstrap).
  std::unordered_map<ObjectRef, std::int32_t, ObjectRefHash> ks_index, hr_index, src_index;
  for (std::size_t i = 0; i < nks; ++i) ks_index.emplace(w.kustomizations[i].ref, static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < w.helm_releases.size(); ++i)
    hr_index.emplace(w.helm_releases[i].ref, static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < w.sources.size(); ++i) src_index.emplace(w.sources[i].ref, static_cast<std::int32_t>(i));

  // Count objects first so that default rule storage never reallocates (KsObj keeps pointers into it).
  std::size_t total = 0;
  for (const Kustomization& k : w.kustomizations) total += k.objects.size() + k.health_checks.size();
  default_ready.reserve(total);

  auto link_of = [&](const ObjectRef& ref, ReadinessClass cls) -> std::int32_t {
    const auto* index = cls == ReadinessClass::Kustomization ? &ks_index
                        : cls == ReadinessClass::HelmRelease ? &hr_index
                        : cls == ReadinessClass::Source      ? &src_index
                                                             : nullptr;
    if (!index) return kNone;
    auto it = index->find(ref);
    return it == index->end() ? kNone : it->second;
  };
  auto ensure_object = [&](const ObjectRef& ref) {
    bool created = false;
    ObjId id = object_id(ref, &created);
    if (created) {
      objects[id].link = link_of(ref, objects[id].cls);
      // A Flux kind fluxsim has no spec for (a dead reference) behaves like any custom resource.
      if (objects[id].link == kNone &&
          (objects[id].cls == ReadinessClass::Kustomization || objects[id].cls == ReadinessClass::HelmRelease ||
           objects[id].cls == ReadinessClass::Source))
        objects[id].cls = ReadinessClass::Timed;
    }
    return id;
  };
  for (std::size_t i = 0; i < nks; ++i) ks[i].self = static_cast<std::int32_t>(ensure_object(w.kustomizations[i].ref));
  for (const Source& src : w.sources) ensure_object(src.ref);
  for (const HelmRelease& hr : w.helm_releases) ensure_object(hr.ref);

  // Ready rules: the scenario's, first match wins, then the built-in default for the kind.
  auto ready_rule = [&](const Resource& r, std::string_view applier) -> const Distribution* {
    for (const ReadyRule& rule : s.timing.ready)
      if (rule.match.matches(r.ref, applier)) return &rule.after;
    default_ready.push_back(default_ready_after(r));
    return &default_ready.back();
  };

  for (std::size_t i = 0; i < nks; ++i) {
    const Kustomization& k = w.kustomizations[i];
    Ks& plan = ks[i];
    plan.interval = k.interval;
    plan.retry = k.retry_interval_or_default();
    plan.timeout = k.timeout_or_default();
    plan.key = ObjectRefHash{}(k.ref);
    struct Staged {
      int stage_slot;
      int order;
      const Resource* res;
      ObjId id;
    };
    std::vector<Staged> staged;
    staged.reserve(k.objects.size());
    for (const Resource& r : k.objects) {
      ObjId id = ensure_object(r.ref);
      Obj& o = objects[id];
      if (r.preinstalled) o.preinstalled = true;
      if (!r.defines_kind.empty()) {
        std::string_view dk = r.defines_kind;
        std::size_t slash = dk.rfind('/');
        std::int32_t kid = slash == std::string_view::npos ? kind_id("", dk)
                                                           : kind_id(dk.substr(0, slash), dk.substr(slash + 1));
        o.defines_kind = kid;
        kinds[static_cast<std::size_t>(kid)].assumed = false;
      }
      if (r.ref.kind == "Namespace" && r.ref.group.empty()) {
        std::int32_t nid = namespace_id(r.ref.name);
        o.defines_namespace = nid;
        namespaces[static_cast<std::size_t>(nid)].assumed = false;
      }
      if (r.skipped) continue;
      ApplyStage st = apply_stage(r.ref);
      int slot = st == ApplyStage::ClusterDefinitions ? 0 : st == ApplyStage::Classes ? 1 : 2;
      staged.push_back({slot, apply_kind_order(r.ref.kind), &r, id});
    }
    // SSA order inside a stage: kind order, then group, kind, namespace, name (fluxcd/pkg ssa sort.go).
    std::sort(staged.begin(), staged.end(), [](const Staged& a, const Staged& b) {
      if (a.stage_slot != b.stage_slot) return a.stage_slot < b.stage_slot;
      if (a.order != b.order) return a.order < b.order;
      const ObjectRef &x = a.res->ref, &y = b.res->ref;
      if (x.group != y.group) return x.group < y.group;
      if (x.kind != y.kind) return x.kind < y.kind;
      if (x.ns != y.ns) return x.ns < y.ns;
      return x.name < y.name;
    });
    staged.erase(std::unique(staged.begin(), staged.end(),
                             [](const Staged& a, const Staged& b) { return a.id == b.id; }),
                 staged.end());
    for (const Staged& st : staged) {
      const Distribution* rule = ready_rule(*st.res, k.ref.name);
      plan.stages[st.stage_slot].push_back({st.id, rule, st.res});
      if (!objects[st.id].ready) objects[st.id].ready = rule;
    }

    // Health checks: wait -> every applied object; else the healthChecks list; never itself.
    plan.checks_health = k.wait || !k.health_checks.empty();
    if (k.wait) {
      for (const auto& stage : plan.stages)
        for (const KsObj& o : stage)
          if (static_cast<std::int32_t>(o.obj) != plan.self) plan.health.push_back(o.obj);
    } else {
      for (const ObjectRef& ref : k.health_checks) {
        ObjId id;
        if (ref.group.empty() && !object_ids.count(ref)) {
          // healthChecks written without apiVersion: match kind, namespace and name in any group.
          std::optional<ObjId> found;
          for (ObjId j = 0; j < objects.size(); ++j) {
            const ObjectRef& o = *objects[j].ref;
            if (o.kind == ref.kind && o.ns == ref.ns && o.name == ref.name) {
              found = j;
              break;
            }
          }
          id = found ? *found : ensure_object(ref);
        } else {
          id = ensure_object(ref);
        }
        if (static_cast<std::int32_t>(id) != plan.self) plan.health.push_back(id);
      }
    }

    for (const Reference& d : k.depends_on) {
      auto it = ks_index.find(ObjectRef{std::string(kKustomizeGroup), "Kustomization", d.ns, d.name});
      plan.deps.push_back(it == ks_index.end() ? kNone : it->second);
    }
    auto sit = src_index.find(ObjectRef{std::string(kSourceGroup), k.source_ref.kind, k.source_ref.ns, k.source_ref.name});
    plan.source = sit == src_index.end() ? kNone : sit->second;
  }

  // Objects named only by health checks: nothing in the world builds them.
  std::vector<bool> built(objects.size(), false);
  for (const Ks& plan : ks)
    for (const auto& stage : plan.stages)
      for (const KsObj& o : stage) built[o.obj] = true;
  for (const Ks& plan : ks) built[static_cast<std::size_t>(plan.self)] = true;
  for (ObjId id = 0; id < objects.size(); ++id) {
    if (id < built.size() && built[id]) continue;
    if (objects[id].cls == ReadinessClass::Source && objects[id].link != kNone &&
        w.sources[static_cast<std::size_t>(objects[id].link)].exists_at_start)
      continue;
    objects[id].unseen = true;
  }
  // An object only a health check names is created out of band (by an operator, a Helm chart) around
  // the time the Kustomization that checks it has applied; it then takes its kind's time, or the first
  // scenario rule that matches it (with that Kustomization as the applier).
  for (std::size_t i = 0; i < nks; ++i)
    for (ObjId id : ks[i].health)
      if (objects[id].unseen && !objects[id].ready) {
        Resource r;
        r.ref = *objects[id].ref;
        objects[id].ready = ready_rule(r, w.kustomizations[i].ref.name);
      }
  for (Obj& o : objects)
    if (!o.ready) o.ready = &zero;


  // A source's fetch time: its kind's timing.fetch entry, else at once (a spec.sources `fetch` wins).
  auto fetch_of = [&](std::string_view kind) -> const Distribution* {
    for (const auto& [k, d] : s.timing.fetch)
      if (k == kind) return &d;
    return &zero;
  };
  // Sources: one controller (and worker pool) per source kind, as source-controller runs them.
  sources.resize(w.sources.size());
  for (std::size_t i = 0; i < w.sources.size(); ++i) {
    const Source& src = w.sources[i];
    Src& plan = sources[i];
    plan.obj = static_cast<std::int32_t>(object_ids.at(src.ref));
    {
      auto pit = std::find(source_pools.begin(), source_pools.end(), src.ref.kind);
      if (pit == source_pools.end()) pit = source_pools.insert(source_pools.end(), src.ref.kind);
      plan.pool = static_cast<std::int32_t>(pit - source_pools.begin());
    }
    plan.key = ObjectRefHash{}(src.ref);
    plan.fetch = fetch_of(src.ref.kind);
    for (const SourceMapping& m : s.sources)
      if (m.kind == src.ref.kind && m.name == src.ref.name && m.ns == src.ref.ns) {
        if (m.fetch_given) plan.fetch = &m.fetch;
        break;
      }
  }
  for (std::size_t i = 0; i < w.sources.size(); ++i) {
    sources[i].name = to_string(w.sources[i].ref);
    sources[i].interval = w.sources[i].interval;
  }
  // HelmReleases: helm-controller's view. A chart from a HelmRepository, GitRepository or Bucket is
  // pulled through a HelmChart named <namespace>-<name> that helm-controller creates on its first pass.
  auto pool_of = [&](const std::string& kind) {
    auto pit = std::find(source_pools.begin(), source_pools.end(), kind);
    if (pit == source_pools.end()) pit = source_pools.insert(source_pools.end(), kind);
    return static_cast<std::int32_t>(pit - source_pools.begin());
  };
  hrs.resize(w.helm_releases.size());
  for (std::size_t i = 0; i < w.helm_releases.size(); ++i) {
    const HelmRelease& hr = w.helm_releases[i];
    Hr& plan = hrs[i];
    plan.obj = static_cast<std::int32_t>(object_ids.at(hr.ref));
    plan.interval = hr.interval;
    plan.timeout = hr.timeout.value_or(Duration{300'000});
    plan.retry_interval = hr.retry_interval.value_or(Duration{300'000});
    plan.retries = hr.install_retries;
    plan.retry_on_failure = hr.install_strategy == "RetryOnFailure";
    plan.key = ObjectRefHash{}(hr.ref);
    plan.install = objects[static_cast<std::size_t>(plan.obj)].ready;
    if (!plan.install || plan.install == &zero) plan.install = &helm_install_default;
    for (const Reference& d : hr.depends_on) {
      auto it = hr_index.find(ObjectRef{std::string(kHelmGroup), "HelmRelease", d.ns, d.name});
      plan.deps.push_back(it == hr_index.end() ? kNone : it->second);
    }
    if (!hr.chart_source) continue;
    auto sit = src_index.find(*hr.chart_source);
    const std::int32_t repo = sit == src_index.end() ? kNone : sit->second;
    if (hr.chart_source->kind == "OCIRepository") {
      if (repo == kNone) continue;  // outside the world: assumed ready
      plan.chart = repo;
      sources[static_cast<std::size_t>(repo)].helm_releases.push_back(static_cast<std::int32_t>(i));
      continue;
    }
    Src chart;
    chart.pool = pool_of("HelmChart");
    chart.chart_of = static_cast<std::int32_t>(i);
    chart.repo = repo;
    chart.name = fmt::format("HelmChart/{}/{}-{}", hr.ref.ns, hr.ref.ns, hr.ref.name);
    chart.key = stable_hash(chart.name);
    chart.fetch = fetch_of("HelmChart");
    chart.interval = hr.interval;
    for (const SourceMapping& m : s.sources)
      if (m.kind == "HelmChart" && m.ns == hr.ref.ns && m.name == hr.ref.ns + "-" + hr.ref.name && m.fetch_given)
        chart.fetch = &m.fetch;
    chart.helm_releases.push_back(static_cast<std::int32_t>(i));
    plan.chart = static_cast<std::int32_t>(sources.size());
    if (repo != kNone) sources[static_cast<std::size_t>(repo)].charts.push_back(plan.chart);
    sources.push_back(std::move(chart));
  }
  // Kustomizations per source, in dependency order (the order source fan-out enqueues them).
  {
    std::vector<int> state(nks, 0);
    std::vector<std::int32_t> order;
    order.reserve(nks);
    std::vector<std::pair<std::int32_t, std::size_t>> stack;
    for (std::size_t root = 0; root < nks; ++root) {
      if (state[root]) continue;
      stack.push_back({static_cast<std::int32_t>(root), 0});
      state[root] = 1;
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        const auto& deps = ks[static_cast<std::size_t>(node)].deps;
        if (next < deps.size()) {
          std::int32_t d = deps[next++];
          if (d != kNone && state[static_cast<std::size_t>(d)] == 0) {
            state[static_cast<std::size_t>(d)] = 1;
            stack.push_back({d, 0});
          }
          continue;
        }
        state[static_cast<std::size_t>(node)] = 2;
        order.push_back(node);
        stack.pop_back();
      }
    }
    for (std::int32_t k : order)
      if (ks[static_cast<std::size_t>(k)].source != kNone)
        sources[static_cast<std::size_t>(ks[static_cast<std::size_t>(k)].source)].kustomizations.push_back(k);
  }

  // Appliers of each object (for `kustomization:` in fault and provides matches).
  std::vector<std::vector<std::int32_t>> appliers(objects.size());
  for (std::size_t i = 0; i < nks; ++i)
    for (const auto& stage : ks[i].stages)
      for (const KsObj& o : stage) appliers[o.obj].push_back(static_cast<std::int32_t>(i));
  for (std::size_t i = 0; i < nks; ++i)
    if (const auto& parent = w.kustomizations[i].parent) {
      auto it = ks_index.find(*parent);
      if (it != ks_index.end()) appliers[static_cast<std::size_t>(ks[i].self)].push_back(it->second);
    }
  auto object_matches = [&](const Match& m, ObjId id) {
    const ObjectRef& ref = *objects[id].ref;
    if (m.kustomization.empty()) return m.matches(ref, "");
    for (std::int32_t a : appliers[id])
      if (m.matches(ref, w.kustomizations[static_cast<std::size_t>(a)].ref.name)) return true;
    return false;
  };
  auto describe = [](const SourceLocation& where) {
    std::string loc = to_string(where);
    return loc.empty() ? std::string("scenario") : loc;
  };

  // Faults.
  for (const Fault& f : s.faults) {
    bool matched = false;
    switch (f.type) {
      case Fault::Type::ReadyAt:
      case Fault::Type::NeverReady:
      case Fault::Type::FailedAt:
        for (ObjId id = 0; id < objects.size(); ++id) {
          if (!object_matches(f.match, id)) continue;
          matched = true;
          Obj& o = objects[id];
          if (f.type == Fault::Type::ReadyAt) o.not_before = max_time(o.not_before, f.at);
          if (f.type == Fault::Type::NeverReady) o.never_ready = true;
          if (f.type == Fault::Type::FailedAt) o.failed_at = min_time(o.failed_at, f.at);
        }
        break;
      case Fault::Type::FailApplies:
        for (std::size_t i = 0; i < nks; ++i) {
          const ObjectRef& ref = w.kustomizations[i].ref;
          if (!glob_match(f.match.name.empty() ? "*" : f.match.name, ref.name)) continue;
          if (!f.match.ns.empty() && !glob_match(f.match.ns, ref.ns)) continue;
          matched = true;
          ks[i].fail_applies = std::max(ks[i].fail_applies, f.count);
        }
        break;
      case Fault::Type::SourceUnavailable:
        for (std::size_t i = 0; i < w.sources.size(); ++i) {
          const ObjectRef& ref = w.sources[i].ref;
          if (!f.source_kind.empty() && f.source_kind != ref.kind) continue;
          if (!glob_match(f.match.name.empty() ? "*" : f.match.name, ref.name)) continue;
          if (!f.match.ns.empty() && !glob_match(f.match.ns, ref.ns)) continue;
          matched = true;
          sources[i].outages.push_back(&f);
        }
        break;
      case Fault::Type::ControllerRestart:
        matched = true;
        restarts.push_back(&f);
        break;
    }
    if (!matched)
      diags.error(f.where, fmt::format("fault matches nothing in this repository ({})", describe(f.where)),
                  "check the kind, namespace and name against `fluxsim tree --objects`");
  }

  // Provided kinds: every kind in the world that a provides pattern names.
  for (const ProvidesRule& rule : s.provides) {
    std::vector<std::int32_t> provided;
    for (std::size_t kid = 0; kid < kinds.size(); ++kid) {
      std::string_view name = kinds[kid].name;
      std::size_t slash = name.find('/');
      for (const std::string& pat : rule.kinds)
        if (kind_pattern_matches(pat, name.substr(0, slash), name.substr(slash + 1))) {
          provided.push_back(static_cast<std::int32_t>(kid));
          break;
        }
    }
    bool matched = false;
    for (ObjId id = 0; id < objects.size(); ++id) {
      if (!object_matches(rule.by, id)) continue;
      matched = true;
      Obj& o = objects[id];
      if (o.cls == ReadinessClass::Kustomization && o.link != kNone) {
        auto& p = ks[static_cast<std::size_t>(o.link)].provides;
        p.insert(p.end(), provided.begin(), provided.end());
      } else if (o.cls == ReadinessClass::HelmRelease && o.link != kNone) {
        auto& p = hrs[static_cast<std::size_t>(o.link)].provides;
        p.insert(p.end(), provided.begin(), provided.end());
      } else {
        o.provides.insert(o.provides.end(), provided.begin(), provided.end());
      }
    }
    if (!matched)
      diags.error(rule.where, "provides rule matches no object in this repository",
                  "`by` selects the object (operator, HelmRelease, custom resource) whose readiness registers the kinds");
    for (std::int32_t kid : provided) kinds[static_cast<std::size_t>(kid)].assumed = false;
  }

  // Built-in namespaces always exist; so does the root's own (flux bootstrap creates it).
  for (const char* builtin : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto it = namespace_ids.find(builtin);
    if (it != namespace_ids.end()) namespaces[static_cast<std::size_t>(it->second)].assumed = true;
  }
  if (nks > 0) {
    auto it = namespace_ids.find(w.kustomizations[0].ref.ns);
    if (it != namespace_ids.end()) namespaces[static_cast<std::size_t>(it->second)].assumed = true;
  }

  // Expectations must name Kustomizations that exist.
  auto known = [&](const std::string& name) {
    std::size_t slash = name.find('/');
    for (const Kustomization& k : w.kustomizations) {
      if (slash == std::string::npos ? k.ref.name == name
                                     : (k.ref.ns == name.substr(0, slash) && k.ref.name == name.substr(slash + 1)))
        return true;
    }
    return false;
  };
  for (const std::string& n : s.expect.ready)
    if (!known(n)) diags.error(s.expect.where, fmt::format("expect.ready names '{}', which is not a Kustomization in this repository", n));
  for (const auto& [a, b] : s.expect.before)
    for (const std::string& n : {a, b})
      if (!known(n)) diags.error(s.expect.where, fmt::format("expect.before names '{}', which is not a Kustomization in this repository", n));
}

// ---------------------------------------------------------------------------------------------------
// One run.

namespace {

using Plan = Simulation::Plan;

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
  bool observed = false;   // status.observedGeneration == metadata.generation
  int last_applied = -1;   // revision
  int last_attempted = -1;
  std::string reason, message;
  // The pass in flight.
  bool in_pass = false;
  Phase phase = Phase::Idle;
  std::uint32_t token = 0;
  int stage = 0;
  SimTime step_start{};     // start of the current wait (stage wait or health check)
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
  bool stalled = false;         // Stalled=True: retries exhausted, kstatus Failed, no automatic retry
  bool chart_requested = false;
  std::string reason, message;
  bool in_pass = false;
  std::uint32_t token = 0;
  std::int32_t worker = kNone;
  int passes = 0, installs = 0, failures = 0, rate_limited = 0;
  SimTime created_at = kNever, ready_at = kNever;
  PassRecord pass;
  std::string failure;          // message of the pending failure
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

class Run {
 public:
  Run(const Plan& plan, const EngineOptions& options);
  RunResult execute();

 private:
  // --- state queries -------------------------------------------------------------------------------
  enum class Status { NotFound, InProgress, Current, Failed };
  Status status(ObjId id, SimTime now) const;
  bool kind_served(std::int32_t kind, SimTime now) const { return kind_at_[static_cast<std::size_t>(kind)] <= now; }
  bool namespace_exists(std::int32_t ns, SimTime now) const { return ns == kNone || ns_at_[static_cast<std::size_t>(ns)] <= now; }
  bool dependency_ready(std::size_t k, std::int32_t dep) const;
  bool source_exists(std::int32_t src, SimTime now) const;

  // --- mechanics ------------------------------------------------------------------------------------
  void schedule(SimTime at, EventPriority prio, Event e) {
    if (at > horizon_) return;
    calendar_.push(at, prio, e);
  }
  void trace(TraceEvent e) {
    if (options_.record) result_.events.push_back(std::move(e));
  }
  static TraceEvent event(SimTime at, TraceType type, Controller controller, std::int32_t subject,
                          std::int32_t other = kNone, std::int32_t worker = kNone, std::int64_t value = 0,
                          std::string reason = {}, std::string message = {}) {
    return TraceEvent{at, type, controller, subject, other, worker, value, std::move(reason), std::move(message)};
  }
  void enqueue(Pool& pool, std::uint32_t item, SimTime now, Duration after = Duration{0}, int priority = 0);
  void dispatch(SimTime now);
  void create_object(ObjId id, SimTime at, const Distribution* rule, std::int32_t by);
  void serve_kind(std::int32_t kind, SimTime at);

  // --- kustomize-controller -------------------------------------------------------------------------
  void create_kustomization(std::size_t k, SimTime now, std::int32_t parent);
  void start_pass(std::size_t k, std::int32_t worker, SimTime now, SimTime due);
  void continue_pass(std::size_t k, SimTime now);
  void run_stage(std::size_t k, int stage, SimTime now);
  void poll_stage(std::size_t k, SimTime now);
  void start_health(std::size_t k, SimTime now);
  void poll_health(std::size_t k, SimTime now);
  void succeed(std::size_t k, SimTime now);
  void fail(std::size_t k, SimTime now, PassOutcome outcome, std::string reason, std::string message);
  void end_pass(std::size_t k, SimTime now, Duration requeue, PassOutcome outcome);
  void set_ready(std::size_t k, Ready r, std::string reason, std::string message);
  // Next moment a wait over `objs` can change its verdict: kNever when only the deadline can end it.
  SimTime next_change(const std::vector<ObjId>& objs, SimTime now, bool* dynamic) const;
  template <typename Objs>
  std::string waiting_list(const Objs& objs, SimTime now) const;

  // --- source-controller ----------------------------------------------------------------------------
  void create_source(std::size_t s, SimTime now);
  void start_fetch(std::size_t s, std::int32_t worker, SimTime now);
  void handle(const Event& e, SimTime now);
  void finish(SimTime end);
  void snapshot_usage(std::vector<WorkerUsage>& out, SimTime end);
  void finish_fetch(std::size_t s, SimTime now);
  bool in_outage(std::size_t s, SimTime t) const;

  // --- helm-controller ------------------------------------------------------------------------------
  void create_helm_release(std::size_t h, SimTime now, std::int32_t parent);
  void start_helm_pass(std::size_t h, std::int32_t worker, SimTime now, SimTime due);
  void finish_helm_action(std::size_t h, SimTime now, bool success);
  void end_helm_pass(std::size_t h, SimTime now, Duration requeue, bool rate_limited, PassOutcome outcome);
  bool helm_release_ready(std::int32_t h) const;

  void restart(const Fault& fault, SimTime now);

  const Plan& plan_;
  const World& world_;
  const Scenario& scenario_;
  const KustomizeControllerSettings& kc_;
  EngineOptions options_;
  SimTime horizon_;
  EventQueue<Event> calendar_;
  std::vector<ObjState> objs_;
  std::vector<SimTime> kind_at_;
  std::vector<SimTime> ns_at_;
  std::vector<KsState> ks_;
  std::vector<SourceState> src_;
  Pool kpool_;
  Pool hpool_;
  std::vector<Pool> spools_;
  std::vector<HrState> hr_;
  std::size_t ready_count_ = 0;  // Kustomizations and HelmReleases Ready at least once
  // Called when a Kustomization or HelmRelease is Ready for the first time: the headline (time to full
  // readiness) is the last of every Kustomization and HelmRelease becoming Ready.
  void count_ready(SimTime now) {
    ++ready_count_;
    if (ready_count_ != ks_.size() + hr_.size()) return;
    snapshot_usage(result_.workers_until_ready, now);
    if (options_.stop_when_all_ready) stop_ = true;
  }
  bool stop_ = false;
  RunResult result_;
};

Run::Run(const Plan& plan, const EngineOptions& options)
    : plan_(plan),
      world_(plan.world),
      scenario_(plan.scenario),
      kc_(plan.scenario.controllers.kustomize),
      options_(options),
      horizon_(SimTime{plan.scenario.horizon}) {
  const std::uint64_t seed = scenario_.seed;
  objs_.resize(plan_.objects.size());
  kind_at_.assign(plan_.kinds.size(), kNever);
  for (std::size_t i = 0; i < plan_.kinds.size(); ++i)
    if (plan_.kinds[i].assumed) kind_at_[i] = SimTime{};
  ns_at_.assign(plan_.namespaces.size(), kNever);
  for (std::size_t i = 0; i < plan_.namespaces.size(); ++i)
    if (plan_.namespaces[i].assumed) ns_at_[i] = SimTime{};
  ks_.resize(plan_.ks.size());
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    const std::uint64_t key = plan_.ks[k].key;
    ks_[k].build_rng = Rng::stream(seed, options_.run, key ^ stable_hash("build"));
    ks_[k].apply_rng = Rng::stream(seed, options_.run, key ^ stable_hash("apply"));
    ks_[k].jitter_rng = Rng::stream(seed, options_.run, key ^ stable_hash("jitter"));
    ks_[k].fail_applies_left = plan_.ks[k].fail_applies;
  }
  src_.resize(plan_.sources.size());
  for (std::size_t s = 0; s < src_.size(); ++s)
    src_[s].fetch_rng = Rng::stream(seed, options_.run, plan_.sources[s].key ^ stable_hash("fetch"));
  hr_.resize(plan_.hrs.size());
  for (std::size_t h = 0; h < hr_.size(); ++h) {
    hr_[h].install_rng = Rng::stream(seed, options_.run, plan_.hrs[h].key ^ stable_hash("install"));
    hr_[h].jitter_rng = Rng::stream(seed, options_.run, plan_.hrs[h].key ^ stable_hash("jitter"));
  }
  hpool_.controller = Controller::Helm;
  hpool_.label = "helm-controller";
  hpool_.queue = WorkQueue(hr_.size());
  hpool_.busy.assign(static_cast<std::size_t>(std::max(1, scenario_.controllers.helm.concurrent)), false);
  kpool_.controller = Controller::Kustomize;
  kpool_.label = "kustomize-controller";
  kpool_.queue = WorkQueue(ks_.size());
  kpool_.busy.assign(static_cast<std::size_t>(std::max(1, kc_.concurrent)), false);
  for (std::size_t p = 0; p < plan_.source_pools.size(); ++p) {
    Pool pool;
    pool.controller = Controller::Source;
    pool.label = "source-controller " + plan_.source_pools[p];
    pool.queue = WorkQueue(src_.size());
    pool.busy.assign(static_cast<std::size_t>(std::max(1, scenario_.controllers.source.concurrent)), false);
    spools_.push_back(std::move(pool));
  }
  result_.seed = seed;
  result_.run = options_.run;
  result_.horizon = horizon_;
}

// ----- queries ---------------------------------------------------------------------------------------

Run::Status Run::status(ObjId id, SimTime now) const {
  const Plan::Obj& o = plan_.objects[id];
  switch (o.cls) {
    case ReadinessClass::Kustomization:
      if (o.link != kNone) {
        const KsState& k = ks_[static_cast<std::size_t>(o.link)];
        if (!k.exists) return Status::NotFound;
        // kstatus generic rules: observedGeneration must match, Reconciling=True is InProgress, and
        // Ready=True is Current; a failing Kustomization is InProgress, never Failed (it is not Stalled).
        if (k.ready == Ready::True && k.observed && !k.reconciling) return Status::Current;
        return Status::InProgress;
      }
      break;
    case ReadinessClass::Source:
      if (o.link != kNone) {
        const SourceState& s = src_[static_cast<std::size_t>(o.link)];
        if (!s.exists) return Status::NotFound;
        return s.artifact ? Status::Current : Status::InProgress;
      }
      break;
    case ReadinessClass::HelmRelease:
      if (o.link != kNone) {
        const HrState& h = hr_[static_cast<std::size_t>(o.link)];
        if (!h.exists) return Status::NotFound;
        if (h.stalled) return Status::Failed;  // Stalled=True: kstatus Failed, a waiting parent fails fast
        if (h.ready == Ready::True && h.observed && !h.reconciling) return Status::Current;
        return Status::InProgress;
      }
      break;
    default: break;
  }
  const ObjState& st = objs_[id];
  if (st.created_at > now) return Status::NotFound;
  if (st.failed_at <= now) return Status::Failed;
  if (st.current_at <= now) return Status::Current;
  return Status::InProgress;
}

bool Run::dependency_ready(std::size_t k, std::int32_t dep) const {
  if (dep == kNone) return false;
  const KsState& d = ks_[static_cast<std::size_t>(dep)];
  if (!d.exists || d.ready == Ready::None) return false;  // not found, or no conditions yet
  if (!d.observed) return false;                          // generation not observed
  if (d.ready != Ready::True) return false;
  // Same source: the dependency must have applied the revision the dependent is about to apply.
  const std::int32_t src = plan_.ks[k].source;
  if (src != kNone && plan_.ks[static_cast<std::size_t>(dep)].source == src)
    return d.last_applied == src_[static_cast<std::size_t>(src)].revision;
  return true;
}

bool Run::source_exists(std::int32_t src, SimTime) const {
  return src != kNone && src_[static_cast<std::size_t>(src)].exists;
}

// ----- mechanics -------------------------------------------------------------------------------------

void Run::enqueue(Pool& pool, std::uint32_t item, SimTime now, Duration after, int priority) {
  pool.queue.add(item, now, after, priority);
  // A delayed entry needs an instant at which dispatch runs; stale wake-ups are harmless.
  if (after.count() > 0) schedule(now + after, EventPriority::Wakeup, Event{Ev::Wake, 0});
}

void Run::dispatch(SimTime now) {
  // Source controllers first: an artifact stored at this instant is visible to a pass starting now.
  for (Pool& pool : spools_) {
    while (pool.has_free()) {
      std::optional<WorkQueue::Popped> item = pool.queue.pop_ready(now);
      if (!item) break;
      start_fetch(item->item, pool.take(now), now);
    }
  }
  while (!stop_ && kpool_.has_free()) {
    std::optional<WorkQueue::Popped> item = kpool_.queue.pop_ready(now);
    if (!item) break;
    start_pass(item->item, kpool_.take(now), now, item->due);
  }
  while (!stop_ && hpool_.has_free()) {
    std::optional<WorkQueue::Popped> item = hpool_.queue.pop_ready(now);
    if (!item) break;
    start_helm_pass(item->item, hpool_.take(now), now, item->due);
  }
}

void Run::create_object(ObjId id, SimTime at, const Distribution* rule, std::int32_t) {
  ObjState& st = objs_[id];
  if (st.created_at <= at) return;  // exists already (or is created earlier by another pass)
  const Plan::Obj& o = plan_.objects[id];
  const bool first = st.created_at == kNever;
  st.created_at = at;
  if (first) {
    // One sample per object and run, from the object's own stream: independent of who applies it
    // and of how many other objects exist.
    Rng rng = Rng::stream(scenario_.seed, options_.run, o.key);
    Duration delay = o.preinstalled ? Duration{0} : (rule ? rule : o.ready)->sample(rng);
    st.current_at = at + delay;
  } else {
    st.current_at = at + (st.current_at - st.created_at);
  }
  if (o.never_ready) st.current_at = kNever;
  if (st.current_at != kNever) st.current_at = max_time(st.current_at, o.not_before);
  if (o.failed_at != kNever) {
    // failedAt: the rollout never completes (ProgressDeadlineExceeded, Stalled): InProgress until
    // `at`, Failed from then on.
    st.failed_at = max_time(o.failed_at, at);
    st.current_at = kNever;
  }
  if (o.defines_namespace != kNone) {
    SimTime& ns = ns_at_[static_cast<std::size_t>(o.defines_namespace)];
    ns = min_time(ns, at);
  }
  if (st.current_at != kNever) {
    if (o.defines_kind != kNone) serve_kind(o.defines_kind, st.current_at);
    for (std::int32_t kid : o.provides) serve_kind(kid, st.current_at);
  }
}

void Run::serve_kind(std::int32_t kind, SimTime at) {
  SimTime& k = kind_at_[static_cast<std::size_t>(kind)];
  if (at >= k) return;
  k = at;
  if (options_.record) schedule(at, EventPriority::StateChange, Event{Ev::KindServed, static_cast<std::uint32_t>(kind)});
}

// ----- kustomize-controller --------------------------------------------------------------------------

void Run::create_kustomization(std::size_t k, SimTime now, std::int32_t parent) {
  KsState& st = ks_[k];
  if (st.exists) return;
  st.exists = true;
  st.summary.created_at = now;
  st.summary.parent = parent;
  create_object(static_cast<ObjId>(plan_.ks[k].self), now, nullptr, parent);
  trace(event(now, TraceType::Created, Controller::Kustomize, static_cast<std::int32_t>(k), parent));
  enqueue(kpool_, static_cast<std::uint32_t>(k), now);  // the Create event
}

void Run::set_ready(std::size_t k, Ready r, std::string reason, std::string message) {
  KsState& st = ks_[k];
  st.ready = r;
  st.reason = std::move(reason);
  st.message = std::move(message);
}

void Run::start_pass(std::size_t k, std::int32_t worker, SimTime now, SimTime due) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  const Kustomization& spec = world_.kustomizations[k];
  const auto id = static_cast<std::int32_t>(k);
  st.in_pass = true;
  st.worker = worker;
  ++st.token;

  if (!st.finalized) {
    // The first reconcile of a new object only adds the finalizer and asks for a rate-limited requeue.
    st.finalized = true;
    trace(event(now, TraceType::FinalizerAdded, Controller::Kustomize, id, kNone, worker));
    st.in_pass = false;
    kpool_.release(now, worker);
    kpool_.queue.done(static_cast<std::uint32_t>(k));
    enqueue(kpool_, static_cast<std::uint32_t>(k), now, kc_.first_reconcile_delay);
    return;
  }

  ++st.passes;
  if (st.summary.first_started_at == kNever) st.summary.first_started_at = now;
  st.pass = PassRecord{};
  st.pass.controller = Controller::Kustomize;
  st.pass.subject = id;
  st.pass.number = st.passes;
  st.pass.worker = worker;
  st.pass.queued_at = due;
  st.pass.started_at = now;
  trace(event(now, TraceType::PassStarted, Controller::Kustomize, id, kNone, worker, st.passes));

  if (spec.suspend) {
    trace(event(now, TraceType::Suspended, Controller::Kustomize, id, kNone, worker, 0, "", "spec.suspend is true: nothing is reconciled and nothing requeues it"));
    end_pass(k, now, Duration{0}, PassOutcome::Suspended);
    return;
  }

  const std::int32_t src = plan.source;
  const Reference& sref = spec.source_ref;
  if (!source_exists(src, now)) {
    std::string msg = fmt::format("Source '{}/{}/{}' not found", sref.kind, sref.ns, sref.name);
    set_ready(k, Ready::False, "ArtifactFailed", msg);
    trace(event(now, TraceType::SourceNotFound, Controller::Kustomize, id, src, worker, 0, "ArtifactFailed", msg));
    end_pass(k, now, plan.retry, PassOutcome::SourceNotFound);
    return;
  }
  const SourceState& source = src_[static_cast<std::size_t>(src)];
  if (!source.artifact) {
    std::string msg = fmt::format("Source artifact not found, retrying in {}", format_duration(kc_.requeue_dependency));
    set_ready(k, Ready::False, "ArtifactFailed", msg);
    trace(event(now, TraceType::ArtifactNotReady, Controller::Kustomize, id, src, worker, 0, "ArtifactFailed", msg));
    end_pass(k, now, kc_.requeue_dependency, PassOutcome::ArtifactNotReady);
    return;
  }

  for (std::size_t i = 0; i < plan.deps.size(); ++i) {
    const std::int32_t dep = plan.deps[i];
    if (dependency_ready(k, dep)) continue;
    const Reference& d = spec.depends_on[i];
    const bool missing = dep == kNone || !ks_[static_cast<std::size_t>(dep)].exists;
    std::string msg = fmt::format("dependency '{}/{}' {}", d.ns, d.name, missing ? "not found" : "is not ready");
    set_ready(k, Ready::False, "DependencyNotReady", msg);
    st.pass.blocked_by = dep;
    trace(event(now, TraceType::DependencyNotReady, Controller::Kustomize, id, dep, worker, 0, "DependencyNotReady", msg));
    end_pass(k, now, kc_.requeue_dependency, PassOutcome::DependencyNotReady);
    return;
  }

  // An apply attempt: Ready=Unknown and Reconciling=True for the whole of it.
  ++st.attempts;
  st.pass.attempt = st.attempts;
  if (st.summary.first_applied_at == kNever) st.summary.first_applied_at = now;
  st.last_attempted = source.revision;
  st.reconciling = true;
  set_ready(k, Ready::Unknown, "Progressing",
            fmt::format("Fetching manifests for revision {} with a timeout of {}", kRevision, format_duration(plan.timeout)));
  trace(event(now, TraceType::ApplyStarted, Controller::Kustomize, id, kNone, worker, st.attempts));
  st.phase = Phase::Building;
  // Capacity model (capacity.h): the controller's CPU budget shared by the passes at work now.
  st.stretch = 1.0;
  if (kc_.cpu_limit > 0) {
    ControllerLoad load{kc_.cpu_limit, 0, 0};
    for (const KsState& o : ks_)
      if (o.in_pass) ++(o.phase == Phase::Health || o.phase == Phase::StageWait ? load.waiting : load.working);
    st.stretch = stretch_factor(scenario_.timing.capacity, load);
  }
  schedule(now + stretch(scenario_.timing.build.sample(st.build_rng), st.stretch), EventPriority::StateChange,
           Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::continue_pass(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Kustomization& spec = world_.kustomizations[k];
  switch (st.phase) {
    case Phase::Building:
      st.pass.built_at = now;
      if (spec.build_failure) {
        const BuildFailure& f = *spec.build_failure;
        fail(k, now, PassOutcome::BuildFailed, f.reason.empty() ? "BuildFailed" : f.reason, f.message);
        return;
      }
      if (const std::int32_t src = plan_.ks[k].source; src != kNone && !world_.sources[static_cast<std::size_t>(src)].directory) {
        const Reference& r = spec.source_ref;
        fail(k, now, PassOutcome::BuildFailed, "ArtifactFailed",
             fmt::format("{}/{}/{} is not mapped to a directory of this checkout: fluxsim cannot read its artifact offline "
                         "(map it under spec.sources)", r.kind, r.ns, r.name));
        return;
      }
      if (st.fail_applies_left > 0) {
        --st.fail_applies_left;
        fail(k, now, PassOutcome::ApplyFailed, "ReconciliationFailed",
             fmt::format("apply failed: injected fault (failApplies: {} left)", st.fail_applies_left));
        return;
      }
      run_stage(k, 0, now);
      return;
    case Phase::StageWait: poll_stage(k, now); return;
    case Phase::Applied:
      st.pass.applied_at = now;
      start_health(k, now);
      return;
    case Phase::Health: poll_health(k, now); return;
    case Phase::Idle: return;
  }
}

void Run::run_stage(std::size_t k, int stage, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  while (stage < 3 && plan.stages[stage].empty()) ++stage;
  if (stage == 3) {
    st.pass.applied_at = now;
    start_health(k, now);
    return;
  }
  const auto& objects = plan.stages[stage];
  static constexpr int kStageNumber[3] = {1, 2, 4};

  // Server-side dry-run of every object of the stage; any failure fails the stage before a write.
  for (const Plan::KsObj& o : objects) {
    const Plan::Obj& info = plan_.objects[o.obj];
    std::string msg;
    if (!kind_served(info.kind, now))
      msg = fmt::format("{} dry-run failed: no matches for kind \"{}\" in version \"{}\"", info.name, info.ref->kind,
                        o.res->api_version);
    else if (!namespace_exists(info.ns, now))
      msg = fmt::format("{} dry-run failed: namespaces \"{}\" not found", info.name, info.ref->ns);
    if (!msg.empty()) {
      fail(k, now, PassOutcome::ApplyFailed, "ReconciliationFailed", msg);
      return;
    }
  }

  // Apply new objects one by one; unchanged ones are not written.
  SimTime t = now;
  std::int64_t written = 0;
  for (const Plan::KsObj& o : objects) {
    if (objs_[o.obj].created_at <= t) continue;
    t += stretch(scenario_.timing.apply_per_object.sample(st.apply_rng), st.stretch);
    ++written;
    create_object(o.obj, t, o.ready, static_cast<std::int32_t>(k));
    const Plan::Obj& info = plan_.objects[o.obj];
    if (info.link == kNone) continue;
    if (info.cls == ReadinessClass::Kustomization && !ks_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange, Event{Ev::KsCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
    else if (info.cls == ReadinessClass::Source && !src_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange, Event{Ev::SourceCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
    else if (info.cls == ReadinessClass::HelmRelease && !hr_[static_cast<std::size_t>(info.link)].exists)
      schedule(t, EventPriority::StateChange, Event{Ev::HrCreate, static_cast<std::uint32_t>(info.link), static_cast<std::int32_t>(k)});
  }
  trace(event(now, TraceType::StageApplied, Controller::Kustomize, static_cast<std::int32_t>(k), static_cast<std::int32_t>(written),
         st.worker, kStageNumber[stage]));
  st.stage = stage;
  if (stage < 2) {
    // CRDs/Namespaces/ClusterRoles and *Class objects are waited on before the next stage.
    st.phase = Phase::StageWait;
    st.step_start = t;
    st.deadline = t + kc_.stage_wait_timeout;
    schedule(t, EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
  } else {
    st.phase = Phase::Applied;
    schedule(t, EventPriority::StateChange, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
  }
}

SimTime Run::next_change(const std::vector<ObjId>& objs, SimTime now, bool* dynamic) const {
  SimTime all_current = now, first_failure = kNever;
  for (ObjId id : objs) {
    Status s = status(id, now);
    if (s == Status::Current) continue;
    const Plan::Obj& o = plan_.objects[id];
    const bool controlled = (o.cls == ReadinessClass::Kustomization || o.cls == ReadinessClass::Source ||
                             o.cls == ReadinessClass::HelmRelease) && o.link != kNone;
    const ObjState& st = objs_[id];
    if (controlled || st.created_at == kNever) {
      *dynamic = true;  // its own controller, or a future apply, decides: look again at the next poll
      return kNever;
    }
    all_current = max_time(all_current, st.current_at);
    first_failure = min_time(first_failure, st.failed_at);
  }
  return min_time(all_current, first_failure);
}

template <typename Objs>
std::string Run::waiting_list(const Objs& objs, SimTime now) const {
  std::string out;
  for (const auto& item : objs) {
    ObjId id;
    if constexpr (std::is_same_v<std::decay_t<decltype(item)>, ObjId>) id = item;
    else id = item.obj;
    Status s = status(id, now);
    if (s == Status::Current) continue;
    if (!out.empty()) out += ", ";
    const char* name = s == Status::NotFound ? "NotFound" : s == Status::Failed ? "Failed" : "InProgress";
    out += fmt::format("{} status: '{}'", plan_.objects[id].name, name);
  }
  return out;
}

void Run::poll_stage(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const auto& objects = plan_.ks[k].stages[st.stage];
  static constexpr int kStageNumber[3] = {1, 2, 4};
  bool all_current = true;
  for (const Plan::KsObj& o : objects)
    if (status(o.obj, now) != Status::Current) {
      all_current = false;
      break;
    }
  if (all_current) {
    trace(event(now, TraceType::StageWaitFinished, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker,
           kStageNumber[st.stage]));
    run_stage(k, st.stage + 1, now);
    return;
  }
  if (now >= st.deadline) {
    fail(k, now, PassOutcome::ApplyFailed, "ReconciliationFailed",
         fmt::format("timeout waiting for: [{}]", waiting_list(objects, now)));
    return;
  }
  std::vector<ObjId> ids;
  ids.reserve(objects.size());
  for (const Plan::KsObj& o : objects) ids.push_back(o.obj);
  bool dynamic = false;
  SimTime change = next_change(ids, now, &dynamic);
  SimTime next = tick_at_or_after(st.step_start, kc_.stage_poll_interval,
                                  dynamic ? now + Duration{1} : max_time(change, now + Duration{1}));
  schedule(min_time(next, st.deadline), EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::start_health(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  if (!plan.checks_health) {
    succeed(k, now);
    return;
  }
  st.pass.health_started_at = now;
  for (ObjId id : plan.health)
    if (plan_.objects[id].unseen) create_object(id, now, nullptr, static_cast<std::int32_t>(k));
  st.phase = Phase::Health;
  st.step_start = now;
  st.deadline = now + plan.timeout;
  trace(event(now, TraceType::HealthCheckStarted, Controller::Kustomize, static_cast<std::int32_t>(k),
         static_cast<std::int32_t>(plan.health.size()), st.worker));
  schedule(now, EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::poll_health(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  if (now >= st.deadline) {
    fail(k, now, PassOutcome::HealthCheckFailed, "HealthCheckFailed",
         fmt::format("health check failed after {}: timeout waiting for: [{}]", format_duration(now - st.step_start),
                     waiting_list(plan.health, now)));
    return;
  }
  bool all_current = true, any_failed = false;
  for (ObjId id : plan.health) {
    Status s = status(id, now);
    if (s != Status::Current) all_current = false;
    if (s == Status::Failed) any_failed = true;
  }
  if (all_current) {
    succeed(k, now);
    return;
  }
  if (any_failed) {  // fail fast (on by default since kustomize-controller v1.1)
    std::string failed;
    for (ObjId id : plan.health)
      if (status(id, now) == Status::Failed) {
        if (!failed.empty()) failed += ", ";
        failed += fmt::format("{} status: 'Failed'", plan_.objects[id].name);
      }
    fail(k, now, PassOutcome::HealthCheckFailed, "HealthCheckFailed",
         fmt::format("health check failed after {}: failed early due to stalled resources: [{}]",
                     format_duration(now - st.step_start), failed));
    return;
  }
  bool dynamic = false;
  SimTime change = next_change(plan.health, now, &dynamic);
  SimTime next = tick_at_or_after(st.step_start, kc_.health_poll_interval,
                                  dynamic ? now + Duration{1} : max_time(change, now + Duration{1}));
  schedule(min_time(next, st.deadline), EventPriority::Observation, Event{Ev::KsStep, static_cast<std::uint32_t>(k), kNone, st.token});
}

void Run::succeed(std::size_t k, SimTime now) {
  KsState& st = ks_[k];
  const Plan::Ks& plan = plan_.ks[k];
  st.reconciling = false;
  st.observed = true;
  const std::int32_t src = plan.source;
  st.last_applied = src == kNone ? 0 : src_[static_cast<std::size_t>(src)].revision;
  set_ready(k, Ready::True, "ReconciliationSucceeded", fmt::format("Applied revision: {}", kRevision));
  trace(event(now, TraceType::ReconciliationSucceeded, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, 0,
         "ReconciliationSucceeded", st.message));
  if (st.summary.ready_at == kNever) {
    st.summary.ready_at = now;
    st.attempts_at_ready = st.attempts;
    for (std::int32_t kid : plan.provides) serve_kind(kid, now);
    count_ready(now);
  }
  // Success requeue: interval with ±jitter (uniform), as fluxcd/pkg runtime/jitter does.
  const double p = static_cast<double>(kc_.interval_jitter_percent) / 100.0;
  const double factor = 1.0 + p * (2.0 * st.jitter_rng.uniform01() - 1.0);
  const Duration requeue{static_cast<std::int64_t>(std::llround(static_cast<double>(plan.interval.count()) * factor))};
  end_pass(k, now, requeue, PassOutcome::Succeeded);
}

void Run::fail(std::size_t k, SimTime now, PassOutcome outcome, std::string reason, std::string message) {
  KsState& st = ks_[k];
  st.reconciling = true;  // Reconciling=True, reason ProgressingWithRetry
  trace(event(now, TraceType::ReconciliationFailed, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, 0, reason,
         message));
  set_ready(k, Ready::False, std::move(reason), std::move(message));
  end_pass(k, now, plan_.ks[k].retry, outcome);
}

void Run::end_pass(std::size_t k, SimTime now, Duration requeue, PassOutcome outcome) {
  KsState& st = ks_[k];
  st.pass.ended_at = now;
  st.pass.outcome = outcome;
  st.pass.requeue_after = requeue;
  st.pass.reason = st.reason;
  st.pass.message = st.message;
  if (options_.record) {
    result_.passes.push_back(st.pass);
    if (requeue.count() > 0) {
      const char* why = outcome == PassOutcome::Succeeded ? "interval"
                        : (outcome == PassOutcome::DependencyNotReady || outcome == PassOutcome::ArtifactNotReady)
                            ? "--requeue-dependency"
                            : "retryInterval";
      trace(event(now, TraceType::Requeued, Controller::Kustomize, static_cast<std::int32_t>(k), kNone, st.worker, requeue.count(),
             "", why));
    }
  }
  st.in_pass = false;
  st.phase = Phase::Idle;
  ++st.token;
  kpool_.release(now, st.worker);
  kpool_.queue.done(static_cast<std::uint32_t>(k));
  st.worker = kNone;
  if (requeue.count() > 0) enqueue(kpool_, static_cast<std::uint32_t>(k), now, requeue);
}

// ----- source-controller -----------------------------------------------------------------------------

bool Run::in_outage(std::size_t s, SimTime t) const {
  for (const Fault* f : plan_.sources[s].outages)
    if (f->from <= t && t < f->until) return true;
  return false;
}

void Run::create_source(std::size_t s, SimTime now) {
  SourceState& st = src_[s];
  if (st.exists) return;
  st.exists = true;
  const Plan::Src& plan = plan_.sources[s];
  if (plan.obj != kNone) create_object(static_cast<ObjId>(plan.obj), now, nullptr, kNone);
  trace(event(now, TraceType::Created, Controller::Source, static_cast<std::int32_t>(s), kNone, kNone, 0, "", plan.name));
  enqueue(spools_[static_cast<std::size_t>(plan.pool)], static_cast<std::uint32_t>(s), now);
}

void Run::start_fetch(std::size_t s, std::int32_t worker, SimTime now) {
  SourceState& st = src_[s];
  const Plan::Src& plan = plan_.sources[s];
  Pool& pool = spools_[static_cast<std::size_t>(plan.pool)];
  if (!st.finalized) {
    st.finalized = true;
    pool.release(now, worker);
    pool.queue.done(static_cast<std::uint32_t>(s));
    enqueue(pool, static_cast<std::uint32_t>(s), now, kc_.first_reconcile_delay);
    return;
  }
  if (plan.repo != kNone && !src_[static_cast<std::size_t>(plan.repo)].artifact) {
    // A HelmChart cannot be pulled before its repository has an artifact; the repository's watch
    // enqueues it when it does.
    pool.release(now, worker);
    pool.queue.done(static_cast<std::uint32_t>(s));
    return;
  }
  st.in_pass = true;
  st.worker = worker;
  ++st.token;
  st.fetch_started = now;
  const Duration fetch = plan.fetch->sample(st.fetch_rng);
  schedule(now + fetch, EventPriority::StateChange, Event{Ev::SourceStep, static_cast<std::uint32_t>(s), kNone, st.token});
}

void Run::finish_fetch(std::size_t s, SimTime now) {
  SourceState& st = src_[s];
  const Plan::Src& plan = plan_.sources[s];
  Pool& pool = spools_[static_cast<std::size_t>(plan.pool)];
  // A fetch fails if an outage window [from, until) overlaps the fetch [started, now].
  bool failed = false;
  for (const Fault* f : plan.outages)
    if (st.fetch_started < f->until && now >= f->from) failed = true;
  st.in_pass = false;
  pool.release(now, st.worker);
  pool.queue.done(static_cast<std::uint32_t>(s));
  st.worker = kNone;
  if (failed) {
    ++st.failures;
    // Errors go through the rate limiter: 750ms doubling per consecutive failure, at most 15m.
    Duration backoff = kMinRetryDelay;
    for (int i = 1; i < st.failures && backoff < kMaxRetryDelay; ++i) backoff *= 2;
    backoff = std::min(backoff, kMaxRetryDelay);
    const std::string url = s < world_.sources.size() && !world_.sources[s].url.empty() ? world_.sources[s].url : plan.name;
    trace(event(now, TraceType::FetchFailed, Controller::Source, static_cast<std::int32_t>(s), kNone, kNone, backoff.count(),
                "FetchFailed", fmt::format("failed to fetch {}: source unavailable (injected outage); retrying in {}", url,
                                           format_duration(backoff))));
    enqueue(pool, static_cast<std::uint32_t>(s), now, backoff);
    return;
  }
  st.failures = 0;
  if (!st.artifact) {
    st.artifact = true;
    st.revision = 1;
    st.first_artifact = now;
    trace(event(now, TraceType::ArtifactStored, Controller::Source, static_cast<std::int32_t>(s), kNone, kNone, st.revision,
                "Succeeded", fmt::format("{}: stored artifact for revision '{}'", plan.name, kRevision)));
    // Fan-out: every Kustomization of this source, in dependency order, except those that already
    // attempted this revision and are Ready or Reconciling.
    for (std::int32_t k : plan.kustomizations) {
      const KsState& ks = ks_[static_cast<std::size_t>(k)];
      if (!ks.exists) continue;
      if (ks.last_attempted == st.revision && (ks.ready == Ready::True || ks.reconciling)) continue;
      enqueue(kpool_, static_cast<std::uint32_t>(k), now);
    }
    // HelmCharts waiting for this repository, and HelmReleases watching this chart.
    for (std::int32_t c : plan.charts)
      if (src_[static_cast<std::size_t>(c)].exists)
        enqueue(spools_[static_cast<std::size_t>(plan_.sources[static_cast<std::size_t>(c)].pool)], static_cast<std::uint32_t>(c), now);
    for (std::int32_t h : plan.helm_releases)
      if (hr_[static_cast<std::size_t>(h)].exists && !hr_[static_cast<std::size_t>(h)].stalled)
        enqueue(hpool_, static_cast<std::uint32_t>(h), now);
  }
  enqueue(pool, static_cast<std::uint32_t>(s), now, plan.interval);
}

// ----- helm-controller -------------------------------------------------------------------------------

void Run::create_helm_release(std::size_t h, SimTime now, std::int32_t parent) {
  HrState& st = hr_[h];
  if (st.exists) return;
  st.exists = true;
  st.created_at = now;
  create_object(static_cast<ObjId>(plan_.hrs[h].obj), now, nullptr, parent);
  trace(event(now, TraceType::Created, Controller::Helm, static_cast<std::int32_t>(h), parent));
  enqueue(hpool_, static_cast<std::uint32_t>(h), now);
}

bool Run::helm_release_ready(std::int32_t h) const {
  if (h == kNone) return false;
  const HrState& d = hr_[static_cast<std::size_t>(h)];
  return d.exists && d.ready == Ready::True && d.observed;
}

void Run::start_helm_pass(std::size_t h, std::int32_t worker, SimTime now, SimTime due) {
  HrState& st = hr_[h];
  const Plan::Hr& plan = plan_.hrs[h];
  const HelmRelease& spec = world_.helm_releases[h];
  const auto id = static_cast<std::int32_t>(h);
  const auto& hc = scenario_.controllers.helm;
  st.in_pass = true;
  st.worker = worker;
  ++st.token;
  if (!st.finalized) {
    st.finalized = true;
    trace(event(now, TraceType::FinalizerAdded, Controller::Helm, id, kNone, worker));
    st.in_pass = false;
    hpool_.release(now, worker);
    hpool_.queue.done(static_cast<std::uint32_t>(h));
    enqueue(hpool_, static_cast<std::uint32_t>(h), now, kc_.first_reconcile_delay);
    return;
  }
  ++st.passes;
  st.pass = PassRecord{};
  st.pass.controller = Controller::Helm;
  st.pass.subject = id;
  st.pass.number = st.passes;
  st.pass.worker = worker;
  st.pass.queued_at = due;
  st.pass.started_at = now;
  trace(event(now, TraceType::PassStarted, Controller::Helm, id, kNone, worker, st.passes));
  if (spec.suspend || st.stalled) {
    end_helm_pass(h, now, Duration{0}, false, PassOutcome::Suspended);
    return;
  }
  // Prerequisites: the HelmChart (created on the first pass), dependsOn, then the chart's artifact.
  if (plan.chart != kNone && plan_.sources[static_cast<std::size_t>(plan.chart)].chart_of == id && !st.chart_requested) {
    st.chart_requested = true;
    create_source(static_cast<std::size_t>(plan.chart), now);
  }
  st.reconciling = true;
  for (std::size_t i = 0; i < plan.deps.size(); ++i) {
    if (helm_release_ready(plan.deps[i])) continue;
    const Reference& d = spec.depends_on[i];
    st.ready = Ready::False;
    st.reason = "DependencyNotReady";
    st.message = fmt::format("dependency '{}/{}' is not ready", d.ns, d.name);
    st.pass.blocked_by = plan.deps[i];
    trace(event(now, TraceType::DependencyNotReady, Controller::Helm, id, plan.deps[i], worker, 0, st.reason, st.message));
    end_helm_pass(h, now, hc.requeue_dependency, false, PassOutcome::DependencyNotReady);
    return;
  }
  if (plan.chart != kNone && !src_[static_cast<std::size_t>(plan.chart)].artifact) {
    st.ready = Ready::False;
    st.reason = "SourceNotReady";
    st.message = fmt::format("{} is not ready", plan_.sources[static_cast<std::size_t>(plan.chart)].name);
    trace(event(now, TraceType::ArtifactNotReady, Controller::Helm, id, plan.chart, worker, 0, st.reason, st.message));
    // 30s, jittered; the chart's watch re-triggers it earlier when the artifact appears.
    const double factor = 1.0 + 0.05 * (2.0 * st.jitter_rng.uniform01() - 1.0);
    end_helm_pass(h, now, Duration{static_cast<std::int64_t>(std::llround(30'000.0 * factor))}, false, PassOutcome::ArtifactNotReady);
    return;
  }
  if (st.ready_at != kNever && st.ready == Ready::True) {
    // Installed and in sync (a single revision is simulated): the pass decides no Helm action is
    // needed and ends at once, Ready stays True.
    st.reconciling = false;
    const double factor = 1.0 + 0.05 * (2.0 * st.jitter_rng.uniform01() - 1.0);
    end_helm_pass(h, now, Duration{static_cast<std::int64_t>(std::llround(static_cast<double>(plan.interval.count()) * factor))},
                  false, PassOutcome::Succeeded);
    return;
  }
  // The Helm install, with its wait (kstatus poller, fail fast), bounded by spec.timeout.
  ++st.installs;
  st.pass.attempt = st.installs;
  st.pass.built_at = now;
  st.ready = Ready::Unknown;
  st.reason = "Progressing";
  st.message = fmt::format("Running 'install' action with timeout of {}", format_duration(plan.timeout));
  trace(event(now, TraceType::ApplyStarted, Controller::Helm, id, kNone, worker, st.installs));
  const Plan::Obj& o = plan_.objects[static_cast<std::size_t>(plan.obj)];
  // Capacity model (capacity.h): helm-controller's CPU budget shared by the installs at work now.
  const double factor = stretch_factor(scenario_.timing.capacity,
                                       ControllerLoad{scenario_.controllers.helm.cpu_limit, hpool_.busy_count, 0});
  SimTime done = now + stretch_work(plan.install->sample(st.install_rng), scenario_.timing.build.median(), factor);
  if (o.never_ready) done = kNever;
  else done = max_time(done, o.not_before);
  const SimTime failed = o.failed_at == kNever ? kNever : max_time(now, o.failed_at);
  const SimTime deadline = now + plan.timeout;
  if (failed < done && failed < deadline) {
    st.failure = fmt::format("Helm install failed for release {}/{}: failed early due to stalled resources", spec.ref.ns,
                             spec.target_namespace.empty() ? spec.ref.name : spec.target_namespace + "-" + spec.ref.name);
    schedule(failed, EventPriority::StateChange, Event{Ev::HrStep, static_cast<std::uint32_t>(h), 0, st.token});
  } else if (done <= deadline) {
    schedule(done, EventPriority::StateChange, Event{Ev::HrStep, static_cast<std::uint32_t>(h), 1, st.token});
  } else {
    st.failure = fmt::format("Helm install failed for release {}/{}: context deadline exceeded (timeout {})", spec.ref.ns,
                             spec.ref.name, format_duration(plan.timeout));
    schedule(deadline, EventPriority::StateChange, Event{Ev::HrStep, static_cast<std::uint32_t>(h), 0, st.token});
  }
}

void Run::finish_helm_action(std::size_t h, SimTime now, bool success) {
  HrState& st = hr_[h];
  const Plan::Hr& plan = plan_.hrs[h];
  const HelmRelease& spec = world_.helm_releases[h];
  const auto id = static_cast<std::int32_t>(h);
  if (success) {
    st.ready = Ready::True;
    st.reconciling = false;
    st.observed = true;
    st.failures = 0;
    st.reason = "InstallSucceeded";
    st.message = fmt::format("Helm install succeeded for release {}/{}", spec.ref.ns, spec.ref.name);
    trace(event(now, TraceType::ReconciliationSucceeded, Controller::Helm, id, kNone, st.worker, 0, st.reason, st.message));
    if (st.ready_at == kNever) {
      st.ready_at = now;
      for (std::int32_t kid : plan.provides) serve_kind(kid, now);
      count_ready(now);
    }
    const double factor = 1.0 + 0.05 * (2.0 * st.jitter_rng.uniform01() - 1.0);
    end_helm_pass(h, now, Duration{static_cast<std::int64_t>(std::llround(static_cast<double>(plan.interval.count()) * factor))},
                  false, PassOutcome::Succeeded);
    return;
  }
  ++st.failures;
  st.ready = Ready::False;
  st.reason = "InstallFailed";
  st.message = st.failure;
  trace(event(now, TraceType::ReconciliationFailed, Controller::Helm, id, kNone, st.worker, 0, st.reason, st.message));
  if (plan.retry_on_failure) {
    // RetryOnFailure: no remediation, retry every retryInterval (jittered) for ever.
    const double factor = 1.0 + 0.05 * (2.0 * st.jitter_rng.uniform01() - 1.0);
    end_helm_pass(h, now, Duration{static_cast<std::int64_t>(std::llround(static_cast<double>(plan.retry_interval.count()) * factor))},
                  false, PassOutcome::HealthCheckFailed);
    return;
  }
  if (st.failures <= plan.retries) {
    // Remediation (uninstall), then Requeue: true through the rate limiter.
    end_helm_pass(h, now, Duration{0}, true, PassOutcome::HealthCheckFailed);
    return;
  }
  // Retries exhausted: Stalled=True RetriesExceeded, Reconciling removed; nothing retries it.
  st.stalled = true;
  st.reconciling = false;
  st.reason = "RetriesExceeded";
  st.message = fmt::format("{} (install retries exhausted: {})", st.failure, plan.retries);
  end_helm_pass(h, now, Duration{0}, false, PassOutcome::HealthCheckFailed);
}

void Run::end_helm_pass(std::size_t h, SimTime now, Duration requeue, bool rate_limited, PassOutcome outcome) {
  HrState& st = hr_[h];
  st.pass.ended_at = now;
  st.pass.outcome = outcome;
  st.pass.reason = st.reason;
  st.pass.message = st.message;
  if (rate_limited) {
    requeue = kMinRetryDelay;
    for (int i = 0; i < st.rate_limited && requeue < kMaxRetryDelay; ++i) requeue *= 2;
    requeue = std::min(requeue, kMaxRetryDelay);
    ++st.rate_limited;
  } else {
    st.rate_limited = 0;  // Forget
  }
  st.pass.requeue_after = requeue;
  if (options_.record) result_.passes.push_back(st.pass);
  st.in_pass = false;
  ++st.token;
  hpool_.release(now, st.worker);
  hpool_.queue.done(static_cast<std::uint32_t>(h));
  st.worker = kNone;
  if (requeue.count() > 0) enqueue(hpool_, static_cast<std::uint32_t>(h), now, requeue);
}

// ----- controller restarts ---------------------------------------------------------------------------

void Run::restart(const Fault& fault, SimTime now) {
  const std::string& c = fault.controller;
  trace(event(now, TraceType::ControllerRestarted, c == "helm" ? Controller::Helm : c == "source" ? Controller::Source : Controller::Kustomize,
              kNone, kNone, kNone, 0, "", fmt::format("{}-controller restarted: passes in flight are lost; every object is listed and enqueued again", c)));
  if (c == "kustomize") {
    for (std::size_t k = 0; k < ks_.size(); ++k) {
      KsState& st = ks_[k];
      if (!st.in_pass) continue;
      st.pass.ended_at = now;
      st.pass.outcome = PassOutcome::Interrupted;
      st.pass.reason = st.reason;
      st.pass.message = "lost to a controller restart";
      if (options_.record) result_.passes.push_back(st.pass);
      st.in_pass = false;
      st.phase = Phase::Idle;
      ++st.token;
      kpool_.release(now, st.worker);
      st.worker = kNone;
    }
    kpool_.queue.clear();
    for (std::size_t k = 0; k < ks_.size(); ++k)
      if (ks_[k].exists) enqueue(kpool_, static_cast<std::uint32_t>(k), now, Duration{0}, WorkQueue::kLowPriority);
  } else if (c == "helm") {
    for (std::size_t h = 0; h < hr_.size(); ++h) {
      HrState& st = hr_[h];
      if (!st.in_pass) continue;
      st.pass.ended_at = now;
      st.pass.outcome = PassOutcome::Interrupted;
      st.pass.message = "lost to a controller restart";
      if (options_.record) result_.passes.push_back(st.pass);
      st.in_pass = false;
      ++st.token;
      hpool_.release(now, st.worker);
      st.worker = kNone;
    }
    hpool_.queue.clear();
    for (std::size_t h = 0; h < hr_.size(); ++h)
      if (hr_[h].exists && !hr_[h].stalled) enqueue(hpool_, static_cast<std::uint32_t>(h), now, Duration{0}, WorkQueue::kLowPriority);
  } else {
    for (std::size_t s = 0; s < src_.size(); ++s) {
      SourceState& st = src_[s];
      if (!st.in_pass) continue;
      st.in_pass = false;
      ++st.token;
      spools_[static_cast<std::size_t>(plan_.sources[s].pool)].release(now, st.worker);
      st.worker = kNone;
    }
    for (Pool& pool : spools_) pool.queue.clear();
    for (std::size_t s = 0; s < src_.size(); ++s)
      if (src_[s].exists)
        enqueue(spools_[static_cast<std::size_t>(plan_.sources[s].pool)], static_cast<std::uint32_t>(s), now, Duration{0},
                WorkQueue::kLowPriority);
  }
}

// ----- the loop --------------------------------------------------------------------------------------

void Run::handle(const Event& e, SimTime now) {
  switch (e.type) {
    case Ev::KsStep:
      if (ks_[e.id].in_pass && ks_[e.id].token == e.token) continue_pass(e.id, now);
      break;
    case Ev::KsCreate: create_kustomization(e.id, now, e.arg); break;
    case Ev::SourceCreate: create_source(e.id, now); break;
    case Ev::SourceStep:
      if (src_[e.id].in_pass && src_[e.id].token == e.token) finish_fetch(e.id, now);
      break;
    case Ev::Wake: break;
    case Ev::KindServed:
      if (kind_at_[e.id] == now)
        trace(event(now, TraceType::KindRegistered, Controller::Kustomize, kNone, static_cast<std::int32_t>(e.id), kNone, 0, "",
               plan_.kinds[e.id].name));
      break;
    case Ev::Restart: restart(*plan_.restarts[e.id], now); break;
    case Ev::HrCreate: create_helm_release(e.id, now, e.arg); break;
    case Ev::HrStep:
      if (hr_[e.id].in_pass && hr_[e.id].token == e.token) finish_helm_action(e.id, now, e.arg == 1);
      break;
  }
}

RunResult Run::execute() {
  const SimTime zero{};
  // Bootstrap: flux bootstrap has installed the controllers (preinstalled objects), created the
  // sources it syncs from and the root Kustomization.
  for (ObjId id = 0; id < plan_.objects.size(); ++id)
    if (plan_.objects[id].preinstalled) create_object(id, zero, nullptr, kNone);
  for (std::size_t s = 0; s < world_.sources.size(); ++s) {
    if (!world_.sources[s].exists_at_start) continue;
    SourceState& st = src_[s];
    st.exists = true;
    st.finalized = true;
    create_object(static_cast<ObjId>(plan_.sources[s].obj), zero, nullptr, kNone);
    trace(event(zero, TraceType::Created, Controller::Source, static_cast<std::int32_t>(s)));
    Pool& pool = spools_[static_cast<std::size_t>(plan_.sources[s].pool)];
    Rng probe = st.fetch_rng;
    if (plan_.sources[s].fetch->sample(probe) == Duration{0} && !in_outage(s, zero)) {
      // Fetched during bootstrap: the artifact exists before the root Kustomization does.
      st.fetch_rng = probe;
      st.artifact = true;
      st.revision = 1;
      st.first_artifact = zero;
      trace(event(zero, TraceType::ArtifactStored, Controller::Source, static_cast<std::int32_t>(s), kNone, kNone, 1, "Succeeded",
             fmt::format("stored artifact for revision '{}'", kRevision)));
      enqueue(pool, static_cast<std::uint32_t>(s), zero, world_.sources[s].interval);
    } else {
      enqueue(pool, static_cast<std::uint32_t>(s), zero);
    }
  }
  for (std::size_t i = 0; i < plan_.restarts.size(); ++i)
    schedule(plan_.restarts[i]->at, EventPriority::StateChange, Event{Ev::Restart, static_cast<std::uint32_t>(i)});
  if (!ks_.empty()) create_kustomization(0, zero, kNone);

  SimTime now = zero;
  dispatch(now);
  while (!stop_ && !calendar_.empty()) {
    if (calendar_.top().at > horizon_) break;
    now = calendar_.top().at;
    while (!stop_ && !calendar_.empty() && calendar_.top().at == now) {
      Event e = calendar_.pop().payload;
      ++result_.simulated_events;
      handle(e, now);
    }
    dispatch(now);
  }
  finish(stop_ ? now : horizon_);
  return std::move(result_);
}

void Run::finish(SimTime end) {
  result_.ended_at = end;
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    KsState& st = ks_[k];
    if (st.in_pass && options_.record) {
      st.pass.outcome = PassOutcome::Running;
      result_.passes.push_back(st.pass);
    }
  }
  result_.kustomizations.resize(ks_.size());
  SimTime last_ready{};
  bool all_ready = !ks_.empty();
  for (std::size_t k = 0; k < ks_.size(); ++k) {
    KsState& st = ks_[k];
    KustomizationSummary& out = result_.kustomizations[k];
    out = st.summary;
    out.passes = st.passes;
    out.attempts = st.summary.ready_at != kNever ? st.attempts_at_ready : st.attempts;
    if (!st.exists) {
      out.status = "Unknown";
      out.reason = "NotCreated";
      const auto& parent = world_.kustomizations[k].parent;
      out.message = parent ? fmt::format("never created: Kustomization/{}/{} did not apply it within the horizon", parent->ns, parent->name)
                           : "never created";
    } else {
      out.status = st.ready == Ready::True ? "True" : st.ready == Ready::False ? "False" : "Unknown";
      out.reason = st.ready == Ready::None ? "" : st.reason;
      out.message = st.message;
      if (st.ready == Ready::None) out.message = "waiting for its first reconcile";
    }
    if (st.summary.ready_at == kNever) all_ready = false;
    else last_ready = max_time(last_ready, st.summary.ready_at);
  }
  result_.helm_ready_at.assign(world_.helm_releases.size(), kNever);
  for (std::size_t h = 0; h < hr_.size(); ++h) {
    result_.helm_ready_at[h] = hr_[h].ready_at;
    if (hr_[h].ready_at == kNever) all_ready = false;
    else last_ready = max_time(last_ready, hr_[h].ready_at);
    if (hr_[h].in_pass && options_.record) {
      hr_[h].pass.outcome = PassOutcome::Running;
      result_.passes.push_back(hr_[h].pass);
    }
  }
  result_.all_ready = all_ready;
  result_.time_to_ready = all_ready ? last_ready : kNever;
  result_.source_ready_at.resize(world_.sources.size());
  for (std::size_t s = 0; s < world_.sources.size(); ++s) result_.source_ready_at[s] = src_[s].first_artifact;
  if (options_.record) {
    std::stable_sort(result_.passes.begin(), result_.passes.end(),
                     [](const PassRecord& a, const PassRecord& b) { return a.started_at < b.started_at; });
    // Longest queue: the most passes that were due but waiting for a worker at one instant.
    std::vector<std::pair<SimTime, int>> sweep;
    for (const PassRecord& p : result_.passes) {
      if (p.controller != Controller::Kustomize || p.queued_at >= p.started_at) continue;
      sweep.push_back({p.queued_at, +1});
      sweep.push_back({p.started_at, -1});
    }
    std::sort(sweep.begin(), sweep.end());
    int waiting = 0;
    std::size_t until_ready = 0;
    for (const auto& [t, d] : sweep) {
      waiting += d;
      const auto depth = static_cast<std::size_t>(std::max(waiting, 0));
      kpool_.max_depth = std::max(kpool_.max_depth, depth);
      if (t < result_.time_to_ready) until_ready = std::max(until_ready, depth);
    }
    if (!result_.workers_until_ready.empty()) result_.workers_until_ready[0].max_queue_depth = until_ready;
  }
  snapshot_usage(result_.workers, end);
}

void Run::snapshot_usage(std::vector<WorkerUsage>& out, SimTime end) {
  out.clear();
  auto usage = [&](Pool& pool) {
    pool.account(end);
    WorkerUsage u;
    u.controller = pool.controller;
    u.pool = pool.label;
    u.workers = static_cast<int>(pool.busy.size());
    u.busy = pool.busy_time;
    u.end = end;
    u.saturated = pool.saturated;
    u.max_queue_depth = pool.max_depth;
    return u;
  };
  out.push_back(usage(kpool_));
  if (!hr_.empty()) out.push_back(usage(hpool_));
  for (Pool& pool : spools_) out.push_back(usage(pool));
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

Simulation::Simulation(const World& world, const Scenario& scenario)
    : diagnostics_(), plan_(std::make_unique<Plan>(world, scenario, diagnostics_)) {}
Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

const Diagnostics& Simulation::diagnostics() const { return diagnostics_; }

RunResult Simulation::run(const EngineOptions& options) const {
  Run run(*plan_, options);
  return run.execute();
}

RunResult simulate(const World& world, const Scenario& scenario, const EngineOptions& options) {
  return Simulation(world, scenario).run(options);
}

}  // namespace fluxsim
