// Parsing --listen and lx.connect addresses.
#include "host_port.h"

#include <catch2/catch.hpp>

using lx::driver::HostPort;

TEST_CASE("listen addresses take PORT, IPV4:PORT and [IPV6]:PORT", "[driver][address]") {
  auto port_only = HostPort::parse_listen("8080");
  REQUIRE(port_only.ok());
  CHECK(port_only.value().host() == "127.0.0.1");
  CHECK(port_only.value().port() == 8080);
  CHECK(port_only.value().str() == "127.0.0.1:8080");

  auto any = HostPort::parse_listen("0.0.0.0:0");
  REQUIRE(any.ok());
  CHECK(any.value().port() == 0);

  auto v6 = HostPort::parse_listen("[::1]:65535");
  REQUIRE(v6.ok());
  CHECK(v6.value().ipv6());
  CHECK(v6.value().host() == "::1");
  CHECK(v6.value().str() == "[::1]:65535");
}

TEST_CASE("listen addresses refuse bad syntax as a usage error", "[driver][address]") {
  for (const char* bad : {"", "abc", "65536", "-1", "1.2.3.4:", ":80", "::1:80", "[::1]80",
                          "[::1:80", "[nothost]:80", "localhost:80", "1.2.3.4:8x", "1.2.3:80"}) {
    INFO(bad);
    auto parsed = HostPort::parse_listen(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().kind() == lx::ErrorKind::kUsage);
  }
}

TEST_CASE("connect targets take names and need a port", "[driver][address]") {
  auto named = HostPort::parse_target("example.org:443");
  REQUIRE(named.ok());
  CHECK(named.value().host() == "example.org");
  CHECK(named.value().port() == 443);
  CHECK(HostPort::parse_target("[::1]:7").ok());
  CHECK_FALSE(HostPort::parse_target("example.org").ok());
  CHECK_FALSE(HostPort::parse_target("example.org:0").ok());
  CHECK_FALSE(HostPort::parse_target(":80").ok());
}
