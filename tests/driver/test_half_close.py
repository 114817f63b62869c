"""Half-closed sockets through samples/proxy (issue 8): a client that sends
and then shuts its write side down still gets the whole answer, and an
upstream that does the same still gets everything the client sends after it,
for one line and for 2 MB. Both lxruns record; each log replays with every
checkpoint matching."""

import os
import socket
import threading

import lxtest
from lxtest import Lxrun, check, check_replays, connect, recv_until_eof, work_path

TWO_MB = 2 * 1024 * 1024


def payload(size):
    """size bytes of lines ending in a newline (random, so nothing compresses away)."""
    if size < 64:
        return b"one line through the proxy\n"[:size - 1] + b"\n"
    return os.urandom(size - 1).replace(b"\n", b".") + b"\n"


def send_then_shut(sock, data):
    """Sends data and shuts the write side down. A short message goes at once,
    so its bytes and the EOF reach lxrun together (the case that lost the
    reply); a long one from a thread (returned), so the caller reads at the
    same time and neither side waits for the other's buffers."""
    def run():
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    if len(data) < 4096:
        run()
        return None
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def client_half_closes(size, name):
    echo_log, proxy_log = work_path(f"echo-{name}.lxw"), work_path(f"proxy-{name}.lxw")
    echo = Lxrun(lxtest.sample("echo"), extra=["--record", echo_log])
    proxy = Lxrun(lxtest.sample("proxy"), app_args=[f"127.0.0.1:{echo.port}"],
                  extra=["--record", proxy_log])
    data = payload(size)
    with connect(proxy.port, timeout=20) as sock:
        sender = send_then_shut(sock, data)
        got = recv_until_eof(sock)  # the proxy passes echo's EOF back once it has all
        if sender:
            sender.join(20)
    check(len(got) == len(data) and got == data,
          f"{len(got)} of {len(data)} bytes came back after the half-close")
    check(proxy.stop() == 0, "the proxy did not exit 0:\n" + proxy.stderr_text())
    check(echo.stop() == 0, "echo did not exit 0:\n" + echo.stderr_text())
    check_replays(proxy_log)
    check_replays(echo_log)


def test_proxy_client_half_close_one_line():
    client_half_closes(27, "line")


def test_proxy_client_half_close_2mb():
    client_half_closes(TWO_MB, "2mb")


class HalfClosingUpstream:
    """An upstream that sends a greeting, shuts its write side down, then
    reads until the proxy shuts down in turn, and keeps what it read."""

    def __init__(self, greeting):
        self.greeting = greeting
        self.received = None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.listener.settimeout(20)
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(20)
            conn.sendall(self.greeting)
            conn.shutdown(socket.SHUT_WR)
            self.received = recv_until_eof(conn)
        self.listener.close()


def upstream_half_closes(size, name):
    proxy_log = work_path(f"proxy-up-{name}.lxw")
    greeting, request = payload(size), payload(size)
    upstream = HalfClosingUpstream(greeting)
    proxy = Lxrun(lxtest.sample("proxy"), app_args=[f"127.0.0.1:{upstream.port}"],
                  extra=["--record", proxy_log])
    with connect(proxy.port, timeout=20) as sock:
        got = recv_until_eof(sock)  # the upstream's EOF reaches the client...
        check(got == greeting, f"{len(got)} of {len(greeting)} greeting bytes before EOF")
        sock.sendall(request)  # ...whose own direction is still open
        sock.shutdown(socket.SHUT_WR)
        upstream.thread.join(20)
        check(recv_until_eof(sock) == b"", "bytes after the upstream's EOF")
    check(upstream.received is not None, "the upstream never saw the proxy's EOF")
    check(upstream.received == request,
          f"the upstream got {len(upstream.received)} of {len(request)} bytes")
    check(proxy.stop() == 0, "the proxy did not exit 0:\n" + proxy.stderr_text())
    check_replays(proxy_log)


def test_proxy_upstream_half_close_one_line():
    upstream_half_closes(27, "line")


def test_proxy_upstream_half_close_2mb():
    upstream_half_closes(TWO_MB, "2mb")


lxtest.main(globals())
