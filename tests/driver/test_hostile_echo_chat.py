"""samples/echo and samples/chat against hostile clients (issue 9): a chat
client that never reads while others talk is dropped (8 MiB behind, or over
1 MiB behind for slow_timeout) instead of being buffered for without end,
and the megabytes it never took are given up so its connection comes back; an over-long line ends only its sender; half-closed sockets get
everything they are owed. Each runs against a recording lxrun whose log
replays with every checkpoint matching."""

import os
import socket
import threading
import time

import lxtest
from lxtest import (Lxrun, check, connect, recv_line, recv_until_eof, stop_and_replay,
                    work_path)

MIB = 1024 * 1024


def recorded(sample, name, app_args=(), extra=()):
    log = work_path(name + ".lxw")
    return Lxrun(lxtest.sample(sample), extra=["--record", log] + list(extra),
                 app_args=list(app_args)), log


def join(port, nick, others, receive_buffer_bytes=None):
    """Connects a chat client and waits until every other one heard it join.
    A small receive_buffer_bytes keeps the kernel from holding much for it."""
    sock = socket.socket()
    if receive_buffer_bytes:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
    sock.settimeout(20)
    sock.connect(("127.0.0.1", port))
    sock.sendall(nick.encode() + b"\n")
    for other, pending in others:
        line = recv_line(other, pending)
        check(line == f"* {nick} joined", f"got {line!r}, not the join of {nick}")
    return sock


def test_chat_client_that_never_reads_is_dropped():
    # Only the 8 MiB cap here: a long slow_timeout, so a busy machine that
    # makes the listener lag for a moment cannot get it dropped.
    run, log = recorded("chat", "chat-no-read", ["slow_timeout=60"])
    listener_pending = bytearray()
    listener = join(run.port, "listener", [])
    mute = join(run.port, "mute", [(listener, listener_pending)], 16384)  # never reads
    talker = join(run.port, "talker", [(listener, listener_pending)])
    line = b"x" * 999 + b"\n"
    lines = 14000  # 14 MB: the kernel takes 4 MB for the mute client, 8 MiB waits, then it goes
    heard = bytearray(listener_pending)
    said = b"talker: " + line
    counted = [0, 0]  # lines counted, bytes of heard they cover (whole lines only)

    def listen():  # in big reads and counting only what is new, so this client keeps up
        while counted[0] < lines or b"* mute left\n" not in heard:
            chunk = listener.recv(1 << 20)
            if not chunk:
                return
            heard.extend(chunk)
            end = heard.rfind(b"\n") + 1
            counted[0] += heard.count(said, counted[1], end)
            counted[1] = end
    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    talker.sendall(line * lines)
    reader.join(60)
    check(counted[0] == lines, f"the listener heard {counted[0]} of {lines} lines")
    check(b"* mute left\n" in heard, "the client that did not read was not dropped")
    others = heard.replace(said, b"").replace(b"* mute left\n", b"")
    check(others == b"", f"the listener heard other bytes: {bytes(others[:80])!r}")
    rss_kb = run.rss_kb()
    print(f"RSS after 14 MB of chat with a client that does not read: {rss_kb // 1024} MiB")
    check(rss_kb < 128 * 1024, f"lxrun grew to {rss_kb // 1024} MiB")
    for sock in (listener, mute, talker):
        sock.close()
    stop_and_replay(run, log)


def test_chat_dropped_client_that_never_reads_gives_its_connection_back():
    # Slow (about 12 s): lxrun waits 10 s before it gives up output nobody takes.
    run, log = recorded("chat", "chat-stuck", ["slow_timeout=1"], ["--max-connections", "2"])
    mute = join(run.port, "mute", [], 16384)
    talker = join(run.port, "talker", [])
    with connect(run.port) as sock:
        check(recv_until_eof(sock) == b"", "a third connection was not refused")
    talker.sendall((b"x" * 99 + b"\n") * 100000)  # 10 MB the mute one never reads
    # It is dropped after a second behind, with megabytes still queued that it
    # will not take; 10 s later lxrun gives them up, which frees its connection.
    heard = bytearray()
    deadline = time.monotonic() + 30
    while b"* mute left\n" not in heard:
        chunk = talker.recv(1 << 16)
        check(chunk and time.monotonic() < deadline, "the mute client was not dropped")
        heard.extend(chunk)
    while True:
        check(time.monotonic() < deadline, "the dropped client's connection was never given back")
        time.sleep(0.5)
        newcomer = connect(run.port)
        newcomer.sendall(b"newcomer\n")
        if not _refused(newcomer):
            break
        newcomer.close()
    heard.clear()
    while b"* newcomer joined\n" not in heard:
        heard.extend(talker.recv(1 << 16))
    newcomer.close()
    mute.close()
    talker.close()
    stop_and_replay(run, log)


def _refused(sock):
    """True when lxrun closed sock at once (shed); chat sends a newcomer nothing."""
    sock.settimeout(0.3)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.settimeout(10)


def test_chat_over_long_line_ends_only_its_sender():
    run, log = recorded("chat", "chat-long-line")
    pending = bytearray()
    listener = join(run.port, "listener", [])
    flooder = join(run.port, "flooder", [(listener, pending)])
    flooder.sendall(b"y" * (200 * 1024))  # no newline
    answer = recv_until_eof(flooder)
    check(answer.endswith(b"* line too long, bye\n"), f"the flooder got {answer[-60:]!r}")
    check(recv_line(listener, pending) == "* flooder left", "the listener missed the leave")
    talker = join(run.port, "talker", [(listener, pending)])
    talker.sendall(b"still here\n")
    check(recv_line(listener, pending) == "talker: still here", "the chat stopped")
    for sock in (listener, flooder, talker):
        sock.close()
    stop_and_replay(run, log)


def test_chat_half_closed_client_is_heard_and_leaves():
    run, log = recorded("chat", "chat-half-close")
    pending = bytearray()
    listener = join(run.port, "listener", [])
    with connect(run.port, timeout=10) as sock:
        sock.sendall(b"brief\nhello and goodbye\n")
        sock.shutdown(socket.SHUT_WR)
        check(recv_until_eof(sock) == b"", "the half-closed client got bytes")
    heard = [recv_line(listener, pending) for _ in range(3)]
    check(heard == ["* brief joined", "brief: hello and goodbye", "* brief left"], f"{heard}")
    listener.close()
    stop_and_replay(run, log)


def test_echo_half_close_2mb_comes_back_whole():
    run, log = recorded("echo", "echo-half-close")
    data = os.urandom(2 * MIB)
    with connect(run.port, timeout=20) as sock:
        def send():
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        got = recv_until_eof(sock)
        sender.join(20)
    check(got == data, f"{len(got)} of {len(data)} bytes came back")
    stop_and_replay(run, log)


lxtest.main(globals())
