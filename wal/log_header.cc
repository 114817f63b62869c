// Encoding and checking of the header frame (docs/wal-format.md, "Header").
#include "lx/wal/log_header.h"

#include <fmt/format.h>

#include "lx/wal/crc32c.h"
#include "lx/wal/format.h"

namespace lx::wal {
namespace {

constexpr size_t kFixedBytes = 92;
constexpr size_t kMaxBuildIdBytes = 256;
constexpr size_t kMaxDigestBytes = 64;
constexpr size_t kMaxHostNameBytes = 256;
constexpr size_t kMaxOptionsBytes = 4096;
constexpr size_t kLimitsBytes = 16;
constexpr size_t kSegmentBytes = 8 + 8 + 16;  // 1.3: first_event, segment, recording_id

void put_string(std::vector<uint8_t>& out, const void* data, size_t bytes, size_t limit) {
  const size_t n = bytes < limit ? bytes : limit;
  uint8_t len[2];
  put_u16(len, static_cast<uint16_t>(n));
  out.insert(out.end(), len, len + 2);
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + n);
}

bool take_string(std::span<const uint8_t> in, size_t& pos, size_t limit,
                 std::vector<uint8_t>* out) {
  if (in.size() - pos < 2) return false;
  const size_t n = get_u16(in.data() + pos);
  pos += 2;
  if (n > limit || in.size() - pos < n) return false;
  out->assign(in.data() + pos, in.data() + pos + n);
  pos += n;
  return true;
}

}  // namespace

std::string_view fsync_mode_name(FsyncMode mode) {
  switch (mode) {
    case FsyncMode::kNever:
      return "never";
    case FsyncMode::kInterval:
      return "interval";
    case FsyncMode::kAlways:
      return "always";
  }
  return "unknown";
}

bool fsync_mode_from_name(std::string_view name, FsyncMode* mode) {
  for (FsyncMode m : {FsyncMode::kNever, FsyncMode::kInterval, FsyncMode::kAlways}) {
    if (fsync_mode_name(m) == name) {
      *mode = m;
      return true;
    }
  }
  return false;
}

std::string app_limits_text(const std::optional<AppLimits>& limits) {
  if (!limits) return "none recorded";
  return fmt::format("instruction_budget={} memory_cap_bytes={}", limits->instruction_budget,
                     limits->memory_cap_bytes);
}

std::string recording_id_text(const RecordingId& id) {
  std::string text;
  for (uint8_t b : id) text += fmt::format("{:02x}", b);
  return text;
}

std::vector<uint8_t> skippable_frame(uint32_t magic, std::span<const uint8_t> payload) {
  std::vector<uint8_t> frame(8 + payload.size());
  put_u32(frame.data(), magic);
  put_u32(frame.data() + 4, static_cast<uint32_t>(payload.size()));
  std::copy(payload.begin(), payload.end(), frame.begin() + 8);
  return frame;
}

std::vector<uint8_t> encode_header_frame(const LogHeader& header) {
  std::vector<uint8_t> p(kFixedBytes, 0);
  std::memcpy(p.data(), kHeaderMagic, 8);
  put_u16(&p[8], kFormatMajor);
  put_u16(&p[10], kFormatMinor);
  // p[12..16) flags and p[20..24) reserved stay zero.
  put_u32(&p[16], header.engine_abi_version);
  put_u64(&p[24], header.seed);
  put_u64(&p[32], header.heap_base);
  put_u64(&p[40], header.heap_bytes);
  put_u64(&p[48], static_cast<uint64_t>(header.start_wall_time_ns));
  put_u64(&p[56], header.checkpoint_every);
  put_u64(&p[64], header.max_log_bytes);
  put_u64(&p[72], header.frame_restart_bytes);
  put_u32(&p[80], header.flush_ms);
  put_u32(&p[84], static_cast<uint32_t>(header.zstd_level));
  p[88] = static_cast<uint8_t>(header.fsync);
  // p[89..92) reserved, zero.
  put_string(p, header.engine_build_id.data(), header.engine_build_id.size(), kMaxBuildIdBytes);
  put_string(p, header.app_source_digest.data(), header.app_source_digest.size(), kMaxDigestBytes);
  put_string(p, header.host_name.data(), header.host_name.size(), kMaxHostNameBytes);
  put_string(p, header.options_text.data(), header.options_text.size(), kMaxOptionsBytes);
  // 1.1: the limits, then 1.3's segment fields. A header without limits
  // is laid out as 1.0 laid it out (the tests write those), so it cannot
  // hold a segment.
  if (header.limits) {
    uint8_t tail[kLimitsBytes + kSegmentBytes];
    put_u64(tail, header.limits->instruction_budget);
    put_u64(tail + 8, header.limits->memory_cap_bytes);
    put_u64(tail + 16, header.first_event);
    put_u64(tail + 24, header.segment);
    std::memcpy(tail + 32, header.recording_id.data(), header.recording_id.size());
    p.insert(p.end(), tail, tail + sizeof tail);
  } else {
    LX_ASSERT(header.first_event == 1 && header.segment == 0);
  }
  uint8_t crc[4];
  put_u32(crc, crc32c(p.data(), p.size()));
  p.insert(p.end(), crc, crc + 4);
  LX_ASSERT(p.size() <= kMaxHeaderPayloadBytes);
  return skippable_frame(kHeaderFrameMagic, p);
}

Result<LogHeader> parse_header_payload(std::span<const uint8_t> in) {
  if (in.size() < 12 || std::memcmp(in.data(), kHeaderMagic, 8) != 0)
    return Status::corruption("not an lx log (no LXWAL header)");
  LogHeader h;
  h.version_major = get_u16(&in[8]);
  h.version_minor = get_u16(&in[10]);
  if (h.version_major > kFormatMajor) {
    return Status::corruption(fmt::format(
        "written in log format {}.{}, newer than this reader's {}.x; read it with the lx tools "
        "of the version that recorded it (or newer)",
        h.version_major, h.version_minor, kFormatMajor));
  }
  if (h.version_major == 0) return Status::corruption("bad header: format version 0");
  if (in.size() < kFixedBytes + 4) return Status::corruption("bad header: too short");
  const size_t body = in.size() - 4;
  if (crc32c(in.data(), body) != get_u32(in.data() + body))
    return Status::corruption("bad header: checksum mismatch");
  const uint32_t flags = get_u32(&in[12]);
  if (flags != 0 || get_u32(&in[20]) != 0 || in[89] != 0 || in[90] != 0 || in[91] != 0)
    return Status::corruption("bad header: reserved bits set");
  h.engine_abi_version = get_u32(&in[16]);
  h.seed = get_u64(&in[24]);
  h.heap_base = get_u64(&in[32]);
  h.heap_bytes = get_u64(&in[40]);
  h.start_wall_time_ns = static_cast<int64_t>(get_u64(&in[48]));
  h.checkpoint_every = get_u64(&in[56]);
  h.max_log_bytes = get_u64(&in[64]);
  h.frame_restart_bytes = get_u64(&in[72]);
  h.flush_ms = get_u32(&in[80]);
  h.zstd_level = static_cast<int32_t>(get_u32(&in[84]));
  if (in[88] > 2) return Status::corruption("bad header: unknown fsync mode");
  h.fsync = static_cast<FsyncMode>(in[88]);
  const std::span<const uint8_t> fields = in.first(body);
  size_t pos = kFixedBytes;
  std::vector<uint8_t> build, host, options;
  if (!take_string(fields, pos, kMaxBuildIdBytes, &build) ||
      !take_string(fields, pos, kMaxDigestBytes, &h.app_source_digest) ||
      !take_string(fields, pos, kMaxHostNameBytes, &host) ||
      !take_string(fields, pos, kMaxOptionsBytes, &options))
    return Status::corruption("bad header: a string runs past the header");
  // 1.1: the limits, when the writer knew them (a 1.0 log ends here).
  if (body - pos >= kLimitsBytes) {
    h.limits = AppLimits{get_u64(&in[pos]), get_u64(&in[pos + 8])};
    pos += kLimitsBytes;
  }
  // 1.3: the segment fields (a log before 1.3 is one whole recording).
  if (body - pos >= kSegmentBytes) {
    h.first_event = get_u64(&in[pos]);
    h.segment = get_u64(&in[pos + 8]);
    std::memcpy(h.recording_id.data(), &in[pos + 16], h.recording_id.size());
    pos += kSegmentBytes;
    if (h.first_event == 0) return Status::corruption("bad header: first event 0");
  }
  // Bytes between the last known field and the CRC belong to a newer minor
  // version and are skipped.
  h.engine_build_id.assign(build.begin(), build.end());
  h.host_name.assign(host.begin(), host.end());
  h.options_text.assign(options.begin(), options.end());
  return h;
}

}  // namespace lx::wal
