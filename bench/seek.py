#!/usr/bin/env python3
"""What the log's snapshots buy and cost (issue 10, docs/recording.md
"Snapshots"): records samples/http under wrk until the log holds at least
--events events (lxrun's default snapshot flags unless given after --), then
times `lxreplay LOG --until N` for --seeks random N against a full replay of
the same log, alternating (full, seek, full, seek, ...), and reports the
bytes the snapshot records take in the log.

    bench/seek.py [--events N] [--seeks K] [--bin DIR] [--keep DIR]
                  [-- LXRUN_FLAGS...]

Not a test: a shared machine's times move from run to run; the figure is the
median seek against the median full replay of one run. Loopback only."""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import record_overhead as ro  # noqa: E402


def timed(args):
    started = time.monotonic()
    done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise ro.BenchError(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return elapsed, done.stderr


def snapshot_bytes(lxdump, log):
    out = subprocess.run([lxdump, log, "--json", "--type", "snapshot_data"], capture_output=True,
                         text=True, check=True).stdout
    pieces = [json.loads(line) for line in out.splitlines()]
    return sum(p.get("size_bytes", 0) for p in pieces if p.get("record_type") == "snapshot_data")


def record(bin_dir, log, events, extra):
    """Records under wrk until the log holds at least `events` events."""
    lxrun = os.path.join(bin_dir, "lxrun")
    lxdump = os.path.join(bin_dir, "lxdump")
    # Calibrate: events per second of wrk against a recording lxrun.
    probe = log + ".probe"
    proc, port = ro.start_lxrun(lxrun, "http", ["--record", probe] + extra)
    ro.run_wrk(port, 2, 20, 3)
    ro.stop_lxrun(proc)
    rate = ro.log_stats(lxdump, probe)["events"] / 3.0
    os.remove(probe)
    seconds = max(3, int(events / rate * 1.15) + 1)
    print(f"recording about {rate:,.0f} events/s: {seconds} s of wrk for {events:,} events",
          flush=True)
    proc, port = ro.start_lxrun(lxrun, "http", ["--record", log] + extra)
    ro.run_wrk(port, 2, 20, seconds)
    ro.stop_lxrun(proc)
    return ro.log_stats(lxdump, log)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seeks", type=int, default=20)
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(BENCH), "build", "bin"))
    parser.add_argument("--keep", help="keep the log in this directory")
    parser.add_argument("extra", nargs="*", help="lxrun flags (after --)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("seek: error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    work = args.keep or tempfile.mkdtemp(prefix="lx_seek_bench_")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "http.lxw")
    if os.path.exists(log):
        os.remove(log)
    lxreplay = os.path.join(args.bin, "lxreplay")
    lxdump = os.path.join(args.bin, "lxdump")
    stats = record(args.bin, log, args.events, args.extra)
    events = stats["events"]
    snaps = stats["per_type"].get("snapshot_taken", 0)
    snap_bytes = snapshot_bytes(lxdump, log)
    print(f"log: {events:,} events, {stats['file_bytes']:,} bytes, {snaps} snapshots "
          f"taking {snap_bytes:,} bytes ({100.0 * snap_bytes / stats['file_bytes']:.1f}% of the "
          f"file)", flush=True)
    rng = random.Random(1)
    targets = [rng.randint(1, events) for _ in range(args.seeks)]
    full, seek = [], []
    for i, n in enumerate(targets):
        if i % 4 == 0 or len(full) < 3:  # a full replay is long: one per 4 seeks, at least 3
            elapsed, _ = timed([lxreplay, log, "--quiet"])
            full.append(elapsed)
            print(f"  full replay: {elapsed:.2f} s", flush=True)
        elapsed, err = timed([lxreplay, log, "--quiet", "--until", str(n)])
        start = "event 1"
        for line in err.splitlines():
            if "starting from the log's snapshot of event" in line:
                start = "snapshot " + line.split("snapshot of event ")[1].split(",")[0]
        seek.append(elapsed)
        print(f"  --until {n:>10,}: {elapsed:.3f} s (from {start})", flush=True)
    full_median = statistics.median(full)
    seek_median = statistics.median(seek)
    print(f"full replay median {full_median:.2f} s over {len(full)}; --until median "
          f"{seek_median:.3f} s over {len(seek)} (max {max(seek):.3f} s): "
          f"ratio {seek_median / full_median:.4f} (target at most 0.05)")
    if not args.keep:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    ro.run_main("seek", main)
