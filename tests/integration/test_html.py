#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The HTML report (`--html FILE`) in a real headless Chromium, driven over the DevTools pipe
(tests/browser/cdp.py, standard library only).

1. A hand-made timeline of 50 threads in 5 processes and 100,000 spans, written by the unit
   test binary (TL_HTML_WRITE=PATH tests/unit/bin/test_tl_html; the fixture is big_fixture()
   there): the page loads from file:// with no error and asks for nothing outside it, every
   thread and process has its row (a hostile name shown as text), drawing the whole run and a
   zoom each take < 1 s, hovering a known span tells its state, reason, syscall, duration and
   waker, its pixel has its colour, the wheel zooms around the pointer, dragging pans, the
   keys work, and a screenshot shows a real picture ($HTML_SCREENSHOT keeps it).
2. A real run, `concprof --html OUT -- tests/gt/bin/mutex` (and forkmany, for processes): every
   thread of its --json is in the page and has a row, and hovering one tells about it. Skipped
   while ./concprof does not know --html, or without root.

Needs chromium (tools/install-deps.sh installs it); skipped without it.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from lib import *  # noqa: E402,F403

sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
import cdp  # noqa: E402
import png  # noqa: E402

UNIT = os.path.join(ROOT, "tests", "unit", "bin", "test_tl_html")
DRAW_LIMIT_MS = 1000
# The fixture (tests/unit/test_tl_html.c): thread k blocked for reason k % 8 over
# [5.0 s, 5.4 s) in that reason's syscall, then woken by thread k + 1 for 100 µs.
MARK_START_S, MARK_BLOCKED_MS = 5.0, 400
REASON_SYSCALL = {"lock": "futex(2)", "sleep": "clock_nanosleep(2)", "child": "wait4(2)",
                  "net": "recvfrom(2)", "pipe": "read(2)", "disk": "write(2)", "paging": None,
                  "other": "poll(2)"}
WIDTH, HEIGHT = 1400, 900

tap = TAP()


def page_data(path):
    """The data a page carries (#cp-data), as Python objects."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'<script type="application/json" id="cp-data">(.*?)</script>', text, re.S)
    return text, (json.loads(m.group(1)) if m else None)


def structure_ok(label, text):
    """One document, its two scripts and one style: nothing ended an element early."""
    low = text.lower()
    counts = {t: low.count(t) for t in ("<!doctype html>", "<html", "</html>", "<body",
                                        "</body>", "<script", "</script", "<style", "</style")}
    expect = {"<script": 2, "</script": 2}
    bad = [f"{t}: {n}" for t, n in counts.items() if n != expect.get(t, 1)]
    outside = [w for w in ("http://", "https://", "src=", "href=", "url(") if w in low]
    tap.ok(not bad and not outside, f"{label}: one self-contained document",
           bad + [f"refers outside: {w}" for w in outside])


def hex_rgb(h):
    h = h.strip().lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def open_page(b, label, path):
    """Loads path; False if it did not render."""
    try:
        b.open("file://" + os.path.abspath(path))
        b.wait_for("window.concprof && window.concprof.rendered", timeout=30)
    except cdp.CDPError as e:
        tap.ok(False, f"{label}: the page loads and draws", [str(e), *b.errors, b.log_tail()])
        return False
    tap.ok(True, f"{label}: the page loads and draws")
    return True


def no_errors_nothing_fetched(b, label, path):
    tap.ok(not b.errors, f"{label}: no JavaScript error", b.errors)
    url = "file://" + os.path.abspath(path)
    outside = [u for u in b.requests if u != url and not u.startswith(("data:", "about:"))]
    tap.ok(not outside, f"{label}: the page asks for nothing outside it", outside)


def rows_ok(b, label, data):
    """Every thread and process has its row, named as in the data."""
    got = b.evaluate("""[...document.querySelectorAll('.tl-labels .row.thread')].map(r =>
        [+r.dataset.tid, r.querySelector('.comm').textContent])""")
    want = [[t["tid"], t["comm"]] for t in data["threads"]]
    missing = [f"tid {tid} ({comm!r})" for tid, comm in want if [tid, comm] not in got]
    tap.ok(len(got) == len(want) and not missing,
           f"{label}: every thread has a row with its tid and name ({len(want)})",
           [f"{len(got)} rows for {len(want)} threads", *missing])
    pids = b.evaluate("[...document.querySelectorAll('.tl-labels .row.proc')]"
                      ".map(r => +r.dataset.pid)")
    want_pids = sorted({p["pid"] for p in data["procs"]} | {t["pid"] for t in data["threads"]})
    tap.ok(sorted(pids) == want_pids, f"{label}: every process has a header row",
           [f"rows {sorted(pids)}", f"processes {want_pids}"])


def hover_text(b, x, y):
    """The tooltip after a real mouse move to (x, y)."""
    b.mouse_move(x, y)
    try:
        return b.wait_for("window.concprof.tooltip()", timeout=5)
    except cdp.CDPError:
        return ""


# ---- 1. the 100,000-span page -----------------------------------------------------------


def fixture_page(tmpdir):
    """Writes the fixture's page with the unit test binary (built if need be); its path."""
    if not os.access(UNIT, os.X_OK):
        subprocess.run(["make", "-s", "tests/unit/bin/test_tl_html"], capture_output=True)
    path = os.path.join(tmpdir, "fixture.html")
    try:
        p = subprocess.run([UNIT], env=dict(os.environ, TL_HTML_WRITE=path),
                           capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        tap.ok(False, "fixture: the unit test binary writes the page", [repr(e)])
        return None
    tap.ok(p.returncode == 0 and os.path.exists(path),
           "fixture: the unit test binary writes the page",
           [f"exit {p.returncode}", p.stderr.decode(errors="replace")[-500:]])
    return path if p.returncode == 0 else None


def check_fixture(b, path):
    label = "fixture"
    text, data = page_data(path)
    structure_ok(label, text)
    if not tap.ok(data is not None, f"{label}: the page holds its data as JSON"):
        return
    nspans = sum(t["spans"] for t in data["threads"])
    tap.ok(len(data["threads"]) == 50 and nspans == 100_000,
           f"{label}: 50 threads and 100,000 spans in the data",
           [f"{len(data['threads'])} threads, {nspans} spans"])
    if not open_page(b, label, path):
        return
    counts = b.evaluate("[concprof.threads, concprof.processes, concprof.spans]")
    tap.ok(counts == [50, 5, 100_000], f"{label}: the page read 50 threads, 5 processes, "
           "100,000 spans", [f"got {counts}"])
    rows_ok(b, label, data)
    hostile = data["threads"][7]["comm"]
    shown = b.evaluate("document.querySelector('.row.thread[data-tid=\"2007\"] .comm')"
                       ".textContent")
    tap.ok(hostile == '</script>"&x' and shown == hostile,
           f"{label}: a name like </script> is shown as text", [f"data {hostile!r}",
                                                                 f"row {shown!r}"])
    b.evaluate("document.getElementById('timeline').scrollIntoView()")

    full = b.evaluate("concprof.reset()")
    full_again = b.evaluate("concprof.reset()")
    zoomed = b.evaluate(f"concprof.zoom({MARK_START_S - 0.1}, {MARK_START_S + 0.5})")
    deep = b.evaluate("concprof.zoom(7.2, 7.2001)")
    load = b.evaluate("concprof.loadMs")
    tap.diag(f"draw ms: whole run {full:.1f} (again {full_again:.1f}), 600 ms {zoomed:.1f}, "
             f"100 µs {deep:.1f}; load and first draw {load:.0f}")
    tap.ok(max(full, full_again) < DRAW_LIMIT_MS,
           f"{label}: drawing the whole run takes < {DRAW_LIMIT_MS} ms",
           [f"{full:.1f} ms, {full_again:.1f} ms"])
    tap.ok(max(zoomed, deep) < DRAW_LIMIT_MS,
           f"{label}: drawing a zoomed view takes < {DRAW_LIMIT_MS} ms",
           [f"{zoomed:.1f} ms, {deep:.1f} ms"])

    # Hover the known span of a few threads, zoomed on it, with real mouse events.
    colors = b.evaluate("concprof.colors")
    b.evaluate(f"concprof.zoom({MARK_START_S - 0.1}, {MARK_START_S + 0.5})")
    bad, bad_px = [], []
    for k in (3, 0, 14, 47):
        th, waker = data["threads"][k], data["threads"][(k + 1) % 50]
        reason = data["reasons"][k % 8]
        c = b.evaluate(f"concprof.rowCenter({th['tid']})")
        x = b.evaluate(f"concprof.timeToX({MARK_START_S + 0.2})")
        text = hover_text(b, x, c["y"])
        sc = REASON_SYSCALL[reason]
        want = [f"blocked: {reason}" + (f" — {sc}" if sc else "") + f", {MARK_BLOCKED_MS}.0 ms",
                f"woken by {waker['tid']} ({waker['comm']})",
                f"thread {th['tid']} ({th['comm']})", "5.000 s → 5.400 s"]
        miss = [w for w in want if w not in text]
        if miss:
            bad.append(f"tid {th['tid']}: missing {miss} in {text!r}")
        px = b.evaluate(f"concprof.pixel({x}, {c['y']})")
        if tuple(px) != hex_rgb(colors[reason]):
            bad_px.append(f"tid {th['tid']}: pixel {px}, {reason} is {colors[reason]}")
    tap.ok(not bad, f"{label}: hovering a span tells its state, reason, syscall, duration, "
           "bounds and waker", bad)
    tap.ok(not bad_px, f"{label}: the span is drawn in its reason's colour", bad_px)

    # The wheel zooms in around the pointer, dragging pans, the keys zoom and reset.
    c = b.evaluate("concprof.rowCenter(2000)")
    b.evaluate("concprof.reset()")
    x = b.evaluate("concprof.timeToX(2.5)")
    draws = b.evaluate("concprof.draws")
    b.wheel(x, c["y"], -600)
    try:
        b.wait_for(f"concprof.draws > {draws}", timeout=5)
    except cdp.CDPError:
        pass
    v = b.evaluate("concprof.view()")
    tap.ok(v[1] - v[0] < 9.0 and v[0] < 2.5 < v[1] and abs(b.evaluate("concprof.timeToX(2.5)")
                                                          - x) < 2,
           f"{label}: the wheel zooms in around the pointer", [f"view {v}"])
    before = b.evaluate("concprof.view()")
    b.drag(x, c["y"], x - 200, c["y"])
    try:
        b.wait_for(f"concprof.view()[0] !== {before[0]}", timeout=5)
    except cdp.CDPError:
        pass
    after = b.evaluate("concprof.view()")
    tap.ok(after[0] > before[0] and abs((after[1] - after[0]) - (before[1] - before[0])) < 1e-6,
           f"{label}: dragging left pans to later times", [f"{before} -> {after}"])
    b.key("0", "Digit0", "0")
    b.wait_for("concprof.view()[1] - concprof.view()[0] > 9.99", timeout=5)
    b.key("w", "KeyW", "w")
    try:
        b.wait_for("concprof.view()[1] - concprof.view()[0] < 9", timeout=5)
        keys = True
    except cdp.CDPError:
        keys = False
    tap.ok(keys, f"{label}: keys 0 (whole run) and W (zoom in) work",
           [f"view {b.evaluate('concprof.view()')}"])

    # A picture: zoomed on the known spans, a tooltip showing.
    b.evaluate(f"concprof.zoom({MARK_START_S - 0.25}, {MARK_START_S + 0.65})")
    c = b.evaluate("concprof.rowCenter(2003)")
    hover_text(b, b.evaluate(f"concprof.timeToX({MARK_START_S + 0.2})"), c["y"])
    shot = b.screenshot()
    keep = os.environ.get("HTML_SCREENSHOT")
    if keep:
        with open(keep, "wb") as f:
            f.write(shot)
        tap.diag(f"screenshot: {keep}")
    try:
        seen = png.colours(shot)
        err = None
    except ValueError as e:
        seen, err = set(), str(e)
    palette = {hex_rgb(h) for h in colors.values() if h.startswith("#")}
    tap.ok(len(shot) > 30_000 and len(seen) > 20 and len(palette & seen) >= 10,
           f"{label}: the screenshot is a real picture (PNG > 30 kB, the legend's colours in it)",
           [f"{len(shot)} bytes, {len(seen)} colours, {len(palette & seen)} of the "
            f"{len(palette)} state colours", err or ""])
    no_errors_nothing_fetched(b, label, path)


# ---- 2. real runs -----------------------------------------------------------------------


def concprof_knows_html():
    try:
        p = subprocess.run([CONCPROF, "--help"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"--html" in p.stdout + p.stderr


def check_real(b, label, workload):
    out = tempfile.mkdtemp(prefix="concprof-html-")
    path = os.path.join(out, "run.html")
    run = run_concprof(tap, label, workload, gt=True, extra_args=["--html", path])
    before = tap.failed
    tap.ok(run.rc == 0 and run.json is not None, f"{label}: concprof --html --json exits 0",
           [f"exit {run.rc}", *run.err_text().strip().splitlines()[-10:]])
    if not tap.ok(os.path.exists(path), f"{label}: --html wrote the page"):
        finish_run(tap, run, before)
        return
    text, data = page_data(path)
    structure_ok(label, text)
    if run.json is None or data is None:
        tap.ok(False, f"{label}: the page holds its data", ["no JSON from concprof or page"])
        finish_run(tap, run, before)
        return
    jt = {(t["tid"], t["comm"]) for t in run.threads()}
    pt = {(t["tid"], t["comm"]) for t in data["threads"]}
    tap.ok(jt and jt <= pt, f"{label}: every thread of the JSON is in the page's data "
           f"({len(jt)})", [f"missing {sorted(jt - pt)[:20]}"])
    jp = {p["pid"] for p in run.processes()}
    tap.ok(jp <= {p["pid"] for p in data["procs"]},
           f"{label}: every process of the JSON is in the page's data ({len(jp)})")
    empty = [f"tid {t['tid']}: lived {t['end'] - t['start']} ns, no spans"
             for t in data["threads"] if t["end"] > t["start"] and not t["spans"]]
    tap.ok(data["threads"] and not empty, f"{label}: every thread that lived has spans", empty)
    if b and open_page(b, label, path):
        rows_ok(b, label, data)
        b.evaluate("document.getElementById('timeline').scrollIntoView(); concprof.reset()")
        bad = []
        for t in run.threads()[:8]:
            c = b.evaluate(f"concprof.rowCenter({t['tid']})")
            mid = (t["start_ns"] + t["end_ns"]) / 2e9
            text = hover_text(b, b.evaluate(f"concprof.timeToX({mid})"), c["y"])
            if f"thread {t['tid']} ({t['comm']})" not in text:
                bad.append(f"tid {t['tid']}: {text!r}")
        tap.ok(not bad, f"{label}: hovering each thread's row tells about that thread", bad)
        no_errors_nothing_fetched(b, label, path)
    if tap.failed > before:
        tap.diag(f"{label}: page kept in {path}")
    else:
        shutil.rmtree(out, ignore_errors=True)
    finish_run(tap, run, before)


chromium = cdp.find_chromium()
tmpdir = tempfile.mkdtemp(prefix="concprof-html-test-")
fixture = fixture_page(tmpdir)
browser = None
try:
    if not chromium:
        tap.skip("fixture: the page in Chromium", "chromium is not installed "
                 "(tools/install-deps.sh installs it)")
    elif fixture:
        try:
            browser = cdp.Browser(chromium, width=WIDTH, height=HEIGHT)
        except (cdp.CDPError, OSError) as e:
            tap.ok(False, "chromium starts and answers over the DevTools pipe", [str(e)])
        if browser:
            check_fixture(browser, fixture)

    if os.geteuid() != 0:
        tap.skip("real runs with --html", "need root (BPF)")
    elif not os.access(CONCPROF, os.X_OK):
        tap.skip("real runs with --html", "./concprof is not built")
    elif not concprof_knows_html():
        tap.skip("real runs with --html", "./concprof --help does not mention --html yet")
    else:
        check_real(browser, "html-mutex", [gt_binary("mutex"), "4", "20", "1000"])
        check_real(browser, "html-forkmany", [gt_binary("forkmany"), "30", "10", "2000"])
finally:
    if browser:
        browser.close()
    if tap.failed:
        tap.diag(f"files kept in {tmpdir}")
    else:
        shutil.rmtree(tmpdir, ignore_errors=True)
tap.done()
