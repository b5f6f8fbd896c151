#!/usr/bin/env bash
# How close concprof's per-thread figures come to the kernel's own, on the ground-truth
# programs of tests/gt: runs the integration tests with ACCURACY_LOG set and summarises, per
# program, how far on-CPU time (vs CLOCK_THREAD_CPUTIME_ID) and runnable time (vs schedstat
# run_delay) fell outside the interval the truth allows. Needs root, like the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
ACCURACY_LOG=$log tests/run tests/integration/test_*.py >/dev/null 2>&1 || true
python3 - "$log" <<'PY'
import collections, sys
rows = collections.defaultdict(lambda: {"n": 0, "cpu": [0, 0], "runnable": [0, 0],
                                        "cpu_total": 0})
# The tests' tolerances: 1% + 1 ms on-CPU, 3% + 2 ms runnable.
TOLERANCE = {"cpu": (0.01, 1_000_000), "runnable": (0.03, 2_000_000)}
for line in open(sys.argv[1]):
    label, tid, what, got, lo, hi, off = line.split()
    r = rows[label]
    got, lo, hi, off = int(got), int(lo), int(hi), int(off)
    if what == "cpu":
        r["n"] += 1
        r["cpu_total"] += got
    worst = r[what]
    worst[0] = max(worst[0], off)
    rel, abs_ = TOLERANCE[what]
    worst[1] += off > rel * hi + abs_
print(f"{'program':<15} {'threads':>7} {'CPU time':>11}   {'on-CPU: worst miss, beyond':>26}"
      f"   {'runnable: worst miss, beyond':>28}")
for label in sorted(rows):
    r = rows[label]
    print(f"{label:<15} {r['n']:>7} {r['cpu_total'] / 1e6:>8.1f} ms   "
          f"{r['cpu'][0] / 1e3:>17.0f} µs {r['cpu'][1]:>6}   "
          f"{r['runnable'][0] / 1e3:>19.0f} µs {r['runnable'][1]:>6}")
print("A miss is how far concprof's figure fell outside what the kernel's figures allow (0: "
      "inside); 'beyond' counts the threads whose miss exceeds the tests' tolerance (1% + 1 ms "
      "on-CPU, 3% + 2 ms runnable).")
PY
