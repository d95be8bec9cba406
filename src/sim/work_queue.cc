// SPDX-License-Identifier: Apache-2.0
#include "sim/work_queue.h"

#include <tuple>

namespace fluxsim::sim {

// controller-runtime v0.24 pkg/controller/priorityqueue `lessWaiting`: ready time, then lessReady.
bool WorkQueue::LessWaiting::operator()(const Entry& a, const Entry& b) const {
  if (a.ready_at != b.ready_at) return a.ready_at < b.ready_at;
  return LessReady{}(a, b);
}

// `lessReady`: priority (higher first), then the order in which the entries became due.
bool WorkQueue::LessReady::operator()(const Entry& a, const Entry& b) const {
  if (a.priority != b.priority) return a.priority > b.priority;
  return std::tie(a.added, a.item) < std::tie(b.added, b.item);
}

WorkQueue::WorkQueue(std::size_t capacity) : slot_(capacity), locked_(capacity, false) {}

void WorkQueue::grow(Item item) {
  if (item >= slot_.size()) {
    slot_.resize(item + 1);
    locked_.resize(item + 1, false);
  }
}

void WorkQueue::insert(const Entry& e) {
  if (e.waiting)
    waiting_.insert(e);
  else
    ready_.insert(e);
  slot_[e.item] = e;
}

void WorkQueue::erase(const Entry& e) {
  // `e` may be the set's own element (erase(*ready_.begin())): read it before the node is freed.
  const Item item = e.item;
  if (e.waiting)
    waiting_.erase(e);
  else
    ready_.erase(e);
  slot_[item].reset();
}

void WorkQueue::promote(SimTime now) {
  while (!waiting_.empty() && waiting_.begin()->ready_at <= now) {
    Entry e = *waiting_.begin();
    erase(e);
    e.waiting = false;
    e.added = added_counter_++;  // "sorted by when they became ready, not when they were added"
    insert(e);
  }
}

void WorkQueue::add(Item item, SimTime now, Duration after, int priority) {
  grow(item);
  promote(now);
  const bool immediate = after.count() <= 0;
  const SimTime ready_at = immediate ? now : now + after;
  if (!slot_[item]) {
    insert(Entry{!immediate, ready_at, priority, added_counter_++, item});
    return;
  }
  // De-duplicate: the earlier ready time (no delay being the earliest) and the higher priority; a higher
  // priority takes a fresh FIFO place, anything else keeps the old one.
  Entry e = *slot_[item];
  erase(e);
  if (e.waiting && (immediate || ready_at < e.ready_at)) {
    e.waiting = !immediate;
    e.ready_at = ready_at;
  }
  if (priority > e.priority) {
    e.priority = priority;
    e.added = added_counter_++;
  }
  insert(e);
}

std::optional<WorkQueue::Popped> WorkQueue::pop_ready(SimTime now) {
  promote(now);
  for (auto it = ready_.begin(); it != ready_.end(); ++it) {
    if (locked_[it->item]) continue;
    Popped out{it->item, it->ready_at};
    const Entry e = *it;  // a copy: erase frees the node `it` points to
    erase(e);
    locked_[out.item] = true;
    return out;
  }
  return std::nullopt;
}

void WorkQueue::done(Item item) {
  grow(item);
  locked_[item] = false;
}

SimTime WorkQueue::next_ready_after(SimTime now) const {
  for (const Entry& e : waiting_)
    if (e.ready_at > now) return e.ready_at;
  return kNever;
}

SimTime WorkQueue::due(Item item) const {
  if (!queued(item)) return kNever;
  return slot_[item]->ready_at;
}

std::size_t WorkQueue::depth(SimTime now) const {
  std::size_t n = 0;
  for (const Entry& e : ready_) n += locked_[e.item] ? 0 : 1;
  for (const Entry& e : waiting_) {
    if (e.ready_at > now) break;
    if (!locked_[e.item]) ++n;
  }
  return n;
}

void WorkQueue::clear() {
  waiting_.clear();
  ready_.clear();
  for (auto& s : slot_) s.reset();
  locked_.assign(locked_.size(), false);
}

}  // namespace fluxsim::sim
