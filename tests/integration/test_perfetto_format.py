#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`--perfetto FILE`'s format, without root: tests/unit/bin/test_tl_perfetto writes the traces
of its hand-made timelines (CONCPROF_PERFETTO_FIXTURES=DIR), tools/perfetto-check.py must pass
each, and must reject each of a few broken copies (time going back, a CPU's switches that do not
chain, a slice without its end, a garbled line, no '# tracer' header). Where Perfetto's
trace_processor_shell is installed (Debian has no package for it), each trace is also loaded into
it: no import error, scheduling slices, sleeps, and one slice per B line."""
import csv
import io

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

WRITER = os.path.join(ROOT, "tests", "unit", "bin", "test_tl_perfetto")
CHECK = os.path.join(ROOT, "tools", "perfetto-check.py")

tap = TAP()
work = tempfile.mkdtemp(prefix="concprof-it-perfetto-")


def check(path):
    p = subprocess.run([sys.executable, CHECK, path], capture_output=True, text=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).strip()


def broken(name, lines):
    path = os.path.join(work, f"broken-{name}.trace")
    with open(path, "w") as f:
        f.writelines(lines)
    return path


if not os.access(WRITER, os.X_OK):
    subprocess.run(["make", "-s", "tests/unit/bin/test_tl_perfetto"], capture_output=True)
if not tap.ok(os.access(WRITER, os.X_OK), "the trace writer's unit binary is built",
              [f"missing: {WRITER} (run make unit-tests)"]):
    tap.done()
p = subprocess.run([WRITER], env=dict(os.environ, CONCPROF_PERFETTO_FIXTURES=work),
                   capture_output=True, text=True, timeout=60)
traces = sorted(f for f in os.listdir(work) if f.endswith(".trace"))
tap.ok(p.returncode == 0 and len(traces) >= 4, "test_tl_perfetto writes its fixture traces",
       [f"exit {p.returncode}, files {traces}", p.stderr[-2000:]])

for name in traces:
    rc, out = check(os.path.join(work, name))
    tap.ok(rc == 0, f"perfetto-check passes {name}", out.splitlines())
    if rc == 0:
        tap.diag(out)

# The checker itself: each of these must fail.
demo = os.path.join(work, "demo.trace")
if os.path.exists(demo):
    with open(demo) as f:
        lines = f.readlines()
    events = [i for i, line in enumerate(lines) if not line.startswith("#")]
    swapped = list(lines)
    swapped[events[3]], swapped[events[-3]] = swapped[events[-3]], swapped[events[3]]
    first_switch = next(i for i in events if "sched_switch" in lines[i] and "prev_pid=0 " not in
                        lines[i])
    unchained = list(lines)
    unchained[first_switch] = re.sub(r"prev_pid=\d+", "prev_pid=4242", lines[first_switch])
    unchained[first_switch] = re.sub(r"-\d+ ", "-4242 ", unchained[first_switch], count=1)
    cases = {
        "time-back": swapped,
        "unchained": unchained,
        "no-end": [line for line in lines if "tracing_mark_write: E|" not in line],
        "garbled": lines[:events[5]] + ["this is not ftrace\n"] + lines[events[5]:],
        "no-header": lines[1:],
    }
    for name, content in cases.items():
        rc, out = check(broken(name, content))
        tap.ok(rc == 1, f"perfetto-check rejects a trace with {name}", [f"exit {rc}", out])

QUERY = """select
  (select count(*) from sched where utid != 0) as sched,
  (select count(*) from thread_state where state in ('S', 'D')) as sleeps,
  (select count(*) from slice) as slices,
  (select count(*) from stats where severity in ('error', 'data_loss') and value > 0) as errors;
"""
shell = shutil.which("trace_processor_shell") or shutil.which("trace_processor")
for name in traces:
    desc = f"trace_processor imports {name}"
    if not shell:
        tap.skip(desc, "trace_processor_shell not installed (no Debian package)")
        continue
    path = os.path.join(work, name)
    qfile = os.path.join(work, "counts.sql")
    with open(qfile, "w") as f:
        f.write(QUERY)
    p = subprocess.run([shell, "-q", qfile, path], capture_output=True, text=True, timeout=120)
    rows = [r for r in csv.reader(io.StringIO(p.stdout)) if r]
    with open(path) as f:
        begins = sum("tracing_mark_write: B|" in line for line in f)
    got = dict(zip(rows[0], rows[1])) if len(rows) >= 2 else {}
    tap.ok(p.returncode == 0 and got.get("errors") == "0" and int(got.get("sched", 0)) > 0
           and int(got.get("sleeps", 0)) > 0 and got.get("slices") == str(begins), desc,
           [f"exit {p.returncode}", f"counts {got}, {begins} B lines", p.stderr[-1500:]])

shutil.rmtree(work, ignore_errors=True)
tap.done()
