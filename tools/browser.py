#!/usr/bin/env python3
"""A small WebDriver client for Debian's Chromium through its ChromeDriver.

The viewer's tests (tests/test_view.py) and its benchmark (`make
bench-view`) drive a real headless Chromium with it: open a page, run a
script in it, click, type, read the browser's console and every network
request it made, take a screenshot, open another page in a tab of its
own. It speaks the W3C WebDriver protocol
(https://www.w3.org/TR/webdriver2/) over HTTP with the standard library,
so nothing beyond the two Debian packages (chromium, chromium-driver) is
needed.

    with Browser() as b:
        b.open("file:///.../index.html")
        b.script("return document.title")
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C element reference key
ENTER = "\ue007"  # the Enter key, in text to type (WebDriver's keys table)
# Debian's /usr/bin/chromium is a shell wrapper; ChromeDriver wants the binary.
CHROMIUM_BINARIES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")


class BrowserError(RuntimeError):
    pass


def chromium_binary() -> str | None:
    for path in CHROMIUM_BINARIES:
        if os.access(path, os.X_OK):
            return path
    return None


def available() -> str:
    """'' when a browser can be driven here, else what is missing."""
    missing = [n for n, ok in (("chromium", chromium_binary()),
                               ("chromedriver", shutil.which("chromedriver"))) if not ok]
    return "" if not missing else f"{' and '.join(missing)} not installed (make deps)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self, width=1600, height=1000, timeout=60):
        self.timeout = timeout
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="duet-chromium-")
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self._call("GET", "/status")["ready"]:
                    break
            except (OSError, BrowserError):
                pass
            if time.monotonic() > deadline or self.driver.poll() is not None:
                self.close()
                raise BrowserError("chromedriver did not start")
            time.sleep(0.05)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}"]
        caps = {"browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium_binary(), "args": args},
                "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"}}
        try:
            self.session = self._call("POST", "/session",
                                      {"capabilities": {"alwaysMatch": caps}})["sessionId"]
        except BrowserError:
            self.close()
            raise

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                reply = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                v = json.load(e).get("value", {})
                msg = f"{v.get('error')}: {v.get('message', '')[:500]}"
            except ValueError:
                msg = str(e)
            raise BrowserError(f"{method} {path}: {msg}") from None
        return reply.get("value")

    def _s(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, url: str):
        self._s("POST", "/url", {"url": url})

    def script(self, source: str, *args):
        """Run source as a function body in the page; its return value."""
        return self._s("POST", "/execute/sync", {"script": source, "args": list(args)})

    def wait_for(self, source: str, timeout=30.0):
        """Wait until the script returns something true; that value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.script(source)
            if v:
                return v
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for: {source}")
            time.sleep(0.05)

    def find(self, css: str) -> dict:
        return self._s("POST", "/element", {"using": "css selector", "value": css})

    def click(self, css: str):
        self._s("POST", f"/element/{self.find(css)[ELEMENT]}/click", {})

    def type(self, css: str, text: str):
        eid = self.find(css)[ELEMENT]
        self._s("POST", f"/element/{eid}/clear", {})
        self._s("POST", f"/element/{eid}/value", {"text": text})

    def click_at(self, css: str, dx: int, dy: int):
        """A mouse click dx, dy pixels from the element's centre."""
        origin = {ELEMENT: self.find(css)[ELEMENT]}
        self._s("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "origin": origin, "x": dx, "y": dy},
                        {"type": "pointerDown", "button": 0},
                        {"type": "pointerUp", "button": 0}]}]})

    def move_to(self, css: str, dx: int, dy: int):
        """The mouse moved to dx, dy pixels from the element's centre."""
        origin = {ELEMENT: self.find(css)[ELEMENT]}
        self._s("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [{"type": "pointerMove", "origin": origin, "x": dx, "y": dy}]}]})

    def console(self) -> list[dict]:
        """The browser console's messages since the last call."""
        return self._s("POST", "/se/log", {"type": "browser"})

    def requests(self, page: str) -> list[str]:
        """The URL of every request made by the document at `page` (or by
        anything it loaded) since the last call; the browser's own pages
        (its new-tab page at start) are not the page's."""
        urls = []
        for entry in self._s("POST", "/se/log", {"type": "performance"}):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent" and \
                    msg["params"].get("documentURL") == page:
                urls.append(msg["params"]["request"]["url"])
        return urls

    @contextlib.contextmanager
    def tab(self, url: str):
        """url open in a new tab, the current one while in the block; then
        that tab is closed and the one current before is current again,
        as it was (one browser serves several pages: a launch costs more
        than a page)."""
        before = self._s("GET", "/window")
        handle = self._s("POST", "/window/new", {"type": "tab"})["handle"]
        self._s("POST", "/window", {"handle": handle})
        try:
            self.open(url)
            yield self
        finally:
            self._s("DELETE", "/window")
            self._s("POST", "/window", {"handle": before})

    def screenshot(self, path: str):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self._s("GET", "/screenshot")))

    def close(self):
        try:
            if getattr(self, "session", None):
                self._s("DELETE", "")
        except (OSError, BrowserError):
            pass
        self.driver.terminate()
        try:
            self.driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.driver.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
