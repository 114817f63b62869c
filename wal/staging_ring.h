// StagingRing: the bounded single-producer, single-consumer byte ring
// between the driver thread (which encodes records into it, with no lock,
// allocation or system call) and the writer thread (which compresses them).
// Records are stored encoded and contiguous; a 0 byte pads a record that
// would not fit before the ring's end (type 0 does not exist). The writer
// thread reads the ring a contiguous stretch at a time (walk_stretches); the
// crash path and recovery walk it record by record, checked. The ring and its
// counters may live in a file mapping (ring_file.h), so that what a killed
// process had staged survives it and is recovered into the log.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>

#include "lx/assert.h"
#include "lx/wal/format.h"

namespace lx::wal {

// The ring's counters, at the start of its memory (a file's first page for a
// file-backed ring). head counts bytes committed by the producer, tail bytes
// the consumer has in the log file; both only grow.
struct RingHeader {
  static constexpr char kMagic[8] = {'L', 'X', 'W', 'R', 'I', 'N', 'G', '1'};
  static constexpr size_t kBytes = 4096;  // the records start a page in
  // What `version` says of the records: 1, CRCs of formats 1 and 2 (an older
  // lx's ring, still recovered); 2, format 3's (what this code stages).
  static constexpr uint32_t kVersion = 2;
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;
  uint64_t capacity;
  // A CRC32C of the log's header frame: the log this ring belongs to.
  uint32_t log_identity;
  uint32_t reserved;
  alignas(64) std::atomic<uint64_t> head;
  alignas(64) std::atomic<uint64_t> tail;
  // 1 once the log holds every staged record (closed, or the crash flush ran).
  std::atomic<uint32_t> settled;
};
static_assert(sizeof(RingHeader) <= RingHeader::kBytes);
// The CRC rule of a ring of that version; false for a version this code
// does not know (a newer lx's ring: left for it to recover).
inline bool ring_record_crc(uint32_t version, RecordCrc* rule) {
  if (version != 1 && version != RingHeader::kVersion) return false;
  *rule = version == 1 ? RecordCrc::kWholeRecord : RecordCrc::kWithoutEvent;
  return true;
}
static_assert(kWrittenRecordCrc == RecordCrc::kWithoutEvent,
              "a new CRC rule needs a new RingHeader::kVersion");
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// Where a ring's header and records live; owns that memory.
class RingMemory {
 public:
  virtual ~RingMemory() = default;
  virtual RingHeader* header() = 0;
  virtual uint8_t* records() = 0;
  virtual size_t capacity() const = 0;
};
// Ordinary memory, for rings that need not outlive the process.
std::unique_ptr<RingMemory> heap_ring_memory(size_t capacity_bytes);

class StagingRing {
 public:
  // memory->capacity() >= 64 KiB. A fresh ring (head 0) or, for recovery,
  // one that holds records already. Its header's version is one
  // ring_record_crc knows (a fresh ring's is RingHeader::kVersion).
  explicit StagingRing(std::unique_ptr<RingMemory> memory);
  StagingRing(const StagingRing&) = delete;
  StagingRing& operator=(const StagingRing&) = delete;

  RingHeader& header() { return *header_; }

  size_t capacity() const { return capacity_; }
  // What the CRCs of the records in it cover (by its header's version).
  RecordCrc record_crc_rule() const { return crc_rule_; }
  // Records larger than this are not staged (LogWriter hands them over).
  size_t max_record_bytes() const { return capacity_ / 2; }

  // ---- Producer (one thread) ----

  // Room for a record of `bytes`, padding to the ring's start if needed;
  // waits (calling before_wait() first, then sleeping on the consumer's
  // progress, then after_wait()) while the consumer is a whole ring behind.
  // @return where to encode it.
  template <typename BeforeWait, typename AfterWait>
  uint8_t* reserve(size_t bytes, BeforeWait&& before_wait, AfterWait&& after_wait) {
    LX_ASSERT(bytes <= max_record_bytes());
    size_t pos = head_pos_;
    const size_t pad = capacity_ - pos < bytes ? capacity_ - pos : 0;
    while (capacity_ - (head_local_ - tail_seen_) < pad + bytes) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (capacity_ - (head_local_ - tail_seen_) >= pad + bytes) break;
      before_wait();
      tail_.wait(tail_seen_, std::memory_order_acquire);
      after_wait();
    }
    if (pad != 0) {
      ring_[pos] = 0;
      head_local_ += pad;
      head_pos_ = 0;
      pos = 0;
    }
    return &ring_[pos];
  }
  // Publishes the `bytes` just encoded at the reserved place.
  void commit(size_t bytes) {
    head_local_ += bytes;
    head_pos_ += bytes;
    if (head_pos_ == capacity_) head_pos_ = 0;
    head_.store(head_local_, std::memory_order_release);
  }
  // Bytes committed since the producer last asked (for waking the consumer
  // every so many bytes rather than per record).
  uint64_t produced() const { return head_local_; }
  // Waits until the consumer has taken everything committed (before_wait and
  // after_wait around each sleep, as in reserve).
  template <typename BeforeWait, typename AfterWait>
  void wait_until_drained(BeforeWait&& before_wait, AfterWait&& after_wait) {
    for (;;) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (tail_seen_ == head_local_) return;
      before_wait();
      tail_.wait(tail_seen_, std::memory_order_acquire);
      after_wait();
    }
  }

  // ---- Consumer (one thread; or the crash path once the process is dying) ----

  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  uint64_t tail() const { return tail_.load(std::memory_order_acquire); }
  // Calls visit(raw, at) for every whole record in [from, to) in ring
  // order, skipping padding; at is the ring address of the record. Checks
  // each record (parse_record and its CRC): the crash frame and ring
  // recovery read what a dying or dead process left. Stops at a record that
  // does not parse (only memory corruption makes one) and returns the
  // position reached. Async-signal-safe if visit is.
  template <typename Visit>
  uint64_t walk(uint64_t from, uint64_t to, Visit&& visit) const {
    return walk_stretches(from, to, [&](const uint8_t* records, size_t bytes, uint64_t) {
      size_t at = 0;
      while (at < bytes && records[at] != 0) {
        RawRecord raw;
        const char* reason = nullptr;
        if (parse_record(records + at, bytes - at, crc_rule_, &raw, &reason) != ParseStatus::kOk)
          break;
        visit(raw, records + at);
        at += raw.record_bytes;
      }
      return at;
    });
  }
  // The writer thread's walk over the records this process encoded a moment
  // ago: calls take(records, bytes, budget) for each stretch of [from, to)
  // that lies contiguous in the ring (up to its end or its padding), and
  // take reads the records itself. take returns the bytes of the whole
  // records it took from the stretch's start: it may stop at a 0 byte
  // (padding), must stop at the first record boundary at or past budget,
  // and takes nothing from a stretch that starts with a record it cannot
  // read (only memory corruption makes one): the walk stops there. Stops also
  // at the first record boundary at or past from + max_bytes. @return the
  // position reached.
  template <typename Take>
  uint64_t walk_stretches(uint64_t from, uint64_t to, Take&& take,
                          uint64_t max_bytes = UINT64_MAX) const {
    uint64_t t = from;
    const uint64_t stop = to - from > max_bytes ? from + max_bytes : to;
    // The ring position of t, moved along with it (no division per record):
    // a record never crosses the ring's end, so it ends at most there.
    size_t pos = t % capacity_;
    while (t < stop) {
      if (ring_[pos] == 0) {
        t += capacity_ - pos;
        pos = 0;
        continue;
      }
      const size_t avail = static_cast<size_t>(std::min<uint64_t>(capacity_ - pos, to - t));
      const size_t taken = take(static_cast<const uint8_t*>(&ring_[pos]), avail, stop - t);
      if (taken == 0) return t;
      t += taken;
      pos += taken;
      if (pos == capacity_) pos = 0;
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
  std::unique_ptr<RingMemory> memory_;
  RingHeader* header_;
  const size_t capacity_;
  uint8_t* ring_;
  std::atomic<uint64_t>& head_;
  std::atomic<uint64_t>& tail_;
  RecordCrc crc_rule_ = kWrittenRecordCrc;  // of the records in it, by the header's version
  // Producer-only copies.
  uint64_t head_local_ = 0;
  size_t head_pos_ = 0;  // head_local_ % capacity_, moved along with it (no division per record)
  uint64_t tail_seen_ = 0;
};

}  // namespace lx::wal
