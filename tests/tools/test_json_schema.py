"""Every line every tool writes with --json follows docs/json.md: this test
reads the keys table and the line-kinds table from that page and checks each
line of lxdump, lxreplay and lxdiff over a set of logs (clean, damaged,
diverging, missing) against them. A key or a kind that is not documented, a
required key that is missing, a value of the wrong type, or a run without
exactly one summary line as its last line fails. Runs like tests/driver:
`python3 FILE TEST` with LXREPLAY, LXDIFF, LXDUMP, LX_TEST_DATA, LX_DOCS and
LX_SAMPLES in the environment."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import check  # noqa: E402

LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
LXDIFF = os.environ.get("LXDIFF", "lxdiff")
LXDUMP = os.environ.get("LXDUMP", "lxdump")
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("LX_TEST_DATA", os.path.join(HERE, "..", "data"))
DOCS = os.environ.get("LX_DOCS", os.path.join(HERE, "..", "..", "docs"))
SAMPLES = os.environ.get("LX_SAMPLES", os.path.join(HERE, "..", "..", "samples"))
WORK = tempfile.mkdtemp(prefix="lx_json_schema_")
HTTP = os.path.join(DATA, "format-1.0", "http.lxw")
ECHO = os.path.join(DATA, "format-1.0", "echo.lxw")


def table_rows(text, heading):
    """The rows (lists of cells) of the first table after a '## heading' line."""
    at = text.index(f"\n## {heading}\n") + len(heading) + 5
    rows = []
    for line in text[at:].splitlines():
        if line.startswith("## "):
            break
        if line.startswith("|") and not line.startswith("| ---"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header row


def load_schema():
    text = open(os.path.join(DOCS, "json.md")).read()
    keys = {row[0]: row[1].split(" or ") for row in table_rows(text, "Keys")}
    kinds = {}
    for kind, tools, required, optional in table_rows(text, "Line kinds"):
        kinds[kind] = (set(tools.split()), set(required.split()), set(optional.split()))
    return keys, kinds


HASH = re.compile(r"^0x[0-9a-f]{16}$")


def type_ok(value, types):
    for t in types:
        if t == "null" and value is None:
            return True
        if t == "string" and isinstance(value, str):
            return True
        if t == "integer" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if t == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if t == "boolean" and isinstance(value, bool):
            return True
        if t == "hash" and isinstance(value, str) and HASH.match(value):
            return True
        if t == "object" and isinstance(value, dict):
            return True
        if t == "array" and isinstance(value, list):
            return True
    return False


def check_run(tool_name, args, keys, kinds, want_kinds=(), stdin=None):
    done = subprocess.run(args, capture_output=True, stdin=stdin or subprocess.DEVNULL, timeout=120)
    out = done.stdout.decode("utf-8")
    what = " ".join(os.path.basename(a) for a in args)
    lines = out.splitlines()
    check(lines, f"{what}: no output (exit {done.returncode}): {done.stderr.decode()}")
    seen = set()
    for number, line in enumerate(lines, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise lxtest.TestFailure(f"{what}: line {number} is not JSON ({e}): {line}")
        kind = obj.get("kind")
        check(kind in kinds, f"{what}: line {number}: undocumented kind {kind!r}: {line}")
        tools, required, optional = kinds[kind]
        check(tool_name in tools, f"{what}: {tool_name} writes kind {kind}, documented for {tools}")
        for key, value in obj.items():
            check(key in keys, f"{what}: line {number}: undocumented key {key!r}")
            check(key == "kind" or key in required or key in optional,
                  f"{what}: line {number}: key {key!r} is not listed for kind {kind}")
            check(type_ok(value, keys[key]),
                  f"{what}: line {number}: {key}={value!r} is not {'|'.join(keys[key])}")
        missing = required - set(obj)
        check(not missing, f"{what}: line {number}: kind {kind} lacks {sorted(missing)}: {line}")
        seen.add(kind)
    summaries = [l for l in lines if json.loads(l)["kind"] == "summary"]
    check(len(summaries) == 1 and json.loads(lines[-1])["kind"] == "summary",
          f"{what}: want exactly one summary line, last; got {len(summaries)}")
    summary = json.loads(lines[-1])
    check(summary["tool"] == tool_name and summary["exit_code"] == done.returncode,
          f"{what}: summary {summary} but the tool exited {done.returncode}")
    for kind in want_kinds:
        check(kind in seen, f"{what}: no line of kind {kind}")
    return summary


def damaged_copy():
    data = bytearray(open(HTTP, "rb").read())
    data[len(data) // 2] ^= 0xFF
    path = os.path.join(WORK, "damaged.lxw")
    open(path, "wb").write(data)
    return path


def what_if_app():
    app = os.path.join(WORK, "http_changed")
    if os.path.isdir(app):
        return app
    shutil.copytree(os.path.join(SAMPLES, "http"), app)
    main = os.path.join(app, "main.lua")
    text = open(main).read()
    open(main, "w").write(text.replace("hello from lx", "hello from a what-if"))
    return app


def test_lxdump_lines_follow_the_schema():
    keys, kinds = load_schema()
    missing = os.path.join(WORK, "missing.lxw")
    check_run("lxdump", [LXDUMP, HTTP, "--json", "--checkpoints"], keys, kinds,
              ["header", "event", "checkpoint", "end", "summary"])
    check_run("lxdump", [LXDUMP, HTTP, "--json", "--type", "accept_result"], keys, kinds, ["record"])
    check_run("lxdump", [LXDUMP, ECHO, "--json", "--stats"], keys, kinds, ["stats"])
    check_run("lxdump", [LXDUMP, damaged_copy(), "--json", "--salvage"], keys, kinds)
    check_run("lxdump", [LXDUMP, damaged_copy(), "--json", "--strict"], keys, kinds)
    check(check_run("lxdump", [LXDUMP, missing, "--json"], keys, kinds)["result"] == "error",
          "a missing log is not an error")
    with open(HTTP, "rb") as f:
        check_run("lxdump", [LXDUMP, "-", "--json"], keys, kinds, ["event"], stdin=f)


def test_lxreplay_lines_follow_the_schema():
    keys, kinds = load_schema()
    # Recorded by this build: old logs replay with checkpoints matching only
    # under the engine build that wrote them.
    # With a snapshot every 10 events, so the snapshot records and keys show.
    fresh = lxtest.record_http_session(os.path.join(WORK, "fresh-http.lxw"),
                                       extra=("--snapshot-every", "10"))
    dumped = check_run("lxdump", [LXDUMP, fresh, "--json"], keys, kinds, ["record"])
    check(dumped["result"] == "match" or dumped["exit_code"] == 0, f"lxdump: {dumped}")
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet"], keys, kinds)
    # (A snapshot is due every 10 events, and one is written at a time: how
    # many complete depends on the child's speed.)
    check(s["snapshots_verified"] >= 1, f"snapshots verified: {s}")
    last = s["last_event"]
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--until", str(last)], keys,
                  kinds, ["engine_state"])
    check(s["started_from_snapshot"] >= 10 and s["exit_code"] == 0, f"--until {last}: {s}")
    check(s["result"] == "match", f"summary {s}")
    check_run("lxreplay", [LXREPLAY, ECHO, "--json", "--quiet", "--until", "30",
                           "--checkpoint-every", "10"], keys, kinds, ["checkpoint", "engine_state"])
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--app", what_if_app(),
                               "--keep-going"], keys, kinds, ["divergence", "autopsy"])
    check(s["result"] == "diverged", f"summary {s}")
    check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--at", "5", "--eval",
                           "request_count", "--eval", "conns", "--eval", "nope.x"], keys, kinds,
              ["eval"])
    check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--until", "30", "--probe",
                           "ev.bytes", "--when", "ev.type == 'recv_incoming'", "--probe",
                           "request_count"], keys, kinds, ["probe"])
    check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--dump-state"], keys, kinds,
              ["state_value"])
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--conversation"], keys,
                  kinds, ["message"])
    check(s["result"] == "match", f"summary {s}")
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--responses", "--app",
                               what_if_app()], keys, kinds, ["response"])
    check(s["result"] == "responses_differ" and s["exit_code"] == 1, f"summary {s}")
    s = check_run("lxreplay", [LXREPLAY, fresh, "--json", "--quiet", "--responses", "--app",
                               os.path.join(SAMPLES, "http")], keys, kinds, ["response"])
    check(s["result"] == "responses_same" and s["exit_code"] == 0, f"summary {s}")
    s = check_run("lxreplay", [LXREPLAY, damaged_copy(), "--json", "--quiet", "--salvage"],
                  keys, kinds)
    check(s["result"] in ("damaged", "diverged"), f"a damaged replay claims {s['result']}")
    s = check_run("lxreplay", [LXREPLAY, os.path.join(WORK, "missing.lxw"), "--json"], keys, kinds)
    check(s["result"] == "error" and "error" in s, f"summary {s}")
    s = check_run("lxreplay", [LXREPLAY, HTTP, "--json", "--until", "0"], keys, kinds)
    check(s["result"] == "error" and s["exit_code"] == 2, f"summary {s}")


def test_lxdiff_lines_follow_the_schema():
    keys, kinds = load_schema()
    s = check_run("lxdiff", [LXDIFF, HTTP, HTTP, "--json"], keys, kinds)
    check(s["result"] == "same", f"summary {s}")
    s = check_run("lxdiff", [LXDIFF, HTTP, ECHO, "--json"], keys, kinds,
                  ["header_diff", "event_diff", "context", "checkpoint_diff"])
    check(s["result"] == "differ", f"summary {s}")
    s = check_run("lxdiff", [LXDIFF, HTTP, os.path.join(WORK, "missing.lxw"), "--json"], keys,
                  kinds)
    check(s["result"] == "error", f"summary {s}")
    # Two logs of one session, the second under a what-if app: --state and --html.
    fresh = lxtest.record_http_session(os.path.join(WORK, "fresh-http-diff.lxw"))
    what_if = os.path.join(WORK, "what-if-http.lxw")
    done = subprocess.run([LXREPLAY, fresh, "--quiet", "--keep-going", "--app", what_if_app(),
                           "--record-to", what_if], capture_output=True, timeout=120)
    check(done.returncode == 1, f"the what-if replay: {done.returncode} {done.stderr.decode()}")
    s = check_run("lxdiff", [LXDIFF, fresh, what_if, "--json", "--state", "--html",
                             os.path.join(WORK, "diff.html")], keys, kinds, ["state_diff", "html"])
    check(s["result"] == "differ", f"summary {s}")


if __name__ == "__main__":
    lxtest.main(globals())
