#!/usr/bin/env python3
"""Paired, interleaved timing: how much longer COMMAND takes than BASELINE.

usage: paired.py ROUNDS LABEL COMMAND BASE_LABEL BASELINE [TARGET]

Each round runs COMMAND, BASELINE and `true`, in a random order, and keeps COMMAND's time
minus BASELINE's. A shared machine drifts by milliseconds from one second to the next; both
halves of a pair see the same drift, so the median of the differences resolves a fraction of a
millisecond where two separate runs of each command (hyperfine's way) do not. `true` measures
what starting any process from here costs, which is taken off BASELINE before the ratio.

Prints one row of bench/RESULTS.md's table. TARGET is `ratio:X` (judged on the ratio) or
`overhead:MS` (judged on the median difference).
"""

import random
import shlex
import statistics
import subprocess
import sys
import time


def run(argv):
    start = time.perf_counter_ns()
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter_ns() - start) / 1e6


def median_ci(values, resamples=2000):
    """The median and a 95 % bootstrap interval around it."""
    rng = random.Random(7)
    medians = sorted(statistics.median(rng.choices(values, k=len(values)))
                     for _ in range(resamples))
    return statistics.median(values), medians[resamples // 40], medians[-resamples // 40 - 1]


def main():
    rounds = int(sys.argv[1])
    label, command, base_label, baseline = sys.argv[2:6]
    target = sys.argv[6] if len(sys.argv) > 6 else ""
    commands = {"command": shlex.split(command), "baseline": shlex.split(baseline),
                "spawn": ["true"]}
    for _ in range(5):
        for argv in commands.values():
            run(argv)
    times = {name: [] for name in commands}
    for _ in range(rounds):
        order = list(commands)
        random.shuffle(order)
        for name in order:
            times[name].append(run(commands[name]))
    diffs = [c - b for c, b in zip(times["command"], times["baseline"])]
    diff, low, high = median_ci(diffs)
    base = statistics.median(times["baseline"]) - statistics.median(times["spawn"])
    ratio = (base + diff) / base
    verdict = "—"
    if target:
        kind, limit = target.split(":")
        limit = float(limit)
        value, shown = {"ratio": (ratio, f"≤ {limit:g}×"),
                        "overhead": (diff, f"≤ {limit:g} ms more")}[kind]
        verdict = f"{shown}: {'met' if value <= limit else '**missed**'}"
    ms = lambda name: f"{statistics.median(times[name]):.2f} ms (median, paired)"
    # A baseline that takes about as long as starting `true` leaves no ratio to speak of.
    shown_ratio = f"{ratio:.3f}×" if base >= 1 else "—"
    print(f"| {label} | {ms('command')} | {base_label} | {ms('baseline')} "
          f"| {diff:+.2f} ms (95 % CI {low:+.2f} … {high:+.2f}, {rounds} pairs) "
          f"| {shown_ratio} | {verdict} |")


main()
