#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/forkmany: 200 short-lived children (5..10 ms), 20 at a time, reaped with
waitid and wait4; some exec /bin/true or /bin/false, some re-exec the program, four fork a
grandchild, one kills itself with SIGTERM (see tests/gt/forkmany.c).

Expect: processes == 1 + children + grandchildren, every one with its parent as ppid, end_ns >=
start_ns, exited, and the exit code / signal its parent reaped; exec'd ones named after the new
program; one thread each; every child's figures equal to the kernel's final ones (read by its
parent from the zombie, exit path included); the parent blocked on 'child', sleeping children
on 'sleep', the middle ones on 'child'."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

CHILDREN, BATCH, SLEEP_US = 200, 20, 5000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "forkmany",
                   [gt_binary("forkmany"), str(CHILDREN), str(BATCH), str(SLEEP_US)])
before = tap.failed
if standard_checks(tap, run):
    parents = run.gt_role("parent")
    middles = run.gt_role("middle")
    if len(parents) == 1 and len(parents[0]["children"]) == CHILDREN:
        parent = parents[0]
        # (reaper pid, reaped record, index or None)
        expected = [(parent["pid"], c, i) for i, c in enumerate(parent["children"])]
        for m in middles:
            expected += [(m["pid"], c, None) for c in m["children"]]
        procs = run.processes()
        tap.ok(len(procs) == 1 + len(expected),
               f"forkmany: processes == 1 + {CHILDREN} children + {len(middles)} grandchildren",
               [f"expected {1 + len(expected)}, got {len(procs)}"])
        tap.ok(run.exec_tid() == parent["pid"], "forkmany: the root process is the parent",
               [f"root pids {run.root_pids()}, parent {parent['pid']}"])
        missing, wrong = [], []
        for reaper, c, index in expected:
            p = run.process(c["pid"])
            if p is None:
                missing.append(f"pid {c['pid']} (index {index}, reaped by {reaper})")
                continue
            got = (p["ppid"], p["exit_code"], p["signal"], p["exited"])
            want = (reaper, c["exit_code"], c["signal"], True)
            if got != want:
                wrong.append(f"pid {c['pid']} (index {index}): (ppid, exit_code, signal, "
                             f"exited) expected {want}, got {got}")
        tap.ok(not missing, "forkmany: every child and grandchild is in processes", missing)
        tap.ok(not wrong, "forkmany: ppid, exit code and signal as reaped by the parent", wrong)
        bad = []
        for reaper, c, index in expected:
            p = run.process(c["pid"])
            if p is None or index is None:
                continue
            want = {3: "true", 7: "false"}.get(index % 10, "forkmany")
            if p["comm"] != want:
                bad.append(f"pid {c['pid']} (index {index}): comm expected {want!r}, got "
                           f"{p['comm']!r}")
        tap.ok(not bad, "forkmany: comm is the exec'd program's name (true, false, forkmany)",
               bad)
        tap.ok(len(run.threads()) == len(procs),
               "forkmany: one thread per process",
               [f"{len(run.threads())} threads, {len(procs)} processes"])
        killed = [c for _, c, _ in expected if c["signal"] == 15]
        kp = run.process(killed[0]["pid"]) if len(killed) == 1 else None
        tap.ok(kp is not None and kp["exit_code"] == 143 and kp["signal"] == 15,
               "forkmany: the child killed by SIGTERM has exit_code 143, signal 15",
               [f"reaped: {killed}", f"JSON: {kp}"])
        check_reason(tap, run, [parent["tid"]], "child", 0.8, what="parent (waitid, wait4)")
        # Their own lines' write can wait on $GT_OUT's inode lock ("disk"): sleep >= 60%.
        check_reason(tap, run, [g["tid"] for g in run.gt_role("child")], "sleep", 0.6,
                     what="sleeping children")
        check_reason(tap, run, [g["tid"] for g in middles], "child", 0.8,
                     what="children waiting for a grandchild")
        check_reason(tap, run, [g["tid"] for g in run.gt_role("grandchild")], "sleep", 0.6,
                     what="grandchildren")
    else:
        tap.ok(False, f"forkmany: the parent reported {CHILDREN} reaped children",
               [f"parent lines: {len(parents)}"])
finish_run(tap, run, before)
tap.done()
