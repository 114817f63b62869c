"""lxreplay and lxdiff on logs that lxrun recorded while real clients talked
to every sample (echo, http under wrk, chat, upper on stdin, proxy in front
of echo): the replay must match every checkpoint, a re-record must diff as
the same, and the chaos engine must diverge at the event it spoils. Runs like
tests/driver: `python3 FILE TEST` with LXRUN, LX_SAMPLES, LXREPLAY, LXDIFF,
LXDUMP and LX_CHAOS_ENGINE in the environment."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import json

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import (Lxrun, SkipTest, check, connect, recv_exactly, recv_line, run_clients,  # noqa: E402
                    run_lxrun)

LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
LXDIFF = os.environ.get("LXDIFF", "lxdiff")
LXDUMP = os.environ.get("LXDUMP", "lxdump")
CHAOS = os.environ.get("LX_CHAOS_ENGINE", "")
WORK = tempfile.mkdtemp(prefix="lx_replay_e2e_")


def record_flags(log, checkpoint_every=25):
    return ["--record", log, "--checkpoint-every", str(checkpoint_every)]


def tool(*args, timeout=120):
    done = subprocess.run(list(args), capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode(
        "utf-8", "replace")


def check_replays_and_rediffs(log):
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0, f"lxreplay exited {code}:\n{out}\n{err}")
    check("lxreplay: match:" in out, f"no match summary:\n{out}")
    again = os.path.join(WORK, os.path.basename(log) + ".again.lxw")
    code, out, err = tool(LXREPLAY, log, "--quiet", "--checkpoint-every", "25", "--record-to",
                          again)
    check(code == 0, f"lxreplay --record-to exited {code}:\n{out}\n{err}")
    code, out, err = tool(LXDIFF, log, again)
    check(code == 0, f"lxdiff of the log and its re-record exited {code}:\n{out}\n{err}")
    code, out, err = tool(LXREPLAY, log, "--quiet", "--json")
    check(code == 0 and '"result":"match"' in out.splitlines()[-1], f"JSON summary:\n{out}")


def test_echo_clients_record_and_replay():
    log = os.path.join(WORK, "echo.lxw")
    run = Lxrun(lxtest.sample("echo"), extra=record_flags(log))

    def client(index):
        payload = os.urandom(20000 + 37 * index)
        with connect(run.port) as sock:
            for start in range(0, len(payload), 4096):
                sock.sendall(payload[start:start + 4096])
            check(recv_exactly(sock, len(payload)) == payload, "echo differs")

    run_clients(16, client)
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT")
    check_replays_and_rediffs(log)
    code, out, _ = tool(LXREPLAY, log, "--quiet", "--until", "40")
    check(code == 0 and "lxreplay: state after event 40" in out, f"--until:\n{out}")


def test_http_under_wrk_record_and_replay():
    if shutil.which("wrk") is None:
        raise SkipTest("wrk is not installed")
    log = os.path.join(WORK, "http.lxw")
    run = Lxrun(lxtest.sample("http"), extra=record_flags(log))
    done = subprocess.run(["wrk", "-t2", "-c16", "-d2s", f"http://127.0.0.1:{run.port}/"],
                          capture_output=True, timeout=30)
    check(done.returncode == 0, f"wrk exited {done.returncode}")
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT")
    check_replays_and_rediffs(log)
    if CHAOS:
        code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS)
        check(code == 1 and "DIVERGENCE" in out, f"the chaos engine did not diverge:\n{out}\n{err}")


def test_chat_record_and_replay():
    log = os.path.join(WORK, "chat.lxw")
    run = Lxrun(lxtest.sample("chat"), extra=record_flags(log, 5))
    socks, pending = {}, {}
    for name in ("alice", "bob", "carol"):
        socks[name] = connect(run.port)
        pending[name] = bytearray()
        socks[name].sendall(f"{name}\n".encode())
        for other in socks:
            if other != name:
                check(recv_line(socks[other], pending[other]) == f"* {name} joined", "join")
    for round_number in range(10):
        speaker = ("alice", "bob", "carol")[round_number % 3]
        socks[speaker].sendall(f"line {round_number}\n".encode())
        for other in socks:
            if other != speaker:
                line = recv_line(socks[other], pending[other])
                check(line == f"{speaker}: line {round_number}", f"{other} got {line!r}")
    socks.pop("carol").close()
    for other in socks:
        check(recv_line(socks[other], pending[other]) == "* carol left", "leave")
    for sock in socks.values():
        sock.close()
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT")
    check_replays_and_rediffs(log)


def test_upper_stdin_record_and_replay():
    log = os.path.join(WORK, "upper.lxw")
    text = "".join(f"line {i} from stdin\n" for i in range(2000)) + "no newline"
    code, out, err = run_lxrun(["--app", lxtest.sample("upper")] + record_flags(log),
                               input_bytes=text.encode())
    check(code == 0, f"lxrun exited {code}: {err}")
    check(out == text.upper().encode(), "stdout is not the upper-cased input")
    check_replays_and_rediffs(log)


def test_proxy_record_and_replay():
    upstream = Lxrun(lxtest.sample("echo"))
    log = os.path.join(WORK, "proxy.lxw")
    proxy = Lxrun(lxtest.sample("proxy"), app_args=[f"127.0.0.1:{upstream.port}"],
                  extra=record_flags(log))
    for size in (10, 5000, 100000):
        data = os.urandom(size)
        with connect(proxy.port) as sock:
            sock.sendall(data)
            check(recv_exactly(sock, len(data)) == data, "bytes through the proxy differ")
    check(proxy.stop() == 0, "proxy did not exit 0")
    check(upstream.stop() == 0, "echo did not exit 0")
    check_replays_and_rediffs(log)


def read_http_response(sock, pending):
    """Reads one response (headers, then Content-Length bytes of body)."""
    length = None
    while True:
        line = recv_line(sock, pending).rstrip("\r")
        if line == "":
            break
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    check(length is not None, "a response without Content-Length")
    while len(pending) < length:
        chunk = sock.recv(4096)
        check(chunk, "the server closed the connection")
        pending += chunk
    del pending[:length]


def test_chaos_engine_names_the_spoiled_event_of_an_http_recording():
    if not CHAOS:
        raise SkipTest("the chaos engine is not built")
    log = os.path.join(WORK, "http-chaos.lxw")
    run = Lxrun(lxtest.sample("http"), extra=record_flags(log, 1))
    requests = 150
    with connect(run.port) as sock:  # keep-alive, one request at a time: an update each
        pending = bytearray()
        for _ in range(requests):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            read_http_response(sock, pending)
    check(run.stop() == 0, "lxrun did not exit 0 on SIGINT")
    # docs/replay.md: the chaos engine spoils the heap at its 100th
    # invoke_event_update; with a checkpoint after every event the report
    # names exactly that event.
    updates = [json.loads(line) for line in
               tool(LXDUMP, log, "--json", "--type", "invoke_event_update")[1].splitlines()]
    updates = [u["event"] for u in updates if u.get("kind") == "event"]
    check(len(updates) >= 100, f"only {len(updates)} updates in {requests} requests")
    spoiled = updates[99]
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0, f"the normal engine does not replay its own log:\n{out}\n{err}")
    code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS)
    check(code == 1, f"lxreplay --engine chaos exited {code}, want 1:\n{out}\n{err}")
    check(f"first differing checkpoint: after event {spoiled} " in out, f"report:\n{out}")
    check(f"event {spoiled} invoke_event_update" in out, f"report:\n{out}")
    check(f"last matching checkpoint:   after event {spoiled - 1}" in out, f"report:\n{out}")


CRASH_APP = """
local conns = {}
function update()
  local ch = lx.accept()
  while ch do conns[#conns + 1] = ch; ch = lx.accept() end
  for _, c in ipairs(conns) do
    local line = c:readline()
    while line do
      if line == "CRASH" then lx.log("chaos: segfault") end
      c:write("ok " .. line .. "\\n")
      line = c:readline()
    end
  end
end
"""


def died_of_segv(code, err):
    # Without AddressSanitizer the process dies of the signal; under it, a
    # process with no handler of its own gets ASan's report and exit 1.
    return code == -signal.SIGSEGV or (code == 1 and "AddressSanitizer: SEGV" in err)


def test_engine_crash_is_in_the_log_and_replay_repeats_it():
    """The story lx exists for: the engine crashes inside an event; the event
    that crashed it is in the log; replay crashes at the same event, and
    stops just before it for a debugger."""
    if not CHAOS:
        raise SkipTest("the chaos engine is not built")
    log = os.path.join(WORK, "crash.lxw")
    app = lxtest.make_app({"main.lua": CRASH_APP})
    # A long tick and flush: only I/O turns update the app, and only the
    # crash handler can have put the last events in the file.
    run = Lxrun(app, extra=["--engine", CHAOS, "--tick-ms", "60000", "--record", log,
                            "--flush-ms", "10000", "--checkpoint-every", "1"])
    pending = bytearray()
    with connect(run.port) as sock:
        for word in (b"hello", b"again"):
            sock.sendall(word + b"\n")
            check(recv_line(sock, pending) == "ok " + word.decode(), "no answer")
        sock.sendall(b"CRASH\n")
        code = run.proc.wait(timeout=20)
    check(code == -signal.SIGSEGV, f"lxrun exited {code}, want death by SIGSEGV")
    code, out, err = tool(LXDUMP, log, "--json")
    check(code == 0, f"lxdump of the crashed log exited {code}:\n{err}")
    events = [json.loads(line) for line in out.splitlines()]
    events = [e for e in events if e.get("kind") == "event"]
    last_recv = [e for e in events if e["record_type"] == "recv_incoming"][-1]
    check("CRASH" in json.dumps(last_recv), f"the crashing input is not in the log: {last_recv}")
    crashing = events[-1]
    check(crashing["record_type"] == "invoke_event_update" and crashing["event"] > last_recv["event"],
          f"the last event is not the update that crashed: {crashing}")
    n = crashing["event"]
    code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS)
    check(died_of_segv(code, err), f"replay did not crash: exit {code}\n{out}\n{err}")
    check(f"died of signal 11 while applying event {n} (invoke_event_update)" in err and
          f"--break-at {n}" in err, f"lxreplay did not name the crashing event:\n{err}")
    # The hint is the command that crashed, engine included, so pasting it
    # under gdb reaches the same crash.
    check(f"gdb --args lxreplay {log} --engine {CHAOS} --break-at {n}" in err,
          f"the crash hint leaves out the engine:\n{err}")
    # With --json the run still ends with its one summary line: "crashed".
    code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS, "--json")
    summary = json.loads(out.splitlines()[-1])
    check(summary["kind"] == "summary" and summary["result"] == "crashed" and
          summary["event"] == n and summary["signal"] == signal.SIGSEGV,
          f"no crashed summary line:\n{out}")
    code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS, "--until", str(n - 1))
    check(code == 0 and f"state after event {n - 1}" in out,
          f"replay up to the crash failed: exit {code}\n{out}\n{err}")
    code, out, err = tool(LXREPLAY, log, "--quiet", "--engine", CHAOS, "--break-at", str(n))
    check(code == -signal.SIGTRAP, f"--break-at {n}: exit {code}, want SIGTRAP\n{err}")


try:
    lxtest.main(globals())
finally:
    shutil.rmtree(WORK, ignore_errors=True)
