#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/mutex: 4 threads x 40 rounds of holding one pthread mutex while spinning
1 ms of CPU time. Only one thread runs at a time, so the others sleep in futex.

Expect: the workers' blocked time is mostly 'lock' (>= 90% of blocked for every worker that is
blocked more than 10% of its life), and together at least 40% of the workers' lives; the main
thread is blocked on 'lock' (pthread_join); the voluntary switches match the kernel's."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

THREADS, ROUNDS, HOLD_US = 4, 40, 1000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "mutex", [gt_binary("mutex"), str(THREADS), str(ROUNDS), str(HOLD_US)])
before = tap.failed
if standard_checks(tap, run, expect_threads=THREADS + 1):
    workers = [g["tid"] for g in run.gt_role("worker")]
    mains = [g["tid"] for g in run.gt_role("main")]
    waiters = [tid for tid in workers if run.thread(tid)
               and run.thread(tid)["blocked_ns"] > 0.1 * thread_life(run.thread(tid))]
    tap.ok(len(waiters) >= THREADS - 2,
           "mutex: at least THREADS-2 workers were blocked more than 10% of their life",
           [f"{tid}: {describe_blocked(run.thread(tid))}" for tid in workers if run.thread(tid)])
    check_reason(tap, run, waiters, "lock", 0.9, what="waiting workers")
    # Inside pthread_mutex_lock() a worker sleeps on the futex (blocked lock), waits for a CPU
    # once woken (runnable), or spins a little (on-CPU): blocked lock can be neither more than
    # the time the program measured in those calls, nor less than it minus what the thread
    # spent runnable, with the CPU it burned in them as slack.
    bad = []
    for g in run.gt_role("worker"):
        t = run.thread(g["tid"])
        if not t:
            continue
        wait, locked = g["lock_wait_ns"], t["blocked"]["lock"]
        slack = 0.03 * wait + 2 * MS
        if not (wait - t["runnable_ns"] - slack <= locked <= wait + slack):
            bad.append(f"tid {g['tid']}: blocked lock {fmt_ns(locked)}, measured in "
                       f"pthread_mutex_lock {fmt_ns(wait)}, runnable {fmt_ns(t['runnable_ns'])}")
    tap.ok(not bad, "mutex: blocked 'lock' matches the time measured in pthread_mutex_lock()",
           bad)
    check_reason(tap, run, mains, "lock", 0.9, what="main thread (pthread_join)")
finish_run(tap, run, before)
tap.done()
