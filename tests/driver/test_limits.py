"""lxrun with apps that misbehave, and with nothing to do (issues 9 and 12):
an update() that never returns is stopped by the instruction budget while the
server goes on serving, SIGINT and SIGTERM stop lxrun while update() spins, a
repeated error does not flood stderr, an idle recording grows by 0 bytes, and
wake times (lx.after) run update() without a tick. Recordings replay. Runs
like the other e2e tests (`python3 FILE TEST`) with LXRUN, LX_SAMPLES, LXDUMP
and LXREPLAY in the environment."""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

import lxtest
from lxtest import Lxrun, check, connect, recv_line

LXDUMP = os.environ.get("LXDUMP", "lxdump")
LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
WORK = tempfile.mkdtemp(prefix="lx_limits_e2e_")

# A line echo server whose update() never returns once a client sent
# "spin", and that allocates without bound (in a pcall) on "hog".
LINE_APP = """
local clients = {}
function update()
  local ch = lx.accept()
  while ch do clients[ch:id()] = ch ; ch = lx.accept() end
  for id, c in pairs(clients) do
    local line = c:readline()
    while line do
      if line == "spin" then
        c:write("spinning\\n")
        while true do end
      elseif line == "hog" then
        local ok, err = pcall(function() local t = {} for i = 1, 1e9 do t[i] = {i} end end)
        c:write(tostring(ok) .. " " .. tostring(err) .. "\\n")
      else
        c:write(line .. "\\n")
      end
      line = c:readline()
    end
    if c:closed() then c:close() ; clients[id] = nil end
  end
end
"""

# update() spins every time: nothing but the budget ends it.
ALWAYS_SPIN = "function update() local n = 0 while true do n = n + 1 end end\n"


tool = lxtest.run_tool


def replay_matches(log):
    code, out, err = tool(LXREPLAY, log, "--quiet")
    check(code == 0 and "lxreplay: match:" in out, f"lxreplay exited {code}:\n{out}\n{err}")
    return out


def stats(log):
    code, out, err = tool(LXDUMP, log, "--stats", "--json")
    check(code == 0, f"lxdump --stats exited {code}: {err}")
    return next(s for s in map(json.loads, out.splitlines()) if s["kind"] == "stats")


def echo_line(port, text):
    with connect(port) as sock:
        sock.sendall(text.encode() + b"\n")
        pending = bytearray()
        return recv_line(sock, pending)


def test_runaway_update_is_stopped_and_the_server_goes_on_and_replays():
    log = os.path.join(WORK, "spin.lxw")
    app = lxtest.make_app({"main.lua": LINE_APP})
    run = Lxrun(app, extra=["--record", log, "--checkpoint-every", "1",
                            "--instruction-budget", "20000000"])
    check(echo_line(run.port, "before") == "before", "echo before the runaway")
    with connect(run.port) as spinner:
        spinner.sendall(b"spin\n")
        run.wait_line(r"^lxrun: error in update\(\): main\.lua:\d+: instruction budget of "
                      r"20000000 exceeded in update\(\)$", timeout=30)
        run.wait_line(r"^lxrun: stack traceback:$")
        pending = bytearray()
        check(recv_line(spinner, pending) == "spinning", "the spinning client's reply")
        # The server answers other clients (and the same one) afterwards.
        check(echo_line(run.port, "after") == "after", "echo after the runaway")
        spinner.sendall(b"still here\n")
        check(recv_line(spinner, pending) == "still here", "the spinner after the stop")
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    out = replay_matches(log)
    check(" 0 divergence(s)" in out, out)
    code, out, err = tool(LXREPLAY, log)  # the replay is stopped at the same place
    check("instruction budget of 20000000 exceeded in update()" in err, err)


def spinning_lxrun(extra=()):
    app = lxtest.make_app({"main.lua": ALWAYS_SPIN})
    return Lxrun(app, extra=["--tick-ms", "10", *extra])


def test_sigint_stops_lxrun_while_update_spins():
    run = spinning_lxrun()  # the default budget
    time.sleep(0.5)  # update() is spinning now
    # The signal is handled once the budget stops the update() it came in.
    check(run.stop(signal.SIGINT, timeout=90) == 0, "exit code:\n" + run.stderr_text())
    check(any(line == "lxrun: stopping on SIGINT" for line in run.lines), run.stderr_text())
    check(any("instruction budget of 500000000 exceeded in update()" in line
              for line in run.lines), run.stderr_text())


def test_sigterm_stops_a_recording_lxrun_while_update_spins():
    log = os.path.join(WORK, "spin-term.lxw")
    run = spinning_lxrun(["--record", log, "--instruction-budget", "10000000"])
    run.wait_line(r"instruction budget of 10000000 exceeded in update\(\)", timeout=30)
    check(run.stop(signal.SIGTERM, timeout=30) == 0, "exit code:\n" + run.stderr_text())
    summary = stats(log)
    check(summary["health"] == "clean", f"the log was not closed: {summary}")
    replay_matches(log)


def test_an_error_on_every_update_does_not_flood_stderr():
    app = lxtest.make_app({"main.lua": "n = 0\nfunction update()\n  n = n + 1\n"
                           "  if n % 100 == 0 then lx.stdio():write(n .. '\\n') end\n"
                           "  error('boom')\nend\n"})
    run = Lxrun(app, listen=0, extra=["--tick-ms", "1"], stdout=subprocess.PIPE)
    # Wait until the app has failed a few hundred times.
    deadline = time.monotonic() + 30
    count = 0
    while count < 300 and time.monotonic() < deadline:
        line = run.proc.stdout.readline()
        if not line:
            break
        count = int(line)
    check(count >= 300, f"only {count} updates ran")
    check(run.stop() == 0, "exit code")
    errors = [line for line in run.lines if line.startswith("lxrun: error in update()")]
    check(errors == ["lxrun: error in update(): main.lua:5: boom"],
          f"{count} failing updates logged {len(errors)} error lines: {errors[:5]}")
    check(len(run.stderr_text()) < 2000, f"stderr holds {len(run.stderr_text())} bytes")


def test_idle_recording_grows_by_0_bytes_and_replays():
    log = os.path.join(WORK, "idle.lxw")
    run = Lxrun(lxtest.sample("http"), extra=["--record", log])
    time.sleep(1.0)  # start-up events written (flush_ms 50), the writer is idle
    size_before = os.path.getsize(log)
    time.sleep(3.0)
    size_after = os.path.getsize(log)
    check(size_after == size_before,
          f"an idle server grew its log from {size_before} to {size_after} bytes")
    # It still serves, and its uptime moves with the clock fed at each request.
    base = f"http://127.0.0.1:{run.port}"
    first = json.loads(urllib.request.urlopen(base + "/stats", timeout=10).read())
    time.sleep(0.3)
    second = json.loads(urllib.request.urlopen(base + "/stats", timeout=10).read())
    check(second["uptime_s"] - first["uptime_s"] >= 0.3, f"uptimes {first} {second}")
    check(first["uptime_s"] >= 4.0, f"uptime {first['uptime_s']} after 4 s")
    check(run.stop() == 0, "exit code")
    summary = stats(log)
    check(summary["health"] == "clean", f"{summary}")
    # start-up (set_clock, set_lua_source, set_clock, update, stdin's close,
    # update) and two requests: nothing for the idle seconds in between.
    check(summary["events"] < 40, f"{summary['events']} events for an idle run and two requests")
    replay_matches(log)


def test_wake_times_run_update_without_a_tick_and_replay():
    log = os.path.join(WORK, "wake.lxw")
    app = lxtest.make_app({"main.lua": """
local started = lx.now()
local wakes = 0
lx.after(0.2)
function update()
  if lx.now() - started >= 0.2 * (wakes + 1) then
    wakes = wakes + 1
    lx.stdio():write(string.format("wake %d after %.3f\\n", wakes, lx.now() - started))
    if wakes == 3 then lx.stop() return end
    lx.after(0.2)
  end
end
"""})
    done = subprocess.run([lxtest.LXRUN, "--app", app, "--record", log], capture_output=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    check(done.returncode == 0, f"exit {done.returncode}: {done.stderr.decode()}")
    lines = done.stdout.decode().splitlines()
    check([line.split()[1] for line in lines] == ["1", "2", "3"], f"output {lines}")
    for index, line in enumerate(lines):
        check(float(line.split()[3]) >= 0.2 * (index + 1), f"woke early: {line}")
    summary = stats(log)
    check(summary["events"] < 30, f"{summary['events']} events for three wakes")
    replay_matches(log)


def test_limit_flags_are_checked():
    code, _, err = lxtest.run_lxrun(["--app", lxtest.sample("echo"), "--memory-mb", "-1"])
    check(code == 2, f"--memory-mb -1: exit {code}: {err}")
    code, _, err = lxtest.run_lxrun(["--app", lxtest.sample("echo"), "--memory-mb", "99999999"])
    check(code == 2 and "--memory-mb" in err, f"--memory-mb 99999999: exit {code}: {err}")
    code, _, err = lxtest.run_lxrun(["--app", lxtest.sample("echo"), "--instruction-budget", "x"])
    check(code == 2, f"--instruction-budget x: exit {code}: {err}")


def test_memory_cap_is_a_lua_error_and_the_server_goes_on():
    app = lxtest.make_app({"main.lua": LINE_APP})
    run = Lxrun(app, extra=["--memory-mb", "16"])
    check(echo_line(run.port, "hog") == "false not enough memory", "the app saw its memory error")
    check(echo_line(run.port, "hello") == "hello", "the server goes on")
    check(run.stop() == 0, "exit code")


lxtest.main(globals())
