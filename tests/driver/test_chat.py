"""lxrun with samples/chat: a line reaches the two other clients and not its
sender; joins and leaves are announced."""

import lxtest
from lxtest import Lxrun, check, connect, recv_line


def test_chat_three_clients():
    run = Lxrun(lxtest.sample("chat"))
    names = ["alice", "bob", "carol"]
    socks = {}
    pending = {}
    for name in names:
        socks[name] = connect(run.port, timeout=5)
        pending[name] = bytearray()
        socks[name].sendall(f"{name}\n".encode())
        # Everyone already there hears about the newcomer.
        for other in socks:
            if other != name:
                line = recv_line(socks[other], pending[other])
                check(line == f"* {name} joined", f"{other} got {line!r}, not the join of {name}")

    socks["alice"].sendall(b"hello there\n")
    for other in ("bob", "carol"):
        line = recv_line(socks[other], pending[other])
        check(line == "alice: hello there", f"{other} got {line!r}")
    # If alice had got her own line back, it would come before bob's.
    socks["bob"].sendall(b"hi alice\n")
    line = recv_line(socks["alice"], pending["alice"])
    check(line == "bob: hi alice", f"alice got {line!r} (her own line echoed?)")
    line = recv_line(socks["carol"], pending["carol"])
    check(line == "bob: hi alice", f"carol got {line!r}")

    socks["carol"].close()
    for other in ("alice", "bob"):
        line = recv_line(socks[other], pending[other])
        check(line == "* carol left", f"{other} got {line!r}")
    for name in ("alice", "bob"):
        socks[name].close()
    check(run.stop() == 0, "lxrun did not exit 0")


lxtest.main(globals())
