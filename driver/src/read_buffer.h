// One read buffer for every stream: libuv reads into it and the driver hands
// the bytes to the engine (recv_incoming copies them) before the next read.
#pragma once

#include <uv.h>

namespace lx::driver {

inline void alloc_read_buffer(uv_handle_t* /*handle*/, size_t /*suggested_size*/, uv_buf_t* buf) {
  static char bytes[64 * 1024];
  *buf = uv_buf_init(bytes, sizeof(bytes));
}

}  // namespace lx::driver
