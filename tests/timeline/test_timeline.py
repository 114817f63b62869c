"""The timeline end to end: record samples/http with lxrun under real clients
(curl, and Python sockets with keep-alive), then check what lxdump
--trace-events and --timeline make of the log; load the page in headless
chromium (browser_check.js through playwright-core) and check counts, a
click, a search and the console; and load a synthetic page of a million
events, report its load time and assert its size. Runs like the other e2e
tests (`python3 FILE TEST`); the browser tests exit 77 only when chromium or
playwright-core is missing (scripts/setup installs both)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import Lxrun, SkipTest, TestFailure, check, connect  # noqa: E402

LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
LXDIFF = os.environ.get("LXDIFF", "lxdiff")
SYNTH = os.environ.get("TIMELINE_SYNTH", "timeline_synth")
OUT = os.environ.get("LX_TEST_OUT") or tempfile.mkdtemp(prefix="lx_timeline_")
NODE_DIR = os.environ.get("LX_NODE_DIR", os.path.join(os.path.dirname(__file__), "../../.node"))
CHROMIUM = os.environ.get("LX_CHROMIUM", "/usr/bin/chromium")
HERE = os.path.dirname(os.path.abspath(__file__))
os.makedirs(OUT, exist_ok=True)

KEEP_ALIVE_CLIENTS = 3
REQUESTS_PER_CLIENT = 5
CURL_PATHS = ["/", "/stats", "/missing"]


def tool(*args, timeout=120):
    try:
        done = subprocess.run(list(args), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure(f"{' '.join(args)} did not finish in {timeout} s")
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def read_response(sock, pending):
    """One HTTP response (headers and Content-Length body) from sock."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        check(chunk, "the server closed before answering")
        pending += chunk
    head, rest = pending.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        check(chunk, "the server closed inside a body")
        rest += chunk
    return head, rest[length:]


def record_http_session(name):
    """Records samples/http: keep-alive clients one after another (each sends
    its next request after the answer), then curl. Returns (log, expected)."""
    log = os.path.join(OUT, name + ".lxw")
    if os.path.exists(log):
        os.remove(log)
    run = Lxrun(lxtest.sample("http"), extra=["--record", log])
    for c in range(KEEP_ALIVE_CLIENTS):
        with connect(run.port) as sock:
            pending = b""
            for i in range(REQUESTS_PER_CLIENT):
                sock.sendall(f"GET /client{c}/request{i} HTTP/1.1\r\nHost: lx\r\n\r\n".encode())
                head, pending = read_response(sock, pending)
                check(head.startswith(b"HTTP/1.1 404"), f"unexpected answer {head[:40]!r}")
    if shutil.which("curl"):
        for path in CURL_PATHS:
            code, _, err = tool("curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{run.port}{path}")
            check(code == 0, f"curl {path} failed: {err}")
        curls = len(CURL_PATHS)
    else:
        curls = 0
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    connections = KEEP_ALIVE_CLIENTS + curls
    expected = {
        "connections": connections,
        "exchanges": KEEP_ALIVE_CLIENTS * REQUESTS_PER_CLIENT + curls,
    }
    return log, expected


def dump_json(log):
    code, out, err = tool(LXDUMP, log, "--json")
    check(code == 0, f"lxdump --json failed: {err}")
    return [json.loads(line) for line in out.splitlines()]


def test_trace_events_of_a_recorded_http_session():
    log, want = record_http_session("trace")
    trace = os.path.join(OUT, "trace.json")
    code, out, err = tool(LXDUMP, log, "--trace-events", trace)
    check(code == 0, f"lxdump --trace-events exited {code}: {err}")
    check(out == "", f"lxdump printed data on stdout: {out[:200]}")
    check("lxdump: wrote " + trace in err, f"no summary line: {err}")
    with open(trace) as f:
        doc = json.load(f)  # it parses
    events = doc["traceEvents"]
    by_ph = {}
    for e in events:
        by_ph.setdefault(e["ph"], []).append(e)
    threads = [e for e in by_ph.get("M", []) if e["name"] == "thread_name"]
    stdio_used = any(o.get("chid") == 0 for o in dump_json(log) if o.get("kind") == "event")
    lanes = want["connections"] + (1 if stdio_used else 0)
    check(len(threads) == lanes + 1, f"{len(threads)} tracks, want {lanes} lanes + the session")
    names = [t["args"]["name"] for t in threads]
    check(sum("accepted on :" in n for n in names) == want["connections"], f"track names {names}")
    spans = by_ph.get("X", [])
    check(len(spans) == want["exchanges"], f"{len(spans)} spans, want {want['exchanges']}")
    check(any(s["name"].startswith("GET /client1/request3 HTTP/1.1") for s in spans),
          f"no span named after its request: {[s['name'] for s in spans][:5]}")
    for s in spans:
        check(s["dur"] >= 0 and s["ts"] >= 0, f"bad span times {s}")
        check("in_events" in s["args"] and "sent_events" in s["args"], f"span args {s['args']}")
    instants = by_ph.get("i", [])
    kinds = {}
    for i in instants:
        kinds[i["name"]] = kinds.get(i["name"], 0) + 1
    check(kinds.get("accept") == want["connections"], f"accept instants {kinds}")
    code, out, _ = tool(LXDUMP, log, "--checkpoints", "--json", "--type", "checkpoint")
    want_checkpoints = sum(1 for line in out.splitlines() if json.loads(line).get("kind") == "checkpoint")
    check(kinds.get("checkpoint", 0) == want_checkpoints,
          f"{kinds.get('checkpoint', 0)} checkpoint instants, the log has {want_checkpoints}")
    check(kinds.get("half_close", 0) >= want["connections"], f"half-close instants {kinds}")
    # Every span sits on a channel track; ts is within the session.
    tids = {t["tid"] for t in threads}
    check(all(s["tid"] in tids for s in spans), "a span on a track with no name")


def test_lxdump_views_usage_and_io_errors():
    log, _ = record_http_session("usage")
    code, _, err = tool(LXDUMP, log, "--trace-events", os.path.join(OUT, "x.json"), "--stats")
    check(code == 2 and err.startswith("lxdump: error: ") and err.count("\n") == 1,
          f"--trace-events with --stats: exit {code}, {err!r}")
    code, _, err = tool(LXDUMP, log, "--timeline", "/nonexistent-dir/t.html")
    check(code == 4 and "cannot create /nonexistent-dir/t.html" in err and err.count("\n") == 1,
          f"unwritable output: exit {code}, {err!r}")
    code, _, err = tool(LXDUMP, os.path.join(OUT, "missing.lxw"), "--timeline", os.path.join(OUT, "m.html"))
    check(code == 3 and err.startswith("lxdump: error: "), f"missing log: exit {code}, {err!r}")
    # A log cut in the middle still gives a page of what is readable.
    with open(log, "rb") as f:
        data = f.read()
    torn = os.path.join(OUT, "torn.lxw")
    with open(torn, "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    page = os.path.join(OUT, "torn.html")
    code, _, err = tool(LXDUMP, torn, "--timeline", page)
    check(code == 0 and os.path.getsize(page) > 1000, f"torn log: exit {code}, {err!r}")
    mode = os.stat(page).st_mode & 0o777
    check(mode == 0o600, f"page mode {mode:o}, want 600 (it holds the session's bytes)")


def browser_or_skip():
    driver = os.path.join(NODE_DIR, "node_modules", "playwright-core")
    if not os.path.exists(CHROMIUM):
        raise SkipTest(f"no chromium at {CHROMIUM}; scripts/setup installs Debian's chromium")
    if not shutil.which("node"):
        raise SkipTest("no node; scripts/setup installs nodejs")
    if not os.path.isdir(driver):
        raise SkipTest(f"no playwright-core in {NODE_DIR}; scripts/setup installs it")
    return driver


def run_browser(spec):
    path = os.path.join(OUT, spec["name"] + ".spec.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    code, out, err = tool("node", os.path.join(HERE, "browser_check.js"), path, timeout=150)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    check(lines, f"browser_check printed no result (exit {code}):\n{out}\n{err}")
    result = json.loads(lines[-1])
    check(code == 0 and result.get("ok"), "browser check failed: " + json.dumps(result.get("errors") or result, indent=1))
    return result


def test_browser_http_session_page():
    driver = browser_or_skip()
    log, want = record_http_session("http")
    page = os.path.join(OUT, "http.html")
    code, _, err = tool(LXDUMP, log, "--timeline", page)
    check(code == 0, f"lxdump --timeline exited {code}: {err}")
    objects = dump_json(log)
    stdio_used = any(o.get("chid") == 0 for o in objects if o.get("kind") == "event")
    lanes = want["connections"] + (1 if stdio_used else 0)
    # The known session: client 1's request 2 (exchanges are by lane, then time;
    # client c is channel c + 1, after stdio's lane if it has one).
    box = REQUESTS_PER_CLIENT + 2
    request_event = next(o["event"] for o in objects if o.get("record_type") == "recv_incoming"
                         and "/client2/request1 " in o.get("data", ""))
    result = run_browser({
        "name": "http", "page": page, "driver": driver, "chromium": CHROMIUM,
        "expect": {"lanes": lanes, "exchanges": want["exchanges"]},
        "box": {"session": 0, "index": box},
        "request_has": "GET /client1/request2 HTTP/1.1",
        "reply_has": "bytes sent",
        "search_event": {"event": request_event, "kind": "x", "index": 2 * REQUESTS_PER_CLIENT + 1},
        "search_text": {"text": "/request4 ", "matches": KEEP_ALIVE_CLIENTS},
        "screenshot": os.path.join(OUT, "http.png"),
        "screenshot_selected": os.path.join(OUT, "http-selected.png"),
        "select_for_screenshot": {"session": 0, "index": REQUESTS_PER_CLIENT + 2},
        "zoom": 6,
    })
    print(f"page {os.path.getsize(page)} bytes, {result['lanes']} lanes, {result['exchanges']} exchanges, "
          f"ready {result['ready_ms']:.0f} ms after navigation; screenshot {OUT}/http.png")


def test_browser_replay_page():
    """lxreplay --timeline: the same session's page built by a replay, so a
    click on a box shows the request and the reply the replay regenerated."""
    driver = browser_or_skip()
    log, want = record_http_session("http-replay")
    page = os.path.join(OUT, "http-replay.html")
    code, _, err = tool(LXREPLAY, log, "--timeline", page, "--quiet")
    check(code == 0, f"lxreplay --timeline exited {code}: {err}")
    check("(replies regenerated by this replay)" in err, f"no summary line: {err}")
    objects = dump_json(log)
    stdio_used = any(o.get("chid") == 0 for o in objects if o.get("kind") == "event")
    lanes = want["connections"] + (1 if stdio_used else 0)
    result = run_browser({
        "name": "http-replay", "page": page, "driver": driver, "chromium": CHROMIUM,
        "expect": {"lanes": lanes, "exchanges": want["exchanges"]},
        "box": {"session": 0, "index": REQUESTS_PER_CLIENT + 2},
        "request_has": "GET /client1/request2 HTTP/1.1",
        # The reply bytes themselves, not a byte count: the sample answers 404
        # with the path it did not find.
        "reply_has": "HTTP/1.1 404",
        "screenshot": os.path.join(OUT, "http-replay.png"),
        "screenshot_selected": os.path.join(OUT, "http-replay-selected.png"),
        "select_for_screenshot": {"session": 0, "index": REQUESTS_PER_CLIENT + 2},
        "zoom": 6,
    })
    print(f"replay page {os.path.getsize(page)} bytes, {result['lanes']} lanes; "
          f"screenshot {OUT}/http-replay-selected.png")


def test_browser_million_event_page():
    driver = browser_or_skip()
    page = os.path.join(OUT, "million.html")
    code, out, err = tool(SYNTH, "1000000", page)
    check(code == 0, f"timeline_synth exited {code}: {err}")
    made = json.loads(out)
    size = os.path.getsize(page)
    check(made["events"] >= 1000000, f"the synthetic session has {made['events']} events")
    check(size <= 20 * 1024 * 1024, f"the 1M-event page is {size} bytes, over 20 MiB")
    result = run_browser({
        "name": "million", "page": page, "driver": driver, "chromium": CHROMIUM,
        "expect": {"lanes": made["lanes"], "exchanges": made["exchanges"]},
        "box": {"session": 0, "index": 1000},
        "reply_has": "HTTP/1.1 200 OK",
        "screenshot": os.path.join(OUT, "million.png"),
    })
    # Reported, not asserted (the machine is shared and noisy).
    print(f"1M-event page: {size / 1e6:.1f} MB, {made['lanes']} lanes, {made['exchanges']} exchanges; "
          f"ready {result['ready_ms']:.0f} ms after navigation (file read and parsed by "
          f"{result['response_end_ms']:.0f} ms, script {result['script_ms']:.0f} ms)")


def test_browser_two_session_page():
    """The page lxdiff --html will write: two sessions on one event axis."""
    driver = browser_or_skip()
    page = os.path.join(OUT, "two.html")
    code, out, err = tool(SYNTH, "20000", page, "--diff")
    check(code == 0, f"timeline_synth --diff exited {code}: {err}")
    made = json.loads(out)
    result = run_browser({
        "name": "two", "page": page, "driver": driver, "chromium": CHROMIUM,
        "expect": {"lanes": made["lanes"], "exchanges": made["exchanges"]},
        "summary_has": "sessions[42].total: 17 (A) vs 18 (B)",
        "box": {"session": 1, "index": 10},
        "reply_has": "HTTP/1.1 200 OK",
        "screenshot": os.path.join(OUT, "two.png"),
    })
    check(result["lanes"] == made["lanes"], "lane count")


def test_browser_lxdiff_page():
    """lxdiff --html on two logs of one session: the recording, and its replay
    under a what-if app whose request counter counts by 2."""
    driver = browser_or_skip()
    log_a, want = record_http_session("diff-a")
    app = os.path.join(OUT, "http-counts-by-2")
    shutil.rmtree(app, ignore_errors=True)
    shutil.copytree(lxtest.sample("http"), app)
    main = os.path.join(app, "main.lua")
    text = open(main).read()
    check("request_count = request_count + 1" in text, "samples/http has no request counter")
    open(main, "w").write(text.replace("request_count = request_count + 1",
                                       "request_count = request_count + 2"))
    log_b = os.path.join(OUT, "diff-b.lxw")
    code, _, err = tool(LXREPLAY, log_a, "--quiet", "--keep-going", "--app", app,
                        "--record-to", log_b)
    check(code == 1, f"the what-if replay exited {code}, want 1 (diverged): {err}")
    page = os.path.join(OUT, "diff.html")
    code, out, err = tool(LXDIFF, log_a, log_b, "--html", page, "--json")
    check(code == 1, f"lxdiff --html exited {code}, want 1 (differ): {err}")
    lines = [json.loads(line) for line in out.splitlines()]
    state = next((o for o in lines if o["kind"] == "state_diff"), None)
    check(state is not None and "error" not in state, f"no state comparison: {lines}")
    paths = {p["path"]: p for p in state["paths"]}
    check("request_count" in paths, f"request_count is not among the differing paths: {paths}")
    rc = paths["request_count"]
    check(int(rc["right"]) == 2 * int(rc["left"]), f"request_count {rc}")
    check(state["first_differing"] is not None, f"no first differing event: {state}")
    html = next((o for o in lines if o["kind"] == "html"), None)
    check(html is not None and html["notes"] >= 2, f"html line {html}")
    check(os.stat(page).st_mode & 0o777 == 0o600, "the page is not mode 600")
    objects = dump_json(log_a)
    stdio_used = any(o.get("chid") == 0 for o in objects if o.get("kind") == "event")
    lanes = want["connections"] + (1 if stdio_used else 0)
    result = run_browser({
        "name": "lxdiff", "page": page, "driver": driver, "chromium": CHROMIUM,
        "expect": {"lanes": 2 * lanes, "exchanges": 2 * want["exchanges"]},
        "summary_has": f"request_count: {rc['left']} (A) vs {rc['right']} (B)",
        "box": {"session": 1, "index": 2},
        "request_has": "GET /client0/request2 HTTP/1.1",
        "screenshot": os.path.join(OUT, "lxdiff.png"),
    })
    print(f"lxdiff page: {result['lanes']} lanes, {result['exchanges']} exchanges; "
          f"screenshot {OUT}/lxdiff.png")


if __name__ == "__main__":
    lxtest.main(globals(), time_limit_s=170)
