// The engine's deterministic heap lives at a fixed address so every run (and
// every replay) hands out the same addresses; this reserves that range.
#pragma once

#include <cstdint>

#include "lx/status.h"

namespace lx::host {

// A range of fresh, zero, private anonymous memory at a fixed address,
// reserved with MAP_NORESERVE (pages cost nothing until touched). Owns the
// mapping and unmaps it on destruction. Movable, not copyable.
//
// A region is fresh exactly once: the first Engine created in it marks it
// used, and a later Engine::create on it is refused (replay needs fresh zero
// pages, DESIGN.md section 9).
class HeapRegion {
 public:
  static constexpr uint64_t kDefaultHeapBase = 0x200000000000ull;  // 32 TiB
  static constexpr uint64_t kDefaultHeapBytes = 16ull << 30;       // 16 GiB

  // Maps bytes at base with MAP_FIXED_NOREPLACE. Fails (ErrorKind::kIo) when
  // base or bytes are not page multiples, when something already occupies
  // the range (another engine in this process, a sanitizer's shadow, the
  // ASLR layout), or when the kernel would not honour the address.
  static Result<HeapRegion> reserve(uint64_t base = kDefaultHeapBase,
                                    uint64_t bytes = kDefaultHeapBytes);

  HeapRegion(HeapRegion&& other) noexcept;
  HeapRegion& operator=(HeapRegion&& other) noexcept;
  HeapRegion(const HeapRegion&) = delete;
  HeapRegion& operator=(const HeapRegion&) = delete;
  ~HeapRegion();

  void* base() const { return base_; }
  uint64_t bytes() const { return bytes_; }
  // Asks the kernel for transparent huge pages (2 MiB) in the region
  // (madvise MADV_HUGEPAGE). Call it on a fresh region, before the engine
  // touches it. Bytes stay the same (fresh pages are zero either way); what
  // changes is cost: fork, and so SnapshotTaker::start, copies one page-table
  // entry per 2 MiB instead of per 4 KiB (at 100 MB in use: about 0.15 ms
  // instead of 4 ms, docs/snapshots.md), and the heap's memory grows 2 MiB at
  // a time. Fails (kIo) only when the kernel refuses the advice; with THP
  // "never" it succeeds and changes nothing.
  Status advise_huge_pages();
  // False once an engine has been created in the region.
  bool fresh() const { return fresh_; }
  void mark_used() { fresh_ = false; }

 private:
  HeapRegion(void* base, uint64_t bytes) : base_(base), bytes_(bytes) {}
  void release();

  void* base_ = nullptr;
  uint64_t bytes_ = 0;
  bool fresh_ = true;
};

}  // namespace lx::host
