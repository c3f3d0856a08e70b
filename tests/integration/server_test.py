#!/usr/bin/env python3
"""disorderd end to end: login over both sockets with every hash algorithm,
refusals, rights, users, global preferences, cookies, the event log,
reconfiguration and restarts.  A real server in a temporary directory,
spoken to over real sockets by a client written from disorder_protocol(5)."""
import os
import signal
import socket
import subprocess
import time

from harness import (DISORDERD, Server, closing, run_tests,
                     skip_rss_check_under_sanitizers, test, wait_for)


@test
def greeting_and_login_with_every_algorithm():
    for algorithm in ["sha1", "sha256", "sha384", "sha512"]:
        with Server(algorithm=algorithm) as s:
            s.add_user("fred", "fredpass")
            for tcp in (False, True):
                with closing(s.connect(tcp=tcp)) as c:
                    assert c.algorithm == algorithm, c.algorithm
                    assert len(c.challenge) >= 8
                    code, text, _ = c.login("fred", "fredpass")
                    assert (code, text) == (230, "OK"), (code, text)
                    text, _ = c.ok("version")
                    assert text.strip(), "empty version"


@test
def wrong_password_unknown_user_and_no_login_are_refused():
    with Server() as s:
        s.add_user("fred", "right")
        with closing(s.connect(tcp=True)) as c:
            assert c.login("fred", "wrong")[0] == 530
        with closing(s.connect()) as c:
            assert c.login("nobody-here", "x")[0] == 530
        with closing(s.connect()) as c:
            code, text, _ = c.command("version")
            assert code == 530, (code, text)
            # nop needs no login
            assert c.command("nop")[0] == 250
            # a response that is not even hex
            assert c.command("user", "fred", "zz")[0] == 530


@test
def every_command_refuses_a_user_without_its_right():
    """Walks the server's own command table (disorderd --help-commands): for
    each command that needs a right, a user holding every other right is
    refused with 510."""
    table = subprocess.run([DISORDERD, "--help-commands"], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert len(table) >= 20, table
    all_rights = ("read,play,move_any,move_mine,move_random,remove_any,remove_mine,"
                  "remove_random,scratch_any,scratch_mine,scratch_random,volume,admin,rescan,"
                  "register,userinfo,prefs,global_prefs,pause").split(",")
    checked = 0
    with Server() as s:
        for n, line in enumerate(table):
            name, min_args, _max_args, rights, *flags = line.split(" ")
            if rights == "-":
                continue
            needed = rights.split(",")
            others = ",".join(r for r in all_rights if r not in needed)
            user = f"u{n}"
            s.add_user(user, "pw", others)
            with closing(s.connect(user, "pw")) as c:
                args = ["x"] * int(min_args)
                if "body" in flags:
                    c.send_raw(" ".join([name, *args]) + "\nx\n.\n")
                    code, text = c.read_response()
                else:
                    code, text, _ = c.command(name, *args)
                assert code == 510, f"{name} without {rights}: {code} {text}"
                checked += 1
    assert checked >= 15, checked


@test
def user_management():
    with Server() as s:
        with closing(s.root()) as r:
            r.ok("adduser", "alice", "apw")
            r.ok("adduser", "bob", "bpw", "read,play")
            assert r.command("adduser", "bob", "again")[0] == 550
            assert r.command("adduser", "bad name", "x")[0] == 550
            assert r.command("adduser", "carol", "x", "read,fly")[0] == 550
            _, body = r.ok("users")
            assert body == ["alice", "bob", "root"], body
            text, _ = r.ok("userinfo", "bob", "rights")
            assert text == "read,play", text
            # default_rights: everything but admin and register
            text, _ = r.ok("userinfo", "alice", "rights")
            assert "admin" not in text and "register" not in text and "play" in text, text
            created = int(r.ok("userinfo", "alice", "created")[0])
            assert abs(created - time.time()) < 60
            assert r.command("userinfo", "alice", "email")[0] == 555
            assert r.command("edituser", "alice", "email", "no-at-sign")[0] == 550
            r.ok("edituser", "alice", "email", "alice@example.org")
            assert r.ok("userinfo", "alice", "email")[0] == "alice@example.org"
            assert r.command("edituser", "alice", "created", "1")[0] == 550
        with closing(s.connect("bob", "bpw")) as b:
            # bob may not look at alice, nor edit anything without userinfo
            assert b.command("userinfo", "alice", "email")[0] == 510
            assert b.command("edituser", "bob", "email", "b@x")[0] == 510
            assert b.command("adduser", "eve", "x")[0] == 510
        with closing(s.connect("alice", "apw")) as a:
            a.ok("edituser", "alice", "password", "newpw")
            assert a.command("edituser", "bob", "email", "x@y")[0] == 510
            assert a.command("edituser", "alice", "rights", "admin")[0] == 510
            # passwords never leave except through the privileged socket
            assert a.command("userinfo", "alice", "password")[0] == 510
        with closing(s.connect()) as c:
            assert c.login("alice", "apw")[0] == 530
        with closing(s.connect("alice", "newpw")):
            pass
        with closing(s.root()) as r:
            assert r.ok("userinfo", "alice", "password")[0] == "newpw"
            r.ok("deluser", "bob")
            # DisOrder's server says 250 for a user that is not there
            assert r.command("deluser", "bob")[:2] == (250, "User deleted")
        with closing(s.connect()) as c:
            assert c.login("bob", "bpw")[0] == 530


@test
def user_management_over_tcp_needs_remote_userman():
    with Server() as s:
        root_pw = _root_password(s)
        with closing(s.connect("root", root_pw, tcp=True)) as c:
            code, text, _ = c.command("adduser", "x", "y")
            assert code == 550 and "local" in text, (code, text)
    with Server(extra_config="remote_userman yes") as s:
        root_pw = _root_password(s)
        with closing(s.connect("root", root_pw, tcp=True)) as c:
            c.ok("adduser", "x", "y")


def _root_password(s):
    with closing(s.root()) as r:
        return r.ok("userinfo", "root", "password")[0]


@test
def global_preferences_and_switches():
    with Server() as s:
        s.add_user("u", "p")
        with closing(s.connect("u", "p")) as c:
            assert c.command("get-global", "colour")[0] == 555
            c.ok("set-global", "colour", "blue green")
            assert c.ok("get-global", "colour")[0] == '"blue green"'
            c.ok("unset-global", "colour")
            assert c.command("get-global", "colour")[0] == 555
            assert c.command("set-global", "_dbversion", "9")[0] == 550
            assert c.ok("enabled")[0] == "yes"
            c.ok("disable")
            assert c.ok("enabled")[0] == "no"
            c.ok("enable")
            assert c.ok("enabled")[0] == "yes"
            assert c.ok("random-enabled")[0] == "yes"
            c.ok("random-disable")
            assert c.ok("random-enabled")[0] == "no"
            assert c.ok("get-global", "random-play")[0] == "no"


@test
def event_log_streams_state_and_events():
    with Server() as s:
        with closing(s.root()) as watcher:
            code, text, _ = watcher.command("log")
            assert code == 254, (code, text)
            first = [watcher.read_event() for _ in range(3)]
            assert first == ["state enable_play", "state enable_random", "volume 100 100"], first
            with closing(s.root()) as r:
                r.ok("disable")
                r.ok("set-global", "k", "v w")
                r.ok("adduser", "newbie", "pw")
                r.ok("edituser", "newbie", "rights", "read")
                r.ok("deluser", "newbie")
            want = ['global_pref playing no', 'state disable_play', 'global_pref k "v w"',
                    'user_add newbie', 'user_edit newbie rights', 'user_delete newbie']
            got = []
            while len(got) < len(want):
                stamp, rest = watcher.read_line().split(" ", 1)
                assert abs(int(stamp, 16) - time.time()) < 60, stamp
                if rest.split(" ", 1)[0] not in watcher.ASYNC_EVENTS:
                    got.append(rest)
            assert got == want, got
            # input after log is discarded, not answered
            watcher.send_raw("version\n")
        # ordinary users do not see user_* events
        s.add_user("plain", "pw")
        with closing(s.connect("plain", "pw")) as w:
            w.command("log")
            w.read_event(), w.read_event(), w.read_event()
            with closing(s.root()) as r:
                r.ok("adduser", "hidden", "pw")
                r.ok("set-global", "after", "1")
            assert w.read_event() == "global_pref after 1"


@test
def rights_change_reaches_open_connections():
    with Server() as s:
        s.add_user("u", "p", "read,global_prefs")
        with closing(s.connect("u", "p")) as c, closing(s.connect("u", "p")) as watcher:
            c.ok("enable")
            watcher.command("log")
            watcher.read_event(), watcher.read_event(), watcher.read_event()
            with closing(s.root()) as r:
                r.ok("edituser", "u", "rights", "read")
            assert watcher.read_event() == "rights_changed read"
            assert c.command("enable")[0] == 510


@test
def cookies_log_in_expire_on_revoke_and_survive_restart():
    s = Server()
    try:
        s.start()
        s.add_user("u", "p")
        with closing(s.connect("u", "p")) as c:
            cookie = c.ok("make-cookie")[0]
            assert cookie
        with closing(s.connect(tcp=True)) as c:
            code, text, _ = c.command("cookie", _unquote(cookie))
            assert (code, text) == (232, "u"), (code, text)
            c.ok("version")
        s.stop()
        s.start()
        with closing(s.connect()) as c:
            assert c.command("cookie", _unquote(cookie))[0] == 232
            c.ok("revoke")
        with closing(s.connect()) as c:
            assert c.command("cookie", _unquote(cookie))[0] == 530
        with closing(s.connect()) as c:
            assert c.command("cookie", "v1/ffffffffff/75/1/00")[0] == 530
            assert c.command("cookie", "garbage")[0] == 530
    finally:
        s.cleanup()


def _unquote(text):
    from harness import split
    return split(text)[0]


@test
def restart_keeps_users_and_globals():
    s = Server()
    try:
        s.start()
        s.add_user("keeper", "pw", "read,global_prefs")
        with closing(s.connect("keeper", "pw")) as c:
            c.ok("set-global", "mood", "mellow")
            c.ok("random-disable")
        root_pw = _root_password(s)
        s.stop()
        s.start()
        with closing(s.connect("keeper", "pw")) as c:
            assert c.ok("get-global", "mood")[0] == "mellow"
            assert c.ok("random-enabled")[0] == "no"
        assert _root_password(s) == root_pw
        # the password is not in the database file in clear
        with open(os.path.join(s.home, "disorder.db"), "rb") as f:
            assert root_pw.encode() not in f.read()
    finally:
        s.cleanup()


@test
def sighup_with_broken_config_keeps_running_and_good_config_applies():
    with Server() as s:
        s.add_user("u", "p")
        good = s.config_text()
        s.write_config(good + "queue_pad ten\n")
        s.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "queue_pad" in s.log_text(), "the refusal in the log")
        assert s.proc.poll() is None
        with closing(s.connect("u", "p")) as c:
            c.ok("version")
        with closing(s.root()) as r:
            code, text, _ = r.command("reconfigure")
            assert code == 550 and "queue_pad" in text, (code, text)
            s.write_config(good + "default_rights read\n")
            r.ok("reconfigure")
            r.ok("adduser", "limited", "pw")
            assert r.ok("userinfo", "limited", "rights")[0] == "read"
            # home cannot change under a running server
            s.write_config(good.replace(s.home, s.home + "2"))
            code, text, _ = r.command("reconfigure")
            assert code == 550 and "home" in text, (code, text)


@test
def bad_input_gets_errors_not_crashes():
    with Server() as s:
        s.add_user("u", "p")
        with closing(s.connect("u", "p")) as c:
            for line, code in [(b"\n", 500), (b"frobnicate\n", 500), (b'version "x\n', 500),
                               (b"version \xff\xfe\n", 500), (b"users extra\n", 500),
                               (b"get-global\n", 500), (b"version\x01\n", 500)]:
                c.send_raw(line)
                got, text = c.read_response()
                assert got == code, (line, got, text)
            c.ok("version")
        with closing(s.connect()) as c:
            try:
                c.send_raw(b"x" * (2 << 20))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server hung up once the line was too long
            code, text = c.read_response()
            assert code == 500 and "too long" in text, (code, text)
        with closing(s.connect()) as c:
            c.send_raw(bytes(range(256)) * 100 + b"\n")
            assert c.read_response()[0] == 500
        # half a line then hang up
        c = s.connect()
        c.send_raw(b"vers")
        c.close()
        with closing(s.connect("u", "p")) as c:
            c.ok("version")
        assert s.proc.poll() is None


@test
def pipelined_commands_are_answered_in_order():
    with Server() as s:
        s.add_user("u", "p")
        with closing(s.connect("u", "p")) as c:
            c.send_raw("".join(f"set-global k{i} {i}\nget-global k{i}\n" for i in range(500)))
            for i in range(500):
                assert c.read_response() == (250, "OK")
                assert c.read_response() == (252, str(i))


@test
def a_client_that_stops_reading_stalls_nobody():
    with Server() as s:
        s.add_user("u", "p")
        # One client floods commands and never reads a reply; another
        # follows the event log and never reads it either.
        flooder = s.connect("u", "p", tcp=True)
        flooder.sock.setblocking(False)
        sleeper = s.connect("u", "p", tcp=True)
        sleeper.command("log")
        sleeper.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sent = 0
        chunk = b"users\n" * 1000
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                sent += flooder.sock.send(chunk)
            except BlockingIOError:
                break  # the server stopped reading it: back-pressure works
        assert sent > 0
        # Meanwhile everyone else is served, and events keep flowing.
        with closing(s.connect("u", "p")) as c:
            for i in range(2000):
                c.ok("set-global", "x", "y" * 200)  # an event per command
            c.ok("version")
        assert s.proc.poll() is None
        flooder.close()
        sleeper.close()


@test
def two_hundred_concurrent_clients():
    with Server() as s:
        s.add_user("u", "p")
        # warm up, then take the idle figure
        for _ in range(3):
            with closing(s.connect("u", "p")) as c:
                c.ok("version")
        idle = s.rss_kib()
        clients = [s.connect(tcp=(i % 2 == 0)) for i in range(200)]
        for c in clients:
            code, _, _ = c.login("u", "p")
            assert code == 230
        for round_ in range(5):
            for i, c in enumerate(clients):
                c.send_raw(f"set-global c{i} {round_}\nget-global c{i}\nusers\n")
            for i, c in enumerate(clients):
                assert c.read_response() == (250, "OK")
                assert c.read_response() == (252, str(round_))
                code, _ = c.read_response()
                assert code == 253 and c.read_body() == ["root", "u"]
        for c in clients:
            c.close()
        with closing(s.connect("u", "p")) as c:
            c.ok("version")
        skip_rss_check_under_sanitizers()
        wait_for(lambda: s.rss_kib() <= idle + 4096,
                 f"RSS to return near idle ({idle} KiB; now {s.rss_kib()} KiB)")


@test
def clean_shutdown_by_command_and_second_server_refused():
    s = Server()
    try:
        s.start()
        second = subprocess.run([DISORDERD, "--foreground", "--config", s.config_path],
                                capture_output=True, text=True, timeout=10)
        assert second.returncode != 0 and "already running" in second.stderr, second.stderr
        with closing(s.root()) as r:
            assert r.command("shutdown")[:2] == (250, "shutting down")
        s.proc.wait(10)
        assert s.proc.returncode == 0, s.log_text()
        assert not os.path.exists(s.socket_path)
    finally:
        s.cleanup()


@test
def missing_or_broken_config_is_reported():
    p = subprocess.run([DISORDERD, "--foreground", "--config", "/nonexistent/config"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "/nonexistent/config" in p.stderr, p.stderr
    s = Server(extra_config="qeue_pad 3")
    try:
        p = subprocess.run([DISORDERD, "--foreground", "--config", s.config_path],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 1, p
        assert f"{s.config_path}:" in p.stderr and "qeue_pad" in p.stderr, p.stderr
    finally:
        s.cleanup()


@test
def background_mode_detaches_and_writes_pidfile():
    s = Server()
    pidfile = os.path.join(s.dir, "pid")
    try:
        p = subprocess.run([DISORDERD, "--config", s.config_path, "--pidfile", pidfile],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 0, p.stderr
        pid = int(wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
                           "the pidfile"))
        with closing(s.root()) as r:
            r.ok("version")
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                 open(f"/proc/{pid}/stat").read().split()[2] == "Z", "the daemon to exit")
    finally:
        s.cleanup()


run_tests()
