// The staging ring over its memory, and ordinary (heap) ring memory.
#include "staging_ring.h"

#include <cstring>
#include <new>

namespace lx::wal {
namespace {

class HeapRingMemory final : public RingMemory {
 public:
  explicit HeapRingMemory(size_t capacity)
      // Zeroed, so that every page is in memory before the first append
      // (as ring_file.cc does for a file): no page fault on the driver
      // thread during the first lap.
      : capacity_(capacity), bytes_(new uint8_t[RingHeader::kBytes + capacity]()) {
    header_ = new (bytes_.get()) RingHeader{};
    header_->version = RingHeader::kVersion;
  }
  RingHeader* header() override { return header_; }
  uint8_t* records() override { return bytes_.get() + RingHeader::kBytes; }
  size_t capacity() const override { return capacity_; }

 private:
  size_t capacity_;
  std::unique_ptr<uint8_t[]> bytes_;
  RingHeader* header_;
};

}  // namespace

std::unique_ptr<RingMemory> heap_ring_memory(size_t capacity_bytes) {
  return std::make_unique<HeapRingMemory>(capacity_bytes);
}

StagingRing::StagingRing(std::unique_ptr<RingMemory> memory)
    : memory_(std::move(memory)),
      header_(memory_->header()),
      capacity_(memory_->capacity()),
      ring_(memory_->records()),
      head_(header_->head),
      tail_(header_->tail) {
  LX_ASSERT_OP(capacity_, >=, size_t{64} << 10);
  const bool known_version = ring_record_crc(header_->version, &crc_rule_);
  LX_ASSERT(known_version);
  head_local_ = head_.load();
  head_pos_ = static_cast<size_t>(head_local_ % capacity_);
  tail_seen_ = tail_.load();
}

}  // namespace lx::wal
