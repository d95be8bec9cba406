// SPDX-License-Identifier: Apache-2.0
#include "load/limits.h"

#include <utility>
#include <vector>

namespace fluxsim::load {

std::size_t tree_bytes(const Node& node, std::size_t stop_after) {
  std::size_t total = 0;
  std::vector<const Node*> todo{&node};
  while (!todo.empty() && total <= stop_after) {
    const Node* n = todo.back();
    todo.pop_back();
    total += kBytesPerNode + n->value.size();
    for (const Node& i : n->items) todo.push_back(&i);
    for (const Field& f : n->fields) {
      total += f.key.size();
      todo.push_back(&f.value);
    }
  }
  return total;
}

int tree_depth(const Node& node) {
  int deepest = 0;
  std::vector<std::pair<const Node*, int>> todo{{&node, 1}};
  while (!todo.empty()) {
    auto [n, d] = todo.back();
    todo.pop_back();
    if (d > deepest) deepest = d;
    for (const Node& i : n->items) todo.emplace_back(&i, d + 1);
    for (const Field& f : n->fields) todo.emplace_back(&f.value, d + 1);
  }
  return deepest;
}

}  // namespace fluxsim::load
