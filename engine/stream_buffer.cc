// StreamBuffer: chunk list management for the engine's channel FIFOs.
#include "stream_buffer.h"

#include <cstring>
#include <new>

#include "engine_assert.h"

namespace lx::engine {

StreamBuffer::~StreamBuffer() { clear(); }

void StreamBuffer::free_chunk(Chunk* chunk) noexcept {
  heap_->deallocate(chunk, sizeof(Chunk) + chunk->capacity);
}

void StreamBuffer::clear() noexcept {
  Chunk* chunk = head_;
  while (chunk != nullptr) {
    Chunk* next = chunk->next;
    free_chunk(chunk);
    chunk = next;
  }
  head_ = tail_ = nullptr;
  size_ = 0;
}

void StreamBuffer::append(const void* bytes, std::size_t byte_count) {
  if (byte_count == 0) return;
  LX_ENGINE_ASSERT(bytes != nullptr);
  const auto* source = static_cast<const uint8_t*>(bytes);
  std::size_t spare = tail_ == nullptr ? 0 : tail_->capacity - tail_->end;
  std::size_t into_tail = byte_count < spare ? byte_count : spare;
  std::size_t rest = byte_count - into_tail;
  Chunk* fresh = nullptr;
  if (rest > 0) {
    // Allocate before touching anything, so a failure changes nothing.
    if (rest > (std::size_t{1} << 47)) throw std::bad_alloc();
    std::size_t total = sizeof(Chunk) + rest;
    total = (total + 15) & ~std::size_t{15};
    if (total < kChunkBytes) total = kChunkBytes;
    void* memory = heap_->allocate(total, budget_);
    if (memory == nullptr) throw std::bad_alloc();
    fresh = new (memory) Chunk{nullptr, total - sizeof(Chunk), 0, 0};
  }
  if (into_tail > 0) {
    std::memcpy(tail_->data() + tail_->end, source, into_tail);
    tail_->end += into_tail;
  }
  if (fresh != nullptr) {
    std::memcpy(fresh->data(), source + into_tail, rest);
    fresh->end = rest;
    if (tail_ == nullptr) {
      head_ = fresh;
    } else {
      tail_->next = fresh;
    }
    tail_ = fresh;
  }
  size_ += byte_count;
}

std::span<const uint8_t> StreamBuffer::peek() const { return peek_at(0); }

std::span<const uint8_t> StreamBuffer::peek_at(std::size_t offset) const {
  for (const Chunk* chunk = head_; chunk != nullptr; chunk = chunk->next) {
    std::size_t here = chunk->end - chunk->begin;
    if (offset < here) return {chunk->data() + chunk->begin + offset, here - offset};
    offset -= here;
  }
  return {};
}

void StreamBuffer::consume(std::size_t byte_count) {
  LX_ENGINE_ASSERT(byte_count <= size_);
  size_ -= byte_count;
  while (byte_count > 0) {
    LX_ENGINE_ASSERT(head_ != nullptr);
    std::size_t here = head_->end - head_->begin;
    if (byte_count < here) {
      head_->begin += byte_count;
      return;
    }
    byte_count -= here;
    Chunk* next = head_->next;
    if (next == nullptr && head_->capacity + sizeof(Chunk) == kChunkBytes) {
      // Keep one ordinary chunk for the next append; its bytes are all gone,
      // so no span handed out by peek() can point into it any more.
      head_->begin = head_->end = 0;
      return;
    }
    free_chunk(head_);
    head_ = next;
    if (head_ == nullptr) tail_ = nullptr;
  }
}

std::size_t StreamBuffer::copy_out(void* out, std::size_t byte_count) const {
  auto* target = static_cast<uint8_t*>(out);
  std::size_t copied = 0;
  for (const Chunk* chunk = head_; chunk != nullptr && copied < byte_count; chunk = chunk->next) {
    std::size_t here = chunk->end - chunk->begin;
    if (here > byte_count - copied) here = byte_count - copied;
    std::memcpy(target + copied, chunk->data() + chunk->begin, here);
    copied += here;
  }
  return copied;
}

std::optional<StreamBuffer::LineSpan> StreamBuffer::find_line() const {
  std::size_t offset = 0;
  bool previous_was_cr = false;
  for (const Chunk* chunk = head_; chunk != nullptr; chunk = chunk->next) {
    const uint8_t* begin = chunk->data() + chunk->begin;
    std::size_t here = chunk->end - chunk->begin;
    if (here == 0) continue;
    const void* newline = std::memchr(begin, '\n', here);
    if (newline != nullptr) {
      std::size_t at = static_cast<std::size_t>(static_cast<const uint8_t*>(newline) - begin);
      bool cr = at > 0 ? begin[at - 1] == '\r' : previous_was_cr;
      std::size_t content = offset + at - (cr ? 1 : 0);
      return LineSpan{content, offset + at + 1};
    }
    previous_was_cr = begin[here - 1] == '\r';
    offset += here;
  }
  return std::nullopt;
}

eng::string StreamBuffer::read(std::size_t byte_count) {
  if (byte_count > size_) byte_count = size_;
  eng::string out(byte_count, '\0', eng::Allocator<char>(*heap_));
  copy_out(out.data(), byte_count);
  consume(byte_count);
  return out;
}

std::optional<eng::string> StreamBuffer::readline() {
  std::optional<LineSpan> line = find_line();
  if (!line) return std::nullopt;
  eng::string out(line->content_bytes, '\0', eng::Allocator<char>(*heap_));
  copy_out(out.data(), line->content_bytes);
  consume(line->total_bytes);
  return out;
}

std::size_t StreamBuffer::chunk_count() const {
  std::size_t count = 0;
  for (const Chunk* chunk = head_; chunk != nullptr; chunk = chunk->next) ++count;
  return count;
}

}  // namespace lx::engine
