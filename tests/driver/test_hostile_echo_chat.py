"""samples/echo and samples/chat against hostile clients (issue 9): a chat
client that never reads while others talk holds the talkers back (1 MiB
behind) and is dropped after slow_timeout, instead of being buffered for
without end; an over-long line ends only its sender; half-closed sockets get
everything they are owed. Each runs against a recording lxrun whose log
replays with every checkpoint matching."""

import os
import socket
import threading

import lxtest
from lxtest import (Lxrun, check, connect, recv_line, recv_until_eof, stop_and_replay,
                    work_path)

MIB = 1024 * 1024


def recorded(sample, name, app_args=()):
    log = work_path(name + ".lxw")
    return Lxrun(lxtest.sample(sample), extra=["--record", log], app_args=list(app_args)), log


def join(port, nick, others):
    """Connects a chat client and waits until every other one heard it join."""
    sock = connect(port, timeout=20)
    sock.sendall(nick.encode() + b"\n")
    for other, pending in others:
        line = recv_line(other, pending)
        check(line == f"* {nick} joined", f"got {line!r}, not the join of {nick}")
    return sock


def test_chat_client_that_never_reads_is_dropped():
    run, log = recorded("chat", "chat-no-read", ["slow_timeout=1"])
    listener_pending = bytearray()
    listener = join(run.port, "listener", [])
    mute = join(run.port, "mute", [(listener, listener_pending)])  # never reads
    talker = join(run.port, "talker", [(listener, listener_pending)])
    line = b"x" * 99 + b"\n"
    lines = 100000  # 10 MB: the mute client falls 1 MiB behind and holds everyone back
    heard = bytearray(listener_pending)
    said = b"talker: " + line

    def listen():  # in big reads, so this client keeps up
        while heard.count(said) < lines:
            chunk = listener.recv(1 << 20)
            if not chunk:
                return
            heard.extend(chunk)
    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    talker.sendall(line * lines)
    reader.join(60)
    check(heard.count(said) == lines, f"the listener heard {heard.count(said)} of {lines} lines")
    check(b"* mute left\n" in heard, "the client that did not read was not dropped")
    others = heard.replace(said, b"").replace(b"* mute left\n", b"")
    check(others == b"", f"the listener heard other bytes: {bytes(others[:80])!r}")
    rss_kb = run.rss_kb()
    print(f"RSS after 10 MB of chat with a client that does not read: {rss_kb // 1024} MiB")
    check(rss_kb < 64 * 1024, f"lxrun grew to {rss_kb // 1024} MiB")
    for sock in (listener, mute, talker):
        sock.close()
    stop_and_replay(run, log)


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
