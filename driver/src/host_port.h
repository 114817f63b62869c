// Parsing "[HOST:]PORT" for --listen and "HOST:PORT" for lx.connect targets,
// with IPv6 addresses in brackets ("[::1]:8080").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lx/status.h"

namespace lx::driver {

class HostPort {
 public:
  static constexpr const char* kDefaultListenHost = "127.0.0.1";

  // --listen syntax: PORT, IPV4:PORT or [IPV6]:PORT, with a numeric address
  // (HOST defaults to 127.0.0.1) and a port from 0 (ephemeral) to 65535.
  // Errors are ErrorKind::kUsage.
  static Result<HostPort> parse_listen(std::string_view text);
  // An lx.connect target: NAME:PORT, IPV4:PORT or [IPV6]:PORT, port 1 to
  // 65535; the name is resolved later.
  static Result<HostPort> parse_target(std::string_view text);

  // The same host with another port (the one a listener actually bound).
  HostPort with_port(int port) const {
    HostPort copy = *this;
    copy.port_ = port;
    return copy;
  }
  const std::string& host() const { return host_; }
  int port() const { return port_; }
  bool ipv6() const { return ipv6_; }
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string str() const;

 private:
  static Result<HostPort> split(std::string_view text, bool port_optional);

  std::string host_;
  int port_ = 0;
  bool ipv6_ = false;
};

}  // namespace lx::driver
