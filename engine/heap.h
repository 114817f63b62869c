// Heap: the deterministic allocator behind everything the engine keeps. It
// manages the caller's fixed region, so the same sequence of requests gives
// the same addresses in every run, and hashes every request into memhash.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lx::engine {

// Lifetime: placed at the start of the region by create_in(); lives until the
// engine is destroyed. Not thread-safe (the engine is single-threaded).
//
// Small requests (up to kSmallMaxBytes) go to one of 28 size classes, each a
// LIFO free list plus a 64 KiB slab carved one block at a time, so no memory
// is touched before it is handed out. Larger requests (and the slabs) are
// blocks with a 16-byte boundary tag, kept in power-of-two bins when free,
// taken best fit, split, and coalesced with free neighbours and with the
// untouched top of the region. Every step depends only on the sequence of
// requests, never on addresses or time.
class Heap {
 public:
  // Who is asking. App requests (Lua, channel output) stop short of a reserve
  // at the end of the region, so the engine can still do its own bookkeeping
  // after the app ran out of memory.
  enum class Budget : uint8_t { kInternal, kApp };

  static constexpr std::size_t kAlignBytes = 16;
  static constexpr std::size_t kSmallMaxBytes = 4096;
  static constexpr uint64_t kMinRegionBytes = uint64_t{8} << 20;
  static constexpr uint64_t kRegionAlignBytes = 4096;
  // What create_in needs: the engine puts its region header in front of the
  // heap, so the heap's own range is a little smaller than the region.
  static constexpr uint64_t kMinHeapBytes = uint64_t{4} << 20;
  static constexpr uint64_t kBaseAlignBytes = 64;

  // Constructs a Heap at base and lets it manage the rest of the range.
  // base must be kBaseAlignBytes-aligned, region_bytes >= kMinHeapBytes,
  // and the range all zero. Never fails.
  static Heap* create_in(void* base, uint64_t region_bytes) noexcept;

  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // Returns a 16-byte aligned block of at least size bytes, or nullptr when
  // the budget is exhausted. size 0 is treated as 1.
  void* allocate(std::size_t size, Budget budget) noexcept;
  // Returns a block; size must be the size it was allocated (or last
  // reallocated) with. Null is ignored.
  void deallocate(void* block, std::size_t size) noexcept;
  // Resizes in place when it can, otherwise moves. Returns nullptr (and keeps
  // the old block) when it cannot.
  void* reallocate(void* block, std::size_t old_size, std::size_t new_size, Budget budget) noexcept;

  uint64_t memhash() const { return memhash_; }
  // Bytes handed out: small blocks by their class size, large blocks with
  // their 16-byte header.
  uint64_t bytes_in_use() const { return bytes_in_use_; }
  uint64_t peak_bytes_in_use() const { return peak_bytes_in_use_; }
  // allocate and reallocate calls that succeeded.
  uint64_t allocation_count() const { return allocation_count_; }
  uint64_t live_allocations() const { return live_allocations_; }
  // Requests refused because the budget was exhausted.
  uint64_t failed_allocation_count() const { return failed_allocation_count_; }
  // Offset of the top of the region: every block lies below it, and nothing
  // at or beyond it is in use. Freeing the block below the top lowers it.
  uint64_t top_offset() const { return static_cast<uint64_t>(top_ - base_); }
  // The highest top_offset() ever reached: no byte at or beyond it has ever
  // been written, so it is still zero as mapped. [base, base + this) is
  // everything the heap (and whatever it handed out) holds: a snapshot.
  uint64_t high_water_offset() const { return static_cast<uint64_t>(high_water_ - base_); }
  uint64_t region_bytes() const { return static_cast<uint64_t>(end_ - base_); }
  uint64_t reserve_bytes() const { return static_cast<uint64_t>(end_ - app_limit_); }
  bool contains(const void* p) const;
  uint64_t offset_of(const void* p) const;

 private:
  struct BlockHeader {
    uint64_t prev_size;   // size of the previous block, valid only while it is free
    uint64_t size_flags;  // this block's size (header included) | kInUse | kPrevInUse
  };
  struct FreeLinks {
    BlockHeader* next;
    BlockHeader* prev;
  };
  struct SmallClass {
    unsigned char* free_head;  // LIFO list threaded through the blocks' first word
    unsigned char* carve_cursor;
    unsigned char* carve_end;
  };

  static constexpr uint64_t kInUse = 1;
  static constexpr uint64_t kPrevInUse = 2;
  static constexpr uint64_t kFlagMask = 15;
  static constexpr std::size_t kHeaderBytes = sizeof(BlockHeader);
  static constexpr uint64_t kMinSplitBytes = 64;
  static constexpr std::size_t kSlabBytes = 64 * 1024;
  static constexpr int kClassCount = 28;
  static constexpr int kBinCount = 64;

  Heap(unsigned char* base, uint64_t region_bytes);

  static int class_of(std::size_t size);
  static std::size_t class_size(int size_class);
  static uint64_t large_need(std::size_t size);
  static int bin_of(uint64_t block_bytes);
  static uint64_t block_size(const BlockHeader* b) { return b->size_flags & ~kFlagMask; }
  static FreeLinks* links(BlockHeader* b) { return reinterpret_cast<FreeLinks*>(b + 1); }
  static BlockHeader* at(BlockHeader* b, uint64_t offset_bytes) {
    return reinterpret_cast<BlockHeader*>(reinterpret_cast<unsigned char*>(b) + offset_bytes);
  }
  static BlockHeader* header_of(void* payload) { return static_cast<BlockHeader*>(payload) - 1; }

  unsigned char* limit_for(Budget budget) const;
  void* allocate_small(int size_class, Budget budget);
  void deallocate_small(void* block, int size_class);
  BlockHeader* allocate_large(uint64_t need, Budget budget);
  BlockHeader* take_free_block(uint64_t need);
  void occupy(BlockHeader* b, uint64_t need);
  void free_large(BlockHeader* b);
  bool resize_large_in_place(BlockHeader* b, uint64_t need, Budget budget);
  // Moves top_ to new_top and raises high_water_ with it.
  void set_top(unsigned char* new_top);
  void link(BlockHeader* b);
  void unlink(BlockHeader* b);
  // Folds (operation, offset of block, size) into memhash_.
  void mix_memhash(uint64_t operation, const void* block, std::size_t size);
  void note_allocated(const void* block, std::size_t size, uint64_t charged_bytes);
  void note_freed(const void* block, std::size_t size, uint64_t charged_bytes);

  unsigned char* base_;
  unsigned char* start_;
  unsigned char* top_;
  unsigned char* high_water_;  // max of top_ over the heap's life
  unsigned char* app_limit_;
  unsigned char* end_;
  SmallClass classes_[kClassCount];
  BlockHeader* bins_[kBinCount];
  uint64_t bin_bitmap_ = 0;
  uint64_t memhash_;
  uint64_t bytes_in_use_ = 0;
  uint64_t peak_bytes_in_use_ = 0;
  uint64_t allocation_count_ = 0;
  uint64_t live_allocations_ = 0;
  uint64_t failed_allocation_count_ = 0;
};

}  // namespace lx::engine
