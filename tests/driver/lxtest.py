"""Helpers for lxrun's end-to-end tests: start lxrun on ephemeral loopback
ports, find the ports on its stderr, and make sure it dies with the test.

Each test file ends with `lxtest.main(globals())`; ctest runs
`python3 FILE TEST_NAME` with LXRUN (the binary) and LX_SAMPLES (the samples
directory) in the environment. Standard library only."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

LXRUN = os.environ.get("LXRUN", "lxrun")
LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
SAMPLES = os.environ.get("LX_SAMPLES", os.path.join(os.path.dirname(__file__), "../../samples"))
LISTEN_RE = re.compile(r"^lxrun: listening on (\S+):(\d+)$")

_live = []  # every Lxrun started, killed at exit if still running


class TestFailure(Exception):
    pass


class SkipTest(Exception):
    """Raised when a tool the test needs (curl, wrk, IPv6) is missing: exit 77."""


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def sample(name):
    return os.path.join(SAMPLES, name)


class Lxrun:
    """One lxrun process. Collects its stderr lines in a thread (so the pipe
    never fills) and, when it listens, waits for every 'listening on' line."""

    def __init__(self, app, listen=1, app_args=(), extra=(), stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, wait_ready=True, ready_timeout=10.0,
                 preexec_fn=None, binary=None, env=None):
        args = [binary or LXRUN, "--app", app]
        for _ in range(listen):
            args += ["--listen", "127.0.0.1:0"]
        args += list(extra)
        if app_args:
            args += ["--"] + list(app_args)
        self.args = args
        # preexec_fn runs in the child before lxrun starts (e.g. to set an rlimit);
        # env (a dict) is added to this process's environment for it.
        self.proc = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                                     preexec_fn=preexec_fn,
                                     env=None if env is None else {**os.environ, **env})
        _live.append(self)
        self.lines = []
        self.ports = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        if wait_ready and listen > 0:
            self.wait_for(lambda: len(self.ports) >= listen, ready_timeout,
                          "lxrun did not report its listening ports")

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._cond:
                self.lines.append(line)
                match = LISTEN_RE.match(line)
                if match:
                    self.ports.append(int(match.group(2)))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate, timeout, message):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not predicate()):
                    if self.proc.poll() is not None:
                        self._cond.wait(0.2)  # let the reader catch the last lines
                    raise TestFailure(f"{message}; stderr so far:\n" + "\n".join(self.lines))
                self._cond.wait(min(left, 0.1))

    @property
    def port(self):
        return self.ports[0]

    def stderr_text(self):
        with self._cond:
            return "\n".join(self.lines)

    def wait_line(self, pattern, timeout=5.0):
        regex = re.compile(pattern)
        self.wait_for(lambda: any(regex.search(line) for line in self.lines), timeout,
                      f"no stderr line matching {pattern!r}")

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"lxrun still running after {timeout} s; stderr:\n"
                              + self.stderr_text())
        finally:
            self._reader.join(2)

    def stop(self, sig=signal.SIGINT, timeout=3.0):
        """Sends sig and returns the exit code; fails if it takes over timeout."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def run_lxrun(args, timeout=10.0, stdin=subprocess.DEVNULL, input_bytes=None):
    """Runs lxrun to completion; returns (exit code, stdout bytes, stderr text)."""
    try:
        done = subprocess.run([LXRUN] + list(args), stdin=None if input_bytes is not None else stdin,
                              input=input_bytes, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"lxrun {' '.join(args)} did not finish in {timeout} s")
    return done.returncode, done.stdout, done.stderr.decode("utf-8", "replace")


def record_http_session(log, requests=("/", "/stats", "/nope", "/"), extra=()):
    """Records samples/http into log while one client per path GETs it (one
    connection each, Connection: close). Returns the log's path."""
    run = Lxrun(sample("http"), extra=["--record", log, "--checkpoint-every", "50"] + list(extra))
    for path in requests:
        with connect(run.port) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            recv_until_eof(sock)
    code = run.stop()
    check(code == 0, f"lxrun exited {code} while recording {log}:\n{run.stderr_text()}")
    return log


def run_tool(*args, timeout=60):
    """Runs a tool to completion; returns (exit code, stdout, stderr) as text.
    A hang is a failure."""
    try:
        done = subprocess.run(list(args), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{' '.join(args)} did not finish in {timeout} s")
    return (done.returncode, done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"))


def work_path(name):
    """A path for name in a temporary directory of this test process."""
    global _work_dir
    if _work_dir is None:
        _work_dir = tempfile.mkdtemp(prefix="lx_e2e_")
    return os.path.join(_work_dir, name)


_work_dir = None


def check_replays(log):
    """lxreplay LOG --quiet must exit 0 with every checkpoint matching; returns
    its summary line."""
    code, out, err = run_tool(LXREPLAY, log, "--quiet", timeout=120)
    check(code == 0 and "match:" in err + out,
          f"lxreplay {log} exited {code}:\n{out}\n{err[-2000:]}")
    return (err + out).strip().splitlines()[-1]


def last_checkpoint(log):
    """The last checkpoint of a log as lxdump --checkpoints --json prints it
    (keys event_count, memhash, outhash, heap_bytes_in_use)."""
    code, out, err = run_tool(LXDUMP, log, "end", "--checkpoints", "--json")
    check(code == 0, f"lxdump {log} exited {code}: {err}")
    points = [obj for obj in map(json.loads, out.splitlines()) if obj.get("kind") == "checkpoint"]
    check(points, f"no checkpoint in {log}")
    return points[-1]


def stop_and_replay(run, log, heap_bytes_max=None):
    """Stops a recording lxrun (exit 0), replays its log (every checkpoint
    matching), and returns the heap figure of the log's last checkpoint,
    checked against heap_bytes_max when given."""
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    check_replays(log)
    heap = last_checkpoint(log)["heap_bytes_in_use"]
    if heap_bytes_max is not None:
        print(f"engine heap at the last checkpoint: {heap} bytes")
        check(heap <= heap_bytes_max,
              f"the engine holds {heap} bytes at the end, over {heap_bytes_max}")
    return heap


def make_app(files):
    """A temporary app directory holding files (name -> text)."""
    directory = tempfile.mkdtemp(prefix="lxrun-test-")
    for name, text in files.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write(text)
    return directory


def connect(port, timeout=10.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def fill_unread_output(port):
    """A client that sends to echo and reads nothing until lxrun stops reading
    it (back-pressure: lxrun then holds output it cannot deliver, beyond what
    the kernel's buffers took). Returns the socket (keep it open)."""
    sock = connect(port)
    sock.setblocking(False)
    block = b"z" * 65536
    deadline = time.monotonic() + 20
    blocked_since = None
    while time.monotonic() < deadline:
        try:
            sock.send(block)
            blocked_since = None
        except BlockingIOError:
            blocked_since = blocked_since or time.monotonic()
            if time.monotonic() - blocked_since > 0.5:
                return sock
            time.sleep(0.01)
    raise TestFailure("lxrun kept reading: no back-pressure within 20 s")


def run_clients(count, client, join_timeout_s=60):
    """Runs client(index) for index 0..count-1, each in its own thread, and
    fails the test with the first few errors any of them raised."""
    errors = []

    def guarded(index):
        try:
            client(index)
        except Exception as error:  # collected, reported below
            errors.append(f"client {index}: {error!r}")

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(join_timeout_s)
    check(not any(t.is_alive() for t in threads), "a client thread did not finish in time")
    check(not errors, "; ".join(errors[:5]))


def resp_command(*args):
    """One Redis command as a RESP array of bulk strings (bytes, str or numbers)."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def recv_exactly(sock, size):
    chunks = []
    got = 0
    while got < size:
        chunk = sock.recv(min(1 << 20, size - got))
        if not chunk:
            raise TestFailure(f"connection closed after {got} of {size} bytes")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv_until_eof(sock):
    chunks = []
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def read_response(sock, pending):
    """Reads one HTTP response (with Content-Length) from sock; pending is a
    bytearray of leftovers. Returns (status, headers dict, body bytes)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(4096)
        check(chunk, f"connection closed inside a response head: {bytes(pending)!r}")
        pending += chunk
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    size = int(headers.get("content-length", "0"))
    while len(rest) < size:
        chunk = sock.recv(4096)
        check(chunk, "connection closed inside a body")
        rest += chunk
    pending[:] = rest[size:]
    return status, headers, rest[:size]


def send_ignoring_close(sock, data):
    """Sends data from a thread; lxrun may close the connection half way (it
    refused the request), which is not an error here."""
    def run():
        try:
            sock.sendall(data)
        except OSError:
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def read_until_closed(sock):
    """What lxrun sent before it closed the connection (EOF or reset)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def recv_line(sock, pending):
    """Reads one \\n-terminated line; pending is a bytearray of leftovers."""
    while b"\n" not in pending:
        chunk = sock.recv(4096)
        if not chunk:
            raise TestFailure(f"connection closed while waiting for a line; had {bytes(pending)!r}")
        pending += chunk
    line, _, rest = bytes(pending).partition(b"\n")
    pending[:] = rest
    return line.decode()


def main(namespace, time_limit_s=120):
    """Runs the test named on the command line (or all), each bounded in time."""
    tests = {name: fn for name, fn in namespace.items() if name.startswith("test_") and callable(fn)}
    names = sys.argv[1:] or sorted(tests)
    failed = 0
    for name in names:
        if name not in tests:
            print(f"no test named {name}; have: {', '.join(sorted(tests))}")
            sys.exit(2)
        def on_alarm(*_):
            raise TestFailure(f"{name} took over {time_limit_s} s")
        signal.signal(signal.SIGALRM, on_alarm)
        signal.alarm(time_limit_s)
        started = time.monotonic()
        try:
            tests[name]()
            print(f"ok {name} ({time.monotonic() - started:.2f} s)")
        except SkipTest as skip:
            print(f"skip {name}: {skip}")
            if len(names) == 1:
                sys.exit(77)
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        finally:
            signal.alarm(0)
            for run in list(_live):
                run.kill()
            _live.clear()
    sys.exit(1 if failed else 0)
