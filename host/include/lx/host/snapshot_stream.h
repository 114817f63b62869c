// The byte stream a snapshot travels in (a pipe from a SnapshotTaker's child,
// a file, later a log record): a header, chunks each compressed and checked on
// its own, and an end record with the state hash. docs/snapshots.md has the
// layout byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "lx/host/snapshot.h"
#include "lx/status.h"

namespace lx::host {

struct SnapshotStreamFormat {
  static constexpr uint64_t kMagic = 0x3173'7061'6e73'786cull;  // "lxsnaps1" on disk
  static constexpr uint32_t kVersion = 1;
  static constexpr uint32_t kHeaderBytes = 192;
  static constexpr uint32_t kChunkHeaderBytes = 24;
  static constexpr uint32_t kBuildIdBytes = 64;  // NUL-padded, so at most 63 characters
  static constexpr uint32_t kMaxChunkBytes = 64u << 20;
  static constexpr uint32_t kCodecRaw = 0;
  static constexpr uint32_t kCodecZstd = 1;
};

// Writes snapshot streams. Everything it needs (a zstd context in a fixed
// workspace, a chunk buffer, the hash state) is allocated by create(), so
// write() allocates nothing, takes no lock and calls only write(2) besides
// pure computation: it is safe in a child forked from a threaded process.
// One write() at a time; not thread-safe.
class SnapshotEncoder {
 public:
  struct Options {
    int zstd_level = 1;               // 0 stores chunks raw; 1..19 compresses them
    uint32_t chunk_bytes = 1u << 20;  // raw bytes per chunk, 4 KiB to 64 MiB
  };
  // Errors are ErrorKind::kUsage (a bad option).
  static Result<std::unique_ptr<SnapshotEncoder>> create(Options options);
  ~SnapshotEncoder();
  SnapshotEncoder(const SnapshotEncoder&) = delete;
  SnapshotEncoder& operator=(const SnapshotEncoder&) = delete;

  // Writes the stream of info plus the bytes [bytes, bytes + info.snapshot_bytes)
  // to fd, computing the state hash on the way (info.state_hash is ignored;
  // the end record carries the computed one, also stored in *hash). Returns
  // 0, a negative errno from write(2), or kCompressFailed.
  static constexpr int kCompressFailed = -100000;
  int write(int fd, const SnapshotInfo& info, const uint8_t* bytes, uint64_t* hash) noexcept;

  // The same into memory (tests, and whoever wants the bytes rather than an
  // fd). Errors are ErrorKind::kIo.
  Result<std::vector<uint8_t>> encode(const SnapshotInfo& info, const uint8_t* bytes);

 private:
  explicit SnapshotEncoder(Options options) : options_(options) {}
  // Emits the stream through sink (which returns 0 or a negative errno).
  template <typename Sink>
  int emit(const SnapshotInfo& info, const uint8_t* bytes, uint64_t* hash, Sink&& sink) noexcept;

  Options options_;
  void* zstd_workspace_ = nullptr;
  size_t zstd_workspace_bytes_ = 0;
  void* zstd_context_ = nullptr;  // ZSTD_CCtx in zstd_workspace_
  std::vector<uint8_t> chunk_;    // chunk header + compressed bytes
  void* hash_state_ = nullptr;    // XXH3_state_t, 64-byte aligned
};

// The state hash a stream's end record carries, given the stream's last
// kChunkHeaderBytes bytes (or fewer: nullopt); nullopt when they are not an
// end record. It checks the end record's shape only, not the stream.
std::optional<uint64_t> state_hash_of_stream_end(std::span<const uint8_t> last_bytes);

// Reads a snapshot stream through read_exact (which fills the whole buffer
// or returns false at the end of the input). Checks every field, checksum,
// size and the state hash; never allocates more than the input holds plus one
// chunk. Errors are ErrorKind::kCorrupt saying what is wrong and where.
Result<Snapshot> read_snapshot_stream(const std::function<bool(void*, size_t)>& read_exact);
// The same over bytes in memory, and over a file descriptor read to its end.
Result<Snapshot> decode_snapshot_stream(std::span<const uint8_t> stream);
Result<Snapshot> read_snapshot_stream_fd(int fd);

}  // namespace lx::host
