#!/usr/bin/env python3
"""When a web session ends, and what a session may not do: a POST from
another site's page is refused; a session whose cookie disorderd has ended
(password changed or user deleted elsewhere) ends at once, even while the
page is in use; one past cookie_login_lifetime ends too; a method the API
does not know gets 405 with the security headers."""

from harness import closing, run_tests, test, wait_for
from web_harness import USERS, EventStream, WebClient, WebJukebox, client, needs_daemon


@test
def a_post_from_another_sites_page_is_refused():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "alice")
        play = {"args": [j.paths["first"]]}
        for origin in ("http://evil.example", "null", f"http://127.0.0.1:{j.web_port + 1}"):
            r = c.post("/api/play", play, headers={"Origin": origin})
            assert r.status == 403 and r.json.get("error"), (origin, r)
        assert c.api("queue")["entries"] == [], "a cross-site POST changed the queue"
        r = c.post("/api/play", play, headers={"Origin": j.url})
        assert r.status == 200, r


@test
def a_password_change_or_deletion_elsewhere_ends_the_web_session():
    needs_daemon()
    with WebJukebox() as j:
        # As disorderd ends the cookies (security_test.py), so the page's
        # session ends, even while it is in use.
        c = client(j, "bob")
        ev = EventStream(c)
        assert ev.next(timeout=10)["event"] == "hello"
        with closing(j.root()) as root:
            root.ok("edituser", "bob", "password", "new-bob-pw")
        assert c.session()["user"] == "guest"
        # A deleted user's cookie.
        c = client(j, "alice")
        with closing(j.root()) as root:
            root.ok("deluser", "alice")
        assert c.session()["user"] == "guest"
        ev.close()


@test
def a_cookie_expires_after_cookie_login_lifetime():
    needs_daemon()
    with WebJukebox("cookie_login_lifetime 2\n") as j:
        c = WebClient(j.web_port)
        c.session()
        r = c.post("/api/login", {"username": "alice", "password": USERS["alice"][0]})
        assert r.status == 200, r
        (cookie,) = [v for v in r.all_headers("Set-Cookie") if v.startswith("disorder=")]
        assert "max-age=2" in cookie.lower().replace(" ", ""), cookie
        assert c.session()["user"] == "alice"
        wait_for(lambda: c.session()["user"] == "guest", "the cookie to expire", 10)


@test
def a_method_the_api_does_not_know_gets_405_with_the_security_headers():
    needs_daemon()
    with WebJukebox() as j:
        c = client(j, "admin")
        for method in ("PUT", "DELETE", "PATCH"):
            r = c.request(method, "/api/queue")
            assert r.status == 405 and r.json.get("error"), (method, r)
            assert r.header("Content-Security-Policy"), (method, r.headers)
            assert r.header("X-Content-Type-Options") == "nosniff", (method, r.headers)


run_tests()
