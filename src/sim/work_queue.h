// SPDX-License-Identifier: Apache-2.0
// WorkQueue: one controller's work queue, modelled on controller-runtime v0.24's priority queue (the
// default since kustomize-controller v1.8; flux-semantics.md §3, CR pkg/controller/priorityqueue):
// - one entry per object; an object being processed is locked and never handed to a second worker;
// - an entry added with a delay waits until its ready time, then becomes due: it moves to the ready set
//   and takes a fresh place in the FIFO order (`handleWaitingItems` bumps AddedCounter), so it queues
//   behind whatever became due or was added before that moment;
// - due entries are served by priority (higher first), then in the order they became due (`lessReady`);
//   an entry added without delay is due when added;
// - a second add keeps the earlier ready time (no delay being the earliest) and the higher priority;
//   raising the priority also takes a fresh FIFO place, and a waiting entry made due by an add without
//   delay keeps the place it had.
// Waiting entries that fall due at the same instant become due in `lessWaiting` order (ready time,
// priority, then FIFO place). An entry due at the very instant of another add counts as due first.
// Owned by the engine, one per controller.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "fluxsim/time.h"

namespace fluxsim::sim {

class WorkQueue {
 public:
  /// Items are dense ids (a Kustomization's index, a source's index, ...).
  using Item = std::uint32_t;
  static constexpr int kLowPriority = -100;  ///< controller-runtime's priority for start-up list events

  explicit WorkQueue(std::size_t capacity = 0);

  /// AddWithOpts: due immediately when `after` is zero, else at now + after. Calls must come with
  /// non-decreasing `now` (the engine's clock).
  void add(Item item, SimTime now, Duration after = Duration{0}, int priority = 0);
  struct Popped {
    Item item;
    SimTime due;  ///< when the entry became due (for the time it waited for a worker)
  };
  /// The next item a free worker would get at `now`, removed from the queue and locked; nullopt if none.
  std::optional<Popped> pop_ready(SimTime now);
  /// Done(): unlocks the item; a pending entry for it becomes eligible again.
  void done(Item item);
  /// The earliest future ready time among queued entries (for the engine's wake-up), or kNever.
  SimTime next_ready_after(SimTime now) const;

  bool locked(Item item) const { return item < locked_.size() && locked_[item]; }
  bool queued(Item item) const { return item < slot_.size() && slot_[item].has_value(); }
  /// When the queued entry for `item` is (or was) due; kNever when it is not queued.
  SimTime due(Item item) const;
  /// Number of entries due at `now` and not locked (the queue depth a metrics scrape would show).
  std::size_t depth(SimTime now) const;
  /// Drops every entry and lock (a controller restart).
  void clear();

 private:
  struct Entry {
    bool waiting;      ///< ReadyAt != nil: in the waiting set until ready_at
    SimTime ready_at;  ///< when it is (or became) due
    int priority;
    std::uint64_t added;  ///< AddedCounter: the FIFO place
    Item item;
  };
  struct LessWaiting {  // controller-runtime `lessWaiting`
    bool operator()(const Entry& a, const Entry& b) const;
  };
  struct LessReady {  // controller-runtime `lessReady`
    bool operator()(const Entry& a, const Entry& b) const;
  };
  void grow(Item item);
  /// handleWaitingItems: every waiting entry due at `now` becomes due, in lessWaiting order.
  void promote(SimTime now);
  void insert(const Entry& e);
  void erase(const Entry& e);

  std::set<Entry, LessWaiting> waiting_;
  std::set<Entry, LessReady> ready_;
  std::vector<std::optional<Entry>> slot_;  ///< the entry currently queued for each item
  std::vector<bool> locked_;
  std::uint64_t added_counter_ = 0;
};

}  // namespace fluxsim::sim
