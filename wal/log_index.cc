// Encoding and checking of the index and trailer frames (docs/wal-format.md).
#include "lx/wal/log_index.h"

#include <algorithm>

#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"
#include "lx/wal/log_header.h"

namespace lx::wal {
namespace {
constexpr size_t kIndexFixedBytes = 32;
constexpr size_t kFrameEntryBytes = 24;
constexpr size_t kCheckpointEntryBytes = 48;
}  // namespace

size_t LogIndex::frame_for_event(uint64_t event) const {
  LX_ASSERT(!frames.empty());
  auto it = std::upper_bound(frames.begin(), frames.end(), event,
                             [](uint64_t e, const FrameEntry& f) { return e < f.first_event; });
  return it == frames.begin() ? 0 : static_cast<size_t>(it - frames.begin()) - 1;
}

std::vector<uint8_t> encode_index_frame(const LogIndex& index) {
  std::vector<uint8_t> p(kIndexFixedBytes + kFrameEntryBytes * index.frames.size() +
                         kCheckpointEntryBytes * index.checkpoints.size() + 4);
  std::memcpy(p.data(), kIndexMagic, 8);
  put_u32(&p[8], static_cast<uint32_t>(index.frames.size()));
  put_u32(&p[12], static_cast<uint32_t>(index.checkpoints.size()));
  put_u64(&p[16], index.event_count);
  put_u64(&p[24], index.raw_bytes);
  uint8_t* q = &p[kIndexFixedBytes];
  for (const FrameEntry& f : index.frames) {
    put_u64(q, f.file_offset);
    put_u64(q + 8, f.first_event);
    put_u64(q + 16, f.raw_bytes);
    q += kFrameEntryBytes;
  }
  for (const CheckpointEntry& c : index.checkpoints) {
    put_u64(q, c.event);
    put_u64(q + 8, c.figures.event_count);
    put_u64(q + 16, c.figures.memhash);
    put_u64(q + 24, c.figures.outhash);
    put_u64(q + 32, c.figures.heap_bytes_in_use);
    put_u32(q + 40, c.frame_index);
    put_u32(q + 44, 0);
    q += kCheckpointEntryBytes;
  }
  put_u32(q, crc32c(p.data(), p.size() - 4));
  return skippable_frame(kIndexFrameMagic, p);
}

Result<LogIndex> parse_index_payload(std::span<const uint8_t> in) {
  if (in.size() < kIndexFixedBytes + 4 || std::memcmp(in.data(), kIndexMagic, 8) != 0)
    return Status::corruption("bad index: wrong magic");
  const uint64_t frame_count = get_u32(&in[8]);
  const uint64_t checkpoint_count = get_u32(&in[12]);
  // 64-bit arithmetic: the counts are at most 2^32 so this cannot overflow.
  if (kIndexFixedBytes + kFrameEntryBytes * frame_count + kCheckpointEntryBytes * checkpoint_count +
          4 !=
      in.size())
    return Status::corruption("bad index: size does not match its counts");
  if (crc32c(in.data(), in.size() - 4) != get_u32(in.data() + in.size() - 4))
    return Status::corruption("bad index: checksum mismatch");
  LogIndex index;
  index.event_count = get_u64(&in[16]);
  index.raw_bytes = get_u64(&in[24]);
  index.frames.resize(frame_count);
  index.checkpoints.resize(checkpoint_count);
  const uint8_t* q = &in[kIndexFixedBytes];
  for (FrameEntry& f : index.frames) {
    f.file_offset = get_u64(q);
    f.first_event = get_u64(q + 8);
    f.raw_bytes = get_u64(q + 16);
    q += kFrameEntryBytes;
  }
  for (CheckpointEntry& c : index.checkpoints) {
    c.event = get_u64(q);
    c.figures.event_count = get_u64(q + 8);
    c.figures.memhash = get_u64(q + 16);
    c.figures.outhash = get_u64(q + 24);
    c.figures.heap_bytes_in_use = get_u64(q + 32);
    c.frame_index = get_u32(q + 40);
    if (get_u32(q + 44) != 0) return Status::corruption("bad index: reserved bits set");
    if (c.frame_index >= frame_count)
      return Status::corruption("bad index: checkpoint names no frame");
    q += kCheckpointEntryBytes;
  }
  for (size_t i = 1; i < index.frames.size(); ++i) {
    if (index.frames[i].file_offset <= index.frames[i - 1].file_offset ||
        index.frames[i].first_event < index.frames[i - 1].first_event)
      return Status::corruption("bad index: frames out of order");
  }
  return index;
}

void encode_trailer_frame(const Trailer& trailer, uint8_t* out) {
  put_u32(out, kTrailerFrameMagic);
  put_u32(out + 4, static_cast<uint32_t>(kTrailerPayloadBytes));
  uint8_t* p = out + 8;
  std::memcpy(p, kTrailerMagic, 8);
  put_u64(p + 8, trailer.index_offset);
  put_u64(p + 16, trailer.index_frame_bytes);
  put_u32(p + 24, 0);
  put_u32(p + 28, crc32c(p, 28));
}

bool parse_trailer_frame(const uint8_t* in, Trailer* out) {
  if (get_u32(in) != kTrailerFrameMagic || get_u32(in + 4) != kTrailerPayloadBytes) return false;
  const uint8_t* p = in + 8;
  if (std::memcmp(p, kTrailerMagic, 8) != 0 || get_u32(p + 24) != 0) return false;
  if (crc32c(p, 28) != get_u32(p + 28)) return false;
  out->index_offset = get_u64(p + 8);
  out->index_frame_bytes = get_u64(p + 16);
  return true;
}

}  // namespace lx::wal
