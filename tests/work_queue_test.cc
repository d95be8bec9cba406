// SPDX-License-Identifier: Apache-2.0
#include "sim/work_queue.h"

#include <doctest/doctest.h>

using namespace fluxsim;
using fluxsim::sim::WorkQueue;
using namespace std::chrono_literals;

TEST_CASE("the work queue serves due entries by priority, then in the order they became due") {
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

// flux-semantics.md §3 "Queue type": controller-runtime v0.24's priority queue serves due items by
// priority, then in the order they became due (`lessReady`); a delayed item takes its FIFO place when
// its delay runs out (`handleWaitingItems`), not when it was added.
TEST_CASE("one worker: an item due since a requeue is served before an event that arrives later") {
  WorkQueue q;
  const SimTime t0{};
  // t=0: the only worker takes `busy` (say a 10s apply); `requeued` ends a pass and asks for 5s.
  q.add(1, t0);
  REQUIRE(q.pop_ready(t0)->item == 1);
  q.add(2, t0, 5s);  // due at 5s
  // t=8s: a watch event adds `fresh` without delay while the worker is still busy.
  q.add(3, t0 + 8s);
  CHECK(q.depth(t0 + 8s) == 2);
  // t=10s: the worker is free. `requeued` became due at 5s, `fresh` at 8s: 5s < 8s, so `requeued`
  // goes first and has waited 10s - 5s = 5s for the worker; `fresh` waits 10s - 8s = 2s more.
  q.done(1);
  auto first = q.pop_ready(t0 + 10s);
  REQUIRE(first);
  CHECK(first->item == 2);
  CHECK(first->due == t0 + 5s);
  auto second = q.pop_ready(t0 + 10s);
  REQUIRE(second);
  CHECK(second->item == 3);
  CHECK(second->due == t0 + 8s);
}

TEST_CASE("one worker: priority still comes before the order of becoming due") {
  WorkQueue q;
  const SimTime t0{};
  // A start-up list entry (priority -100) due at 0 and an ordinary event at 3s: the event goes first.
  q.add(1, t0, Duration{0}, WorkQueue::kLowPriority);
  q.add(2, t0 + 3s);
  CHECK(q.pop_ready(t0 + 3s)->item == 2);
  CHECK(q.pop_ready(t0 + 3s)->item == 1);
}

TEST_CASE("a delayed item re-added without delay keeps its FIFO place; a raised priority takes a new one") {
  WorkQueue q;
  const SimTime t0{};
  q.add(1, t0, 30s);  // FIFO place 0, waiting
  q.add(2, t0 + 1s);  // place 1, due
  q.add(1, t0 + 2s);  // due now, keeps place 0 (controller-runtime moves it without a new AddedCounter)
  CHECK(q.pop_ready(t0 + 2s)->item == 1);
  CHECK(q.pop_ready(t0 + 2s)->item == 2);
  q.add(3, t0 + 3s, Duration{0}, WorkQueue::kLowPriority);  // place 2, priority -100
  q.add(4, t0 + 3s);                                        // place 3, priority 0
  q.add(3, t0 + 4s);  // raised to 0: a fresh place 4, so now behind 4 (same priority, later place)
  CHECK(q.pop_ready(t0 + 4s)->item == 4);
  CHECK(q.pop_ready(t0 + 4s)->item == 3);
}

TEST_CASE("entries falling due at one instant become due by ready time, then priority, then FIFO") {
  WorkQueue q;
  const SimTime t0{};
  q.add(1, t0, 9s);
  q.add(2, t0, 7s);
  q.add(3, t0 + 2s, 7s);  // due at 9s too, added after 1
  // Nothing is popped until 20s: they fell due at 7s (2), then 9s (1 before 3: same time, FIFO).
  CHECK(q.pop_ready(t0 + 20s)->item == 2);
  CHECK(q.pop_ready(t0 + 20s)->item == 1);
  CHECK(q.pop_ready(t0 + 20s)->item == 3);
  CHECK(q.next_ready_after(t0 + 20s) == kNever);
}
