#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/spin: CPU-bound threads, as many as CPUs and twice as many.

Each spinner spins 500 ms of CPU time on user-mode arithmetic while the main thread joins.
Expect: spinners' on-CPU and runnable equal to CLOCK_THREAD_CPUTIME_ID and run_delay; spinners
mostly user time; with 2 x CPUs each spinner is a large part of its life runnable (preempted,
not woken) with involuntary switches; the main thread is blocked on 'lock' (pthread_join is a
futex)."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

SPIN_MS = 500

tap = TAP()
require_concprof(tap)
for nthreads in (CPUS, 2 * CPUS):
    label = f"spin{nthreads}"
    run = run_concprof(tap, label, [gt_binary("spin"), str(nthreads), str(SPIN_MS)])
    before = tap.failed
    if standard_checks(tap, run, expect_threads=nthreads + 1):
        spinners = [g["tid"] for g in run.gt_role("spinner")]
        mains = [g["tid"] for g in run.gt_role("main")]
        tap.ok(len(run.processes()) == 1 and len(run.threads()) == nthreads + 1,
               f"{label}: one process, {nthreads + 1} threads",
               [f"got {len(run.processes())} processes, {len(run.threads())} threads"])
        bad = []
        for tid in spinners:
            t = run.thread(tid)
            if t and t["user_ns"] < 0.9 * thread_cpu(t):
                bad.append(f"tid {tid}: user {fmt_ns(t['user_ns'])}, sys {fmt_ns(t['sys_ns'])}")
        tap.ok(spinners and not bad, f"{label}: spinners' CPU time is >= 90% user", bad)
        bad = []
        for tid in spinners:
            t = run.thread(tid)
            if t and t["blocked_ns"] > 0.02 * thread_life(t) + 2 * MS:
                bad.append(f"tid {tid}: {describe_blocked(t)}")
        tap.ok(spinners and not bad, f"{label}: spinners are hardly ever blocked", bad)
        check_reason(tap, run, mains, "lock", 0.9, what="main thread (pthread_join)")
        if nthreads > CPUS:
            bad = []
            for tid in spinners:
                t = run.thread(tid)
                if not t:
                    continue
                life = thread_life(t)
                if t["runnable_ns"] < 0.3 * life:
                    bad.append(f"tid {tid}: runnable {fmt_ns(t['runnable_ns'])} of life "
                               f"{fmt_ns(life)} (expected >= 30%, about "
                               f"{1 - CPUS / nthreads:.0%})")
                if t["runnable_preempted_ns"] < 0.8 * t["runnable_ns"]:
                    bad.append(f"tid {tid}: runnable preempted "
                               f"{fmt_ns(t['runnable_preempted_ns'])}, woken "
                               f"{fmt_ns(t['runnable_woken_ns'])} (expected preempted >= 80%)")
                if t["involuntary_switches"] < 1:
                    bad.append(f"tid {tid}: no involuntary switch")
            tap.ok(spinners and not bad,
                   f"{label}: spinners wait a large part of their life preempted on a run queue",
                   bad)
            # Not asserted: other load on the machine takes CPUs from the workload too.
            ns_at = run.json["concurrency"]["ns_at"]
            full = ns_at[CPUS] if len(ns_at) > CPUS else 0
            tap.diag(f"{label}: all {CPUS} CPUs busy with the workload "
                     f"{full / max(run.json['wall_ns'], 1):.0%} of the wall time")
    finish_run(tap, run, before)
tap.done()
