"""lxrun with samples/kv: redis-cli round trips, expiry, pipelined and split
raw RESP, inline commands, protocol errors that close, a large value, a
redis-benchmark run with every test reported and no error replies, and that
run recorded (lxrun --record), replayed by lxreplay with every checkpoint
matched, re-recorded and found the same by lxdiff."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import lxtest
from lxtest import Lxrun, SkipTest, check, connect, recv_exactly, recv_until_eof, run_tool
from lxtest import resp_command as command


def kv():
    return Lxrun(lxtest.sample("kv"))


def cli(port, *args):
    """Runs one redis-cli command; returns its stdout without the last newline
    (redis-cli prints one line per reply; an empty one for a null)."""
    if shutil.which("redis-cli") is None:
        raise SkipTest("redis-cli is not installed (apt-get install redis-tools)")
    done = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *args],
                          capture_output=True, timeout=10)
    out = done.stdout.decode()
    return out[:-1] if out.endswith("\n") else out


def test_kv_redis_cli_round_trips():
    run = kv()
    port = run.port
    check(cli(port, "PING") == "PONG", "PING")
    check(cli(port, "SET", "greeting", "hello world") == "OK", "SET")
    check(cli(port, "GET", "greeting") == "hello world", "GET")
    check(cli(port, "GET", "missing") == "", "GET of a missing key")
    check(cli(port, "INCR", "n") == "1" and cli(port, "INCRBY", "n", "41") == "42", "INCR")
    check(cli(port, "DECR", "n") == "41", "DECR")
    check("not an integer" in cli(port, "INCR", "greeting"), "INCR of a non-number")
    check(cli(port, "LPUSH", "list", "a", "b", "c") == "3", "LPUSH")
    check(cli(port, "RPUSH", "list", "z") == "4", "RPUSH")
    check(cli(port, "LRANGE", "list", "0", "-1").split("\n") == ["c", "b", "a", "z"], "LRANGE")
    check(cli(port, "LRANGE", "list", "-2", "100").split("\n") == ["a", "z"], "LRANGE negative")
    check(cli(port, "LPOP", "list") == "c" and cli(port, "RPOP", "list") == "z", "LPOP/RPOP")
    check(cli(port, "LLEN", "list") == "2", "LLEN")
    check("WRONGTYPE" in cli(port, "GET", "list"), "GET of a list")
    check(cli(port, "MSET", "k1", "v1", "k2", "v2") == "OK", "MSET")
    check(cli(port, "MGET", "k1", "nope", "k2").split("\n") == ["v1", "", "v2"], "MGET")
    check(cli(port, "SADD", "set", "x", "y", "x") == "2" and cli(port, "SCARD", "set") == "2",
          "SADD/SCARD")
    check(cli(port, "HSET", "h", "f", "v") == "1" and cli(port, "HGET", "h", "f") == "v", "HSET")
    check(cli(port, "ZADD", "z", "2", "b", "1.5", "a") == "2", "ZADD")
    check(cli(port, "ZPOPMIN", "z").split("\n") == ["a", "1.5"], "ZPOPMIN")
    check(cli(port, "EXISTS", "k1", "k2", "nope") == "2", "EXISTS")
    check(cli(port, "DEL", "k1", "nope") == "1", "DEL")
    check(cli(port, "DBSIZE") == "7", f"DBSIZE {cli(port, 'DBSIZE')}")
    check(cli(port, "CONFIG", "GET", "save").split("\n") == ["save", ""], "CONFIG GET save")
    check("redis_version" in cli(port, "INFO"), "INFO")
    check(cli(port, "NOSUCH", "x").strip() == "ERR unknown command 'NOSUCH'", "unknown command")
    check(cli(port, "FLUSHALL") == "OK" and cli(port, "DBSIZE") == "0", "FLUSHALL")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_expiry_with_short_px():
    run = kv()
    with connect(run.port, timeout=5) as sock:
        sock.sendall(command("SET", "short", "v", "PX", "300") + command("PTTL", "short")
                     + command("SET", "short", "w", "NX") + command("SET", "long", "v", "EX", "100")
                     + command("GET", "short") + command("SET", "absent", "v", "XX")
                     + command("SET", "bad", "v", "PX", "0"))
        answer = recv_exactly(sock, len(b"+OK\r\n:300\r\n$-1\r\n+OK\r\n$1\r\nv\r\n$-1\r\n"))
        match = re.fullmatch(rb"\+OK\r\n:(\d+)\r\n\$-1\r\n\+OK\r\n\$1\r\nv\r\n\$-1\r\n", answer)
        check(match and 0 < int(match.group(1)) <= 300, f"answers {answer!r}")
        pending = bytearray()
        check(lxtest.recv_line(sock, pending).startswith("-ERR invalid expire time"), "PX 0")
        time.sleep(0.6)
        sock.sendall(command("GET", "short") + command("EXISTS", "short", "long")
                     + command("TTL", "long") + command("PEXPIRE", "long", "50"))
        got = recv_exactly(sock, len(b"$-1\r\n:1\r\n:99\r\n:1\r\n"))
        check(re.fullmatch(rb"\$-1\r\n:1\r\n:(99|100)\r\n:1\r\n", got), f"after 0.6 s: {got!r}")
        time.sleep(0.3)
        sock.sendall(command("GET", "long") + command("DBSIZE"))
        got = recv_exactly(sock, len(b"$-1\r\n:0\r\n"))
        check(got == b"$-1\r\n:0\r\n", f"after PEXPIRE: {got!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_pipelined_and_split_commands():
    run = kv()
    with connect(run.port, timeout=5) as sock:
        batch = b"".join(command("INCR", "c") for _ in range(500)) + command("GET", "c")
        sock.sendall(batch)
        expected = b"".join(b":%d\r\n" % i for i in range(1, 501)) + b"$3\r\n500\r\n"
        check(recv_exactly(sock, len(expected)) == expected, "pipelined INCR answers")
        # One command a byte at a time: the parser keeps partial input.
        for i, piece in enumerate(command("SET", "split", "abc\r\ndef")):
            sock.sendall(bytes([piece]))
            if i % 7 == 0:
                time.sleep(0.002)
        sock.sendall(command("GET", "split"))
        expected = b"+OK\r\n$8\r\nabc\r\ndef\r\n"
        check(recv_exactly(sock, len(expected)) == expected, "split command")
        # Inline (telnet-style) commands, quoted arguments, a blank line.
        sock.sendall(b"PING\r\n\r\nECHO \"a b\\x41\"\nSET q 'it''s'\r\nset q \"it's\"\r\nget q\r\n")
        expected = b"+PONG\r\n$4\r\na bA\r\n-ERR Protocol error: unbalanced quotes in request\r\n"
        got = recv_until_eof(sock)
        check(got == expected, f"inline answers {got!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def send_in_pieces(sock, data, largest):
    """Sends data in pieces of 1, 2, ... largest bytes, then 1 again, each
    after a short pause, so the server reads it in many parts."""
    start, size = 0, 1
    while start < len(data):
        sock.sendall(data[start:start + size])
        start, size = start + size, size % largest + 1
        time.sleep(0.001)


def test_kv_batch_split_anywhere_answers_as_whole():
    """A batch of the shapes the parser takes apart differently (a value over
    255 bytes, a `$03` length, `*0` and `*-1`, an inline line, a CRLF inside a
    value) gets the same answers whole and cut into 1- to 11-byte pieces, so
    cuts fall inside headers, between CR and LF and inside values."""
    run = kv()
    value = b"v" * 300
    batch = (command("SET", "k1", value) + command("GET", "k1") + b"*0\r\n"
             + b"*3\r\n$03\r\nSET\r\n$2\r\nk2\r\n$1\r\nx\r\n" + command("GET", "k2")
             + command("MGET", "k1", "k2", "missing") + b"PING\r\n*-1\r\n"
             + command("ECHO", "a\r\nb") + command("PING"))
    expected = (b"+OK\r\n$300\r\n" + value + b"\r\n+OK\r\n$1\r\nx\r\n*3\r\n$300\r\n" + value
                + b"\r\n$1\r\nx\r\n$-1\r\n+PONG\r\n$4\r\na\r\nb\r\n+PONG\r\n")
    with connect(run.port, timeout=5) as sock:
        sock.sendall(batch)
        got = recv_exactly(sock, len(expected))
        check(got == expected, f"whole batch: {got!r}")
        send_in_pieces(sock, batch, 11)
        got = recv_exactly(sock, len(expected))
        check(got == expected, f"batch in pieces: {got!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_get_set_edge_cases_answer_as_the_general_path():
    """GET and SET that serve's own loop takes apart (a CR in a key or value
    too), and the near misses it leaves to the parser (lower or mixed case,
    a value over 255 bytes, a `$016` length, a length that does not fit, a
    key holding a list or with an expiry), in one batch: the answers, INFO's
    command count and DBSIZE after FLUSHALL in mid-batch."""
    run = kv()
    long_value = b"y" * 256
    batch = (command("SET", "k\rx", "v") + command("GET", "k\rx") + command("SET", "k", "a\rb")
             + command("GET", "k") + command("gEt", "k") + command("sEt", "k", long_value)
             + command("GET", "k") + command("SET", "", "") + command("GET", "")
             + command("SET", "e", "v", "PX", "100000") + command("GET", "e")
             + command("LPUSH", "l", "q") + command("GET", "l") + command("GET", "nope")
             + b"*2\r\n$3\r\nGET\r\n$03\r\nk\rx\r\n" + command("FLUSHALL") + command("GET", "k")
             + command("SET", "n", "1") + command("DBSIZE") + command("INFO")
             + b"*2\r\n$3\r\nGET\r\n$2\r\nn\r\n\r\n")
    expected = (b"+OK\r\n$1\r\nv\r\n+OK\r\n$3\r\na\rb\r\n$3\r\na\rb\r\n+OK\r\n$256\r\n"
                + long_value + b"\r\n+OK\r\n$0\r\n\r\n+OK\r\n$1\r\nv\r\n:1\r\n"
                + b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
                + b"$-1\r\n$1\r\nv\r\n+OK\r\n$-1\r\n+OK\r\n:1\r\n")
    with connect(run.port, timeout=5) as sock:
        sock.sendall(batch)
        got = recv_until_eof(sock)
    check(got.startswith(expected), f"answers {got!r}")
    info = got[len(expected):]
    check(b"total_commands_processed:20\r\n" in info, f"INFO counts the 20 commands: {info!r}")
    check(info.endswith(b"-ERR Protocol error: bulk string not followed by CRLF\r\n"),
          f"a length that does not fit: {info!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_get_set_of_every_header_width_answer_as_redis_would():
    """GET and SET whose key and value lengths have one, two or three digits
    (0 to 255 bytes, and 256, which the parser takes), keys and values that
    hold CRLF or look like RESP headers, GETs right after SETs and of keys
    never set: the answers are what a store of the SETs gives, whole and in
    1- to 13-byte pieces (cuts inside every header and before each CRLF)."""
    run = kv()
    pairs = [(b"k", b""), (b"k", b"1"), (b"key:__rand_int__", b"xxx"), (b"k" * 99, b"v" * 10),
             (b"k" * 100, b"v" * 99), (b"k" * 255, b"v" * 100), (b"w" * 10, b"v" * 255),
             (b"z" * 256, b"v" * 256), (b"a\r\n$3\r\nxyz", b"*2\r\n$3\r\nGET\r\n$1\r\nk"),
             (b"", b"\r\n"), (b"\r\n", b"$-1\r\n")]
    batch, expected, store = b"", b"", {}
    for key, value in pairs:
        for name, args in ((b"GET", [key]), (b"SET", [key, value]), (b"GET", [key]),
                           (b"GET", [key + b"!"])):
            batch += command(name, *args)
            if name == b"SET":
                store[key] = value
                expected += b"+OK\r\n"
            elif args[0] in store:
                expected += b"$%d\r\n%s\r\n" % (len(store[args[0]]), store[args[0]])
            else:
                expected += b"$-1\r\n"
    with connect(run.port, timeout=5) as sock:
        sock.sendall(command("FLUSHALL") + batch)
        got = recv_exactly(sock, 5 + len(expected))
        check(got == b"+OK\r\n" + expected, f"whole batch: {got!r}")
        sock.sendall(command("FLUSHALL"))
        check(recv_exactly(sock, 5) == b"+OK\r\n", "FLUSHALL")
        send_in_pieces(sock, batch, 13)
        got = recv_exactly(sock, len(expected))
        check(got == expected, f"batch in pieces: {got!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_protocol_errors_close_the_connection():
    run = kv()
    cases = [
        (b"*1\r\n+PING\r\n", b"expected '$'"),
        (b"*x\r\n", b"invalid multibulk length"),
        (b"*2000000\r\n", b"invalid multibulk length"),
        (b"*2\r\n$3\r\nGET\r\n$%d\r\n" % (65 * 1024 * 1024), b"invalid bulk length"),
        (b"*1\r\n$4\r\nPINGxx", b"not followed by CRLF"),
        (b"GET " + b"a" * 70000, b"too big inline request"),
    ]
    for request, reason in cases:
        with connect(run.port, timeout=5) as sock:
            sock.sendall(command("PING") + request)
            answer = recv_until_eof(sock)  # ends: the server closed
            check(answer.startswith(b"+PONG\r\n-ERR Protocol error: ") and reason in answer
                  and answer.endswith(b"\r\n"), f"{request[:40]!r} -> {answer!r}")
    with connect(run.port, timeout=5) as sock:  # the server is still fine
        sock.sendall(command("PING") + command("QUIT") + command("PING"))
        answer = recv_until_eof(sock)
        check(answer == b"+PONG\r\n+OK\r\n", f"QUIT: {answer!r}")
    check(run.stop() == 0, "lxrun did not exit 0")


def test_kv_large_value_across_many_reads():
    run = kv()
    value = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB
    with connect(run.port, timeout=20) as sock:
        request = command("SET", "big", value) + command("STRLEN", "big") + command("GET", "big")
        for start in range(0, len(request), 1 << 16):
            sock.sendall(request[start:start + (1 << 16)])
        head = b"+OK\r\n:%d\r\n$%d\r\n" % (len(value), len(value))
        check(recv_exactly(sock, len(head)) == head, "SET/STRLEN of a 12 MiB value")
        check(recv_exactly(sock, len(value) + 2) == value + b"\r\n", "GET returned other bytes")
    check(run.stop() == 0, "lxrun did not exit 0")


# The tests redis-benchmark runs and the names it prints for them.
BENCH_TESTS = "ping,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,mset"
BENCH_NAMES = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP",
               "RPOP", "SADD", "HSET", "SPOP", "MSET (10 keys)"]


def redis_benchmark(port, requests, tests=BENCH_TESTS, pipeline=8):
    """Runs redis-benchmark -q and returns {test name: requests per second};
    fails on a non-zero exit or any error reply (redis-benchmark 7 stops at the
    first one and says "Error from server")."""
    if shutil.which("redis-benchmark") is None:
        raise SkipTest("redis-benchmark is not installed (apt-get install redis-tools)")
    args = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
            "-n", str(requests), "-c", "20", "-P", str(pipeline), "-t", tests]
    done = subprocess.run(args, capture_output=True, timeout=90)
    # -q rewrites a progress line with \r; the final one ends with \n.
    lines = [part.strip() for part in done.stdout.decode().replace("\r", "\n").split("\n")]
    print("\n".join(line for line in lines if "per second" in line))
    check(done.returncode == 0, f"redis-benchmark exited {done.returncode}: {done.stderr!r}")
    errors = [line for line in lines + done.stderr.decode().split("\n") if "rror" in line]
    check(not errors, f"redis-benchmark saw errors: {errors[:5]}")
    rates = {}
    for line in lines:
        match = re.match(r"^(.+): ([\d.]+) requests per second", line)
        if match:
            rates[match.group(1)] = float(match.group(2))
    return rates


def test_kv_redis_benchmark_no_errors():
    run = kv()
    rates = redis_benchmark(run.port, 20000)
    missing = [name for name in BENCH_NAMES if name not in rates]
    check(not missing, f"tests not reported: {missing}; got {sorted(rates)}")
    check(all(rate > 0 for rate in rates.values()), f"rates {rates}")
    # Every INCR hit the same key; the pushes and pops cancel out; SPOP took
    # back what SADD added (one member, the key is not randomized without -r).
    check(cli(run.port, "GET", "counter:__rand_int__") == "20000", "INCR count")
    check(cli(run.port, "EXISTS", "mylist", "myset") == "0", "pushes and pops do not cancel")
    # redis-benchmark's default value is 3 bytes (-d 3).
    check(len(cli(run.port, "GET", "key:__rand_int__")) == 3, "SET value")
    check(len(cli(run.port, "HGET", "myhash", "element:__rand_int__")) == 3, "HSET value")
    check(run.stop() == 0, "lxrun did not exit 0")


def tool_path(variable, name):
    """A tool from the environment, else beside lxrun (all binaries share a directory)."""
    path = os.environ.get(variable) or os.path.join(os.path.dirname(lxtest.LXRUN), name)
    if not os.access(path, os.X_OK):
        raise SkipTest(f"{name} not found at {path}")
    return path


def test_kv_redis_benchmark_record_and_replay():
    lxreplay = tool_path("LXREPLAY", "lxreplay")
    lxdiff = tool_path("LXDIFF", "lxdiff")
    with tempfile.TemporaryDirectory(prefix="lx_kv_record_") as work:
        log = os.path.join(work, "kv.lxw")
        run = Lxrun(lxtest.sample("kv"), extra=["--record", log, "--checkpoint-every", "250"])
        rates = redis_benchmark(run.port, 20000, tests="set,get,incr,lpush,lpop,sadd,spop,hset")
        check(len(rates) == 8, f"tests reported: {sorted(rates)}")
        check(cli(run.port, "GET", "counter:__rand_int__") == "20000", "INCR count")
        check(run.stop() == 0, "lxrun did not exit 0")
        code, out, err = run_tool(lxreplay, log, "--quiet")
        check(code == 0 and "lxreplay: match:" in out, f"lxreplay exited {code}:\n{out}\n{err}")
        again = os.path.join(work, "kv.again.lxw")
        code, out, err = run_tool(lxreplay, log, "--quiet", "--checkpoint-every", "250",
                                  "--record-to", again)
        check(code == 0, f"lxreplay --record-to exited {code}:\n{out}\n{err}")
        code, out, err = run_tool(lxdiff, log, again)
        check(code == 0, f"lxdiff of the log and its re-record exited {code}:\n{out}\n{err}")


lxtest.main(globals())
