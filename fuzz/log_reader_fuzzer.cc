// libFuzzer harness "log_reader": each input is a whole log, read from memory
// in every recovery mode with the reader's contract checked (reader_check.h),
// and the heap those reads hold measured against the reader's stated bound.
#include <sanitizer/allocator_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "reader_check.h"

namespace {

// Live heap bytes of the process (ASan's allocator hooks), and the most seen
// since the current input began.
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_bytes{0};
int64_t most_held_bytes = 0;  // over every input so far

void on_malloc(const volatile void*, size_t bytes) {
  const int64_t now =
      live_bytes.fetch_add(static_cast<int64_t>(bytes)) + static_cast<int64_t>(bytes);
  int64_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
}

void on_free(const volatile void* p) {
  if (p == nullptr || !__sanitizer_get_ownership(p)) return;
  live_bytes.fetch_sub(static_cast<int64_t>(__sanitizer_get_allocated_size(p)));
}

void print_most_held() {
  std::fprintf(stderr, "log_reader: most heap held while reading one input: %lld bytes\n",
               static_cast<long long>(most_held_bytes));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
  std::atexit(print_most_held);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int64_t start = live_bytes.load();
  peak_bytes.store(start);
  const std::string broken = lx::fuzz::check_log({data, size}, false);
  const int64_t held = peak_bytes.load() - start;
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
