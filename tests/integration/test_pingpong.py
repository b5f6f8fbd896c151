#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/pingpong: parent and forked child bounce one byte over two pipes 10000
times.

Expect: two processes, the child's ppid the parent; each thread read and wrote exactly 10000
pipe bytes and nothing on sockets; both mostly blocked on 'pipe'; about one context switch
per round per side, as the kernel counts them."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

ROUNDS = 10000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "pingpong", [gt_binary("pingpong"), str(ROUNDS)])
before = tap.failed
if standard_checks(tap, run, expect_threads=2):
    pinger = run.gt_role("pinger")
    ponger = run.gt_role("ponger")
    procs = run.processes()
    if pinger and ponger:
        parent, child = pinger[0], ponger[0]
        cp = run.process(child["pid"])
        tap.ok(len(procs) == 2 and cp is not None and cp["ppid"] == parent["pid"],
               "pingpong: two processes, the child's ppid is the parent",
               [f"processes: {[(p['pid'], p['ppid'], p['comm']) for p in procs]}",
                f"expected child {child['pid']} with ppid {parent['pid']}"])
        bad = []
        for g in (parent, child):
            t = run.thread(g["tid"])
            if not t:
                continue
            got = (t["pipe_read_bytes"], t["pipe_write_bytes"], t["net_rx_bytes"],
                   t["net_tx_bytes"])
            want = (g["pipe_read"], g["pipe_written"], 0, 0)
            if got != want:
                bad.append(f"tid {g['tid']} ({g['role']}): pipe read/write, net rx/tx "
                           f"expected {want}, got {got}")
        tap.ok(not bad, f"pingpong: pipe bytes exactly {ROUNDS} each way per thread, no net",
               bad)
        check_reason(tap, run, [parent["tid"], child["tid"]], "pipe", 0.9,
                     what="both processes")
        # Each side gives up the CPU about once a round: blocked in read (voluntary), or
        # preempted by the peer it just woke on the same CPU (involuntary).
        bad = []
        for g in (parent, child):
            t = run.thread(g["tid"])
            if t and t["voluntary_switches"] + t["involuntary_switches"] < 0.5 * ROUNDS:
                bad.append(f"tid {g['tid']}: {t['voluntary_switches']} voluntary, "
                           f"{t['involuntary_switches']} involuntary switches")
        tap.ok(not bad, f"pingpong: >= {ROUNDS // 2} context switches per side", bad)
    else:
        tap.ok(False, "pingpong: both roles reported", [f"GT: {run.gt}"])
finish_run(tap, run, before)
tap.done()
