// SPDX-License-Identifier: Apache-2.0
// Target selection as kustomize does it (types.SelectorRegex, resWrangler.Select): anchored Go regexps
// for group, version, kind, name and namespace (name and namespace matched against the original and the
// current identity), and Kubernetes label and annotation selectors, set-based forms included. The
// regexps run on RE2, as Go's do: linear in the name, whatever the pattern.
#include "load/selector.h"

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <re2/re2.h>

#include "load/kustomize.h"

namespace fluxsim::load {

std::string KObject::group() const {
  std::string av = api_version();
  std::size_t slash = av.find('/');
  return slash == std::string::npos ? std::string{} : av.substr(0, slash);
}

std::string KObject::version() const {
  std::string av = api_version();
  std::size_t slash = av.find('/');
  return slash == std::string::npos ? av : av.substr(slash + 1);
}

// kyaml/openapi precomputedIsNamespaceScoped (the schema kustomize v5 embeds): the cluster-scoped
// entries. Kinds it does not know, custom resources included, are treated as namespaced.
bool kustomize_cluster_scoped(const std::string& api_version, const std::string& kind) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 36> kClusterScoped = {{
      {"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"},
      {"admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"},
      {"admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration"},
      {"admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"},
      {"apiextensions.k8s.io/v1", "CustomResourceDefinition"},
      {"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"},
      {"apiregistration.k8s.io/v1", "APIService"},
      {"apiregistration.k8s.io/v1beta1", "APIService"},
      {"certificates.k8s.io/v1", "CertificateSigningRequest"},
      {"certificates.k8s.io/v1beta1", "CertificateSigningRequest"},
      {"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"},
      {"flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"},
      {"networking.k8s.io/v1", "IngressClass"},
      {"networking.k8s.io/v1beta1", "IngressClass"},
      {"node.k8s.io/v1", "RuntimeClass"},
      {"node.k8s.io/v1beta1", "RuntimeClass"},
      {"policy/v1beta1", "PodSecurityPolicy"},
      {"rbac.authorization.k8s.io/v1", "ClusterRole"},
      {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
      {"rbac.authorization.k8s.io/v1beta1", "ClusterRole"},
      {"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"},
      {"scheduling.k8s.io/v1", "PriorityClass"},
      {"scheduling.k8s.io/v1beta1", "PriorityClass"},
      {"storage.k8s.io/v1", "CSIDriver"},
      {"storage.k8s.io/v1", "CSINode"},
      {"storage.k8s.io/v1", "StorageClass"},
      {"storage.k8s.io/v1", "VolumeAttachment"},
      {"storage.k8s.io/v1beta1", "CSIDriver"},
      {"storage.k8s.io/v1beta1", "CSINode"},
      {"storage.k8s.io/v1beta1", "StorageClass"},
      {"storage.k8s.io/v1beta1", "VolumeAttachment"},
      {"v1", "ComponentStatus"},
      {"v1", "Namespace"},
      {"v1", "Node"},
      {"v1", "NodeProxyOptions"},
      {"v1", "PersistentVolume"},
  }};
  for (const auto& [av, k] : kClusterScoped)
    if (av == api_version && k == kind) return true;
  return false;
}

namespace {

// A compiled `^(?:pattern)$`, or RE2's reason it does not compile.
struct Compiled {
  std::unique_ptr<const RE2> re;
  std::string error;
};

// Compiled patterns, shared: one selector is matched against thousands of objects. The cache is
// emptied when it holds kMaxCachedRegexps (a file full of distinct patterns cannot grow it for ever).
constexpr std::size_t kMaxCachedRegexps = 4096;

std::shared_ptr<const Compiled> compiled(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const Compiled>, std::less<>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<const RE2>("^(?:" + pattern + ")$", options);
  auto c = std::make_shared<Compiled>();
  if (re->ok()) c->re = std::move(re);
  else c->error = re->error();
  if (cache.size() >= kMaxCachedRegexps) cache.clear();
  cache.emplace(pattern, c);
  return c;
}

// resid.EffectiveNamespace: cluster-scoped objects have no namespace a selector can name; an empty
// namespace is "default".
std::string effective_ns(const KObject& obj, const std::string& ns) {
  if (kustomize_cluster_scoped(obj.api_version(), obj.kind())) return "_non_namespaceable_";
  return ns.empty() ? "default" : ns;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits at commas that are not inside parentheses.
std::vector<std::string_view> split_requirements(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    if (s[i] == ')') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

std::optional<std::string> label_value(const Node* labels, std::string_view key) {
  if (!labels) return std::nullopt;
  const Node* v = labels->get(key);
  if (!v) return std::nullopt;
  return v->is_scalar() ? v->value : std::string{};
}

}  // namespace

std::optional<bool> label_selector_matches(const std::string& selector, const Node* labels) {
  std::string_view all = trim(selector);
  if (all.empty()) return true;
  for (std::string_view req : split_requirements(all)) {
    if (req.empty()) return std::nullopt;
    // Set-based: key in (a,b) / key notin (a,b)
    std::size_t paren = req.find('(');
    if (paren != std::string_view::npos) {
      if (req.back() != ')') return std::nullopt;
      std::string_view head = trim(req.substr(0, paren));
      std::size_t sp = head.find_last_of(" \t");
      if (sp == std::string_view::npos) return std::nullopt;
      std::string_view op = trim(head.substr(sp + 1));
      std::string_view key = trim(head.substr(0, sp));
      std::vector<std::string> values;
      for (std::string_view v : split_requirements(req.substr(paren + 1, req.size() - paren - 2)))
        values.emplace_back(v);
      auto have = label_value(labels, key);
      bool in = have && std::find(values.begin(), values.end(), *have) != values.end();
      if (op == "in") {
        if (!in) return false;
      } else if (op == "notin") {
        if (in) return false;
      } else {
        return std::nullopt;
      }
      continue;
    }
    if (req.front() == '!') {
      if (label_value(labels, trim(req.substr(1)))) return false;
      continue;
    }
    std::size_t ne = req.find("!=");
    if (ne != std::string_view::npos) {
      auto have = label_value(labels, trim(req.substr(0, ne)));
      if (have && *have == trim(req.substr(ne + 2))) return false;
      continue;
    }
    std::size_t eq = req.find("==");
    std::size_t skip = 2;
    if (eq == std::string_view::npos) {
      eq = req.find('=');
      skip = 1;
    }
    if (eq != std::string_view::npos) {
      auto have = label_value(labels, trim(req.substr(0, eq)));
      if (!have || *have != trim(req.substr(eq + skip))) return false;
      continue;
    }
    if (!label_value(labels, req)) return false;  // existence
  }
  return true;
}

Selector selector_from(const Node& n) {
  Selector s;
  s.group = n.text({"group"});
  s.version = n.text({"version"});
  s.kind = n.text({"kind"});
  s.name = n.text({"name"});
  s.ns = n.text({"namespace"});
  s.label_selector = n.text({"labelSelector"});
  s.annotation_selector = n.text({"annotationSelector"});
  return s;
}

std::optional<std::string> regexp_error(const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  auto c = compiled(pattern);
  if (c->re) return std::nullopt;
  return c->error;
}

bool regexp_matches(const std::string& pattern, std::string_view value) {
  if (pattern.empty()) return true;
  auto c = compiled(pattern);
  if (!c->re) throw std::runtime_error("error parsing regexp: " + c->error);
  return RE2::PartialMatch(value, *c->re);
}

bool selects(const Selector& sel, const KObject& obj) {
  // Every pattern must compile, whether or not an earlier field already rejected the object
  // (kustomize compiles the whole selector before it looks at any object).
  for (const std::string* p : {&sel.group, &sel.version, &sel.kind, &sel.name, &sel.ns})
    if (auto err = regexp_error(*p)) throw std::runtime_error("error parsing regexp: " + *err);  // RE2 quotes the pattern
  if (!sel.ns.empty()) {
    if (!regexp_matches(sel.ns, effective_ns(obj, obj.org_ns)) && !regexp_matches(sel.ns, effective_ns(obj, obj.ns())))
      return false;
  }
  if (!sel.name.empty() && !regexp_matches(sel.name, obj.org_name) && !regexp_matches(sel.name, obj.name()))
    return false;
  if (!regexp_matches(sel.group, obj.group())) return false;
  if (!regexp_matches(sel.version, obj.version())) return false;
  if (!regexp_matches(sel.kind, obj.kind())) return false;
  if (!sel.label_selector.empty()) {
    auto m = label_selector_matches(sel.label_selector, obj.node.at({"metadata", "labels"}));
    if (!m) throw std::runtime_error("unable to parse requirement: label selector \"" + sel.label_selector + "\"");
    if (!*m) return false;
  }
  if (!sel.annotation_selector.empty()) {
    auto m = label_selector_matches(sel.annotation_selector, obj.node.at({"metadata", "annotations"}));
    if (!m) throw std::runtime_error("unable to parse requirement: annotation selector \"" + sel.annotation_selector + "\"");
    if (!*m) return false;
  }
  return true;
}

}  // namespace fluxsim::load
