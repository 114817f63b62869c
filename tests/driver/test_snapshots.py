"""Snapshots in the log (issue 10, docs/recording.md "Snapshots"): lxrun takes
them on schedule while serving, lxreplay verifies each one's state hash and
starts a seek (--until, --from, --break-at) at the last one before its event,
ending in the state a replay from event 1 reaches. Runs like the other e2e
tests (`python3 FILE TEST`) with LXRUN, LX_SAMPLES, LXDUMP and LXREPLAY in
the environment."""

import json
import os
import signal
import tempfile
import time

import lxtest
from lxtest import Lxrun, check, connect, recv_until_eof, run_tool

LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
WORK = tempfile.mkdtemp(prefix="lx_snapshots_e2e_")


def get(port, path):
    with connect(port) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return recv_until_eof(sock)


def record_http(name, requests, extra, pause_s=0.0):
    log = os.path.join(WORK, name)
    run = Lxrun(lxtest.sample("http"), extra=["--record", log] + list(extra))
    for i in range(requests):
        check(b"200 OK" in get(run.port, "/stats" if i % 3 else "/"), "a request failed")
        if pause_s:
            time.sleep(pause_s)
    code = run.stop()
    check(code == 0, f"lxrun exited {code}:\n{run.stderr_text()}")
    return log, run


def snapshot_records(log):
    code, out, err = run_tool(LXDUMP, log, "--json")
    check(code == 0, f"lxdump {log} exited {code}: {err}")
    records = [json.loads(line) for line in out.splitlines()]
    taken = [r for r in records if r.get("record_type") == "snapshot_taken"]
    last = [r for r in records if r.get("record_type") == "snapshot_data" and r["snapshot_last"]]
    events = max(r["event"] for r in records if r.get("kind") == "event")
    return taken, last, events


def replay_json(log, *args):
    code, out, err = run_tool(LXREPLAY, log, "--json", "--quiet", *args, timeout=120)
    lines = [json.loads(line) for line in out.splitlines()]
    check(lines and lines[-1]["kind"] == "summary", f"no summary: {out}\n{err}")
    return code, lines, err


def test_snapshots_are_taken_while_serving_and_verified_by_a_replay():
    log, _ = record_http("every.lxw", 150, ["--snapshot-every", "100"])
    taken, last, events = snapshot_records(log)
    check(len(taken) >= 3, f"{len(taken)} snapshots in {events} events with --snapshot-every 100")
    check(len(last) == len(taken), f"{len(taken)} taken, {len(last)} complete")
    # One after every 100 events at the earliest (later while the one
    # before is still being written, or by the events of one loop turn).
    for before, after in zip(taken, taken[1:]):
        check(after["event"] - before["event"] >= 100, f"snapshots at {before} and {after}")
    check(all(r["state_hash"].startswith("0x") for r in last), f"{last}")
    code, lines, err = replay_json(log)
    summary = lines[-1]
    check(code == 0 and summary["result"] == "match", f"{summary}\n{err}")
    check(summary["snapshots_verified"] == len(taken), f"{summary}")
    check(summary["started_from_snapshot"] == 0, f"{summary}")


def test_seeks_start_at_the_last_snapshot_and_reach_the_same_state():
    log, _ = record_http("seek.lxw", 150, ["--snapshot-every", "100"])
    taken, _, events = snapshot_records(log)
    points = [r["event"] for r in taken]
    for target in (events - 3, points[3] + 1, points[3], points[0] - 1):
        code, out, err = run_tool(LXREPLAY, log, "--quiet", "--until", str(target))
        check(code == 0, f"--until {target} exited {code}: {err}")
        code, plain, plain_err = run_tool(LXREPLAY, log, "--quiet", "--until", str(target),
                                          "--from-start")
        check(code == 0 and "starting from" not in plain_err, f"--from-start: {plain_err}")
        start = max([p for p in points if p <= target], default=0)
        if start:
            check(f"starting from the log's snapshot of event {start}," in err,
                  f"--until {target}: no note of the snapshot of {start}: {err}")
        else:
            check("starting from" not in err, f"--until {target} before any snapshot: {err}")
        # The state printed at --until is the same, whatever the start.
        state = out[:out.rindex("lxreplay: match")]
        check(state == plain[:plain.rindex("lxreplay: match")],
              f"--until {target}: the state from the snapshot differs from a full replay's")
    # --from N verifies from N on, starting at the snapshot before N.
    code, lines, _ = replay_json(log, "--from", str(points[-1] + 2))
    summary = lines[-1]
    check(code == 0 and summary["started_from_snapshot"] == points[-1], f"{summary}")
    check(summary["last_event"] == events, f"{summary}")
    check(summary["events_replayed"] == events - points[-1], f"{summary}")
    # --break-at stops before its event, from the snapshot before it.
    code, _, err = run_tool(LXREPLAY, log, "--quiet", "--break-at", str(points[2] + 1))
    check(code == -signal.SIGTRAP or code == 128 + signal.SIGTRAP, f"--break-at exited {code}")
    check(f"snapshot of event {points[2]}," in err and f"break: event {points[2] + 1}" in err, err)


def test_timed_snapshots_and_none_while_idle():
    log = os.path.join(WORK, "timed.lxw")
    run = Lxrun(lxtest.sample("http"),
                extra=["--record", log, "--snapshot-every", "0", "--snapshot-s", "0.2"])
    for _ in range(12):
        get(run.port, "/")
        time.sleep(0.1)
    time.sleep(0.5)  # the last snapshot is written
    size_before = os.path.getsize(log)
    time.sleep(1.0)  # idle: nothing due, no snapshot
    size_after = os.path.getsize(log)
    check(size_after == size_before, f"an idle server grew its log: {size_before} -> {size_after}")
    check(run.stop() == 0, run.stderr_text())
    taken, last, _ = snapshot_records(log)
    check(len(taken) >= 3, f"{len(taken)} snapshots in 1.2 s with --snapshot-s 0.2")
    check(len(last) == len(taken), f"{len(taken)} taken, {len(last)} complete")
    code, lines, err = replay_json(log)
    check(code == 0 and lines[-1]["snapshots_verified"] == len(taken), f"{lines[-1]}\n{err}")


def test_a_recording_killed_while_snapshots_are_written_replays():
    log = os.path.join(WORK, "killed.lxw")
    run = Lxrun(lxtest.sample("http"), extra=["--record", log, "--snapshot-every", "20"])
    for i in range(120):
        check(b"200 OK" in get(run.port, "/"), "a request failed")
    run.proc.send_signal(signal.SIGKILL)
    run.wait(5)
    # The next open recovers the staged records; a snapshot cut by the kill
    # is incomplete, the others are verified and can be started from.
    code, lines, err = replay_json(log)
    summary = lines[-1]
    check(code == 0 and summary["divergences"] == 0, f"{summary}\n{err}")
    _, last, events = snapshot_records(log)
    complete = [r["snapshot_event"] for r in last]
    check(len(complete) >= 2, f"complete snapshots: {complete}")
    check(summary["snapshots_verified"] == len(complete), f"{summary} for {complete}")
    code, lines, err = replay_json(log, "--until", str(events - 1))
    want = max(e for e in complete if e <= events - 1)
    check(code == 0 and lines[-1]["started_from_snapshot"] == want,
          f"{lines[-1]} (want the snapshot of {want})\n{err}")


def test_no_snapshots_with_both_flags_0_and_bad_values_refused():
    log, _ = record_http("none.lxw", 20, ["--snapshot-every", "0", "--snapshot-s", "0"])
    taken, _, _ = snapshot_records(log)
    check(taken == [], f"snapshots with both flags 0: {taken}")
    for args, words in ((["--snapshot-s", "-1"], "--snapshot-s -1"),
                        (["--snapshot-every", "x"], "--snapshot-every")):
        code, _, err = run_tool(lxtest.LXRUN, "--app", lxtest.sample("http"), "--record",
                                os.path.join(WORK, "bad.lxw"), *args)
        check(code == 2 and words in err, f"{args}: exit {code}: {err}")
    code, _, err = run_tool(lxtest.LXRUN, "--app", lxtest.sample("http"), "--snapshot-every", "5")
    check(code == 2 and "without --record" in err, f"--snapshot-every alone: {code}: {err}")


if __name__ == "__main__":
    lxtest.main(globals())
