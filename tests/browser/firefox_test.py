#!/usr/bin/env python3
"""The web page in Firefox (Debian's firefox-esr, headless), driven through
WebDriver BiDi, which Firefox speaks itself on its remote debugging port:
the page runs there as in Chromium (web_browser_test.py covers the
scenarios in depth), live updates reach it from the command line, markup
in track names stays text, and the console shows no error and no Content
Security Policy refusal.  Skipped where firefox-esr or Debian's
python3-websocket is missing."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from harness import BUILDDIR, Skip, free_port, run_tests, test, wait_for  # noqa: E402
from web_harness import DISORDER_WEB, SCRIPT_TITLE, USERS, WebJukebox  # noqa: E402

try:
    import websocket
except ImportError:
    # Debian's python3-websocket belongs to /usr/bin/python3, which need
    # not be the python3 running the tests.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import websocket
    except ImportError:
        websocket = None

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
ARTEFACTS = os.environ.get("DISORDER_ARTEFACTS") or os.path.join(
    BUILDDIR, "tests", "browser-artefacts")


class Firefox:
    """A headless Firefox with a fresh profile, and a WebDriver BiDi
    session on its only browsing context."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="disorder-firefox-")
        port = free_port()
        self.proc = subprocess.Popen(
            [FIREFOX, "--headless", "--no-remote", "--profile", self.profile,
             f"--remote-debugging-port={port}", "--window-size", "1280,900", "about:blank"],
            env=dict(os.environ, HOME=self.profile, MOZ_CRASHREPORTER_DISABLE="1"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.console = []

        def connect():
            if self.proc.poll() is not None:
                raise AssertionError(f"firefox exited with {self.proc.returncode}")
            try:
                return websocket.create_connection(f"ws://127.0.0.1:{port}/session",
                                                   suppress_origin=True, timeout=30)
            except OSError:
                return None
        self.ws = wait_for(connect, "Firefox's remote debugging port", 60)
        self.call("session.new", {"capabilities": {}})
        self.call("session.subscribe", {"events": ["log.entryAdded"]})
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]

    def call(self, method, params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("method") == "log.entryAdded":
                entry = message["params"]
                self.console.append((entry.get("level"), entry.get("text")))
            elif message.get("id") == self.next_id:
                if message.get("type") == "error":
                    raise AssertionError(f"{method}: {message}")
                return message["result"]

    def navigate(self, url):
        self.call("browsingContext.navigate",
                  {"context": self.context, "url": url, "wait": "complete"})

    def evaluate(self, expression):
        result = self.call("script.evaluate", {"expression": expression,
                                               "target": {"context": self.context},
                                               "awaitPromise": True})
        if result.get("type") == "exception":
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return plain(result["result"])

    def screenshot(self, name):
        os.makedirs(ARTEFACTS, exist_ok=True)
        data = self.call("browsingContext.captureScreenshot", {"context": self.context})["data"]
        with open(os.path.join(ARTEFACTS, name), "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def plain(remote):
    """A BiDi remote value (strings, numbers, arrays of them) as Python."""
    if remote.get("type") == "array":
        return [plain(v) for v in remote.get("value", [])]
    return remote.get("value")


def needs_firefox():
    if not os.path.exists(DISORDER_WEB):
        raise Skip(f"{DISORDER_WEB} is not built")
    if not FIREFOX:
        raise Skip("firefox-esr is not installed")
    if websocket is None:
        raise Skip("python3-websocket is not installed")


# The text of every item of the list named Queue, in order.
QUEUE_TEXT = ("Array.from(document.querySelectorAll('ol[aria-label=\"Queue\"] > li'))"
              ".map(li => li.textContent)")


@test
def the_page_follows_the_queue_in_firefox_without_console_errors():
    needs_firefox()
    with WebJukebox() as j:
        browser = Firefox()
        try:
            browser.navigate(j.url + "/")
            wait_for(lambda: browser.evaluate(
                "(document.getElementById('whoami') || {}).textContent || ''") ==
                "Browsing as guest", "the guest's page", 30)
            # A track queued from the command line appears without a reload,
            # its HTML display title as text.
            j.cli("play", j.paths["script"], j.paths["first"], user="alice",
                  password=USERS["alice"][0])
            items = wait_for(lambda: len(browser.evaluate(QUEUE_TEXT) or []) == 2
                             and browser.evaluate(QUEUE_TEXT), "the two queued tracks", 30)
            assert SCRIPT_TITLE in items[0] and "Morning Tone" in items[1], items
            assert "alice" in items[0], items
            assert browser.evaluate(
                "document.querySelectorAll('ol[aria-label=\"Queue\"] script').length") == 0
            browser.screenshot("firefox-playing.png")
            problems = [(level, text) for level, text in browser.console
                        if level == "error" or "Content-Security-Policy" in (text or "")
                        or "Content Security Policy" in (text or "")]
            assert not problems, problems
        finally:
            browser.close()


run_tests()
