"""lxreplay and lxdiff on logs that lxrun recorded while real clients talked
to it: the replay must match every checkpoint, a re-record must diff as the
same, and the chaos engine must diverge. Skips (exit 77) while lxrun has no
--record flag. Runs like tests/driver: `python3 FILE TEST` with LXRUN,
LX_SAMPLES, LXREPLAY, LXDIFF and LX_CHAOS_ENGINE in the environment."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import Lxrun, SkipTest, check, connect, recv_exactly  # noqa: E402

LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
LXDIFF = os.environ.get("LXDIFF", "lxdiff")
CHAOS = os.environ.get("LX_CHAOS_ENGINE", "")
WORK = tempfile.mkdtemp(prefix="lx_replay_e2e_")


def lxrun_help():
    done = subprocess.run([lxtest.LXRUN, "--help"], capture_output=True, timeout=10)
    return done.stdout.decode() + done.stderr.decode()


def record_flags(log):
    text = lxrun_help()
    if "--record" not in text:
        raise SkipTest("lxrun has no --record yet")
    flags = ["--record", log]
    if "--checkpoint-every" in text:
        flags += ["--checkpoint-every", "25"]
    return flags


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
    errors = []

    def client(index):
        try:
            payload = os.urandom(20000 + 37 * index)
            with connect(run.port) as sock:
                for start in range(0, len(payload), 4096):
                    sock.sendall(payload[start:start + 4096])
                check(recv_exactly(sock, len(payload)) == payload, "echo differs")
        except Exception as error:  # reported below
            errors.append(f"client {index}: {error}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not errors, "; ".join(errors))
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


try:
    lxtest.main(globals())
finally:
    shutil.rmtree(WORK, ignore_errors=True)
