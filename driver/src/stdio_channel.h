// Channel 0: stdin feeds recv_incoming, the channel's output goes to stdout.
// Each side is a tty, a pipe or socket, or a regular file (uv_guess_handle
// decides; DESIGN.md section 9), and each is driven the libuv way for its kind.
#pragma once

#include <uv.h>

#include "endpoint.h"
#include "endpoint_host.h"
#include "stream_writer.h"

namespace lx::driver {

class StdioChannel final : public Endpoint {
 public:
  // Opens fds 0 and 1 on the host's loop. A stdin that is closed or of an
  // unknown kind reads as an immediate end of input.
  explicit StdioChannel(EndpointHost& host);
  ~StdioChannel() override;

  int32_t chid() const override { return 0; }
  void flush() override;
  void set_reading(bool on) override;
  bool can_write() const override;
  bool broken() const override { return out_failed_ || writer_.failed(); }
  uint64_t pending_write_bytes() const override { return writer_.pending_bytes(); }
  // Never asked: the engine refuses ch:shutdown() on stdio.
  void shutdown_write() override;
  void release(bool graceful) override;
  bool finished() const override;

 private:
  enum class Kind { kNone, kTty, kPipe, kFile };

  static Kind kind_of(int fd);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_file_read(uv_fs_t* request);
  static void on_closed(uv_handle_t* handle);
  uv_stream_t* open_stream(Kind kind, int fd, uv_tty_t* tty, uv_pipe_t* pipe, bool readable);
  void read_file();
  void input_ended();
  void write_file();

  EndpointHost& host_;
  StreamWriter writer_;
  Kind in_kind_;
  Kind out_kind_;
  uv_tty_t tty_in_{};
  uv_pipe_t pipe_in_{};
  uv_tty_t tty_out_{};
  uv_pipe_t pipe_out_{};
  uv_stream_t* in_stream_ = nullptr;
  uv_stream_t* out_stream_ = nullptr;
  uv_fs_t file_read_{};
  // File reads run on libuv's thread pool, so they get their own buffer.
  char file_bytes_[64 * 1024];
  int open_handles_ = 0;
  bool reading_ = false;         // stream reading, or a file read wanted
  bool file_read_busy_ = false;  // file_read_ has not called back yet
  bool input_done_ = false;
  bool out_failed_ = false;
  bool released_ = false;
};

}  // namespace lx::driver
