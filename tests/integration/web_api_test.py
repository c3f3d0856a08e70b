#!/usr/bin/env python3
"""disorder-web's HTTP side as a browser meets it, without a browser: the
JSON API of every endpoint against a real disorderd, sessions and their
cookies, the CSRF check, rights refusals with disorderd's own text, the
security headers, the live event stream (hello, log events, resuming,
disorderd going away and coming back), static files and their types, and
the request limits (oversized headers and bodies, a slow client, a
thousand idle connections, path traversal)."""
import http.client
import json
import os
import queue
import re
import resource
import signal
import socket
import threading
import time
import urllib.parse

from harness import Skip, closing, free_udp_port, run_tests, test, wait_for
from web_harness import (SCRIPT_TITLE, TRACK_SECONDS, USERS, WEB_STATIC,
                         EventStream, WebClient, WebJukebox, client, log_event, needs_daemon,
                         remove_dir, scratch_dir)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
CSRF_REFUSAL = {"error": "missing or wrong CSRF token"}
NOT_RUNNING = "the jukebox server is not running"
# disorder-web(8): a client that has not sent a whole request within this
# many seconds of connecting is disconnected (there is no item to change it).
REQUEST_TIMEOUT = 10
# Idle connections held open while another client is served: more than the
# usual default of 1024 descriptors.
IDLE_CONNECTIONS = 1200


def assert_refused(r, status, code, text=None):
    assert r.status == status, r
    body = r.json
    assert body.get("code") == code, body
    assert isinstance(body.get("error"), str) and body["error"], body
    if text is not None:
        assert body["error"] == text, body


def raw_http(port, data, timeout=10):
    """Sends bytes on a fresh connection and returns everything the server
    sends back before it closes (or the timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out and b"Content-Length: " in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(rest) >= length:
                    break
        return out
    finally:
        s.close()


def status_of(raw):
    """The status code of a raw reply, or None when there was none."""
    if not raw.startswith(b"HTTP/1."):
        return None
    return int(raw.split(b" ", 2)[1])


def served(j):
    """The daemon still answers an ordinary request."""
    r = WebClient(j.web_port).get("/api/session")
    assert r.status == 200, r
    return True


# ---------------------------------------------------------------- static files
@test
def static_files_are_served_with_their_types_and_nothing_outside():
    needs_daemon()
    static = scratch_dir()
    try:
        files = {"index.html": ("text/html", b"<!doctype html><title>t</title>"),
                 "app.js": ("text/javascript", b"export const x = 1;\n"),
                 "mod.mjs": ("text/javascript", b"export const y = 2;\n"),
                 "style.css": ("text/css", b"body { color: black }\n"),
                 "icon.svg": ("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
                 "icon.png": ("image/png", b"\x89PNG\r\n\x1a\n"),
                 "favicon.ico": ("image/x-icon", b"\0\0\1\0"),
                 "data.json": ("application/json", b"{}"),
                 "app.webmanifest": ("application/manifest+json", b"{}")}
        # Other spellings of the same types that browsers accept.
        also = {"text/javascript": {"application/javascript"},
                "image/x-icon": {"image/vnd.microsoft.icon"}}
        for name, (_, data) in files.items():
            with open(os.path.join(static, name), "wb") as f:
                f.write(data)
        os.makedirs(os.path.join(static, "sub"))
        with open(os.path.join(static, "sub", "deep.css"), "wb") as f:
            f.write(b"p {}\n")
        with WebJukebox(static=static) as j:
            c = WebClient(j.web_port)
            r = c.get("/")
            assert r.status == 200 and r.body == files["index.html"][1], r
            assert r.header("Content-Type").split(";")[0].strip() == "text/html", r.headers
            for name, (mime, data) in files.items():
                r = c.get("/static/" + name)
                assert r.status == 200 and r.body == data, (name, r)
                got = r.header("Content-Type").split(";")[0].strip().lower()
                assert got == mime or got in also.get(mime, ()), (name, got)
                assert r.header("X-Content-Type-Options") == "nosniff", (name, r.headers)
            r = c.get("/static/sub/deep.css")
            assert r.status == 200 and r.body == b"p {}\n", r
            assert c.get("/static/missing.js").status == 404
            assert c.get("/static/sub").status in (403, 404)  # not a regular file
            assert c.get("/static/sub/").status in (403, 404)
            # Path traversal, however spelt, reaches nothing outside web_static:
            # the config file is next to it (../config from the home).
            config_text = open(j.config_path, "rb").read()
            escapes = ["/static/../config", "/static/%2e%2e/config", "/static/..%2fconfig",
                       "/static/sub/../../config", "/static/%2E%2E%2Fconfig",
                       "/static//etc/passwd", "/static/sub/%2e%2e/%2e%2e/config",
                       "/../config", "/static/..\\config", "/static/%00index.html"]
            rel = os.path.relpath(j.config_path, static)
            escapes.append("/static/" + rel)
            for path in escapes:
                raw = raw_http(j.web_port, f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n".encode())
                status = status_of(raw)
                assert status is None or 400 <= status < 500, (path, raw[:200])
                assert config_text not in raw and b"root:" not in raw, (path, raw[:200])
            assert served(j)
    finally:
        remove_dir(static)


@test
def the_pages_own_files_are_served_with_their_types_and_weigh_under_150_kb():
    needs_daemon()
    if not os.path.exists(os.path.join(WEB_STATIC, "index.html")):
        raise Skip(f"the page ({WEB_STATIC}/index.html) is not in this tree")
    total = sum(os.path.getsize(os.path.join(d, f))
                for d, _, files in os.walk(WEB_STATIC) for f in files)
    assert total < 150 * 1024, f"the page's files weigh {total} bytes"
    types = {".html": "text/html", ".css": "text/css", ".js": "text/javascript",
             ".mjs": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png",
             ".json": "application/json", ".webmanifest": "application/manifest+json",
             ".ico": "image/x-icon"}
    with WebJukebox() as j:
        c = WebClient(j.web_port)
        page = c.get("/")
        assert page.status == 200, page
        with open(os.path.join(WEB_STATIC, "index.html"), "rb") as f:
            assert page.body == f.read()
        for d, _, files in os.walk(WEB_STATIC):
            for f in files:
                rel = os.path.relpath(os.path.join(d, f), WEB_STATIC)
                ext = os.path.splitext(f)[1]
                r = c.get("/static/" + rel)
                assert r.status == 200, (rel, r)
                got = r.header("Content-Type").split(";")[0].strip()
                if ext in (".js", ".mjs"):
                    assert got in ("text/javascript", "application/javascript"), (rel, got)
                elif ext in types:
                    assert got == types[ext] or (ext == ".ico" and got ==
                                                 "image/vnd.microsoft.icon"), (rel, got)
        # No inline script or style attribute: the CSP would block them.
        html = page.body.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script>"
        assert not re.search(r"\sstyle=", html), "an inline style= attribute"
        assert not re.search(r"\son[a-z]+=", html), "an inline event handler"


@test
def every_response_carries_the_security_headers():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "alice")
        replies = {"page": c.get("/"), "session": c.get("/api/session"),
                   "queue": c.get("/api/queue"), "unknown endpoint": c.get("/api/no-such"),
                   "missing file": c.get("/static/no-such.js"),
                   "refused post": c.post("/api/play", {"args": []}, csrf=False)}
        for what, r in replies.items():
            assert r.header("Content-Security-Policy") == CSP, (what, r.headers)
            assert r.header("X-Content-Type-Options") == "nosniff", (what, r.headers)
            assert r.header("Referrer-Policy") == "no-referrer", (what, r.headers)
            assert r.header("X-Frame-Options") == "DENY", (what, r.headers)
        for what in ("session", "queue", "unknown endpoint", "refused post"):
            r = replies[what]
            assert "no-store" in (r.header("Cache-Control") or ""), (what, r.headers)
            assert r.header("Content-Type").split(";")[0] == "application/json", (what, r.headers)


# ---------------------------------------------------------------- sessions
@test
def without_a_cookie_the_page_is_the_guests():
    needs_daemon()
    with WebJukebox() as j:
        s = client(j).session()
        assert s["user"] == "guest" and s["guest"] is True, s
        assert "read" in s["rights"] and "register" in s["rights"], s
        assert "play" not in s["rights"], s
        assert isinstance(s["csrf"], str) and len(s["csrf"]) >= 16, s
        assert isinstance(s["version"], str) and s["version"], s
        # No mail_sender: the guest may not register here.
        assert s["register"] is False, s
        c = client(j)
        assert c.api("queue")["entries"] == []
        # The guest has no right to play: disorderd's refusal, as 403.
        r = c.post("/api/play", {"args": [j.paths["first"]]})
        assert_refused(r, 403, 510)


@test
def without_guest_and_login_nobody_is_logged_in():
    needs_daemon()
    with WebJukebox(guest=False) as j:
        c = WebClient(j.web_port)
        s = c.session()
        assert s["user"] is None and s["rights"] == [] and s["guest"] is False, s
        assert s["register"] is False, s
        assert c.get("/api/queue").status == 401
        ev = EventStream(c)
        assert ev.status == 401, ev.status
        ev.close()
        c.login("bob", USERS["bob"][0])
        assert c.api("queue")["entries"] == []


@test
def logging_in_sets_an_httponly_strict_cookie_and_a_new_token():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j)
        guest_token = c.csrf
        r = c.post("/api/login", {"username": "alice", "password": "wrong"})
        assert r.status == 401 and r.json == {"error": "wrong user name or password",
                                              "code": 530}, r
        assert not r.all_headers("Set-Cookie"), r.headers
        r = c.post("/api/login", {"username": "nobody-here", "password": "x"})
        assert r.status == 401 and r.json["code"] == 530, r
        r = c.post("/api/login", {"username": "alice", "password": USERS["alice"][0]})
        assert r.status == 200, r
        s = r.json
        assert s["user"] == "alice" and s["guest"] is False, s
        assert "remove mine" in s["rights"] and "remove any" not in s["rights"], s
        assert s["csrf"] != guest_token, s
        (cookie,) = [v for v in r.all_headers("Set-Cookie") if v.startswith("disorder=")]
        attrs = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs, cookie
        assert "max-age=86400" in attrs, cookie  # cookie_login_lifetime's default
        assert "secure" not in attrs, cookie  # plain HTTP, no trusted proxy
        # The old token is no good any more; the new one is.
        old = c.request("POST", "/api/play", body={"args": [j.paths["first"]]},
                        headers={"X-Disorder-CSRF": guest_token})
        assert old.status == 403 and old.json.get("error") == CSRF_REFUSAL["error"], old
        c.csrf = s["csrf"]
        assert c.change("play", j.paths["first"])["value"]
        assert c.session()["user"] == "alice"
        # The password went to disorderd only: it is in no log.
        assert USERS["alice"][0] not in j.web.log_text()
        assert USERS["alice"][0] not in j.log_text()


@test
def the_cookie_is_secure_behind_a_trusted_tls_proxy_only():
    needs_daemon()

    def cookie_for(j, proto):
        c = WebClient(j.web_port)
        c.session()
        r = c.post("/api/login", {"username": "alice", "password": USERS["alice"][0]},
                   headers={"X-Forwarded-Proto": proto})
        assert r.status == 200, r
        (cookie,) = [v for v in r.all_headers("Set-Cookie") if v.startswith("disorder=")]
        return [a.strip().lower() for a in cookie.split(";")[1:]]
    with WebJukebox(web_extra="web_proxy 127.0.0.1\n") as j:
        assert "secure" in cookie_for(j, "https")
        assert "secure" not in cookie_for(j, "http")
    # Anyone may send the header; only a trusted proxy is believed.
    with WebJukebox(web_extra="web_proxy 10.0.0.0/8\n") as j:
        assert "secure" not in cookie_for(j, "https")


@test
def a_post_needs_the_csrf_token_and_json():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "alice")
        play = {"args": [j.paths["first"]]}

        def refused(r):
            assert r.status == 403, r
            assert r.json.get("error") == CSRF_REFUSAL["error"], r.json
        refused(c.post("/api/play", play, csrf=False))
        refused(c.post("/api/play", play, csrf=False, headers={"X-Disorder-CSRF": ""}))
        refused(c.post("/api/play", play, csrf=False,
                       headers={"X-Disorder-CSRF": c.csrf[:-1] + ("x" if c.csrf[-1] != "x" else "y")}))
        # Another session's token.
        refused(c.post("/api/play", play, csrf=False,
                       headers={"X-Disorder-CSRF": client(j, "bob").csrf}))
        # A form post (the only kind another site can send without CORS):
        # refused, as the contract says (403) or as not JSON (415).
        def not_json(r):
            if r.status != 415:
                refused(r)
        not_json(c.request("POST", "/api/play", raw_body=json.dumps(play).encode(),
                           headers={"X-Disorder-CSRF": c.csrf,
                                    "Content-Type": "application/x-www-form-urlencoded"}))
        not_json(c.request("POST", "/api/play", raw_body=json.dumps(play).encode(),
                           headers={"X-Disorder-CSRF": c.csrf, "Content-Type": "text/plain"}))
        # Login too: no logging a browser in to someone else's account.
        refused(WebClient(j.web_port).post("/api/login", {"username": "bob",
                                                          "password": USERS["bob"][0]},
                                           csrf=False))
        assert c.api("queue")["entries"] == [], "a refused POST changed the queue"
        # Right token, JSON, same origin or none: done.
        r = c.post("/api/play", play, headers={"Origin": j.url})
        assert r.status == 200, r
        r = c.post("/api/play", {"args": [j.paths["second"]]},
                   headers={"Content-Type": "application/json; charset=utf-8"})
        assert r.status == 200, r
        assert len(c.api("queue")["entries"]) == 2


@test
def a_garbage_cookie_or_one_revoked_by_logging_out_is_no_login():
    needs_daemon()
    with WebJukebox() as j:
        c = WebClient(j.web_port)
        c.cookies["disorder"] = "garbage"
        assert c.session()["user"] == "guest"
        c.cookies["disorder"] = "x" * 5000
        r = c.get("/api/session")
        assert r.status in (200, 400, 431), r
        assert r.status != 200 or r.json["user"] == "guest", r
        # Logging out revokes the cookie in disorderd, not just in the browser.
        c = client(j, "alice")
        kept = dict(c.cookies)
        r = c.post("/api/logout", {})
        assert r.status == 200 and r.json["user"] == "guest", r
        assert "disorder" not in c.cookies, r.headers
        stale = WebClient(j.web_port)
        stale.cookies = kept
        assert stale.session()["user"] == "guest"
        assert served(j)


@test
def logout_password_and_email_change_the_session():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "alice")
        before = dict(c.cookies)
        token = c.csrf
        r = c.post("/api/password", {"password": "alice-new"})
        assert r.status == 200, r
        s = r.json
        assert s["user"] == "alice", s
        # A new cookie for the new password; the page goes on as alice.
        assert c.cookies.get("disorder") and c.cookies != before, (c.cookies, before)
        c.csrf = s.get("csrf", token)
        assert c.session()["user"] == "alice"
        stale = WebClient(j.web_port)
        stale.cookies = before
        assert stale.session()["user"] == "guest"
        fresh = WebClient(j.web_port)
        fresh.session()
        r = fresh.post("/api/login", {"username": "alice", "password": USERS["alice"][0]})
        assert r.status == 401, r
        fresh.login("alice", "alice-new")
        r = c.post("/api/email", {"email": "alice@example.invalid"})
        assert r.status == 200 and r.json.get("ok") is True, r
        with closing(j.root()) as root:
            assert root.ok("userinfo", "alice", "email")[0] == "alice@example.invalid"
        r = c.post("/api/email", {"email": "not an address"})
        assert r.status == 400 and r.json.get("error"), r
        # The guest has no password to change.
        g = client(j)
        r = g.post("/api/password", {"password": "x"})
        assert r.status in (401, 403) and r.json.get("error"), r
        # Bad shapes are the daemon's own 400.
        for body in ({}, {"password": 3}, {"password": ["a"]}):
            r = c.post("/api/password", body)
            assert r.status == 400 and r.json.get("error"), (body, r)
        r = c.post("/api/logout")
        assert r.status == 200 and r.json["user"] == "guest" and r.json["csrf"] != c.csrf, r


def mail_capture():
    try:
        import mail_capture as m
        return m
    except ImportError:
        raise Skip("tests/integration/mail_capture.py (the test sendmail) is not in this tree")


def message_text(msg):
    """The text of a captured message, whatever object the mailbox gives."""
    if isinstance(msg, bytes):
        return msg.decode("utf-8", "replace")
    if isinstance(msg, str):
        return msg
    if hasattr(msg, "get_body"):
        body = msg.get_body(preferencelist=("plain", "html"))
        if body is not None:
            return str(msg.get("To", "")) + "\n" + body.get_content()
    if hasattr(msg, "as_string"):
        return msg.as_string()
    return str(msg)


@test
def register_by_mail_then_confirm_logs_in():
    needs_daemon()
    capture = mail_capture()
    d = scratch_dir()
    try:
        sendmail, mailbox = capture.capture_sendmail(d)
        with WebJukebox(sendmail=sendmail) as j:
            g = client(j)
            s = g.session()
            assert s["user"] == "guest" and s["register"] is True, s
            r = g.post("/api/register", {"username": "carol", "password": "carol-pw",
                                         "email": "carol@example.invalid"})
            assert r.status == 200 and r.json.get("ok") is True, r
            text = message_text(mailbox.wait_for_message(timeout=10))
            assert "carol@example.invalid" in text, text
            m = re.search(r"(https?://[^\s\"<>]+)\?confirm=([^\s\"<>&]+)", text)
            assert m, text
            assert m.group(1).rstrip("/") == j.url, m.group(1)
            confirmation = urllib.parse.unquote(m.group(2))  # the / may be %2F
            assert confirmation.startswith("carol/"), confirmation
            # Not a user until confirmed.
            r = WebClient(j.web_port).post("/api/login", {"username": "carol",
                                                          "password": "carol-pw"})
            assert r.status in (401, 403), r
            r = g.post("/api/confirm", {"confirmation": "carol/wrong"})
            assert r.status in (400, 401, 403, 404) and r.json.get("error"), r
            r = g.post("/api/confirm", {"confirmation": confirmation})
            assert r.status == 200, r
            s = r.json
            assert s["user"] == "carol" and s["guest"] is False, s
            assert "play" in s["rights"], s
            assert any(v.startswith("disorder=") for v in r.all_headers("Set-Cookie")), r.headers
            g.csrf = s["csrf"]
            assert g.session()["user"] == "carol"
            # A password reminder goes by mail; a second one so soon is
            # rate-limited by reminder_interval, and the page still says ok.
            r = g.post("/api/reminder", {"username": "carol"})
            assert r.status == 200 and r.json.get("ok") is True, r
            text = message_text(mailbox.wait_for_message(timeout=10))
            assert "carol@example.invalid" in text, text
            r = g.post("/api/reminder", {"username": "carol"})
            assert r.status == 200 and r.json.get("ok") is True, r
            r = g.post("/api/reminder", {"username": "nosuchuser"})
            assert r.status == 200 and r.json.get("ok") is True, r
            # Registering a name twice.
            r = client(j).post("/api/register", {"username": "carol", "password": "x",
                                                 "email": "c2@example.invalid"})
            assert r.status >= 400 and r.json.get("error"), r
    finally:
        remove_dir(d)


# ---------------------------------------------------------------- commands
def entry_ids(c):
    return [e["id"] for e in c.api("queue")["entries"]]


@test
def read_commands_reply_in_their_shapes():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "admin")
        first, script = j.paths["first"], j.paths["script"]
        music = j.music
        version = c.api("version")
        assert isinstance(version["value"], str) and version["value"], version
        assert c.api("enabled")["value"] == "no"
        assert c.api("random-enabled")["value"] == "no"
        volume = c.api("volume")
        assert (volume["left"], volume["right"]) == (100, 100), volume
        assert c.api("exists", first)["value"] == "yes"
        assert c.api("exists", music + "/nope.wav")["value"] == "no"
        assert c.api("resolve", first)["value"] == first
        assert c.api("length", first)["value"] == str(int(TRACK_SECONDS))
        assert c.api("part", first, "display", "artist")["value"] == "Alpha Artist"
        assert c.api("part", first, "display", "album")["value"] == "First Album"
        assert c.api("part", script, "display", "title")["value"] == SCRIPT_TITLE
        dirs = c.api("dirs", music)
        assert sorted(dirs["lines"]) == sorted(os.path.join(music, d) for d in os.listdir(music)), dirs
        album = os.path.dirname(first)
        files = c.api("files", album)["tracks"]
        assert [t["track"] for t in files] == sorted(os.path.join(album, f)
                                                     for f in os.listdir(album)), files
        t = files[0]
        assert t == {"track": first, "artist": "Alpha Artist", "album": "First Album",
                     "title": t["title"], "length": int(TRACK_SECONDS)}, t
        assert "Morning Tone" in t["title"], t
        every = c.api("allfiles", album)["tracks"]
        assert sorted(t["track"] for t in every) == [t["track"] for t in files], every
        every = c.api("new")["tracks"]
        found = c.api("search", "evening")["tracks"]
        assert [t["track"] for t in found] == [j.paths["second"]], found
        new = c.api("new")["tracks"]
        assert sorted(t["track"] for t in new) == sorted(j.paths.values()), new
        st = [t for t in every if t["track"] == script][0]
        assert st["title"] == SCRIPT_TITLE, st
        assert c.api("prefs", script)["prefs"] == {"trackname_display_title": SCRIPT_TITLE}
        assert c.api("get", script, "trackname_display_title")["value"] == SCRIPT_TITLE
        assert_refused(c.get(c.api_path("get", first, "weight")), 404, 555)
        assert_refused(c.get("/api/get-global?arg=no-such"), 404, 555, "not found")
        assert c.api("tags")["lines"] == []
        assert sorted(c.api("users")["lines"]) == sorted(["admin", "alice", "bob", "guest",
                                                          "root"])
        rights = c.api("userinfo", "alice", "rights")["value"]
        assert set(rights.replace("_", " ").split(",")) == \
            set(USERS["alice"][1].replace("_", " ").split(",")), rights
        assert isinstance(c.api("stats")["lines"], list)
        assert c.api("schedule-list")["lines"] == []
        assert c.api("playlists")["lines"] == []
        assert c.api("queue")["entries"] == [] and c.api("recent")["entries"] == []
        playing = c.api("playing")
        assert "entry" in playing and playing["entry"] is None, playing
        # Not broadcasting (api command): disorderd's 555, as 404.
        assert_refused(c.get("/api/rtp-address"), 404, 555)
        assert_refused(c.get("/api/rtp-sdp"), 404, 555)
        assert_refused(c.get("/api/schedule-get?arg=nosuch"), 404, 555)
        # A refusal that is neither 510, 530 nor 555: 400 with its code.
        r = c.get(c.api_path("length", music + "/nope.wav"))
        assert_refused(r, 400, 550, "not found")
        # A quoted or non-ASCII argument goes through whole.
        rtl = j.paths["rtl"]
        assert c.api("exists", rtl)["value"] == "yes"
        assert c.api("resolve", j.paths["quotes"])["value"] == j.paths["quotes"]


@test
def the_broadcast_address_sdp_and_a_scheduled_event():
    needs_daemon()
    rtp_port = free_udp_port()
    with WebJukebox(extra=f"api rtp\nbroadcast 127.0.0.1 {rtp_port}\n") as j:
        c = client(j, "admin")
        a = c.api("rtp-address")
        assert a["host"] == "127.0.0.1" and str(a["port"]) == str(rtp_port), a
        sdp = c.api("rtp-sdp")["lines"]
        assert f"m=audio {rtp_port} RTP/AVP 10" in sdp and "c=IN IP4 127.0.0.1" in sdp, sdp
        when = str(int(time.time()) + 3600)
        with closing(j.root()) as r:
            code, event_id, _ = r.command("schedule-add", when, "normal", "play",
                                          j.paths["first"])
            assert code == 252, (code, event_id)
        assert c.api("schedule-list")["lines"] == [event_id]
        got = c.api("schedule-get", event_id)
        assert got["prefs"] == {"action": "play", "when": when, "who": "root",
                                "priority": "normal", "track": j.paths["first"]}, got


@test
def queue_changes_and_entries():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        names = [j.paths[k] for k in ("first", "second", "third", "html")]
        before = time.time()
        ids = [a.change("play", n)["value"] for n in names[:3]]
        entries = a.api("queue")["entries"]
        assert [e["id"] for e in entries] == ids, entries
        e = entries[0]
        assert e["track"] == names[0] and e["submitter"] == "alice", e
        assert e["state"] == "unplayed" and e["origin"] == "picked", e
        assert before - 2 <= e["when"] <= time.time() + 2, e
        assert isinstance(e["expected"], (int, float)), e
        assert e["artist"] == "Alpha Artist" and e["album"] == "First Album", e
        assert "Morning Tone" in e["title"] and e["length"] == int(TRACK_SECONDS), e
        assert entries[1]["expected"] - e["expected"] == int(TRACK_SECONDS), entries
        r = a.change("playafter", ids[0], names[3])
        assert r["code"] // 100 == 2, r
        order = entry_ids(a)
        assert order[0] == ids[0] and len(order) == 4 and order[2:] == ids[1:], order
        html_id = order[1]
        a.change("moveafter", "", ids[2])
        assert entry_ids(a)[0] == ids[2]
        assert entry_ids(a) == [ids[2], ids[0], html_id, ids[1]]
        a.change("move", ids[1], "1")
        assert entry_ids(a) == [ids[2], ids[0], ids[1], html_id]
        a.change("remove", html_id)
        assert html_id not in entry_ids(a)
        assert_refused(a.post("/api/play", {"args": [j.music + "/nope.wav"]}), 400, 550)
        assert_refused(a.post("/api/remove", {"args": ["0123456789ab"]}), 400, 550)
        # Too few arguments: disorderd's own refusal, as an error.
        r = a.post("/api/play", {"args": []})
        assert r.status >= 400 and r.json.get("error"), r
        # Playing them: playing, pause, resume, scratch, recent.
        ad = client(j, "admin")
        head = entry_ids(a)[0]
        ad.change("enable")
        assert ad.api("enabled")["value"] == "yes"
        p = wait_for(lambda: a.api("playing")["entry"], "a track to play")
        assert p["id"] == head and p["state"] in ("playing", "started"), p
        assert "sofar" in p, p
        a.change("pause")
        wait_for(lambda: a.api("playing")["entry"]["state"] == "paused", "paused")
        a.change("resume")
        wait_for(lambda: a.api("playing")["entry"]["state"] != "paused", "resumed")
        a.change("scratch")
        wait_for(lambda: any(e["id"] == head for e in a.api("recent")["entries"]),
                 "the scratched track in recent")
        rec = [e for e in a.api("recent")["entries"] if e["id"] == head][0]
        assert rec["state"] == "scratched" and rec.get("scratched") == "alice", rec
        ad.change("disable")
        assert ad.api("enabled")["value"] == "no"


@test
def a_user_without_remove_any_cannot_remove_anothers_entry():
    needs_daemon()
    with WebJukebox() as j:
        a, b, ad = client(j, "alice"), client(j, "bob"), client(j, "admin")
        bobs = b.change("play", j.paths["first"])["value"]
        alices = a.change("play", j.paths["second"])["value"]
        # What disorderd itself says to alice.
        with closing(j.connect("alice", USERS["alice"][0])) as raw:
            code, text, _ = raw.command("remove", bobs)
            assert code == 510, (code, text)
        r = a.post("/api/remove", {"args": [bobs]})
        assert r.status == 403 and r.json == {"error": text, "code": 510}, r
        r = a.post("/api/move", {"args": [bobs, "1"]})
        assert_refused(r, 403, 510)
        r = a.post("/api/scratch", {"args": []})  # nothing playing is fine either way
        assert r.status in (200, 400, 403), r
        assert_refused(b.post("/api/volume", {"args": ["50", "50"]}), 403, 510)
        assert_refused(b.post("/api/enable", {"args": []}), 403, 510)
        assert_refused(b.post("/api/adduser", {"args": ["eve", "pw"]}), 403, 510)
        assert entry_ids(ad) == [bobs, alices]
        a.change("remove", alices)  # her own
        ad.change("remove", bobs)  # admin may remove anyone's
        assert entry_ids(ad) == []
        # Rights taken away elsewhere apply at once to an open session.
        with closing(j.root()) as root:
            root.ok("edituser", "bob", "rights", "read")
        assert b.session()["rights"] == ["read"]
        assert_refused(b.post("/api/play", {"args": [j.paths["first"]]}), 403, 510)


@test
def global_switches_volume_and_preferences():
    needs_daemon()
    with WebJukebox("queue_pad 2\n") as j:
        ad = client(j, "admin")
        a = client(j, "alice")
        first = j.paths["first"]
        ad.change("random-enable")
        assert ad.api("random-enabled")["value"] == "yes"
        picks = wait_for(lambda: [e for e in ad.api("queue")["entries"]
                                  if e["origin"] == "random"], "random picks")
        a.change("adopt", picks[0]["id"])
        e = [e for e in a.api("queue")["entries"] if e["id"] == picks[0]["id"]][0]
        assert e["origin"] == "adopted" and e["submitter"] == "alice", e
        assert_refused(a.post("/api/adopt", {"args": [picks[0]["id"]]}), 400, 550,
                       "only randomly picked tracks can be adopted")
        ad.change("random-disable")
        assert ad.api("random-enabled")["value"] == "no"
        r = a.change("volume", "40", "60")
        assert r.get("left") == 40 and r.get("right") == 60, r
        assert a.api("volume")["left"] == 40
        r = a.post("/api/volume", {"args": ["101", "0"]})
        assert r.status == 400 and r.json.get("error"), r
        a.change("set", first, "weight", "5000")
        a.change("set", first, "trackname_display_title", "Renamed \"by\" <alice>")
        assert a.api("get", first, "weight")["value"] == "5000"
        assert a.api("part", first, "display", "title")["value"] == "Renamed \"by\" <alice>"
        prefs = a.api("prefs", first)["prefs"]
        assert prefs["weight"] == "5000", prefs
        a.change("unset", first, "weight")
        assert "weight" not in a.api("prefs", first)["prefs"]
        ad.change("set-global", "required-tags", "rock")
        assert ad.api("get-global", "required-tags")["value"] == "rock"
        assert_refused(a.post("/api/set-global", {"args": ["required-tags", "x"]}), 403, 510)
        ad.change("unset-global", "required-tags")
        assert_refused(ad.get("/api/get-global?arg=required-tags"), 404, 555)
        r = ad.change("rescan")
        assert r["code"] // 100 == 2, r


@test
def playlists_and_users_through_the_api():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        tracks = [j.paths["third"], j.paths["first"]]
        r = a.change("playlist-set", "alice.mix", body=tracks)
        assert r["code"] // 100 == 2, r
        got = a.api("playlist-get", "alice.mix")["tracks"]
        assert [t["track"] for t in got] == tracks, got
        assert got[0]["artist"] == "Alpha Artist", got
        assert a.api("playlist-get-share", "alice.mix")["value"] == "private"
        a.change("playlist-set-share", "alice.mix", "public")
        assert a.api("playlist-get-share", "alice.mix")["value"] == "public"
        assert "alice.mix" in client(j, "bob").api("playlists")["lines"]
        # bob cannot change alice's playlist.
        r = client(j, "bob").post("/api/playlist-set", {"args": ["alice.mix"],
                                                        "body": [tracks[0]]})
        assert_refused(r, 403, 510)
        # A body and args of the wrong shape: disorder-web's own 400.
        for bad in ({"args": "alice.mix"}, {"args": ["alice.mix"], "body": "x"},
                    {"args": [1]}, ["alice.mix"]):
            r = a.post("/api/playlist-set", bad)
            assert r.status == 400 and r.json.get("error"), (bad, r)
        a.change("playlist-delete", "alice.mix")
        assert_refused(a.get("/api/playlist-get?arg=alice.mix"), 404, 555)
        assert a.api("playlists")["lines"] == []
        ad = client(j, "admin")
        ad.change("adduser", "dave", "dave-pw", "read,play")
        ad.change("edituser", "dave", "email", "dave@example.invalid")
        assert ad.api("userinfo", "dave", "email")["value"] == "dave@example.invalid"
        WebClient(j.web_port).login("dave", "dave-pw")
        ad.change("deluser", "dave")
        assert "dave" not in ad.api("users")["lines"]


@test
def unknown_commands_methods_and_bodies_are_refused():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "admin")
        for path in ("/api/no-such-command", "/api/shutdown", "/api/reconfigure",
                     "/api/user", "/api/cookie", "/api/log", "/api/revoke", "/api/nop"):
            r = c.get(path)
            assert r.status == 404 and r.json.get("error"), (path, r)
            r = c.post(path, {"args": []})
            assert r.status == 404 and r.json.get("error"), (path, r)
        assert c.get("/api/play").status == 405
        assert c.get("/api/login").status == 405
        assert c.post("/api/queue", {"args": []}).status == 405
        # Methods the API has no use for (evhttp's own 501 will do).
        assert c.request("PUT", "/api/queue").status in (405, 501)
        assert c.request("DELETE", "/api/queue").status in (405, 501)
        for raw in (b"{", b"not json", b"[]", b"\xff\xfe", b'{"args": {"a": 1}}'):
            r = c.request("POST", "/api/play", raw_body=raw,
                          headers={"X-Disorder-CSRF": c.csrf, "Content-Type": "application/json"})
            assert r.status == 400 and r.json.get("error"), (raw, r)
        r = c.get("/api/queue?arg=%ff")
        assert 200 <= r.status < 500, r
        # Not UTF-8, or missing: an error, not a crash.
        assert_refused(c.get("/api/exists?arg=%ff"), 400, 500)
        r = c.get("/api/exists")
        assert r.status == 400 and r.json.get("error"), r
        assert served(j)


@test
def an_argument_cannot_smuggle_a_second_command():
    needs_daemon()
    with WebJukebox() as j:
        b, ad = client(j, "bob"), client(j, "admin")
        bobs = b.change("play", j.paths["first"])["value"]
        for args in ([f"{j.paths['second']}\nremove {bobs}"],
                     [f"{j.paths['second']}\rremove {bobs}"],
                     [j.paths["second"] + "\nremove", bobs]):
            r = ad.post("/api/play", {"args": args})
            assert r.status == 400 and r.json.get("error"), (args, r)
        r = ad.get(ad.api_path("exists", f"x\nremove {bobs}"))
        assert r.status == 400 and r.json.get("error"), r
        assert entry_ids(ad) == [bobs]
        # Quotes and backslashes are the argument's own.
        assert ad.api("exists", j.paths["quotes"] + '" remove "' + bobs)["value"] == "no"
        assert entry_ids(ad) == [bobs]
        assert served(j)


# ---------------------------------------------------------------- events
class Collector:
    """Reads an EventStream in a thread, stamping each event's arrival."""

    def __init__(self, stream):
        self.stream = stream
        self.q = queue.Queue()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        try:
            while True:
                ev = self.stream.next(timeout=120)
                self.q.put((time.monotonic(), ev))
        except Exception as e:  # the stream ended or was closed
            self.q.put((time.monotonic(), e))

    def wait(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                at, ev = self.q.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no event {what} within {timeout} s; got {seen}")
            if isinstance(ev, Exception):
                raise AssertionError(f"event stream ended waiting for {what}: {ev}; got {seen}")
            if predicate(ev):
                return at, ev
            seen.append(ev)


@test
def events_say_hello_then_carry_the_event_log_within_a_second():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        s = EventStream(a)
        assert s.status == 200, s.status
        ct = dict((k.lower(), v) for k, v in s.headers())
        assert ct["content-type"].startswith("text/event-stream"), ct
        hello = s.next(timeout=10)
        assert hello["event"] == "hello" and hello["data"] == {"resumed": False}, hello
        assert s.retry == 2000, s.retry
        events = Collector(s)
        t0 = time.monotonic()
        p = j.cli("play", j.paths["second"], user="bob", password=USERS["bob"][0])
        done = time.monotonic()
        at, ev = events.wait(log_event("queue"), "log queue", timeout=10)
        assert j.paths["second"] in ev["data"]["fields"] or \
            j.paths["second"] in json.dumps(ev["data"]), ev
        assert isinstance(ev["data"]["time"], (int, float)), ev
        delay = at - done
        print(f"  CLI play -> SSE log event: {delay * 1000:.1f} ms after the CLI returned "
              f"({(at - t0) * 1000:.1f} ms after it started)")
        assert delay < 1.0, delay
        assert ev["id"], ev  # opaque to the page: it only hands it back
        assert p.returncode == 0
        # Resuming: a second play while no stream is open is replayed to a
        # stream that says where it left off.
        last = ev["id"]
        s.close()
        j.cli("play", j.paths["third"], user="bob", password=USERS["bob"][0])
        s2 = EventStream(a, last_event_id=last)
        hello2 = s2.next(timeout=10)
        assert hello2["event"] == "hello" and hello2["data"] == {"resumed": True}, hello2
        ev2, _ = s2.wait(log_event("queue"), "the replayed queue event", timeout=10)
        assert j.paths["third"] in json.dumps(ev2["data"]), ev2
        assert ev2["id"] and ev2["id"] != last, (last, ev2)
        s2.close()
        # An id it cannot resume from: the page must refetch.
        for bad in ("999999999999", "garbage"):
            s3 = EventStream(a, last_event_id=bad)
            h = s3.next(timeout=10)
            assert h["event"] == "hello" and h["data"] == {"resumed": False}, (bad, h)
            s3.close()


@test
def events_say_when_disorderd_goes_and_comes_back_and_the_session_survives():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        s = EventStream(a)
        assert s.next(timeout=10)["event"] == "hello"
        events = Collector(s)
        j.stop()
        _, down = events.wait(lambda e: e["event"] == "server", "server down", timeout=15)
        assert down["data"]["up"] is False, down
        r = a.get("/api/queue")
        assert r.status == 503 and r.json["code"] == 0, r
        assert r.json["error"].startswith(NOT_RUNNING), r
        r = a.post("/api/play", {"args": [j.paths["first"]]})
        assert r.status == 503 and r.json["error"].startswith(NOT_RUNNING), r
        j.start()
        _, up = events.wait(lambda e: e["event"] == "server", "server up", timeout=20)
        assert up["data"]["up"] is True, up
        # Same browser, same cookie: still alice.
        assert a.session()["user"] == "alice"
        a.change("play", j.paths["first"])
        events.wait(log_event("queue"), "log queue after the restart", timeout=10)
        s.close()


@test
def a_stream_whose_server_stops_before_its_feed_is_up_says_so_and_when_it_is_back():
    # disorderd stops just after a page opened its stream, before
    # disorder-web's connection for the stream's events had logged in: held
    # stopped while the stream opens, disorderd cannot answer that login.
    # The hello waits for that connection (a page refetches on hello, and
    # must not miss what changes before the events flow): here it comes
    # when the connection has failed, with the news that the server is down.
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        os.kill(j.proc.pid, signal.SIGSTOP)
        try:
            s = EventStream(a)
            assert s.status == 200, s.status
        finally:
            os.kill(j.proc.pid, signal.SIGKILL)
            os.kill(j.proc.pid, signal.SIGCONT)
        j.stop()
        events = Collector(s)
        _, hello = events.wait(lambda e: e["event"] == "hello", "hello", timeout=15)
        assert hello["data"] == {"resumed": False}, hello
        _, down = events.wait(lambda e: e["event"] == "server", "server down", timeout=15)
        assert down["data"]["up"] is False, down
        j.start()
        _, up = events.wait(lambda e: e["event"] == "server", "server up", timeout=20)
        assert up["data"]["up"] is True, up
        a.change("play", j.paths["first"])
        events.wait(log_event("queue"), "log queue once it is back", timeout=10)
        s.close()


@test
def the_hello_waits_until_the_events_flow():
    # A page reads everything again on hello: a change made after that
    # must reach it as an event, so hello comes only once disorder-web
    # follows the event log for the stream (here held up by a stopped
    # disorderd).
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        os.kill(j.proc.pid, signal.SIGSTOP)
        try:
            s = EventStream(a)
            events = Collector(s)
            try:
                events.wait(lambda e: e["event"] == "hello", "hello", timeout=1.0)
                early = True
            except AssertionError:
                early = False
            assert not early, "hello before disorder-web follows the event log"
        finally:
            os.kill(j.proc.pid, signal.SIGCONT)
        events.wait(lambda e: e["event"] == "hello", "hello", timeout=15)
        a.change("play", j.paths["first"])
        events.wait(log_event("queue"), "the change made right after hello", timeout=10)
        s.close()


@test
def a_login_survives_a_restart_of_disorder_web_with_a_new_token():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        old = a.csrf
        s = EventStream(a)
        assert s.next(timeout=10)["event"] == "hello"
        j.web.stop()
        # What was sent before it stopped may still be read; then the end.
        deadline = time.monotonic() + 10
        try:
            while time.monotonic() < deadline:
                s.next(timeout=max(0.1, deadline - time.monotonic()))
            raise AssertionError("the event stream went on after disorder-web stopped")
        except socket.timeout:
            raise AssertionError("the event stream stayed open after disorder-web stopped")
        except (EOFError, OSError, http.client.HTTPException):
            pass
        s.close()
        j.web.start()
        # The page's token is stale: 403 saying so, and nothing done.
        r = a.post("/api/play", {"args": [j.paths["first"]]})
        assert r.status == 403 and r.json.get("csrf") is True, r
        assert a.api("queue")["entries"] == []
        # The cookie is disorderd's: still alice, with a new token.
        session = a.session()
        assert session["user"] == "alice" and a.csrf != old, session
        a.change("play", j.paths["first"])
        assert a.api("queue")["entries"][0]["submitter"] == "alice"


@test
def keepalive_and_a_closed_stream_cost_nothing():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        streams = [EventStream(a) for _ in range(20)]
        for s in streams:
            assert s.next(timeout=10)["event"] == "hello"
            s.close()
        s = EventStream(a)
        assert s.next(timeout=10)["event"] == "hello"
        a.change("play", j.paths["first"])
        s.wait(log_event("queue"), "log queue", timeout=10)
        s.close()
        assert served(j)


@test
def an_event_stream_nobody_reads_is_closed_and_the_others_go_on():
    needs_daemon()
    with WebJukebox() as j:
        a = client(j, "alice")
        # A browser that stops reading: a small receive buffer, never read.
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", j.web_port))
        stalled.sendall((f"GET /api/events HTTP/1.1\r\nHost: x\r\n"
                         f"Cookie: {a.cookie_header()}\r\n\r\n").encode())
        # disorder-web(8): a stream 256 KiB behind is closed.  Each of
        # these global preferences is an event of about 8 KB: 1000 of them
        # are far more than the limit and any socket buffers (the kernel
        # may let a sender queue 4 MiB on a connection).
        n = 1000
        value = "x" * 8000
        with closing(j.root()) as r:
            # Pipelined in batches, each read before the next is sent:
            # disorderd stops reading a client whose replies pile up
            # unread, and this one would then block sending.
            batch = 100
            for first in range(0, n, batch):
                r.send_raw("".join(f"set-global big{i} {value}\n"
                                   for i in range(first, first + batch)))
                for _ in range(batch):
                    code, text = r.read_response()
                    assert code == 250, (code, text)
            r.ok("volume", "77")
        # Another browser, connecting now, is served and gets the last one.
        reader = EventStream(client(j, "bob"))
        assert reader.next(timeout=10)["event"] == "hello"
        reader.wait(log_event("volume", "77"), "the last volume change", timeout=30)
        reader.close()
        # The stalled one was dropped: reading it now ends before the end
        # (disorder-web gives up on what it had queued for it within its
        # 10 s write deadline).
        stalled.settimeout(30)
        got = b""
        try:
            while True:
                chunk = stalled.recv(1 << 20)
                if not chunk:
                    break
                got += chunk
        except socket.timeout:
            raise AssertionError(f"the stalled stream is still open ({len(got)} bytes read)")
        except ConnectionResetError:
            pass
        finally:
            stalled.close()
        assert got.count(b"event: log") < n, got.count(b"event: log")
        assert a.session()["user"] == "alice"
        assert served(j)


# ---------------------------------------------------------------- limits
@test
def oversized_headers_and_bodies_are_refused():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "alice")
        # disorder-web(8): headers up to 8 KiB, bodies up to 64 KiB.
        r = c.get("/api/session", headers={"X-Pad": "a" * 6000})
        assert r.status == 200 and r.json["user"] == "alice", r
        raw = raw_http(j.web_port, (f"GET /api/session HTTP/1.1\r\nHost: x\r\n"
                                    f"X-Pad: {'a' * 9000}\r\n\r\n").encode())
        status = status_of(raw)
        assert status is None or 400 <= status < 500, raw[:200]
        near = json.dumps({"args": [j.paths["first"]], "pad": "x" * (60 * 1024)}).encode()
        r = c.request("POST", "/api/play", raw_body=near,
                      headers={"X-Disorder-CSRF": c.csrf, "Content-Type": "application/json"})
        assert r.status == 200 and r.json["value"], r
        over = json.dumps({"args": [j.paths["first"]], "pad": "x" * (65 * 1024)}).encode()
        try:
            r = c.request("POST", "/api/play", raw_body=over,
                          headers={"X-Disorder-CSRF": c.csrf, "Content-Type": "application/json"})
            assert r.status in (400, 413), r
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused before the body was read
        big = "a" * (256 * 1024)
        raw = raw_http(j.web_port, (f"GET /api/session HTTP/1.1\r\nHost: x\r\n"
                                    f"X-Big: {big}\r\n\r\n").encode())
        status = status_of(raw)
        assert status is None or 400 <= status < 500, raw[:200]
        many = "".join(f"X-H{i}: v\r\n" for i in range(20000))
        raw = raw_http(j.web_port, f"GET /api/session HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode())
        status = status_of(raw)
        assert status is None or 400 <= status < 500, raw[:200]
        body = json.dumps({"args": [j.paths["first"]], "pad": "x" * (8 * 1024 * 1024)}).encode()
        try:
            r = c.request("POST", "/api/play", raw_body=body,
                          headers={"X-Disorder-CSRF": c.csrf, "Content-Type": "application/json"})
            assert r.status in (400, 413), r
        except (ConnectionResetError, BrokenPipeError):
            pass  # refused before the body was read
        # A declared length over the limit, without sending it.
        raw = raw_http(j.web_port, (f"POST /api/play HTTP/1.1\r\nHost: x\r\n"
                                    f"Content-Type: application/json\r\n"
                                    f"X-Disorder-CSRF: {c.csrf}\r\n"
                                    f"Content-Length: {1 << 40}\r\n\r\n").encode(), timeout=10)
        status = status_of(raw)
        assert status is None or 400 <= status < 500, raw[:200]
        assert len(c.api("queue")["entries"]) == 1  # only the one under the limit
        assert served(j)


@test
def made_up_cookies_do_not_use_up_the_jukebox():
    needs_daemon()
    with WebJukebox() as j:
        # Each made-up cookie (a real one with its signature changed) is a
        # login disorderd refuses; a thousand of them leave nothing behind
        # that would keep others out.
        real = client(j, "bob").cookies["disorder"]
        t0 = time.monotonic()
        for i in range(1000):
            c = WebClient(j.web_port)
            c.cookies["disorder"] = real[:-4] + f"{i:04x}"
            r = c.get("/api/queue")
            assert r.status in (200, 401), r
        print(f"  1000 made-up cookies in {time.monotonic() - t0:.1f} s")
        a = client(j, "alice")
        a.change("play", j.paths["first"])
        assert a.api("queue")["entries"][0]["submitter"] == "alice"
        with closing(j.connect("bob", USERS["bob"][0])) as b:
            b.ok("queue")  # disorderd still takes connections


@test
def a_client_sending_a_byte_a_second_is_dropped():
    needs_daemon()
    with WebJukebox() as j:
        s = socket.create_connection(("127.0.0.1", j.web_port), timeout=5)
        request = b"GET /api/session HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000
        start = time.monotonic()
        deadline = start + REQUEST_TIMEOUT + 15
        dropped = None
        i = 0
        try:
            while time.monotonic() < deadline:
                try:
                    s.sendall(request[i:i + 1])
                except (BrokenPipeError, ConnectionResetError):
                    dropped = time.monotonic()
                    break
                i += 1
                # A byte a second; the wait doubles as the check for a close.
                s.settimeout(1.0)
                try:
                    data = s.recv(4096)
                    if not data or data.startswith(b"HTTP/1.1 408") or data.startswith(b"HTTP/1."):
                        dropped = time.monotonic()
                        break
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    dropped = time.monotonic()
                    break
                # Others are served meanwhile.
                if i % 10 == 0:
                    assert served(j)
        finally:
            s.close()
        assert dropped, f"still connected after {REQUEST_TIMEOUT + 15} s"
        took = dropped - start
        print(f"  slow client dropped after {took:.1f} s")
        assert took <= REQUEST_TIMEOUT + 10, took


@test
def a_thousand_idle_connections_do_not_stop_another_client():
    needs_daemon()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE_CONNECTIONS + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < IDLE_CONNECTIONS + 100:
        raise Skip(f"cannot open {IDLE_CONNECTIONS} connections here (RLIMIT_NOFILE)")

    def as_on_a_default_system():
        # disorder-web starts with the usual soft limit of 1024 descriptors
        # and must make room for its clients itself.
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    with WebJukebox(web_preexec=as_on_a_default_system) as j:
        a = client(j, "alice")
        idle = []
        try:
            for i in range(IDLE_CONNECTIONS):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.settimeout(5)
                try:
                    s.connect(("127.0.0.1", j.web_port))
                except OSError:
                    s.close()
                    break
                if i % 2:
                    s.sendall(b"GET /api/session HTTP/1.1\r\n")  # half a request
                idle.append(s)
            assert len(idle) == IDLE_CONNECTIONS, len(idle)
            t0 = time.monotonic()
            assert a.session()["user"] == "alice"
            a.change("play", j.paths["first"])
            assert len(a.api("queue")["entries"]) == 1
            ev = EventStream(a)
            assert ev.next(timeout=10)["event"] == "hello"
            ev.close()
            took = time.monotonic() - t0
            print(f"  served beside {len(idle)} idle connections in {took * 1000:.0f} ms")
            # Not merely once the idle ones time out (REQUEST_TIMEOUT).
            assert took < REQUEST_TIMEOUT / 2, took
        finally:
            for s in idle:
                s.close()
        assert served(j)


run_tests()
