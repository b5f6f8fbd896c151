#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The raw_tp fallback: with CONCPROF_RAW_TP=1 concprof loads the raw_tp twins of its
programs instead of the tp_btf ones (what it does by itself on kernels that refuse tp_btf).
The same ground truth must hold: a thread that sleeps, two processes ping-ponging over pipes,
and more spinning threads than CPUs."""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

RAW = {"CONCPROF_RAW_TP": "1"}
cpus = os.cpu_count() or 1

tap = TAP()
require_concprof(tap)
for label, workload, threads, reason in (
        ("rawtp-sleep", [gt_binary("sleep500")], 1, "sleep"),
        ("rawtp-pingpong", [gt_binary("pingpong"), "3000"], 2, "pipe"),
        ("rawtp-spin", [gt_binary("spin"), str(2 * cpus), "200"], 2 * cpus + 1, None)):
    run = run_concprof(tap, label, workload, env_extra=RAW)
    before = tap.failed
    if standard_checks(tap, run, expect_threads=threads) and reason:
        check_reason(tap, run, [g["tid"] for g in run.gt], reason, 0.9)
    finish_run(tap, run, before)
tap.done()
