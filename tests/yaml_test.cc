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

// ---------------------------------------------------------------------------------------------------
// Hostile input (issues 13 and 15): errors with line:col, limits counted before the tree grows, and
// linear time on the shapes that used to be quadratic. These assert what is reported, not how fast.

TEST_CASE("a document starting with a comma is an error at 1:1, not a hang (yaml-cpp 0.7 looped for ever)") {
  for (const char* text : {",", ",a", ",\n", "--- ,\n", "a: 1\n---\n,b\n"}) {
    INFO(text);
    auto p = parse_yaml(text);
    REQUIRE(p.error);
    CHECK(p.error->message == "did not find expected node content");
    CHECK(p.documents.empty());
  }
  auto p = parse_yaml(",a");
  CHECK(p.error->line == 1);
  CHECK(p.error->column == 1);
  auto q = parse_yaml("a: 1\n---\n,b\n");
  CHECK(q.error->line == 3);
}

TEST_CASE("a file over the size limit is refused before it is parsed") {
  ParseLimits limits;
  limits.max_file_bytes = 1024;
  std::string text;
  while (text.size() <= 1024) text += "- item\n";
  auto p = parse_yaml(text, limits);
  REQUIRE(p.error);
  CHECK(p.error->line == 1);
  CHECK(p.error->message.find("more than the 1 KiB a YAML file may hold") != std::string::npos);
  text.resize(1024);
  CHECK_FALSE(parse_yaml(text, limits).error);
}

TEST_CASE("a string over the scalar limit is an error at its line") {
  ParseLimits limits;
  limits.max_scalar_bytes = 4096;
  const std::string text = "a: short\nb: " + std::string(5000, 'x') + "\n";
  auto p = parse_yaml(text, limits);
  REQUIRE(p.error);
  CHECK(p.error->line == 2);
  CHECK(p.error->column == 4);
  CHECK(p.error->message.find("longer than the 4 KiB limit") != std::string::npos);
}

TEST_CASE("the node budget and the depth limit stop the reader where they are crossed") {
  ParseLimits limits;
  limits.max_nodes = 1000;
  std::string list;
  for (int i = 0; i < 2000; ++i) list += "- x\n";
  auto p = parse_yaml(list, limits);
  REQUIRE(p.error);
  CHECK(p.error->line == 1000);  // the list is node 1, so the item on line 1000 is node 1001
  CHECK(p.error->message.find("more than 1000 nodes") != std::string::npos);

  limits = {};
  limits.max_depth = 5;
  auto d = parse_yaml("a:\n  b:\n    c:\n      d:\n        e:\n          f: 1\n", limits);
  REQUIRE(d.error);
  CHECK(d.error->line == 6);
  CHECK(d.error->message == "nested more than 5 levels deep");
}

TEST_CASE("merging a 100,000-key map with << completes, explicit keys first") {
  std::string text = "base: &b\n";
  for (int i = 0; i < 100'000; ++i) text += "  k" + std::to_string(i) + ": v\n";
  text += "m:\n  k5: mine\n  <<: *b\n";
  auto p = parse_yaml(text);
  REQUIRE_FALSE(p.error);
  const Node* m = p.documents[0].get("m");
  REQUIRE(m);
  CHECK(m->fields.size() == 100'000);
  CHECK(m->fields[0].key == "k5");
  CHECK(m->fields[0].value.value == "mine");
  CHECK(m->fields[1].key == "k0");
  CHECK(m->fields.back().key == "k99999");
  CHECK(*p.documents[0].get("base") != *m);
}

TEST_CASE("150,000 quoted list items and 150,000 empty ones read in one pass, each where it is written") {
  std::string quoted, empty;
  for (int i = 0; i < 150'000; ++i) {
    quoted += "- \"item\"\n";
    empty += "-\n";
  }
  auto q = parse_yaml("list:\n" + quoted);
  REQUIRE_FALSE(q.error);
  const Node* items = q.documents[0].get("list");
  REQUIRE(items->items.size() == 150'000);
  CHECK(items->items.back().quoted);
  CHECK(items->items.back().line == 150'001);
  CHECK(items->items.back().column == 3);

  auto e = parse_yaml("list:\n" + empty);
  REQUIRE_FALSE(e.error);
  const Node* nulls = e.documents[0].get("list");
  REQUIRE(nulls->items.size() == 150'000);
  CHECK(nulls->items[1000].is_null());
  CHECK(nulls->items[1000].line == 1002);  // an empty item is located at its `-`
  CHECK(nulls->items[1000].column == 1);
}

TEST_CASE("keys remember their position; an empty value is located at its key") {
  auto p = parse_yaml("top:\n  empty:\n  tilde: ~\n  list:\n    -\n    - x\n");
  REQUIRE_FALSE(p.error);
  const Node& top = *p.documents[0].get("top");
  CHECK(top.fields[0].line == 2);
  CHECK(top.fields[0].column == 3);
  CHECK(top.fields[0].value.is_null());
  CHECK(top.fields[0].value.line == 2);
  CHECK(top.fields[0].value.column == 3);
  CHECK(top.fields[1].value.column == 10);  // an explicit ~ is where it is written
  CHECK(top.get("list")->items[0].line == 5);
  CHECK(top.get("list")->items[0].column == 5);
}

TEST_CASE("YAML 1.1/1.2 scalars as the loader relies on them: only plain, untagged null spellings are null") {
  auto p = parse_yaml("a: null\nb: \"null\"\nc: !!str ~\nd: NULL\ne: yes\nf: 0x10\ng: !custom ~\nh: 'x'\ni: |\n  t\n");
  REQUIRE_FALSE(p.error);
  const Node& d = p.documents[0];
  CHECK(d.get("a")->is_null());
  CHECK(d.get("b")->value == "null");
  CHECK(d.get("b")->quoted);
  CHECK(d.get("c")->quoted);
  CHECK(d.get("c")->value == "~");
  CHECK(d.get("d")->is_null());
  CHECK_FALSE(d.get("e")->as_bool().has_value());  // YAML 1.1's yes is a string, as in Go's yaml.v3
  CHECK(d.get("f")->value == "0x10");
  CHECK(d.get("g")->is_scalar());
  CHECK(d.get("g")->tagged);
  CHECK(d.get("h")->style == Node::Style::SingleQuoted);
  CHECK(d.get("i")->style == Node::Style::Literal);
}

TEST_CASE("invalid UTF-8 is an error naming its line") {
  auto p = parse_yaml(std::string("a: ok\nb: \xff\xfe\n"));
  REQUIRE(p.error);
  CHECK(p.error->line == 2);
}
