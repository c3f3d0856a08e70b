"""A jukebox with its web frontend for the web tests: a real disorderd
playing a small generated collection into a file, users with different
rights, and a real disorder-web on a free loopback port, plus an HTTP
client (cookies, CSRF token, JSON) and a Server-Sent Events reader written
from the contract alone (stdlib http.client, no browser)."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

from audio import Jukebox, tone, write_wav
from harness import BUILDDIR, Skip, closing, free_port, terminate, wait_for

SRCDIR = os.path.abspath(os.environ.get("DISORDER_SRCDIR") or
                         os.path.join(os.path.dirname(__file__), "..", ".."))
DISORDER_WEB = os.path.join(BUILDDIR, "web", "disorder-web")
# The page's files.  DISORDER_WEB_STATIC points the fixture at another copy
# of them when working on the page; make check uses the source tree's.
WEB_STATIC = os.environ.get("DISORDER_WEB_STATIC") or os.path.join(SRCDIR, "web", "static")

RTL = "\u200f"  # RIGHT-TO-LEFT MARK
# The collection: key -> path under music/.  Names with markup, quotes
# and an RTL mark are shown as text, never interpreted.
TRACKS = {
    "first": "Alpha Artist/First Album/01 Morning Tone.wav",
    "second": "Alpha Artist/First Album/02 Evening Tone.wav",
    "third": "Alpha Artist/First Album/03 Night Tone.wav",
    "html": "Beta Artist/Second Album/01 <img src=x onerror=alert(1)>.wav",
    "quotes": "Beta Artist/Second Album/02 \"Quoted\" & 'single'.wav",
    "script": "Beta Artist/Second Album/03 Script Title.wav",
    "rtl": f"Gamma {RTL}Artist/Third Album/01 \u05e9\u05dc\u05d5\u05dd{RTL} Song.wav",
}
# The display title given to TRACKS["script"] by a trackname_ preference
# (a file name cannot hold the slash of </script>).
SCRIPT_TITLE = "<script>alert(1)</script>"
TRACK_SECONDS = 3
# TRACKS["second"] is long enough to watch it play.
LONG_SECONDS = 40

# Users: name -> (password, rights).  alice and bob may remove only their
# own entries; admin may remove anyone's.
USERS = {
    "admin": ("admin-pw", "read,play,move_any,remove_any,scratch_any,volume,admin,rescan,"
              "userinfo,prefs,global_prefs,pause"),
    "alice": ("alice-pw", "read,play,move_mine,remove_mine,scratch_mine,volume,prefs,pause,"
              "userinfo"),
    "bob": ("bob-pw", "read,play,move_mine,remove_mine,scratch_mine"),
}
# What a newly registered user gets.
DEFAULT_RIGHTS = "read,play,move_mine,remove_mine,scratch_mine,prefs,userinfo"

_tone_cache = {}


def _tone(seconds):
    """seconds of a 440 Hz tone (a whole number of cycles each second, so
    one second repeated is seamless)."""
    if seconds not in _tone_cache:
        _tone_cache[seconds] = tone(440, 1) * seconds
    return _tone_cache[seconds]


class WebServer:
    """disorder-web in the foreground, reading the jukebox's config."""

    def __init__(self, jukebox):
        self.jukebox = jukebox
        self.port = jukebox.web_port
        self.proc = None
        self.log_path = os.path.join(jukebox.dir, "disorder-web.log")

    def start(self, timeout=10, preexec=None):
        """Starts disorder-web and waits until it answers; preexec runs in
        the child before exec (to set resource limits, say)."""
        if not os.path.exists(DISORDER_WEB):
            raise AssertionError(f"{DISORDER_WEB} is not built")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [DISORDER_WEB, "--foreground", "--config", self.jukebox.config_path],
            stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=preexec)

        def answers():
            if self.proc.poll() is not None:
                raise AssertionError(f"disorder-web exited with {self.proc.returncode}:\n"
                                     + self.log_text())
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/api/session")
                c.getresponse().read()
                c.close()
                return True
            except OSError:
                return False
        try:
            wait_for(answers, "disorder-web to answer", timeout)
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- disorder-web log:\n{self.log_text()}") from None
        return self

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc:
            terminate(self.proc, "disorder-web")
            self.log.close()
        self.proc = None


class WebJukebox(Jukebox):
    """disorderd with the TRACKS collection (rescanned, playing disabled so
    that the queue stays as a test leaves it), the USERS, optionally the
    guest user and a test sendmail, and disorder-web on self.web_port.

    with WebJukebox() as j: ... starts both and stops both.  j.url is the
    page's address."""

    def __init__(self, extra="", guest=True, sendmail=None, static=None, web_extra="",
                 web_preexec=None):
        self.web_port = free_port()
        self.static = static or WEB_STATIC
        lines = [f"web_listen 127.0.0.1 {self.web_port}", f"web_static {self.static}",
                 f"default_rights {DEFAULT_RIGHTS}"]
        if sendmail:
            lines += ["mail_sender jukebox@example.invalid", f"sendmail {sendmail}"]
        super().__init__("\n".join(lines) + "\n" + web_extra + extra)
        self.guest = guest
        self.web_preexec = web_preexec
        self.web = WebServer(self)
        self.paths = {}
        for key, name in TRACKS.items():
            path = os.path.join(self.music, name)
            write_wav(path, _tone(LONG_SECONDS if key == "second" else TRACK_SECONDS))
            self.paths[key] = path
        # Everything under the temporary directory readable by nobody, who
        # both daemons run as.
        for d, _, files in os.walk(self.dir):
            os.chmod(d, 0o755)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, preexec=None):
        super().start(preexec)
        return self

    def setup(self):
        """Once, after the first start: collection, users, guest, state."""
        self.rescan()
        with closing(self.root()) as r:
            r.ok("disable")
            r.ok("random-disable")
            for name, (password, rights) in USERS.items():
                r.ok("adduser", name, password, rights)
            if self.guest:
                r.ok("adduser", "guest", "", "read,register")
            r.ok("set", self.paths["script"], "trackname_display_title", SCRIPT_TITLE)

    def __enter__(self):
        try:
            self.start()
            self.setup()
            self.web.start(preexec=self.web_preexec)
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        if exc[0] is not None and not issubclass(exc[0], Skip):
            print(self.logs()[-6000:])
        return super().__exit__(*exc)

    def cleanup(self):
        try:
            self.web.stop()
        finally:
            super().cleanup()

    def logs(self):
        """Both daemons' logs, for a failure message."""
        return (f"--- disorderd log:\n{self.log_text()}\n"
                f"--- disorder-web log:\n{self.web.log_text()}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def all_headers(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError(f"not JSON (HTTP {self.status}): {self.body[:300]!r}") from None

    def __repr__(self):
        return f"<HTTP {self.status} {self.body[:300]!r}>"


class WebClient:
    """One browser's worth of state against disorder-web: its cookies (the
    session cookie `disorder`) and its CSRF token."""

    def __init__(self, port, host="127.0.0.1", timeout=10):
        self.port = port
        self.host = host
        self.timeout = timeout
        self.cookies = {}
        self.csrf = None

    def cookie_header(self):
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, body=None, headers=None, raw_body=None):
        h = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if raw_body is not None:
            data = raw_body
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        c = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            c.close()
        for v in resp.all_headers("Set-Cookie"):
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            attrs = rest.lower()
            if value == "" or "max-age=0" in attrs.replace(" ", "") or "expires=thu, 01 jan 1970" in attrs:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def session(self):
        r = self.get("/api/session")
        assert r.status == 200, r
        s = r.json
        self.csrf = s["csrf"]
        return s

    def post(self, path, body=None, csrf=True, headers=None, **kw):
        """POST with the CSRF token (fetched first if not yet known)."""
        if csrf and self.csrf is None:
            self.session()
        h = {"X-Disorder-CSRF": self.csrf} if csrf else {}
        h.update(headers or {})
        return self.request("POST", path, body={} if body is None else body, headers=h, **kw)

    def login(self, user, password):
        self.session()
        r = self.post("/api/login", {"username": user, "password": password})
        assert r.status == 200, r
        s = r.json
        assert s["user"] == user, s
        self.csrf = s["csrf"]
        return s

    @staticmethod
    def api_path(command, *args):
        """/api/COMMAND?arg=A&arg=B, each argument percent-encoded."""
        path = f"/api/{command}"
        if args:
            path += "?" + "&".join("arg=" + urllib.parse.quote(a, safe="") for a in args)
        return path

    def api(self, command, *args, expect=200):
        """GET /api/COMMAND?arg=..., asserting the status; returns the JSON."""
        r = self.get(self.api_path(command, *args))
        assert r.status == expect, (command, args, r)
        return r.json

    def change(self, command, *args, expect=200, body=None):
        """POST /api/COMMAND {"args": [...]}, asserting the status; returns the JSON."""
        payload = {"args": list(args)}
        if body is not None:
            payload["body"] = body
        r = self.post(f"/api/{command}", payload)
        assert r.status == expect, (command, args, r)
        return r.json


class EventStream:
    """GET /api/events read as Server-Sent Events, one event at a time."""

    def __init__(self, client, last_event_id=None, timeout=10):
        self.conn = http.client.HTTPConnection(client.host, client.port, timeout=timeout)
        h = {"Accept": "text/event-stream"}
        if client.cookies:
            h["Cookie"] = client.cookie_header()
        if last_event_id is not None:
            h["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", "/api/events", headers=h)
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.retry = None
        self.comments = []

    def headers(self):
        return self.resp.getheaders()

    def next(self, timeout=10):
        """The next event as a dict (id, event, data parsed as JSON), or
        raises on timeout or end of stream.  The timeout is for the
        event: comments (keepalives) do not extend it."""
        deadline = time.monotonic() + timeout
        ev = {"id": None, "event": "message", "data": []}
        seen = False
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no event within {timeout} s")
            self.conn.sock.settimeout(left)
            line = self.resp.readline()
            if not line:
                raise EOFError("event stream ended")
            line = line.decode("utf-8").rstrip("\r\n")
            if line == "":
                if seen:
                    ev["data"] = json.loads("\n".join(ev["data"])) if ev["data"] else None
                    return ev
                continue
            if line.startswith(":"):
                self.comments.append(line)
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "retry":
                self.retry = int(value)
            elif name == "id":
                ev["id"] = value
                seen = True
            elif name == "event":
                ev["event"] = value
                seen = True
            elif name == "data":
                ev["data"].append(value)
                seen = True

    def wait(self, predicate, what, timeout=10):
        """Reads events until predicate(event) is true; returns that event
        and the list of events read before it."""
        deadline = time.monotonic() + timeout
        before = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no event {what} within {timeout} s; got {before}")
            try:
                ev = self.next(left)
            except (TimeoutError, OSError) as e:
                raise AssertionError(f"no event {what} within {timeout} s ({e}); got {before}")
            if predicate(ev):
                return ev, before
            before.append(ev)

    def close(self):
        self.conn.close()


def log_event(keyword, *fields):
    """A predicate for EventStream.wait: a `log` event of this type whose
    fields start with these."""
    def match(ev):
        return (ev["event"] == "log" and ev["data"]["type"] == keyword
                and ev["data"]["fields"][:len(fields)] == list(fields))
    return match


def scratch_dir(prefix="disorder-web-test-"):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    return d


def remove_dir(d):
    shutil.rmtree(d, ignore_errors=True)


def needs_daemon():
    """Skips a test when disorder-web is not built."""
    if not os.path.exists(DISORDER_WEB):
        raise Skip(f"{DISORDER_WEB} is not built")


def client(j, user=None):
    """A WebClient of j's page, logged in as user (else the guest's session)."""
    c = WebClient(j.web_port)
    if user:
        c.login(user, USERS[user][0])
    else:
        c.session()
    return c
