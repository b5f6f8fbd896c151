#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/rtsleep: 20 SCHED_FIFO child processes, each sleeping 20 x 2 ms in
nanosleep; the parent reaps them and records the kernel's final figures for each.

Expect: every child blocked 'sleep' at least 40 ms (it cannot sleep less), and its on-CPU,
runnable and switch counts equal to the kernel's, like any other thread. Real-time threads
take other paths through the scheduler than CFS ones (wakeups from hard interrupts, push and
pull between CPUs)."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

CHILDREN, SLEEPS, SLEEP_US = 20, 20, 2000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "rtsleep",
                   [gt_binary("rtsleep"), str(CHILDREN), str(SLEEPS), str(SLEEP_US)])
before = tap.failed
if standard_checks(tap, run, expect_threads=CHILDREN + 1):
    parent = run.gt_role("parent")
    if parent and parent[0].get("fifo_allowed") != 1:
        tap.diag("rtsleep: SCHED_FIFO not allowed here: the children ran SCHED_OTHER")
    kids = [g["tid"] for g in run.gt_role("sleeper")]
    check_reason(tap, run, kids, "sleep", 0.9, min_ns=SLEEPS * SLEEP_US * 1000,
                 what=f"real-time children ({SLEEPS} x {SLEEP_US} us nanosleep)")
finish_run(tap, run, before)
tap.done()
