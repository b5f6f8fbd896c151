#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/killed: the workload spins 100 ms of CPU and kills itself with a signal.

Expect: concprof exits 128+N (137 for SIGKILL, 143 for SIGTERM); the JSON says exit_code 128+N,
signal N, at the top and on the process; the thread's numbers still match the kernel's; the
text report (stderr without -q) says the workload was killed by the signal."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

tap = TAP()
require_concprof(tap)
for sig, name in ((9, "SIGKILL"), (15, "SIGTERM")):
    label = f"killed-{name}"
    run = run_concprof(tap, label, [gt_binary("killed"), str(sig), "100"], quiet=False)
    before = tap.failed
    if standard_checks(tap, run, expect_rc=128 + sig, expect_threads=1):
        j = run.json
        tap.ok(j["exit_code"] == 128 + sig and j["signal"] == sig,
               f"{label}: JSON exit_code {128 + sig}, signal {sig}",
               [f"got exit_code {j['exit_code']}, signal {j['signal']}"])
        p = run.process(run.exec_tid()) if run.exec_tid() else None
        tap.ok(p is not None and p["exit_code"] == 128 + sig and p["signal"] == sig
               and p["exited"] is True,
               f"{label}: the process has exit_code {128 + sig}, signal {sig}, exited",
               [f"process: {p}"])
        err = run.err_text()
        tap.ok(re.search(rf"{name}|signal\s*{sig}\b|killed", err, re.I) is not None,
               f"{label}: the text report says the workload was killed by {name}",
               [f"stderr: {line}" for line in err.splitlines()[:20]])
    finish_run(tap, run, before)
tap.done()
