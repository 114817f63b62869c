"""lxreplay on the regression inputs of tests/data/regress (each guards a defect
named in its README.md). Runs like the other e2e tests: `python3 FILE TEST`
with LXREPLAY and LX_REGRESS (the folder) in the environment."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "driver"))
import lxtest  # noqa: E402
from lxtest import check  # noqa: E402

LXREPLAY = os.environ.get("LXREPLAY", "lxreplay")
REGRESS = os.environ.get("LX_REGRESS", os.path.join(os.path.dirname(__file__), "..", "regress"))


def replay(*args):
    return lxtest.run_tool(LXREPLAY, *args)


def test_runaway_main_replay_ends_at_the_budget():
    """runaway-main.lxw: main.lua is `while true do end` and the header (format
    1.0) records no budget. The replay must end, naming the stopped chunk,
    and say the same every time."""
    log = os.path.join(REGRESS, "runaway-main.lxw")
    # --keep-going: every recorded event replays (each later update() finds
    # no update() defined), not only those up to the first divergence.
    code, out, err = replay(log, "--keep-going")
    check(code == 1, f"exit {code}, want 1 (the checkpoints cannot match):\n{out}\n{err}")
    check("lxreplay: note: the log records no limits (format 1.0); replaying with the default "
          "instruction budget of 500000000" in err, err)
    check("lxreplay: app: error in main.lua: main.lua:1: instruction budget of 500000000 "
          "exceeded in main.lua" in err, err)
    check("DIVERGENCE at the checkpoint after event 3" in out, out)
    check("104 events replayed" in out, out)
    again = replay(log, "--keep-going")
    check(again == (code, out, err), "a second replay said something else")


lxtest.main(globals())
