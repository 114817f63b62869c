"""lxreplay --repl end to end (issue 11): a session of tests/tools/apps/shop is
recorded with a real client, then the REPL is driven through a
pseudo-terminal: expressions, :next, :goto back and forth (the state after
going back equals the state first seen there), :until, :events, :where,
line editing and history, Ctrl-C, and the verdict at :quit. Also the REPL
fed from a pipe, and its usage errors. Run as `python3 test_repl.py TEST`
with LXRUN and LXREPLAY in the environment."""

import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import Lxrun, check, connect, recv_line  # noqa: E402

LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
SHOP = os.path.join(os.path.dirname(__file__), "apps", "shop")
WORK = tempfile.mkdtemp(prefix="lx_repl_")
_session = []


def shop_log():
    """Records the shop: one client adds three items, asks the total, checks
    out. Returns (log, the client's answers)."""
    if _session:
        return _session[0]
    log = os.path.join(WORK, "shop.lxw")
    run = Lxrun(SHOP, extra=["--record", log, "--checkpoint-every", "1"])
    answers = []
    with connect(run.port) as sock:
        pending = bytearray()
        for line in ("ADD apple 2", "ADD pear 1", "ADD plum 3", "TOTAL", "CHECKOUT"):
            sock.sendall(line.encode() + b"\n")
            answers.append(recv_line(sock, pending).strip())
    code = run.stop()
    check(code == 0, f"lxrun exited {code}:\n{run.stderr_text()}")
    _session.append((log, answers))
    return _session[0]


class Terminal:
    """lxreplay on a pseudo-terminal, with HOME in the work folder."""

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["HOME"] = WORK
            os.execv(LXREPLAY, [LXREPLAY] + list(args))
        self.seen = ""

    def read_until(self, pattern, timeout=20):
        """Reads until pattern (a regex) matches what arrived since the last
        call; returns that text."""
        regex = re.compile(pattern)
        text = ""
        deadline = time.monotonic() + timeout
        while not regex.search(text):
            left = deadline - time.monotonic()
            if left <= 0:
                raise lxtest.TestFailure(f"no {pattern!r} on the terminal; it shows:\n{text}")
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.2))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise lxtest.TestFailure(f"the terminal closed before {pattern!r}:\n{text}")
                text += chunk.decode("utf-8", "replace").replace("\r", "")
        self.seen += text
        return text

    def command(self, line, prompt=r"#\d+( \(end\))?> $"):
        os.write(self.fd, line.encode() + b"\r")
        return self.read_until(prompt)

    def exit_code(self, timeout=20):
        """Waits for lxreplay to exit, reading what it writes meanwhile (a
        full terminal buffer would block it)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                try:
                    while os.read(self.fd, 4096):
                        pass
                except OSError:
                    pass
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    text += os.read(self.fd, 4096).decode("utf-8", "replace")
                except OSError:
                    pass
        os.kill(self.pid, signal.SIGKILL)
        raise lxtest.TestFailure(f"lxreplay --repl did not exit; the terminal shows:\n{text}")


def value_of(answer):
    """The answer to an expression with a one-line value: the line before the
    next prompt. (The command line before it may show twice: the terminal
    echoes what arrives before libedit takes the terminal over.)"""
    lines = answer.split("\n")
    return lines[-2].strip() if len(lines) >= 2 else ""


def test_repl_moves_forward_and_back_and_sees_the_same_state():
    log, answers = shop_log()
    check(answers[3] == "TOTAL 15 3", f"the shop answered {answers}")  # prices in pricing.lua
    term = Terminal(log, "--repl", "--at", "1")
    term.read_until(r"#1> $")
    # The first ADD arrives as a recv_incoming; after the update that reads
    # it the cart holds one item.
    found = term.command(':until sessions and next(sessions) and '
                         '#select(2, next(sessions)).cart.items == 1')
    check("holds after event" in found, f":until did not stop:\n{found}")
    here = int(re.search(r"holds after event (\d+)", found).group(1))
    total_then = value_of(term.command("select(2, next(sessions)).cart.total"))
    check(re.fullmatch(r"\d+", total_then) is not None, f"the cart total is {total_then!r}")
    # Forward to the end, where the cart is empty again after CHECKOUT.
    moved = term.command(":goto 100000")
    check("the log ends after event" in moved, f":goto past the end:\n{moved}")
    later = value_of(term.command("select(2, next(sessions)) and select(2, next(sessions)).cart.total"))
    check(later in ("0", "nil"), f"after CHECKOUT the cart total is {later!r}")
    # Back: the state is the one seen there before.
    back = term.command(f":goto {here}")
    check(f"at event {here}" in back, f":goto {here} went elsewhere:\n{back}")
    again = value_of(term.command("select(2, next(sessions)).cart.total"))
    check(again == total_then, f"after going back the total is {again!r}, was {total_then!r}")
    # :next, :where, :events
    step = term.command(":next 2")
    check(f"at event {here + 2}" in step, f":next 2 from {here}:\n{step}")
    where = term.command(":where")
    check("channels:" in where and "accepted on port" in where and "(stdio)" in where,
          f":where:\n{where}")
    events = term.command(":events")
    check(f"> #{here + 2} " in events, f":events does not mark the current event:\n{events}")
    check("recv_incoming chid" in events, f":events:\n{events}")
    # Errors keep the prompt.
    check("unknown command ':frobnicate'" in term.command(":frobnicate"), "no unknown-command line")
    check("error:" in term.command("this is not lua"), "a bad chunk gave no error")
    check("error:" in term.command(":goto minus"), "a bad :goto gave no error")
    term.command(":help")
    check(":until COND" in term.seen, ":help does not list :until")
    os.write(term.fd, b":quit\r")
    check(term.exit_code() == 0, "the REPL of a matching replay did not exit 0")


def test_repl_line_editing_history_and_ctrl_c():
    log, _ = shop_log()
    history = os.path.join(WORK, ".lxreplay_history")
    if os.path.exists(history):
        os.remove(history)
    term = Terminal(log, "--repl", "--at", "2")
    term.read_until(r"#2> $")
    term.command(":next 1")
    # Ctrl-C at the prompt drops the line and keeps the REPL.
    os.write(term.fd, b"half a line")
    term.read_until(r"half a line$")  # the line is typed (libedit echoed it)
    os.write(term.fd, b"\x03")
    term.read_until(r"#3> $")
    # The up arrow brings back ":next 1"; Enter runs it again.
    os.write(term.fd, b"\x1b[A")
    term.read_until(r":next 1$")
    os.write(term.fd, b"\r")
    term.read_until(r"at event 4 .*\n#4> $")
    # Ctrl-D ends the REPL like :quit.
    os.write(term.fd, b"\x04")
    check(term.exit_code() == 0, "Ctrl-D did not end the REPL with exit 0")
    with open(history, encoding="utf-8", errors="replace") as f:
        # libedit writes a space as \040
        check(":next" in f.read(), "the history file does not hold the commands")


def test_repl_from_a_pipe_answers_each_line():
    log, answers = shop_log()
    # :conv shows each request beside its regenerated reply, up to the
    # current event only (after going back, the later ones are gone).
    done = subprocess.run([LXREPLAY, log, "--repl", "--at", "1"],
                          input=b":goto 100000\n:conv 1\n:goto 3\n:conv 1\n:conv x\n",
                          capture_output=True, timeout=60)
    out = done.stdout.decode()
    first, _, second = out.partition("at event 3 ")
    for answer in answers:
        check(f'replied {len(answer) + 1} bytes: "{answer}\\n"' in first,
              f"the conversation lacks the reply {answer!r}:\n{first}")
    check('arrived 12 bytes: "ADD apple 2\\n"' in first, f"no request in:\n{first}")
    check("replied" not in second and "give a channel number" in second,
          f"after :goto 3 the conversation still shows later replies:\n{second}")
    done = subprocess.run([LXREPLAY, log, "--repl", "--at", "3"],
                          input=b"1 + 1\n:next 2\n:goto 1\n:quit\n", capture_output=True,
                          timeout=60)
    out = done.stdout.decode()
    check(done.returncode == 0, f"exit {done.returncode}: {done.stderr.decode()}")
    check(out.splitlines()[0] == "2", f"the first answer is not 2:\n{out}")
    check("at event 5" in out and "at event 1" in out, f"the moves were not reported:\n{out}")
    check("#" not in out.splitlines()[0] and "> " not in out, f"a pipe got prompts:\n{out}")
    check("checkpoints matched" in done.stderr.decode(), "no replay summary on stderr")


def test_repl_usage_errors():
    log, _ = shop_log()
    for args, words in ((["--repl", "--json"], "--repl answers in text"),
                        (["--repl", "--probe", "1"], "separate modes"),
                        (["--repl", "--at", "99999"], "the log ends after event")):
        done = subprocess.run([LXREPLAY, log] + args, capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        err = done.stderr.decode()
        check(done.returncode == 2, f"lxreplay {' '.join(args)} exited {done.returncode}: {err}")
        check(words in err, f"lxreplay {' '.join(args)} said: {err}")
    with open(log, "rb") as f:
        done = subprocess.run([LXREPLAY, "-", "--repl"], stdin=f, capture_output=True,
                              timeout=60)
    check(done.returncode == 2 and "give the log as a file" in done.stderr.decode(),
          f"--repl on standard input: {done.returncode} {done.stderr.decode()}")


if __name__ == "__main__":
    lxtest.main(globals())
