// SPDX-License-Identifier: Apache-2.0
// EventQueue: the discrete-event calendar. A binary min-heap keyed by (time, priority, sequence): the
// sequence number makes the order of simultaneous events total and deterministic (never an address
// or a hash). Knows nothing about Flux; the engine owns one per run.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "fluxsim/time.h"

namespace fluxsim::sim {

/// Order of simultaneous events: state changes first, then observations of that state, then timers
/// that only wake a work queue. So a health poll at t sees a Kustomization that became Ready at t.
enum class EventPriority : std::uint8_t { StateChange = 0, Observation = 1, Wakeup = 2 };

template <typename Payload>
class EventQueue {
 public:
  struct Entry {
    SimTime at;
    EventPriority priority;
    std::uint64_t seq;
    Payload payload;
  };

  void push(SimTime at, EventPriority priority, Payload payload) {
    heap_.push_back(Entry{at, priority, next_seq_++, std::move(payload)});
    sift_up(heap_.size() - 1);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.front(); }
  Entry pop() {
    Entry out = std::move(heap_.front());
    heap_.front() = std::move(heap_.back());
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0);
    return out;
  }
  void clear() { heap_.clear(); }

 private:
  static bool before(const Entry& a, const Entry& b) {
    if (a.at != b.at) return a.at < b.at;
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.seq < b.seq;
  }
  void sift_up(std::size_t i) {
    while (i > 0) {
      std::size_t parent = (i - 1) / 2;
      if (!before(heap_[i], heap_[parent])) break;
      std::swap(heap_[i], heap_[parent]);
      i = parent;
    }
  }
  void sift_down(std::size_t i) {
    for (;;) {
      std::size_t l = 2 * i + 1, r = l + 1, best = i;
      if (l < heap_.size() && before(heap_[l], heap_[best])) best = l;
      if (r < heap_.size() && before(heap_[r], heap_[best])) best = r;
      if (best == i) return;
      std::swap(heap_[i], heap_[best]);
      i = best;
    }
  }

  std::vector<Entry> heap_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace fluxsim::sim
