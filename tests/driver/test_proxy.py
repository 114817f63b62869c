"""lxrun with samples/proxy in front of samples/echo: 100 KB intact; an
upstream that refuses closes the client."""

import os
import socket

import lxtest
from lxtest import Lxrun, check, connect, recv_exactly, recv_until_eof


def test_proxy_to_echo_100kb():
    upstream = Lxrun(lxtest.sample("echo"))
    proxy = Lxrun(lxtest.sample("proxy"), app_args=[f"127.0.0.1:{upstream.port}"])
    data = os.urandom(100 * 1024)
    with connect(proxy.port) as sock:
        sock.sendall(data)
        check(recv_exactly(sock, len(data)) == data, "bytes through the proxy differ")
    with connect(proxy.port) as sock:  # a second client gets its own upstream
        sock.sendall(b"second\n")
        check(recv_exactly(sock, 7) == b"second\n", "second client")
    check(proxy.stop() == 0, "proxy did not exit 0")
    check(upstream.stop() == 0, "echo did not exit 0")


def test_proxy_upstream_refuses_closes_client():
    # A port nobody listens on: bind, note it, close.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    proxy = Lxrun(lxtest.sample("proxy"), app_args=[f"127.0.0.1:{dead_port}"])
    with connect(proxy.port, timeout=5) as sock:
        sock.sendall(b"anyone?\n")
        check(recv_until_eof(sock) == b"", "the client got bytes from a dead upstream")
    check(proxy.stop() == 0, "proxy did not exit 0")


lxtest.main(globals())
