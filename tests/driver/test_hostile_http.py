"""samples/http against hostile clients (issue 9): slowloris, 2,000
concurrent connections, a 100 MB body, huge lengths and malformed requests,
pipelining without reading, and half-closed sockets. Each attack runs
against a recording lxrun while a well-behaved client keeps being served
(its latencies are printed, not asserted: the machine is noisy); lxrun's RSS
stays bounded; the log replays with every checkpoint matching."""

import resource
import select
import socket
import statistics
import threading
import time

import lxtest
from lxtest import (Lxrun, SkipTest, check, connect, read_response, read_until_closed,
                    recv_until_eof, send_ignoring_close, stop_and_replay, work_path)

MIB = 1024 * 1024
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def recorded_http(name, app_args=(), extra=()):
    log = work_path(name + ".lxw")
    run = Lxrun(lxtest.sample("http"), app_args=list(app_args),
                extra=["--record", log] + list(extra))
    return run, log


class WellBehaved:
    """A keep-alive client asking GET / in a loop from a thread until
    stopped; keeps each request's latency and fails on any other answer."""

    def __init__(self, port):
        self.port = port
        self.latencies_ms = []
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            with connect(self.port, timeout=10) as sock:
                pending = bytearray()
                while not self._stop.is_set():
                    started = time.monotonic()
                    sock.sendall(GET)
                    status, _, body = read_response(sock, pending)
                    if status != 200 or body != b"hello from lx\n":
                        raise AssertionError(f"status {status} body {body!r}")
                    self.latencies_ms.append((time.monotonic() - started) * 1000)
                    time.sleep(0.01)
        except Exception as error:  # reported by stop()
            self.error = error

    def stop(self, what):
        deadline = time.monotonic() + 10  # a few answers at least, if the attack was short
        while len(self.latencies_ms) < 5 and self.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        self._thread.join(15)
        check(self.error is None, f"the well-behaved client failed during {what}: {self.error!r}")
        check(len(self.latencies_ms) >= 5, f"only {len(self.latencies_ms)} answers during {what}")
        ordered = sorted(self.latencies_ms)
        print(f"{what}: well-behaved client {len(ordered)} requests, latency median "
              f"{statistics.median(ordered):.1f} ms, p99 {ordered[int(len(ordered) * 0.99)]:.1f} "
              f"ms, max {ordered[-1]:.1f} ms")


def test_http_slowloris_times_out_and_others_are_served():
    run, log = recorded_http("http-slowloris", ["header_timeout=1", "request_timeout=2",
                                                "idle_timeout=2"])
    good = WellBehaved(run.port)
    # 200 connections trickle a header a byte at a time and never finish it.
    slow = [connect(run.port) for _ in range(200)]
    for sock in slow:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    answers = {sock: bytearray() for sock in slow}
    deadline = time.monotonic() + 8
    while answers and time.monotonic() < deadline:
        for sock in list(answers):
            try:
                sock.send(b"z")
            except OSError:
                pass
        readable, _, _ = select.select(list(answers), [], [], 0.1)
        for sock in readable:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:
                chunk = b""
            answers[sock] += chunk
            if not chunk:
                check(bytes(answers[sock]).startswith(b"HTTP/1.1 408 Request Timeout\r\n"),
                      f"a slow connection ended with {bytes(answers[sock])[:60]!r}")
                del answers[sock]
    check(not answers, f"{len(answers)} slowloris connections were still open after 8 s")
    rss_kb = run.rss_kb()
    good.stop("slowloris (200 connections)")
    print(f"RSS after slowloris: {rss_kb // 1024} MiB")
    for sock in slow:
        sock.close()
    # An idle connection (no request at all) is closed after idle_timeout.
    with connect(run.port, timeout=10) as idle:
        check(recv_until_eof(idle) == b"", "an idle connection got bytes")
    stop_and_replay(run, log)


def test_http_2000_concurrent_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2200
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            raise SkipTest(f"needs {want} file descriptors, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    run, log = recorded_http("http-2000", extra=["--max-connections", "2100"])
    good = WellBehaved(run.port)
    socks = [connect(run.port, timeout=20) for _ in range(2000)]
    for sock in socks:
        sock.sendall(GET)
    statuses = []
    for sock in socks:
        statuses.append(read_response(sock, bytearray())[0])
    check(statuses == [200] * 2000, f"{2000 - statuses.count(200)} of 2000 not answered 200")
    rss_kb = run.rss_kb()
    good.stop("2,000 open connections")
    print(f"RSS with 2,000 connections open: {rss_kb // 1024} MiB")
    for sock in socks:
        sock.close()
    stop_and_replay(run, log)


def test_http_100mb_body_is_refused_at_its_header():
    run, log = recorded_http("http-100mb")
    good = WellBehaved(run.port)
    body = b"b" * (100 * MIB)
    with connect(run.port, timeout=20) as sock:
        sender = send_ignoring_close(
            sock, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        answer = read_until_closed(sock)
        sender.join(20)
    check(answer.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), f"answer {answer[:80]!r}")
    # The same bytes without a Content-Length: they are not a request.
    with connect(run.port, timeout=20) as sock:
        sender = send_ignoring_close(sock, GET + body)
        answer = read_until_closed(sock)
        sender.join(20)
    check(answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"HTTP/1.1 431 " in answer,
          f"answer {answer[:300]!r}")
    rss_kb = run.rss_kb()
    good.stop("two 100 MB bodies")
    print(f"RSS after two 100 MB bodies: {rss_kb // 1024} MiB")
    check(rss_kb < 128 * 1024, f"lxrun grew to {rss_kb // 1024} MiB")
    stop_and_replay(run, log)


MALFORMED = [
    (b"POST / HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n", 413),  # 10^18
    (b"POST / HTTP/1.1\r\nContent-Length: 1" + b"0" * 40 + b"\r\n\r\n", 413),
    (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    (b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
    (b"GET / HTTP/1.1\r\nX-Big: " + b"h" * MIB + b"\r\n\r\n", 431),  # a 1 MB header line
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot hex\r\n", 501),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"\x00\x01\x02 garbage\r\n\r\n", 400),
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
]


def test_http_huge_lengths_and_malformed_requests_close_only_that_connection():
    run, log = recorded_http("http-malformed")
    good = WellBehaved(run.port)
    for request, status in MALFORMED:
        with connect(run.port, timeout=10) as sock:
            sender = send_ignoring_close(sock, request)
            answer = read_until_closed(sock)
            sender.join(10)
        check(answer.startswith(b"HTTP/1.1 %d " % status) and b"Connection: close" in answer,
              f"{request[:50]!r}: answer {answer[:80]!r}, want {status}")
    good.stop("malformed requests")
    stop_and_replay(run, log)


def test_http_pipelining_without_reading_is_bounded():
    run, log = recorded_http("http-no-read")
    count = 10000  # 1.3 MB of answers: five times what http lets wait unsent
    with connect(run.port, timeout=30) as sock:
        sender = threading.Thread(target=lambda: (sock.sendall(GET * count),
                                                  sock.shutdown(socket.SHUT_WR)), daemon=True)
        sender.start()
        time.sleep(1.0)  # not reading: lxrun answers only while 256 KiB or less waits
        rss_kb = run.rss_kb()
        with connect(run.port, timeout=10) as other:
            other.sendall(GET)
            check(read_response(other, bytearray())[0] == 200, "another client was not served")
        answer = recv_until_eof(sock)  # then every answer, and EOF after the half-close
        sender.join(10)
    check(answer.count(b"HTTP/1.1 200 OK\r\n") == count,
          f"{answer.count(b'HTTP/1.1 200 OK')} of {count} pipelined requests answered")
    print(f"RSS while the client did not read: {rss_kb // 1024} MiB")
    stop_and_replay(run, log)


def test_http_half_closed_sockets():
    run, log = recorded_http("http-half-close")
    # Pipelined requests, then a half-close: every answer, then EOF.
    with connect(run.port, timeout=10) as sock:
        sock.sendall(GET * 100)
        sock.shutdown(socket.SHUT_WR)
        answer = recv_until_eof(sock)
        check(answer.count(b"HTTP/1.1 200 OK\r\n") == 100, "answers after a half-close")
    # A half-close with no request, and one in the middle of a request: closed.
    for sent in (b"", b"GET / HTTP/1.1\r\nHo"):
        with connect(run.port, timeout=10) as sock:
            sock.sendall(sent)
            sock.shutdown(socket.SHUT_WR)
            check(recv_until_eof(sock) == b"", f"bytes after half-closing with {sent!r}")
    stop_and_replay(run, log)


lxtest.main(globals())
