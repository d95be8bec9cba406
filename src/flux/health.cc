// SPDX-License-Identifier: Apache-2.0
#include "flux/health.h"

#include <algorithm>
#include <functional>

namespace fluxsim::flux {

bool checks_health(const Kustomization& k) { return k.wait || !k.health_checks.empty(); }

bool waits_for_applied(const Kustomization& k, const Resource& r) { return !r.skipped && r.ref != k.ref; }

bool chart_creates_by_default(const HelmRelease& hr, const ObjectRef& ref) {
  if (ref.ns != hr.release_namespace()) return false;
  const std::string release = hr.helm_release_name();
  return ref.name.starts_with(release) || ref.name.starts_with(hr.ref.name);
}

Creators creators_of(const World& world, const std::vector<ProvidesRule>& rules, const ObjectRef& ref) {
  Creators out;
  for (std::size_t i = 0; i < rules.size(); ++i)
    for (const Match& m : rules[i].objects)
      if (m.matches(ref, "")) {
        out.rules.push_back(i);
        break;
      }
  if (!out.rules.empty()) return out;
  for (std::size_t h = 0; h < world.helm_releases.size(); ++h)
    if (chart_creates_by_default(world.helm_releases[h], ref)) out.helm_releases.push_back(h);
  return out;
}

std::size_t HealthCheckResolver::KeyHash::operator()(const Key& k) const {
  const std::hash<std::string_view> h;
  return h(k.kind) ^ (h(k.ns) * 31) ^ (h(k.name) * 1'000'003);
}

HealthCheckResolver::HealthCheckResolver(const World& world) : world_(world) {
  auto add = [&](const ObjectRef& ref) {
    const Key key{ref.kind, ref.ns, ref.name};
    any_group_.try_emplace(key, &ref);
    if (ref.group.empty()) core_.try_emplace(key, &ref);
  };
  for (std::size_t i = 0; i < world.kustomizations.size(); ++i) {
    const ObjectRef& ref = world.kustomizations[i].ref;
    add(ref);
    kustomizations_.try_emplace(Key{"", ref.ns, ref.name}, i);
  }
  for (const Source& s : world.sources) add(s.ref);
  for (const HelmRelease& h : world.helm_releases) add(h.ref);
  // Objects only matter for entries without apiVersion; index them only when there are such entries.
  bool any_without_group = false;
  for (const Kustomization& k : world.kustomizations)
    for (const ObjectRef& h : k.health_checks) any_without_group |= h.group.empty();
  if (!any_without_group) return;
  for (const Kustomization& k : world.kustomizations)
    for (const Resource& r : k.objects) add(r.ref);
}

const ObjectRef& HealthCheckResolver::resolve(const ObjectRef& entry) const {
  if (!entry.group.empty()) return entry;
  const Key key{entry.kind, entry.ns, entry.name};
  if (auto it = core_.find(key); it != core_.end()) return *it->second;
  if (auto it = any_group_.find(key); it != any_group_.end()) return *it->second;
  return entry;
}

std::vector<ObjectRef> HealthCheckResolver::targets(const Kustomization& k) const {
  std::vector<ObjectRef> out;
  if (k.wait) {
    for (const Resource& r : k.objects)
      if (waits_for_applied(k, r) && std::find(out.begin(), out.end(), r.ref) == out.end()) out.push_back(r.ref);
    return out;
  }
  for (const ObjectRef& entry : k.health_checks) {
    const ObjectRef& ref = resolve(entry);
    if (ref != k.ref) out.push_back(ref);
  }
  return out;
}

std::ptrdiff_t HealthCheckResolver::kustomization_index(const ObjectRef& ref) const {
  if (ref.kind != "Kustomization" || ref.group != kKustomizeGroup) return -1;
  auto it = kustomizations_.find(Key{"", ref.ns, ref.name});
  return it == kustomizations_.end() ? -1 : static_cast<std::ptrdiff_t>(it->second);
}

std::vector<std::size_t> HealthCheckResolver::kustomizations(std::size_t k) const {
  std::vector<std::size_t> out;
  const Kustomization& spec = world_.kustomizations[k];
  auto add = [&](const ObjectRef& ref) {
    const std::ptrdiff_t i = kustomization_index(ref);
    if (i < 0 || static_cast<std::size_t>(i) == k) return;
    if (std::find(out.begin(), out.end(), static_cast<std::size_t>(i)) == out.end()) out.push_back(static_cast<std::size_t>(i));
  };
  if (spec.wait) {
    for (const Resource& r : spec.objects)
      if (waits_for_applied(spec, r)) add(r.ref);
  } else {
    for (const ObjectRef& entry : spec.health_checks) add(resolve(entry));
  }
  return out;
}

}  // namespace fluxsim::flux
