// SPDX-License-Identifier: Apache-2.0
// The CEL evaluator behind dependsOn[].readyExpr (src/flux/cel.h): each construct, CEL's error
// semantics, what Flux rejects at compile time (Invalid) and what fluxsim does not implement
// (Unsupported), with positions, and the bounds that keep hostile input linear.
#include "flux/cel.h"

#include <ctime>
#include <string>

#include <doctest/doctest.h>

#include "test_util.h"

using namespace fluxsim::flux::cel;

namespace {

// A Kustomization as Flux hands it to CEL (runtime.DefaultUnstructuredConverter): empty fields left out.
Value kustomization(bool ready, bool observed, const char* version = "v1.2.3") {
  Map labels{{"app/version", Value::string(version)}};
  Map metadata{{"name", Value::string("backend")},
               {"namespace", Value::string("apps")},
               {"generation", Value::integer(1)},
               {"labels", Value::map(labels)}};
  List conditions{Value::map(Map{{"type", Value::string("Ready")},
                                 {"status", Value::string(ready ? "True" : "False")},
                                 {"reason", Value::string(ready ? "ReconciliationSucceeded" : "DependencyNotReady")}})};
  Map status{{"conditions", Value::list(conditions)}};
  if (observed) status.emplace_back("observedGeneration", Value::integer(1));
  return Value::map(Map{{"apiVersion", Value::string("kustomize.toolkit.fluxcd.io/v1")},
                        {"kind", Value::string("Kustomization")},
                        {"metadata", Value::map(metadata)},
                        {"status", Value::map(status)}});
}

const Value kSelf = kustomization(false, false);
const Value kReadyDep = kustomization(true, true);
const Value kNewDep = kustomization(false, false, "v1.2.2");

// The verdict of `expr` on (kSelf, dep): "true", "false", "error: ...", or the compile problem.
std::string run(const std::string& expr, const Value& dep = kReadyDep) {
  Compiled c = compile(expr);
  if (!c.ok())
    return std::string(c.problem.kind == Problem::Kind::Invalid ? "invalid " : "unsupported ") + to_string(c.problem);
  Program::Result r = c.program->evaluate(kSelf, dep);
  if (!r.ok) return "error: " + r.error;
  return r.value ? "true" : "false";
}

}  // namespace

TEST_CASE("readyExpr: field access on dep and self, comparisons and logic") {
  CHECK(run("dep.metadata.generation >= 1") == "true");
  CHECK(run("dep.metadata.generation == dep.status.observedGeneration") == "true");
  CHECK(run("dep.metadata.generation == dep.status.observedGeneration", kNewDep) == "error: no such key: observedGeneration");
  CHECK(run("dep.metadata.labels['app/version'] == self.metadata.labels['app/version']") == "true");
  CHECK(run("dep.metadata.labels['app/version'] == self.metadata.labels['app/version']", kNewDep) == "false");
  CHECK(run("dep.metadata.name != 'frontend' && !(dep.metadata.generation > 1)") == "true");
  CHECK(run("dep.metadata.generation < 1 || dep.metadata.generation <= 1") == "true");
  CHECK(run("(1 < 2) == true") == "true");
  CHECK(run("'abc' < 'abd' && 2.5 > 2 && 1 == 1.0") == "true");  // cross-type numeric comparison
  CHECK(run("dep.kind == 'Kustomization' ? dep.metadata.generation == 1 : false") == "true");
  CHECK(run(".dep.metadata.name == 'backend'") == "true");
  CHECK(run("dep.metadata.name.startsWith('back') && dep.metadata.name.endsWith('end') && dep.metadata.name.contains('cke')") ==
        "true");
  CHECK(run("dep.metadata.generation + 1 == 2 && 7 / 2 == 3 && 7 % 2 == 1 && 'a' + \"b\" == 'ab' && -1 < 0") == "true");
  CHECK(run("int('42') == 42 && string(7) == '7' && double(1) == 1.0") == "true");
  CHECK(run("r'a\\n' == 'a\\\\n' && '\\x41' == 'A' && '''x\ny''' == 'x\\ny'") == "true");
  CHECK(run("true // a comment\n && true") == "true");
}

TEST_CASE("readyExpr: has(), in, size(), lists and maps") {
  CHECK(run("has(dep.status.observedGeneration)") == "true");
  CHECK(run("has(dep.status.observedGeneration)", kNewDep) == "false");
  CHECK(run("has(dep.metadata.annotations) && dep.metadata.annotations['x'] == 'y'") == "false");  // && absorbs the error
  CHECK(run("'app/version' in dep.metadata.labels") == "true");
  CHECK(run("dep.metadata.name in ['backend', 'db']") == "true");
  CHECK(run("2 in [1, 2, 3] && !(4 in [1, 2, 3])") == "true");
  CHECK(run("size(dep.status.conditions) == 1 && dep.metadata.name.size() == 7 && size({'a': 1}) == 1") == "true");
  CHECK(run("[1, 2, 3][1] == 2 && {'k': 'v'}['k'] == 'v' && {'k': 'v'}.k == 'v'") == "true");
  CHECK(run("[1, 2] + [3] == [1, 2, 3] && {'a': [1]} == {'a': [1]}") == "true");
  CHECK(run("[1][5] == 1") == "error: index out of range: 5");
  CHECK(run("dep.status.conditions[0].reason == 'ReconciliationSucceeded'") == "true");
}

TEST_CASE("readyExpr: the exists, all, exists_one, filter and map macros over conditions") {
  const std::string ready = "dep.status.conditions.exists(c, c.type == 'Ready' && c.status == 'True')";
  CHECK(run(ready) == "true");
  CHECK(run(ready, kNewDep) == "false");
  // The example of kustomize-controller's docs ("Dependency Ready Expression").
  const std::string docs =
      "dep.metadata.labels['app/version'] == self.metadata.labels['app/version'] &&\n"
      "dep.status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True') &&\n"
      "dep.metadata.generation == dep.status.observedGeneration\n";
  CHECK(run(docs) == "true");
  CHECK(run(docs, kNewDep) == "false");
  CHECK(run("dep.status.conditions.all(c, c.status == 'True')") == "true");
  CHECK(run("dep.status.conditions.exists_one(c, c.type == 'Ready')") == "true");
  CHECK(run("dep.status.conditions.map(c, c.type) == ['Ready']") == "true");
  CHECK(run("dep.status.conditions.map(c, c.type == 'Ready', c.reason) == ['ReconciliationSucceeded']") == "true");
  CHECK(run("dep.metadata.labels.exists(k, k == 'app/version')") == "true");  // over a map's keys
  CHECK(run("[1, 2].exists(x, [3, 4].exists(y, x + y == 6))") == "true");    // nested, two variables
  // Errors are absorbed by a decisive element (CEL's exists/all semantics), else surface.
  CHECK(run("[{'a': 1}, {}].exists(m, m.a == 1)") == "true");
  CHECK(run("[{}, {'a': 2}].exists(m, m.a == 1)") == "error: no such key: a");
  CHECK(run("[{}, {'a': 2}].all(m, m.a == 1)") == "false");
}

TEST_CASE("readyExpr: evaluation errors, as cel-go words them") {
  CHECK(run("dep.status.lastAppliedRevision == 'x'") == "error: no such key: lastAppliedRevision");
  CHECK(run("dep.metadata.annotations['a'] == 'b'") == "error: no such key: annotations");
  CHECK(run("dep.metadata.generation > 'a'") == "error: no such overload: _>_(int, string)");
  CHECK(run("dep.metadata.generation / 0 == 1") == "error: division by zero");
  CHECK(run("9223372036854775807 + 1 > 0") == "error: integer overflow");
  CHECK(run("dep.metadata.name.x == 1") == "error: type 'string' does not support field selection");
  // && and || are commutative: a decisive side wins over an error on the other.
  CHECK(run("dep.status.missing == 1 || true") == "true");
  CHECK(run("dep.status.missing == 1 && false") == "false");
  CHECK(run("dep.status.missing == 1 && true") == "error: no such key: missing");
}

TEST_CASE("readyExpr: what Flux rejects at compile time is Invalid, with its position") {
  // kustomize-controller's own test: an undeclared variable (kustomization_dependson_test.go).
  CHECK(run("self.generation == deps.generation") == "invalid 1:20: undeclared reference to 'deps' (in container '')");
  CHECK(run("dep.metadata.generation >=") == "invalid 1:27: Syntax error: mismatched input '<EOF>'");
  CHECK(run("dep.metadata.name == 'x") == "invalid 1:22: Syntax error: unterminated string literal");
  CHECK(run("dep.metadata.name = 'x'") == "invalid 1:19: Syntax error: token recognition error at: '='");
  CHECK(run("(dep.metadata.generation == 1") == "invalid 1:30: Syntax error: missing ')' at '<EOF>'");
  CHECK(run("true\n  && dep.x ==") == "invalid 2:14: Syntax error: mismatched input '<EOF>'");
  // WithOutputType(bool): a result that is not statically a bool.
  CHECK(run("dep.status.ready") == "invalid 1:12: CEL expression output type mismatch: expected bool, got dyn");
  CHECK(run("dep.metadata.generation + 1") == "invalid 1:25: CEL expression output type mismatch: expected bool, got dyn");
  CHECK(run("1 && true") == "invalid 1:1: found no matching overload for '_&&_' applied to '(int)'");
  CHECK(run("[1, 'a'] == []") == "invalid 1:5: expected type 'int' but found 'string'");
  CHECK(run("has(dep) ") == "invalid 1:1: invalid argument to has() macro");
  CHECK(run("foo(dep)") == "invalid 1:1: undeclared reference to 'foo'");
  CHECK(run("if == 1") == "invalid 1:1: reserved identifier: if");
  CHECK(run("") == "invalid 1:1: Syntax error: mismatched input '<EOF>'");
}

TEST_CASE("readyExpr: valid CEL that fluxsim does not evaluate is Unsupported, with its position") {
  CHECK(run("dep.metadata.name.matches('^b')") == "unsupported 1:19: the function 'matches' is not supported");
  CHECK(run("dep.?status.orValue({}) == {}") == "unsupported 1:5: optional field selection (.?) is not supported");
  CHECK(run("type(dep) == map") == "unsupported 1:1: the function 'type' is not supported");
  CHECK(run("sets.contains([1], [1])") == "unsupported 1:1: the 'sets' functions are not supported");
  CHECK(run("b'x' == b'x'") == "unsupported 1:1: bytes literals are not supported");
  CHECK(run("1u == 1u") == "unsupported 1:1: uint literals are not supported");
  CHECK(run("dep.metadata.name.lowerAscii() == 'x'") == "unsupported 1:19: the function 'lowerAscii' is not supported");
}

TEST_CASE("readyExpr: hostile input is bounded in depth, size and time") {
  // Nesting past cel-go's recursion limit is an error, never a stack overflow.
  const std::string deep = std::string(300, '(') + "true" + std::string(300, ')');
  CHECK(compile(deep).problem.message == "expression recursion limit exceeded: 250");
  CHECK(compile(std::string(10'000, '!') + "true").problem.message == "expression recursion limit exceeded: 250");
  std::string chain = "dep";
  for (int i = 0; i < 5'000; ++i) chain += ".a";
  CHECK(compile(chain + " == 1").problem.message == "expression recursion limit exceeded: 250");
  CHECK(compile(std::string(100'001, ' ') + "true").problem.message ==
        "expression code point size exceeds limit: size: 100005, limit 100000");

  // A 100,000-character && chain: balanced as cel-go balances it, parsed and evaluated in linear time.
  std::string big = "dep.metadata.generation >= 1";
  while (big.size() + 32 < kMaxCodePoints) big += " && dep.metadata.generation >= 1";
  const std::clock_t start = std::clock();
  Compiled c = compile(big);
  REQUIRE(c.ok());
  CHECK(c.program->evaluate(kSelf, kReadyDep).value);
  std::string half = big.substr(0, big.size() / 2);
  half = half.substr(0, half.rfind(" &&"));
  REQUIRE(compile(half).ok());
  CHECK(fluxsim::test::cpu_seconds_since(start) < 2.0);

  // Quadratic work inside a small expression runs into the cost budget instead of running for minutes.
  std::string items = "0";
  for (int i = 1; i < 6'000; ++i) {  // appended piecewise: `"," + to_string()` trips GCC 12's -Wrestrict false positive
    items += ',';
    items += std::to_string(i % 10);
  }
  const std::string nested = "[" + items + "].exists(x, [" + items + "].exists(y, x + y < 0))";
  const std::clock_t nested_start = std::clock();
  CHECK(run(nested) == "error: operation cancelled: actual cost limit exceeded");
  CHECK(fluxsim::test::cpu_seconds_since(nested_start) < 5.0);
}
