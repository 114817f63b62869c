// StagingRing: the bounded single-producer, single-consumer byte ring
// between the driver thread (which encodes records into it, with no lock,
// allocation or system call) and the writer thread (which compresses them).
// Records are stored encoded and contiguous; a 0 byte pads a record that
// would not fit before the ring's end (type 0 does not exist). The same walk
// over the ring serves the writer thread and the crash path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "lx/assert.h"
#include "lx/wal/format.h"

namespace lx::wal {

class StagingRing {
 public:
  // capacity_bytes >= 64 KiB.
  explicit StagingRing(size_t capacity_bytes);
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  size_t capacity() const { return capacity_; }
  // Records larger than this are not staged (LogWriter hands them over).
  size_t max_record_bytes() const { return capacity_ / 2; }

  // ---- Producer (one thread) ----

  // Room for a record of `bytes`, padding to the ring's start if needed;
  // waits (calling wake() first, then sleeping on the consumer's progress)
  // while the consumer is a whole ring behind. @return where to encode it.
  template <typename Wake>
  uint8_t* reserve(size_t bytes, Wake&& wake) {
    LX_ASSERT(bytes <= max_record_bytes());
    size_t pos = head_local_ % capacity_;
    const size_t pad = capacity_ - pos < bytes ? capacity_ - pos : 0;
    while (capacity_ - (head_local_ - tail_seen_) < pad + bytes) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (capacity_ - (head_local_ - tail_seen_) >= pad + bytes) break;
      wake();
      tail_.wait(tail_seen_, std::memory_order_acquire);
    }
    if (pad != 0) {
      ring_[pos] = 0;
      head_local_ += pad;
      pos = 0;
    }
    return &ring_[pos];
  }
  // Publishes the `bytes` just encoded at the reserved place.
  void commit(size_t bytes) {
    head_local_ += bytes;
    head_.store(head_local_, std::memory_order_release);
  }
  // Bytes committed since the producer last asked (for waking the consumer
  // every so many bytes rather than per record).
  uint64_t produced() const { return head_local_; }
  // Waits until the consumer has taken everything committed.
  template <typename Wake>
  void wait_until_drained(Wake&& wake) {
    for (;;) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (tail_seen_ == head_local_) return;
      wake();
      tail_.wait(tail_seen_, std::memory_order_acquire);
    }
  }

  // ---- Consumer (one thread; or the crash path once the process is dying) ----

  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  uint64_t tail() const { return tail_.load(std::memory_order_acquire); }
  // Calls visit(raw, run_start) for every whole record in [from, to) in ring
  // order, skipping padding. run_start is the ring address of the record.
  // Stops at a record that does not parse (only memory corruption makes one)
  // and returns the position reached. Async-signal-safe if visit is.
  template <typename Visit>
  uint64_t walk(uint64_t from, uint64_t to, Visit&& visit) const {
    uint64_t t = from;
    while (t < to) {
      const size_t pos = t % capacity_;
      if (ring_[pos] == 0) {
        t += capacity_ - pos;
        continue;
      }
      RawRecord raw;
      const char* reason = nullptr;
      const size_t avail = static_cast<size_t>(std::min<uint64_t>(capacity_ - pos, to - t));
      if (parse_record(&ring_[pos], avail, &raw, &reason) != ParseStatus::kOk) return t;
      visit(raw, static_cast<const uint8_t*>(&ring_[pos]));
      t += raw.record_bytes;
    }
    return t;
  }
  // Releases everything before `to` to the producer.
  void release(uint64_t to) {
    if (tail_.load(std::memory_order_relaxed) == to) return;
    tail_.store(to, std::memory_order_release);
    tail_.notify_all();
  }

 private:
  const size_t capacity_;
  std::unique_ptr<uint8_t[]> ring_;
  // head_ counts bytes committed by the producer, tail_ bytes the consumer
  // released; both only grow.
  std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> tail_{0};
  // Producer-only copies.
  uint64_t head_local_ = 0;
  uint64_t tail_seen_ = 0;
};

}  // namespace lx::wal
