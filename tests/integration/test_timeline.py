#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Timelines: the spans concprof draws must be the same time as the totals it reports.

For ground-truth programs (spinners on every CPU and on twice as many, a contended mutex, a pipe
ping-pong, 200 short-lived children, a sleeper) run with --json and --spans: each thread's spans
tile its lifetime exactly (no gap, no overlap, first at its start, last at its end), and per
state they add up to the thread's totals in the JSON: user, sys, runnable (preempted, woken) and
blocked by reason. Sums are exact but for slices longer than 2.1 s, whose sys part the stream
carries in µs, and for spans marked incomplete (none expected here). On-CPU spans of one CPU
never overlap. Then primes --mode gil: worker threads take turns (one on a CPU at a time,
handing over many times), which is what the timeline exists to show."""
import collections
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_spans(path):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = []
        for line in f:
            v = dict(zip(header, line.rstrip("\n").split("\t")))
            for k in ("tid", "pid", "start_ns", "end_ns", "syscall", "cpu", "user_ns", "sys_ns",
                      "waker"):
                v[k] = int(v[k])
            rows.append(v)
    return header, rows


def spans_by_thread(rows):
    by = collections.defaultdict(list)
    for r in rows:
        by[(r["tid"], r["pid"])].append(r)
    return by


def check_spans(tap, run, label, rows):
    by = spans_by_thread(rows)
    bad_tile, bad_sum, worst = [], [], 0
    threads = run.threads()
    # A tid reused within the run has two JSON threads; tell them apart by start.
    for t in threads:
        spans = [s for s in by.get((t["tid"], t["pid"]), [])
                 if t["start_ns"] <= s["start_ns"] < t["end_ns"] or
                 (s["start_ns"] == s["end_ns"] == t["start_ns"])]
        if not spans:
            if t["end_ns"] > t["start_ns"]:
                bad_tile.append(f"tid {t['tid']}: no spans")
            continue
        if spans[0]["start_ns"] != t["start_ns"] or spans[-1]["end_ns"] != t["end_ns"]:
            bad_tile.append(f"tid {t['tid']}: spans {spans[0]['start_ns']}..{spans[-1]['end_ns']}"
                            f" vs life {t['start_ns']}..{t['end_ns']}")
        for a, b in zip(spans, spans[1:]):
            if a["end_ns"] != b["start_ns"]:
                bad_tile.append(f"tid {t['tid']}: gap/overlap at {a['end_ns']} -> {b['start_ns']}")
                break
        got = collections.Counter()
        long_slices = 0
        for s in spans:
            n = s["end_ns"] - s["start_ns"]
            if s["state"] == "cpu":
                got["user_ns"] += s["user_ns"]
                got["sys_ns"] += s["sys_ns"]
                long_slices += n >= 2**31
            elif s["state"] == "preempted":
                got["preempted"] += n
            elif s["state"] == "woken":
                got["woken"] += n
            elif s["state"] == "blocked":
                got["blocked:" + s["reason"]] += n
            else:
                got["unknown"] += n
        want = collections.Counter({"user_ns": t["user_ns"], "sys_ns": t["sys_ns"],
                                    "preempted": t["runnable_preempted_ns"],
                                    "woken": t["runnable_woken_ns"]})
        for reason, ns in t["blocked"].items():
            if ns:
                want["blocked:" + reason] = ns
        tol = 1000 * long_slices  # µs rounding of long slices' sys part
        for k in set(got) | set(want):
            d = abs(got[k] - want[k])
            worst = max(worst, d)
            if d > tol:
                bad_sum.append(f"tid {t['tid']} {k}: spans {got[k]} vs JSON {want[k]}")
    tap.ok(not bad_tile, f"{label}: each thread's spans tile its lifetime exactly "
           f"({len(threads)} threads, {len(rows)} spans)", bad_tile[:8])
    tap.ok(not bad_sum, f"{label}: spans add up to each thread's JSON totals, per state and reason",
           bad_sum[:8] + [f"largest difference {worst} ns"])
    # A CPU runs one thread at a time.
    per_cpu = collections.defaultdict(list)
    for s in rows:
        if s["state"] == "cpu":
            per_cpu[s["cpu"]].append((s["start_ns"], s["end_ns"], s["tid"]))
    overlaps = []
    for cpu, sl in per_cpu.items():
        sl.sort()
        for a, b in zip(sl, sl[1:]):
            if b[0] < a[1] - 20_000:  # two switches' tracepoint skew: see concurrency.h
                overlaps.append(f"cpu {cpu}: tid {a[2]} {a[0]}..{a[1]} and tid {b[2]} from {b[0]}")
    tap.ok(not overlaps, f"{label}: on-CPU spans of one CPU do not overlap", overlaps[:8])
    inc = [s for s in rows if "I" in s["flags"]]
    tap.ok(not inc or run.json["lost_events"] > 0, f"{label}: no span is incomplete (no records lost)",
           [f"{len(inc)} incomplete spans, e.g. {inc[:2]}"])


def run_case(tap, label, workload, gt=True, expect_threads=None):
    d = tempfile.mkdtemp(prefix=f"concprof-tl-{label}-")
    spans = os.path.join(d, "spans.tsv")
    r = run_concprof(tap, label, workload, gt=gt, extra_args=["--spans", spans], timeout=240)
    before = tap.failed
    ok = standard_checks(tap, r, expect_threads=expect_threads) if gt else \
        check_started(tap, r)
    rows = []
    if os.path.exists(spans):
        header, rows = read_spans(spans)
        tap.ok(header[:5] == ["tid", "pid", "start_ns", "end_ns", "state"],
               f"{label}: --spans has its header", [repr(header)])
        if ok:
            check_spans(tap, r, label, rows)
    else:
        tap.ok(False, f"{label}: --spans wrote {spans}", [r.err_text()[-500:]])
    if tap.failed > before:
        tap.diag(f"{label}: spans kept in {spans}")
    else:
        shutil.rmtree(d, ignore_errors=True)
    finish_run(tap, r, before)
    return r, rows


tap = TAP()
require_concprof(tap)
ncpu = os.cpu_count()
run_case(tap, "tl-spin", [gt_binary("spin"), str(ncpu), "300"], expect_threads=ncpu + 1)
run_case(tap, "tl-spin2x", [gt_binary("spin"), str(2 * ncpu), "200"], expect_threads=2 * ncpu + 1)
run_case(tap, "tl-mutex", [gt_binary("mutex")])
run_case(tap, "tl-pingpong", [gt_binary("pingpong")])
run_case(tap, "tl-sleep", [gt_binary("sleep500"), "200"], expect_threads=1)
run_case(tap, "tl-forkmany", [gt_binary("forkmany")])

# The GIL: workers take turns on one global lock, so one runs at a time and they alternate.
primes = os.path.join(REPO, "workloads", "primes")
r, rows = run_case(tap, "tl-gil", [primes, "--mode", "gil", "-n", "3", "--scale", "0.5", "-i", "1"],
                   gt=False)
if rows:
    main_tid = r.exec_tid()
    workers = {s["tid"] for s in rows if s["tid"] != main_tid}
    on = sorted((s["start_ns"], s["end_ns"], s["tid"]) for s in rows
                if s["state"] == "cpu" and s["tid"] in workers)
    handovers = sum(1 for a, b in zip(on, on[1:]) if a[2] != b[2])
    busy = sum(e - s for s, e, _ in on)
    # Time with two or more workers on a CPU at once.
    ev = sorted([(s, 1) for s, e, _ in on] + [(e, -1) for s, e, _ in on])
    level, last, both = 0, 0, 0
    for t, d in ev:
        if level >= 2:
            both += t - last
        level += d
        last = t
    tap.ok(len(workers) == 3, "tl-gil: three worker threads", [f"workers {sorted(workers)}"])
    tap.ok(handovers >= 20, "tl-gil: the workers hand the CPU to each other many times",
           [f"{handovers} handovers in {len(on)} on-CPU spans"])
    tap.ok(busy > 0 and both <= 0.10 * busy,
           "tl-gil: workers are hardly ever on a CPU together (≤ 10% of their CPU time)",
           [f"together {fmt_ns(both)} of {fmt_ns(busy)}"])
    lock = sum(s["end_ns"] - s["start_ns"] for s in rows
               if s["tid"] in workers and s["state"] == "blocked" and s["reason"] == "lock")
    tap.ok(lock > busy * 0.5, "tl-gil: the waiting workers are blocked on 'lock'",
           [f"blocked lock {fmt_ns(lock)}, on CPU {fmt_ns(busy)}"])
tap.done()
