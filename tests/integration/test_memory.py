#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Memory figures against programs of known behaviour and the kernel's own view.

- tests/gt/stacks: 100 threads each touch 1 MiB of their stack and block there. For every
  worker, stack_reserved_bytes is the size of its stack's mapping as /proc/self/maps shows it
  to the thread, and stack_used_bytes (the deepest its stack pointer was seen) is the 1 MiB it
  touched, plus at most 64 KiB of frames above (for at least 75 of them the mapping is found:
  the lookup gives up while the mmap lock is taken); compare --json reports the same means;
  clone to first run agrees with the kernel's run_delay as the thread read it at its start.
- A process that touches 64 MiB: its peak_rss_bytes is at least 64 MiB and less than
  64 MiB + 48 MiB (the interpreter)."""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

MIB = 1 << 20
tap = TAP()
require_concprof(tap)

r = run_concprof(tap, "stacks", [gt_binary("stacks"), "100", "1024"])
before = tap.failed
if check_started(tap, r, expect_threads=101):
    workers = [g for g in r.gt if g.get("role") == "worker"]
    tap.ok(len(workers) == 100, "stacks: 100 workers reported", [f"{len(workers)}"])
    bad_res, bad_used, unknown = [], [], 0
    for g in workers:
        t = r.thread(g["tid"])
        if not t:
            bad_res.append(f"tid {g['tid']}: not in the JSON")
            continue
        if not t["stack_reserved_bytes"]:
            # The kernel side gives up a lookup while another thread holds the mmap lock
            # (here: the main thread mapping and unmapping 100 stacks); it retries at each
            # switch-out and syscall, and reports 0 (unknown) if none succeeded.
            unknown += 1
            continue
        if t["stack_reserved_bytes"] != g["stack_mapping_bytes"]:
            bad_res.append(f"tid {g['tid']}: reserved {t['stack_reserved_bytes']}, "
                           f"/proc/self/maps {g['stack_mapping_bytes']}")
        if not g["touched_bytes"] <= t["stack_used_bytes"] <= g["touched_bytes"] + 64 * 1024:
            bad_used.append(f"tid {g['tid']}: used {t['stack_used_bytes']}, touched "
                            f"{g['touched_bytes']}")
    tap.ok(unknown <= 25, "stacks: the stack's mapping is known for at least 75 of 100 threads",
           [f"{unknown} unknown"])
    tap.ok(not bad_res, "stacks: each known stack reserved == its mapping in /proc/self/maps",
           bad_res[:8])
    tap.ok(not bad_used, "stacks: each thread's stack used is the 1 MiB it touched (+ <= 64 KiB)",
           bad_used[:8])
    # Start-up: from clone to the first run is the first wait the kernel counts in the new
    # thread's run_delay (schedstat), which the thread read first thing (start_run_delay_ns;
    # it may hold a later wait too, if the thread was preempted before reading it).
    late, close = [], 0
    for g in workers:
        t = r.thread(g["tid"])
        if not t:
            continue
        if t["first_run_ns"] > g["start_run_delay_ns"] + 2_000_000:
            late.append(f"tid {g['tid']}: first_run {t['first_run_ns']}, run_delay at start "
                        f"{g['start_run_delay_ns']}")
        close += abs(t["first_run_ns"] - g["start_run_delay_ns"]) <= 500_000
    tap.ok(not late, "stacks: clone to first run <= the kernel's run_delay at the thread's start "
           "+ 2 ms", late[:8])
    tap.ok(close >= 0.6 * len(workers), "stacks: and within 0.5 ms of it for >= 60% of threads",
           [f"{close} of {len(workers)}"])
    seq = os.path.join(r.tmpdir, "out.json")
    p = subprocess.run([CONCPROF, "compare", "-q", "--json", "-", seq, seq], capture_output=True)
    ok = p.returncode == 0
    mem = json.loads(p.stdout)["runs"][0]["memory"] if ok else {}
    used = mem.get("thread_stack_used_mean_bytes") or 0
    tap.ok(ok and mem.get("thread_stacks_known") == 100 - unknown and
           MIB <= used <= MIB + 64 * 1024,
           "stacks: compare --json has the threads' stack figures",
           [p.stderr.decode(errors="replace")[-400:], json.dumps(mem)[:400]])
finish_run(tap, r, before)

python = "/usr/bin/python3"
if not os.path.exists(python):
    tap.skip("rss: a process touching 64 MiB", "no /usr/bin/python3")
else:
    code = "b = bytearray(64 << 20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
    r = run_concprof(tap, "rss64", [python, "-c", code], gt=False)
    before = tap.failed
    if check_started(tap, r):
        rss = r.processes()[0]["peak_rss_bytes"] if r.processes() else 0
        tap.ok(64 * MIB <= rss < 112 * MIB, "rss: a process touching 64 MiB peaks at 64..112 MiB",
               [f"peak_rss_bytes {rss} ({rss / MIB:.1f} MiB)"])
    finish_run(tap, r, before)
tap.done()
