#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check large numbers for primality by trial division: the CPU-bound demo of the lecture.

The same program as workloads/primes (C), in CPython with the standard library only:

  seq      one number after the other
  threads  a ThreadPoolExecutor: no faster, since the GIL lets one thread run Python at a time
  procs    a ProcessPoolExecutor: one interpreter, and so one GIL, per process: N times faster

Examples:
  workloads/python/primes.py                  # the classic list, sequential
  workloads/python/primes.py --mode threads   # as slow as seq
  workloads/python/primes.py --mode procs -v  # about N times faster on N cores
  sudo ./concprof -- /usr/bin/python3 workloads/python/primes.py --mode threads
"""

import argparse
import math
import os
import sys
import threading
import time
from concurrent import futures

from timing import cpu_usage, print_times

# The numbers of the Python course and of Fluent Python's primes.py. Keep in step with
# workloads/primes.c: both programs derive the numbers of a --scale from them the same way.
CLASSIC = [
    2,
    142702110479723,
    299593572317531,
    3333333333333301,
    3333333333333333,
    3333335652092209,
    4444444488888889,
    4444444444444423,
    5555553133149889,
    5555555555555503,
    7777777536340681,
    7777777777777753,
    9999999999999917,
    9999999999999999,
]

DEFAULT_SCALE = 1.0   # Python is ~10 times slower than C: the classic list takes seconds
MAX_SCALE = 40.0
MODES = ("seq", "threads", "procs")


def is_prime(n: int) -> bool:
    """Trial division by 2 and the odd numbers up to sqrt(n), as in Fluent Python."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    for i in range(3, math.isqrt(n) + 1, 2):
        if n % i == 0:
            return False
    return True


def miller_rabin(n: int) -> bool:
    """Exact below 3.3e24. Only builds the numbers of a --scale; checks use is_prime()."""
    bases = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
    if n < 2:
        return False
    for b in bases:
        if n % b == 0:
            return n == b
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for b in bases:
        x = pow(b, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n: int) -> int:
    if n <= 2:
        return 2
    n |= 1
    while not miller_rabin(n):
        n += 2
    return n


def smallest_factor(n: int) -> int:
    f = 2
    while f * f <= n:
        if n % f == 0:
            return f
        f += 1
    return n


def scaled(n: int, s: float) -> int:
    """The number of the same kind as n costing about s times as much trial division.

    The float arithmetic is the C version's (IEEE doubles, truncation), so both programs
    check the same numbers at the same scale.
    """
    if s == 1.0 or n < 1000:
        return n
    target = int(float(n) * (s * s))
    if miller_rabin(n):
        return next_prime(target)
    root = math.isqrt(n)
    if root * root == n and miller_rabin(root):
        root = next_prime(int(float(root) * s))
        return root * root
    f = smallest_factor(n)  # an easy composite: keep its small factor, and make it odd
    target -= target % f
    if f != 2 and target % 2 == 0:
        target -= f
    return max(target, 3 * f)


def check(n: int):
    """Runs in a worker: returns the verdict, its wall time, and who did the work."""
    start = time.perf_counter()
    cpu = time.thread_time()
    prime = is_prime(n)
    worker = (os.getpid(), threading.get_ident())
    return n, prime, time.perf_counter() - start, worker, time.thread_time() - cpu


def print_result(n: int, prime: bool, seconds: float) -> None:
    print(f"{n:20}  {'P' if prime else ' '}  {seconds:.3f}s", flush=True)


def positive_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid scale '{text}'") from None
    if not 0 < value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"invalid scale '{text}' (0 < X <= {MAX_SCALE:g})")
    return value


def ranged_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid number '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"'{text}' is not in {low}..{high}")
        return value
    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Check large numbers for primality by trial division, sequentially or\n"
                    "with threads or processes, and print each result and the time taken.",
        epilog=__doc__.split("Examples:", 1)[1].join(["Examples:", ""]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-m", "--mode", choices=MODES, default="seq",
                   help="seq, threads or procs (default seq)")
    p.add_argument("-n", "--workers", type=ranged_int(1, 1024), default=os.cpu_count() or 1,
                   metavar="N",
                   help="threads or processes (default: CPUs, %(default)s)")
    p.add_argument("-s", "--scale", type=positive_scale, default=DEFAULT_SCALE, metavar="X",
                   help="work relative to the classic list, whose numbers --scale 1 checks "
                        "as they are (default %(default)g; the C version defaults to 6)")
    p.add_argument("-r", "--repeat", type=ranged_int(1, 1000), default=1, metavar="N",
                   help="check the list N times (default 1)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print each worker's CPU time")
    args = p.parse_args(argv)
    if args.mode == "seq":
        args.workers = 1
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    numbers = [scaled(n, args.scale) for n in CLASSIC] * args.repeat
    kind = "processes" if args.mode == "procs" else "thread" if args.workers == 1 else "threads"
    print(f"Checking {len(numbers)} numbers with {args.workers} {kind} "
          f"(mode {args.mode}, scale {args.scale:g})", flush=True)

    cpu_start = cpu_usage()
    start = time.perf_counter()
    workers = {}
    primes = 0

    def record(result):
        nonlocal primes
        n, prime, seconds, worker, cpu = result
        print_result(n, prime, seconds)
        primes += prime
        count, total = workers.get(worker, (0, 0.0))
        workers[worker] = (count + 1, total + cpu)

    if args.mode == "seq":
        for n in numbers:
            record(check(n))
    else:
        pool = futures.ThreadPoolExecutor if args.mode == "threads" else \
            futures.ProcessPoolExecutor
        with pool(max_workers=args.workers) as executor:
            for job in futures.as_completed([executor.submit(check, n) for n in numbers]):
                record(job.result())
    wall = time.perf_counter() - start

    print(f"{len(numbers)} numbers checked, {primes} primes")
    print_times(cpu_start, wall)
    if args.verbose:
        worker_cpu = 0.0
        for i, (count, cpu) in enumerate(workers.values(), 1):
            print(f"# worker {i}: {count} numbers, CPU {cpu:.3f} s")
            worker_cpu += cpu
        print(f"# workers' CPU: {worker_cpu:.3f} s in {wall:.3f} s of wall time "
              f"({100 * worker_cpu / wall if wall > 0 else 0:.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
