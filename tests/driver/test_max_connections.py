"""lxrun --max-connections and the file-descriptor limit: beyond either, new
connections are closed at once while the ones held keep being served; lxrun
says so once when shedding starts and once, with the count, when it ends;
the recording of it replays. Standard library only."""

import re
import resource
import socket
import time

import lxtest
from lxtest import Lxrun, check, check_replays, connect, recv_exactly, run_lxrun, work_path

START_RE = r"^lxrun: warning: shedding load: "
END_RE = r"^lxrun: shedding ended: (\d+) connection\(s\) refused"


def echoes(sock, text=b"still served\n"):
    sock.sendall(text)
    return recv_exactly(sock, len(text)) == text


def refused(port):
    """Connects and reads: a shed connection ends at once (EOF or reset)."""
    with connect(port, timeout=5) as sock:
        try:
            return sock.recv(16) == b""
        except ConnectionResetError:
            return True


def lines_matching(run, pattern):
    return [line for line in run.stderr_text().splitlines() if re.search(pattern, line)]


def shed_and_recover(run, held, extra, start_pattern):
    """Holds `held` connections, checks that `extra` more are refused, that the
    held ones are still served, and that after a quiet second a new one is
    admitted and the end line counts every refusal."""
    socks = [connect(run.port) for _ in range(held)]
    check(all(echoes(sock) for sock in socks), "a connection within the limit was not served")
    outcomes = [refused(run.port) for _ in range(extra)]
    check(all(outcomes), f"{outcomes.count(False)} of {extra} connections over the limit stayed")
    run.wait_line(START_RE + start_pattern)
    check(len(lines_matching(run, START_RE)) == 1,
          "shedding was reported more than once:\n" + run.stderr_text())
    check(all(echoes(sock) for sock in socks), "a held connection stopped being served")
    for sock in socks[:5]:
        sock.close()
    time.sleep(1.2)  # a second without a refusal ends the episode
    with connect(run.port) as sock:
        check(echoes(sock), "a connection after shedding ended was not served")
    run.wait_line(END_RE)
    counts = [int(re.search(END_RE, line).group(1)) for line in lines_matching(run, END_RE)]
    check(counts == [extra], f"end lines {counts}, want one counting {extra}")
    for sock in socks[5:]:
        sock.close()


def test_max_connections_sheds_and_says_so_once():
    log = work_path("max-connections.lxw")
    run = Lxrun(lxtest.sample("echo"), extra=["--max-connections", "20", "--record", log])
    shed_and_recover(run, 20, 30, r"--max-connections 20 reached on 127\.0\.0\.1:\d+")
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    check_replays(log)


def test_fd_limit_below_max_connections_sheds_the_same_way():
    limit = 64

    def low_fd_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    log = work_path("emfile.lxw")
    run = Lxrun(lxtest.sample("echo"), extra=["--record", log], preexec_fn=low_fd_limit)
    run.wait_line(r"^lxrun: warning: --max-connections 960 needs 992 file descriptors but the "
                  r"limit is 64 \(ulimit -n; hard limit 64\): new connections are refused once "
                  r"fewer than 32 descriptors are left; raise ulimit -n")
    # lxrun holds about 15 descriptors of its own and keeps 32 in reserve: some
    # 15 connections fit; hold 10 and see 40 more refused.
    socks = [connect(run.port) for _ in range(10)]
    check(all(echoes(sock) for sock in socks), "a connection under the fd limit was not served")
    more = [connect(run.port) for _ in range(40)]
    time.sleep(0.3)  # lxrun has accepted them all by now, and closed the shed ones
    kept = [sock for sock in more if not _ended(sock)]
    check(len(kept) < 20, f"{len(kept)} of 40 connections near the fd limit stayed")
    run.wait_line(START_RE + r"out of file descriptors on 127\.0\.0\.1:\d+ \(descriptor \d+ of "
                  r"the limit 64, 32 kept in reserve; raise ulimit -n\)")
    check(len(lines_matching(run, START_RE)) == 1,
          "shedding was reported more than once:\n" + run.stderr_text())
    check(all(echoes(sock) for sock in socks + kept), "a held connection stopped being served")
    refused_count = 40 - len(kept)
    for sock in socks + more:
        sock.close()
    time.sleep(1.2)
    with connect(run.port) as sock:
        check(echoes(sock), "no connection was served once descriptors were free again")
    run.wait_line(END_RE)
    counts = [int(re.search(END_RE, line).group(1)) for line in lines_matching(run, END_RE)]
    check(counts == [refused_count], f"end lines {counts}, want one counting {refused_count}")
    check(run.stop() == 0, "lxrun did not exit 0:\n" + run.stderr_text())
    check_replays(log)


def _ended(sock):
    """True when lxrun has closed sock (a shed connection), without waiting."""
    sock.setblocking(False)
    try:
        return sock.recv(16) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.settimeout(10)


def test_max_connections_zero_is_a_usage_error():
    code, _, err = run_lxrun(["--app", lxtest.sample("echo"), "--max-connections", "0"])
    check(code == 2 and "--max-connections must be at least 1" in err, f"exit {code}: {err}")


lxtest.main(globals())
