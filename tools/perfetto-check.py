#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Checks a trace that `concprof --perfetto FILE` wrote: ftrace's text format, as
`cat /sys/kernel/tracing/trace` prints it with record-tgid, which ui.perfetto.dev imports.

usage: tools/perfetto-check.py [-q] FILE      (FILE may be - for stdin)

Every line must match the strict form of its kind (the header's comments, sched_switch,
sched_waking, sched_blocked_reason, tracing_mark_write B/E); and:
  - timestamps never decrease;
  - on each CPU, a switch's prev_pid is the previous switch's next_pid, and the line belongs to
    the task switched out;
  - no thread is on two CPUs at once (beyond the instant of a migration), nor runs after it
    switched out dead (prev_state X);
  - a thread keeps one name and one process (TGID);
  - every B (slice begin) has its E on the same thread, in order, with the thread's TGID.
Prints a summary (threads, processes, switches, wakeups, slices) and exits 0; on a violation,
prints each (up to 20) as FILE:LINE: message and exits 1; 2 if FILE cannot be read.
Python 3 standard library only.
"""
import re
import sys

LINE = re.compile(
    r"^\s*(?P<task>\S.*?)-(?P<pid>\d+)\s+\(\s*(?P<tgid>\d+|-+)\)\s+\[(?P<cpu>\d{3,})\]\s+"
    r"(?P<flags>[a-zA-Z0-9.]{4})\s+(?P<sec>\d+)\.(?P<frac>\d{9}|\d{6}):\s+"
    r"(?P<event>[a-z_]+):\s(?P<args>.*)$"
)
COMM = r"[^\s=]+"
STATE = r"R\+?|[SDTtXZPIKWN](?:\|[SDTtXZPIKWN])*"
SWITCH = re.compile(
    rf"^prev_comm=(?P<prev_comm>{COMM}) prev_pid=(?P<prev_pid>\d+) prev_prio=-?\d+ "
    rf"prev_state=(?P<prev_state>{STATE}) ==> "
    rf"next_comm=(?P<next_comm>{COMM}) next_pid=(?P<next_pid>\d+) next_prio=-?\d+$"
)
WAKING = re.compile(rf"^comm=(?P<comm>{COMM}) pid=(?P<pid>\d+) prio=-?\d+ target_cpu=\d{{3,}}$")
REASON = re.compile(r"^pid=(?P<pid>\d+) iowait=[01] caller=\S+$")
MARK = re.compile(r"^(?:B\|(?P<btgid>\d+)\|(?P<name>\S.*)|E\|(?P<etgid>\d+))$")
MAX_ERRORS = 20


class Checker:
    def __init__(self, path):
        self.path = path
        self.errors = []
        self.last_ts = None
        self.first_ts = None
        self.cpu_current = {}  # cpu -> pid running there, after the last switch
        self.running_on = {}  # pid -> cpu
        self.pending = {}  # pid -> (cpu, ts, lineno): switched in while still on another CPU
        self.dead = set()
        self.pids = set()  # every thread seen
        self.names = {}  # pid -> name
        self.tgids = {}  # pid -> tgid
        self.open_slices = {}  # pid -> [(name, lineno)]
        self.switches = 0
        self.wakeups = 0
        self.wakeups_idle = 0
        self.wakeups_outside = 0
        self.slices = 0
        self.reasons = 0
        self.cpus = set()
        self.events = 0

    def error(self, lineno, msg):
        self.errors.append(f"{self.path}:{lineno}: {msg}")

    def name(self, lineno, pid, name):
        """One name per thread: the line prefixes' and the comm fields' agree."""
        if pid == 0 or name == "<...>":
            return
        self.pids.add(pid)
        known = self.names.setdefault(pid, name)
        if known != name:
            self.error(lineno, f"pid {pid} is named {name!r} here, {known!r} before")

    def tgid(self, lineno, pid, tgid):
        known = self.tgids.setdefault(pid, tgid)
        if known != tgid:
            self.error(lineno, f"pid {pid} is in process {tgid} here, {known} before")

    def settle(self, ts):
        """Migrations resolve within their instant: a thread still on two CPUs after is not."""
        for pid, (cpu, when, lineno) in list(self.pending.items()):
            if when < ts:
                self.error(lineno, f"pid {pid} switched in on CPU {cpu} while still running "
                           f"on CPU {self.running_on.get(pid)}")
                del self.pending[pid]

    def switch(self, lineno, ts, cpu, line_pid, sw):
        prev, nxt = int(sw["prev_pid"]), int(sw["next_pid"])
        self.switches += 1
        if line_pid != prev:
            self.error(lineno, f"sched_switch written by pid {line_pid}, not by prev_pid {prev}")
        if prev == nxt:
            self.error(lineno, f"sched_switch from pid {prev} to itself")
        if cpu in self.cpu_current and self.cpu_current[cpu] != prev:
            self.error(lineno, f"CPU {cpu}: prev_pid {prev}, but pid {self.cpu_current[cpu]} "
                       "was switched in last")
        for pid, comm in ((prev, sw["prev_comm"]), (nxt, sw["next_comm"])):
            if pid == 0 and comm != f"swapper/{cpu}":
                self.error(lineno, f"the idle task of CPU {cpu} is named {comm!r}")
            self.name(lineno, pid, comm)
        self.cpu_current[cpu] = nxt
        if prev:
            if self.running_on.get(prev) == cpu:
                del self.running_on[prev]
                if prev in self.pending:  # the other half of a migration
                    self.running_on[prev] = self.pending.pop(prev)[0]
            elif self.pending.get(prev, (None,))[0] == cpu:
                del self.pending[prev]
            if sw["prev_state"] == "X":
                self.dead.add(prev)
        if nxt:
            if nxt in self.dead:
                self.error(lineno, f"pid {nxt} switched in after it exited")
            if nxt in self.running_on:
                self.pending[nxt] = (cpu, ts, lineno)
            else:
                self.running_on[nxt] = cpu

    def mark(self, lineno, pid, tgid, mk):
        if mk["btgid"] is not None:
            if tgid is not None and int(mk["btgid"]) != tgid:
                self.error(lineno, f"B|{mk['btgid']} on pid {pid} of process {tgid}")
            self.open_slices.setdefault(pid, []).append((mk["name"], lineno))
            self.slices += 1
        else:
            if tgid is not None and int(mk["etgid"]) != tgid:
                self.error(lineno, f"E|{mk['etgid']} on pid {pid} of process {tgid}")
            if not self.open_slices.get(pid):
                self.error(lineno, f"E on pid {pid} without a B")
            else:
                self.open_slices[pid].pop()

    def line(self, lineno, text):
        if lineno == 1:
            if text != "# tracer: nop":
                self.error(lineno, "the first line must be '# tracer: nop' (Perfetto looks "
                           "for '# tracer' to recognise the format)")
            return
        if text.startswith("#"):
            return
        if not text.strip():
            self.error(lineno, "an empty line")
            return
        m = LINE.match(text)
        if not m:
            self.error(lineno, f"not an ftrace line: {text!r}")
            return
        self.events += 1
        ts = int(m["sec"]) * 1_000_000_000 + int(m["frac"].ljust(9, "0"))
        cpu, pid = int(m["cpu"]), int(m["pid"])
        tgid = None if m["tgid"].startswith("-") else int(m["tgid"])
        task = m["task"]
        self.cpus.add(cpu)
        if self.last_ts is not None and ts < self.last_ts:
            self.error(lineno, f"time goes back: {ts} ns after {self.last_ts} ns")
        if self.first_ts is None:
            self.first_ts = ts
        if self.last_ts is not None and ts > self.last_ts:
            self.settle(ts)
        self.last_ts = ts
        if pid == 0:
            if task != "<idle>" or tgid is not None:
                self.error(lineno, "pid 0 must be '<idle>' with no TGID")
        else:
            self.name(lineno, pid, task)
            if tgid is not None:  # a traced thread, even one without a name
                self.pids.add(pid)
                self.tgid(lineno, pid, tgid)

        event, args = m["event"], m["args"]
        if event == "sched_switch":
            sw = SWITCH.match(args)
            if not sw:
                self.error(lineno, f"malformed sched_switch: {args!r}")
            else:
                self.switch(lineno, ts, cpu, pid, sw)
        elif event == "sched_waking":
            wk = WAKING.match(args)
            if not wk:
                self.error(lineno, f"malformed sched_waking: {args!r}")
                return
            self.wakeups += 1
            self.wakeups_idle += pid == 0
            self.wakeups_outside += task == "<...>"
            self.name(lineno, int(wk["pid"]), wk["comm"])
        elif event == "sched_blocked_reason":
            if not REASON.match(args):
                self.error(lineno, f"malformed sched_blocked_reason: {args!r}")
            self.reasons += 1
        elif event == "tracing_mark_write":
            mk = MARK.match(args)
            if not mk:
                self.error(lineno, f"malformed tracing_mark_write: {args!r}")
            elif pid == 0:
                self.error(lineno, "a slice on the idle task")
            else:
                self.mark(lineno, pid, tgid, mk)
        else:
            self.error(lineno, f"an event concprof does not write: {event}")

    def finish(self, lineno):
        if lineno == 0:
            self.error(0, "an empty file")
        self.settle(float("inf"))
        for pid, stack in self.open_slices.items():
            for name, at in stack:
                self.error(at, f"B|{name!r} on pid {pid} has no E")

    def summary(self):
        def n(count, what):
            return f"{count} {what}{'' if count == 1 else 'es' if what[-1] in 'sh' else 's'}"

        span = (self.last_ts - self.first_ts) / 1e9 if self.first_ts is not None else 0
        return (f"{n(self.events, 'event')} over {span:.3f} s: {n(len(self.pids), 'thread')} in "
                f"{n(len(set(self.tgids.values())), 'process')}, {n(self.switches, 'switch')} "
                f"on {n(len(self.cpus), 'CPU')}, {n(self.wakeups, 'wakeup')} "
                f"({self.wakeups_idle} by idle, {self.wakeups_outside} by untraced tasks), "
                f"{n(self.slices, 'slice')}, {n(self.reasons, 'blocked reason')}")


def main(argv):
    args = [a for a in argv[1:] if a != "-q"]
    quiet = len(args) < len(argv) - 1
    if len(args) != 1:
        print("usage: tools/perfetto-check.py [-q] FILE", file=sys.stderr)
        return 2
    path = args[0]
    checker = Checker(path)
    lineno = 0
    try:
        f = sys.stdin if path == "-" else open(path, encoding="utf-8", newline="\n")
        with f:
            for lineno, text in enumerate(f, 1):
                if not text.endswith("\n"):
                    checker.error(lineno, "the last line has no newline")
                checker.line(lineno, text.rstrip("\n"))
    except UnicodeDecodeError as e:
        print(f"perfetto-check: {path}: not UTF-8 text: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"perfetto-check: {path}: {e.strerror}", file=sys.stderr)
        return 2
    checker.finish(lineno)
    if checker.errors:
        for e in checker.errors[:MAX_ERRORS]:
            print(e, file=sys.stderr)
        if len(checker.errors) > MAX_ERRORS:
            print(f"... and {len(checker.errors) - MAX_ERRORS} more", file=sys.stderr)
        print(f"perfetto-check: {path}: {len(checker.errors)} violation(s)", file=sys.stderr)
        return 1
    if not quiet:
        print(f"perfetto-check: {path}: OK: {checker.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
