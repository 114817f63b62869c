"""I/O faults under a recording lxrun, end to end (issue 9 item 3): a test
build of lxrun (lxrun_iofaults, LX_TEST_IO_FAULTS=KIND:N:EFFECT) fails the
k-th write or fdatasync of its log while a real client talks to
samples/echo. The server must keep serving, lxrun must say once what failed
and exit 4 at stop, and the log must read back as a prefix of what the
client sent, torn at its tail. Runs like the other e2e tests with LXRUN,
LXRUN_IOFAULTS, LX_SAMPLES, LXDUMP and LXREPLAY in the environment."""

import json
import os
import re
import tempfile
import time

import lxtest
from lxtest import Lxrun, TestFailure, check, connect, recv_exactly
from lxtest import run_tool as tool

LXRUN_IOFAULTS = os.environ.get("LXRUN_IOFAULTS", "lxrun_iofaults")
LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
WORK = tempfile.mkdtemp(prefix="lx_io_faults_e2e_")
STOPPED_RE = r"^lxrun: warning: recording stopped: (.+); the server keeps running unrecorded$"


def record_echo(name, fault, extra=(), binary=LXRUN_IOFAULTS):
    """samples/echo recording into WORK/name with fault injected; flushes
    every 5 ms so that a few requests make a write each."""
    log = os.path.join(WORK, name)
    run = Lxrun(lxtest.sample("echo"), binary=binary, env={"LX_TEST_IO_FAULTS": fault},
                extra=["--record", log, "--flush-ms", "5", "--checkpoint-every", "5"]
                + list(extra))
    return run, log


def echo_until(run, sock, sent, done, seconds=20):
    """Echoes numbered requests on sock (appended to sent), pausing 20 ms
    after every 5 so that the writer flushes between them, until done()."""
    deadline = time.monotonic() + seconds
    while not done():
        check(time.monotonic() < deadline, "gave up waiting; stderr:\n" + run.stderr_text())
        for _ in range(5):
            payload = f"request {len(sent)}\n".encode()
            sock.sendall(payload)
            check(recv_exactly(sock, len(payload)) == payload, "the echo differs")
            sent.append(payload)
        time.sleep(0.02)


def stopped_lines(run):
    return [line for line in run.lines if "recording stopped" in line]


def read_log(log):
    """(health, events, the recv_incoming bytes in order) from lxdump --json,
    checking that the events are numbered 1, 2, ... without a gap."""
    code, out, err = tool(LXDUMP, log, "--stats", "--json")
    check(code == 0, f"lxdump --stats {log} exited {code}:\n{err}")
    summary = next(o for o in map(json.loads, out.splitlines()) if o["kind"] == "stats")
    code, out, err = tool(LXDUMP, log, "--json")
    check(code == 0, f"lxdump {log} exited {code}:\n{err}")
    events = [o for o in map(json.loads, out.splitlines()) if o.get("kind") == "event"]
    numbers = [o["event"] for o in events]
    check(numbers == list(range(1, len(numbers) + 1)), f"events not consecutive: {numbers[:20]}")
    data = b"".join(o["data"].encode("latin-1") for o in events
                    if o.get("record_type") == "recv_incoming")
    return summary["health"], len(events), data


def check_fault_case(name, fault, why, extra=(), events_written=True):
    """The common case: the fault stops the recording mid-session (or, when
    not events_written, at its first write after the header)."""
    run, log = record_echo(name, fault, extra)
    sent = []
    with connect(run.port) as sock:
        echo_until(run, sock, sent, lambda: stopped_lines(run))
        before = len(sent)
        # The server serves on, unrecorded.
        echo_until(run, sock, sent, lambda: len(sent) >= before + 50)
    check(run.proc.poll() is None, "lxrun stopped after the fault:\n" + run.stderr_text())
    code = run.stop()
    check(code == 4, f"exit {code}, want 4 after a log I/O error:\n{run.stderr_text()}")
    lines = stopped_lines(run)
    check(len(lines) == 1, f"want the failure said once, got {lines}")
    match = re.match(STOPPED_RE, lines[0])
    check(match and log in match.group(1) and why in match.group(1),
          f"the line does not say what failed ({log}: {why}): {lines[0]}")
    health, events, data = read_log(log)
    check(health == "torn_tail", f"health {health}, want torn_tail")
    check((events > 0) == events_written, f"{events} events in the log")
    # What the log holds of the client's requests is what it sent, in order,
    # up to where the recording stopped; nothing after the fault.
    sent_bytes = b"".join(sent)
    check(sent_bytes.startswith(data), "the recorded requests are not a prefix of those sent")
    check(len(data) <= len(b"".join(sent[:before])),
          "the log holds requests sent after the recording stopped")
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0 and "0 divergence(s)" in out + err, f"lxreplay exited {code}:\n{out}\n{err}")
    print(f"{fault}: stopped after {before} requests, log holds {events} events, "
          f"{len(data)} of {len(sent_bytes)} request bytes")


def test_io_fault_in_a_write_is_said_once_and_the_server_serves_on():
    # k = 2 is the first write after the header; later ones come mid-session.
    check_fault_case("write2.lxw", "write:2:EIO", "Input/output error", events_written=False)
    check_fault_case("write7.lxw", "write:7:ENOSPC", "No space left on device")
    check_fault_case("write15.lxw", "write:15+:no-progress", "Input/output error")


def test_io_fault_short_write_then_full_disk():
    check_fault_case("short.lxw", "write:5:short-ENOSPC", "No space left on device")


def test_io_fault_in_fdatasync_with_fsync_always():
    check_fault_case("sync.lxw", "sync:4:EIO", "cannot sync log file", ["--fsync", "always"])


def test_io_fault_in_close_is_an_error_at_stop():
    # A network file system may report a deferred write error only at
    # close: lxrun must not call that log closed cleanly.
    run, log = record_echo("close.lxw", "close:1:EIO")
    sent = []
    with connect(run.port) as sock:
        echo_until(run, sock, sent, lambda: len(sent) >= 50)
    code = run.stop()
    check(code == 4, f"exit {code}, want 4 after close failed:\n{run.stderr_text()}")
    errors = [line for line in run.lines if line.startswith("lxrun: error:")]
    check(len(errors) == 1 and f"cannot close log file {log}: Input/output error" in errors[0],
          f"want one error naming the close: {run.lines}")
    health, _, data = read_log(log)
    check(health == "clean" and data == b"".join(sent), f"health {health}")


def test_io_fault_opening_the_ring_file_stages_in_memory():
    # The second open is LOG.ring's: the recording goes on with the records
    # staged in memory, and says so once at the start.
    run, log = record_echo("ring.lxw", "open:2:EIO")
    sent = []
    with connect(run.port) as sock:
        echo_until(run, sock, sent, lambda: len(sent) >= 100)
    check(run.stop() == 0, "want exit 0: the log itself had no error\n" + run.stderr_text())
    warnings = [line for line in run.lines if "staging in memory" in line]
    check(len(warnings) == 1 and "Input/output error" in warnings[0] and log + ".ring"
          in warnings[0], f"want one warning naming the ring file: {run.lines}")
    health, _, data = read_log(log)
    check(health == "clean", f"health {health}")
    check(data == b"".join(sent), "the log does not hold every request")


def test_io_fault_opening_the_next_segment_keeps_recording_in_the_current_one():
    # Opens 1 and 2 are the first segment's log and ring; from the 3rd on
    # every open fails, so the rotation --segment-bytes asks for cannot
    # happen: said once, the recording goes on in segment 1, nothing is lost.
    directory = os.path.join(WORK, "segments") + "/"
    run = Lxrun(lxtest.sample("echo"), binary=LXRUN_IOFAULTS,
                env={"LX_TEST_IO_FAULTS": "open:3+:EIO"},
                extra=["--record", directory, "--segment-bytes", "64K", "--flush-ms", "5"])
    sent = []
    with connect(run.port) as sock:
        for i in range(3000):
            payload = f"segment request {i} {os.urandom(16).hex()}\n".encode()
            sock.sendall(payload)
            check(recv_exactly(sock, len(payload)) == payload, "the echo differs")
            sent.append(payload)
    run.wait_for(lambda: any("cannot start segment 2" in l for l in run.lines), 10,
                 "no warning for the rotation that failed")
    check(run.stop() == 0, "want exit 0: the log itself had no error\n" + run.stderr_text())
    warnings = [l for l in run.lines if "cannot start segment" in l]
    check(len(warnings) == 1 and "the recording goes on in" in warnings[0], f"{run.lines}")
    files = sorted(os.listdir(directory))
    check(files == ["00000000000000000001.lxw"], f"files {files}")
    health, _, data = read_log(os.path.join(directory, files[0]))
    check(health == "clean", f"health {health}")
    check(data == b"".join(sent), "the segment does not hold every request")
    code, _, err = tool(LXREPLAY, directory, "--quiet")
    check(code == 0, f"lxreplay of the directory exited {code}: {err}")


def test_production_lxrun_ignores_the_fault_variable():
    run, log = record_echo("production.lxw", "write:2:EIO", binary=lxtest.LXRUN)
    sent = []
    with connect(run.port) as sock:
        echo_until(run, sock, sent, lambda: len(sent) >= 50)
    check(run.stop() == 0, "lxrun exited non-zero:\n" + run.stderr_text())
    check(not stopped_lines(run), "the production lxrun took the fault variable")
    health, _, data = read_log(log)
    check(health == "clean" and data == b"".join(sent), f"health {health}")


if __name__ == "__main__":
    lxtest.main(globals())
