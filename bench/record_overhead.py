#!/usr/bin/env python3
"""What recording costs a real server: wrk against samples/http (or
redis-benchmark against samples/kv) under lxrun with recording off and on,
alternating in the same run, then the requests/s of each, their ratio, lxrun's
CPU seconds per 100k requests (from /proc/PID/stat) and the log's size per
request.

    bench/record_overhead.py [--app http|kv] [--duration S] [--rounds N]
                             [--connections C] [--threads T] [--requests N]
                             [--bin DIR] [-- LXRUN_RECORD_FLAGS...]

Not a test: numbers on a shared machine move by several per cent from run to
run, so it alternates off/on rounds and prints every round. Loopback only.
bench/run imports the helpers below (lxrun, wrk, redis-benchmark, /proc)."""

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
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    """A benchmark step that could not run; the message says what to do."""


def start_lxrun(lxrun, app, extra):
    """Starts lxrun on an ephemeral loopback port. @return (proc, port)."""
    proc = subprocess.Popen([lxrun, "--app", os.path.join(TOP, "samples", app),
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
    proc.wait()
    raise BenchError("lxrun did not start:\n" + "".join(lines))


def cpu_seconds(pid):
    """User plus system CPU seconds of a live process (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_bytes(pid):
    """VmHWM of a live process, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise BenchError(f"no VmHWM in /proc/{pid}/status")


def stop_lxrun(proc):
    """SIGINT, then waits. @return (cpu_seconds, peak_rss_bytes) read just before."""
    cpu = cpu_seconds(proc.pid)
    rss = peak_rss_bytes(proc.pid)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    code = proc.wait(60)
    if code != 0:
        raise BenchError(f"lxrun exited {code}:\n{rest}")
    return cpu, rss


def run_wrk(port, threads, connections, duration_s):
    """@return (requests per second, requests) of one wrk run on GET /."""
    done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration_s}s",
                           f"http://127.0.0.1:{port}/"],
                          capture_output=True, text=True, timeout=duration_s + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk exited {done.returncode}: {done.stderr}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    requests = int(re.search(r"(\d+) requests in", done.stdout).group(1))
    errors = re.search(r"Socket errors: .*|Non-2xx.*", done.stdout)
    if errors:
        print(f"    wrk reported: {errors.group(0)}")
    return rps, requests


def run_redis_benchmark(port, requests, clients=20, pipeline=8, tests="set,get"):
    """@return {"SET": rps, "GET": rps} of one redis-benchmark run."""
    done = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", tests,
                           "-n", str(requests), "-c", str(clients), "-P", str(pipeline), "-q"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"redis-benchmark exited {done.returncode}: {done.stderr}")
    rates = {}
    # -q prints "SET: 123456.79 requests per second, p50=0.1 msec" (with \r progress).
    for name, rps in re.findall(r"([A-Z]+): ([\d.]+) requests per second", done.stdout):
        rates[name] = float(rps)
    for name in tests.upper().split(","):
        if name not in rates:
            raise BenchError(f"redis-benchmark printed no {name} rate: {done.stdout[-400:]}")
    return rates


def run_main(name, main):
    """Runs a benchmark's main; a BenchError is one line on stderr and exit 1."""
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        sys.exit(1)


def log_stats(lxdump, log):
    """The `stats` line of lxdump --stats --json (docs/json.md)."""
    lines = subprocess.run([lxdump, log, "--stats", "--json"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    return next(s for s in map(json.loads, lines) if s["kind"] == "stats")


def one_round(args, lxrun, extra):
    """One lxrun run under load. @return (rps, requests, cpu_s, rss_bytes)."""
    proc, port = start_lxrun(lxrun, args.app, extra)
    try:
        if args.app == "http":
            rps, requests = run_wrk(port, args.threads, args.connections, args.duration)
        else:
            rates = run_redis_benchmark(port, args.requests, clients=args.connections)
            rps = statistics.mean(rates.values())
            requests = args.requests * len(rates)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    cpu, rss = stop_lxrun(proc)
    return rps, requests, cpu, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=["http", "kv"], default="http")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (http)")
    parser.add_argument("--requests", type=int, default=200000,
                        help="redis-benchmark -n, per command (kv)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bin", default=os.path.join(TOP, "build", "bin"))
    parser.add_argument("record_flags", nargs="*", help="more lxrun flags for the 'on' runs")
    args = parser.parse_args()
    client = "wrk" if args.app == "http" else "redis-benchmark"
    if shutil.which(client) is None:
        sys.exit(f"record_overhead: error: {client} is not installed; run scripts/setup")
    lxrun = os.path.join(args.bin, "lxrun")
    lxdump = os.path.join(args.bin, "lxdump")
    work = tempfile.mkdtemp(prefix="lx_record_overhead_")
    load = (f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s" if args.app == "http"
            else f"redis-benchmark -t set,get -n {args.requests} -c {args.connections} -P 8")
    print(f"samples/{args.app} under lxrun, {load}, {args.rounds} rounds of off then on")
    print("recording: " + " ".join(["--record FILE"] + args.record_flags) + " (defaults otherwise)")
    off, on = [], []
    try:
        for round_number in range(1, args.rounds + 1):
            rps_off, requests_off, cpu_off, _ = one_round(args, lxrun, [])
            log = os.path.join(work, f"round{round_number}.lxw")
            rps_on, requests, cpu_on, _ = one_round(args, lxrun,
                                                    ["--record", log] + args.record_flags)
            stats = log_stats(lxdump, log)
            file_bytes = os.path.getsize(log)
            off.append(rps_off)
            on.append(rps_on)
            print(f"round {round_number}: off {rps_off:9.0f} req/s | on {rps_on:9.0f} req/s | "
                  f"on/off {rps_on / rps_off:.3f} | lxrun CPU per 100k requests: off "
                  f"{1e5 * cpu_off / requests_off:.2f} s, on {1e5 * cpu_on / requests:.2f} s | "
                  f"log {file_bytes} B for {requests} requests "
                  f"= {file_bytes / requests:.1f} B/request ({stats['raw_bytes'] / requests:.1f} "
                  f"B/request before zstd, ratio {stats['compression_ratio']:.2f}, "
                  f"{stats['events'] / requests:.2f} events/request, health {stats['health']})")
    except BenchError as e:
        sys.exit(f"record_overhead: error: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for name, pick in (("mean", statistics.mean), ("median", statistics.median)):
        print(f"{name}: off {pick(off):.0f} req/s, on {pick(on):.0f} req/s, "
              f"recording keeps {100 * pick(on) / pick(off):.1f} % of the throughput")


if __name__ == "__main__":
    main()
