// SPDX-License-Identifier: Apache-2.0
// The static checks. Each reads the World (and the scenario's timing and provides rules) the way the
// engine will replay it, and says in Flux's terms what will happen at run time and which field to change.
//
// Ordering facts used here (flux-semantics.md §2, §4.3, §6.1, §7) all come from one relation, the
// DependencyGraph's: ordered_before(k) is every Kustomization that has applied its CRD/Namespace stage
// (CRDs Established, Namespaces created) before k first applies — its ancestors, its dependencies, what
// they wait for in their health checks, and so on transitively — and ready_before(k) the subset that has
// been Ready by then. A CRD or Namespace in k itself is applied in stage 1, before k's other objects. A
// kind provided by an operator object X is served once X is Current, which a Kustomization's Ready
// guarantees only when its health check covers X.
#include "fluxsim/check.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "fluxsim/engine.h"
#include "fluxsim/graph.h"
#include "fluxsim/readiness.h"
#include "flux/health.h"
#include "flux/kinds.h"

namespace fluxsim {

std::size_t CheckResult::errors() const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [](const Finding& f) { return f.diagnostic.severity == Severity::Error; }));
}

std::size_t CheckResult::warnings() const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [](const Finding& f) { return f.diagnostic.severity == Severity::Warning; }));
}

namespace {

using flux::kind_key;
using flux::kind_pattern_matches;

std::string object_of(const Kustomization& k) { return "Kustomization/" + k.ref.ns + "/" + k.ref.name; }

bool contains(const std::vector<NodeId>& nodes, NodeId n) { return std::find(nodes.begin(), nodes.end(), n) != nodes.end(); }

/// The dependsOn entry that makes `dependent` wait for `dependency` (namespace written when it differs).
std::string depends_on_entry(const Kustomization& dependency, const Kustomization& dependent) {
  return dependency.ref.ns == dependent.ref.ns ? fmt::format("{{name: {}}}", dependency.ref.name)
                                               : fmt::format("{{name: {}, namespace: {}}}", dependency.ref.name, dependency.ref.ns);
}

class Checker {
 public:
  Checker(const World& w, const Scenario& s) : world_(w), scenario_(s), graph_(w), health_(w) {
    for (std::size_t i = 0; i < w.kustomizations.size(); ++i) index_[{w.kustomizations[i].ref.ns, w.kustomizations[i].ref.name}] = i;
  }

  CheckResult run() {
    root_build();
    for (const Diagnostic& d : world_.diagnostics) out_.findings.push_back({"load", d});
    {
      Simulation sim(world_, scenario_);
      for (const Diagnostic& d : sim.diagnostics()) out_.findings.push_back({"scenario", d});
    }
    cycles();
    missing_dependencies();
    suspended_dependencies();
    deadlocks();
    crd_ordering();
    namespace_ordering();
    chart_namespaces();
    uncreated_health_checks();
    health_timeouts();
    short_intervals();
    return std::move(out_);
  }

 private:
  const Kustomization& ks(NodeId n) const { return world_.kustomizations[n]; }

  // A root that cannot build applies nothing: every other finding is moot until it does.
  void root_build() {
    if (world_.kustomizations.empty() || !world_.kustomizations.front().build_failure) return;
    const Kustomization& root = world_.kustomizations.front();
    const BuildFailure& f = *root.build_failure;
    add("root-build", Severity::Error, f.where.known() ? f.where : root.origin, object_of(root),
        fmt::format("the root Kustomization {} cannot build ({}: {}): nothing can roll out", root.ref.name, f.reason, f.message),
        "fix the entry path's kustomization (`kubectl kustomize " + (world_.entry.empty() ? std::string(".") : world_.entry) +
            "` shows the same error)");
  }

  SourceLocation where_or_origin(const SourceLocation& where, NodeId n) const { return where.known() ? where : ks(n).origin; }

  void add(const char* check, Severity severity, SourceLocation where, std::string object, std::string message, std::string hint) {
    out_.findings.push_back({check, Diagnostic{severity, std::move(where), std::move(object), std::move(message), std::move(hint)}});
  }

  std::optional<NodeId> find(std::string_view ns, std::string_view name) const {
    auto it = index_.find({std::string(ns), std::string(name)});
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

  /// Whether n's health check waits for `ref` (src/flux/health.h).
  bool checks(NodeId n, const ObjectRef& ref) const {
    const std::vector<ObjectRef>& targets = health_targets(n);
    return std::find(targets.begin(), targets.end(), ref) != targets.end();
  }
  const std::vector<ObjectRef>& health_targets(NodeId n) const {
    auto [it, inserted] = targets_.try_emplace(n);
    if (inserted) it->second = health_.targets(ks(n));
    return it->second;
  }

  // ----- dependsOn cycles ----------------------------------------------------------------------------
  void cycles() {
    for (const Cycle& c : graph_.cycles()) {
      SourceLocation where;
      for (auto it = c.path.rbegin(); it != c.path.rend() && !where.known(); ++it)
        if (it->kind == EdgeKind::DependsOn) where = it->where;
      const NodeId first = c.path.back().to;
      std::string links;
      for (const std::string& l : graph_.ring_links(c)) links += (links.empty() ? "" : "; ") + l;
      const bool through_parent =
          std::any_of(c.path.begin(), c.path.end(), [](const GraphEdge& e) { return e.kind == EdgeKind::Parent; });
      add("dependency-cycle", Severity::Error, where_or_origin(where, first), object_of(ks(first)),
          fmt::format("dependsOn cycle {} (→: waits for): {} can ever become Ready{}", graph_.ring_text(c),
                      c.members.size() == 1 ? "it never" : "none of them",
                      through_parent ? ", since a Kustomization in it depends on one that exists only once it has applied" : ""),
          fmt::format("{}; remove one of these dependsOn entries", links));
    }
  }

  // ----- dependsOn naming nothing --------------------------------------------------------------------
  void missing_dependencies() {
    for (const DanglingDependency& d : graph_.dangling()) {
      const Kustomization& k = ks(d.from);
      std::string hint;
      const HelmRelease* hr = nullptr;
      for (const HelmRelease& h : world_.helm_releases)
        if (h.ref.name == d.ref.name && (h.ref.ns == d.ref.ns || !hr)) hr = &h;
      std::vector<std::string> other_ns;
      for (const Kustomization& o : world_.kustomizations)
        if (o.ref.name == d.ref.name) other_ns.push_back(o.ref.ns);
      if (hr) {
        const std::string applier = hr->parent ? hr->parent->name : "the Kustomization that applies it";
        hint = fmt::format("HelmRelease/{}/{} has that name, but a Kustomization can depend only on Kustomizations: depend on "
                           "{} and give it a health check on the HelmRelease (or wait: true)",
                           hr->ref.ns, hr->ref.name, applier);
      } else if (!other_ns.empty()) {
        hint = fmt::format("there is a Kustomization {} in namespace {}: set dependsOn[].namespace: {}", d.ref.name, other_ns.front(),
                           other_ns.front());
      } else {
        std::string best;
        std::size_t best_d = 3;
        for (NodeId n : graph_.sorted_nodes()) {
          const std::size_t dist = edit_distance(ks(n).ref.name, d.ref.name);
          if (dist < best_d) {
            best_d = dist;
            best = ks(n).ref.name;
          }
        }
        hint = best.empty() ? "fix the name, or add the Kustomization it should wait for" : fmt::format("did you mean {}?", best);
      }
      add("missing-dependency", Severity::Error, where_or_origin(d.ref.where, d.from), object_of(k),
          fmt::format("{} dependsOn Kustomization {}/{}, which does not exist: it stays DependencyNotReady ('dependency "
                      "\"{}/{}\" not found') for ever",
                      graph_.name(d.from), d.ref.ns, d.ref.name, d.ref.ns, d.ref.name),
          std::move(hint));
    }
  }

  // ----- dependsOn a suspended Kustomization ---------------------------------------------------------
  void suspended_dependencies() {
    for (const GraphEdge& e : graph_.edges()) {
      if (e.kind != EdgeKind::DependsOn || !ks(e.from).suspend) continue;
      add("suspended-dependency", Severity::Warning, where_or_origin(e.where, e.to), object_of(ks(e.to)),
          fmt::format("{} dependsOn {}, which is suspended (spec.suspend: true): on a fresh bootstrap it never becomes Ready, "
                      "so {} never applies",
                      graph_.name(e.to), graph_.name(e.from), graph_.name(e.to)),
          fmt::format("resume {} or drop the dependsOn entry", graph_.name(e.from)));
    }
  }

  // ----- a health check waiting on something that waits for it ---------------------------------------
  void deadlocks() {
    // The dependsOn edges into each Kustomization, gathered once (not a scan of every edge per step).
    std::vector<std::vector<const GraphEdge*>> depends_in(world_.kustomizations.size());
    for (const GraphEdge& e : graph_.edges())
      if (e.kind == EdgeKind::DependsOn) depends_in[e.to].push_back(&e);
    for (NodeId a : graph_.sorted_nodes()) {
      for (NodeId c : graph_.health_checked(a)) {
        // No ring of ordering links through both: no deadlock, and no search (keeps long wait: true
        // chains linear).
        if (!graph_.ready_in_same_ring(a, c)) continue;
        // Breadth first over "needs Ready": dependsOn entries and health-checked Kustomizations.
        struct Link {
          NodeId from;
          const GraphEdge* edge;  // dependsOn edge (from = dependency), or nullptr for a health-check wait
        };
        std::map<NodeId, Link> reached;
        std::vector<NodeId> queue{c};
        reached.emplace(c, Link{c, nullptr});
        bool found = false;
        for (std::size_t i = 0; i < queue.size() && !found; ++i) {
          const NodeId x = queue[i];
          auto visit = [&](NodeId y, const GraphEdge* edge) {
            if (found || reached.count(y)) return;
            reached.emplace(y, Link{x, edge});
            if (y == a) found = true;
            else queue.push_back(y);
          };
          for (const GraphEdge* e : depends_in[x]) visit(e->from, e);
          for (NodeId h : graph_.health_checked(x)) visit(h, nullptr);
        }
        if (!found) continue;
        // The chain c -> ... -> a, with the first dependsOn entry as the location.
        std::vector<std::string> steps;
        SourceLocation where;
        for (NodeId y = a; y != c;) {
          const Link& l = reached.at(y);
          std::string step = l.edge ? fmt::format("{} dependsOn {}", graph_.name(l.from), graph_.name(y))
                                    : fmt::format("{} waits for {} in its health check", graph_.name(l.from), graph_.name(y));
          if (l.edge) {
            const std::string loc = to_string(l.edge->where);
            if (!loc.empty()) step += " (" + loc + ")";
            where = l.edge->where;
          }
          steps.push_back(std::move(step));
          y = l.from;
        }
        std::reverse(steps.begin(), steps.end());
        std::string chain;
        for (const std::string& s : steps) chain += (chain.empty() ? "" : ", ") + s;
        const Kustomization& ak = ks(a);
        add("health-check-deadlock", Severity::Error, where_or_origin(where, c), object_of(ak),
            fmt::format("deadlock: {} waits for {} to become Ready ({}), but {}: {} times out after {} and retries every {}, for ever",
                        graph_.name(a), graph_.name(c), ak.wait ? "wait: true" : "healthChecks", chain, graph_.name(a),
                        format_duration(ak.timeout_or_default()), format_duration(ak.retry_interval_or_default())),
            fmt::format("drop wait: true on {} (or leave {} out of its healthChecks), or remove the dependsOn on {}", graph_.name(a),
                        graph_.name(c), graph_.name(a)));
      }
    }
  }

  // ----- custom resources whose kind may not exist yet, and kinds nobody defines -----------------------
  struct Provider {
    NodeId applier;          // the Kustomization that applies the provider object
    const Resource* object;  // the provider object
    const ProvidesRule* rule;
  };

  void crd_ordering() {
    // Who defines what.
    std::map<std::string, std::vector<std::pair<NodeId, const Resource*>>> crds;
    for (NodeId n : graph_.sorted_nodes())
      for (const Resource& r : ks(n).objects)
        if (!r.defines_kind.empty()) crds[r.defines_kind].push_back({n, &r});
    std::vector<Provider> providers;
    for (NodeId n : graph_.sorted_nodes())
      for (const Resource& r : ks(n).objects)
        for (const ProvidesRule& rule : scenario_.provides)
          if (rule.by.matches(r.ref, ks(n).ref.name)) providers.push_back({n, &r, &rule});

    struct Unknown {
      std::size_t count = 0;
      const Resource* first = nullptr;
      NodeId applier = 0;
    };
    std::map<std::string, Unknown> unknown;

    for (NodeId k : graph_.sorted_nodes()) {
      // Group this Kustomization's custom resources by kind.
      std::map<std::string, std::vector<const Resource*>> by_kind;
      for (const Resource& r : ks(k).objects) {
        if (r.skipped || r.preinstalled || flux::is_served_at_bootstrap(r.ref.group) ||
            r.ref.kind == "CustomResourceDefinition" || is_unknown_objects(r.ref))
          continue;
        by_kind[kind_key(r.ref.group, r.ref.kind)].push_back(&r);
      }
      if (by_kind.empty()) continue;  // what comes before k is a walk of the graph: only for those that need it
      const std::vector<NodeId> before = graph_.ordered_before(k), ready = graph_.ready_before(k);
      auto comes_after = [&](NodeId c) { return c == k || contains(before, c); };
      for (const auto& [key, objects] : by_kind) {
        const Resource& first = *objects.front();
        const std::string count = objects.size() == 1 ? to_string(first.ref)
                                                      : fmt::format("{} and {} more {}", to_string(first.ref), objects.size() - 1, first.ref.kind);
        auto crd = crds.find(key);
        std::vector<const Provider*> provided;
        for (const Provider& p : providers)
          for (const std::string& pattern : p.rule->kinds)
            if (kind_pattern_matches(pattern, first.ref.group, first.ref.kind)) {
              provided.push_back(&p);
              break;
            }
        if (crd == crds.end() && provided.empty()) {
          Unknown& u = unknown[key];
          if (u.count++ == 0) {
            u.first = &first;
            u.applier = k;
          }
          u.count += objects.size() - 1;
          continue;
        }
        // Safe when some CRD is in k or a predecessor, or some provider is awaited by k.
        bool safe = false;
        if (crd != crds.end())
          for (const auto& [c, res] : crd->second) safe = safe || comes_after(c);
        for (const Provider* p : provided) safe = safe || provider_awaited(*p, k, first, ready);
        if (safe) continue;

        // Same Kustomization applies the operator and the resource in the same stage: it can never work.
        for (const Provider* p : provided)
          if (p->applier == k && apply_stage(p->object->ref) >= apply_stage(first.ref)) {
            add("crd-ordering", Severity::Error, first.origin, object_of(ks(k)),
                fmt::format("{} applies {} and also {}, which serves kind {} only once it is Current: the dry-run of {} fails "
                            "('no matches for kind \"{}\"') before {} is ever written, on every attempt",
                            graph_.name(k), count, to_string(p->object->ref), key, first.ref.kind, first.ref.kind, to_string(p->object->ref)),
                fmt::format("move {} to its own Kustomization with wait: true, and make {} dependsOn it", to_string(p->object->ref),
                            graph_.name(k)));
            safe = true;
            break;
          }
        if (safe) continue;

        const std::string retry = format_duration(ks(k).retry_interval_or_default());
        if (crd != crds.end()) {
          const NodeId c = crd->second.front().first;
          add("crd-ordering", Severity::Warning, first.origin, object_of(ks(k)),
              fmt::format("{} applies {}, but the CustomResourceDefinition of {} is applied by {}, which {} does not come after: "
                          "its dry-run fails ('no matches for kind \"{}\"') until {} has applied it, and each failure costs a "
                          "retryInterval ({})",
                          graph_.name(k), count, key, graph_.name(c), graph_.name(k), first.ref.kind, graph_.name(c), retry),
              fmt::format("add `dependsOn: [{{name: {}}}]` to {}", ks(c).ref.name, graph_.name(k)));
        } else {
          const Provider& p = *provided.front();
          const bool waits = checks(p.applier, p.object->ref);
          add("crd-ordering", Severity::Warning, first.origin, object_of(ks(k)),
              fmt::format("{} applies {}, but kind {} is served only once {} (applied by {}) is Current (provides rule{}), and {} "
                          "does not wait for that: its dry-run fails until then, and each failure costs a retryInterval ({})",
                          graph_.name(k), count, key, to_string(p.object->ref), graph_.name(p.applier),
                          p.rule->where.known() ? " at " + to_string(p.rule->where) : "", graph_.name(k), retry),
              waits ? fmt::format("add `dependsOn: [{{name: {}}}]` to {}", ks(p.applier).ref.name, graph_.name(k))
                    : fmt::format("add `dependsOn: [{{name: {}}}]` to {}, and wait: true (or a healthCheck on {}) to {}",
                                  ks(p.applier).ref.name, graph_.name(k), to_string(p.object->ref), graph_.name(p.applier)));
        }
      }
    }
    // One finding for all of them: on a repository whose charts install their own CRDs, these are many
    // and each is the same assumption.
    if (!unknown.empty()) {
      const Unknown* first = nullptr;
      std::string kinds;
      for (const auto& [key, u] : unknown) {
        if (!first) first = &u;
        kinds += fmt::format("{}{} ({} in {}{})", kinds.empty() ? "" : ", ", key, to_string(u.first->ref), graph_.name(u.applier),
                             u.count == 1 ? "" : fmt::format(" and {} more", u.count - 1));
      }
      add("unknown-kind", Severity::Note, first->first->origin, object_of(ks(first->applier)),
          fmt::format("{} custom kind{} with no CustomResourceDefinition in the repository and no `provides` rule, assumed "
                      "installed already: {}",
                      unknown.size(), unknown.size() == 1 ? "" : "s", kinds),
          "if an operator or a HelmRelease installs one, add a `provides` rule to the scenario so fluxsim orders it "
          "(docs/scenario-format.md, \"Kinds that appear at run time\")");
    }
    for (const Assumption& a : world_.assumptions) {
      if (a.kind != Assumption::Kind::InferredProvider) continue;
      add("unknown-kind", Severity::Note, a.where, a.subject.substr(0, a.subject.find(' ')),
          fmt::format("{} ({}): modelled as a `provides` rule, so those kinds are served once it is Ready", a.subject, a.detail),
          "if something else installs them, say so with your own `provides` rule (or --strict-offline to assume them installed)");
    }
  }

  /// Whether k applies only once provider p's object is Current: a provider in an earlier apply stage of
  /// k itself is waited on by the stage wait; otherwise some Kustomization Ready before k applies must
  /// imply it — the object itself (a Kustomization), or one whose health check covers the object.
  bool provider_awaited(const Provider& p, NodeId k, const Resource& cr, const std::vector<NodeId>& ready) const {
    if (p.applier == k && apply_stage(p.object->ref) < apply_stage(cr.ref)) return true;
    const ObjectRef& obj = p.object->ref;
    if (obj.kind == "Kustomization" && obj.group == kKustomizeGroup)
      if (auto i = find(obj.ns, obj.name); i && contains(ready, *i)) return true;
    for (NodeId r : ready)
      if (checks(r, obj)) return true;
    return false;
  }

  // ----- namespaced objects whose Namespace another Kustomization creates -----------------------------
  // The engine's rule (and the API server's): the dry-run of a namespaced object fails with 'namespaces
  // "ns" not found' until its Namespace exists. A namespace that no Namespace object in the repository
  // creates is assumed to exist, as are the built-in ones and the root's (flux bootstrap creates it). A
  // Namespace in the same Kustomization is applied in stage 1, before the objects that live in it.
  void namespace_ordering() {
    struct Creator {
      NodeId applier;
      const Resource* object;
    };
    std::map<std::string, std::vector<Creator>> creators;  // namespace -> Kustomizations that create it
    std::set<std::string> exists;                           // created before the root applies
    for (std::string_view ns : flux::kBuiltinNamespaces) exists.emplace(ns);
    if (!world_.kustomizations.empty()) exists.insert(world_.kustomizations.front().ref.ns);
    for (NodeId n : graph_.sorted_nodes())
      for (const Resource& r : ks(n).objects) {
        if (r.ref.kind != "Namespace" || !r.ref.group.empty() || r.skipped) continue;
        if (r.preinstalled) exists.insert(r.ref.name);
        else creators[r.ref.name].push_back({n, &r});
      }

    for (NodeId k : graph_.sorted_nodes()) {
      // What comes before k is a walk of the graph: worked out only for a Kustomization that needs it.
      std::optional<std::vector<NodeId>> before_k;
      auto before = [&]() -> const std::vector<NodeId>& {
        if (!before_k) before_k = graph_.ordered_before(k);
        return *before_k;
      };
      // This Kustomization's objects per namespace, in apply order (stage, SSA kind order, then group, kind,
      // name), so the first one is the object whose dry-run Flux names.
      std::map<std::string, std::vector<const Resource*>> by_namespace;
      for (const Resource& r : ks(k).objects)
        if (!r.skipped && !r.preinstalled && !r.ref.ns.empty()) by_namespace[r.ref.ns].push_back(&r);
      for (auto& [ns, objects] : by_namespace)
        std::stable_sort(objects.begin(), objects.end(), [](const Resource* a, const Resource* b) {
          return std::make_tuple(static_cast<int>(apply_stage(a->ref)), apply_kind_order(a->ref.kind), std::cref(a->ref.group),
                                 std::cref(a->ref.kind), std::cref(a->ref.name)) <
                 std::make_tuple(static_cast<int>(apply_stage(b->ref)), apply_kind_order(b->ref.kind), std::cref(b->ref.group),
                                 std::cref(b->ref.kind), std::cref(b->ref.name));
        });
      for (const auto& [ns, objects] : by_namespace) {
        auto it = creators.find(ns);
        if (exists.count(ns) || it == creators.end()) continue;
        const std::vector<Creator>& made_by = it->second;
        const bool safe =
            std::any_of(made_by.begin(), made_by.end(), [&](const Creator& c) { return c.applier == k || contains(before(), c.applier); });
        if (safe) continue;
        const Resource& first = *objects.front();
        const std::string what = objects.size() == 1 ? to_string(first.ref)
                                                     : fmt::format("{} and {} more object{}", to_string(first.ref), objects.size() - 1,
                                                                   objects.size() == 2 ? "" : "s");
        const NodeId c = made_by.front().applier;
        const std::string created = fmt::format("Namespace/{} is created by {}{}", ns, graph_.name(c),
                                                made_by.size() > 1 ? fmt::format(" (and {} more)", made_by.size() - 1) : "");
        // Every creator can apply only after k has: k's dry-run fails, so none of them ever applies.
        const bool never = std::all_of(made_by.begin(), made_by.end(),
                                       [&](const Creator& m) { return contains(graph_.ordered_before(m.applier), k); });
        if (never) {
          add("namespace-ordering", Severity::Error, first.origin, object_of(ks(k)),
              fmt::format("{} applies {} in namespace {}, but {}, which applies only after {} has: the dry-run of {} fails "
                          "('namespaces \"{}\" not found') on every attempt, so {} never gets that far",
                          graph_.name(k), what, ns, created, graph_.name(k), graph_.name(k), ns, graph_.name(c)),
              fmt::format("move {} into {} (stage 1 applies it first) or into a Kustomization {} dependsOn",
                          to_string(made_by.front().object->ref), graph_.name(k), graph_.name(k)));
          continue;
        }
        add("namespace-ordering", Severity::Warning, first.origin, object_of(ks(k)),
            fmt::format("{} applies {} in namespace {}, but {}, which {} does not come after: its dry-run fails ('namespaces "
                        "\"{}\" not found') until {} has applied it, and each failure costs a retryInterval ({})",
                        graph_.name(k), what, ns, created, graph_.name(k), ns, graph_.name(c),
                        format_duration(ks(k).retry_interval_or_default())),
            fmt::format("add `dependsOn: [{}]` to {}", depends_on_entry(ks(c), ks(k)), graph_.name(k)));
      }
    }
  }

  // ----- namespaces only a Helm install creates (install.createNamespace) -----------------------------
  // flux-semantics.md §10: with targetNamespace, install.createNamespace creates the namespace during the
  // Helm install, not before; until then the dry-run of any object in it fails with 'namespaces "ns" not
  // found' and the Kustomization applying it retries after its retryInterval. (A Namespace object in the
  // repository makes it too: namespace_ordering speaks for those.)
  void chart_namespaces() {
    std::set<std::string> made;  // by a Namespace object, or existing from the start
    for (std::string_view ns : flux::kBuiltinNamespaces) made.emplace(ns);
    if (!world_.kustomizations.empty()) made.insert(world_.kustomizations.front().ref.ns);
    for (const Kustomization& k : world_.kustomizations)
      for (const Resource& r : k.objects)
        if (r.ref.kind == "Namespace" && r.ref.group.empty() && !r.skipped) made.insert(r.ref.name);
    std::map<std::string, const HelmRelease*> by_install;
    for (const HelmRelease& h : world_.helm_releases)
      if (h.create_namespace && !h.target_namespace.empty() && h.target_namespace != h.ref.ns && !made.count(h.target_namespace))
        by_install.try_emplace(h.target_namespace, &h);
    if (by_install.empty()) return;
    for (NodeId k : graph_.sorted_nodes()) {
      std::map<std::string, std::vector<const Resource*>> in_ns;
      for (const Resource& r : ks(k).objects)
        if (!r.skipped && !r.preinstalled && by_install.count(r.ref.ns)) in_ns[r.ref.ns].push_back(&r);
      for (const auto& [ns, objects] : in_ns) {
        const HelmRelease& h = *by_install.at(ns);
        const Resource& first = *objects.front();
        const std::string what = objects.size() == 1 ? to_string(first.ref)
                                                     : fmt::format("{} and {} more object{}", to_string(first.ref), objects.size() - 1,
                                                                   objects.size() == 2 ? "" : "s");
        add("namespace-ordering", Severity::Warning, first.origin, object_of(ks(k)),
            fmt::format("{} applies {} in namespace {}, which only HelmRelease {}/{}'s install creates (install.createNamespace): "
                        "its dry-run fails ('namespaces \"{}\" not found') until helm-controller has run that install, and each "
                        "failure costs a retryInterval ({})",
                        graph_.name(k), what, ns, h.ref.ns, h.ref.name, ns, format_duration(ks(k).retry_interval_or_default())),
            fmt::format("add a Namespace {} to {} (stage 1 applies it first) or to a Kustomization it dependsOn", ns, graph_.name(k)));
      }
    }
  }

  // ----- health-checked objects that nothing creates -------------------------------------------------
  // flux-semantics.md §6.2, §10: an object named in healthChecks that no Kustomization applies exists only
  // once a Helm chart's install (or a scenario provides rule's `by`) creates it (src/flux/health.h
  // creators_of); with nothing creating it the check sees NotFound until its timeout, on every attempt.
  void uncreated_health_checks() {
    std::set<ObjectRef> applied;
    for (const Kustomization& k : world_.kustomizations) {
      applied.insert(k.ref);
      for (const Resource& r : k.objects)
        if (!r.skipped) applied.insert(r.ref);
    }
    for (const Source& src : world_.sources) applied.insert(src.ref);
    for (const HelmRelease& h : world_.helm_releases) applied.insert(h.ref);
    for (NodeId k : graph_.sorted_nodes()) {
      const Kustomization& spec = ks(k);
      if (spec.wait || spec.build_failure) continue;  // wait: true ignores healthChecks; a failing build never checks
      for (std::size_t i = 0; i < spec.health_checks.size(); ++i) {
        const ObjectRef& ref = health_.resolve(spec.health_checks[i]);
        if (ref == spec.ref || applied.count(ref)) continue;
        if (flux::creators_of(world_, scenario_.provides, ref).any()) continue;
        const SourceLocation where = i < spec.health_check_origins.size() ? spec.health_check_origins[i] : SourceLocation{};
        add("health-check-uncreated", Severity::Error, where_or_origin(where, k), object_of(spec),
            fmt::format("{}'s healthChecks names {}, which nothing creates: no Kustomization applies it and no HelmRelease's chart "
                        "makes it (none in namespace {} has a release name that begins its name): it stays NotFound, so every "
                        "health check of {} times out after {} and {} never becomes Ready",
                        graph_.name(k), to_string(ref), ref.ns.empty() ? "(none)" : ref.ns, graph_.name(k),
                        format_duration(spec.timeout_or_default()), graph_.name(k)),
            fmt::format("fix the entry if it is a typo; if a chart or an operator creates it, say which in the scenario: "
                        "`provides: [{{by: {{kind: HelmRelease, namespace: …, name: …}}, objects: [{{kind: {}, name: {}}}]}}]`",
                        ref.kind, ref.name));
      }
    }
  }

  // ----- health checks that cannot pass in time ------------------------------------------------------
  void health_timeouts() {
    for (NodeId k : graph_.sorted_nodes()) {
      const Kustomization& spec = ks(k);
      if (!flux::checks_health(spec)) continue;
      const Duration timeout = spec.timeout_or_default();
      // The objects waited on, with the Kustomization that applies each (for `kustomization:` matches).
      std::vector<std::pair<const Resource*, NodeId>> waited;
      if (spec.wait) {
        for (const Resource& r : spec.objects)
          if (flux::waits_for_applied(spec, r)) waited.push_back({&r, k});
      } else {
        for (const ObjectRef& h : health_targets(k))
          for (NodeId n : graph_.sorted_nodes())
            for (const Resource& r : ks(n).objects)
              if (r.ref == h) waited.push_back({&r, n});
      }
      const Resource* slowest = nullptr;
      Duration slowest_time{0};
      std::string rule_at;
      for (const auto& [r, applier] : waited) {
        const ReadinessClass cls = readiness_class(r->ref);
        if (cls == ReadinessClass::Kustomization || cls == ReadinessClass::Source) continue;  // their own controllers decide
        std::optional<Duration> median;
        std::string from;
        for (const ReadyRule& rule : scenario_.timing.ready)
          if (rule.match.matches(r->ref, ks(applier).ref.name)) {
            median = rule.after.median();
            from = rule.match.where.known() ? "the timing.ready rule at " + to_string(rule.match.where) : "a timing.ready rule";
            break;
          }
        if (!median) {
          median = default_ready_after(*r).median();
          from = "fluxsim's default for " + r->ref.kind;
        }
        if (*median > slowest_time) {
          slowest_time = *median;
          slowest = r;
          rule_at = from;
        }
      }
      if (!slowest || slowest_time <= timeout) continue;
      add("health-check-timeout", Severity::Warning, spec.origin, object_of(spec),
          fmt::format("{}'s health check times out after {} (spec.timeout{}), but {} takes {} to become Current ({}): the first "
                      "attempt fails with HealthCheckFailed and {} becomes Ready only on a retry, a retryInterval ({}) later",
                      graph_.name(k), format_duration(timeout), spec.timeout ? "" : ", default interval − 30s",
                      to_string(slowest->ref), format_duration(slowest_time), rule_at, graph_.name(k),
                      format_duration(spec.retry_interval_or_default())),
          fmt::format("set spec.timeout above {} on {}", format_duration(slowest_time), graph_.name(k)));
    }
  }

  // ----- intervals under a minute --------------------------------------------------------------------
  void short_intervals() {
    for (NodeId k : graph_.sorted_nodes()) {
      const Kustomization& spec = ks(k);
      if (spec.interval >= Duration{60'000}) continue;
      add("short-interval", Severity::Warning, spec.origin, object_of(spec),
          fmt::format("spec.interval {} is under 1m: every run re-applies {} and makes it not Ready to its dependents while it "
                      "runs (Flux recommends at least 1m)",
                      format_duration(spec.interval), graph_.name(k)),
          "use interval: 1m or more; to react faster to dependencies tune --requeue-dependency instead");
    }
  }

  const World& world_;
  const Scenario& scenario_;
  DependencyGraph graph_;
  flux::HealthCheckResolver health_;
  mutable std::map<NodeId, std::vector<ObjectRef>> targets_;  // health_targets(), computed once per node
  std::map<std::pair<std::string, std::string>, NodeId> index_;
  CheckResult out_;
};

}  // namespace

CheckResult check_world(const World& world, const Scenario& scenario) { return Checker(world, scenario).run(); }

}  // namespace fluxsim
