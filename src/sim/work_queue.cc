// SPDX-License-Identifier: Apache-2.0
#include "sim/work_queue.h"

namespace fluxsim::sim {

// controller-runtime pkg/controller/priorityqueue `less`.
bool WorkQueue::Less::operator()(const Entry& a, const Entry& b) const {
  if (a.immediate != b.immediate) return a.immediate;
  if (!a.immediate && a.ready_at != b.ready_at) return a.ready_at < b.ready_at;
  if (a.priority != b.priority) return a.priority > b.priority;
  return a.added < b.added;
}

WorkQueue::WorkQueue(std::size_t capacity) : slot_(capacity), locked_(capacity, false) {}

void WorkQueue::grow(Item item) {
  if (item >= slot_.size()) {
    slot_.resize(item + 1);
    locked_.resize(item + 1, false);
  }
}

void WorkQueue::add(Item item, SimTime now, Duration after, int priority) {
  grow(item);
  const bool immediate = after.count() <= 0;
  const SimTime ready_at = immediate ? now : now + after;
  if (!slot_[item]) {
    Entry e{immediate, ready_at, priority, added_counter_++, item};
    entries_.insert(e);
    slot_[item] = e;
    return;
  }
  // De-duplicate: the max of the priorities and the min of the ready times (nil being the minimum).
  Entry e = *slot_[item];
  entries_.erase(e);
  if (priority > e.priority) e.priority = priority;
  if (!e.immediate && (immediate || ready_at < e.ready_at)) {
    e.immediate = immediate;
    e.ready_at = ready_at;
  }
  entries_.insert(e);
  slot_[item] = e;
}

std::optional<WorkQueue::Popped> WorkQueue::pop_ready(SimTime now) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (!it->immediate && it->ready_at > now) return std::nullopt;  // the rest are later still
    if (locked_[it->item]) continue;
    Popped out{it->item, it->ready_at};
    slot_[out.item].reset();
    entries_.erase(it);
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
  for (const Entry& e : entries_) {
    if (e.immediate || e.ready_at <= now) continue;
    return e.ready_at;
  }
  return kNever;
}

SimTime WorkQueue::due(Item item) const {
  if (!queued(item)) return kNever;
  return slot_[item]->ready_at;
}

std::size_t WorkQueue::depth(SimTime now) const {
  std::size_t n = 0;
  for (const Entry& e : entries_) {
    if (!e.immediate && e.ready_at > now) break;
    if (!locked_[e.item]) ++n;
  }
  return n;
}

void WorkQueue::clear() {
  entries_.clear();
  for (auto& s : slot_) s.reset();
  locked_.assign(locked_.size(), false);
}

}  // namespace fluxsim::sim
