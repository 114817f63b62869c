"""Segments (issue 10 item 4, docs/recording.md "Segments"): lxrun --record
DIR/ rotates on --segment-bytes and on SIGHUP under wrk load, every segment
replays alone from its opening snapshot, the directory replays as one log,
--keep-segments keeps the newest K, an idle server does not rotate, and a
damaged middle segment is salvaged from the next snapshot with exit 3. Runs
like the other e2e tests (`python3 FILE TEST`) with LXRUN, LX_SAMPLES, LXDUMP
and LXREPLAY in the environment."""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import lxtest
from lxtest import Lxrun, SkipTest, check, connect, recv_until_eof, run_tool

LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
WORK = tempfile.mkdtemp(prefix="lx_segments_e2e_")
SEGMENT_RE = re.compile(r"^lxrun: segment (\d+): (\S+) from event (\d+) \((.*); the switch")


def get(port, path="/"):
    with connect(port) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return recv_until_eof(sock)


def segments(directory):
    return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                  if re.fullmatch(r"\d{20}\.lxw", n))


def replay(log, *args):
    code, out, err = run_tool(LXREPLAY, log, "--json", "--quiet", *args, timeout=120)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    check(lines and lines[-1]["kind"] == "summary", f"lxreplay {log}: no summary: {out}\n{err}")
    return code, lines[-1], err


def dump_header(log):
    code, out, err = run_tool(LXDUMP, log, "--json", "end")
    check(code == 0, f"lxdump {log} exited {code}: {err}")
    return json.loads(out.splitlines()[0])


def dump_events(log):
    code, out, err = run_tool(LXDUMP, log, "--stats", "--json")
    check(code == 0, f"lxdump --stats {log} exited {code}: {err}")
    lines = [json.loads(line) for line in out.splitlines()]
    return next(line for line in lines if line["kind"] == "stats")


def wrk(port, seconds):
    done = subprocess.run(["wrk", "-t1", "-c4", f"-d{seconds}s", f"http://127.0.0.1:{port}/"],
                          capture_output=True, timeout=60)
    check(done.returncode == 0, f"wrk exited {done.returncode}: {done.stderr.decode()}")
    check(b"Socket errors" not in done.stdout, done.stdout.decode())


def record_under_wrk(name, extra, hups=2, seconds=1, until=lambda run: True):
    """Records samples/http into WORK/name/ under wrk, sending SIGHUP between
    runs; then runs wrk on (a second at a time, up to 20 more) until
    until(run) holds, since how much a second of wrk records depends on the
    machine (a sanitized build on a busy one records a fraction)."""
    if shutil.which("wrk") is None:
        raise SkipTest("wrk is not installed")
    directory = os.path.join(WORK, name) + "/"
    run = Lxrun(lxtest.sample("http"), extra=["--record", directory] + list(extra))
    for i in range(hups + 1):
        wrk(run.port, seconds)
        if i < hups:
            run.proc.send_signal(signal.SIGHUP)
            run.wait_for(lambda: sum("(SIGHUP;" in l for l in run.lines) > i, 10,
                         "no rotation after SIGHUP")
    for _ in range(20):
        if until(run):
            break
        wrk(run.port, 1)
    check(until(run), f"not reached after 20 more seconds of wrk:\n{run.stderr_text()}")
    code = run.stop(timeout=10)
    check(code == 0, f"lxrun exited {code}:\n{run.stderr_text()}")
    return directory, run


def test_rotation_on_size_and_sighup_under_wrk_each_segment_and_the_directory_replay():
    directory, run = record_under_wrk(
        "rotate", ["--segment-bytes", "96K"],
        until=lambda run: any("(--segment-bytes;" in l for l in run.lines))
    rotations = [SEGMENT_RE.match(l) for l in run.lines if SEGMENT_RE.match(l)]
    why = [m.group(4) for m in rotations]
    check(why.count("SIGHUP") == 2, f"rotations: {why}")
    check("--segment-bytes" in why, f"no rotation on size: {why}")
    files = segments(directory)
    check(len(files) == len(rotations) + 1, f"{len(files)} files, {len(rotations)} rotations")
    # Named by their first event, numbered from 1, one recording.
    headers = [dump_header(f) for f in files]
    ids = {h["recording_id"] for h in headers}
    check(len(ids) == 1 and ids != {"0" * 32}, f"recording ids {ids}")
    check([h["segment"] for h in headers] == list(range(1, len(files) + 1)), f"{headers}")
    for f, h in zip(files, headers):
        check(int(os.path.basename(f)[:20]) == h["first_event"], f"{f}: {h['first_event']}")

    # The directory replays as one log: every event, every checkpoint and
    # snapshot verified.
    code, whole, err = replay(directory)
    check(code == 0 and whole["result"] == "match", f"{whole}\n{err}")
    stats = dump_events(directory)
    check(whole["events_replayed"] == stats["events"] == whole["last_event"], f"{whole} {stats}")
    check(stats["health"] == "clean", f"{stats}")
    check(whole["snapshots_verified"] >= len(files) - 1, f"{whole}")

    # Each segment alone: from its opening snapshot to its end.
    total = 0
    for f, h, nxt in zip(files, headers, headers[1:] + [None]):
        code, alone, err = replay(f)
        check(code == 0 and alone["result"] == "match", f"{f}: {alone}\n{err}")
        check(alone["started_from_snapshot"] == h["first_event"] - 1, f"{f}: {alone}")
        last = nxt["first_event"] - 1 if nxt else whole["last_event"]
        check(alone["last_event"] == last, f"{f}: {alone}, want last event {last}")
        total += alone["events_replayed"]
        if h["segment"] > 1:
            check(f"begins at event {h['first_event']}" in err, f"{f}: {err}")
        seg_stats = dump_events(f)
        check(seg_stats["health"] == "clean", f"{f}: {seg_stats}")
    check(total == whole["events_replayed"], f"{total} events in the segments, {whole}")

    # A seek into the last segment starts at a snapshot in it.
    target = headers[-1]["first_event"] + 1
    code, seek, err = replay(directory, "--from", str(target))
    check(code == 0 and seek["started_from_snapshot"] >= headers[-1]["first_event"] - 1,
          f"{seek}\n{err}")


def test_keep_segments_deletes_the_oldest_and_the_rest_replays():
    directory, run = record_under_wrk("keep", ["--segment-bytes", "64K", "--keep-segments", "2"],
                                      hups=3)
    rotations = [l for l in run.lines if SEGMENT_RE.match(l)]
    check(len(rotations) >= 3, f"{rotations}")
    files = segments(directory)
    check(len(files) == 2, f"kept {files}")
    check(not [n for n in os.listdir(directory) if n.endswith(".ring")], os.listdir(directory))
    first = dump_header(files[0])["first_event"]
    check(first > 1, f"the oldest left begins at {first}")
    code, summary, err = replay(directory)
    check(code == 0 and summary["started_from_snapshot"] == first - 1, f"{summary}\n{err}")


def wait_until_still(directory, seconds, timeout):
    """Waits until the segment files and their sizes have not changed for
    seconds; returns the files."""
    def state():
        files = segments(directory)
        return files, [os.path.getsize(f) for f in files]
    deadline = time.monotonic() + timeout
    last, since = state(), time.monotonic()
    while time.monotonic() - since < seconds:
        check(time.monotonic() < deadline, f"{directory} still changing after {timeout} s: {last}")
        time.sleep(0.1)
        now = state()
        if now != last:
            last, since = now, time.monotonic()
    return last[0]


def test_an_idle_server_does_not_rotate_and_sighup_on_an_empty_segment_is_said():
    # --segment-s 3 outlasts the 2 s for which lxrun keeps polling after the
    # last event: the segment that holds the request still ends on time.
    directory = os.path.join(WORK, "idle") + "/"
    run = Lxrun(lxtest.sample("http"), extra=["--record", directory, "--segment-s", "3"])
    check(b"200 OK" in get(run.port), "the request failed")
    run.wait_for(lambda: any(SEGMENT_RE.match(l) for l in run.lines), 15,
                 "a segment that holds events did not end after --segment-s while idle")
    # Idle: no event, so no segment after that one and no growth for longer
    # than --segment-s.
    files = wait_until_still(directory, 3.5, 30)
    check(len(files) == 2, f"{files}")
    check(sum(bool(SEGMENT_RE.match(l)) for l in run.lines) == 1, run.stderr_text())
    run.proc.send_signal(signal.SIGHUP)
    run.wait_for(lambda: any("holds no event yet; not rotated" in l for l in run.lines), 10,
                 "SIGHUP on an empty segment was not answered")
    check(run.stop() == 0, run.stderr_text())
    check(segments(directory) == files, f"{files} -> {segments(directory)}")
    code, summary, err = replay(directory)
    check(code == 0 and summary["result"] == "match", f"{summary}\n{err}")


# An echo server that holds about 100 MB of Lua strings: its snapshots take
# long enough to be in progress when the next signal comes.
BIG_STATE_APP = """
local big = {}
for i = 1, 100000 do big[i] = string.rep("s", 1000) .. i end
local clients = {}
function update()
  local ch = lx.accept()
  while ch do clients[ch:id()] = ch; ch = lx.accept() end
  for id, c in pairs(clients) do
    local data = c:read()
    if data ~= "" then c:write(data) end
    if c:closed() then c:close(); clients[id] = nil end
  end
end
"""


def test_a_sighup_that_waits_for_a_snapshot_is_answered_while_idle():
    """A rotation opens the new segment with a snapshot; a SIGHUP while it is
    being written waits for it, and must then be answered without another
    event (lxrun used to sleep on until the next request)."""
    app = os.path.join(WORK, "big_app")
    os.makedirs(app, exist_ok=True)
    with open(os.path.join(app, "main.lua"), "w") as f:
        f.write(BIG_STATE_APP)
    directory = os.path.join(WORK, "big") + "/"
    run = Lxrun(app, extra=["--record", directory], ready_timeout=60)
    # The connection stays open until the end (its close would be an event in
    # segment 2), and the first SIGHUP waits for the echo's sent_outgoing.
    with connect(run.port) as sock:
        sock.sendall(b"one line\n")
        got = b""
        while len(got) < 9:
            chunk = sock.recv(64)
            check(chunk, "the echo connection closed")
            got += chunk
        check(got == b"one line\n", f"echo {got!r}")
        time.sleep(1.0)
        run.proc.send_signal(signal.SIGHUP)
        run.wait_for(lambda: any(SEGMENT_RE.match(l) for l in run.lines), 30, "no rotation")
        run.proc.send_signal(signal.SIGHUP)  # while segment 2's snapshot is written
        run.wait_for(lambda: any("holds no event yet; not rotated" in l for l in run.lines), 60,
                     "the second SIGHUP was not answered")
        check(sum(bool(SEGMENT_RE.match(l)) for l in run.lines) == 1, run.stderr_text())
    check(run.stop(timeout=60) == 0, run.stderr_text())
    files = segments(directory)
    check(len(files) == 2, f"{files}")
    # Its opening snapshot was written whole while nothing else happened.
    code, alone, err = replay(files[1])
    first = dump_header(files[1])["first_event"]
    check(code == 0 and alone["started_from_snapshot"] == first - 1, f"{alone}\n{err}")


def test_a_damaged_middle_segment_is_salvaged_from_the_next_snapshot_with_exit_3():
    directory, _ = record_under_wrk(
        "damaged", ["--segment-bytes", "64K"], hups=1,
        until=lambda run: sum(bool(SEGMENT_RE.match(l)) for l in run.lines) >= 3)
    files = segments(directory)
    check(len(files) >= 4, f"{files}")
    torn = os.path.join(WORK, "torn") + "/"
    shutil.copytree(directory, torn)  # for the torn segment below
    victim = files[1]
    size = os.path.getsize(victim)
    with open(victim, "r+b") as f:
        for at in (size // 3, size // 2):
            f.seek(at)
            byte = f.read(1)
            f.seek(at)
            f.write(bytes([byte[0] ^ 0x5A]))
    code, plain, err = replay(directory)
    check(code == 3, f"a damaged directory replayed with exit {code}: {plain}\n{err}")
    check(os.path.basename(victim) in err, f"the damage does not name the segment: {err}")
    code, salvaged, err = replay(directory, "--salvage")
    check(code == 3, f"--salvage exited {code}: {salvaged}\n{err}")
    check("lost to damage" in err and "resumes at the log's snapshot" in err, err)
    check(salvaged["divergences"] == 0, f"{salvaged}")
    last = dump_header(files[-1])["first_event"] + dump_events(files[-1])["events"] - 1
    check(salvaged["last_event"] == last, f"{salvaged}, want the last event {last}")
    # It resumed no later than the third segment's opening snapshot.
    third_first = dump_header(files[2])["first_event"]
    check(salvaged["events_replayed"] >= last - third_first + 1, f"{salvaged}")

    # A torn middle segment (its last third cut off) is not called the end
    # of the log: the events after the cut are missing, which is said next.
    cut = os.path.join(torn, os.path.basename(files[2]))
    os.truncate(cut, os.path.getsize(cut) * 2 // 3)
    _, _, err = run_tool(LXDUMP, torn, "--stats")
    check(os.path.basename(cut) in err and "the segment ends there (a torn tail)" in err, err)
    check("the log ends there" not in err and "events missing" in err, err)


def test_a_sigkill_while_rotating_loses_no_replied_request_and_the_directory_replays():
    """Echo under segments of 64 KiB, killed with SIGKILL: every line that got
    its echo is in some segment (the last one's staged records come back from
    its .ring file when the directory is read), and the directory replays."""
    directory = os.path.join(WORK, "killed") + "/"
    run = Lxrun(lxtest.sample("echo"), extra=["--record", directory, "--segment-bytes", "64K",
                                             "--flush-ms", "200"])
    replied = []
    with connect(run.port) as sock:
        # Until the fourth segment has begun (how many requests that takes
        # depends on how well the log compresses and when the writer
        # flushes), and then 2000 more, so the kill comes mid-segment.
        i = 0
        more = None
        while more is None or more > 0:
            check(i < 1000000, f"1000000 requests made only {segments(directory)}")
            if more is None and i % 1000 == 0 and len(segments(directory)) >= 4:
                more = 2000
            if more is not None:
                more -= 1
            i += 1
            payload = f"killed request {i} {os.urandom(24).hex()}\n".encode()
            sock.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = sock.recv(len(payload) - len(got))
                check(chunk, "the echo connection closed")
                got += chunk
            check(got == payload, "the echo differs")
            replied.append(payload)
        run.proc.send_signal(signal.SIGKILL)
        run.wait(10)
    check(len(segments(directory)) >= 4, f"segments before the kill: {segments(directory)}")
    code, out, err = run_tool(LXDUMP, directory, "--type", "recv_incoming", "--json",
                              "--max-bytes", "65536")
    check(code == 0, f"lxdump exited {code}: {err}")
    received = "".join(r.get("data", "") for r in map(json.loads, out.splitlines()))
    lines = set(received.split("\n"))  # each payload is one unique line
    missing = [p for p in replied if p.decode()[:-1] not in lines]
    check(not missing, f"{len(missing)} of {len(replied)} replied lines are in no segment, "
                       f"first {missing[:2]}")
    code, summary, err = replay(directory)
    check(code == 0 and summary["divergences"] == 0, f"{summary}\n{err}")


def test_segment_flags_are_checked():
    log = os.path.join(WORK, "flags.lxw")
    cases = [
        (["--record", log, "--segment-bytes", "1M"], "segments need a directory"),
        (["--record", log, "--keep-segments", "3"], "segments need a directory"),
        (["--record", os.path.join(WORK, "f") + "/", "--max-log-bytes", "1M"],
         "--max-log-bytes with --record DIR/"),
        (["--record", os.path.join(WORK, "f") + "/", "--segment-bytes", "1K"], "too small"),
    ]
    for extra, want in cases:
        run = Lxrun(lxtest.sample("http"), extra=extra, wait_ready=False)
        code = run.wait(10)
        check(code == 2 and want in run.stderr_text(), f"{extra}: exit {code}\n{run.stderr_text()}")
    # A directory that holds a recording already is refused without --force.
    directory = os.path.join(WORK, "used") + "/"
    run = Lxrun(lxtest.sample("http"), extra=["--record", directory])
    check(b"200 OK" in get(run.port), "a request failed")
    check(run.stop() == 0, run.stderr_text())
    again = Lxrun(lxtest.sample("http"), extra=["--record", directory], wait_ready=False)
    code = again.wait(10)
    check(code == 2 and "holds 1 segment(s) of a recording already" in again.stderr_text(),
          f"exit {code}: {again.stderr_text()}")
    forced = Lxrun(lxtest.sample("http"), extra=["--record", directory, "--force"])
    check(b"200 OK" in get(forced.port), "a request failed")
    check(forced.stop() == 0, forced.stderr_text())
    check(len(segments(directory)) == 1, f"{segments(directory)}")


if __name__ == "__main__":
    lxtest.main(globals())
