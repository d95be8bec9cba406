// SPDX-License-Identifier: Apache-2.0
#include "sim/work_queue.h"

#include <doctest/doctest.h>

using namespace fluxsim;
using fluxsim::sim::WorkQueue;
using namespace std::chrono_literals;

TEST_CASE("the work queue serves immediate entries first, then by due time, priority and age") {
  WorkQueue q;
  const SimTime t0{};
  q.add(1, t0, 10s);
  q.add(2, t0, 5s);
  q.add(3, t0 + 1s);  // immediate, added at 1s
  q.add(4, t0, 5s, 10);
  CHECK(q.pop_ready(t0 + 1s)->item == 3);
  CHECK_FALSE(q.pop_ready(t0 + 4s).has_value());
  CHECK(q.pop_ready(t0 + 5s)->item == 4);  // same due time as 2, higher priority
  CHECK(q.pop_ready(t0 + 20s)->item == 2);
  auto last = q.pop_ready(t0 + 20s);
  CHECK(last->item == 1);
  CHECK(last->due == t0 + 10s);  // it waited 10s for a worker
}

TEST_CASE("a second add keeps the earlier due time and the higher priority") {
  WorkQueue q;
  const SimTime t0{};
  q.add(7, t0, 30s);
  q.add(7, t0, 60s);
  CHECK(q.due(7) == t0 + 30s);
  q.add(7, t0 + 1s);  // an event: immediate
  CHECK(q.pop_ready(t0 + 1s)->item == 7);
  CHECK_FALSE(q.queued(7));
}

TEST_CASE("an object being processed is never handed to a second worker") {
  WorkQueue q;
  const SimTime t0{};
  q.add(5, t0);
  REQUIRE(q.pop_ready(t0)->item == 5);
  q.add(5, t0);  // event while processing: marked, not served
  CHECK_FALSE(q.pop_ready(t0).has_value());
  q.done(5);
  CHECK(q.pop_ready(t0)->item == 5);
}
