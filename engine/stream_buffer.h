// StreamBuffer: a channel's byte FIFO on the engine heap. Appending adds
// chunks and never moves bytes already queued, so a span returned by peek()
// stays valid and unchanged until those bytes are consumed; the driver
// writes straight out of it (peek_outgoing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "eng_containers.h"
#include "heap.h"

namespace lx::engine {

class StreamBuffer {
 public:
  // Where the bytes of one complete line lie: content_bytes without the
  // terminator ("\n" or "\r\n"), total_bytes with it.
  struct LineSpan {
    std::size_t content_bytes;
    std::size_t total_bytes;
  };

  // heap must outlive the buffer. budget decides who pays for new chunks.
  explicit StreamBuffer(Heap& heap, Heap::Budget budget = Heap::Budget::kInternal) noexcept
      : heap_(&heap), budget_(budget) {}
  ~StreamBuffer();
  StreamBuffer(const StreamBuffer&) = delete;
  StreamBuffer& operator=(const StreamBuffer&) = delete;

  // Queues byte_count bytes. Throws std::bad_alloc, and then changes nothing,
  // when the heap cannot supply a chunk.
  void append(const void* bytes, std::size_t byte_count);
  // The first contiguous run of queued bytes (empty when nothing is queued).
  std::span<const uint8_t> peek() const;
  // The contiguous run that starts offset bytes into the queued bytes, up to
  // the end of its chunk; empty when offset >= size().
  std::span<const uint8_t> peek_at(std::size_t offset) const;
  // Drops the first byte_count bytes; byte_count <= size().
  void consume(std::size_t byte_count);
  // Drops everything and returns all chunks to the heap.
  void clear() noexcept;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Copies up to byte_count bytes from the front into out without consuming;
  // returns how many were copied.
  std::size_t copy_out(void* out, std::size_t byte_count) const;
  // Finds the first complete line, or nullopt when no "\n" is queued.
  std::optional<LineSpan> find_line() const;
  // Copies and consumes up to byte_count bytes.
  eng::string read(std::size_t byte_count);
  // Copies and consumes the next complete line, without its terminator.
  std::optional<eng::string> readline();
  // Number of chunks held (for tests and statistics).
  std::size_t chunk_count() const;

 private:
  struct Chunk {
    Chunk* next;
    std::size_t capacity;  // data bytes after the header
    std::size_t begin;     // first unconsumed byte
    std::size_t end;       // one past the last queued byte
    uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
    const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  };
  static_assert(sizeof(Chunk) % 16 == 0);
  // A new chunk holds at least this much (header included): the largest
  // small size class, so short writes share 4 KiB chunks.
  static constexpr std::size_t kChunkBytes = 4096;

  void free_chunk(Chunk* chunk) noexcept;

  Heap* heap_;
  Heap::Budget budget_;
  Chunk* head_ = nullptr;
  Chunk* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace lx::engine
