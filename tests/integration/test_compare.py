#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof compare, on real runs: workloads/primes in seq and procs modes (scale 0.2), and a
CPython program that touches 64 MiB.

Expect: `compare A.json B.json` exits 0 and shows both labels, with a speed-up equal to the two
files' wall times' ratio (within 1%), as text, as Markdown (every row of a table with as many
cells) and as JSON (concprof-compare/1, with the files' own figures); the 64 MiB program's peak
resident memory is at least 64 MiB and less than 64 + 40 MiB; the procs run shows its worker
processes created and their fork-to-first-run time; `compare -- A ::: B` runs both commands,
labels them by the words in which they differ, and keeps their output off stdout; an unreadable
file, a file that is not concprof/1 JSON, a command that fails exit 1 naming it, and too few
runs exit 2. Skipped as a whole until ./concprof dispatches `compare`."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

MIB = 1 << 20
PRIMES = os.path.join(ROOT, "workloads", "primes")
SCALE = "0.2"
# Every page written: resident, not just reserved (bytearray's zeroed pages come from mmap).
TOUCH_64_MIB = "b = bytearray(64 << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\n"

tap = TAP()
require_concprof(tap)


def cp(args, timeout=180, **kw):
    """Runs ./concprof ARGS; returns (rc, stdout str, stderr str)."""
    try:
        p = subprocess.run([CONCPROF] + args, capture_output=True, timeout=timeout, **kw)
        return (p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"))
    except subprocess.TimeoutExpired as e:
        return "timeout", (e.stdout or b"").decode(errors="replace"), \
            (e.stderr or b"").decode(errors="replace")


def tail(text, n=8):
    return [f"stderr: {line}" for line in text.strip().splitlines()[-n:]]


rc, out, err = cp(["--help"])
rc2, out2, err2 = cp(["compare", "--help"])
if "compare" not in out or rc2 != 0 or "concprof compare" not in out2:
    tap.skip("concprof compare", "./concprof --help does not list compare, or "
             "`concprof compare --help` is not its help: compare is not wired into main() yet")
    tap.done()
if not os.access(PRIMES, os.X_OK):
    subprocess.run(["make", "-s", "workloads/primes"], capture_output=True)
if not os.access(PRIMES, os.X_OK):
    tap.ok(False, "workloads/primes is built", [f"missing: {PRIMES} (run make)"])
    tap.done()

work = tempfile.mkdtemp(prefix="concprof-it-compare-")
failed_before = tap.failed


def record(name, workload):
    """./concprof -q --json WORK/NAME.json -- WORKLOAD; returns (path, parsed JSON or None)."""
    path = os.path.join(work, name + ".json")
    rc, out, err = cp(["-q", "--json", path, "--"] + workload)
    try:
        with open(path) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        j = None
        err += f"\n{e!r}"
    tap.ok(rc == 0 and j is not None and j.get("format") == "concprof/1",
           f"{name}: concprof exits 0 and writes concprof/1 JSON", [f"exit {rc}", *tail(err)])
    return path, j


seq_path, seq = record("seq", [PRIMES, "--mode", "seq", "--scale", SCALE])
procs_path, procs = record("procs", [PRIMES, "--mode", "procs", "--scale", SCALE])
mem_path, mem = record("mem64", ["/usr/bin/python3", "-c", TOUCH_64_MIB])
if seq is None or procs is None or mem is None:
    tap.diag(f"files kept in {work}")
    tap.done()
expected_speedup = seq["wall_ns"] / procs["wall_ns"]


def speedups_in(line):
    return [float(x) for x in re.findall(r"(\d+\.\d+)×", line)]


def close(got, want, rel=0.01):
    return got is not None and abs(got - want) <= rel * want


# --- text -------------------------------------------------------------------------------------
rc, out, err = cp(["compare", "--color", "never", seq_path, procs_path])
tap.ok(rc == 0 and err == "", "compare A.json B.json: exit 0, nothing on stderr",
       [f"exit {rc}", *tail(err)])
tap.ok(re.search(r"^\s+seq\s+procs\s*$", out, re.M) is not None,
       "text: both labels (the files' names) head the columns", out.splitlines()[:12])
line = next((x for x in out.splitlines() if x.strip().startswith("speed-up vs seq")), "")
got = speedups_in(line)
tap.ok(len(got) == 2 and got[0] == 1.0 and close(got[1], expected_speedup),
       f"text: speed-up row is 1.00× and the walls' ratio {expected_speedup:.3f} (±1%)",
       [f"row: {line!r}", f"seq wall {fmt_ns(seq['wall_ns'])}, "
        f"procs wall {fmt_ns(procs['wall_ns'])}"])
tap.ok("── Verdict" in out and "procs:" in out.split("── Verdict", 1)[-1],
       "text: a verdict on the second run", out.splitlines()[-6:])
tap.ok("\033" not in out, "text: no escape codes with --color never")

# --- Markdown ---------------------------------------------------------------------------------
rc, out, err = cp(["compare", "--markdown", seq_path, procs_path])
bad, tables, cells = [], 0, None
for row in out.splitlines():
    if not row.startswith("|"):
        cells = None
        continue
    n = len(re.findall(r"(?<!\\)\|", row)) - 1
    if cells is None:
        tables += 1
        cells = n
    elif n != cells or not row.endswith("|"):
        bad.append(f"{n} cells, not {cells}: {row}")
tap.ok(rc == 0 and tables >= 4 and not bad and cells in (None, 3),
       f"markdown: exit 0, {tables} tables, every row with the same number of cells",
       [f"exit {rc}", *bad[:10], *tail(err)])
tap.ok("| :--- | ---: | ---: |" in out and "| seq | procs |" in out,
       "markdown: alignment rows, both labels in the header")
m = re.search(r"^\| speed-up vs seq \| 1\.00× \| (\d+\.\d+)× \|$", out, re.M)
tap.ok(m is not None and close(float(m.group(1)), expected_speedup),
       "markdown: the speed-up row agrees with the JSON walls (±1%)",
       [m.group(0) if m else "no speed-up row"])

# --- JSON -------------------------------------------------------------------------------------
rc, out, err = cp(["compare", "--json", "-", seq_path, procs_path, mem_path])
try:
    doc = json.loads(out)
except ValueError as e:
    doc = None
    err += f"\n{e!r}"
tap.ok(rc == 0 and doc is not None and doc.get("format") == "concprof-compare/1",
       "json: --json - writes a concprof-compare/1 document, and only that, on stdout",
       [f"exit {rc}", *tail(err), out[:300]])
runs = (doc or {}).get("runs") or []
tap.ok([r.get("label") for r in runs] == ["seq", "procs", "mem64"],
       "json: the runs in order, labelled by their files' names",
       [f"labels {[r.get('label') for r in runs]}"])
if len(runs) == 3:
    r_seq, r_procs, r_mem = runs
    tap.ok(r_seq["wall_ns"] == seq["wall_ns"] and r_procs["wall_ns"] == procs["wall_ns"],
           "json: wall_ns as in the files")
    tap.ok(close(r_procs.get("speedup"), expected_speedup) and r_seq.get("speedup") == 1.0,
           "json: speedup is the walls' ratio (±1%)",
           [f"got {r_procs.get('speedup')}, expected {expected_speedup}"])
    tap.ok(r_procs["processes"] == len(procs["processes"]) and
           r_procs["threads"] == len(procs["threads"]) and
           r_procs["user_ns"] == procs["totals"]["user_ns"],
           "json: processes, threads and user time as in the file")
    # 64 MiB written page by page, in CPython: its own few MiB on top, never 40 more.
    peak = (r_mem.get("memory") or {}).get("peak_rss_max_bytes")
    own = [p.get("peak_rss_bytes") for p in mem["processes"]]
    tap.ok(peak is not None and 64 * MIB <= peak < 104 * MIB,
           "memory: the program that touches 64 MiB peaks at 64 MiB .. 64 + 40 MiB",
           [f"peak_rss_max_bytes {peak} ({(peak or 0) / MIB:.1f} MiB); processes' own: {own}"])
    tap.ok(peak == max(own or [0]), "memory: compare's figure is the process's own peak_rss_bytes",
           [f"{peak} vs {own}"])
    st = r_procs.get("startup") or {}
    created = len(procs["processes"]) - 1
    mean = st.get("process_first_run_mean_ns")
    tap.ok(created >= 1 and st.get("processes_created") == created and
           st.get("process_first_runs") == created and mean is not None and
           0 < mean < 1_000_000_000 and st.get("process_first_run_max_ns", 0) >= mean,
           f"start-up: the {created} worker processes created, fork to first run measured",
           [f"startup {st}"])
    tap.ok(r_procs["verdict"] and r_procs["verdict"].get("text", "").startswith("procs: ") and
           r_seq["verdict"] is None, "json: a verdict on each run after the first only",
           [f"{r_procs.get('verdict')}"])

rc, out, err = cp(["compare", "-q", "--json", os.path.join(work, "cmp.json"), seq_path,
                   procs_path])
tap.ok(rc == 0 and out == "" and os.path.getsize(os.path.join(work, "cmp.json")) > 0,
       "json: -q --json FILE writes the file and nothing on stdout", [f"exit {rc}", *tail(err)])

# text memory row, for a teacher's eyes
rc, out, err = cp(["compare", "--color", "never", seq_path, mem_path])
line = next((x for x in out.splitlines()
             if x.strip().startswith("peak resident memory, largest process")), "")
tap.ok(rc == 0 and "MB" in line and "unknown" not in line,
       "text: peak memory of both runs shown (not unknown)", [repr(line)])

# --- the shortcut: -- A ::: B -----------------------------------------------------------------
shortcut_json = os.path.join(work, "shortcut.json")
tmp_root = os.environ.get("TMPDIR") or "/tmp"


def compare_tmpdirs():
    return {d for d in os.listdir(tmp_root) if d.startswith("concprof-compare-")}


tmpdirs_before = compare_tmpdirs()
rc, out, err = cp(["compare", "--color", "never", "--json", shortcut_json, "--",
                   PRIMES, "--mode", "seq", "--scale", SCALE, ":::",
                   PRIMES, "--mode", "procs", "--scale", SCALE])
try:
    with open(shortcut_json) as f:
        short = json.load(f)
except (OSError, ValueError) as e:
    short = {}
    err += f"\n{e!r}"
labels = [r.get("label") for r in short.get("runs", [])]
tap.ok(rc == 0 and labels == ["seq", "procs"],
       "shortcut: -- A ::: B runs both, labelled by the words that differ",
       [f"exit {rc}", f"labels {labels}", *tail(err)])
tap.ok("numbers checked" in err and "numbers checked" not in out and "procs" in out,
       "shortcut: the programs' output goes to stderr, the comparison to stdout",
       [f"stdout starts {out[:200]!r}"])
r = short.get("runs", [{}, {}])
tap.ok(len(r) == 2 and r[0].get("command") == [PRIMES, "--mode", "seq", "--scale", SCALE] and
       r[1].get("processes", 0) >= 2,
       "shortcut: the runs are the commands, measured", [f"{[x.get('command') for x in r]}"])
leftover = sorted(compare_tmpdirs() - tmpdirs_before)
tap.ok(not leftover, "shortcut: no temporary directory left behind", leftover)

# --- failures ---------------------------------------------------------------------------------
missing = os.path.join(work, "no-such-run.json")
rc, out, err = cp(["compare", seq_path, missing])
tap.ok(rc == 1 and missing in err and out == "",
       "a missing file: exit 1, a message naming it", [f"exit {rc}", *tail(err)])
not_json = os.path.join(work, "notes.txt")
with open(not_json, "w") as f:
    f.write("wall 16.4 s\n")
rc, out, err = cp(["compare", seq_path, not_json])
tap.ok(rc == 1 and not_json in err and "not JSON" in err,
       "a file that is not JSON: exit 1, naming it", [f"exit {rc}", *tail(err)])
other = os.path.join(work, "other.json")
with open(other, "w") as f:
    json.dump({"format": "something/2"}, f)
rc, out, err = cp(["compare", seq_path, other])
tap.ok(rc == 1 and other in err and "concprof/1" in err,
       "JSON that is not concprof/1: exit 1, naming it", [f"exit {rc}", *tail(err)])
fake = os.path.join(work, "fake.cpr")
with open(fake, "wb") as f:
    f.write(b"CONCPROF" + b"\0" * 40)
rc, out, err = cp(["compare", seq_path, fake])
tap.ok(rc == 1 and fake in err and "not JSON" not in err,
       "a damaged recording: exit 1, naming it, read as a recording",
       [f"exit {rc}", *tail(err)])
rc, out, err = cp(["compare", seq_path])
tap.ok(rc == 2 and "two runs" in err, "one run only: exit 2", [f"exit {rc}", *tail(err)])
rc, out, err = cp(["compare", "--", "true", ":::", "/nonexistent/concprof-no-such-cmd"])
tap.ok(rc == 1 and "/nonexistent/concprof-no-such-cmd" in err and "failed" in err,
       "shortcut with a command that cannot run: exit 1, naming it", [f"exit {rc}", *tail(err)])

# --- a recording, where `concprof record` exists ----------------------------------------------
rc, out, err = cp(["--help"])
if "concprof record" in out:
    rec = os.path.join(work, "seq.cpr")
    rc, out, err = cp(["record", "-q", "-o", rec, "--", PRIMES, "--mode", "seq", "--scale",
                       SCALE])
    if rc != 0:
        rc, out, err = cp(["record", "-o", rec, "--", PRIMES, "--mode", "seq", "--scale",
                           SCALE])
    rc2, out2, err2 = cp(["compare", "--json", "-", rec, procs_path])
    try:
        d = json.loads(out2)
    except ValueError:
        d = {}
    tap.ok(rc == 0 and rc2 == 0 and [r.get("label") for r in d.get("runs", [])] ==
           ["seq.cpr", "procs"],
           "a recording (concprof record) compares like a JSON file",
           [f"record exit {rc}, compare exit {rc2}", *tail(err), *tail(err2)])
else:
    tap.skip("a recording compares like a JSON file", "./concprof has no record command")

if tap.failed > failed_before:
    tap.diag(f"files kept in {work}")
else:
    shutil.rmtree(work, ignore_errors=True)
tap.done()
