# SPDX-License-Identifier: MIT
"""The lecture's timing report, shared by download.py and primes.py.

    CPU times: user 732 ms, sys: 262 ms, total: 994 ms
    Wall time: 16.4 s

is what IPython's %time prints; CPU time includes waited-for child processes.
"""

import math
import resource


def fmt_duration(s: float) -> str:
    """Three significant digits and a unit, as IPython's _format_time()."""
    if s >= 60:
        t = int(s)
        parts = [f"{t // 3600}h" if t >= 3600 else "",
                 f"{t % 3600 // 60}min" if t % 3600 >= 60 else "",
                 f"{t % 60}s" if t % 60 else ""]
        return " ".join(p for p in parts if p)
    order = min(-int(math.floor(math.log10(s)) // 3), 3) if s > 0 else 3
    order = max(order, 0)
    units = ("s", "ms", "us", "ns")
    return f"{s * 1000 ** order:.3g} {units[order]}"


def cpu_usage():
    """(user, sys) seconds of this process and its waited-for children."""
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + children.ru_utime, own.ru_stime + children.ru_stime


def print_times(cpu_start, wall: float) -> None:
    """Prints the CPU used since cpu_start (a cpu_usage() result) and the wall time."""
    user, system = (now - then for now, then in zip(cpu_usage(), cpu_start))
    print(f"CPU times: user {fmt_duration(user)}, sys: {fmt_duration(system)}, "
          f"total: {fmt_duration(user + system)}")
    print(f"Wall time: {fmt_duration(wall)}", flush=True)
