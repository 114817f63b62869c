// The driver side of one TCP channel: accepted from a Listener, or opened
// for an lx.connect channel (resolve, connect). Reads feed recv_incoming;
// the StreamWriter writes the engine's output.
#pragma once

#include <uv.h>

#include <string>
#include <string_view>

#include "endpoint.h"
#include "endpoint_host.h"
#include "listener.h"
#include "stream_writer.h"

namespace lx::driver {

class Connection final : public Endpoint {
 public:
  // A connection not yet tied to a socket; chid may be set later (accept).
  Connection(EndpointHost& host, int32_t chid);
  ~Connection() override;

  // Takes the pending connection of a listener. Returns false when accepting
  // failed or the listener's AdmissionGate refused it (it said why), after
  // which only release(false) is allowed.
  bool accept_from(Listener& listener);
  // Names the channel once the engine gave it a chid (accepted connections).
  void set_chid(int32_t chid);
  // Resolves and connects to target ("host:port"); on any failure reports
  // remote_closed and becomes broken.
  void connect_to(std::string_view target);

  int32_t chid() const override { return chid_; }
  void flush() override { writer_.flush(); }
  void set_reading(bool on) override;
  bool can_write() const override;
  bool broken() const override { return broken_ || writer_.failed(); }
  uint64_t pending_write_bytes() const override { return writer_.pending_bytes(); }
  void shutdown_write() override;
  void release(bool graceful) override;
  bool finished() const override;

 private:
  enum class State { kIdle, kResolving, kConnecting, kOpen, kFailed };

  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_resolved(uv_getaddrinfo_t* request, int status, struct addrinfo* result);
  static void on_connect(uv_connect_t* request, int status);
  static void on_closed_for_retry(uv_handle_t* handle);
  static void on_shutdown(uv_shutdown_t* request, int status);
  static void on_closed(uv_handle_t* handle);
  void init_handle();
  void try_next_address();
  void connect_failed();
  // Asks for uv_shutdown once per socket; false when it could not start.
  bool start_shutdown();
  void close_handle();

  EndpointHost& host_;
  int32_t chid_;
  StreamWriter writer_;
  AdmissionGate::Slot slot_;  // accepted connections: their place in --max-connections
  State state_ = State::kIdle;
  uv_tcp_t tcp_{};
  uv_getaddrinfo_t resolve_{};
  uv_connect_t connect_{};
  uv_shutdown_t shutdown_{};
  struct addrinfo* addresses_ = nullptr;  // owned while connecting
  struct addrinfo* next_address_ = nullptr;
  bool handle_open_ = false;     // tcp_ initialised and its close callback not yet run
  bool handle_closing_ = false;  // uv_close called
  bool resolving_ = false;       // resolve_ has not called back yet
  bool shutting_down_ = false;   // shutdown_ has not called back yet
  bool write_shut_ = false;      // uv_shutdown was asked for (by shutdown_write or release)
  bool reading_ = false;
  bool read_done_ = false;  // EOF or read error seen
  bool broken_ = false;
  bool released_ = false;
};

}  // namespace lx::driver
