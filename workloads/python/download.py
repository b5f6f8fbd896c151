#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Download a set of files over HTTP, verify them, and time it: the lecture's I/O demo.

The same program as workloads/download (C), in CPython with the standard library only:

  seq      one file after the other
  threads  a ThreadPoolExecutor: the GIL is released while a thread waits for the network
  procs    a ProcessPoolExecutor: results come back to the parent pickled through a pipe
  asyncio  one event loop; urllib blocks, so each download runs in asyncio.to_thread(),
           at most WORKERS at once

Each file is checked against the manifest (size and SHA-256); failures get a line on stderr
and make the exit status 1.

Examples (start the server first, outside the program being measured):
  workloads/imgserver &
  workloads/python/download.py                       # sequential, ~15 s
  workloads/python/download.py --mode threads -n 16
  workloads/python/download.py --mode asyncio --out /tmp/imgs
  sudo ./concprof -- /usr/bin/python3 workloads/python/download.py --mode threads
"""

import argparse
import asyncio
import contextlib
import hashlib
import http.client
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from concurrent import futures
from typing import NamedTuple, Optional

from timing import cpu_usage, print_times

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_WORKERS = 8
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "concprof-download.py/1.0 (teaching demo; urllib)"
MODES = ("seq", "threads", "procs", "asyncio")
CHUNK = 64 * 1024


class Entry(NamedTuple):
    url: str
    name: str            # file name under --out
    size: Optional[int]  # None: not checked
    sha256: Optional[str]


class Result(NamedTuple):
    ok: bool             # HTTP 200 and the whole body arrived
    size: int
    sha256: str
    seconds: float
    error: str


def describe(exc: BaseException, timeout: float) -> str:
    """A one-line reason for a failed download."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g} s (--timeout)"
    if isinstance(reason, ConnectionRefusedError):
        return f"cannot connect (is the server running?): {reason}"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host name: {reason}"
    if isinstance(reason, http.client.IncompleteRead):
        return "the connection closed before the end of the file"
    if isinstance(reason, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(reason, ValueError):
        return f"bad URL: {reason}"
    return f"transfer failed: {reason}"


def fetch(entry: Entry, out_dir: Optional[str], timeout: float) -> Result:
    """Downloads one file, hashing (and maybe saving) it as it arrives. Runs in a worker."""
    start = time.perf_counter()
    deadline = start + timeout
    digest, size = hashlib.sha256(), 0
    part = os.path.join(out_dir, entry.name + ".part") if out_dir else None
    try:
        request = urllib.request.Request(entry.url, headers={"User-Agent": USER_AGENT})
        # urllib's timeout bounds each socket operation; the deadline bounds the whole file.
        with contextlib.ExitStack() as stack:
            response = stack.enter_context(urllib.request.urlopen(request, timeout=timeout))
            sink = stack.enter_context(open(part, "wb")) if part else None
            while chunk := response.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if sink:
                    sink.write(chunk)
                if time.perf_counter() > deadline:
                    raise TimeoutError
        if part:
            os.replace(part, os.path.join(out_dir, entry.name))
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if part and os.path.exists(part):
            os.unlink(part)
        error = describe(exc, timeout)
        if isinstance(exc, OSError) and exc.filename and not isinstance(exc, urllib.error.URLError):
            error = f"cannot write {exc.filename}: {exc.strerror}"
        return Result(False, size, "", time.perf_counter() - start, error)
    return Result(True, size, digest.hexdigest(), time.perf_counter() - start, "")


# ---- the four concurrency models ------------------------------------------------------

def run_seq(entries, args):
    return [report(e, fetch(e, args.out, args.timeout), args) for e in entries]


def run_pool(entries, args, pool_class):
    with pool_class(max_workers=args.workers) as pool:
        jobs = {pool.submit(fetch, e, args.out, args.timeout): i for i, e in enumerate(entries)}
        results = [None] * len(entries)
        for job in futures.as_completed(jobs):
            i = jobs[job]
            results[i] = report(entries[i], job.result(), args)
    return results


async def run_asyncio(entries, args):
    # asyncio.to_thread() uses the loop's default executor, whose size depends on the CPU
    # count: give it WORKERS threads, and let a semaphore admit WORKERS downloads at once.
    loop = asyncio.get_running_loop()
    loop.set_default_executor(futures.ThreadPoolExecutor(max_workers=args.workers))
    semaphore = asyncio.Semaphore(args.workers)

    async def one(entry):
        async with semaphore:
            result = await asyncio.to_thread(fetch, entry, args.out, args.timeout)
        return report(entry, result, args)

    return await asyncio.gather(*(one(e) for e in entries))


def report(entry: Entry, result: Result, args) -> Result:
    """With --verbose, one line per file as it completes."""
    if args.verbose:
        if result.ok:
            print(f"  got  {entry.name:30} {result.size:>12_} bytes  {result.seconds:6.2f} s",
                  file=sys.stderr)
        else:
            print(f"  FAIL {entry.name:30} {result.error}", file=sys.stderr)
    return result


# ---- manifest ---------------------------------------------------------------------------

def read_source(source: str, timeout: float) -> str:
    if "://" in source:
        try:
            request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.read().decode()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            hint = ""
            if isinstance(getattr(exc, "reason", None), ConnectionRefusedError):
                hint = "\n(is imgserver running? Start it first, e.g.: workloads/imgserver &)"
            sys.exit(f"download.py: cannot fetch the list of files {source}: "
                     f"{describe(exc, timeout)}{hint}")
    try:
        if source == "-":
            return sys.stdin.read()
        with open(source, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        sys.exit(f"download.py: cannot read {source}: {exc.strerror}")


def file_name(url: str, index: int) -> str:
    path = url.split("://", 1)[-1].partition("/")[2] if "://" in url else url
    name = path.split("?")[0].split("#")[0].rsplit("/", 1)[-1]
    return name if name not in ("", ".", "..") else f"file-{index + 1}"


def parse_list(text: str, source: str, base_url: str, urls_only: bool):
    """Manifest lines are 'PATH SIZE SHA256' ('-' = unknown); --urls lines a URL or path."""
    entries, names = [], set()
    for lineno, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if urls_only:
            if len(fields) != 1:
                sys.exit(f"download.py: {source}:{lineno}: expected one URL per line")
            fields += ["-", "-"]
        if len(fields) != 3:
            sys.exit(f"download.py: {source}:{lineno}: expected 'PATH SIZE SHA256'")
        path, size, sha = fields
        if size != "-" and not size.isdigit():
            sys.exit(f"download.py: {source}:{lineno}: bad size '{size}'")
        if sha != "-" and (len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha)):
            sys.exit(f"download.py: {source}:{lineno}: bad SHA-256 '{sha}'")
        url = path if "://" in path else f"{base_url}/{path.lstrip('/')}"
        name = file_name(url, len(entries))
        if name in names:  # two URLs ending in the same name: keep both
            name = f"{lineno}-{name}"
        names.add(name)
        entries.append(Entry(url, name, None if size == "-" else int(size),
                             None if sha == "-" else sha))
    if not entries:
        sys.exit(f"download.py: {source} lists no files")
    return entries


def verify(entry: Entry, result: Result, out_dir: Optional[str]) -> bool:
    if not result.ok:
        why = result.error
    elif entry.size is not None and result.size != entry.size:
        why = f"got {result.size:_} bytes, the manifest says {entry.size:_}"
    elif entry.sha256 and result.sha256 != entry.sha256:
        why = f"SHA-256 {result.sha256}, the manifest says {entry.sha256}"
    else:
        return True
    print(f"download.py: FAILED {entry.url}: {why}", file=sys.stderr)
    if result.ok and out_dir:  # do not leave a corrupt file where a good one is expected
        os.unlink(os.path.join(out_dir, entry.name))
    return False


# ---- timing and command line ------------------------------------------------------------

def ranged(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid value '{text}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"'{text}' is not in {low:g}..{high:g}")
        return value
    return parse


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Download files over HTTP one after the other or concurrently, check\n"
                    "each against a manifest, and print the total bytes and the time taken.",
        epilog=__doc__.split("Examples", 1)[1].join(["Examples", ""]),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-m", "--mode", choices=MODES + ("async",), default="seq",
                   help="seq, threads, procs or asyncio (default seq)")
    p.add_argument("-n", "--workers", type=ranged(int, 1, 1000), default=DEFAULT_WORKERS,
                   metavar="N",
                   help="threads, processes or simultaneous downloads (default %(default)s)")
    p.add_argument("-u", "--base-url", default=DEFAULT_BASE_URL, metavar="URL",
                   help="server to download from (default %(default)s)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("-M", "--manifest", metavar="SRC",
                       help="manifest URL or file, '-' for stdin (default "
                            "BASE_URL/manifest.txt); lines: PATH SIZE SHA256")
    group.add_argument("-U", "--urls", metavar="FILE",
                       help="a plain list of URLs instead: only the HTTP status is checked")
    p.add_argument("-o", "--out", metavar="DIR", help="save the files in this directory")
    p.add_argument("-t", "--timeout", type=ranged(float, 0.001, 86400), default=DEFAULT_TIMEOUT,
                   metavar="S",
                   help="give up on a file after this many seconds (default %(default)g)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="one line per file on stderr as it completes")
    args = p.parse_args(argv)
    if args.mode == "async":
        args.mode = "asyncio"
    if not args.base_url.startswith(("http://", "https://")):
        p.error(f"the base URL must start with http:// or https://, not '{args.base_url}'")
    if args.out and not os.path.isdir(args.out):
        p.error(f"--out {args.out}: not a directory")
    args.base_url = args.base_url.rstrip("/")
    if args.mode == "seq":
        args.workers = 1
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    source = args.urls or args.manifest or f"{args.base_url}/manifest.txt"
    entries = parse_list(read_source(source, args.timeout), source, args.base_url,
                         args.urls is not None)
    workers = min(args.workers, len(entries))

    # Measure the downloads only, as %time does around the download function.
    cpu_start = cpu_usage()
    start = time.perf_counter()
    if args.mode == "seq":
        results = run_seq(entries, args)
    elif args.mode == "threads":
        results = run_pool(entries, args, futures.ThreadPoolExecutor)
    elif args.mode == "procs":
        results = run_pool(entries, args, futures.ProcessPoolExecutor)
    else:
        results = asyncio.run(run_asyncio(entries, args))
    wall = time.perf_counter() - start

    ok = [verify(e, r, args.out) for e, r in zip(entries, results)]
    total = sum(r.size for r, good in zip(results, ok) if good)
    failed = len(entries) - sum(ok)
    print(f"{len(entries)} files: {sum(ok)} ok, {failed} failed "
          f"(mode {args.mode}, {workers} worker{'s' if workers != 1 else ''})")
    print(f"TOTAL BYTES: {total:_}")
    print_times(cpu_start, wall)
    if failed:
        print(f"download.py: {failed} of {len(entries)} files failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
