#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/syscalls: one thread making 300000 cheap syscalls (getppid, 1-byte
writes to /dev/null, 64 KiB reads from /dev/zero), never sleeping.

Expect: on-CPU equal to CLOCK_THREAD_CPUTIME_ID (BPF's own cost on every syscall included on
both sides); every syscall counted; blocked hardly at all. concprof's sys is the time between
the sys_enter and sys_exit tracepoints, so the kernel's entry and exit path around each syscall
(about 1 µs with this machine's mitigations) counts as user: the tick-sampled stime is much
larger, and is only shown. What sys must hold is checked against the program's own timing: a
64 KiB read from /dev/zero costs more than a getppid() only by the kernel's work inside the
call (clearing 64 KiB), so sys is at least that difference over the N reads."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

N = 100000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "syscalls", [gt_binary("syscalls"), str(N)])
before = tap.failed
if standard_checks(tap, run, expect_threads=1):
    g = run.gt[0]
    t = run.thread(g["tid"])
    if t:
        cpu = thread_cpu(t)
        ticks = g["utime_ticks"] + g["stime_ticks"]
        tap.diag(f"syscalls: concprof user {fmt_ns(t['user_ns'])} sys {fmt_ns(t['sys_ns'])} "
                 f"({t['sys_ns'] / max(cpu, 1):.0%} sys); kernel ticks utime "
                 f"{g['utime_ticks']} stime {g['stime_ticks']} "
                 f"({g['stime_ticks'] / max(ticks, 1):.0%} sys)")
        body_ns = g["read_cpu_ns"] - g["getppid_cpu_ns"]
        tap.ok(t["sys_ns"] >= 0.9 * body_ns,
               "syscalls: sys >= 90% of the reads' in-kernel work (read loop - getppid loop)",
               [f"sys {fmt_ns(t['sys_ns'])}, read loop {fmt_ns(g['read_cpu_ns'])}, "
                f"getppid loop {fmt_ns(g['getppid_cpu_ns'])}"])
        tap.ok(3 * N <= t["syscalls"] <= 3 * N + 300,
               f"syscalls: syscall count is the program's 3 x {N} plus its start-up",
               [f"syscalls {t['syscalls']}"])
        life = thread_life(t)
        tap.ok(t["blocked_ns"] <= 0.02 * life + 2 * MS,
               "syscalls: blocked <= 2% of life + 2 ms (it never sleeps)", [describe_blocked(t)])
        tap.ok(t["pipe_read_bytes"] == 0 and t["pipe_write_bytes"] == 0
               and t["net_rx_bytes"] == 0 and t["net_tx_bytes"] == 0,
               "syscalls: no pipe or net bytes (/dev/null and /dev/zero are neither)",
               [f"pipe r/w {t['pipe_read_bytes']}/{t['pipe_write_bytes']}, net rx/tx "
                f"{t['net_rx_bytes']}/{t['net_tx_bytes']}"])
finish_run(tap, run, before)
tap.done()
