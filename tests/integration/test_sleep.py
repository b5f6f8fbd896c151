#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/sleep500, asked to sleep 1000 ms: one thread in one nanosleep.

Expect: from main() on (exec and the loader take 2-10 ms of CPU on this VM, more under load, and
the kernel agrees: lib.check_gt), the thread is >= 99% blocked "sleep", leaving out the time it
waited for a CPU (other load decides that; check_gt compares it with run_delay); the sleep
999..1010 ms; one process, one thread; wall about 1 s; on-CPU and runnable equal to the
kernel's."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

SLEEP_MS = 1000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "sleep500", [gt_binary("sleep500"), str(SLEEP_MS)])
before = tap.failed
if standard_checks(tap, run, expect_threads=1):
    j = run.json
    tap.ok(len(run.processes()) == 1 and len(run.threads()) == 1,
           "sleep500: one process, one thread",
           [f"got {len(run.processes())} processes, {len(run.threads())} threads"])
    g = run.gt[0] if run.gt else None
    t = run.thread(g["tid"]) if g else None
    if t:
        life = thread_life(t)
        # Its life from main() to its report, less the time it waited for a CPU then.
        awake = g["life_ns"] - (g["run_delay_ns"] - g["start_run_delay_ns"])
        tap.ok(t["blocked"]["sleep"] >= 0.99 * awake,
               "sleep500: >= 99% of the thread's life from main() (less waiting for a CPU) "
               "blocked 'sleep'",
               [f"blocked sleep {fmt_ns(t['blocked']['sleep'])} = "
                f"{t['blocked']['sleep'] / max(awake, 1):.2%} of {fmt_ns(awake)}",
                describe_blocked(t)])
        tap.ok((SLEEP_MS - 1) * MS <= t["blocked"]["sleep"] <= (SLEEP_MS + 10) * MS,
               f"sleep500: blocked 'sleep' is {SLEEP_MS - 1}..{SLEEP_MS + 10} ms",
               [f"got {fmt_ns(t['blocked']['sleep'])}; the program measured "
                f"{fmt_ns(g.get('slept_ns'))} around nanosleep"])
        tap.ok(t["blocked"]["sleep"] <= g["slept_ns"] + 100_000,
               "sleep500: blocked 'sleep' <= the nanosleep call as timed by the program",
               [f"blocked sleep {fmt_ns(t['blocked']['sleep'])}, "
                f"nanosleep took {fmt_ns(g['slept_ns'])}"])
        tap.ok(t["voluntary_switches"] >= 1, "sleep500: at least one voluntary switch",
               [f"got {t['voluntary_switches']}"])
        tap.ok(t["comm"] == "sleep500", "sleep500: thread comm is the program's name",
               [f"got {t['comm']!r}"])
    else:
        tap.ok(False, "sleep500: sleeper thread found", ["no GT line or no matching thread"])
    tap.ok(SLEEP_MS * MS <= j["wall_ns"] <= (SLEEP_MS + 50) * MS,
           f"sleep500: wall_ns is {SLEEP_MS}..{SLEEP_MS + 50} ms", [f"got {fmt_ns(j['wall_ns'])}"])
finish_run(tap, run, before)
tap.done()
