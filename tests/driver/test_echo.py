"""lxrun with samples/echo: byte-exact echo, many clients, big transfers,
a slow reader with bounded memory, and a client that vanishes mid-stream."""

import hashlib
import os
import socket
import struct
import threading
import time

import lxtest
from lxtest import Lxrun, check, connect, recv_exactly, run_clients


def echo():
    return Lxrun(lxtest.sample("echo"))


def test_echo_100kb():
    run = echo()
    data = os.urandom(100 * 1024)
    with connect(run.port) as sock:
        sock.sendall(data)
        check(recv_exactly(sock, len(data)) == data, "echoed bytes differ")
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT")


def test_echo_200_concurrent_clients():
    run = echo()

    def client(index):
        payload = (f"client {index:03d} ".encode() * 300)[: 2000 + index]
        with connect(run.port) as sock:
            sock.sendall(payload)
            check(recv_exactly(sock, len(payload)) == payload, "got other bytes back")

    run_clients(200, client)
    check(run.stop() == 0, "lxrun did not exit 0")


def stream_through(port, total_bytes, read_delay_s=0.0, read_bytes=1 << 20):
    """Sends total_bytes of pseudo-random data from a thread while reading the
    echo; returns (sent digest, received digest, received count)."""
    sent = hashlib.sha256()
    block = os.urandom(1 << 16)
    sock = connect(port, timeout=60)
    failure = []

    def sender():
        try:
            left = total_bytes
            counter = 0
            while left > 0:
                chunk = (struct.pack("<Q", counter) + block)[: min(left, 1 << 16)]
                sent.update(chunk)
                sock.sendall(chunk)
                left -= len(chunk)
                counter += 1
        except Exception as error:
            failure.append(error)

    thread = threading.Thread(target=sender)
    thread.start()
    received = hashlib.sha256()
    got = 0
    while got < total_bytes:
        chunk = sock.recv(min(read_bytes, total_bytes - got))
        if not chunk:
            break
        received.update(chunk)
        got += len(chunk)
        if read_delay_s:
            time.sleep(read_delay_s)
    thread.join(60)
    sock.close()
    check(not failure, f"sender failed: {failure}")
    return sent.hexdigest(), received.hexdigest(), got


def test_echo_10mb_one_client():
    run = echo()
    total = 10 * 1024 * 1024
    sent, received, got = stream_through(run.port, total)
    check(got == total, f"got {got} of {total} bytes")
    check(sent == received, "echoed bytes differ")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_echo_slow_reader_memory_bounded():
    run = echo()
    total = 20 * 1024 * 1024
    peak_kb = [0]
    done = threading.Event()

    def sample_rss():
        while not done.is_set():
            peak_kb[0] = max(peak_kb[0], run.rss_kb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample_rss)
    sampler.start()
    try:
        # 64 KiB every 5 ms: about 12 MB/s, much slower than the sender.
        sent, received, got = stream_through(run.port, total, read_delay_s=0.005,
                                             read_bytes=64 * 1024)
    finally:
        done.set()
        sampler.join()
    check(got == total, f"got {got} of {total} bytes")
    check(sent == received, "echoed bytes differ")
    print(f"peak VmRSS {peak_kb[0] / 1024:.1f} MiB while echoing {total >> 20} MiB to a slow reader")
    check(peak_kb[0] < 200 * 1024, f"lxrun's RSS reached {peak_kb[0]} kB")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_echo_reset_client_does_not_disturb_others():
    run = echo()
    steady = connect(run.port)
    # A client that sends, then vanishes with a RST while its echo is in flight.
    for _ in range(5):
        doomed = connect(run.port)
        doomed.sendall(os.urandom(256 * 1024))
        doomed.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        doomed.close()
        data = os.urandom(50 * 1024)
        steady.sendall(data)
        check(recv_exactly(steady, len(data)) == data, "the steady client's echo differs")
    steady.close()
    with connect(run.port) as late:
        late.sendall(b"still here\n")
        check(recv_exactly(late, 11) == b"still here\n", "a later client got no echo")
    check(run.stop() == 0, "lxrun did not exit 0")


lxtest.main(globals())
