#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/disk: write 64 MiB to a file in /var/tmp (disk-backed), fsync, drop it
from the page cache, read it back with O_DIRECT, remove it.

Expect: disk_write_bytes and disk_read_bytes at least what the program moved (and not more than
1 MiB beyond: the loader and /proc reads are regular-file reads too); the thread's blocked time
mostly 'disk' (fsync and the direct reads wait on the device); no pipe or net bytes."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

MIB = 64
DIR = "/var/tmp"

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "disk", [gt_binary("disk"), str(MIB), DIR])
before = tap.failed
if standard_checks(tap, run, expect_threads=1):
    g = run.gt[0]
    t = run.thread(g["tid"])
    if t:
        slack = 1 << 20
        tap.diag(f"disk: fsync took {fmt_ns(g['fsync_ns'])}, reading back "
                 f"{fmt_ns(g['read_ns'])} (O_DIRECT: {bool(g['direct'])})")
        tap.ok(g["written"] <= t["disk_write_bytes"] <= g["written"] + slack,
               f"disk: disk_write_bytes is the {MIB} MiB written (+ <= 1 MiB)",
               [f"program wrote {g['written']}, JSON disk_write_bytes {t['disk_write_bytes']}"])
        tap.ok(g["read"] <= t["disk_read_bytes"] <= g["read"] + slack,
               f"disk: disk_read_bytes is the {MIB} MiB read (+ <= 1 MiB)",
               [f"program read {g['read']}, JSON disk_read_bytes {t['disk_read_bytes']}"])
        check_reason(tap, run, [g["tid"]], "disk", 0.8, min_ns=1 * MS,
                     what="the I/O thread")
        tap.ok(t["pipe_read_bytes"] == t["pipe_write_bytes"] == 0
               and t["net_rx_bytes"] == t["net_tx_bytes"] == 0,
               "disk: no pipe or net bytes",
               [f"pipe r/w {t['pipe_read_bytes']}/{t['pipe_write_bytes']}, net rx/tx "
                f"{t['net_rx_bytes']}/{t['net_tx_bytes']}"])
finish_run(tap, run, before)
tap.done()
