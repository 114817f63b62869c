#!/usr/bin/env python3
"""What hostile clients cost the clients that behave: for each attack of
docs/hostile-clients.md, a recording lxrun serves one well-behaved client
alone, then during the attack; prints that client's latency in both phases
(median, p99, max), the p99 ratio, and lxrun's peak RSS (VmHWM).

    bench/hostile_clients.py [--bin DIR] [--seconds S] [ATTACK...]

Not a test: latencies on a shared machine move from run to run, so it prints
them rather than judging them. Loopback only; standard library only (it uses
tests/driver/lxtest.py to start lxrun)."""

import argparse
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "driver"))
import lxtest  # noqa: E402
from lxtest import connect, read_response, read_until_closed, resp_command  # noqa: E402

MIB = 1024 * 1024
GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def drain(sock):
    """Reads and drops everything until the socket ends or is closed."""
    try:
        read_until_closed(sock)
    except OSError:
        pass


class Probe:
    """The well-behaved client: one request, its answer, 10 ms pause, again."""

    def __init__(self, port, kind):
        self.port, self.kind = port, kind
        self.latencies_ms = []
        self.error = None
        self._cond = threading.Condition()
        self._heard = 0  # chat: times the peer heard the probe
        self._peer_gone = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _exchange(self, sock, pending, peer):
        if self.kind == "http":
            sock.sendall(GET)
            status, _, _ = read_response(sock, pending)
            if status != 200:
                raise RuntimeError(f"status {status}")
        elif self.kind == "kv":
            sock.sendall(resp_command("PING"))
            if lxtest.recv_exactly(sock, 7) != b"+PONG\r\n":
                raise RuntimeError("no PONG")
        elif self.kind == "chat":
            # Timed until another member hears it, behind whatever else is said.
            heard = self._heard
            sock.sendall(b"ping\n")
            with self._cond:
                if not self._cond.wait_for(lambda: self._heard > heard or self._peer_gone, 30):
                    raise RuntimeError("the peer never heard the probe")
                if self._peer_gone:
                    raise RuntimeError("the peer was dropped")
        else:
            sock.sendall(b"ping\n")
            if lxtest.recv_exactly(sock, 5) != b"ping\n":
                raise RuntimeError("echo differs")

    def _run(self):
        peer = None
        try:
            with connect(self.port, timeout=30) as sock:
                pending = bytearray()
                if self.kind == "chat":
                    sock.sendall(b"probe\n")
                    peer = connect(self.port, timeout=30)
                    peer.sendall(b"peer\n")
                    lxtest.recv_line(sock, pending)  # "* peer joined"
                    # Both hear everything said: they read all the time to keep up.
                    threading.Thread(target=drain, args=(sock,), daemon=True).start()
                    threading.Thread(target=self._listen, args=(peer,), daemon=True).start()
                while not self._stop.is_set():
                    started = time.monotonic()
                    self._exchange(sock, pending, peer)
                    self.latencies_ms.append((time.monotonic() - started) * 1000)
                    time.sleep(0.01)
        except Exception as error:  # printed by main()
            self.error = error
        finally:
            if peer is not None:
                peer.close()

    def _listen(self, peer):
        """The chat peer: counts how often it heard the probe."""
        want, tail = b"probe: ping\n", b""
        while True:
            try:
                chunk = peer.recv(1 << 20)
            except OSError:
                chunk = b""
            with self._cond:
                if not chunk:
                    self._peer_gone = True
                    self._cond.notify_all()
                    return
                self._heard += (tail + chunk).count(want)
                self._cond.notify_all()
            tail = chunk[-(len(want) - 1):]

    def take(self):
        """The latencies since the last take()."""
        taken, self.latencies_ms = self.latencies_ms, []
        return taken

    def stop(self):
        self._stop.set()
        self._thread.join(30)


class ProbeProcess:
    """A Probe in a process of its own, so that the attack's own Python work
    (building a 100 MB body, say) cannot delay it through the GIL."""

    def __init__(self, port, kind):
        self._conn, child = multiprocessing.Pipe()
        self._proc = multiprocessing.Process(target=_probe_child, args=(port, kind, child),
                                             daemon=True)
        self._proc.start()
        self.error = None

    def take(self):
        self._conn.send("take")
        latencies_ms, error = self._conn.recv()
        self.error = self.error or error
        return latencies_ms

    def stop(self):
        self._conn.send("stop")
        self._proc.join(30)


def _probe_child(port, kind, conn):
    probe = Probe(port, kind)
    while conn.recv() == "take":
        conn.send((probe.take(), repr(probe.error) if probe.error else None))
    probe.stop()


def summary(latencies_ms):
    if not latencies_ms:
        return "no answer", float("nan")
    ordered = sorted(latencies_ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{len(ordered):4d} req, median {statistics.median(ordered):6.2f} ms, "
            f"p99 {p99:7.2f} ms, max {ordered[-1]:7.2f} ms"), p99


def peak_rss_mib(run):
    with open(f"/proc/{run.proc.pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


# ---- the attacks: each takes the port and the seconds to last ----

def slowloris(port, seconds):
    socks = [connect(port) for _ in range(1000)]
    for sock in socks:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        sock.setblocking(False)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for sock in socks:
            try:
                sock.send(b"z")
            except OSError:
                pass
        time.sleep(0.1)
    for sock in socks:
        sock.close()


def many_connections(port, seconds):
    socks = [connect(port) for _ in range(2000)]
    for sock in socks:
        sock.sendall(GET)
    for sock in socks:
        read_response(sock, bytearray())
    time.sleep(seconds)
    for sock in socks:
        sock.close()


def big_bodies(port, seconds):
    body = b"b" * (100 * MIB)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with connect(port, timeout=30) as sock:
            sender = lxtest.send_ignoring_close(
                sock, b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            read_until_closed(sock)
            sender.join(30)


def not_reading(request, count):
    def attack(port, seconds):
        with connect(port, timeout=30) as sock:
            sender = threading.Thread(target=lambda: sock.sendall(request * count), daemon=True)
            sender.start()
            time.sleep(seconds)
    return attack


def kv_bulks(bulk_bytes, data):
    def attack(port, seconds):
        end = time.monotonic() + seconds
        chunk = (b"$%d\r\n" % bulk_bytes + b"x" * bulk_bytes + b"\r\n") if data else (
            b"$%d\r\n" % bulk_bytes)
        while time.monotonic() < end:
            with connect(port, timeout=30) as sock:
                sender = lxtest.send_ignoring_close(sock, b"*1000\r\n$3\r\nSET\r\n" + chunk * 12)
                read_until_closed(sock)
                sender.join(30)
    return attack


def kv_glob(port, seconds):
    with connect(port, timeout=30) as sock:
        sock.sendall(resp_command("SET", b"a" * 300, "v"))
        lxtest.recv_exactly(sock, 5)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sock.sendall(resp_command("KEYS", "*a*a*a*a*a*a*b"))
            lxtest.recv_exactly(sock, 4)


def chat_mute(port, seconds):
    mute = connect(port)
    mute.sendall(b"mute\n")
    with connect(port, timeout=30) as talker:
        talker.sendall(b"talker\n")
        end = time.monotonic() + seconds
        line = b"x" * 99 + b"\n"
        while time.monotonic() < end:  # about 10 MB/s
            talker.sendall(line * 1000)
            time.sleep(0.01)
    mute.close()


def over_the_limit(port, seconds):
    held = [connect(port) for _ in range(99)]  # with the probe: all 100 of --max-connections
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with connect(port) as sock:
            try:
                sock.recv(16)
            except ConnectionResetError:
                pass
    for sock in held:
        sock.close()


ATTACKS = {
    "http-slowloris": ("http", ["--", "header_timeout=60"], slowloris,
                       "1,000 connections trickling headers"),
    "http-2000": ("http", ["--max-connections", "2100"], many_connections,
                  "2,000 connections open"),
    "http-100mb": ("http", [], big_bodies, "100 MB bodies, one after another"),
    "http-no-read": ("http", [], not_reading(GET, 50000), "50,000 pipelined, never read"),
    "kv-12x64mib": ("kv", [], kv_bulks(64 * MIB, False), "*1000 SET + 12 x $67108864"),
    "kv-12x16mib": ("kv", [], kv_bulks(16 * MIB, True), "*1000 SET + 12 x 16 MiB bulks"),
    "kv-glob": ("kv", [], kv_glob, "KEYS *a*a*a*a*a*a*b over a 300-byte key"),
    "kv-no-read": ("kv", [], not_reading(resp_command("PING"), 500000),
                   "500,000 pipelined PINGs, never read"),
    "chat-mute": ("chat", [], chat_mute, "a talker at 10 MB/s, one client never reading"),
    "echo-over-limit": ("echo", ["--max-connections", "100"], over_the_limit,
                        "connections beyond --max-connections"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(TOP, "build", "bin"))
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("attacks", nargs="*", default=list(ATTACKS))
    args = parser.parse_args()
    lxtest.LXRUN = os.path.join(args.bin, "lxrun")
    lxtest.SAMPLES = os.path.join(TOP, "samples")
    unknown = [name for name in args.attacks if name not in ATTACKS]
    if unknown:
        sys.exit(f"hostile_clients: error: no attack {unknown[0]!r}; have {', '.join(ATTACKS)}")
    work = tempfile.mkdtemp(prefix="lx_hostile_")
    print(f"{'attack':16} {'phase':7} well-behaved client latency; peak RSS of lxrun")
    for name in args.attacks:
        sample, flags, attack, what = ATTACKS[name]
        extra = [flag for flag in flags if flag != "--"]
        app_args = extra[flags.index("--"):] if "--" in flags else []
        extra = extra[:flags.index("--")] if "--" in flags else extra
        run = lxtest.Lxrun(lxtest.sample(sample), app_args=app_args,
                           extra=["--record", os.path.join(work, name + ".lxw")] + extra)
        probe = ProbeProcess(run.port, sample)
        time.sleep(args.seconds)
        base, base_p99 = summary(probe.take())
        rss_base = peak_rss_mib(run)
        attack(run.port, args.seconds)
        during, p99 = summary(probe.take())
        probe.stop()
        rss = peak_rss_mib(run)
        code = run.stop(timeout=10)
        print(f"{name:16} alone   {base}; {rss_base} MiB")
        print(f"{'':16} attack  {during}; {rss} MiB   p99 x{p99 / base_p99:.1f}   ({what})"
              + (f"   probe error: {probe.error}" if probe.error else "")
              + (f"   lxrun exit {code}" if code != 0 else ""))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
