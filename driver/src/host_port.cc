// Parsing host and port pairs (see host_port.h).
#include "host_port.h"

#include <fmt/format.h>
#include <uv.h>

namespace lx::driver {
namespace {

Status bad(std::string_view text, std::string_view why) {
  return Status::usage(fmt::format("bad address '{}': {}", text, why));
}

bool parse_port(std::string_view digits, int& port) {
  if (digits.empty() || digits.size() > 5) return false;
  int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return false;
  port = value;
  return true;
}

}  // namespace

Result<HostPort> HostPort::split(std::string_view text, bool port_optional) {
  HostPort result;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) return bad(text, "expected [IPV6]:PORT");
    result.host_ = std::string(text.substr(1, close - 1));
    result.ipv6_ = true;
    port_text = text.substr(close + 2);
  } else if (size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    result.host_ = std::string(text.substr(0, colon));
    if (result.host_.find(':') != std::string::npos) {
      return bad(text, "put an IPv6 address in brackets: [::1]:PORT");
    }
    port_text = text.substr(colon + 1);
  } else if (port_optional) {
    result.host_ = kDefaultListenHost;
    port_text = text;
  } else {
    return bad(text, "expected HOST:PORT");
  }
  if (result.host_.empty()) return bad(text, "empty host");
  if (!parse_port(port_text, result.port_)) return bad(text, "the port must be 0 to 65535");
  return result;
}

Result<HostPort> HostPort::parse_listen(std::string_view text) {
  auto parsed = split(text, true);
  if (!parsed.ok()) return parsed;
  HostPort& hp = parsed.value();
  struct sockaddr_in6 probe6;
  struct sockaddr_in probe4;
  bool numeric = hp.ipv6_ ? uv_ip6_addr(hp.host_.c_str(), 0, &probe6) == 0
                          : uv_ip4_addr(hp.host_.c_str(), 0, &probe4) == 0;
  if (!numeric) {
    return bad(text, hp.ipv6_ ? "not a numeric IPv6 address"
                              : "HOST must be a numeric IPv4 address or [IPv6]");
  }
  return parsed;
}

Result<HostPort> HostPort::parse_target(std::string_view text) {
  auto parsed = split(text, false);
  if (parsed.ok() && parsed.value().port_ == 0) return bad(text, "port 0 cannot be connected to");
  return parsed;
}

std::string HostPort::str() const {
  return ipv6_ ? fmt::format("[{}]:{}", host_, port_) : fmt::format("{}:{}", host_, port_);
}

}  // namespace lx::driver
