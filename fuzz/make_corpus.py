#!/usr/bin/env python3
"""Makes the fuzzers' seed corpus (docs/fuzzing.md) from real recordings: runs
lxrun on the samples with real clients (lxtest's helpers, as tests/driver do)
and writes logs, cut and damaged copies, source blobs and HTTP/RESP request
streams into fuzz/corpus/<target>/ (git-ignored). Standard library only; the
zstd CLI adds two hostile logs when it is there.

Usage: fuzz/make_corpus.py [--lxrun PATH] [--out DIR] [--seed N]"""

import argparse
import hashlib
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# ---- The clients' byte streams: one entry per connection ----

HTTP_STREAMS = [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET /nope HTTP/1.1\r\nHost: x\r\nUser-Agent: make_corpus\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /stats HTTP/1.1\r\nHost: x\r\n\r\n"
    b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"BROKEN\r\n\r\n",
    b"GET / HTTP/2.0\r\n\r\n",
    b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n",
    b"GET / HTTP/1.1\r\nContent-Length: x1\r\n\r\n",
    b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
    b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
    b"GET /\r\n",
]


def resp(*args):
    """One RESP2 command: an array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        arg = arg if isinstance(arg, bytes) else arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


RESP_STREAMS = [
    resp("PING") + resp("ECHO", "hi") + resp("SET", "k", "v") + resp("GET", "k") + resp("DEL", "k"),
    resp("SET", "n", "10") + resp("INCR", "n") + resp("INCRBY", "n", "5") + resp("DECR", "n")
    + resp("DECRBY", "n", "2") + resp("APPEND", "n", "7") + resp("STRLEN", "n")
    + resp("GETSET", "n", "1") + resp("SETNX", "n", "2") + resp("TYPE", "n"),
    resp("SET", "e", "1", "EX", "100") + resp("TTL", "e") + resp("PEXPIRE", "e", "5000")
    + resp("PTTL", "e") + resp("PERSIST", "e") + resp("SET", "e", "2", "PX", "10", "NX")
    + resp("SET", "e", "3", "XX", "GET") + resp("SET", "e", "4", "KEEPTTL")
    + resp("EXPIRE", "e", "1") + resp("EXISTS", "e", "f"),
    resp("MSET", "a", "1", "b", "2") + resp("MGET", "a", "b", "c") + resp("KEYS", "*")
    + resp("KEYS", "a?") + resp("DBSIZE") + resp("FLUSHDB") + resp("FLUSHALL"),
    resp("LPUSH", "l", "a", "b") + resp("RPUSH", "l", "c") + resp("LRANGE", "l", "0", "-1")
    + resp("LLEN", "l") + resp("LINDEX", "l", "1") + resp("LPOP", "l") + resp("RPOP", "l"),
    resp("SADD", "s", "x", "y", "z") + resp("SCARD", "s") + resp("SISMEMBER", "s", "x")
    + resp("SMEMBERS", "s") + resp("SPOP", "s") + resp("SREM", "s", "y"),
    resp("HSET", "h", "f", "v", "g", "w") + resp("HMSET", "h", "i", "x") + resp("HGET", "h", "f")
    + resp("HLEN", "h") + resp("HGETALL", "h") + resp("HDEL", "h", "f"),
    resp("ZADD", "z", "1", "a", "2.5", "b") + resp("ZCARD", "z") + resp("ZSCORE", "z", "b")
    + resp("ZRANGE", "z", "0", "-1", "WITHSCORES") + resp("ZPOPMIN", "z"),
    resp("SELECT", "0") + resp("CONFIG", "GET", "save") + resp("CONFIG", "SET", "x", "y")
    + resp("COMMAND") + resp("INFO") + resp("UNLINK", "a") + resp("NOSUCH", "x") + resp("QUIT"),
    b"PING\r\nSET greeting hello\r\nGET greeting\r\nSET \"a b\" 'c d'\r\nECHO \"\\x41\\n\"\r\n",
    resp("SET", "big", b"v" * 100000) + resp("GET", "big"),
    b"*2\r\n$3\r\nGET\r\nx\r\n",
    b"*abc\r\n",
    b"*1\r\n$-5\r\n",
    b"\"unbalanced\r\n",
]

SOURCE_BLOB_MAGIC = b"LXSRC\x00\x01\x00"


def source_blob(files, args):
    """docs/source-blob.md, version 1: files (path -> bytes) sorted by path."""
    out = [SOURCE_BLOB_MAGIC, struct.pack("<II", len(files), len(args))]
    for path in sorted(files, key=lambda p: p.encode()):
        data = files[path]
        out += [struct.pack("<I", len(path.encode())), path.encode(), struct.pack("<I", len(data)),
                data]
    for arg in args:
        out += [struct.pack("<I", len(arg.encode())), arg.encode()]
    return b"".join(out)


def app_files(directory):
    files = {}
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.endswith(".lua") and not name.startswith("."):
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, directory).replace(os.sep, "/")] = f.read()
    return files


class Corpus:
    """fuzz/corpus/<target>/, one file per input, named by its content."""

    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, target, data, name):
        directory = os.path.join(self.out, target)
        os.makedirs(directory, exist_ok=True)
        digest = hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(directory, f"{name}-{digest}"), "wb") as f:
            f.write(data)
        self.counts[target] = self.counts.get(target, 0) + 1


def app_input(stream, cuts=()):
    """An http_app/resp_app input: the control byte (how many cuts), one u16
    per cut, then the stream (fuzz/app_fuzzer.cc)."""
    return bytes([len(cuts)]) + b"".join(struct.pack("<H", c % 65536) for c in cuts) + stream


def converse(port, stream):
    """Sends one connection's stream, half-closes, and reads to the end."""
    with lxtest.connect(port) as sock:
        sock.sendall(stream)
        sock.shutdown(socket.SHUT_WR)
        return lxtest.recv_until_eof(sock)


def record(log, app, streams, extra=(), stop=signal.SIGINT):
    """Records app serving one connection per stream; stops it with `stop`."""
    run = lxtest.Lxrun(lxtest.sample(app), extra=["--record", log] + list(extra))
    try:
        for stream in streams:
            converse(run.port, stream)
        if stop == signal.SIGKILL:
            run.kill()
        else:
            run.stop(stop, timeout=10)
    finally:
        run.kill()
    with open(log, "rb") as f:
        return f.read()


def recovered(log, lxdump):
    """The log after a reader opened it by path: a killed writer's staging
    ring (LOG.ring) appended as a crash flush (docs/wal-format.md)."""
    subprocess.run([lxdump, log, "--stats"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(log, "rb") as f:
        return f.read()


def damaged_copies(log, rng, count):
    """Cut, bit-flipped, zeroed, shortened and lengthened copies of a log."""
    copies = []
    for n in range(count):
        data = bytearray(log)
        kind = n % 6
        at = rng.randrange(len(data))
        if kind == 0:
            del data[at:]
        elif kind == 1:
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 2:
            data[at:at + 16] = bytes(len(data[at:at + 16]))
        elif kind == 3:
            del data[at:at + rng.randint(1, 64)]
        elif kind == 4:
            data[at:at] = os.urandom(rng.randint(1, 32))
        else:
            data = data[:-40] if len(data) > 40 else data  # the trailer gone
        copies.append((["cut", "flip", "zero", "hole", "insert", "untrailed"][kind], bytes(data)))
    return copies


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def hostile_logs(header_frame):
    """Small logs that ask a reader for much memory: one 64 MiB record in a
    frame with a 32 MiB window, and the same record cut short (the CRC is
    wrong on purpose: the reader must hold the record before it can tell)."""
    if shutil.which("zstd") is None:
        return []
    size = 64 << 20
    record_bytes = b"\x02" + varint(1) + varint(size) + bytes(size) + b"\0\0\0\0"
    frame = subprocess.run(["zstd", "-q", "-19", "--long=25", "-c"], input=record_bytes,
                           capture_output=True, check=True).stdout
    return [("big-record", header_frame + frame), ("big-record-cut", header_frame + frame[:-8])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lxrun", default=os.path.join(TOP, "build/bin/lxrun"))
    parser.add_argument("--out", default=os.path.join(TOP, "fuzz/corpus"))
    parser.add_argument("--seed", type=int, default=1, help="for the damaged copies")
    options = parser.parse_args()
    if not os.access(options.lxrun, os.X_OK):
        sys.exit(f"make_corpus: error: no lxrun at {options.lxrun}; build first "
                 "(cmake --preset default && cmake --build build) or pass --lxrun")
    lxdump = os.path.join(os.path.dirname(options.lxrun), "lxdump")
    os.environ["LXRUN"] = options.lxrun
    os.environ["LX_SAMPLES"] = os.path.join(TOP, "samples")
    sys.path.insert(0, os.path.join(TOP, "tests/driver"))
    global lxtest
    import lxtest

    shutil.rmtree(options.out, ignore_errors=True)
    corpus = Corpus(options.out)
    rng = random.Random(options.seed)
    work = tempfile.mkdtemp(prefix="lx-corpus-")
    try:
        echo = [b"hello\n", b"x" * 3000, bytes(range(256))]
        logs = [
            ("http", record(os.path.join(work, "http.lxw"), "http", HTTP_STREAMS,
                            ["--checkpoint-every", "7"])),
            ("kv", record(os.path.join(work, "kv.lxw"), "kv", RESP_STREAMS)),
            ("echo", record(os.path.join(work, "echo.lxw"), "echo", echo)),
            ("echo-level19", record(os.path.join(work, "echo19.lxw"), "echo", echo,
                                    ["--zstd-level", "19", "--checkpoint-every", "1"])),
            ("echo-crashed", record(os.path.join(work, "crash.lxw"), "echo", echo,
                                    stop=signal.SIGSEGV)),
            ("echo-killed", record(os.path.join(work, "killed.lxw"), "echo", echo,
                                   ["--flush-ms", "1"], stop=signal.SIGKILL)),
            ("echo-killed-recovered", recovered(os.path.join(work, "killed.lxw"), lxdump)),
            ("http-truncated", record(os.path.join(work, "trunc.lxw"), "http", HTTP_STREAMS,
                                      ["--max-log-bytes", "16384"])),
        ]
        for name, log in logs:
            corpus.add("log_reader", log, name)
            for kind, copy in damaged_copies(log, rng, 18):
                corpus.add("log_reader", copy, f"{name}-{kind}")
        header_size = struct.unpack("<I", logs[0][1][4:8])[0]
        for name, log in hostile_logs(logs[0][1][:8 + header_size]):
            corpus.add("log_reader", log, name)
        for directory in ("regress", "format-1.0"):
            path = os.path.join(TOP, "tests/data", directory)
            for entry in sorted(os.listdir(path)):
                if entry.endswith(".lxw"):
                    with open(os.path.join(path, entry), "rb") as f:
                        corpus.add("log_reader", f.read(), entry[:-4])

        for app in sorted(os.listdir(os.path.join(TOP, "samples"))):
            directory = os.path.join(TOP, "samples", app)
            if not os.path.isfile(os.path.join(directory, "main.lua")):
                continue
            files = app_files(directory)
            for n, args in enumerate(([], ["127.0.0.1:7000"], ["", "two words", "\u00e9"])):
                blob = source_blob(files, args)
                corpus.add("source_blob", blob, f"{app}-{n}")
                corpus.add("source_blob", blob[:rng.randrange(len(blob))], f"{app}-{n}-cut")
        corpus.add("source_blob", source_blob({"main.lua": b"", "a/b.lua": b"x"}, []), "tiny")

        for target, streams in (("http_app", HTTP_STREAMS), ("resp_app", RESP_STREAMS)):
            for n, stream in enumerate(streams):
                corpus.add(target, app_input(stream), f"stream-{n}")
                cuts = sorted(rng.randrange(len(stream) + 1) for _ in range(3))
                corpus.add(target, app_input(stream, cuts), f"stream-{n}-cut")
            corpus.add(target, app_input(b"".join(streams[:4])), "streams-joined")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for target in sorted(corpus.counts):
        print(f"make_corpus: {target}: {corpus.counts[target]} inputs in "
              f"{os.path.join(options.out, target)}")


if __name__ == "__main__":
    main()
