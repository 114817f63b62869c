"""lxrun --record end to end (issue 4): real clients talk to a recording lxrun
on loopback, then the log is checked with zstd, lxdump and lxreplay: what a
clean stop, a crash (SIGSEGV), SIGKILL, a full disk and --max-log-bytes leave
in the file, the flags' usage errors, and damaged copies of a real log that
the tools must survive. Runs like the other e2e tests (`python3 FILE TEST`)
with LXRUN, LX_SAMPLES, LXDUMP and LXREPLAY in the environment."""

import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import time

import lxtest
from lxtest import Lxrun, TestFailure, check, connect, recv_exactly, run_lxrun
from lxtest import run_tool as tool

LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
WORK = tempfile.mkdtemp(prefix="lx_record_e2e_")
WARNING_RE = r"^lxrun: warning: recording stopped: .+; the server keeps running unrecorded$"


def log_path(name):
    return os.path.join(WORK, name)


def dump(log, *args):
    code, out, err = tool(LXDUMP, log, *args)
    check(code == 0, f"lxdump {log} {' '.join(args)} exited {code}:\n{out}\n{err}")
    return out


def stats(log):
    """lxdump --stats --json as a dict."""
    lines = [json.loads(line) for line in dump(log, "--stats", "--json").splitlines()]
    return next(line for line in lines if line["kind"] == "stats")


def echo_each(port, messages):
    """Echoes each message in turn on one connection."""
    with connect(port) as sock:
        for message in messages:
            sock.sendall(message)
            check(recv_exactly(sock, len(message)) == message, "the echo differs")


def echo_round(port, payload):
    with connect(port) as sock:
        sock.sendall(payload)
        check(recv_exactly(sock, len(payload)) == payload, "the echo differs")


def record_echo(log, extra=(), preexec_fn=None):
    """Starts samples/echo recording into log; returns the Lxrun."""
    return Lxrun(lxtest.sample("echo"), extra=["--record", log] + list(extra),
                 preexec_fn=preexec_fn)


def send_incompressible(port, total_bytes):
    """Echoes total_bytes of random data in 8 KiB rounds on one connection."""
    with connect(port) as sock:
        for _ in range(total_bytes // 8192):
            chunk = os.urandom(8192)
            sock.sendall(chunk)
            check(recv_exactly(sock, len(chunk)) == chunk, "the echo differs")


def test_record_echo_50_messages_clean_log():
    log = log_path("echo50.lxw")
    run = record_echo(log)
    check(f"lxrun: recording to {log}" in run.stderr_text(), "no 'recording to' line")
    messages = [f"message number {i}\n".encode() for i in range(1, 51)]
    echo_each(run.port, messages)
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT:\n" + run.stderr_text())
    if shutil.which("zstd"):
        code, out, err = tool("zstd", "-t", log)
        check(code == 0, f"zstd -t failed: {err}")
    mode = stat.S_IMODE(os.stat(log).st_mode)
    check(mode == 0o600, f"log mode {mode:o}, want 600")
    text = dump(log)
    check('"message number 50\\n"' in text, f"the 50th message is not in lxdump's output:\n{text}")
    check("# end: closed" in text, f"the log does not end closed:\n{text[-500:]}")
    summary = stats(log)
    check(summary["health"] == "clean", f"health {summary['health']}")
    check(summary["per_type"].get("recv_incoming", 0) >= 50, f"per_type {summary['per_type']}")
    # --json is JSON Lines: every line one object with a kind.
    lines = dump(log, "--json", "--checkpoints").splitlines()
    objects = [json.loads(line) for line in lines]
    check(objects[0]["kind"] == "header", f"first JSON line: {lines[0]}")
    check(any(o.get("kind") == "end" for o in objects), "no end object in --json output")
    data = [o["data"].encode("latin-1") for o in objects
            if o.get("kind") == "event" and o.get("record_type") == "recv_incoming"]
    check(b"".join(data) == b"".join(messages), "the recorded bytes are not what was sent")


def test_record_zstd_level_0_stores_a_log_that_replays():
    """--zstd-level 0: raw blocks, no compression; zstd -t, lxreplay and the header agree."""
    log = log_path("stored.lxw")
    run = record_echo(log, ["--zstd-level", "0"])
    messages = [f"stored message {i}\n".encode() * 20 for i in range(1, 31)]
    echo_each(run.port, messages)
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    if shutil.which("zstd"):
        code, out, err = tool("zstd", "-t", log)
        check(code == 0, f"zstd -t failed: {err}")
    with open(log, "rb") as f:
        data = f.read()
    check(messages[-1] in data, "the last message is not stored as it was sent")
    header = json.loads(dump(log, "--json").splitlines()[0])
    check(header["zstd_level"] == 0, f"zstd_level {header['zstd_level']}")
    check(stats(log)["health"] == "clean", "the stored log is not clean")
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0, f"lxreplay of a stored log exited {code}:\n{out}\n{err}")


def test_record_zstd_level_0_survives_sigsegv_and_sigkill():
    """A stored log torn by a crash reads like a compressed one: every echoed message
    is in it, its health says how it ended, and it replays."""
    for sig, health in ((signal.SIGSEGV, "crashed"), (signal.SIGKILL, "torn_tail")):
        log = log_path(f"stored-{sig.name}.lxw")
        run = record_echo(log, ["--zstd-level", "0", "--flush-ms", "50"])
        messages = [f"{sig.name} stored {i}\n".encode() * 40 for i in range(1, 41)]
        echo_each(run.port, messages)
        time.sleep(0.3)  # past a flush point: the open stored frame is torn, not empty
        os.kill(run.proc.pid, sig)
        check(run.wait(10) == -sig, f"lxrun did not die of {sig.name}")
        summary = stats(log)
        check(summary["health"] == health, f"{sig.name}: health {summary['health']}")
        text = dump(log, "--type", "recv_incoming", "--max-bytes", "4096")
        for message in (messages[0], messages[-1]):
            quoted = '"' + message.decode().replace("\n", "\\n") + '"'
            check(quoted in text, f"{sig.name}: an echoed message is not in the stored log")
        lxtest.check_replays(log)


def test_record_header_is_complete():
    log = log_path("header.lxw")
    run = record_echo(log, ["--seed", "42", "--flush-ms", "20", "--fsync", "always",
                            "--checkpoint-every", "7", "--zstd-level", "3",
                            "--max-log-bytes", "1M", "--instruction-budget", "5000000",
                            "--memory-mb", "64"])
    echo_round(run.port, b"hello\n")
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    header = json.loads(dump(log, "--json").splitlines()[0])
    check(header["seed"] == "42", f"seed {header['seed']}")
    check(header["heap_base"] == "0x200000000000", f"heap_base {header['heap_base']}")
    check(header["heap_bytes"] == 16 << 30, f"heap_bytes {header['heap_bytes']}")
    check(len(header["app_source_digest"]) == 64, f"digest {header['app_source_digest']}")
    check(header["engine_abi_version"] > 0 and header["engine_build_id"], f"engine: {header}")
    check(header["host_name"] == socket.gethostname(), f"host_name {header['host_name']}")
    check(header["start_time"].startswith("20"), f"start_time {header['start_time']}")
    for key, want in (("flush_ms", 20), ("fsync", "always"), ("checkpoint_every", 7),
                      ("zstd_level", 3), ("max_log_bytes", 1 << 20)):
        check(header[key] == want, f"{key} is {header[key]!r}, want {want!r}")
    options = header["options"]
    check(header["limits"] == {"instruction_budget": 5000000, "memory_cap_bytes": 64 << 20},
          f"limits {header['limits']}")
    # The port the listener bound, not the 0 it was asked for.
    for want in ("app=", f"listen=127.0.0.1:{run.port}\n", "tick_ms=0", "engine=",
                 "on_log_error=continue"):
        check(want in options, f"{want!r} not in the options text {options!r}")
    # The digest is of the app's source: the same app gives the same digest,
    # another app another.
    again = log_path("header2.lxw")
    run = record_echo(again)
    check(run.stop() == 0, "lxrun did not exit 0")
    other = log_path("header3.lxw")
    run = Lxrun(lxtest.sample("http"), extra=["--record", other])
    check(run.stop() == 0, "lxrun did not exit 0")
    digest = header["app_source_digest"]
    check(json.loads(dump(again, "--json").splitlines()[0])["app_source_digest"] == digest,
          "two recordings of echo have different digests")
    check(json.loads(dump(other, "--json").splitlines()[0])["app_source_digest"] != digest,
          "echo and http have the same digest")


def test_record_sigterm_closes_log():
    log = log_path("term.lxw")
    run = record_echo(log)
    echo_round(run.port, b"before sigterm\n")
    check(run.stop(signal.SIGTERM) == 0, "lxrun did not exit 0 on SIGTERM")
    check(stats(log)["health"] == "clean", "the log is not clean after SIGTERM")
    check('"before sigterm\\n"' in dump(log), "the message is not in the log")


def test_record_second_sigint_exits_at_once_with_a_closed_log():
    log = log_path("second.lxw")
    run = record_echo(log)
    echo_round(run.port, b"before the second SIGINT\n")
    sock = lxtest.fill_unread_output(run.port)  # so stopping waits for the grace period
    run.proc.send_signal(signal.SIGINT)
    run.wait_line(r"^lxrun: stopping on SIGINT$")
    started = time.monotonic()
    code = run.stop(signal.SIGINT, timeout=3)
    sock.close()
    check(code == 1 and time.monotonic() - started < 0.5, f"exit {code}, not at once")
    check(stats(log)["health"] == "clean", "the log was not closed before exiting at once")
    check('"before the second SIGINT\\n"' in dump(log), "the message is not in the log")


def test_record_message_before_sigsegv_is_in_log():
    log = log_path("segv.lxw")
    run = record_echo(log)
    echo_round(run.port, b"the last words before SIGSEGV\n")
    os.kill(run.proc.pid, signal.SIGSEGV)
    code = run.wait(10)
    check(code == -signal.SIGSEGV, f"lxrun exited {code}, want death by SIGSEGV")
    check('"the last words before SIGSEGV\\n"' in dump(log), "the message is not in the log")
    summary = stats(log)
    check(summary["health"] == "crashed" and summary["signal"] == signal.SIGSEGV,
          f"health {summary['health']} signal {summary.get('signal')}")


def test_record_message_300ms_before_sigkill_is_in_log():
    log = log_path("kill9.lxw")
    run = record_echo(log, ["--flush-ms", "50"])
    echo_round(run.port, b"sent 300 ms before SIGKILL\n")
    time.sleep(0.3)
    run.proc.kill()
    check(run.wait(10) == -signal.SIGKILL, "lxrun did not die of SIGKILL")
    check('"sent 300 ms before SIGKILL\\n"' in dump(log), "the message is not in the log")
    # Everything was flushed before the kill: the ring had nothing to add, and
    # the log ends in its unterminated frame.
    check(stats(log)["health"] == "torn_tail", "a SIGKILLed log should end in a torn tail")


def test_record_sigkill_right_after_replies_loses_no_replied_request():
    # The flush interval is longer than each run lives, so nothing is written
    # to the log before the kill: every record must come back from LOG.ring.
    for round_number in range(20):
        log = log_path(f"kill9-loop-{round_number}.lxw")
        run = record_echo(log, ["--flush-ms", "60000"])
        replied = []
        with connect(run.port) as sock:
            for i in range(random.randint(1, 40)):
                payload = f"round {round_number} request {i}\n".encode()
                sock.sendall(payload)
                check(recv_exactly(sock, len(payload)) == payload, "the echo differs")
                replied.append(payload)
            run.proc.kill()
        check(run.wait(10) == -signal.SIGKILL, "lxrun did not die of SIGKILL")
        check(os.path.exists(log + ".ring"), "no staging ring file was left by the kill")
        code, out, err = tool(LXDUMP, log, "--type", "recv_incoming")
        check(code == 0, f"lxdump exited {code}: {err}")
        check("recovered" in err, f"lxdump did not say it recovered the staged records: {err}")
        check(not os.path.exists(log + ".ring"), "the ring file was not removed after recovery")
        for payload in replied:
            quoted = '"' + payload.decode().replace("\n", "\\n") + '"'
            check(quoted in out, f"round {round_number}: a replied request is not in the log: "
                                 f"{payload!r}")
        summary = stats(log)
        check(summary["health"] == "crashed", f"health {summary['health']}")
        check("killed; its staged events were recovered" in dump(log, "--stats"),
              "lxdump --stats does not say the staged events were recovered")
        lxtest.check_replays(log)


def echo_requests(sock, label, count):
    """Sends count numbered lines on sock, each answered before the next;
    returns the lines that got their reply."""
    replied = []
    for i in range(count):
        payload = f"{label} request {i}\n".encode()
        sock.sendall(payload)
        check(recv_exactly(sock, len(payload)) == payload, "the echo differs")
        replied.append(payload)
    return replied


def check_log_holds(log, replied):
    """Every request that got a reply is in the log's recv_incoming events."""
    out = dump(log, "--type", "recv_incoming")
    missing = [p for p in replied if '"' + p.decode().replace("\n", "\\n") + '"' not in out]
    check(not missing, f"{len(missing)} of {len(replied)} replied requests are not in the log, "
                       f"first {missing[:3]}")


def test_record_sigquit_stops_like_sigterm_with_every_replied_request():
    log = log_path("sigquit.lxw")
    run = record_echo(log)
    with connect(run.port) as sock:
        replied = echo_requests(sock, "sigquit", 200)
        code = run.stop(signal.SIGQUIT, timeout=5)
    check(code == 0, f"lxrun exited {code} on SIGQUIT, want 0:\n{run.stderr_text()}")
    check("lxrun: stopping on SIGQUIT" in run.stderr_text(), run.stderr_text())
    check(stats(log)["health"] == "clean", f"health {stats(log)['health']} after SIGQUIT")
    check_log_holds(log, replied)


def check_ignored_signal(sig, line_re):
    """lxrun recording echo gets sig twice between replies: it keeps serving,
    says line_re once per signal, and a later SIGINT closes a clean log that
    holds every replied request."""
    log = log_path(f"{sig.name.lower()}.lxw")
    run = record_echo(log)
    with connect(run.port) as sock:
        replied = echo_requests(sock, "before", 100)
        for round_number in range(2):
            run.proc.send_signal(sig)
            run.wait_for(lambda: len([l for l in run.lines if re.search(line_re, l)])
                         == round_number + 1, 5, f"no line for {sig.name}")
            replied += echo_requests(sock, f"after {sig.name} {round_number}", 100)
        check(run.proc.poll() is None, f"lxrun died of {sig.name}")
        code = run.stop(signal.SIGINT, timeout=5)
    check(code == 0, f"exit {code} on SIGINT after {sig.name}:\n{run.stderr_text()}")
    lines = [l for l in run.lines if sig.name in l]
    check(len(lines) == 2 and all(re.search(line_re, l) for l in lines),
          f"want one line per {sig.name}, got {lines}")
    check(stats(log)["health"] == "clean", f"health {stats(log)['health']}")
    check_log_holds(log, replied)


def test_record_sighup_is_ignored_and_the_log_keeps_every_request():
    check_ignored_signal(signal.SIGHUP, r"^lxrun: SIGHUP: rotation needs --record DIR/; ignored$")


def test_record_sigusr1_and_sigusr2_are_ignored_and_the_log_keeps_every_request():
    check_ignored_signal(signal.SIGUSR1, r"^lxrun: SIGUSR1: no meaning to lxrun; ignored$")
    check_ignored_signal(signal.SIGUSR2, r"^lxrun: SIGUSR2: no meaning to lxrun; ignored$")


def test_record_rescans_are_in_the_log_and_replay():
    # Globals survive a rescan: each load of main.lua bumps the generation
    # and asks for another rescan until the third.
    app = lxtest.make_app({"main.lua": 'generation = (generation or 0) + 1\n'
                                       'lx.log("generation " .. generation)\n'
                                       'function update() if generation < 3 then lx.rescan() end '
                                       'end\n'})
    log = log_path("rescan.lxw")
    run = Lxrun(app, listen=0, extra=["--record", log])
    run.wait_line(r"^lxrun: generation 3$")
    check(run.stop() == 0, "lxrun did not exit 0")
    sources = [json.loads(line) for line in dump(log, "--json", "--type", "set_lua_source")
               .splitlines()]
    check(len([s for s in sources if s.get("kind") == "event"]) == 3,
          f"want 3 set_lua_source events (start and two rescans): {sources}")
    code, out, err = tool(LXREPLAY, log)
    check(code == 0 and "generation 3" in err, f"lxreplay exited {code}:\n{out}\n{err}")


def test_record_existing_file_needs_force():
    log = log_path("exists.lxw")
    with open(log, "wb") as f:
        f.write(b"precious")
    os.chmod(log, 0o644)
    code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--record", log])
    check(code == 2, f"exit {code}, want 2; stderr:\n{err}")
    check(err.count("\n") == 1 and "lxrun: error:" in err and "already exists" in err
          and "--force" in err, f"unclear message: {err!r}")
    with open(log, "rb") as f:
        check(f.read() == b"precious", "the existing file was changed")
    run = record_echo(log, ["--force"])
    echo_round(run.port, b"overwritten\n")
    check(run.stop() == 0, "lxrun --force did not exit 0")
    check(stat.S_IMODE(os.stat(log).st_mode) == 0o600, "--force left the old mode")
    check('"overwritten\\n"' in dump(log), "the new session is not in the log")


def test_record_a_staging_ring_of_a_newer_lx_is_left_alone():
    """LOG.ring of a ring version this lx does not know (a newer lx's, whose
    records follow a CRC rule this one cannot check) is neither recovered
    nor removed: lxdump and lxrun say so and leave it for that lx."""
    log = log_path("newer-ring.lxw")
    run = record_echo(log)
    echo_round(run.port, b"before the newer ring\n")
    check(run.stop() == 0, "lxrun did not exit 0")
    ring = log + ".ring"
    check(not os.path.exists(ring), "a clean stop left a ring file")
    header = b"LXWRING1" + struct.pack("<IIQ", 3, 4096, 65536)
    with open(ring, "wb") as f:
        f.write(header + bytes(4096 + 65536 - len(header)))
    code, out, err = tool(LXDUMP, log)
    want = "is a staging ring of version 3, newer than this lx reads"
    check(code == 0 and want in err, f"lxdump exited {code}: {err}")
    check('"before the newer ring\\n"' in out, "the log itself was not read")
    check(os.path.exists(ring), "lxdump removed a newer lx's ring")
    code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--record", log])
    check(code == 2 and "lxrun: warning: " in err and want in err and "already exists" in err,
          f"exit {code}: {err}")
    check(os.path.exists(ring), "lxrun removed a newer lx's ring")


def test_record_never_writes_through_a_symlink():
    target = log_path("precious.txt")
    with open(target, "wb") as f:
        f.write(b"precious")
    link = log_path("link.lxw")
    os.symlink(target, link)
    dangling = log_path("dangling.lxw")
    os.symlink(log_path("nothing-there"), dangling)
    for path, flags in ((link, ["--force"]), (link, []), (dangling, ["--force"]), (dangling, [])):
        code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--record", path] + flags)
        check(code == 2, f"--record {path} {flags}: exit {code}, want 2; stderr:\n{err}")
        check(err.count("\n") == 1 and err.startswith(f"lxrun: error: log file {path} is a "
                                                      "symbolic link;"), f"unclear: {err!r}")
        check(os.path.islink(path), f"{path} is no longer the symlink")
    with open(target, "rb") as f:
        check(f.read() == b"precious", "the symlink's target was changed")
    check(not os.path.exists(log_path("nothing-there")), "a dangling link's target was created")


def test_record_flag_usage_errors_exit_2():
    echo = lxtest.sample("echo")
    log = log_path("never-created.lxw")
    cases = [
        (["--flush-ms", "10"], "without --record"),
        (["--force"], "without --record"),
        (["--on-log-error", "stop"], "without --record"),
        (["--record", log, "--fsync", "sometimes"], "--fsync"),
        (["--record", log, "--zstd-level", "30"], "--zstd-level"),
        (["--record", log, "--max-log-bytes", "100"], "--max-log-bytes"),
        (["--record", log, "--flush-ms", "0"], "--flush-ms"),
        (["--record", log, "--on-log-error", "panic"], "--on-log-error"),
        (["--record", log, "--max-log-bytes", "lots"], "--max-log-bytes"),
    ]
    for flags, needle in cases:
        code, _, err = run_lxrun(["--app", echo] + flags)
        check(code == 2, f"{flags}: exit {code}, want 2; stderr: {err}")
        check(needle in err and err.startswith("lxrun: error:"), f"{flags}: message {err!r}")
        check(not os.path.exists(log), f"{flags}: a log file was created")


def test_record_busy_port_leaves_no_log():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        log = log_path("busy.lxw")
        code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--listen", f"127.0.0.1:{port}",
                                  "--record", log])
    check(code == 1, f"exit {code}, want 1: {err}")
    check(not os.path.exists(log), "a session that never started left a log behind")


def limit_file_size(limit_bytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def fill_disk_and_check_warning(run):
    send_incompressible(run.port, 256 << 10)
    run.wait_line(WARNING_RE, timeout=5)


def test_record_disk_full_warns_once_and_keeps_serving():
    log = log_path("full.lxw")
    run = record_echo(log, preexec_fn=limit_file_size(64 << 10))
    fill_disk_and_check_warning(run)
    warning = [line for line in run.lines if "recording stopped" in line]
    check(len(warning) == 1, f"want one warning line, got {warning}")
    check("File too large" in warning[0] and log in warning[0], f"unclear: {warning[0]}")
    send_incompressible(run.port, 128 << 10)  # the server still answers
    echo_round(run.port, b"still serving\n")
    check(run.proc.poll() is None, "lxrun stopped")
    code = run.stop()
    check(code == 4, f"exit {code}, want 4 after a log I/O error; stderr:\n{run.stderr_text()}")
    check(len([line for line in run.lines if "recording stopped" in line]) == 1,
          "the warning was repeated")
    check(os.path.getsize(log) <= 64 << 10, "the log grew past the file-size limit")
    summary = stats(log)
    check(summary["events"] > 0, f"no events in the log: {summary}")
    # The writer kept room for the end: a checkpoint of the last event, an
    # end record "log_error", the index; the replay verifies the checkpoints.
    check(summary["health"] == "log_error", f"health {summary['health']}")
    records = [json.loads(line) for line in dump(log, "--json", "--checkpoints").splitlines()]
    events = [r["event"] for r in records if r["kind"] == "event"]
    checkpoints = [r["event"] for r in records if r["kind"] == "checkpoint"]
    check(checkpoints and checkpoints[-1] == events[-1],
          f"last event {events[-1]}, checkpoints {checkpoints[-3:]}")
    code, out, err = tool(LXREPLAY, log, "--quiet")
    match = re.search(r"(\d+) of (\d+) checkpoints matched", out + err)
    check(code == 0 and match and int(match.group(2)) >= 1 and match.group(1) == match.group(2),
          f"lxreplay: {code}\n{out}\n{err}")


def test_record_disk_full_on_log_error_stop_stops_server():
    log = log_path("full-stop.lxw")
    run = record_echo(log, ["--on-log-error", "stop"], preexec_fn=limit_file_size(64 << 10))
    try:
        send_incompressible(run.port, 256 << 10)
    except (TestFailure, OSError):
        pass  # the server may stop mid-way: that is the point
    code = run.wait(10)
    check(code == 4, f"exit {code}, want 4; stderr:\n{run.stderr_text()}")
    check(any(line.startswith("lxrun: error: recording stopped:") and "--on-log-error stop" in line
              for line in run.lines), "no error line:\n" + run.stderr_text())


def check_log_change_is_noticed(change, what):
    """change(log) deletes or truncates the log under a recording lxrun: the
    next flush notices, lxrun warns once naming what happened, serves on,
    and exits 4 at stop."""
    log = log_path(f"changed-{what}.lxw")
    run = record_echo(log, ["--flush-ms", "10"])
    with connect(run.port) as sock:
        echo_requests(sock, "before", 50)
        time.sleep(0.1)  # written: the file holds these requests
        change(log)
        pattern = rf"^lxrun: warning: recording stopped: log file {re.escape(log)} was {what}"
        deadline = time.monotonic() + 5
        while not any(re.search(pattern, line) for line in run.lines):
            check(time.monotonic() < deadline, f"no warning that the log was {what}:\n"
                                               + run.stderr_text())
            echo_requests(sock, "after", 5)  # the writer checks the file when it flushes
        echo_requests(sock, "still serving", 50)
    check(run.proc.poll() is None, "lxrun stopped")
    code = run.stop()
    check(code == 4, f"exit {code}, want 4 after the log was {what}:\n{run.stderr_text()}")
    warnings = [line for line in run.lines if "recording stopped" in line]
    check(len(warnings) == 1 and warnings[0].endswith("; the server keeps running unrecorded"),
          f"want one warning line, got {warnings}")


def test_record_log_deleted_while_recording_warns_and_exits_4():
    check_log_change_is_noticed(os.unlink, "deleted")


def test_record_log_truncated_while_recording_warns_and_exits_4():
    check_log_change_is_noticed(lambda log: os.truncate(log, 0), "truncated")


def test_record_max_log_bytes_truncates_and_keeps_serving():
    log = log_path("max.lxw")
    run = record_echo(log, ["--max-log-bytes", "64K"])
    fill_disk_and_check_warning(run)
    warning = [line for line in run.lines if "recording stopped" in line]
    check(len(warning) == 1 and "--max-log-bytes" in warning[0], f"warning: {warning}")
    echo_round(run.port, b"still serving\n")
    check(run.stop() == 0, "a truncated log is not an error: want exit 0\n" + run.stderr_text())
    check(os.path.getsize(log) <= 64 << 10, "the log grew past --max-log-bytes")
    if shutil.which("zstd"):
        code, _, err = tool("zstd", "-t", log)
        check(code == 0, f"zstd -t failed on a truncated log: {err}")
    summary = stats(log)
    check(summary["health"] == "truncated", f"health {summary['health']}")
    check("truncated" in dump(log, "--stats"), "lxdump --stats does not say truncated")
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0, f"lxreplay of a truncated log exited {code}:\n{out}\n{err}")


def test_record_max_log_bytes_ends_with_a_checkpoint_of_the_last_event():
    # The log used to stop at --max-log-bytes with its last checkpoint up to
    # checkpoint_every events before its last event, so the end went unverified.
    log = log_path("max-checkpoint.lxw")
    run = record_echo(log, ["--max-log-bytes", "16K", "--checkpoint-every", "1000"])
    for i in range(3000):
        echo_round(run.port, f"message {i} {os.urandom(6).hex()}\n".encode())
        if any("recording stopped" in line for line in run.lines):
            break
    check(any("recording stopped" in line for line in run.lines), "the log never filled up")
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    records = [json.loads(line) for line in dump(log, "--json", "--checkpoints").splitlines()]
    events = [r["event"] for r in records if r["kind"] == "event"]
    checkpoints = [r["event"] for r in records if r["kind"] == "checkpoint"]
    check(events and checkpoints and checkpoints[-1] == events[-1],
          f"last event {events[-1] if events else None}, last checkpoint "
          f"{checkpoints[-1] if checkpoints else None}")
    check(stats(log)["health"] == "truncated", "not truncated")
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0 and f"{len(checkpoints)} of {len(checkpoints)} checkpoints" in out,
          f"lxreplay: {code}\n{out}\n{err}")


def test_record_damaged_copies_never_crash_tools():
    log = log_path("source.lxw")
    run = record_echo(log, ["--checkpoint-every", "5"])
    for i in range(20):
        echo_round(run.port, f"round {i} ".encode() * (i + 1) + os.urandom(64))
    check(run.stop() == 0, "lxrun did not exit 0")
    with open(log, "rb") as f:
        original = f.read()
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    copy = log_path("damaged.lxw")
    for n in range(80):
        data = bytearray(original)
        if n % 2 == 0:
            cut = rng.randrange(len(data))
            del data[cut:]
            what = f"cut at {cut}"
        else:
            flips = [(rng.randrange(len(data)), 1 << rng.randrange(8))
                     for _ in range(rng.randint(1, 3))]
            for offset, bit in flips:
                data[offset] ^= bit
            what = f"bits flipped {flips}"
        with open(copy, "wb") as f:
            f.write(data)
        for args in ([LXDUMP, copy], [LXDUMP, copy, "--stats"], [LXREPLAY, copy, "--quiet"]):
            code, _, err = tool(*args, timeout=20)
            if code < 0 or code == 70:
                raise TestFailure(f"seed {seed}, copy {n} ({what}): {' '.join(args)} ended with "
                                  f"{'signal ' + str(-code) if code < 0 else 'exit 70'}:\n{err}")
            check(code in (0, 1, 3), f"seed {seed}, copy {n} ({what}): {args[0]} exit {code}")


try:
    lxtest.main(globals())
finally:
    shutil.rmtree(WORK, ignore_errors=True)
