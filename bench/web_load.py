#!/usr/bin/env python3
"""bench/web_load.py: the measuring side of bench/web (disorder-web).

Run by bench/web, which builds, makes the demo collection and starts
disorderd; this script starts disorder-web afresh for each part of the run
and measures:

- page ready: headless Chromium (Selenium, Debian's chromium-driver), from
  navigation start to the page having loaded every asset (loadEventEnd) and
  shown the queue list with all its entries, timed in the page itself (a
  MutationObserver injected before the page's own scripts, with
  performance.now()); cold (a fresh browser and profile each time) and warm
  (the same browser loading the page again);
- update delay: from a CLI `disorder play` to the new entry in the queue
  list of an open page (the observer's performance.timeOrigin +
  performance.now()), and at each of N open event streams (/api/events,
  read here; each arrival time is the kernel's receive time stamp,
  SO_TIMESTAMPNS, so this client's own speed does not count).  Both from the
  moment disorderd wrote the event (the kernel's time stamp on a `log`
  connection of our own straight to disorderd) and from just before the CLI
  started;
- disorder-web's RSS (VmRSS, VmHWM) and CPU time (utime + stime) at each
  number of sessions;
- the floor: the same fan-out done by disorderd itself, to N `log`
  connections of its own.

Prints the figures with the targets.  Never fails on slow figures; exits 1
if the run itself failed.
"""
import argparse
import hashlib
import http.client
import json
import math
import os
import resource
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

# Injected before the page's own scripts: records when the queue list
# changes length (for page ready, ms since navigation start) and when each
# entry (li[data-id]) first appears and then disappears (ms since the epoch).
OBSERVER_JS = r"""
(() => {
  const b = (window.__bench = { counts: [], first: {}, gone: {} });
  let last = -1;
  const check = () => {
    const ol = document.querySelector('ol[aria-label="Queue"]');
    if (!ol) return;
    const now = performance.now();
    const items = ol.querySelectorAll(":scope > li");
    if (items.length !== last) {
      last = items.length;
      b.counts.push([now, items.length]);
    }
    const epoch = performance.timeOrigin + now;
    const seen = new Set();
    for (const li of items) {
      const id = li.dataset.id;
      if (!id) continue;
      seen.add(id);
      if (!(id in b.first)) b.first[id] = epoch;
    }
    for (const id in b.first) if (!seen.has(id) && !(id in b.gone)) b.gone[id] = epoch;
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();
"""

# Waits (in the page) until the load event has ended and the queue has shown
# at least `expect` entries; returns the navigation timing figures.
READY_JS = r"""
const expect = arguments[0], done = arguments[arguments.length - 1];
const t0 = performance.now();
(function poll() {
  const nav = performance.getEntriesByType("navigation")[0];
  const b = window.__bench;
  const hit = b && b.counts.find((c) => c[1] >= expect);
  if (nav && nav.loadEventEnd > 0 && hit) {
    const res = performance.getEntriesByType("resource");
    done({
      queue: hit[0], load: nav.loadEventEnd, dcl: nav.domContentLoadedEventEnd,
      response: nav.responseEnd, type: nav.type, resources: res.length,
      transfer: res.reduce((s, e) => s + e.transferSize, nav.transferSize),
      body: res.reduce((s, e) => s + e.decodedBodySize, nav.decodedBodySize),
      api: res.filter((e) => e.name.includes("/api/")).map((e) =>
        [e.name.replace(/^.*\/api\//, ""), Math.round(e.startTime), Math.round(e.responseEnd)]),
      assets: Math.round(res.filter((e) => !e.name.includes("/api/"))
        .reduce((m, e) => Math.max(m, e.responseEnd), 0)),
    });
  } else if (performance.now() - t0 > 15000) {
    done({ error: "timeout", counts: b ? b.counts : null, load: nav ? nav.loadEventEnd : null });
  } else setTimeout(poll, 10);
})();
"""


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def percentile(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return float("nan")
    return v[max(0, min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1))]


def median(values):
    v = sorted(values)
    if not v:
        return float("nan")
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def split_fields(line):
    """disorderd's quoting: words, or "..." / '...' with backslash escapes."""
    out, i, n = [], 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        if line[i] in "\"'":
            q, i, w = line[i], i + 1, []
            while i < n and line[i] != q:
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                    w.append({"n": "\n"}.get(line[i], line[i]))
                else:
                    w.append(line[i])
                i += 1
            i += 1
            out.append("".join(w))
        else:
            j = i
            while j < n and line[j] not in " \t":
                j += 1
            out.append(line[i:j])
            i = j
    return out


def proc_stat(pid):
    """(CPU time in seconds, VmRSS KiB, VmHWM KiB) of a process.  The CPU
    time is what utime + stime count, from /proc/PID/task/*/schedstat in
    nanoseconds rather than clock ticks."""
    cpu = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                cpu += int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, rss, hwm


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------ connections
class Conn:
    """A non-blocking socket read by the shared selector; every read keeps
    the kernel's receive time stamp."""

    def __init__(self, bench, sock, key):
        self.bench, self.sock, self.key = bench, sock, key
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setblocking(False)
        self.closed = False
        bench.sel.register(sock, selectors.EVENT_READ, self)

    def readable(self):
        try:
            data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(16))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, anc = b"", []
        ts = None
        for level, kind, d in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(d) >= 16:
                sec, nsec = struct.unpack("qq", d[:16])
                ts = sec + nsec / 1e9
        if ts is None:
            ts = time.time()
            self.bench.untimed += 1
        if not data:
            self.close()
            return
        self.data(data, ts)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.bench.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()


class LogConn(Conn):
    """A `log` connection straight to disorderd."""

    def __init__(self, bench, key, port, user, password):
        # TCP on loopback: the kernel time-stamps TCP segments, not UNIX
        # socket data.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

        def readline():
            while b"\n" not in self.buf:
                d = s.recv(4096)
                if not d:
                    raise EOFError("disorderd closed the connection")
                self.buf += d
            line, _, self.buf = self.buf.partition(b"\n")
            return line.decode("utf-8", "replace")

        greeting = readline().split()
        if len(greeting) != 4 or greeting[0] != "231":
            raise RuntimeError(f"unexpected greeting {greeting}")
        h = hashlib.new(greeting[2], password.encode() + bytes.fromhex(greeting[3]))
        s.sendall(f"user {user} {h.hexdigest()}\n".encode())
        r = readline()
        if not r.startswith("230"):
            raise RuntimeError(f"login as {user}: {r}")
        s.sendall(b"log\n")
        r = readline()
        if not r.startswith("254"):
            raise RuntimeError(f"log: {r}")
        super().__init__(bench, s, key)

    def data(self, data, ts):
        self.buf += data
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                return
            line, self.buf = self.buf[:i].decode("utf-8", "replace"), self.buf[i + 1:]
            f = split_fields(line)
            if len(f) >= 2:
                self.bench.event(self.key, f[1], f[2:], ts)


class EventStream(Conn):
    """GET /api/events with a session cookie, read as Server-Sent Events."""

    def __init__(self, bench, key, port, cookie):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall((f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Cookie: disorder={cookie}\r\nAccept: text/event-stream\r\n\r\n").encode())
        self.head, self.chunked, self.need = None, False, None
        self.buf = self.body = b""
        self.hello = False
        super().__init__(bench, s, key)

    def data(self, data, ts):
        self.buf += data
        if self.head is None:
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                return
            self.head = self.buf[:i].decode("latin-1")
            self.buf = self.buf[i + 4:]
            if not self.head.startswith("HTTP/1.1 200"):
                raise RuntimeError(f"/api/events: {self.head.splitlines()[0]}")
            self.chunked = "transfer-encoding: chunked" in self.head.lower()
        if self.chunked:
            while True:
                if self.need is None:
                    i = self.buf.find(b"\r\n")
                    if i < 0:
                        break
                    size = int(self.buf[:i].split(b";")[0], 16)
                    self.buf = self.buf[i + 2:]
                    if size == 0:
                        self.close()
                        return
                    self.need = size
                if len(self.buf) < self.need + 2:
                    break
                self.body += self.buf[:self.need]
                self.buf = self.buf[self.need + 2:]
                self.need = None
        else:
            self.body += self.buf
            self.buf = b""
        while True:
            i = self.body.find(b"\n\n")
            if i < 0:
                return
            frame, self.body = self.body[:i], self.body[i + 2:]
            kind, payload = "message", []
            for line in frame.split(b"\n"):
                if line.startswith(b"event:"):
                    kind = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    payload.append(line[5:].lstrip(b" "))
            if kind == "hello":
                self.hello = True
            elif kind == "log":
                d = json.loads(b"\n".join(payload))
                self.bench.event(self.key, d.get("type"), d.get("fields", []), ts)


# ------------------------------------------------------------ disorder-web
def http_json(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    payload = r.read()
    cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
    c.close()
    try:
        j = json.loads(payload)
    except ValueError:
        j = None
    return r.status, j, cookies


class Web:
    """One disorder-web process."""

    def __init__(self, args):
        self.args = args
        self.log = open(os.path.join(args.tmp, "disorder-web.log"), "ab")
        cmd = [args.web, "--foreground", "--config", args.config]
        if args.server_cpu:
            cmd = ["taskset", "-c", args.server_cpu] + cmd
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        self.pid = self.proc.pid
        deadline = time.time() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("disorder-web did not start (see its log)")
                time.sleep(0.05)
        st, j, _ = http_json(args.port, "GET", "/api/session")
        if st != 200:
            raise RuntimeError(f"/api/session: {st} {j}")
        self.csrf = j["csrf"]

    def login(self, user, password):
        st, j, cookies = http_json(self.args.port, "POST", "/api/login",
                                   {"username": user, "password": password},
                                   {"X-Disorder-CSRF": self.csrf})
        if st != 200:
            raise RuntimeError(f"login {user}: {st} {j}")
        for c in cookies:
            name, _, rest = c.partition("=")
            if name.strip() == "disorder":
                return rest.split(";")[0]
        raise RuntimeError(f"login {user}: no cookie")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- browser
def import_selenium():
    try:
        import selenium  # noqa: F401
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    return webdriver, Service


class Browser:
    def __init__(self, args, cookie):
        webdriver, Service = import_selenium()
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=args.tmp)
        o = webdriver.ChromeOptions()
        o.binary_location = args.chromium
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--window-size=1280,900",
                  f"--user-data-dir={self.profile}"):
            o.add_argument(a)
        self.d = webdriver.Chrome(service=Service(args.chromedriver), options=o)
        self.d.set_script_timeout(30)
        self.url = f"http://127.0.0.1:{args.port}/"
        self.d.execute_cdp_cmd("Network.setCookie", {
            "name": "disorder", "value": cookie, "url": self.url, "path": "/",
            "httpOnly": True, "sameSite": "Strict"})
        self.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER_JS})

    def load(self, expect):
        self.d.get(self.url)
        r = self.d.execute_async_script(READY_JS, expect)
        if "error" in r:
            raise RuntimeError(f"page not ready: {r}")
        r["ready"] = max(r["queue"], r["load"])
        return r

    def load_plain(self, url):
        """A document with no scripts: what any navigation costs here."""
        self.d.get(url)
        return self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "(function poll() { const n = performance.getEntriesByType('navigation')[0];"
            " if (n && n.loadEventEnd > 0) done(n.loadEventEnd); else setTimeout(poll, 10); })();")

    def clock_offset(self):
        """Browser epoch clock minus ours, from the quickest of 10 round trips."""
        best = None
        for _ in range(10):
            a = time.time()
            b = self.d.execute_script("return performance.timeOrigin + performance.now()") / 1000
            c = time.time()
            if best is None or c - a < best[0]:
                best = (c - a, b - (a + c) / 2)
        return best[1], best[0] / 2

    def first(self, kind, qid):
        return self.d.execute_script(f"return window.__bench.{kind}[arguments[0]] || null", qid)

    def quit(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


# ------------------------------------------------------------------ bench
class Bench:
    def __init__(self, args):
        self.args = args
        self.sel = selectors.DefaultSelector()
        self.untimed = 0
        self.arrivals = {}  # (type, id) -> {key: ts}
        self.last_queue_id = None
        self.ref = LogConn(self, "ref", args.disorderd_port, args.user, args.password)
        self.env = dict(os.environ, DISORDER_CONFIG=args.config)

    def event(self, key, kind, fields, ts):
        if kind == "queue":
            try:
                qid = fields[fields.index("id") + 1]
            except (ValueError, IndexError):
                return
            if key == "ref":
                self.last_queue_id = qid
        elif kind == "removed" and fields:
            qid = fields[0]
        else:
            return
        self.arrivals.setdefault((kind, qid), {}).setdefault(key, ts)

    def pump(self, done, seconds):
        deadline = time.time() + seconds
        while not done():
            left = deadline - time.time()
            if left <= 0:
                return False
            for k, _ in self.sel.select(min(left, 0.05)):
                k.data.readable()
        return True

    def cli(self, *words):
        r = subprocess.run([self.args.cli, "--user", "root", *words], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"disorder {' '.join(words)}: {r.stderr.strip()}")
        return r.stdout

    def queue_length(self):
        """Entries in the queue, from the protocol's `queue` (the CLI's
        output spreads an entry over several lines)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.args.privileged)
        f = s.makefile("rwb")
        f.readline()
        f.write(b"user root -\nqueue\n")
        f.flush()
        if not f.readline().startswith(b"230") or not f.readline().startswith(b"253"):
            raise RuntimeError("queue: refused")
        n = 0
        while f.readline().rstrip(b"\n") != b".":
            n += 1
        s.close()
        return n

    def samples(self, keys, browser, count):
        """`count` plays, each timed to every connection in keys and to the
        browser's page; then removed again.  Returns per-key delays from
        the event and from the CLI, the browser's, and the misses."""
        ev, cli_d, page_ev, page_cli, missed = [], [], [], [], 0
        self.worst = []  # per play: the slowest stream's delay from the event
        keys = list(keys)
        for i in range(count):
            track = self.args.tracks[i % len(self.args.tracks)]
            self.last_queue_id = None
            t_cli = time.time()
            self.cli("play", track)
            if not self.pump(lambda: self.last_queue_id is not None, 10):
                raise RuntimeError("disorderd sent no queue event")
            qid = self.last_queue_id
            got = self.arrivals[("queue", qid)]
            self.pump(lambda: all(k in got for k in keys), 10)
            t_emit = got["ref"]
            if len(keys):
                self.worst.append(max(got.get(k, t_emit) for k in keys) - t_emit)
            for k in keys:
                if k in got:
                    ev.append(got[k] - t_emit)
                    cli_d.append(got[k] - t_cli)
                else:
                    missed += 1
            if browser:
                deadline = time.time() + 10
                t = None
                while t is None and time.time() < deadline:
                    t = browser.first("first", qid)
                    if t is None:
                        time.sleep(0.01)
                if t is None:
                    missed += 1
                else:
                    page_ev.append(t / 1000 - browser.offset - t_emit)
                    page_cli.append(t / 1000 - browser.offset - t_cli)
            self.cli("remove", qid)
            gone = lambda: ("removed", qid) in self.arrivals and all(
                k in self.arrivals[("removed", qid)] for k in keys + ["ref"])
            self.pump(gone, 10)
            if browser:
                deadline = time.time() + 10
                while browser.first("gone", qid) is None and time.time() < deadline:
                    time.sleep(0.01)
            # Past the page's 100 ms refresh throttle, and a pause.
            self.pump(lambda: False, self.args.gap)
            del self.arrivals[("queue", qid)]
            self.arrivals.pop(("removed", qid), None)
        return ev, cli_d, page_ev, page_cli, missed


def ms(v):
    return f"{v * 1000:.1f}"


def stats_line(values):
    if not values:
        return "-"
    return (f"p50 {ms(percentile(values, 50))}  p99 {ms(percentile(values, 99))}  "
            f"max {ms(max(values))}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--home", required=True)
    ap.add_argument("--web", required=True, help="disorder-web binary")
    ap.add_argument("--cli", required=True, help="disorder binary")
    ap.add_argument("--port", type=int, required=True, help="web_listen port")
    ap.add_argument("--disorderd-pid", type=int, required=True)
    ap.add_argument("--disorderd-port", type=int, required=True, help="its TCP port")
    ap.add_argument("--user", default="bench")
    ap.add_argument("--password", default="benchpw")
    ap.add_argument("--track", action="append", dest="tracks", required=True)
    ap.add_argument("--queue", type=int, default=10, help="queue entries while loading the page")
    ap.add_argument("--cold", type=int, default=5)
    ap.add_argument("--warm", type=int, default=20)
    ap.add_argument("--samples", type=int, default=30, help="plays timed per load level")
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between plays")
    ap.add_argument("--sessions", default="100 500", help="stream counts, one user")
    ap.add_argument("--more", default="1000 2000", help="more stream counts, until p99 >= limit")
    ap.add_argument("--limit-ms", type=float, default=250)
    ap.add_argument("--users", default="100 500", help="stream counts, a user each")
    ap.add_argument("--floor", default="100 500", help="direct log connection counts")
    ap.add_argument("--server-cpu", default="")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = ap.parse_args()
    args.privileged = os.path.join(args.home, "private", "socket")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    bench = Bench(args)
    results = {}

    # Page ready -----------------------------------------------------------
    while bench.queue_length() < args.queue:
        bench.cli("play", args.tracks[bench.queue_length() % len(args.tracks)])
    expect = bench.queue_length()
    web = Web(args)
    try:
        cookie = web.login(args.user, args.password)
        cold = []
        for i in range(args.cold):
            say(f"page ready, cold load {i + 1}/{args.cold} (a fresh browser)...")
            b = Browser(args, cookie)
            try:
                cold.append(b.load(expect))
            finally:
                if i < args.cold - 1:
                    b.quit()
        say(f"page ready, {args.warm} warm loads...")
        warm = []
        try:
            for _ in range(args.warm):
                warm.append(b.load(expect))
            plain = f"http://127.0.0.1:{args.port}/static/favicon.svg"
            results["plain"] = [b.load_plain(plain) for _ in range(args.warm)]
        finally:
            b.quit()
        results["cold"], results["warm"] = cold, warm
    finally:
        web.stop()

    # Sessions with open event streams ---------------------------------------
    def level(mode, n):
        """mode: one (one user, n cookies), users (n users), floor (n direct
        log connections to disorderd, no disorder-web)."""
        r = {"mode": mode, "n": n}
        web = browser = None
        conns = []
        try:
            if mode != "floor":
                web = Web(args)
                c0, rss0, _ = proc_stat(web.pid)
                r["rss_idle"] = rss0
                t0 = time.time()
                for i in range(n):
                    user = args.user if mode == "one" else f"bench{i:05d}"
                    conns.append(EventStream(bench, ("s", i), args.port, web.login(user, args.password)))
                bench.pump(lambda: all(c.hello for c in conns), 60)
                if not all(c.hello for c in conns):
                    raise RuntimeError(f"{sum(not c.hello for c in conns)} streams got no hello")
                r["connect_s"] = time.time() - t0
                browser = Browser(args, web.login(args.user, args.password))
                browser.load(bench.queue_length())
                browser.offset, r["offset_err"] = browser.clock_offset()
                r["offset"] = browser.offset
                c1, r["rss_open"], _ = proc_stat(web.pid)
                r["cpu_connect"] = c1 - c0
                # Idle with every stream open (and the page showing).
                bench.pump(lambda: False, 2)
                r["cpu_idle"] = (proc_stat(web.pid)[0] - c1) / 2
            else:
                for i in range(n):
                    conns.append(LogConn(bench, ("f", i), args.disorderd_port, args.user, args.password))
            d0 = proc_stat(args.disorderd_pid)[0]
            w0 = proc_stat(web.pid)[0] if web else 0
            t0 = time.time()
            (r["ev"], r["cli"], r["page_ev"], r["page_cli"],
             r["missed"]) = bench.samples([c.key for c in conns], browser, args.samples)
            r["worst"] = bench.worst
            r["seconds"] = time.time() - t0
            r["cpu_disorderd"] = proc_stat(args.disorderd_pid)[0] - d0
            if web:
                cpu, r["rss_end"], r["hwm"] = proc_stat(web.pid)
                r["cpu_samples"] = cpu - w0
                r["cpu_total"] = cpu
        finally:
            for c in conns:
                c.close()
            if browser:
                browser.quit()
            if web:
                web.stop()
        return r

    levels = []
    users_made = 0

    def run(mode, n):
        nonlocal users_made
        if mode == "users" and n > users_made:
            say(f"creating users bench{users_made:05d}..bench{n - 1:05d}...")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(args.privileged)
            f = s.makefile("rwb")
            f.readline()
            f.write(b"user root -\n")
            f.flush()
            f.readline()
            for i in range(users_made, n):
                f.write(f"adduser bench{i:05d} {args.password} read,play\n".encode())
            f.flush()
            for i in range(users_made, n):
                line = f.readline()
                if not line.startswith(b"25"):
                    raise RuntimeError(f"adduser: {line!r}")
            s.close()
            users_made = n
        what = {"one": f"{n} sessions of one user", "users": f"{n} users, a session each",
                "floor": f"{n} log connections straight to disorderd"}[mode]
        say(f"update delay: {what}, {args.samples} plays...")
        r = level(mode, n)
        levels.append(r)
        return r

    run("one", 0)
    for n in [int(x) for x in args.sessions.split()]:
        run("one", n)
    for n in [int(x) for x in args.more.split()]:
        r = run("one", n)
        if not r["ev"] or percentile(r["ev"], 99) * 1000 >= args.limit_ms:
            break
    for n in [int(x) for x in args.users.split()]:
        run("users", n)
    for n in [int(x) for x in args.floor.split()]:
        run("floor", n)

    report(args, results, levels, bench)


def report(args, results, levels, bench):
    cold, warm = results["cold"], results["warm"]
    print()
    print("page ready: navigation start -> every asset loaded and the queue list showing its "
          f"{args.queue} entries, ms")
    print(f"{'':34} {'cold':>8} {'warm':>8}  target")
    for name, key in (("document received (responseEnd)", "response"),
                      ("DOMContentLoaded ended", "dcl"), ("load event ended", "load"),
                      ("queue shown", "queue"), ("page ready (the later of the two)", "ready")):
        c = median([x[key] for x in cold])
        w = median([x[key] for x in warm])
        t = ""
        if key == "ready":
            t = "< 300: " + ("met" if max(c, w) < 300 else "MISSED")
        print(f"{name:34} {c:8.1f} {w:8.1f}  {t}")
    print(f"(medians of {len(cold)} cold loads, each in a fresh browser, and {len(warm)} warm loads; "
          f"ready ranges: cold {min(x['ready'] for x in cold):.0f}..{max(x['ready'] for x in cold):.0f},"
          f" warm {min(x['ready'] for x in warm):.0f}..{max(x['ready'] for x in warm):.0f})")
    print(f"{'last asset received':34} {median([x['assets'] for x in cold]):8.1f} "
          f"{median([x['assets'] for x in warm]):8.1f}")
    print(f"the browser's floor: load event of a file with no scripts (/static/favicon.svg), median of "
          f"{len(results['plain'])}: {median(results['plain']):.1f} ms")
    mid = sorted(warm, key=lambda x: x["ready"])[len(warm) // 2]
    print("API requests of the median warm load (start..end, ms): " +
          ", ".join(f"{n} {a}..{b}" for n, a, b in mid["api"]))
    print(f"assets: {cold[0]['resources']} requests besides the document (files and API calls), "
          f"{cold[0]['body'] / 1024:.1f} KiB decoded; transferred cold {cold[0]['transfer'] / 1024:.1f} KiB, "
          f"warm {warm[-1]['transfer'] / 1024:.1f} KiB (304s)")
    print()
    print("update delay: a CLI `disorder play` -> the entry at each open event stream "
          "(kernel receive time) and in an open page's queue list, ms")
    print("\"from event\": from the moment disorderd wrote the queue event (kernel time stamp on a log "
          "connection of ours);")
    print("\"from CLI\": from just before the CLI process started.")
    hdr = f"{'load':44} {'streams, from event':>34}   {'streams, from CLI':>34}"
    print(hdr)
    floor = {r["n"]: r for r in levels if r["mode"] == "floor"}
    for r in levels:
        label = {"one": f"{r['n']} sessions of one user (+ the page)",
                 "users": f"{r['n']} users, a session each (+ the page)",
                 "floor": f"floor: {r['n']} log connections to disorderd"}[r["mode"]]
        if r["n"] == 0:
            label = "the page alone"
        print(f"{label:44} {stats_line(r['ev']):>34}   {stats_line(r['cli']):>34}")
        if r["worst"]:
            w = sorted(r["worst"])
            print(f"{'  slowest stream of each play, from event':44} "
                  f"{'median ' + ms(median(w)) + '  max ' + ms(w[-1]):>34}   "
                  f"plays over {args.limit_ms:.0f} ms: {sum(x * 1000 >= args.limit_ms for x in w)} of {len(w)}")
        if r["mode"] != "floor":
            print(f"{'  the page':44} {stats_line(r['page_ev']):>34}   {stats_line(r['page_cli']):>34}")
        if r["missed"]:
            print(f"{'  MISSED arrivals':44} {r['missed']}")
    print("targets: update delay p99 with 100 sessions < 100 ms: ", end="")
    r100 = next((r for r in levels if r["mode"] == "one" and r["n"] == 100), None)
    if r100:
        p = percentile(r100["ev"], 99) * 1000
        pp = percentile(r100["page_ev"], 99) * 1000
        print(f"streams {p:.1f} ms ({'met' if p < 100 else 'MISSED'}), "
              f"page {pp:.1f} ms ({'met' if pp < 100 else 'MISSED'})")
    else:
        print("not measured")
    held = [r["n"] for r in levels if r["mode"] == "one" and r["ev"] and not r["missed"]
            and percentile(r["ev"], 99) * 1000 < args.limit_ms]
    print(f"most sessions of one user tried with the stream delay p99 < {args.limit_ms:.0f} ms: "
          f"{max(held) if held else 'none'} (tried {', '.join(str(r['n']) for r in levels if r['mode'] == 'one')})")
    ratios = []
    for r in levels:
        if r["mode"] in ("one", "users") and r["n"] in floor and r["ev"] and floor[r["n"]]["cli"]:
            f = floor[r["n"]]
            ratios.append(f"{r['n']} {'sessions' if r['mode'] == 'one' else 'users'}: "
                          f"p50 {percentile(r['cli'], 50) / percentile(f['cli'], 50):.2f}x, "
                          f"p99 {percentile(r['cli'], 99) / percentile(f['cli'], 99):.2f}x")
    if ratios:
        print("disorder-web / floor, delay from the CLI: " + "; ".join(ratios))
    print()
    print("disorder-web's memory and CPU")
    print(f"{'load':44} {'RSS idle':>9} {'RSS open':>9} {'RSS end':>9} {'peak':>9} "
          f"{'CPU conn':>9} {'idle %':>7} {'CPU/play':>9}  target")
    for r in levels:
        if r["mode"] == "floor":
            continue
        label = (f"{r['n']} sessions of one user" if r["mode"] == "one"
                 else f"{r['n']} users, a session each")
        t = ""
        if r["n"] == 500:
            t = f"RSS < 20480 KiB: {'met' if r['hwm'] < 20480 else 'MISSED'}"
        print(f"{label:44} {r['rss_idle']:>9} {r['rss_open']:>9} {r['rss_end']:>9} {r['hwm']:>9} "
              f"{r['cpu_connect']:>9.2f} {r['cpu_idle'] * 100:>7.2f} "
              f"{r['cpu_samples'] / args.samples * 1000:>9.1f}  {t}")
    print("(RSS in KiB: just started, with every stream open, at the end, and the peak (VmHWM);")
    print(" CPU conn: CPU time (utime+stime) in s for the logins and opening the streams and the page;")
    print(" idle %: CPU use over 2 s with all of them open and nothing happening; CPU/play: ms of CPU")
    print(f" time per timed play (its queue and removed events to every stream, {args.gap} s apart))")
    per = [f"{r['n']}: {r['cpu_samples'] / args.samples / (2 * r['n']) * 1e6:.0f}"
           for r in levels if r["mode"] != "floor" and r["n"] >= 100]
    if per:
        print("disorder-web's CPU per event per stream (us), by sessions: " + ", ".join(per))
    print("disorderd's CPU per play (ms): " + ", ".join(
        f"{r['mode']} {r['n']}: {r['cpu_disorderd'] / args.samples * 1000:.1f}" for r in levels))
    offs = [f"{r['offset'] * 1000:+.1f}±{r['offset_err'] * 1000:.1f}" for r in levels if "offset" in r]
    print("browser clock - ours (ms, subtracted from the page's times): " + ", ".join(offs))
    if bench.untimed:
        print(f"WARNING: {bench.untimed} reads had no kernel time stamp (timed on arrival instead)")


if __name__ == "__main__":
    try:
        main()
    except (OSError, RuntimeError, EOFError) as e:
        sys.exit(f"web_load.py: {e}")
