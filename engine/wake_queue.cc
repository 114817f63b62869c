// WakeQueue: the app's pending wake times as a min-heap on the app budget.
#include "wake_queue.h"

#include <cstring>
#include <utility>

#include "engine_assert.h"

namespace lx::engine {
namespace {

constexpr std::size_t kFirstCapacity = 16;

}  // namespace

WakeQueue::~WakeQueue() {
  if (times_ == nullptr) return;
  heap_->deallocate(times_, capacity_ * sizeof(double));
  memory_->release(capacity_ * sizeof(double));
}

bool WakeQueue::resize(std::size_t capacity) {
  LX_ENGINE_ASSERT(capacity >= count_);
  if (capacity > (std::size_t{1} << 40) / sizeof(double)) return false;
  if (capacity > capacity_ && !memory_->fits((capacity - capacity_) * sizeof(double))) {
    return false;
  }
  auto* times =
      static_cast<double*>(heap_->allocate(capacity * sizeof(double), Heap::Budget::kApp));
  if (times == nullptr) return false;
  if (times_ != nullptr) {
    std::memcpy(times, times_, count_ * sizeof(double));
    heap_->deallocate(times_, capacity_ * sizeof(double));
  }
  memory_->release(capacity_ * sizeof(double));
  memory_->charge(capacity * sizeof(double));
  times_ = times;
  capacity_ = capacity;
  return true;
}

bool WakeQueue::push(double seconds) {
  if (count_ == capacity_ && !resize(capacity_ == 0 ? kFirstCapacity : capacity_ * 2)) {
    return false;
  }
  times_[count_] = seconds;
  sift_up(count_);
  ++count_;
  return true;
}

void WakeQueue::consume_due(double now_seconds) {
  while (count_ > 0 && times_[0] <= now_seconds) {
    --count_;
    times_[0] = times_[count_];
    sift_down(0);
  }
  // Give memory back once the queue is a quarter full (a failed move keeps
  // the larger array, which is still correct).
  std::size_t target = capacity_;
  while (target > kFirstCapacity && count_ <= target / 4) target /= 2;
  if (target != capacity_) (void)resize(target);
}

std::optional<double> WakeQueue::earliest() const {
  if (count_ == 0) return std::nullopt;
  return times_[0];
}

void WakeQueue::sift_up(std::size_t i) {
  while (i > 0) {
    std::size_t parent = (i - 1) / 2;
    if (!(times_[i] < times_[parent])) return;
    std::swap(times_[i], times_[parent]);
    i = parent;
  }
}

void WakeQueue::sift_down(std::size_t i) {
  for (;;) {
    std::size_t smallest = i;
    std::size_t left = 2 * i + 1;
    std::size_t right = left + 1;
    if (left < count_ && times_[left] < times_[smallest]) smallest = left;
    if (right < count_ && times_[right] < times_[smallest]) smallest = right;
    if (smallest == i) return;
    std::swap(times_[i], times_[smallest]);
    i = smallest;
  }
}

}  // namespace lx::engine
