// eng:: containers: the standard containers with an allocator on the engine's
// deterministic Heap, so every byte the engine keeps lives in the region and
// at the same address in every run. Use these instead of the std:: ones.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "heap.h"

namespace lx::engine::eng {

// A stateful allocator; throws std::bad_alloc when the heap is exhausted
// (the engine turns that into its failed state). Engine bookkeeping may use
// the heap's reserve (Heap::Budget::kInternal).
template <typename T>
class Allocator {
 public:
  using value_type = T;
  static_assert(alignof(T) <= Heap::kAlignBytes, "the heap aligns to 16 bytes");

  explicit Allocator(Heap& heap) noexcept : heap_(&heap) {}
  template <typename U>
  Allocator(const Allocator<U>& other) noexcept : heap_(other.heap()) {}  // NOLINT

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_alloc();
    void* p = heap_->allocate(n * sizeof(T), Heap::Budget::kInternal);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept { heap_->deallocate(p, n * sizeof(T)); }

  Heap* heap() const noexcept { return heap_; }

  template <typename U>
  bool operator==(const Allocator<U>& other) const noexcept {
    return heap_ == other.heap();
  }

 private:
  Heap* heap_;
};

template <typename T>
using vector = std::vector<T, Allocator<T>>;
template <typename T>
using deque = std::deque<T, Allocator<T>>;
template <typename K, typename V, typename Less = std::less<K>>
using map = std::map<K, V, Less, Allocator<std::pair<const K, V>>>;
using string = std::basic_string<char, std::char_traits<char>, Allocator<char>>;

// Constructs one T on the heap (engine bookkeeping budget). Throws std::bad_alloc.
template <typename T, typename... Args>
T* make(Heap& heap, Args&&... args) {
  static_assert(alignof(T) <= Heap::kAlignBytes, "the heap aligns to 16 bytes");
  void* p = heap.allocate(sizeof(T), Heap::Budget::kInternal);
  if (p == nullptr) throw std::bad_alloc();
  try {
    return new (p) T(std::forward<Args>(args)...);
  } catch (...) {
    heap.deallocate(p, sizeof(T));
    throw;
  }
}

// Destroys a T made by make(). Null is ignored.
template <typename T>
void destroy(Heap& heap, T* object) noexcept {
  if (object == nullptr) return;
  object->~T();
  heap.deallocate(object, sizeof(T));
}

}  // namespace lx::engine::eng
