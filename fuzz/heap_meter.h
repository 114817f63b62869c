// The heap the code under test holds, for the log_reader fuzzer (ASan
// builds only): live bytes and their peak, through ASan's allocator hooks and
// this file's operator new, which also keeps freed large blocks for reuse
// (see heap_meter.cc for why).
#pragma once

#include <cstdint>

namespace lx::fuzz {

// Installs the malloc and free hooks; call once, before measuring.
void heap_meter_start();
// Bytes live on the heap now (a large block counts at its 64 KiB-rounded size).
int64_t heap_live_bytes();
// The most live bytes since the last heap_peak_reset().
int64_t heap_peak_bytes();
void heap_peak_reset();

}  // namespace lx::fuzz
