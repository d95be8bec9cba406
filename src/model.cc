// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/model.h"

#include <algorithm>
#include <array>

#include "flux/defaults.h"
#include "fluxsim/random.h"

namespace fluxsim {

std::string to_string(const ObjectRef& ref) {
  std::string out = ref.kind;
  out += '/';
  if (!ref.ns.empty()) {
    out += ref.ns;
    out += '/';
  }
  out += ref.name;
  return out;
}

std::string_view group_of(std::string_view api_version) {
  std::size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

std::size_t ObjectRefHash::operator()(const ObjectRef& r) const noexcept {
  std::uint64_t h = stable_hash(r.group);
  h = stable_hash("\x1f", h);
  h = stable_hash(r.kind, h);
  h = stable_hash("\x1f", h);
  h = stable_hash(r.ns, h);
  h = stable_hash("\x1f", h);
  return static_cast<std::size_t>(stable_hash(r.name, h));
}

Duration Kustomization::timeout_or_default() const { return flux::kustomization_timeout(timeout, interval); }

Duration HelmRelease::install_timeout_or_default() const {
  return install_timeout.value_or(timeout.value_or(flux::kHelmReleaseTimeout));
}
Duration Kustomization::retry_interval_or_default() const {
  return flux::kustomization_retry_interval(retry_interval, interval);
}

const Kustomization* World::find_kustomization(std::string_view ns, std::string_view name) const {
  for (const Kustomization& k : kustomizations)
    if (k.ref.ns == ns && k.ref.name == name) return &k;
  return nullptr;
}

const Source* World::find_source(std::string_view kind, std::string_view ns, std::string_view name) const {
  for (const Source& s : sources)
    if (s.ref.kind == kind && s.ref.ns == ns && s.ref.name == name) return &s;
  return nullptr;
}

bool is_unknown_objects(const ObjectRef& ref) { return ref.group == kUnknownObjectsGroup && ref.kind == kUnknownObjectsKind; }

std::string assumptions_summary(const World& world) {
  using K = Assumption::Kind;
  auto count = [&](K kind) {
    return static_cast<std::size_t>(
        std::count_if(world.assumptions.begin(), world.assumptions.end(), [&](const Assumption& a) { return a.kind == kind; }));
  };
  auto plural = [](std::size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); };
  std::vector<std::string> parts;
  if (std::size_t n = count(K::RemoteSource)) {
    std::string names;
    for (const Assumption& a : world.assumptions)
      if (a.kind == K::RemoteSource && n <= 3) names += (names.empty() ? "" : ", ") + a.subject;
    parts.push_back(plural(n, "remote source", "remote sources") + (names.empty() ? "" : " (" + names + ")"));
  }
  if (std::size_t n = count(K::RemoteBase)) parts.push_back(plural(n, "remote base", "remote bases"));
  if (std::size_t n = count(K::UnreadableValues))
    parts.push_back(plural(n, "unreadable substituteFrom source", "unreadable substituteFrom sources"));
  if (std::size_t n = count(K::InferredProvider))
    parts.push_back(plural(n, "HelmRelease taken to install the CRDs of its API group", "HelmReleases taken to install the CRDs of their API group"));
  if (parts.empty()) return {};
  std::string line = "assumed: ";
  for (std::size_t i = 0; i < parts.size(); ++i) line += (i ? ", " : "") + parts[i];
  if (count(K::RemoteSource) + count(K::RemoteBase) > 0) line += " — map sources under `spec.sources` for exact results";
  return line;
}

std::vector<std::string> display_names(const World& world) {
  bool qualify = false;
  std::vector<std::string> names;
  names.reserve(world.kustomizations.size());
  for (const Kustomization& k : world.kustomizations) {
    if (k.ref.ns != world.kustomizations.front().ref.ns) qualify = true;
    names.push_back(k.ref.name);
  }
  if (!qualify) {
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    qualify = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
  }
  if (qualify)
    for (std::size_t i = 0; i < names.size(); ++i) names[i] = world.kustomizations[i].ref.ns + "/" + names[i];
  return names;
}

}  // namespace fluxsim
