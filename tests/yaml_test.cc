// SPDX-License-Identifier: Apache-2.0
// The loader's YAML reader: YAML as real repositories write it (issue 3, item 6) and the limits that
// keep hostile input bounded (item 7).
#include <string>

#include <doctest/doctest.h>

#include "load/document.h"

using fluxsim::load::Node;
using fluxsim::load::parse_yaml;
using fluxsim::load::ParseLimits;
using fluxsim::load::to_go_json;

TEST_CASE("multi-document files keep every document with its line") {
  auto p = parse_yaml("# comment\n---\na: 1\n---\n---\nb: [x, y]\n...\n");
  REQUIRE_FALSE(p.error);
  REQUIRE(p.documents.size() == 3);
  CHECK(p.documents[0].text({"a"}) == "1");
  CHECK(p.documents[0].line == 3);
  CHECK(p.documents[1].is_null());
  CHECK(p.documents[2].get("b")->items.size() == 2);
  CHECK(p.documents[2].get("b")->line == 6);
}

TEST_CASE("a comment-only file has no documents") {
  auto p = parse_yaml("# This file will be generated automatically by flux bootstrap.\n");
  REQUIRE_FALSE(p.error);
  CHECK(p.documents.empty());
}

TEST_CASE("scalars remember whether they were quoted") {
  auto p = parse_yaml("plain: true\nquoted: \"true\"\nblock: |\n  text\nnull_value: ~\nempty:\n");
  REQUIRE_FALSE(p.error);
  const Node& d = p.documents[0];
  CHECK(d.get("plain")->as_bool() == true);
  CHECK_FALSE(d.get("quoted")->as_bool().has_value());
  CHECK(d.get("block")->value == "text\n");
  CHECK(d.get("null_value")->is_null());
  CHECK(d.get("empty")->is_null());
}

TEST_CASE("anchors and aliases copy the anchored node") {
  auto p = parse_yaml("base: &b {x: 1, y: [a, b]}\ncopy: *b\n");
  REQUIRE_FALSE(p.error);
  const Node& d = p.documents[0];
  CHECK(*d.get("copy") == *d.get("base"));
  CHECK(d.at({"copy", "y"})->items[1].value == "b");
}

TEST_CASE("an anchor redefined later in the same file refers to the newest definition") {
  auto p = parse_yaml("a: &x first\nb: *x\nc: &x second\nd: *x\n");
  REQUIRE_FALSE(p.error);
  const Node& d = p.documents[0];
  CHECK(d.text({"b"}) == "first");
  CHECK(d.text({"d"}) == "second");
}

TEST_CASE("anchors do not cross document boundaries") {
  auto p = parse_yaml("a: &x 1\n---\nb: *x\n");
  REQUIRE(p.error);
  CHECK(p.error->line == 3);
}

TEST_CASE("merge keys merge maps, explicit keys win, the first merged map wins") {
  auto p = parse_yaml(
      "one: &one {a: 1, b: 1}\n"
      "two: &two {b: 2, c: 2}\n"
      "m:\n"
      "  <<: [*one, *two]\n"
      "  a: explicit\n");
  REQUIRE_FALSE(p.error);
  const Node* m = p.documents[0].get("m");
  CHECK(m->text({"a"}) == "explicit");
  CHECK(m->text({"b"}) == "1");
  CHECK(m->text({"c"}) == "2");
  CHECK(m->get("<<") == nullptr);
}

TEST_CASE("a quoted << is an ordinary key") {
  auto p = parse_yaml("\"<<\": value\n");
  REQUIRE_FALSE(p.error);
  CHECK(p.documents[0].text({"<<"}) == "value");
}

TEST_CASE("the bare scalar = and custom tags read as strings") {
  auto p = parse_yaml("op: =\nsecret: !secret db_password\ninclude: !include other.yaml\nenv: !env_var HOME\n");
  REQUIRE_FALSE(p.error);
  const Node& d = p.documents[0];
  CHECK(d.text({"op"}) == "=");
  CHECK(d.text({"secret"}) == "db_password");
  CHECK(d.text({"include"}) == "other.yaml");
}

TEST_CASE("a duplicate key is an error naming both lines, as in Go's yaml.v3") {
  auto p = parse_yaml("kind: ConfigMap\nmetadata: {name: x}\nkind: Secret\n");
  REQUIRE(p.error);
  CHECK(p.error->line == 3);
  CHECK(p.error->message.find("\"kind\" already defined at line 1") != std::string::npos);
}

TEST_CASE("duplicate detection also works in large maps") {
  std::string text;
  for (int i = 0; i < 40; ++i) text += std::string("k") + std::to_string(i) + ": v\n";
  text += "k7: again\n";
  auto p = parse_yaml(text);
  REQUIRE(p.error);
  CHECK(p.error->line == 41);
}

TEST_CASE("a syntax error reports its line") {
  auto p = parse_yaml("a: 1\nb: [1, 2\nc: 3\n");
  REQUIRE(p.error);
  CHECK(p.error->line >= 2);
  CHECK(p.documents.empty());
}

TEST_CASE("100,000-deep nesting ends with an error, not a stack overflow") {
  std::string flow(100'000, '[');
  flow += std::string(100'000, ']');
  auto p = parse_yaml(flow);
  REQUIRE(p.error);
  std::string block;
  for (int i = 0; i < 100'000; ++i) block += "- ";
  block += "x\n";
  auto q = parse_yaml(block);
  REQUIRE(q.error);
}

TEST_CASE("an alias bomb stops at the node budget") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
    prev = c;
  }
  ParseLimits limits;
  limits.max_nodes = 100'000;
  auto p = parse_yaml(bomb, limits);
  REQUIRE(p.error);
  CHECK(p.error->message.find("alias") != std::string::npos);
}

TEST_CASE("garbage bytes never crash the reader") {
  std::string garbage;
  unsigned x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245u + 12345u;
    garbage += static_cast<char>((x >> 16) & 0xFF);
  }
  auto p = parse_yaml(garbage);
  CHECK((p.error.has_value() || !p.documents.empty() || p.documents.empty()));
  auto q = parse_yaml(std::string("\0\0\xff\xfe{[:", 8));
  (void)q;
}

TEST_CASE("Go JSON encoding sorts keys and escapes HTML as kustomize's hash input needs") {
  auto p = parse_yaml("b: \"<x> & y\"\na: \"line\\nnext\\u2028\"\n");
  REQUIRE_FALSE(p.error);
  CHECK(to_go_json(p.documents[0]) == "{\"a\":\"line\\nnext\\u2028\",\"b\":\"\\u003cx\\u003e \\u0026 y\"}");
}
