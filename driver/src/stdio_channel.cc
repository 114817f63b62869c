// stdin and stdout as channel 0 (see stdio_channel.h).
#include "stdio_channel.h"

#include <cstdio>

#include "read_buffer.h"

namespace lx::driver {

StdioChannel::StdioChannel(EndpointHost& host)
    : host_(host), writer_(host, LX_STDIO_CHID), in_kind_(kind_of(0)), out_kind_(kind_of(1)) {
  in_stream_ = open_stream(in_kind_, 0, &tty_in_, &pipe_in_, true);
  out_stream_ = open_stream(out_kind_, 1, &tty_out_, &pipe_out_, false);
  if (out_stream_ != nullptr) writer_.attach(out_stream_);
  if (in_kind_ == Kind::kNone) input_ended();
  if (out_kind_ == Kind::kNone) out_failed_ = true;
}

StdioChannel::~StdioChannel() { LX_ASSERT(finished()); }

StdioChannel::Kind StdioChannel::kind_of(int fd) {
  switch (uv_guess_handle(fd)) {
    case UV_TTY:
      return Kind::kTty;
    case UV_NAMED_PIPE:
    case UV_TCP:
      return Kind::kPipe;  // a socket reads and writes like a pipe
    case UV_FILE:
      return Kind::kFile;  // also character devices such as /dev/null
    default:
      return Kind::kNone;
  }
}

uv_stream_t* StdioChannel::open_stream(Kind kind, int fd, uv_tty_t* tty, uv_pipe_t* pipe,
                                       bool readable) {
  Kind& slot = readable ? in_kind_ : out_kind_;
  uv_handle_t* handle = nullptr;
  if (kind == Kind::kTty) {
    if (uv_tty_init(host_.loop(), tty, fd, readable ? 1 : 0) == 0) {
      handle = reinterpret_cast<uv_handle_t*>(tty);
    }
  } else if (kind == Kind::kPipe) {
    if (uv_pipe_init(host_.loop(), pipe, 0) == 0) {
      handle = reinterpret_cast<uv_handle_t*>(pipe);
      if (uv_pipe_open(pipe, fd) != 0) {
        handle->data = this;
        ++open_handles_;
        uv_close(handle, &StdioChannel::on_closed);
        handle = nullptr;
      }
    }
  } else {
    return nullptr;
  }
  if (handle == nullptr) {
    std::fprintf(stderr, "lxrun: error: cannot open %s; channel 0 goes without it\n",
                 readable ? "stdin" : "stdout");
    slot = Kind::kNone;
    return nullptr;
  }
  handle->data = this;
  ++open_handles_;
  return reinterpret_cast<uv_stream_t*>(handle);
}

void StdioChannel::set_reading(bool on) {
  if (input_done_ || released_ || on == reading_) return;
  reading_ = on;
  if (in_kind_ == Kind::kFile) {
    if (on) read_file();
  } else if (in_stream_ != nullptr) {
    if (on) {
      if (uv_read_start(in_stream_, &alloc_read_buffer, &StdioChannel::on_read) != 0) {
        input_ended();
      }
    } else {
      uv_read_stop(in_stream_);
    }
  }
}

void StdioChannel::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto& self = *static_cast<StdioChannel*>(stream->data);
  if (nread > 0) {
    self.host_.received(LX_STDIO_CHID,
                        {reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
    if (self.host_.input_paused(LX_STDIO_CHID)) self.set_reading(false);
  } else if (nread < 0) {
    self.input_ended();  // end of input, or an error (a background tty read: EIO)
  }
}

void StdioChannel::read_file() {
  if (file_read_busy_ || input_done_ || released_ || !reading_) return;
  uv_buf_t buf = uv_buf_init(file_bytes_, sizeof(file_bytes_));
  file_read_.data = this;
  if (uv_fs_read(host_.loop(), &file_read_, 0, &buf, 1, -1, &StdioChannel::on_file_read) != 0) {
    input_ended();
    return;
  }
  file_read_busy_ = true;
}

void StdioChannel::on_file_read(uv_fs_t* request) {
  auto& self = *static_cast<StdioChannel*>(request->data);
  ssize_t result = request->result;
  uv_fs_req_cleanup(request);
  self.file_read_busy_ = false;
  if (self.released_) {
    self.host_.wake();  // the driver may delete it now
    return;
  }
  if (result <= 0) {
    self.input_ended();
    return;
  }
  self.host_.received(LX_STDIO_CHID, {reinterpret_cast<const uint8_t*>(self.file_bytes_),
                                      static_cast<size_t>(result)});
  if (self.host_.input_paused(LX_STDIO_CHID)) {
    self.reading_ = false;
  } else {
    self.read_file();
  }
}

void StdioChannel::input_ended() {
  if (input_done_) return;
  input_done_ = true;
  if (reading_ && in_stream_ != nullptr) uv_read_stop(in_stream_);
  reading_ = false;
  host_.remote_closed(LX_STDIO_CHID);
}

bool StdioChannel::can_write() const { return !released_ && !broken() && out_kind_ != Kind::kNone; }

void StdioChannel::flush() {
  if (!can_write()) return;
  if (out_kind_ == Kind::kFile) {
    write_file();
  } else {
    writer_.flush();
  }
}

void StdioChannel::write_file() {
  // Regular files (and /dev/null) take writes at once: write synchronously.
  for (;;) {
    std::span<const uint8_t> bytes = host_.engine().peek_outgoing(LX_STDIO_CHID);
    if (bytes.empty()) return;
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(bytes.data())),
                               static_cast<unsigned>(std::min<size_t>(bytes.size(), 1u << 30)));
    uv_fs_t request;
    int written = uv_fs_write(host_.loop(), &request, 1, &buf, 1, -1, nullptr);
    uv_fs_req_cleanup(&request);
    if (written <= 0) {
      out_failed_ = true;
      host_.output_failed(LX_STDIO_CHID);
      return;
    }
    host_.sent(LX_STDIO_CHID, static_cast<uint64_t>(written));
  }
}

void StdioChannel::shutdown_write() { LX_ASSERT(false); }

void StdioChannel::release(bool /*graceful*/) {
  // The driver releases stdio only when stopping, after output drained or
  // the grace period ran out, so there is nothing left to wait for.
  if (released_) return;
  released_ = true;
  writer_.detach();
  if (reading_ && in_stream_ != nullptr) uv_read_stop(in_stream_);
  reading_ = false;
  if (file_read_busy_) uv_cancel(reinterpret_cast<uv_req_t*>(&file_read_));
  for (uv_stream_t* stream : {in_stream_, out_stream_}) {
    if (stream != nullptr)
      uv_close(reinterpret_cast<uv_handle_t*>(stream), &StdioChannel::on_closed);
  }
  if (in_kind_ == Kind::kTty || out_kind_ == Kind::kTty) uv_tty_reset_mode();
}

void StdioChannel::on_closed(uv_handle_t* handle) {
  auto& self = *static_cast<StdioChannel*>(handle->data);
  --self.open_handles_;
}

bool StdioChannel::finished() const { return released_ && open_handles_ == 0 && !file_read_busy_; }

}  // namespace lx::driver
