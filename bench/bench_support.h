// What the benchmark programs share: a null engine, the chat/HTTP-like event
// mix, streaming zstd over a byte stream, medians, and the flags every one
// takes (--quick, --json, --dir). Header-only; benchmarks only.
#pragma once

#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lx/event_sink.h"

namespace lx::bench {

using SteadyClock = std::chrono::steady_clock;

inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// An engine that does nothing, so the numbers are the recorder's alone.
class NullEngine : public EventSink, public FiguresSource {
 public:
  int set_clock(double) override { return ++n_, 0; }
  int set_lua_source(std::span<const uint8_t>) override { return ++n_, 0; }
  int recv_incoming(int32_t, std::span<const uint8_t>) override { return ++n_, 0; }
  int sent_outgoing(int32_t, uint64_t) override { return ++n_, 0; }
  int32_t notify_accept(int32_t) override { return static_cast<int32_t>(++n_); }
  int notify_close(int32_t) override { return ++n_, 0; }
  int invoke_event_update() override { return ++n_, 0; }
  EngineFigures figures() const override { return {n_, n_ * 31, n_ * 17, 4096}; }

 private:
  uint64_t n_ = 0;
};

// A chat/HTTP-like mix: requests and lines of text (40 %), sent counts
// (20 %), clock ticks (10 %), updates (30 %); the same events every run.
inline void feed_mix(EventSink& sink, uint64_t events) {
  std::mt19937 rng(42);
  static const char* kLines[] = {
      "GET /index.html HTTP/1.1\r\nHost: example.org\r\nAccept: */*\r\n\r\n",
      "PRIVMSG #lx :hello everyone, the build is green again\r\n",
      "{\"op\":\"move\",\"x\":12,\"y\":-3,\"seq\":1023}\n",
      "POST /api/v1/items HTTP/1.1\r\nContent-Length: 27\r\n\r\n{\"name\":\"widget\",\"qty\":3}",
  };
  double clock = 1795442701.0;
  for (uint64_t i = 0; i < events; ++i) {
    const uint32_t pick = rng() % 10;
    if (pick < 4) {
      const char* line = kLines[rng() % 4];
      sink.recv_incoming(
          static_cast<int32_t>(1 + rng() % 64),
          {reinterpret_cast<const uint8_t*>(line), std::char_traits<char>::length(line)});
    } else if (pick < 6) {
      sink.sent_outgoing(static_cast<int32_t>(1 + rng() % 64), 20 + rng() % 200);
    } else if (pick < 7) {
      sink.set_clock(clock += 0.01);
    } else {
      sink.invoke_event_update();
    }
  }
}

// Compresses raw (level 1, checksums on) in inputs of flush_bytes, output
// to memory: streaming (one frame, ZSTD_e_flush per input, a new frame every
// 4 MiB, as the log writer does) or one frame per input. @return the
// compressed bytes; *seconds the time it took.
inline size_t compress_chunks(const std::vector<uint8_t>& raw, size_t flush_bytes,
                              bool frame_per_flush, double* seconds) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  std::vector<uint8_t> out(ZSTD_CStreamOutSize());
  size_t total = 0;
  size_t frame_bytes = 0;
  const auto start = SteadyClock::now();
  for (size_t at = 0; at < raw.size(); at += flush_bytes) {
    const size_t n = std::min(flush_bytes, raw.size() - at);
    frame_bytes += n;
    const bool end = frame_per_flush || frame_bytes >= (4u << 20) || at + n == raw.size();
    if (end) frame_bytes = 0;
    ZSTD_inBuffer in{raw.data() + at, n, 0};
    size_t remaining;
    do {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      remaining = ZSTD_compressStream2(cctx, &o, &in, end ? ZSTD_e_end : ZSTD_e_flush);
      total += o.pos;
    } while (remaining != 0 && !ZSTD_isError(remaining));
  }
  *seconds = seconds_since(start);
  ZSTD_freeCCtx(cctx);
  return total;
}

// The flags every benchmark takes.
struct CommonFlags {
  bool quick = false;        // fewer rounds and samples
  bool json = false;         // one JSON object per line instead of text
  std::string dir = "/tmp";  // where logs are written
};

// Consumes argv[i] (and its value) when it is a common flag. @return false
// for any other argument, which the caller handles.
inline bool take_common_flag(int argc, char** argv, int& i, CommonFlags* flags) {
  const std::string_view arg = argv[i];
  if (arg == "--quick") {
    flags->quick = true;
  } else if (arg == "--json") {
    flags->json = true;
  } else if (arg == "--dir" && i + 1 < argc) {
    flags->dir = argv[++i];
  } else {
    return false;
  }
  return true;
}

}  // namespace lx::bench
