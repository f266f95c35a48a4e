#!/usr/bin/env python3
"""Median, min and max of criterion's per-iteration sample means, per benchmark.

    python3 bench/criterion_summary.py [TARGET_DIR] [FILTER]

Reads TARGET_DIR/criterion/**/new/sample.json (TARGET_DIR: $CARGO_TARGET_DIR or target)
and prints one line per benchmark whose id contains FILTER: the median, min and max of
times[i] / iters[i] over the samples of the last run, which is what docs/performance.md
reports (not criterion's confidence interval). Benchmarks with a throughput (elements per
iteration) also get elements per second at the median.
"""
import json
import os
import statistics
import sys


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    needle = sys.argv[2] if len(sys.argv) > 2 else ""
    root = os.path.join(target, "criterion")
    rows = []
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "sample.json" not in files:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        if needle not in bench["full_id"]:
            continue
        with open(os.path.join(dirpath, "sample.json")) as f:
            sample = json.load(f)
        per_iter = [t / i for t, i in zip(sample["times"], sample["iters"])]
        med = statistics.median(per_iter)
        line = f"{bench['full_id']:<78} {fmt(med):>11} ({fmt(min(per_iter))}/{fmt(max(per_iter))}) n={len(per_iter)}"
        elements = (bench.get("throughput") or {}).get("Elements")
        if elements:
            line += f"  {elements / med * 1e3:.1f} M elem/s"
        rows.append(line)
    for line in sorted(rows):
        print(line)


if __name__ == "__main__":
    main()
