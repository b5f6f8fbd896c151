#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof record / report: a recorded run, reported later and without root, is the live run.

- record -o FILE with --json and --spans: `report FILE --json --spans` (as an unprivileged user)
  writes byte-identical JSON and spans; `report --timeline` draws; --html and --perfetto work.
- The recording is compact: at most 48 bytes per context switch of the traced threads.
- Broken files: empty, foreign, truncated, garbled, a future version, a directory, a missing
  file: one clear line on stderr, exit 1, never a crash.
- Bad usage: record without -o, report without a file, report with -p: exit 2.
- A run recorded with --no-stream has no timeline: report says so."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tap = TAP()
require_concprof(tap)
d = tempfile.mkdtemp(prefix="concprof-record-")
user = ensure_test_user()
os.chown(d, user[0], user[1])  # the reports run as that user and write here


def run(args, as_user=False, **kw):
    cmd = [CONCPROF] + args
    if as_user and user:
        cmd = ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, timeout=240, cwd=d, **kw)


rec = os.path.join(d, "run.cpr")
live_json, live_spans = os.path.join(d, "live.json"), os.path.join(d, "live.tsv")
p = run(["record", "-o", rec, "-q", "--json", live_json, "--spans", live_spans, "--",
         gt_binary("mutex"), "4", "40", "1000"])
tap.ok(p.returncode == 0 and os.path.getsize(rec) > 0, "record: exit 0, a recording written",
       [p.stderr.decode(errors="replace")[-800:]])
for f in (rec, live_json, live_spans):
    os.chmod(f, 0o644)

rep_json, rep_spans = os.path.join(d, "rep.json"), os.path.join(d, "rep.tsv")
p = run(["report", rec, "--json", rep_json, "--spans", rep_spans, "-q"], as_user=True)
tap.ok(p.returncode == 0, "report: exit 0 as an unprivileged user (no root needed)",
       [p.stderr.decode(errors="replace")[-800:]])
same = lambda a, b: os.path.exists(a) and os.path.exists(b) and open(a, "rb").read() == open(b, "rb").read()  # noqa: E731
tap.ok(same(live_json, rep_json), "report: the JSON is byte-identical to the live run's")
tap.ok(same(live_spans, rep_spans), "report: the spans are identical to the live run's")

p = run(["report", rec, "-t", "--color", "never"], as_user=True)
err = p.stderr.decode(errors="replace")
tap.ok(p.returncode == 0 and "Timeline:" in err and "Why" in err,
       "report -t: the report and the timeline, on stderr", [err[-600:]])
html, trace = os.path.join(d, "r.html"), os.path.join(d, "r.trace")
p = run(["report", rec, "-q", "--html", html, "--perfetto", trace], as_user=True)
ok = p.returncode == 0 and os.path.getsize(html) > 10000 and os.path.getsize(trace) > 1000
chk = subprocess.run([os.path.join(REPO, "tools", "perfetto-check.py"), trace],
                     capture_output=True) if ok else None
tap.ok(ok and chk.returncode == 0, "report --html --perfetto: both written, the trace valid",
       [p.stderr.decode(errors="replace")[-400:], chk.stdout.decode()[-300:] if chk else ""])

if os.path.exists(live_json):
    import json
    j = json.load(open(live_json))
    switches = sum(t["voluntary_switches"] + t["involuntary_switches"] for t in j["threads"])
    size = os.path.getsize(rec)
    tap.ok(switches > 0 and size <= 48 * switches + 4096,
           "record: at most 48 bytes per context switch (plus the tables)",
           [f"{size} bytes, {switches} switches: {size / max(switches, 1):.1f} per switch"])

# Broken recordings: one line, exit 1.
good = open(rec, "rb").read()
cases = {
    "empty": b"",
    "foreign": b"#!/bin/sh\necho hello\n" * 20,
    "truncated": good[: len(good) // 2],
    "truncated-header": good[:10],
    "garbled": good[:200] + bytes(b ^ 0x5A for b in good[200:260]) + good[260:],
    "future": good[:8] + struct.pack("<I", 99) + good[12:],
    "json": open(live_json, "rb").read(),
}
for name, data in cases.items():
    path = os.path.join(d, name + ".cpr")
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    p = run(["report", path, "-q", "--json", os.path.join(d, name + ".json")], as_user=True)
    lines = [ln for ln in p.stderr.decode(errors="replace").splitlines() if ln.strip()]
    tap.ok(p.returncode == 1 and len(lines) == 1 and lines[0].startswith("concprof: ")
           and not os.path.exists(os.path.join(d, name + ".json")),
           f"report {name} file: one clear line, exit 1, no output written",
           [f"rc {p.returncode}", *lines[:4]])
p = run(["report", os.path.join(d, "missing.cpr")])
tap.ok(p.returncode == 1 and b"missing.cpr" in p.stderr, "report a missing file: exit 1, named",
       [p.stderr.decode(errors="replace")])
p = run(["report", d])
tap.ok(p.returncode == 1, "report a directory: exit 1", [p.stderr.decode(errors="replace")])

# Usage errors.
for args, what in ((["record", "--", "true"], "record without -o"),
                   (["report"], "report without a file"),
                   (["report", rec, "-p", "1"], "report with -p")):
    p = run(args)
    tap.ok(p.returncode == 2, f"{what}: exit 2", [p.stderr.decode(errors="replace")])

# --no-stream: totals only.
ns = os.path.join(d, "ns.cpr")
p = run(["record", "-o", ns, "-q", "--no-stream", "--", gt_binary("sleep500"), "50"])
os.chmod(ns, 0o644) if os.path.exists(ns) else None
p2 = run(["report", ns, "-t"], as_user=True)
p3 = run(["report", ns, "-q", "--json", os.path.join(d, "ns.json")], as_user=True)
tap.ok(p.returncode == 0 and p2.returncode == 1 and b"no-stream" in p2.stderr and
       p3.returncode == 0, "record --no-stream: report has totals, and says it has no timeline",
       [p2.stderr.decode(errors="replace"), p3.stderr.decode(errors="replace")])

if tap.failed:
    tap.diag(f"files kept in {d}")
else:
    shutil.rmtree(d, ignore_errors=True)
tap.done()
