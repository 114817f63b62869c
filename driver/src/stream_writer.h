// The write path of a stream (TCP socket, pipe, tty): writes straight from the
// engine's outgoing buffer with uv_try_write, and copies only what the kernel
// would not take into driver memory for a uv_write (DESIGN.md section 9: the
// app may delete the channel, freeing that buffer, while libuv still writes).
#pragma once

#include <uv.h>

#include <cstdint>

#include "endpoint_host.h"

namespace lx::driver {

class StreamWriter {
 public:
  // At most this many bytes of one stream wait in driver memory; beyond it
  // the writer stops taking output from the engine until writes complete.
  static constexpr uint64_t kMaxPendingBytes = 1 << 20;

  StreamWriter(EndpointHost& host, int32_t chid) : host_(host), chid_(chid) {}
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // The stream to write to; it must outlive every write (closing the handle
  // cancels them, which calls back before the close callback).
  void attach(uv_stream_t* stream) { stream_ = stream; }
  void set_chid(int32_t chid) { chid_ = chid; }
  // From now on no events: the channel is gone from the engine.
  void detach() { detached_ = true; }

  // Writes the engine's output. sent_outgoing is fed for every byte the
  // kernel took (uv_try_write) and for every byte copied into a uv_write, so
  // the engine frees them at once. A write error feeds notify_close through
  // EndpointHost::output_failed.
  void flush();

  uint64_t pending_bytes() const { return pending_bytes_; }
  bool failed() const { return failed_; }

 private:
  struct PendingWrite;
  static void on_write(uv_write_t* request, int status);
  void fail();
  void queue_copy(std::span<const uint8_t> bytes);

  EndpointHost& host_;
  int32_t chid_;
  uv_stream_t* stream_ = nullptr;
  uint64_t pending_bytes_ = 0;
  bool failed_ = false;
  bool detached_ = false;
};

}  // namespace lx::driver
