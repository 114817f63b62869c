"""A small load tool for echo servers (wrk cannot do echo): N connections each
send a message and wait for it to come back, as fast as they can, for D
seconds; prints round trips per second. With --bulk it streams MB through one
connection instead and prints MB/s. Standard library only; one thread, so the
client itself may be the limit (say so when quoting numbers).

    python3 tests/driver/echo_load.py PORT [--connections 32] [--seconds 5]
        [--message-bytes 64] [--bulk MB]"""

import argparse
import selectors
import socket
import time


def round_trips(port, connections, seconds, message_bytes):
    selector = selectors.DefaultSelector()
    message = b"x" * message_bytes
    pending = {}
    for _ in range(connections):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sock.send(message)
        pending[sock] = message_bytes
        selector.register(sock, selectors.EVENT_READ)
    done = 0
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.1):
            sock = key.fileobj
            data = sock.recv(65536)
            if not data:
                raise SystemExit("echo_load: the server closed a connection")
            pending[sock] -= len(data)
            while pending[sock] <= 0:
                done += 1
                pending[sock] += message_bytes
                sock.send(message)
    elapsed = time.monotonic() - started
    for sock in pending:
        sock.close()
    return done / elapsed


def bulk(port, megabytes):
    sock = socket.create_connection(("127.0.0.1", port))
    total = megabytes << 20
    block = b"y" * (1 << 16)
    sent = received = 0
    selector = selectors.DefaultSelector()
    sock.setblocking(False)
    selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    started = time.monotonic()
    while received < total:
        for _, events in selector.select(timeout=1):
            if events & selectors.EVENT_WRITE and sent < total:
                try:
                    sent += sock.send(block[: min(len(block), total - sent)])
                except BlockingIOError:
                    pass
                if sent >= total:
                    selector.modify(sock, selectors.EVENT_READ)
            if events & selectors.EVENT_READ:
                data = sock.recv(1 << 20)
                if not data:
                    raise SystemExit("echo_load: the server closed the connection")
                received += len(data)
    elapsed = time.monotonic() - started
    sock.close()
    return megabytes / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--message-bytes", type=int, default=64)
    parser.add_argument("--bulk", type=int, default=0, help="stream this many MB instead")
    args = parser.parse_args()
    if args.bulk:
        print(f"bulk: {args.bulk} MB echoed at {bulk(args.port, args.bulk):.1f} MB/s")
    else:
        rate = round_trips(args.port, args.connections, args.seconds, args.message_bytes)
        print(f"round trips: {rate:.0f}/s with {args.connections} connections, "
              f"{args.message_bytes}-byte messages, {args.seconds:g} s")


if __name__ == "__main__":
    main()
