// The zero-copy-first write path (see stream_writer.h).
#include "stream_writer.h"

#include <algorithm>
#include <cstring>
#include <memory>

namespace lx::driver {

struct StreamWriter::PendingWrite {
  uv_write_t request;
  StreamWriter* writer;
  size_t size;
  std::unique_ptr<uint8_t[]> bytes;
};

void StreamWriter::flush() {
  // Each round takes one contiguous run; the engine may hold a few.
  constexpr int kMaxRounds = 16;
  if (stream_ == nullptr || failed_ || detached_) return;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (pending_bytes_ >= kMaxPendingBytes) return;  // on_write wakes the driver
    std::span<const uint8_t> bytes = host_.engine().peek_outgoing(chid_);
    if (bytes.empty()) return;
    if (pending_bytes_ == 0) {
      // Nothing queued in libuv, so the kernel may take it all right now.
      uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                                 static_cast<unsigned>(std::min<size_t>(bytes.size(), 1u << 30)));
      int written = uv_try_write(stream_, &buf, 1);
      if (written < 0 && written != UV_EAGAIN) {
        fail();
        return;
      }
      if (written > 0) {
        host_.sent(chid_, static_cast<uint64_t>(written));
        if (static_cast<size_t>(written) == buf.len) continue;
        bytes = host_.engine().peek_outgoing(chid_);  // the rest, after the event
      }
    }
    queue_copy(bytes);
    return;
  }
  host_.wake();  // more runs than rounds: come back on the next turn
}

void StreamWriter::queue_copy(std::span<const uint8_t> bytes) {
  size_t size = std::min<uint64_t>(bytes.size(), kMaxPendingBytes - pending_bytes_);
  if (size == 0) return;
  auto* pending = new PendingWrite{{}, this, size, std::make_unique<uint8_t[]>(size)};
  std::memcpy(pending->bytes.get(), bytes.data(), size);
  pending->request.data = pending;
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(pending->bytes.get()), static_cast<unsigned>(size));
  if (uv_write(&pending->request, stream_, &buf, 1, &StreamWriter::on_write) != 0) {
    delete pending;
    fail();
    return;
  }
  pending_bytes_ += size;
  host_.sent(chid_, size);
}

void StreamWriter::on_write(uv_write_t* request, int status) {
  std::unique_ptr<PendingWrite> pending(static_cast<PendingWrite*>(request->data));
  StreamWriter& writer = *pending->writer;
  LX_ASSERT_OP(writer.pending_bytes_, >=, pending->size);
  writer.pending_bytes_ -= pending->size;
  if (status < 0 && status != UV_ECANCELED) {
    writer.fail();
  } else if (!writer.detached_) {
    writer.host_.wake();
  }
}

void StreamWriter::fail() {
  if (failed_) return;
  failed_ = true;
  if (!detached_) host_.output_failed(chid_);
}

}  // namespace lx::driver
