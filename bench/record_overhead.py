#!/usr/bin/env python3
"""What recording costs a real server: wrk against samples/http under lxrun
with recording off and on, alternating in the same run, then the requests/s
of each, their ratio, and the log's size per request.

    bench/record_overhead.py [--duration S] [--rounds N] [--connections C]
                             [--threads T] [--bin DIR] [-- LXRUN_RECORD_FLAGS...]

Not a test: numbers on a shared machine move by several per cent from run to
run, so it alternates off/on rounds and prints every round. Loopback only."""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_lxrun(lxrun, extra):
    proc = subprocess.Popen([lxrun, "--app", os.path.join(TOP, "samples", "http"),
                             "--listen", "127.0.0.1:0"] + extra,
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        match = re.match(r"lxrun: listening on 127\.0\.0\.1:(\d+)$", line.strip())
        if match:
            return proc, int(match.group(1))
    proc.kill()
    sys.exit("record_overhead: error: lxrun did not start:\n" + "".join(lines))


def stop_lxrun(proc):
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    code = proc.wait(30)
    if code != 0:
        sys.exit(f"record_overhead: error: lxrun exited {code}:\n{rest}")


def run_wrk(port, args):
    done = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}",
                           f"-d{args.duration}s", f"http://127.0.0.1:{port}/"],
                          capture_output=True, text=True, timeout=args.duration + 60)
    if done.returncode != 0:
        sys.exit(f"record_overhead: error: wrk exited {done.returncode}: {done.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    requests = int(re.search(r"(\d+) requests in", done.stdout).group(1))
    errors = re.search(r"Socket errors: .*|Non-2xx.*", done.stdout)
    if errors:
        print(f"    wrk reported: {errors.group(0)}")
    return rps, requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bin", default=os.path.join(TOP, "build", "bin"))
    parser.add_argument("record_flags", nargs="*", help="more lxrun flags for the 'on' runs")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("record_overhead: error: wrk is not installed; run scripts/setup")
    lxrun = os.path.join(args.bin, "lxrun")
    lxdump = os.path.join(args.bin, "lxdump")
    work = tempfile.mkdtemp(prefix="lx_record_overhead_")
    wrk_line = f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
    print(f"samples/http under lxrun, {wrk_line}, {args.rounds} rounds of off then on")
    print("recording: " + " ".join(["--record FILE"] + args.record_flags) + " (defaults otherwise)")
    off, on = [], []
    try:
        for round_number in range(1, args.rounds + 1):
            proc, port = start_lxrun(lxrun, [])
            rps_off, _ = run_wrk(port, args)
            stop_lxrun(proc)
            log = os.path.join(work, f"round{round_number}.lxw")
            proc, port = start_lxrun(lxrun, ["--record", log] + args.record_flags)
            rps_on, requests = run_wrk(port, args)
            stop_lxrun(proc)
            lines = subprocess.run([lxdump, log, "--stats", "--json"], check=True,
                                   capture_output=True, text=True).stdout.splitlines()
            stats = next(s for s in map(json.loads, lines) if s["kind"] == "stats")
            file_bytes = os.path.getsize(log)
            off.append(rps_off)
            on.append(rps_on)
            print(f"round {round_number}: off {rps_off:9.0f} req/s | on {rps_on:9.0f} req/s | "
                  f"on/off {rps_on / rps_off:.3f} | log {file_bytes} B for {requests} requests "
                  f"= {file_bytes / requests:.1f} B/request ({stats['raw_bytes'] / requests:.1f} "
                  f"B/request before zstd, ratio {stats['compression_ratio']:.2f}, "
                  f"{stats['events'] / requests:.2f} events/request, health {stats['health']})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, pick in (("mean", statistics.mean), ("median", statistics.median)):
        print(f"{name}: off {pick(off):.0f} req/s, on {pick(on):.0f} req/s, "
              f"recording keeps {100 * pick(on) / pick(off):.1f} % of the throughput")


if __name__ == "__main__":
    main()
