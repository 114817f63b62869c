// Crafted logs for the reader's error-path tests.
#include "log_builder.h"

#include <zstd.h>

#include "lx/assert.h"

namespace lx::wal::test {

std::vector<uint8_t> record_bytes_of(const Record& record) {
  const PayloadPrefix prefix = encode_prefix(record);
  std::vector<uint8_t> out(
      wal::record_bytes(record.type, record.event, prefix.size + record.bytes.size()));
  const size_t n =
      encode_record(out.data(), record.type, record.event, prefix.span(), record.bytes);
  LX_ASSERT_OP(n, ==, out.size());
  return out;
}

std::vector<uint8_t> event_record(RecordType type, uint64_t event) {
  Record r;
  r.type = type;
  r.event = event;
  return record_bytes_of(r);
}

std::vector<uint8_t> recv_record(uint64_t event, int32_t chid, std::string_view bytes) {
  Record r;
  r.type = RecordType::kRecvIncoming;
  r.event = event;
  r.chid = chid;
  r.bytes = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  return record_bytes_of(r);
}

std::vector<uint8_t> end_record(uint64_t event, EndReason reason) {
  Record r;
  r.type = RecordType::kEnd;
  r.event = event;
  r.end_reason = reason;
  return record_bytes_of(r);
}

std::vector<uint8_t> clock_records(uint64_t first, uint64_t last) {
  std::vector<uint8_t> out;
  for (uint64_t e = first; e <= last; ++e) {
    Record r;
    r.type = RecordType::kSetClock;
    r.event = e;
    r.clock_seconds = 1.0e9 + static_cast<double>(e);
    const std::vector<uint8_t> one = record_bytes_of(r);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

std::vector<uint8_t> raw_record(std::vector<uint8_t> head_and_payload) {
  size_t event_bytes = 1;
  while (event_bytes < head_and_payload.size() - 1 && head_and_payload[event_bytes] >= 0x80)
    ++event_bytes;
  uint8_t crc[4];
  put_u32(crc, record_crc(kWrittenRecordCrc, head_and_payload.data(), event_bytes,
                          head_and_payload.size()));
  head_and_payload.insert(head_and_payload.end(), crc, crc + 4);
  return head_and_payload;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

LogBuilder::LogBuilder() {
  LogHeader header;
  header.seed = 1;
  header.heap_base = 0x200000000000ull;
  header.heap_bytes = 1ull << 30;
  bytes_ = encode_header_frame(header);
}

uint64_t LogBuilder::zstd_frame(const std::vector<uint8_t>& records) {
  const uint64_t at = bytes_.size();
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<uint8_t> out(ZSTD_compressBound(records.size()));
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), records.data(), records.size());
  LX_ASSERT(!ZSTD_isError(n));
  ZSTD_freeCCtx(cctx);
  bytes_.insert(bytes_.end(), out.begin(), out.begin() + static_cast<long>(n));
  index_.frames.push_back(FrameEntry{at, 0, records.size()});
  index_.raw_bytes += records.size();
  return at;
}

uint64_t LogBuilder::crash_flush(const std::vector<uint8_t>& records, int signo) {
  const uint64_t at = bytes_.size();
  uint8_t marker[kCrashFrameBytes];
  encode_crash_marker(signo, marker);
  append({marker, sizeof marker});
  append({kRawFrameHeader, sizeof kRawFrameHeader});
  size_t done = 0;
  do {
    const size_t n = std::min(kRawBlockMaxBytes, records.size() - done);
    uint8_t header[kBlockHeaderBytes];
    encode_raw_block_header(header, n, done + n == records.size());
    append({header, sizeof header});
    append({records.data() + done, n});
    done += n;
  } while (done < records.size());
  return at;
}

void LogBuilder::index_and_trailer(uint64_t event_count) {
  index_.event_count = event_count;
  const std::vector<uint8_t> frame = encode_index_frame(index_);
  const uint64_t at = bytes_.size();
  append(frame);
  uint8_t trailer[kTrailerFrameBytes];
  encode_trailer_frame(Trailer{at, frame.size()}, trailer);
  append({trailer, sizeof trailer});
}

void LogBuilder::append(std::span<const uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void LogBuilder::append(std::string_view text) {
  append({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

}  // namespace lx::wal::test
