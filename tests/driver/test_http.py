"""lxrun with samples/http: curl, pipelining, split requests, errors, and a
short wrk run with no socket errors and no non-2xx answers."""

import json
import re
import shutil
import socket
import subprocess
import time

import lxtest
from lxtest import Lxrun, SkipTest, check, connect, read_response, recv_until_eof


def http():
    return Lxrun(lxtest.sample("http"))


def curl(url, *extra):
    if shutil.which("curl") is None:
        raise SkipTest("curl is not installed")
    done = subprocess.run(["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *extra, url],
                          capture_output=True, timeout=10)
    body, _, code = done.stdout.decode().rpartition("\n")
    return int(code), body


def test_http_curl_root_404_and_stats():
    run = http()
    base = f"http://127.0.0.1:{run.port}"
    code, body = curl(base + "/")
    check(code == 200, f"/ gave {code}")
    check("hello" in body, f"/ body {body!r}")
    code, _ = curl(base + "/nope")
    check(code == 404, f"/nope gave {code}")
    code, body = curl(base + "/stats")
    check(code == 200, f"/stats gave {code}")
    stats = json.loads(body)
    check(stats["requests"] == 3, f"stats {stats}")
    check(0 <= stats["uptime_s"] < 60, f"stats {stats}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_http_pipelined_requests_answered_in_order():
    run = http()
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
                     b"GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        pending = bytearray()
        statuses = [read_response(sock, pending)[0] for _ in range(4)]
        check(statuses == [404, 200, 200, 404], f"statuses {statuses}")
        check(recv_until_eof(sock) == b"" and not pending, "bytes after the last response")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_http_request_split_across_reads_and_body():
    run = http()
    with connect(run.port, timeout=5) as sock:
        request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
        for i in range(len(request)):
            sock.sendall(request[i:i + 1])
            time.sleep(0.002)
        pending = bytearray()
        status, headers, _ = read_response(sock, pending)
        check(status == 405, f"POST / gave {status}")
        check(headers.get("connection") == "keep-alive", f"headers {headers}")
        sock.sendall(b"GET / HTTP/1.1\r\n")
        time.sleep(0.05)
        sock.sendall(b"Host: x\r\n\r\n")
        status, _, body = read_response(sock, pending)
        check(status == 200 and b"hello" in body, f"second request gave {status} {body!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_http_request_then_half_close_is_answered():
    run = http()
    # Sized to fill lxrun's 64 KiB reads exactly, so libuv reports the FIN in
    # the same burst of reads as the last bytes: the app must still see the
    # request before the channel is closed.
    total = 2 * 65536
    head = b"POST / HTTP/1.0\r\nContent-Length: %06d\r\n\r\n"
    request = head % (total - len(head % 0)) + b"b" * (total - len(head % 0))
    assert len(request) == total
    for _ in range(10):
        with connect(run.port, timeout=5) as sock:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)  # the request and the FIN arrive together
            answer = recv_until_eof(sock)
            check(answer.startswith(b"HTTP/1.1 405 "), f"answer {answer[:80]!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_http_malformed_request_gets_400_and_close():
    run = http()
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"this is not http\r\n\r\n")
        answer = recv_until_eof(sock)
        check(answer.startswith(b"HTTP/1.1 400 "), f"answer {answer[:60]!r}")
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
        answer = recv_until_eof(sock)
        check(answer.startswith(b"HTTP/1.1 431 "), f"answer {answer[:60]!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def answer(status, reason, body, keep_alive, content_type=b"text/plain", head_only=False):
    """The exact bytes samples/http sends for one answer."""
    head = (b"HTTP/1.1 %d %s\r\nServer: lx-http-sample\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\nConnection: %s\r\n\r\n"
            % (status, reason, content_type, len(body),
               b"keep-alive" if keep_alive else b"close"))
    return head if head_only else head + body


def test_http_header_names_head_http10_and_a_body_in_many_reads():
    run = http()
    hello, not_found = b"hello from lx\n", b"Not Found\n"
    not_allowed = b"Method Not Allowed\n"
    # Header names in any case, values trimmed, a repeated equal length, HEAD,
    # and HTTP/1.0 (closed unless it asks for keep-alive), pipelined.
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n"
                     b"POST / HTTP/1.1\r\ncontent-length: 3\r\nContent-Length: 3\r\n\r\nabc"
                     b"HEAD /nope HTTP/1.0\r\nCONNECTION:  Keep-Alive \t\r\n\r\n"
                     b"GET /nope HTTP/1.1\r\nConnection:\tclose\r\n\r\n")
        expected = (answer(200, b"OK", hello, True, head_only=True)
                    + answer(405, b"Method Not Allowed", not_allowed, True)
                    + answer(404, b"Not Found", not_found, True, head_only=True)
                    + answer(404, b"Not Found", not_found, False))
        got = recv_until_eof(sock)
        check(got == expected, f"answers {got!r}")
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nX-Any: y\r\n\r\nGET / HTTP/1.1\r\n\r\n")
        got = recv_until_eof(sock)
        check(got == answer(200, b"OK", hello, False), f"HTTP/1.0 answer {got!r}")
    # Two different lengths, and a bad header line after Transfer-Encoding: 400.
    for request in (b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nBad Name: x\r\n\r\n"):
        with connect(run.port, timeout=5) as sock:
            sock.sendall(request)
            got = recv_until_eof(sock)
            check(got == answer(400, b"Bad Request", b"Bad Request\n", False),
                  f"{request!r} got {got!r}")
    # A body in many reads, then the next request.
    with connect(run.port, timeout=5) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
        for _ in range(10):
            time.sleep(0.002)
            sock.sendall(b"b" * 10000)
        sock.sendall(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        got = recv_until_eof(sock)
        check(got == answer(405, b"Method Not Allowed", not_allowed, True)
              + answer(200, b"OK", hello, False), f"answers after the body {got!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_http_wrk_no_errors():
    if shutil.which("wrk") is None:
        raise SkipTest("wrk is not installed")
    run = http()
    done = subprocess.run(["wrk", "-t2", "-c32", "-d3s", f"http://127.0.0.1:{run.port}/"],
                          capture_output=True, timeout=30)
    output = done.stdout.decode()
    print(output)
    check(done.returncode == 0, f"wrk exited {done.returncode}: {done.stderr.decode()}")
    check("Socket errors" not in output, "wrk saw socket errors")
    check("Non-2xx" not in output, "wrk saw non-2xx answers")
    match = re.search(r"(\d+) requests in", output)
    check(match and int(match.group(1)) > 100, "wrk made too few requests")
    check(run.stop() == 0, "lxrun did not exit 0")


lxtest.main(globals())
