"""lxrun's standard streams: samples/upper with stdin from a pipe and from a
regular file (output in upper case, exit 0 at the end of input), and lxrun
started with stdin and stdout closed."""

import os
import subprocess
import tempfile

import lxtest
from lxtest import Lxrun, check, connect, recv_exactly, run_lxrun


def test_upper_from_pipe():
    code, out, err = run_lxrun(["--app", lxtest.sample("upper")], input_bytes=b"abc\nxyz\n")
    check(code == 0, f"exit {code}; stderr {err}")
    check(out == b"ABC\nXYZ\n", f"stdout {out!r}")


def test_upper_from_regular_file_large():
    lines = [f"line {i} of the file\n" for i in range(50000)]
    with tempfile.TemporaryFile() as source:
        source.write("".join(lines).encode())
        source.write(b"last line without newline")
        source.seek(0)
        code, out, err = run_lxrun(["--app", lxtest.sample("upper")], stdin=source, timeout=30)
    check(code == 0, f"exit {code}; stderr {err}")
    expected = "".join(lines).upper().encode() + b"LAST LINE WITHOUT NEWLINE"
    check(out == expected, f"stdout differs: {len(out)} bytes, expected {len(expected)}")


def test_upper_to_regular_file():
    with tempfile.TemporaryFile() as sink:
        done = subprocess.run([lxtest.LXRUN, "--app", lxtest.sample("upper")], input=b"q\n",
                              stdout=sink, stderr=subprocess.PIPE, timeout=10)
        sink.seek(0)
        out = sink.read()
    check(done.returncode == 0, f"exit {done.returncode}; stderr {done.stderr!r}")
    check(out == b"Q\n", f"file holds {out!r}")



def test_started_without_stdin_and_stdout():
    """`lxrun <&- >&-`: a socket must not take fd 0 or 1 (libuv aborts when it
    closes a socket numbered 0..2)."""

    def close_stdin_stdout():
        os.close(0)
        os.close(1)

    run = Lxrun(lxtest.sample("echo"), preexec_fn=close_stdin_stdout)
    with connect(run.port) as sock:
        sock.sendall(b"still served\n")
        check(recv_exactly(sock, 13) == b"still served\n", "echo differs")
    check(run.stop() == 0, "lxrun did not exit 0: " + "\n".join(run.lines))
    check(not any("Assertion" in line for line in run.lines), "\n".join(run.lines))


def test_started_without_stdout_keeps_the_log_clean():
    """`lxrun >&- --record F`: the log file must not become fd 1, or the app's
    stdout bytes would be written into it."""
    log = os.path.join(tempfile.mkdtemp(prefix="lx-nofds-"), "x.lxw")
    app = lxtest.make_app({"main.lua": "local n = 0\n"
                           "function update() n = n + 1; lx.stdio():write('tick ' .. n .. '\\n')\n"
                           "  if n == 50 then lx.stop() end end\n"})
    done = subprocess.run([lxtest.LXRUN, "--app", app, "--record", log, "--tick-ms", "10"],
                          stdin=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, timeout=20, preexec_fn=lambda: os.close(1))
    check(done.returncode == 0, f"exit {done.returncode}: {done.stderr.decode()}")
    dump = subprocess.run([os.environ.get("LXDUMP", "lxdump"), log, "--stats", "--strict"],
                          capture_output=True, timeout=10)
    check(dump.returncode == 0 and b"health: clean" in dump.stdout,
          (dump.stdout + dump.stderr).decode())


lxtest.main(globals())
