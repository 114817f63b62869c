"""lxrun with samples/upper: stdin from a pipe and from a regular file, output
in upper case, exit 0 at the end of input."""

import os
import subprocess
import tempfile

import lxtest
from lxtest import check, run_lxrun


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


lxtest.main(globals())
