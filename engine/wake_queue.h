// WakeQueue: the engine times at which the app asked to run again
// (lx.wake_at, lx.after), so a driver that does not tick can sleep until the
// earliest one (the next_wake query) and an idle server feeds no events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "app_memory.h"
#include "heap.h"

namespace lx::engine {

// A binary min-heap of wake times in the app's share of the heap region,
// charged to the app's memory (each pending time costs 8 bytes of the
// array's capacity). heap and memory must outlive it.
class WakeQueue {
 public:
  WakeQueue(Heap& heap, AppMemory& memory) noexcept : heap_(&heap), memory_(&memory) {}
  ~WakeQueue();
  WakeQueue(const WakeQueue&) = delete;
  WakeQueue& operator=(const WakeQueue&) = delete;

  // Adds a wake time. @return false, changing nothing, when the app's memory
  // (its cap, or the region's app budget) cannot hold one more.
  bool push(double seconds);
  // Removes every wake time at or before now_seconds: the update about to
  // run answers them.
  void consume_due(double now_seconds);
  // The earliest pending wake time, or nullopt when none is pending.
  std::optional<double> earliest() const;
  std::size_t size() const { return count_; }

 private:
  // Moves the times into an array of capacity. @return false when it cannot.
  bool resize(std::size_t capacity);
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);

  Heap* heap_;
  AppMemory* memory_;
  double* times_ = nullptr;
  std::size_t count_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace lx::engine
