#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which lock: the futex word threads block on, named while the process is alive.

- tests/gt/mutex with its global `contended_lock`: the hottest lock is named "contended_lock"
  in the program's file, its waiters are the four workers, and its total wait equals the
  workers' blocked "lock" time to the nanosecond (every such wait of theirs is on it); the
  longest wait is at most the total, the waits at least the workers' voluntary switches on it.
- the same with the mutex from malloc: named "heap", not a symbol.
- workloads/primes --mode gil: its global `primes_gil` is named and recognised as a GIL.
- CPython (/usr/bin/python3, if present) running workloads/python/primes.py with threads: the
  hottest lock of the Python process lies inside `_PyRuntime` and is reported as the GIL; the
  text report teaches it."""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def workers_of(run):
    return [t for t in run.threads() if t["tid"] != run.exec_tid()]


tap = TAP()
require_concprof(tap)

# A named global mutex.
r = run_concprof(tap, "locks-global", [gt_binary("mutex"), "4", "40", "1000"])
before = tap.failed
if check_started(tap, r):
    locks = r.json.get("locks", [])
    tap.ok(len(locks) >= 1, "locks-global: JSON has locks", [f"{len(locks)} locks"])
    hot = locks[0] if locks else {}
    workers = workers_of(r)
    wtids = sorted(t["tid"] for t in workers)
    named = [lk for lk in locks if lk.get("symbol") == "contended_lock"]
    tap.ok(len(named) == 1, "locks-global: one lock is named 'contended_lock'",
           [f"names: {[lk['name'] for lk in locks]}"])
    if named:
        lk = named[0]
        tap.ok(lk["where"] == "program" and lk["file"] == os.path.realpath(gt_binary("mutex")),
               "locks-global: it lies in the program's file",
               [f"where {lk['where']}, file {lk['file']}"])
        # A worker that always found it free never waited: at least two did.
        tap.ok(2 <= len(lk["waiters"]) and set(lk["waiters"]) <= set(wtids),
               "locks-global: its waiters are workers (at least 2 of the 4)",
               [f"waiters {sorted(lk['waiters'])}, workers {wtids}"])
        blocked = sum(t["blocked"]["lock"] for t in workers)
        tap.ok(lk["wait_ns"] == blocked,
               "locks-global: its wait == the workers' blocked 'lock' time, to the ns",
               [f"lock {lk['wait_ns']} ns, workers blocked lock {blocked} ns"])
        # The workers timed their pthread_mutex_lock() calls on the wall clock: asleep on the
        # futex is part of that, the rest is waiting for a CPU after the wakeup and spinning.
        timed = sum(g.get("lock_wait_ns", 0) for g in r.gt if g.get("role") == "worker")
        tap.ok(0.3 * timed <= lk["wait_ns"] <= timed,
               "locks-global: its wait is within the time the workers measured inside "
               "pthread_mutex_lock() (and at least 30% of it)",
               [f"lock {lk['wait_ns']} ns, measured in pthread_mutex_lock {timed} ns"])
        tap.ok(0 < lk["max_wait_ns"] <= lk["wait_ns"] and lk["waits"] >= 4,
               "locks-global: longest wait within the total; several waits",
               [f"max {lk['max_wait_ns']}, waits {lk['waits']}"])
        tap.ok(set(lk["wakers"]) <= set(wtids) | {0} or lk["more_wakers"],
               "locks-global: it was released (waiters woken) by workers",
               [f"wakers {lk['wakers']}"])
        tap.ok(hot.get("symbol") == "contended_lock", "locks-global: it is the hottest lock",
               [f"hottest {hot.get('name')}"])
        tap.ok(not lk["gil"], "locks-global: not taken for a GIL")
    rt = run_concprof(tap, "locks-global-text", [gt_binary("mutex"), "4", "20", "1000"],
                      quiet=False, json_out=False)
    text = rt.err_text()
    tap.ok("contended_lock" in text, "locks-global: the text report names contended_lock",
           [text[-1500:]])
    finish_run(tap, rt, before)
finish_run(tap, r, before)

# The same mutex from malloc.
r = run_concprof(tap, "locks-heap", [gt_binary("mutex"), "4", "40", "1000", "heap"])
before = tap.failed
if check_started(tap, r):
    locks = r.json.get("locks", [])
    hot = locks[0] if locks else {}
    workers = workers_of(r)
    blocked = sum(t["blocked"]["lock"] for t in workers)
    heap = [lk for lk in locks if lk["where"] == "heap"]
    tap.ok(len(heap) == 1 and heap[0]["symbol"] is None and heap[0]["name"].startswith("heap"),
           "locks-heap: the malloc'd mutex is named 'heap', no symbol",
           [f"locks: {[(lk['name'], lk['where']) for lk in locks]}"])
    if heap:
        tap.ok(heap[0]["wait_ns"] == blocked,
               "locks-heap: its wait == the workers' blocked 'lock' time",
               [f"{heap[0]['wait_ns']} vs {blocked}"])
finish_run(tap, r, before)

# The emulated GIL of the primes workload.
primes = os.path.join(REPO, "workloads", "primes")
r = run_concprof(tap, "locks-primes-gil", [primes, "--mode", "gil", "-n", "3", "--scale", "0.3"],
                 gt=False)
before = tap.failed
if check_started(tap, r):
    locks = r.json.get("locks", [])
    g = [lk for lk in locks if lk.get("symbol") == "primes_gil"]
    tap.ok(len(g) == 1 and g[0]["gil"], "locks-primes-gil: primes_gil is named and is a GIL",
           [f"locks: {[(lk['name'], lk['gil']) for lk in locks]}"])
finish_run(tap, r, before)

# CPython's GIL.
python = "/usr/bin/python3"
script = os.path.join(REPO, "workloads", "python", "primes.py")
if not os.path.exists(python):
    tap.skip("locks-python: the GIL is named", "no /usr/bin/python3")
else:
    r = run_concprof(tap, "locks-python", [python, script, "--mode", "threads", "--scale",
                                           "0.25"], gt=False, quiet=False)
    before = tap.failed
    if check_started(tap, r):
        locks = r.json.get("locks", [])
        gil = [lk for lk in locks if lk["gil"]]
        tap.ok(gil and all(lk["symbol"] == "_PyRuntime" for lk in gil),
               "locks-python: locks inside _PyRuntime are the GIL",
               [f"locks: {[(lk['name'], lk['gil']) for lk in locks[:6]]}"])
        workers = [t for t in workers_of(r)]
        wtids = {t["tid"] for t in workers}
        waiters = set()
        for lk in gil:
            waiters |= set(lk["waiters"])
        tap.ok(wtids <= waiters | {r.exec_tid()},
               "locks-python: every worker thread waited for the GIL",
               [f"workers {sorted(wtids)}, GIL waiters {sorted(waiters)}"])
        text = r.err_text()
        tap.ok("GIL" in text and "_PyRuntime" in text,
               "locks-python: the report names the GIL and where it lives", [text[-2500:]])
        busy = sum(t["user_ns"] + t["sys_ns"] for t in r.threads()) / max(r.json["wall_ns"], 1)
        tap.ok(busy < 1.25, "locks-python: threads under the GIL keep about one core busy",
               [f"cores busy {busy:.2f}"])
    finish_run(tap, r, before)

    # The same computation with processes: no GIL between them, the cores are used.
    r = run_concprof(tap, "locks-python-procs", [python, script, "--mode", "procs", "--scale",
                                                 "0.25"], gt=False, quiet=False)
    before = tap.failed
    if check_started(tap, r):
        text = r.err_text()
        busy = sum(t["user_ns"] + t["sys_ns"] for t in r.threads()) / max(r.json["wall_ns"], 1)
        ncpu = os.cpu_count()
        tap.ok(ncpu < 2 or busy >= 1.4,
               "locks-python-procs: processes keep more than one core busy",
               [f"cores busy {busy:.2f} of {ncpu}"])
        tap.ok("took turns on CPython's GIL" not in text,
               "locks-python-procs: no GIL finding: each process has its own",
               [text[-1500:]])
    finish_run(tap, r, before)
tap.done()
