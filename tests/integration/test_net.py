#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""concprof on tests/gt/net: a TCP client and server thread over loopback, 5 rounds of a 100-byte
request and a 3000-byte reply, the server sleeping 100 ms before each reply.

Expect: net_tx/net_rx bytes exactly what each thread's send/recv calls returned (client 500 out,
15000 in; server the reverse), no pipe bytes; the client blocked on 'net' for about 500 ms; the
server blocked mostly on 'sleep'; the main thread on 'lock' (joins)."""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

ROUNDS, DELAY_MS, REQUEST, REPLY = 5, 100, 100, 3000

tap = TAP()
require_concprof(tap)
run = run_concprof(tap, "net",
                   [gt_binary("net"), str(ROUNDS), str(DELAY_MS), str(REQUEST), str(REPLY)])
before = tap.failed
if standard_checks(tap, run, expect_threads=3):
    client, server = run.gt_role("client"), run.gt_role("server")
    if client and server:
        bad = []
        for g in client + server:
            t = run.thread(g["tid"])
            if not t:
                continue
            got = (t["net_tx_bytes"], t["net_rx_bytes"], t["pipe_read_bytes"],
                   t["pipe_write_bytes"])
            want = (g["net_tx"], g["net_rx"], 0, 0)
            if got != want:
                bad.append(f"tid {g['tid']} ({g['role']}): net tx/rx, pipe r/w expected "
                           f"{want}, got {got}")
        tap.ok(not bad, "net: net_tx/net_rx bytes exactly as sent and received, no pipe", bad)
        wait = ROUNDS * DELAY_MS * MS
        check_reason(tap, run, [client[0]["tid"]], "net", 0.9, min_ns=int(0.95 * wait),
                     what="client (waiting for replies)")
        t = run.thread(client[0]["tid"])
        if t:
            tap.ok(t["blocked"]["net"] <= wait + 50 * MS,
                   f"net: client blocked 'net' is about {ROUNDS * DELAY_MS} ms (<= +50 ms)",
                   [describe_blocked(t)])
        check_reason(tap, run, [server[0]["tid"]], "sleep", 0.8, min_ns=int(0.99 * wait),
                     what="server (sleeping before each reply)")
        check_reason(tap, run, [g["tid"] for g in run.gt_role("main")], "lock", 0.9,
                     what="main thread (pthread_join)")
    else:
        tap.ok(False, "net: client and server reported", [f"GT: {run.gt}"])
finish_run(tap, run, before)
tap.done()
