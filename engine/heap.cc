// The deterministic heap: size classes for small blocks, boundary-tagged
// large blocks with best-fit bins and coalescing, and the running memhash.
#include "heap.h"

#include <array>
#include <cstring>
#include <new>

#include "engine_assert.h"
#include "hash64.h"

namespace lx::engine {
namespace {

constexpr std::array<uint16_t, 28> kClassSizes = {
    16,  32,  48,  64,  80,  96,   112,  128,  160,  192,  224,  256,  320,  384,
    448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096};

// Maps (size + 15) / 16 to the smallest class that holds size.
constexpr std::array<uint8_t, 257> make_class_table() {
  std::array<uint8_t, 257> table{};
  int size_class = 0;
  for (int units = 0; units <= 256; ++units) {
    while (kClassSizes[size_class] < units * 16) ++size_class;
    table[units] = static_cast<uint8_t>(size_class);
  }
  return table;
}
constexpr std::array<uint8_t, 257> kClassOfUnits = make_class_table();

constexpr uint64_t kOpAllocate = uint64_t{1} << 56;
constexpr uint64_t kOpFree = uint64_t{2} << 56;

constexpr uint64_t round_up(uint64_t value, uint64_t align) {
  return (value + align - 1) & ~(align - 1);
}

}  // namespace

Heap* Heap::create_in(void* base, uint64_t region_bytes) noexcept {
  LX_ENGINE_ASSERT(base != nullptr);
  LX_ENGINE_ASSERT(reinterpret_cast<uintptr_t>(base) % kBaseAlignBytes == 0);
  LX_ENGINE_ASSERT(region_bytes >= kMinHeapBytes);
  return new (base) Heap(static_cast<unsigned char*>(base), region_bytes);
}

Heap::Heap(unsigned char* base, uint64_t region_bytes)
    : base_(base),
      start_(base + round_up(sizeof(Heap), 64)),
      top_(start_),
      high_water_(start_),
      app_limit_(nullptr),
      end_(base + region_bytes),
      classes_{},
      bins_{},
      memhash_(Hash64::kInitial) {
  // The reserve: 1% of the region, at least 1 MiB and at most 64 MiB.
  uint64_t reserve = region_bytes / 100;
  if (reserve < (uint64_t{1} << 20)) reserve = uint64_t{1} << 20;
  if (reserve > (uint64_t{64} << 20)) reserve = uint64_t{64} << 20;
  app_limit_ = end_ - reserve;
}

bool Heap::contains(const void* p) const {
  auto* byte = static_cast<const unsigned char*>(p);
  return byte >= start_ && byte < end_;
}

uint64_t Heap::offset_of(const void* p) const {
  LX_ENGINE_ASSERT(contains(p));
  return static_cast<uint64_t>(static_cast<const unsigned char*>(p) - base_);
}

int Heap::class_of(std::size_t size) { return kClassOfUnits[(size + 15) / 16]; }

std::size_t Heap::class_size(int size_class) { return kClassSizes[size_class]; }

uint64_t Heap::large_need(std::size_t size) {
  uint64_t need = round_up(uint64_t{size} + kHeaderBytes, kAlignBytes);
  return need < 32 ? 32 : need;
}

int Heap::bin_of(uint64_t block_bytes) { return 63 - __builtin_clzll(block_bytes); }

unsigned char* Heap::limit_for(Budget budget) const {
  return budget == Budget::kApp ? app_limit_ : end_;
}

void* Heap::allocate(std::size_t size, Budget budget) noexcept {
  if (size == 0) size = 1;
  if (size <= kSmallMaxBytes) {
    int size_class = class_of(size);
    void* block = allocate_small(size_class, budget);
    if (block == nullptr) {
      ++failed_allocation_count_;
      return nullptr;
    }
    note_allocated(block, size, class_size(size_class));
    return block;
  }
  if (size > uint64_t{1} << 48) {  // larger than any region: refuse before overflowing
    ++failed_allocation_count_;
    return nullptr;
  }
  BlockHeader* b = allocate_large(large_need(size), budget);
  if (b == nullptr) {
    ++failed_allocation_count_;
    return nullptr;
  }
  note_allocated(b + 1, size, block_size(b));
  return b + 1;
}

void Heap::deallocate(void* block, std::size_t size) noexcept {
  if (block == nullptr) return;
  LX_ENGINE_ASSERT(contains(block));
  if (size == 0) size = 1;
  if (size <= kSmallMaxBytes) {
    int size_class = class_of(size);
    note_freed(block, size, class_size(size_class));
    deallocate_small(block, size_class);
    return;
  }
  BlockHeader* b = header_of(block);
  LX_ENGINE_ASSERT_MSG((b->size_flags & kInUse) != 0, "double free of a large block");
  LX_ENGINE_ASSERT_MSG(block_size(b) >= large_need(size), "free with a size larger than the block");
  note_freed(block, size, block_size(b));
  free_large(b);
}

void* Heap::reallocate(void* block, std::size_t old_size, std::size_t new_size,
                       Budget budget) noexcept {
  if (block == nullptr) return allocate(new_size, budget);
  if (new_size == 0) {
    deallocate(block, old_size);
    return nullptr;
  }
  if (old_size == 0) old_size = 1;
  bool old_small = old_size <= kSmallMaxBytes;
  bool new_small = new_size <= kSmallMaxBytes;
  if (old_small && new_small && class_of(old_size) == class_of(new_size)) {
    uint64_t charged = class_size(class_of(old_size));
    note_freed(block, old_size, charged);
    note_allocated(block, new_size, charged);
    return block;
  }
  if (!old_small && !new_small && new_size <= uint64_t{1} << 48) {
    BlockHeader* b = header_of(block);
    LX_ENGINE_ASSERT((b->size_flags & kInUse) != 0);
    uint64_t old_charged = block_size(b);
    if (resize_large_in_place(b, large_need(new_size), budget)) {
      note_freed(block, old_size, old_charged);
      note_allocated(block, new_size, block_size(b));
      return block;
    }
  }
  void* moved = allocate(new_size, budget);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, block, old_size < new_size ? old_size : new_size);
  deallocate(block, old_size);
  return moved;
}

void Heap::mix_memhash(uint64_t operation, const void* block, std::size_t size) {
  Hash64 h;
  h.mix(memhash_);
  h.mix(operation ^ offset_of(block));
  h.mix(size);
  memhash_ = h.value();
}

void Heap::note_allocated(const void* block, std::size_t size, uint64_t charged_bytes) {
  mix_memhash(kOpAllocate, block, size);
  bytes_in_use_ += charged_bytes;
  if (bytes_in_use_ > peak_bytes_in_use_) peak_bytes_in_use_ = bytes_in_use_;
  ++allocation_count_;
  ++live_allocations_;
}

void Heap::note_freed(const void* block, std::size_t size, uint64_t charged_bytes) {
  mix_memhash(kOpFree, block, size);
  LX_ENGINE_ASSERT(bytes_in_use_ >= charged_bytes);
  LX_ENGINE_ASSERT(live_allocations_ > 0);
  bytes_in_use_ -= charged_bytes;
  --live_allocations_;
}

// ---- Small blocks ----

void* Heap::allocate_small(int size_class, Budget budget) {
  SmallClass& c = classes_[size_class];
  if (c.free_head != nullptr) {
    unsigned char* block = c.free_head;
    std::memcpy(&c.free_head, block, sizeof(c.free_head));
    return block;
  }
  std::size_t size = class_size(size_class);
  if (c.carve_cursor == nullptr || static_cast<std::size_t>(c.carve_end - c.carve_cursor) < size) {
    BlockHeader* slab = allocate_large(large_need(kSlabBytes), budget);
    if (slab == nullptr) return nullptr;
    c.carve_cursor = reinterpret_cast<unsigned char*>(slab + 1);
    c.carve_end = c.carve_cursor + kSlabBytes;
  }
  unsigned char* block = c.carve_cursor;
  c.carve_cursor += size;
  return block;
}

void Heap::deallocate_small(void* block, int size_class) {
  SmallClass& c = classes_[size_class];
  std::memcpy(block, &c.free_head, sizeof(c.free_head));
  c.free_head = static_cast<unsigned char*>(block);
}

// ---- Large blocks ----

Heap::BlockHeader* Heap::allocate_large(uint64_t need, Budget budget) {
  if (BlockHeader* b = take_free_block(need)) {
    occupy(b, need);
    return b;
  }
  unsigned char* limit = limit_for(budget);
  if (top_ > limit || static_cast<uint64_t>(limit - top_) < need) return nullptr;
  // The block below the top is always in use (free neighbours merge into the top).
  auto* b = reinterpret_cast<BlockHeader*>(top_);
  b->size_flags = need | kInUse | kPrevInUse;
  set_top(top_ + need);
  return b;
}

Heap::BlockHeader* Heap::take_free_block(uint64_t need) {
  int first = bin_of(need);
  BlockHeader* best = nullptr;
  for (BlockHeader* x = bins_[first]; x != nullptr; x = links(x)->next) {
    uint64_t size = block_size(x);
    if (size >= need && (best == nullptr || size < block_size(best))) {
      best = x;
      if (size == need) break;
    }
  }
  if (best == nullptr && first + 1 < kBinCount) {
    uint64_t higher = bin_bitmap_ & ~((uint64_t{2} << first) - 1);
    if (higher != 0) {
      int bin = __builtin_ctzll(higher);
      for (BlockHeader* x = bins_[bin]; x != nullptr; x = links(x)->next) {
        if (best == nullptr || block_size(x) < block_size(best)) best = x;
      }
    }
  }
  if (best != nullptr) unlink(best);
  return best;
}

// Marks the (unlinked) free block b in use for need bytes, returning any
// large enough remainder to the bins.
void Heap::occupy(BlockHeader* b, uint64_t need) {
  uint64_t size = block_size(b);
  LX_ENGINE_ASSERT(size >= need);
  BlockHeader* after = at(b, size);  // in use: a free block never touches the top
  uint64_t prev_flag = b->size_flags & kPrevInUse;
  if (size - need >= kMinSplitBytes) {
    b->size_flags = need | kInUse | prev_flag;
    BlockHeader* rest = at(b, need);
    rest->size_flags = (size - need) | kPrevInUse;
    after->prev_size = size - need;
    link(rest);
  } else {
    b->size_flags = size | kInUse | prev_flag;
    after->size_flags |= kPrevInUse;
  }
}

void Heap::free_large(BlockHeader* b) {
  uint64_t size = block_size(b);
  BlockHeader* next = at(b, size);
  if ((b->size_flags & kPrevInUse) == 0) {
    BlockHeader* prev =
        reinterpret_cast<BlockHeader*>(reinterpret_cast<unsigned char*>(b) - b->prev_size);
    unlink(prev);
    size += block_size(prev);
    b = prev;
  }
  if (reinterpret_cast<unsigned char*>(next) == top_) {
    top_ = reinterpret_cast<unsigned char*>(b);
    return;
  }
  if ((next->size_flags & kInUse) == 0) {
    unlink(next);
    size += block_size(next);
    next = at(b, size);
  }
  b->size_flags = size | kPrevInUse;
  next->prev_size = size;
  next->size_flags &= ~kPrevInUse;
  link(b);
}

bool Heap::resize_large_in_place(BlockHeader* b, uint64_t need, Budget budget) {
  uint64_t size = block_size(b);
  uint64_t prev_flag = b->size_flags & kPrevInUse;
  if (need <= size) {
    if (size - need >= kMinSplitBytes) {
      b->size_flags = need | kInUse | prev_flag;
      BlockHeader* rest = at(b, need);
      rest->size_flags = (size - need) | kInUse | kPrevInUse;
      free_large(rest);
    }
    return true;
  }
  BlockHeader* next = at(b, size);
  if (reinterpret_cast<unsigned char*>(next) == top_) {
    unsigned char* limit = limit_for(budget);
    unsigned char* new_end = reinterpret_cast<unsigned char*>(b);
    if (new_end > limit || static_cast<uint64_t>(limit - new_end) < need) return false;
    set_top(new_end + need);
    b->size_flags = need | kInUse | prev_flag;
    return true;
  }
  if ((next->size_flags & kInUse) != 0 || size + block_size(next) < need) return false;
  unlink(next);
  b->size_flags = (size + block_size(next)) | prev_flag;  // one free block for occupy()
  occupy(b, need);
  return true;
}

void Heap::set_top(unsigned char* new_top) {
  top_ = new_top;
  if (top_ > high_water_) high_water_ = top_;
}

void Heap::link(BlockHeader* b) {
  int bin = bin_of(block_size(b));
  FreeLinks* l = links(b);
  l->next = bins_[bin];
  l->prev = nullptr;
  if (bins_[bin] != nullptr) links(bins_[bin])->prev = b;
  bins_[bin] = b;
  bin_bitmap_ |= uint64_t{1} << bin;
}

void Heap::unlink(BlockHeader* b) {
  int bin = bin_of(block_size(b));
  FreeLinks* l = links(b);
  if (l->prev != nullptr) {
    links(l->prev)->next = l->next;
  } else {
    LX_ENGINE_ASSERT(bins_[bin] == b);
    bins_[bin] = l->next;
  }
  if (l->next != nullptr) links(l->next)->prev = l->prev;
  if (bins_[bin] == nullptr) bin_bitmap_ &= ~(uint64_t{1} << bin);
}

}  // namespace lx::engine
