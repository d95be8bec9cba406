// SPDX-License-Identifier: Apache-2.0
// The compiled plan: a World compiled against a Scenario, everything a run needs that does not change
// between runs (object table, apply stages, health-check targets, matched timing rules, sources and the
// HelmCharts helm-controller creates, faults, provided kinds). Built once by compile.cc, shared read-only
// by every run (run.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flux/dependencies.h"
#include "flux/kinds.h"
#include "fluxsim/diagnostics.h"
#include "fluxsim/distribution.h"
#include "fluxsim/model.h"
#include "fluxsim/random.h"
#include "fluxsim/readiness.h"
#include "fluxsim/scenario.h"

namespace fluxsim::sim {

constexpr std::int32_t kNone = -1;
using ObjId = std::uint32_t;

struct Plan {
  const World& world;
  const Scenario& scenario;

  struct Obj {
    const ObjectRef* ref = nullptr;
    ReadinessClass cls = ReadinessClass::Immediate;
    std::int32_t link = kNone;  // Kustomization / HelmRelease / Source index for those classes
    std::int32_t kind = kNone;  // index into kinds
    std::int32_t ns = kNone;    // index into namespaces; kNone for cluster-scoped
    std::uint64_t key = 0;      // random stream key
    bool preinstalled = false;
    bool unseen = false;  // named by a health check, built by nobody: it exists only once what
                          // creates it (flux/health.h creators_of) does; with no creator, never
    // Faults
    SimTime not_before{};  // readyAt
    bool never_ready = false;
    SimTime failed_at = kNever;  // failedAt
    // What this object makes available.
    std::int32_t defines_kind = kNone;       // CRD -> the kind it serves once Established
    std::int32_t defines_namespace = kNone;  // Namespace object -> the namespace
    std::vector<std::int32_t> provides;      // kinds served once this object is Current
    std::vector<ObjId> creates;              // objects created once this object is Current (provides.objects)
    const Distribution* ready = nullptr;     // readiness delay of the first applier's rule
    std::string name;                        // to_string(ref), for messages
  };

  struct KsObj {
    ObjId obj;
    const Distribution* ready;  // the rule that matched for this applier
    const Resource* res;        // as built (apiVersion for messages)
  };

  struct Ks {
    std::vector<KsObj> stages[3];              // stage 1, 2, 4 in SSA apply order, skipped objects left out
    std::vector<ObjId> health;                 // objects the health check waits on
    bool checks_health = false;                // wait or healthChecks set
    std::vector<std::int32_t> deps;            // Kustomization index, kNone when missing
    std::vector<flux::ReadyExpr> ready_exprs;  // parallel to deps when a dependsOn has a readyExpr, else empty
    std::int32_t source = kNone;               // World source index
    std::int32_t self = kNone;                 // this Kustomization's object id
    Duration interval{}, retry{}, timeout{};
    int fail_applies = 0;
    std::uint64_t key = 0;
    std::vector<std::int32_t> provides;  // kinds served once this Kustomization is Ready
    std::vector<ObjId> creates;          // objects created once this Kustomization is Ready (provides.objects)
  };

  struct Src {
    std::int32_t obj = kNone;  // kNone for a HelmChart (helm-controller creates it; not in the world)
    std::int32_t pool = 0;     // source-controller runs one controller per source kind
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
    bool static_repository = false;  // an OCI HelmRepository: never fetched, no artifact, Ready at once
  };

  struct Hr {
    std::int32_t obj = kNone;
    std::vector<std::int32_t> deps;            // HelmRelease index, kNone when missing
    std::vector<flux::ReadyExpr> ready_exprs;  // parallel to deps when a dependsOn has a readyExpr, else empty
    std::int32_t chart = kNone;                // engine source index of its chart (HelmChart or OCIRepository)
    const Distribution* install = nullptr;     // Helm install with its wait (the HelmRelease's ready rule)
    Duration interval{}, retry_interval{};
    Duration timeout{};  // the install's: install.timeout, else spec.timeout, else 5m
    int retries = 0;
    bool retry_on_failure = false;
    bool disable_wait = false;  // install.disableWait: Ready once Helm has applied the chart
    std::uint64_t key = 0;
    std::vector<std::int32_t> provides;      // kinds served once this HelmRelease is Ready
    std::vector<ObjId> creates;              // objects its chart creates, when its install runs
    std::int32_t creates_namespace = kNone;  // install.createNamespace: the target namespace, made by the install
  };

  struct Kind {
    std::string name;     // "group/Kind"
    bool assumed = true;  // installed out of band: always served
  };
  struct Namespace {
    std::string name;
    bool assumed = true;  // not created by any object in the world: exists from the start
  };

  std::vector<Obj> objects;
  std::vector<Ks> ks;
  std::vector<Src> sources;  // World::sources, then one HelmChart per HelmRelease that needs one
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
    std::string key = flux::kind_key(group, kind);
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

}  // namespace fluxsim::sim
