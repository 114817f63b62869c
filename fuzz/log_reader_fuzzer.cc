// libFuzzer harness "log_reader": each input is a whole log, read from memory
// in every recovery mode with the reader's contract checked (reader_check.h),
// and the heap those reads hold measured against the reader's stated bound.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "heap_meter.h"
#include "reader_check.h"

namespace {

int64_t most_held_bytes = 0;  // over every input so far

void print_most_held() {
  std::fprintf(stderr, "log_reader: most heap held while reading one input: %lld bytes\n",
               static_cast<long long>(most_held_bytes));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  lx::fuzz::heap_meter_start();
  std::atexit(print_most_held);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int64_t start = lx::fuzz::heap_live_bytes();
  lx::fuzz::heap_peak_reset();
  const std::string broken = lx::fuzz::check_log({data, size}, false);
  const int64_t held = lx::fuzz::heap_peak_bytes() - start;
  if (!broken.empty()) {
    std::fprintf(stderr, "log_reader: the reader broke its contract: %s\n", broken.c_str());
    std::abort();
  }
  if (held > most_held_bytes) {
    // A new high: say so when it doubles, so a run's log shows the trend.
    if (held > 2 * most_held_bytes) {
      std::fprintf(stderr, "log_reader: new high of heap held while reading: %lld bytes\n",
                   static_cast<long long>(held));
    }
    most_held_bytes = held;
  }
  if (held > lx::fuzz::kReaderHeapBoundBytes) {
    std::fprintf(stderr,
                 "log_reader: reading %zu bytes held %lld bytes of heap, over the reader's "
                 "bound of %lld\n",
                 size, static_cast<long long>(held),
                 static_cast<long long>(lx::fuzz::kReaderHeapBoundBytes));
    std::abort();
  }
  return 0;
}
