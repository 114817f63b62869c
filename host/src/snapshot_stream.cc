// Writing and reading snapshot streams (see snapshot_stream.h and
// docs/snapshots.md for the layout).
#include "lx/host/snapshot_stream.h"

#define XXH_STATIC_LINKING_ONLY
#define ZSTD_STATIC_LINKING_ONLY
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "lx/assert.h"

namespace lx::host {
namespace {

using Format = SnapshotStreamFormat;

// Header field offsets (docs/snapshots.md).
constexpr size_t kAtMagic = 0, kAtVersion = 8, kAtHeaderBytes = 12, kAtBase = 16,
                 kAtRegionBytes = 24, kAtSeed = 32, kAtSnapshotBytes = 40, kAtEventCount = 48,
                 kAtMemhash = 56, kAtOuthash = 64, kAtHeapBytes = 72, kAtChunkBytes = 80,
                 kAtFlags = 84, kAtBuildId = 96, kAtHeaderChecksum = 184;
static_assert(kAtBuildId + Format::kBuildIdBytes <= kAtHeaderChecksum);
static_assert(kAtHeaderChecksum + 8 == Format::kHeaderBytes);

void put32(uint8_t* at, uint32_t value) { std::memcpy(at, &value, 4); }  // x86-64: little-endian
void put64(uint8_t* at, uint64_t value) { std::memcpy(at, &value, 8); }
uint32_t get32(const uint8_t* at) {
  uint32_t value;
  std::memcpy(&value, at, 4);
  return value;
}
uint64_t get64(const uint8_t* at) {
  uint64_t value;
  std::memcpy(&value, at, 8);
  return value;
}

// Writes all of [data, data + count) to fd; 0 or a negative errno.
int write_all(int fd, const uint8_t* data, size_t count) noexcept {
  while (count > 0) {
    ssize_t n = ::write(fd, data, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    data += n;
    count -= static_cast<size_t>(n);
  }
  return 0;
}

void put_chunk_header(uint8_t* at, uint32_t raw_bytes, uint32_t stored_bytes, uint32_t codec,
                      uint64_t checksum) {
  put32(at, raw_bytes);
  put32(at + 4, stored_bytes);
  put32(at + 8, codec);
  put32(at + 12, 0);
  put64(at + 16, checksum);
}

Status corrupt(const std::string& what) {
  return Status::error(ErrorKind::kCorrupt,
                       "not a readable snapshot stream: " + what +
                           "; take the snapshot again (or read the stream it came from whole)");
}

}  // namespace

Result<std::unique_ptr<SnapshotEncoder>> SnapshotEncoder::create(Options options) {
  if (options.zstd_level < 0 || options.zstd_level > 19) {
    return Status::error(
        ErrorKind::kUsage,
        fmt::format("snapshot compression level {} is not within 0 to 19", options.zstd_level));
  }
  if (options.chunk_bytes < 4096 || options.chunk_bytes > Format::kMaxChunkBytes) {
    return Status::error(
        ErrorKind::kUsage,
        fmt::format("snapshot chunk size {} is not within 4 KiB to 64 MiB", options.chunk_bytes));
  }
  std::unique_ptr<SnapshotEncoder> encoder(new SnapshotEncoder(options));
  if (options.zstd_level > 0) {
    // A context sized for any input at this level, in memory we own, so
    // compressing never allocates.
    encoder->zstd_workspace_bytes_ = ZSTD_estimateCCtxSize(options.zstd_level);
    encoder->zstd_workspace_ =
        std::aligned_alloc(64, (encoder->zstd_workspace_bytes_ + 63) / 64 * 64);
    if (encoder->zstd_workspace_ == nullptr) throw std::bad_alloc();
    encoder->zstd_context_ =
        ZSTD_initStaticCCtx(encoder->zstd_workspace_, encoder->zstd_workspace_bytes_);
    LX_ASSERT(encoder->zstd_context_ != nullptr);
  }
  encoder->chunk_.resize(Format::kChunkHeaderBytes + ZSTD_compressBound(options.chunk_bytes));
  encoder->hash_state_ = std::aligned_alloc(64, (sizeof(XXH3_state_t) + 63) / 64 * 64);
  if (encoder->hash_state_ == nullptr) throw std::bad_alloc();
  return encoder;
}

SnapshotEncoder::~SnapshotEncoder() {
  std::free(zstd_workspace_);
  std::free(hash_state_);
}

template <typename Sink>
int SnapshotEncoder::emit(const SnapshotInfo& info, const uint8_t* bytes, uint64_t* hash,
                          Sink&& sink) noexcept {
  uint8_t header[Format::kHeaderBytes] = {};
  put64(header + kAtMagic, Format::kMagic);
  put32(header + kAtVersion, Format::kVersion);
  put32(header + kAtHeaderBytes, Format::kHeaderBytes);
  put64(header + kAtBase, info.base);
  put64(header + kAtRegionBytes, info.region_bytes);
  put64(header + kAtSeed, info.seed);
  put64(header + kAtSnapshotBytes, info.snapshot_bytes);
  put64(header + kAtEventCount, info.figures.event_count);
  put64(header + kAtMemhash, info.figures.memhash);
  put64(header + kAtOuthash, info.figures.outhash);
  put64(header + kAtHeapBytes, info.figures.heap_bytes_in_use);
  put32(header + kAtChunkBytes, options_.chunk_bytes);
  put32(header + kAtFlags, 0);
  size_t id_bytes = info.build_id.size() < Format::kBuildIdBytes - 1 ? info.build_id.size()
                                                                     : Format::kBuildIdBytes - 1;
  std::memcpy(header + kAtBuildId, info.build_id.data(), id_bytes);
  put64(header + kAtHeaderChecksum, XXH3_64bits(header, kAtHeaderChecksum));
  if (int rc = sink(header, sizeof(header)); rc != 0) return rc;

  auto* state = static_cast<XXH3_state_t*>(hash_state_);
  XXH3_64bits_reset(state);
  uint8_t* out = chunk_.data();
  for (uint64_t at = 0; at < info.snapshot_bytes;) {
    uint64_t left = info.snapshot_bytes - at;
    auto raw = static_cast<uint32_t>(left < options_.chunk_bytes ? left : options_.chunk_bytes);
    const uint8_t* src = bytes + at;
    XXH3_64bits_update(state, src, raw);
    size_t stored = 0;
    if (zstd_context_ != nullptr) {
      stored = ZSTD_compressCCtx(
          static_cast<ZSTD_CCtx*>(zstd_context_), out + Format::kChunkHeaderBytes,
          chunk_.size() - Format::kChunkHeaderBytes, src, raw, options_.zstd_level);
      if (ZSTD_isError(stored)) return kCompressFailed;
    }
    if (stored > 0 && stored < raw) {
      put_chunk_header(out, raw, static_cast<uint32_t>(stored), Format::kCodecZstd,
                       XXH3_64bits(out + Format::kChunkHeaderBytes, stored));
      if (int rc = sink(out, Format::kChunkHeaderBytes + stored); rc != 0) return rc;
    } else {  // incompressible, or compression off: the bytes as they are
      put_chunk_header(out, raw, raw, Format::kCodecRaw, XXH3_64bits(src, raw));
      if (int rc = sink(out, Format::kChunkHeaderBytes); rc != 0) return rc;
      if (int rc = sink(src, raw); rc != 0) return rc;
    }
    at += raw;
  }
  uint64_t digest = XXH3_64bits_digest(state);
  uint8_t end[Format::kChunkHeaderBytes];
  put_chunk_header(end, 0, 0, Format::kCodecRaw, digest);
  if (int rc = sink(end, sizeof(end)); rc != 0) return rc;
  if (hash != nullptr) *hash = digest;
  return 0;
}

int SnapshotEncoder::write(int fd, const SnapshotInfo& info, const uint8_t* bytes,
                           uint64_t* hash) noexcept {
  return emit(info, bytes, hash,
              [fd](const uint8_t* data, size_t count) { return write_all(fd, data, count); });
}

Result<std::vector<uint8_t>> SnapshotEncoder::encode(const SnapshotInfo& info,
                                                     const uint8_t* bytes) {
  std::vector<uint8_t> stream;
  int rc = emit(info, bytes, nullptr, [&stream](const uint8_t* data, size_t count) {
    stream.insert(stream.end(), data, data + count);
    return 0;
  });
  if (rc != 0) {
    return Status::error(ErrorKind::kIo,
                         "cannot encode the snapshot: zstd failed to compress a chunk");
  }
  return stream;
}

Result<Snapshot> read_snapshot_stream(const std::function<bool(void*, size_t)>& read_exact) {
  uint8_t header[Format::kHeaderBytes];
  if (!read_exact(header, sizeof(header))) return corrupt("it ends inside its 192-byte header");
  if (get64(header + kAtMagic) != Format::kMagic) return corrupt("bad magic (not a snapshot)");
  if (get32(header + kAtVersion) != Format::kVersion) {
    return Status::error(ErrorKind::kCorrupt,
                         fmt::format("snapshot stream version {} is not {}, the one this program "
                                     "reads; read it with the lx build that wrote it",
                                     get32(header + kAtVersion), Format::kVersion));
  }
  if (get32(header + kAtHeaderBytes) != Format::kHeaderBytes) {
    return corrupt(fmt::format("header size {} is not 192", get32(header + kAtHeaderBytes)));
  }
  if (get64(header + kAtHeaderChecksum) != XXH3_64bits(header, kAtHeaderChecksum)) {
    return corrupt("the header's checksum does not match");
  }
  Snapshot snapshot;
  SnapshotInfo& info = snapshot.info;
  info.base = get64(header + kAtBase);
  info.region_bytes = get64(header + kAtRegionBytes);
  info.seed = get64(header + kAtSeed);
  info.snapshot_bytes = get64(header + kAtSnapshotBytes);
  info.figures.event_count = get64(header + kAtEventCount);
  info.figures.memhash = get64(header + kAtMemhash);
  info.figures.outhash = get64(header + kAtOuthash);
  info.figures.heap_bytes_in_use = get64(header + kAtHeapBytes);
  uint32_t chunk_bytes = get32(header + kAtChunkBytes);
  const auto* id = reinterpret_cast<const char*>(header + kAtBuildId);
  const void* nul = std::memchr(id, 0, Format::kBuildIdBytes);
  if (nul == nullptr) return corrupt("the build id is not NUL-terminated");
  info.build_id.assign(id, static_cast<const char*>(nul));
  if (get32(header + kAtFlags) != 0) return corrupt("reserved header flags are set");
  if (info.region_bytes == 0 || info.region_bytes > (uint64_t{1} << 46) ||
      info.snapshot_bytes > info.region_bytes) {
    return corrupt(fmt::format("a snapshot of {} bytes in a region of {} bytes",
                               info.snapshot_bytes, info.region_bytes));
  }
  if (chunk_bytes < 4096 || chunk_bytes > Format::kMaxChunkBytes) {
    return corrupt(fmt::format("chunk size {} is not within 4 KiB to 64 MiB", chunk_bytes));
  }

  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (dctx == nullptr) throw std::bad_alloc();
  std::vector<uint8_t> stored;
  std::vector<uint8_t>& bytes = snapshot.bytes;
  const size_t stored_max = ZSTD_compressBound(chunk_bytes);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  for (uint64_t chunk = 0;; ++chunk) {
    uint8_t head[Format::kChunkHeaderBytes];
    uint64_t at = bytes.size();
    if (!read_exact(head, sizeof(head))) {
      return corrupt(fmt::format("it ends before chunk {} (at byte {} of {})", chunk, at,
                                 info.snapshot_bytes));
    }
    uint32_t raw = get32(head), stored_bytes = get32(head + 4), codec = get32(head + 8);
    uint64_t checksum = get64(head + 16);
    if (get32(head + 12) != 0) return corrupt(fmt::format("chunk {} has reserved bits set", chunk));
    if (raw == 0) {  // the end record
      if (stored_bytes != 0 || codec != Format::kCodecRaw) {
        return corrupt(fmt::format("a malformed end record after chunk {}", chunk));
      }
      if (at != info.snapshot_bytes) {
        return corrupt(fmt::format("it ends after {} of its {} bytes", at, info.snapshot_bytes));
      }
      info.state_hash = XXH3_64bits_digest(&state);
      if (checksum != info.state_hash) {
        return corrupt(fmt::format("its state hash {:016x} does not match its bytes ({:016x})",
                                   checksum, info.state_hash));
      }
      return snapshot;
    }
    uint64_t left = info.snapshot_bytes - at;
    uint64_t want = left < chunk_bytes ? left : chunk_bytes;
    if (raw != want) {
      return corrupt(fmt::format("chunk {} holds {} bytes, expected {}", chunk, raw, want));
    }
    bool sizes_fit = codec == Format::kCodecRaw    ? stored_bytes == raw
                     : codec == Format::kCodecZstd ? stored_bytes > 0 && stored_bytes <= stored_max
                                                   : false;
    if (!sizes_fit) {
      return corrupt(fmt::format("chunk {} has codec {} and {} stored bytes for {}", chunk, codec,
                                 stored_bytes, raw));
    }
    stored.resize(stored_bytes);
    if (!read_exact(stored.data(), stored_bytes)) {
      return corrupt(fmt::format("it ends inside chunk {}", chunk));
    }
    if (XXH3_64bits(stored.data(), stored_bytes) != checksum) {
      return corrupt(
          fmt::format("chunk {} (bytes {} to {}) fails its checksum", chunk, at, at + raw));
    }
    bytes.resize(at + raw);
    if (codec == Format::kCodecRaw) {
      std::memcpy(bytes.data() + at, stored.data(), raw);
    } else {
      size_t got =
          ZSTD_decompressDCtx(dctx.get(), bytes.data() + at, raw, stored.data(), stored_bytes);
      if (ZSTD_isError(got) || got != raw) {
        return corrupt(fmt::format("chunk {} does not decompress to its {} bytes", chunk, raw));
      }
    }
    XXH3_64bits_update(&state, bytes.data() + at, raw);
  }
}

std::optional<uint64_t> state_hash_of_stream_end(std::span<const uint8_t> last_bytes) {
  if (last_bytes.size() < Format::kChunkHeaderBytes) return std::nullopt;
  const uint8_t* end = last_bytes.data() + last_bytes.size() - Format::kChunkHeaderBytes;
  if (get32(end) != 0 || get32(end + 4) != 0 || get32(end + 8) != Format::kCodecRaw ||
      get32(end + 12) != 0) {
    return std::nullopt;
  }
  return get64(end + 16);
}

Result<Snapshot> decode_snapshot_stream(std::span<const uint8_t> stream) {
  size_t at = 0;
  return read_snapshot_stream([&](void* out, size_t count) {
    if (stream.size() - at < count) return false;
    std::memcpy(out, stream.data() + at, count);
    at += count;
    return true;
  });
}

Result<Snapshot> read_snapshot_stream_fd(int fd) {
  int error = 0;
  auto result = read_snapshot_stream([&](void* out, size_t count) {
    auto* p = static_cast<uint8_t*>(out);
    while (count > 0) {
      ssize_t n = ::read(fd, p, count);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n < 0) error = errno;
        return false;
      }
      p += n;
      count -= static_cast<size_t>(n);
    }
    return true;
  });
  if (!result.ok() && error != 0) {
    return Status::error(ErrorKind::kIo,
                         fmt::format("cannot read the snapshot stream: {}", std::strerror(error)));
  }
  return result;
}

}  // namespace lx::host
