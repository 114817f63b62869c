// RawBuffer: a growable array whose new elements are left unwritten, for
// buffers that are always written before they are read (lxdump's line
// buffer). Not for the reader's windows: zstd may copy from any part of its
// window when a corrupt frame asks, so unwritten bytes there would make the
// damage a corrupt log shows depend on what the memory held before.
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
