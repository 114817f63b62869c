"""The contract every tool keeps with its user, one test per defect a new user
hit (issue 8): flags named, help texts, exit codes, '-' for standard input,
lxdump's --type and RANGE edge cases, and a replay that skipped damage never
reported as a match. Runs like tests/driver: `python3 FILE TEST` with LXRUN,
LXREPLAY, LXDIFF, LXDUMP and LX_TEST_DATA (tests/data) in the environment."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import check  # noqa: E402

LXRUN = os.environ.get("LXRUN", "lxrun")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
LXDIFF = os.environ.get("LXDIFF", "lxdiff")
LXDUMP = os.environ.get("LXDUMP", "lxdump")
DATA = os.environ.get("LX_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "data"))
WORK = tempfile.mkdtemp(prefix="lx_contract_")
HTTP_LOG = os.path.join(DATA, "format-1.0", "http.lxw")  # 140 events, 3 checkpoints, indexed
_fresh = []


def fresh_log():
    """An http session recorded now, by this build (old logs read the same, but
    only replay with checkpoints matching under the engine build that wrote them)."""
    if not _fresh:
        _fresh.append(lxtest.record_http_session(os.path.join(WORK, "fresh-http.lxw")))
    return _fresh[0]


def last_event(log):
    code, out, _ = run(LXDUMP, log, "--stats", "--json")
    return next(json.loads(l) for l in out.splitlines() if json.loads(l)["kind"] == "stats")["events"]
TOOLS = {"lxrun": LXRUN, "lxreplay": LXREPLAY, "lxdiff": LXDIFF, "lxdump": LXDUMP}


def run(*args, stdin=None, timeout=60):
    done = subprocess.run(list(args), capture_output=True, timeout=timeout,
                          stdin=stdin if stdin is not None else subprocess.DEVNULL)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode(
        "utf-8", "replace")


def copy_of(path, name):
    target = os.path.join(WORK, name)
    shutil.copyfile(path, target)
    return target


def test_a_lone_bad_flag_is_named():
    # CLI11 checks required arguments first: a bad flag used to be reported
    # as "file is required" / "--app is required".
    for name, binary in TOOLS.items():
        code, out, err = run(binary, "--bogus")
        check(code == 2, f"{name} --bogus exited {code}")
        check(f"{name}: error: unknown option --bogus" in err, f"{name} --bogus said:\n{err}")


def test_help_names_the_program_and_lists_its_exit_codes():
    for name, binary in TOOLS.items():
        code, out, err = run(binary, "--help")
        check(code == 0, f"{name} --help exited {code}")
        check(f"Usage: {name} " in out, f"{name} --help does not name itself:\n{out[:300]}")
        check("Exit codes:" in out and "\n  2   usage error" in out and "\n  70  internal" in out,
              f"{name} --help does not list its exit codes:\n{out}")
    code, out, _ = run(LXDUMP, "--help")
    check("accept_result" in out and "end" in out, f"--type does not list its names:\n{out}")


def test_lxdump_type_accept_result_and_end():
    code, out, err = run(LXDUMP, HTTP_LOG, "--type", "accept_result")
    lines = [l for l in out.splitlines() if not l.startswith("# ")]  # after the header
    check(code == 0 and len(lines) == 4 and all(" accept_result ch=" in l for l in lines),
          f"--type accept_result printed:\n{out}\n{err}")
    code, out, err = run(LXDUMP, HTTP_LOG, "--type", "end")
    body = [l for l in out.splitlines() if not l.startswith("# ") or l.startswith("# end")]
    check(code == 0 and body == ["# end: closed after #140"], f"--type end printed:\n{out}")
    code, out, err = run(LXDUMP, HTTP_LOG, "--type", "nonsense")
    check(code == 2 and "accept_result" in err and "end" in err,
          f"an unknown type does not list every valid one:\n{err}")


def test_lxdump_range_beyond_the_end_warns_and_shows_the_end():
    code, out, err = run(LXDUMP, HTTP_LOG, "500-")
    check(code == 0, f"exit {code}")
    check("the log's last event is 140" in err, f"no warning for a range past the end:\n{err}")
    check("# end: closed after #140" in out, f"no end line:\n{out}")


def test_lxdump_minus_zero_is_reported_as_typed():
    code, out, err = run(LXDUMP, HTTP_LOG, "-0")
    check(code == 2 and "'-0'" in err and "numbered from 1" in err,
          f"-0 was reported as:\n{err}")


def test_lxdump_up_to_range_prints_the_first_events():
    code, out, err = run(LXDUMP, HTTP_LOG, "-3")
    events = [line.split()[0] for line in out.splitlines() if line.startswith("#") and
              line[1:2].isdigit()]
    check(code == 0 and events == ["#1", "#2", "#3"], f"lxdump LOG -3: {code}\n{out}\n{err}")
    code, out, err = run(LXDUMP, HTTP_LOG, "-3x")
    check(code == 2 and "-3x" in err, f"-3x is not a range, and not a flag either:\n{err}")


def test_every_reader_takes_standard_input():
    log = fresh_log()
    with open(log, "rb") as f:
        code, out, err = run(LXREPLAY, "-", "--quiet", stdin=f)
    check(code == 0 and f"match: {last_event(log)} events replayed" in out,
          f"lxreplay -: {code}\n{out}\n{err}")
    with open(log, "rb") as f:
        code, out, err = run(LXDIFF, "-", log, stdin=f)
    check(code == 0 and "lxdiff: same" in out, f"lxdiff - LOG: {code}\n{out}\n{err}")
    code, out, err = run(LXDIFF, "-", "-")
    check(code == 2 and "standard input" in err, f"lxdiff - -: {code}\n{err}")


def test_a_salvaged_replay_of_a_damaged_middle_never_matches():
    # 60 of 60 random single-byte flips of an http log used to end "match"
    # with exit 0 under --salvage.
    data = bytearray(open(fresh_log(), "rb").read())
    seen_exit_3 = 0
    for offset in range(400, len(data) - 400, (len(data) - 800) // 12):
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        path = os.path.join(WORK, f"flip{offset}.lxw")
        open(path, "wb").write(damaged)
        code, out, err = run(LXREPLAY, path, "--salvage", "--quiet")
        check("match" not in out or code != 0 or "damaged" not in err,
              f"flip at {offset}: exit {code} claims a match after damage:\n{out}\n{err}")
        if code == 0:
            # A flip zstd's own checks cannot see leaves every record valid.
            code2, out2, _ = run(LXDUMP, path, "--stats", "--strict")
            check(code2 == 0, f"flip at {offset}: replay says clean, lxdump --strict exits {code2}")
        else:
            check(code in (1, 3), f"flip at {offset}: exit {code}\n{err}")
            seen_exit_3 += code == 3
    check(seen_exit_3 > 0, "no flip was caught at all")


def test_break_at_after_until_or_past_the_end_is_reported():
    log = fresh_log()
    code, out, err = run(LXREPLAY, log, "--until", "10", "--break-at", "20")
    check(code == 2 and "--break-at 20 comes after --until 10" in err, f"{code}\n{err}")
    check("lxreplay: error" in err and out == "", f"a usage error printed a summary:\n{out}")
    code, out, err = run(LXREPLAY, log, "--break-at", "5000", "--quiet")
    check(code == 0 and f"--break-at 5000: the log ends after event {last_event(log)}" in err,
          f"{code}\n{err}")


def test_json_summary_even_for_errors():
    code, out, err = run(LXREPLAY, os.path.join(WORK, "missing.lxw"), "--json")
    lines = [json.loads(l) for l in out.splitlines()]
    check(code == 3 and lines and lines[-1]["kind"] == "summary" and
          lines[-1]["result"] == "error" and lines[-1]["exit_code"] == 3, f"{code}\n{out}\n{err}")
    code, out, err = run(LXDUMP, os.path.join(WORK, "missing.lxw"), "--json")
    lines = [json.loads(l) for l in out.splitlines()]
    check(code == 3 and lines[-1]["result"] == "error", f"{code}\n{out}")


def test_what_if_app_with_a_syntax_error_shows_the_lua_error():
    app = os.path.join(WORK, "broken_app")
    os.makedirs(app, exist_ok=True)
    with open(os.path.join(app, "main.lua"), "w") as f:
        f.write("function update(\n")
    code, out, err = run(LXREPLAY, fresh_log(), "--app", app, "--quiet")
    check(code == 1, f"exit {code}")
    check("the --app source fails to load" in err and "main.lua" in err,
          f"the Lua error is not shown:\n{err}")


def test_error_texts_say_each_thing_once():
    code, out, err = run(LXREPLAY, HTTP_LOG, "--engine", os.path.join(WORK, "no-engine.so"))
    check(code == 4 and err.count("--engine PATH") == 1, f"the advice repeats:\n{err}")
    code, out, err = run(LXDIFF, os.path.join(WORK, "missing.lxw"), HTTP_LOG)
    check(code == 3 and "--strict" not in err, f"lxdiff mentions a flag it lacks:\n{err}")


def test_regression_crash_marker_gap_is_reported_by_both_readers():
    # ../shared/regress/crash-marker-gap.lxw: one byte changed in a crashed
    # log; the reader jumped to the crash marker and said "no event lost".
    log = os.path.join(DATA, "regress", "crash-marker-gap.lxw")
    code, out, err = run(LXDUMP, log, "--stats")
    check(code == 0 and "health: damaged" in out and "events missing after damage" in err,
          f"lxdump --stats: {code}\n{out}\n{err}")
    code, out, err = run(LXDUMP, log, "--strict")
    check(code == 3, f"lxdump --strict exited {code}:\n{err}")
    code, out, err = run(LXREPLAY, log, "--keep-going", "--quiet")
    check(code == 3 and "events missing after damage" in err, f"lxreplay: {code}\n{err}")
    code, out, err = run(LXDUMP, os.path.join(DATA, "regress", "crash-marker-gap.original.lxw"),
                         "--stats")
    check(code == 0 and "health: crashed" in out and "no event lost" in err, f"{out}\n{err}")


def test_a_damaged_index_is_reported_and_strict_fails():
    data = bytearray(open(HTTP_LOG, "rb").read())
    data[len(data) - 40 - 5] ^= 0x01  # inside the index frame, before the trailer
    log = os.path.join(WORK, "bad-index.lxw")
    open(log, "wb").write(data)
    code, out, err = run(LXDUMP, log, "--stats")
    check(code == 0 and "health: no_index" in out and "the index is damaged" in out,
          f"lxdump --stats: {code}\n{out}\n{err}")
    check(err.count("warning") == 1, f"want one warning:\n{err}")
    code, out, err = run(LXDUMP, log, "--stats", "--strict")
    check(code == 3 and "the index is damaged" in err, f"--strict: {code}\n{out}\n{err}")


def test_a_damaged_trailer_replays_like_a_missing_one():
    data = open(fresh_log(), "rb").read()
    events = last_event(fresh_log())
    damaged = bytearray(data)
    damaged[-1] ^= 0x01
    missing = data[:-40]
    for name, bytes_ in (("bad-trailer.lxw", damaged), ("no-trailer.lxw", missing)):
        log = os.path.join(WORK, name)
        open(log, "wb").write(bytes_)
        code, out, err = run(LXREPLAY, log, "--quiet")
        check(code == 0 and f"match: {events} events replayed" in out,
              f"{name}: {code}\n{out}\n{err}")
        check(err.count("warning") == 1, f"{name}: want one warning:\n{err}")


def test_follow_ends_when_the_recorder_is_killed():
    log = os.path.join(WORK, "follow-killed.lxw")
    run_ = lxtest.Lxrun(lxtest.sample("echo"), extra=["--record", log, "--flush-ms", "5"])
    with lxtest.connect(run_.port) as sock:
        sock.sendall(b"hello\n")
        lxtest.recv_line(sock, bytearray())
    follower = subprocess.Popen([LXDUMP, log, "--follow"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    import time
    time.sleep(0.5)
    run_.proc.kill()
    run_.proc.wait()
    try:
        out, err = follower.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        follower.kill()
        raise lxtest.TestFailure("lxdump --follow did not end after its writer was killed")
    check(follower.returncode == 0 and b"recv_incoming" in out, f"{follower.returncode}: {out}")
    check(b"torn" in err or b"without an end record" in err, f"no torn-tail warning: {err}")


def test_logs_of_older_formats_print_as_they_did():
    """Logs written before format 3.0 (record CRCs over the event number too)
    print what the lxdump of their day printed, byte for byte
    (tests/data/format-*/README.md). (Whether they replay to the same
    checkpoints depends on the engine build, not on the reader.)"""
    for folder, name in [("format-1.0", "http.lxw"), ("format-2.0", "http.lxw"),
                         ("format-2.0", "segments/")]:
        where = os.path.join(DATA, folder)
        want = open(os.path.join(where, name.rstrip("/").removesuffix(".lxw") + ".dump.txt")).read()
        got = subprocess.run([LXDUMP, name, "--checkpoints"], cwd=where, capture_output=True,
                             text=True, timeout=60)
        check(got.returncode == 0 and got.stdout == want,
              f"{folder}/{name}: lxdump exited {got.returncode}, {got.stderr}\n"
              f"{got.stdout[:2000]}")


def test_lxrun_record_to_standard_output_is_refused():
    code, out, err = run(LXRUN, "--app", lxtest.sample("echo"), "--record", "-")
    check(code == 2 and "--record -" in err and "give a file path" in err, f"{code}\n{err}")
    check(not os.path.exists("-"), "lxrun created a file named '-'")


if __name__ == "__main__":
    lxtest.main(globals())
