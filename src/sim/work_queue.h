// SPDX-License-Identifier: Apache-2.0
// WorkQueue: one controller's work queue, modelled on controller-runtime's priority queue (the default
// since kustomize-controller v1.8): one entry per object; a second add keeps the higher priority and
// the earlier ready time; an object being processed is locked and never handed to a second worker.
// Ready entries are served in controller-runtime's `less` order: added without delay first, then by
// ready time, then priority (higher first), then first-added order. Owned by the engine, one per controller.
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

  /// AddWithOpts: ready immediately when `after` is zero, else at now + after.
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
    bool immediate;    ///< ReadyAt == nil
    SimTime ready_at;  ///< meaningful when !immediate
    int priority;
    std::uint64_t added;
    Item item;
  };
  struct Less {
    bool operator()(const Entry& a, const Entry& b) const;
  };
  void grow(Item item);

  std::set<Entry, Less> entries_;
  std::vector<std::optional<Entry>> slot_;  ///< the entry currently queued for each item
  std::vector<bool> locked_;
  std::uint64_t added_counter_ = 0;
};

}  // namespace fluxsim::sim
