// A listening socket and the admission rule of all of them (see listener.h).
#include "listener.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

namespace lx::driver {

namespace {

// How long without a refusal ends a shedding episode (one start line and one
// end line per episode, however the load comes and goes within it).
constexpr uint64_t kQuietMs = 1000;

uint64_t raise_fd_limit(uint64_t wanted, uint64_t* hard) {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;  // unknown: trust the flag
  *hard = limit.rlim_max == RLIM_INFINITY ? wanted : limit.rlim_max;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    struct rlimit raised = limit;
    raised.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? wanted : limit.rlim_cur;
}

}  // namespace

AdmissionGate::Slot::~Slot() {
  if (gate_ != nullptr) --gate_->open_;
}

std::shared_ptr<AdmissionGate> AdmissionGate::create(uv_loop_t* loop, uint64_t max_connections,
                                                     std::FILE* err) {
  LX_ASSERT(max_connections > 0);
  const uint64_t wanted = max_connections + kReservedFds;
  uint64_t hard = wanted;
  const uint64_t fd_limit = raise_fd_limit(wanted, &hard);
  if (fd_limit < wanted) {
    std::fprintf(err,
                 "lxrun: warning: --max-connections %llu needs %llu file descriptors but the "
                 "limit is %llu (ulimit -n; hard limit %llu): new connections are refused once "
                 "fewer than %llu descriptors are left; raise ulimit -n or lower "
                 "--max-connections\n",
                 static_cast<unsigned long long>(max_connections),
                 static_cast<unsigned long long>(wanted), static_cast<unsigned long long>(fd_limit),
                 static_cast<unsigned long long>(hard),
                 static_cast<unsigned long long>(kReservedFds));
  }
  return std::shared_ptr<AdmissionGate>(new AdmissionGate(loop, max_connections, fd_limit, err));
}

AdmissionGate::AdmissionGate(uv_loop_t* loop, uint64_t max_connections, uint64_t fd_limit,
                             std::FILE* err)
    : loop_(loop), max_connections_(max_connections), fd_limit_(fd_limit), err_(err) {}

AdmissionGate::~AdmissionGate() {
  LX_ASSERT_OP(open_, ==, uint64_t{0});
  if (shedding_) end_episode();
}

AdmissionGate::Slot AdmissionGate::admit(int fd, const std::string& address) {
  if (open_ >= max_connections_) {
    shed(fmt::format("--max-connections {} reached on {}", max_connections_, address));
    return Slot();
  }
  if (fd >= 0 && static_cast<uint64_t>(fd) + kReservedFds >= fd_limit_) {
    shed(
        fmt::format("out of file descriptors on {} (descriptor {} of the limit {}, {} kept in "
                    "reserve; raise ulimit -n)",
                    address, fd, fd_limit_, kReservedFds));
    return Slot();
  }
  if (shedding_ && uv_now(loop_) - last_shed_ms_ >= kQuietMs) end_episode();
  ++open_;
  return Slot(shared_from_this());
}

void AdmissionGate::accept_failed(int status, const std::string& address) {
  // libuv closes the pending connections itself when descriptors run out;
  // what reaches here is what it could not deal with.
  shed(fmt::format("accept on {} failed: {}", address, uv_strerror(status)));
}

void AdmissionGate::shed(const std::string& why) {
  ++shed_count_;
  last_shed_ms_ = uv_now(loop_);
  if (shedding_) return;
  shedding_ = true;
  std::fprintf(err_,
               "lxrun: warning: shedding load: %s; new connections are closed at once "
               "(%llu open)\n",
               why.c_str(), static_cast<unsigned long long>(open_));
  std::fflush(err_);
}

void AdmissionGate::end_episode() {
  shedding_ = false;
  std::fprintf(err_, "lxrun: shedding ended: %llu connection(s) refused (%llu open)\n",
               static_cast<unsigned long long>(shed_count_),
               static_cast<unsigned long long>(open_));
  std::fflush(err_);
  shed_count_ = 0;
}

Listener::Listener(uv_loop_t* loop, std::shared_ptr<AdmissionGate> gate, OnConnection on_connection)
    : gate_(std::move(gate)), on_connection_(std::move(on_connection)) {
  LX_ASSERT(gate_ != nullptr);
  int rc = uv_tcp_init(loop, &tcp_);
  LX_ASSERT_OP(rc, ==, 0);
  tcp_.data = this;
  handle_open_ = true;
}

Listener::~Listener() { LX_ASSERT(closed()); }

Status Listener::listen(const HostPort& address) {
  struct sockaddr_storage storage {};
  int rc = address.ipv6() ? uv_ip6_addr(address.host().c_str(), address.port(),
                                        reinterpret_cast<struct sockaddr_in6*>(&storage))
                          : uv_ip4_addr(address.host().c_str(), address.port(),
                                        reinterpret_cast<struct sockaddr_in*>(&storage));
  if (rc == 0) rc = uv_tcp_bind(&tcp_, reinterpret_cast<const struct sockaddr*>(&storage), 0);
  // A port in use shows up at bind or at listen, depending on the kernel.
  constexpr int kBacklog = 511;
  if (rc == 0) rc = uv_listen(stream(), kBacklog, &Listener::on_connection);
  if (rc != 0) {
    std::string what = rc == UV_EADDRINUSE ? "; stop the other server or choose another port"
                       : rc == UV_EACCES   ? "; ports below 1024 need privileges"
                                           : "";
    return Status::io(fmt::format("cannot listen on {} (port {}): {}{}", address.str(),
                                  address.port(), uv_strerror(rc), what));
  }
  struct sockaddr_storage bound {};
  int size = sizeof(bound);
  rc = uv_tcp_getsockname(&tcp_, reinterpret_cast<struct sockaddr*>(&bound), &size);
  LX_ASSERT_OP(rc, ==, 0);
  int port = bound.ss_family == AF_INET6
                 ? ntohs(reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port)
                 : ntohs(reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
  bound_ = address.with_port(port);
  return ok_status();
}

void Listener::on_connection(uv_stream_t* server, int status) {
  auto& self = *static_cast<Listener*>(server->data);
  if (status != 0) {
    // The connection is lost, the listener stays.
    self.gate_->accept_failed(status, self.address());
    return;
  }
  self.on_connection_(self);
}

void Listener::close() {
  if (!handle_open_ || handle_closing_) return;
  handle_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), &Listener::on_closed);
}

void Listener::on_closed(uv_handle_t* handle) {
  static_cast<Listener*>(handle->data)->handle_open_ = false;
}

}  // namespace lx::driver
