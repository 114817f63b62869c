// RawBuffer: a growable array whose new elements are left unwritten. The
// tools' large buffers (the reader's source window and zstd output window,
// lxdump's line buffer) are always written before they are read; zeroing
// them, as std::vector does, touched every page of megabytes that a short
// log never uses: about a millisecond of every tool's start.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>

namespace lx {

template <typename T>
class RawBuffer {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  RawBuffer() = default;
  explicit RawBuffer(size_t n) : data_(std::make_unique_for_overwrite<T[]>(n)), size_(n) {}

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }

  // Makes size() n (a smaller n changes nothing), keeping the first `keep`
  // elements (at most size()); the others are unwritten.
  void grow(size_t n, size_t keep) {
    if (n <= size_) return;
    auto grown = std::make_unique_for_overwrite<T[]>(n);
    if (keep > size_) keep = size_;
    if (keep != 0) std::memcpy(grown.get(), data_.get(), keep * sizeof(T));
    data_ = std::move(grown);
    size_ = n;
  }

 private:
  std::unique_ptr<T[]> data_;
  size_t size_ = 0;
};

}  // namespace lx
