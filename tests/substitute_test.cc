// SPDX-License-Identifier: Apache-2.0
// Flux post-build substitution (fluxcd/pkg/envsubst semantics).
#include <map>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include "load/document.h"
#include "load/substitute.h"

using fluxsim::load::envsubst;
using fluxsim::load::VarLookup;

namespace {

VarLookup vars(std::map<std::string, std::string> m) {
  return [m = std::move(m)](const std::string& n) -> std::optional<std::string> {
    auto it = m.find(n);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

std::string expand(const std::string& text, bool strict = true) {
  auto o = envsubst(text, vars({{"APP", "podinfo"}, {"EMPTY", ""}, {"NS", "Apps"}}), strict);
  if (o.missing) return "MISSING " + *o.missing;
  if (o.error) return "ERROR " + *o.error;
  return o.text;
}

}  // namespace

TEST_CASE("${VAR} and the default forms expand as Flux expands them") {
  CHECK(expand("name: ${APP}-web") == "name: podinfo-web");
  CHECK(expand("${UNSET:=fallback}") == "fallback");
  CHECK(expand("${UNSET:-fallback}") == "fallback");
  CHECK(expand("${UNSET=fallback}") == "fallback");
  CHECK(expand("${EMPTY:=fallback}") == "fallback");
  CHECK(expand("${APP:=fallback}") == "podinfo");
  CHECK(expand("${UNSET:=${APP}-x}") == "podinfo-x");
  CHECK(expand("${UNSET:=}") == "");
}

TEST_CASE("$${VAR} is the escape for a literal ${VAR}; $$ alone is a $") {
  CHECK(expand("$${APP}") == "${APP}");
  CHECK(expand("cost: $$5") == "cost: $5");
  CHECK(expand("$APP stays") == "$APP stays");
}

TEST_CASE("strict substitution reports the first variable with no value and no default") {
  CHECK(expand("a: ${APP}\nb: ${MISSING_ONE}\nc: ${MISSING_TWO}") == "MISSING MISSING_ONE");
  CHECK(expand("a: ${MISSING_ONE}", false) == "a: ");
}

TEST_CASE("bash string functions of the envsubst fork") {
  CHECK(expand("${APP^^}") == "PODINFO");
  CHECK(expand("${NS,,}") == "apps");
  CHECK(expand("${NS,}") == "apps");
  CHECK(expand("${APP^}") == "Podinfo");
  CHECK(expand("${#APP}") == "7");
  CHECK(expand("${APP:3}") == "info");
  CHECK(expand("${APP:0:3}") == "pod");
  CHECK(expand("${APP/info/cast}") == "podcast");
  CHECK(expand("${APP#pod}") == "info");
  CHECK(expand("${APP%info}") == "pod");
  CHECK(expand("${APP##*o}") == "");
  CHECK(expand("${APP%%o*}") == "p");
}

TEST_CASE("malformed substitutions are errors") {
  CHECK(expand("${}").rfind("ERROR", 0) == 0);
  CHECK(expand("${APP").rfind("ERROR", 0) == 0);
  CHECK(expand("${APP-default}").rfind("ERROR", 0) == 0);  // only ${VAR=..} / ${VAR:-..} forms parse
}

TEST_CASE("substitution reaches keys and every scalar of an object") {
  auto parsed = fluxsim::load::parse_yaml("metadata:\n  name: ${APP}\n  labels:\n    ${APP}: \"yes\"\nlist:\n  - a-${APP}\n  - $${APP}\n");
  REQUIRE_FALSE(parsed.error);
  auto doc = parsed.documents[0];
  auto o = fluxsim::load::substitute_tree(doc, vars({{"APP", "x"}}), true);
  REQUIRE_FALSE(o.missing);
  CHECK(doc.text({"metadata", "name"}) == "x");
  CHECK(doc.text({"metadata", "labels", "x"}) == "yes");
  CHECK(doc.get("list")->items[0].value == "a-x");
  CHECK(doc.get("list")->items[1].value == "${APP}");
}

TEST_CASE("variable names follow Flux's rule") {
  CHECK(fluxsim::load::valid_var_name("CLUSTER_NAME"));
  CHECK(fluxsim::load::valid_var_name("_x1"));
  CHECK_FALSE(fluxsim::load::valid_var_name("1x"));
  CHECK_FALSE(fluxsim::load::valid_var_name("a-b"));
}

TEST_CASE("variables whose values are unknown offline stay as written, defaults still apply") {
  std::set<std::string> unresolved;
  auto o = envsubst("host: ${SECRET_DOMAIN}, env: ${CLUSTER:=dev}, up: ${SECRET_DOMAIN^^}, app: ${APP}",
                    vars({{"APP", "podinfo"}}), true, &unresolved);
  REQUIRE_FALSE(o.missing);
  CHECK(o.text == "host: ${SECRET_DOMAIN}, env: dev, up: ${SECRET_DOMAIN}, app: podinfo");
  CHECK(unresolved == std::set<std::string>{"SECRET_DOMAIN"});
}
