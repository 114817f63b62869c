#!/usr/bin/env python3
"""What rotating segments cost (issue 10, docs/recording.md "Segments"):
samples/http under wrk, recorded into one file (A) and into a directory of
segments (B, --segment-bytes), alternating A B A B; prints requests/s of
each and their ratio, every switch time lxrun reports for B (median, 90th
percentile, max) and the bytes the segments' opening snapshots add.

    bench/rotation.py [--pairs N] [--seconds S] [--segment-bytes N] [--bin DIR]

Not a test: a shared machine's times move from run to run; the figures are
medians of one run. Loopback only."""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
import record_overhead as ro  # noqa: E402

SWITCH_RE = re.compile(r"^lxrun: segment \d+: .* the switch took ([\d.]+) ms\)$")


def one_file_run(bin_dir, log, seconds):
    """@return requests/s of wrk against lxrun recording into one file."""
    proc, port = ro.start_lxrun(os.path.join(bin_dir, "lxrun"), "http", ["--record", log])
    rps, _ = ro.run_wrk(port, 2, 20, seconds)
    ro.stop_lxrun(proc)
    return rps


def segmented_run(bin_dir, directory, segment_bytes, seconds):
    """@return (requests/s, the switch times in ms lxrun printed)."""
    lxrun = os.path.join(bin_dir, "lxrun")
    proc, port = ro.start_lxrun(lxrun, "http",
                                ["--record", directory, "--segment-bytes", str(segment_bytes)])
    rps, _ = ro.run_wrk(port, 2, 20, seconds)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    if proc.wait(60) != 0:
        raise ro.BenchError(f"lxrun exited {proc.returncode}:\n{rest}")
    switches = [float(m.group(1)) for m in map(SWITCH_RE.match, rest.splitlines()) if m]
    return rps, switches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--segment-bytes", type=int, default=4 << 20)
    parser.add_argument("--bin", default=os.path.join(os.path.dirname(BENCH), "build", "bin"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("rotation: error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    lxdump = os.path.join(args.bin, "lxdump")
    work = tempfile.mkdtemp(prefix="lx_rotation_bench_")
    one_file, segmented, switches = [], [], []
    snapshot_bytes = total_bytes = segments = 0
    for i in range(args.pairs):
        log = os.path.join(work, f"a{i}.lxw")
        one_file.append(one_file_run(args.bin, log, args.seconds))
        directory = os.path.join(work, f"b{i}") + "/"
        rps, times = segmented_run(args.bin, directory, args.segment_bytes, args.seconds)
        segmented.append(rps)
        switches += times
        stats = ro.log_stats(lxdump, directory)
        files = [f for f in os.listdir(directory) if f.endswith(".lxw")]
        segments += len(files)
        total_bytes += stats["file_bytes"]
        snapshot_bytes += stats["snapshot_bytes"]
        print(f"  pair {i + 1}: one file {one_file[-1]:,.0f} req/s; segments {rps:,.0f} req/s, "
              f"{len(files)} segments, {len(times)} switches", flush=True)
        os.remove(log)
        shutil.rmtree(directory)
    a, b = statistics.median(one_file), statistics.median(segmented)
    print(f"requests/s median: one file {a:,.0f}, segments of {args.segment_bytes:,} bytes "
          f"{b:,.0f}: ratio {b / a:.3f}")
    if switches:
        switches.sort()
        p90 = switches[min(len(switches) - 1, int(0.9 * len(switches)))]
        print(f"switch (lxrun's own figure) over {len(switches)}: median "
              f"{statistics.median(switches):.1f} ms, p90 {p90:.1f} ms, max {switches[-1]:.1f} ms")
    print(f"snapshots in {segments} segments: {snapshot_bytes:,} of {total_bytes:,} bytes "
          f"({100.0 * snapshot_bytes / max(1, total_bytes):.2f}%; each segment but the first opens "
          f"with one)")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    ro.run_main("rotation", main)
