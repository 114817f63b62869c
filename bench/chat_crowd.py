#!/usr/bin/env python3
"""A scripted crowd for samples/chat: N clients join with a nickname, each
says a line every so often (short chatter, some longer lines), and all of
them read everything the others say, for a bounded time. bench/run records
such a session to measure compression; alone it prints what it sent.

    bench/chat_crowd.py PORT [--clients N] [--duration S] [--interval-ms MS]

Loopback only; stops by itself after --duration seconds."""

import argparse
import random
import selectors
import socket
import time

PHRASES = [
    "hi all", "did the deploy go out?", "yes, build 1432 is live",
    "anyone seen the latency graph for eu-west?", "looks fine to me",
    "lunch?", "brb", "the flaky test is back: test_reconnect_after_timeout",
    "I'll take it", "ok", "+1", "can someone review PR 881, it's small",
    "merged", "thanks!", "meeting in 5", "the on-call rotation moves to Tuesday",
]


def run_crowd(port, clients=16, duration_s=10.0, interval_ms=20, seed=7):
    """Runs the crowd. @return (lines_sent, bytes_sent, bytes_received)."""
    rng = random.Random(seed)
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(clients):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        s.sendall(f"user{i:02d}\n".encode())
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    lines = sent = received = 0
    start = time.monotonic()
    next_say = [start + rng.random() * interval_ms / 1000 for _ in socks]
    try:
        while time.monotonic() - start < duration_s:
            now = time.monotonic()
            for i, s in enumerate(socks):
                if now >= next_say[i]:
                    text = rng.choice(PHRASES)
                    if rng.random() < 0.05:
                        text += " " + " ".join(rng.choice(PHRASES) for _ in range(20))
                    data = (text + "\n").encode()
                    try:
                        s.send(data)
                        lines += 1
                        sent += len(data)
                    except BlockingIOError:
                        pass
                    next_say[i] = now + interval_ms / 1000 * (0.5 + rng.random())
            timeout = max(0.0, min(next_say) - time.monotonic())
            for key, _ in sel.select(timeout=min(timeout, 0.05)):
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                received += len(chunk)
    finally:
        for s in socks:
            sel.unregister(s)
            s.close()
    return lines, sent, received


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--interval-ms", type=int, default=20)
    args = parser.parse_args()
    lines, sent, received = run_crowd(args.port, args.clients, args.duration, args.interval_ms)
    print(f"chat_crowd: {args.clients} clients sent {lines} lines ({sent} B) and read "
          f"{received} B in {args.duration:.0f} s")


if __name__ == "__main__":
    main()
