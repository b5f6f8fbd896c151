#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drives a headless Chromium over the DevTools protocol, with the Python standard library only.

Chromium's --remote-debugging-pipe reads commands on its fd 3 and writes answers and events on
its fd 4, each message one JSON object followed by a NUL byte: no websocket, no package needed.

    with Browser() as b:
        b.open("file:///tmp/page.html")
        b.wait_for("window.concprof && window.concprof.rendered")
        b.evaluate("window.concprof.threads")
        b.mouse_move(300, 200)
        b.screenshot("/tmp/page.png")

Every wait has a timeout, and the browser is killed on exit, whatever happened. As a script:
    cdp.py PAGE.html [--screenshot OUT.png] [--eval JS]... [--size 1400x900]
"""

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium():
    """The browser to drive: $CHROMIUM, else the first of CHROMIUM_NAMES on $PATH, or None."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(Exception):
    pass


class Browser:
    """One headless Chromium with one page (tab) attached."""

    def __init__(self, chromium=None, width=1400, height=900, timeout=30.0):
        self.timeout = timeout
        self.next_id = 0
        self.buf = b""
        self.events = []
        self.errors = []     # uncaught exceptions and console.error() calls in the page
        self.requests = []   # URLs the page asked for
        self.session = None
        self.proc = None
        self.profile = tempfile.mkdtemp(prefix="concprof-chromium-")
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        chromium = chromium or find_chromium()
        if not chromium:
            raise CDPError("no chromium found (install the chromium package)")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def pipes_on_3_and_4():
            # Above 10 first, so that moving one onto 3 or 4 cannot close the other.
            r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.setsid()  # its own process group: killed as a whole in close()

        args = [chromium, "--headless=new", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-dev-shm-usage",
                "--mute-audio", "--hide-scrollbars", "--force-device-scale-factor=1",
                "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                         stderr=self.log, pass_fds=(3, 4),
                                         preexec_fn=pipes_on_3_and_4)
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)
        try:
            self._attach(width, height)
        except BaseException:
            self.close()
            raise

    # ---- the protocol ----

    def _write(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            _, ready, _ = select.select([], [self.to_browser], [], self.timeout)
            if not ready:
                raise CDPError("timed out writing to chromium")
            data = data[os.write(self.to_browser, data):]

    def _read(self, deadline):
        """The next message, or None at the deadline."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise CDPError("chromium closed the pipe (crashed?): " + self.log_tail())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        msg = json.loads(msg)
        if "method" in msg:
            self._event(msg)
        return msg

    def _event(self, msg):
        self.events.append(msg)
        method, params = msg["method"], msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = params.get("exceptionDetails", {})
            self.errors.append((d.get("exception") or {}).get("description") or d.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                        for a in params.get("args", [])))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url"))

    def send(self, method, params=None, session=True, timeout=None):
        """Sends a command (to the page unless session is False); returns its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self._write(msg)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            reply = self._read(deadline)
            if reply is None:
                raise CDPError(f"timed out waiting for {method}")
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})

    def wait_event(self, method, timeout=None):
        """The first event `method` seen since the last call, waiting for it if need be."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method:
                    del self.events[: i + 1]
                    return e.get("params", {})
            if self._read(deadline) is None:
                raise CDPError(f"timed out waiting for {method}")

    def _attach(self, width, height):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.send("Target.attachToTarget",
                             {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.send(domain + ".enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    # ---- what tests use ----

    def open(self, url, timeout=None):
        """Loads url and waits for its load event; errors and requests start afresh."""
        self.events.clear()
        self.errors, self.requests = [], []
        result = self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CDPError(f"cannot open {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", timeout)

    def evaluate(self, expression, timeout=None):
        """The value of a JS expression in the page (JSON-able), awaiting it if a promise."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CDPError(f"{expression}: " +
                           str((d.get("exception") or {}).get("description") or d.get("text")))
        return r.get("result", {}).get("value")

    def wait_for(self, expression, timeout=None):
        """Polls expression until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                value = self.evaluate(expression)
            except CDPError:
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def mouse(self, kind, x, y, **extra):
        params = {"type": kind, "x": x, "y": y}
        params.update(extra)
        self.send("Input.dispatchMouseEvent", params)

    def mouse_move(self, x, y):
        self.mouse("mouseMoved", x, y)

    def wheel(self, x, y, delta_y, delta_x=0):
        self.mouse("mouseWheel", x, y, deltaX=delta_x, deltaY=delta_y)

    def drag(self, x0, y0, x1, y1, steps=5):
        self.mouse("mousePressed", x0, y0, button="left", buttons=1, clickCount=1)
        for i in range(1, steps + 1):
            self.mouse("mouseMoved", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps,
                       button="left", buttons=1)
        self.mouse("mouseReleased", x1, y1, button="left", buttons=0, clickCount=1)

    def key(self, key, code=None, text=None):
        params = {"type": "keyDown", "key": key, "code": code or key}
        if text:
            params["text"] = text
        self.send("Input.dispatchKeyEvent", params)
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code or key})

    def screenshot(self, path=None):
        """The page as PNG bytes, also written to path if given."""
        png = base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"},
                                         timeout=60)["data"])
        if path:
            with open(path, "wb") as f:
                f.write(png)
        return png

    def log_tail(self, lines=10):
        try:
            with open(os.path.join(self.profile, "chromium.log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.session = None
                self.send("Browser.close", session=False, timeout=5)
            except (CDPError, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait(timeout=10)
        for fd in (self.to_browser, self.from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv):
    import argparse

    ap = argparse.ArgumentParser(description="Opens a page in headless Chromium.")
    ap.add_argument("page")
    ap.add_argument("--screenshot", metavar="PNG")
    ap.add_argument("--eval", action="append", default=[], metavar="JS")
    ap.add_argument("--wait", default="document.readyState === 'complete'", metavar="JS")
    ap.add_argument("--size", default="1400x900")
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    url = a.page if "://" in a.page else "file://" + os.path.abspath(a.page)
    with Browser(width=w, height=h) as b:
        b.open(url)
        b.wait_for(a.wait)
        for js in a.eval:
            print(json.dumps(b.evaluate(js)))
        if a.screenshot:
            b.screenshot(a.screenshot)
        for e in b.errors:
            print("page error:", e, file=sys.stderr)
        return 1 if b.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
