#!/usr/bin/env python3
"""What another local user can get at, and how long a login cookie lasts
(disorderd(8) FILES, disorder_protocol(5) AUTHENTICATION).

The server's home lets everyone reach the public socket and nothing else:
its database, the -wal and -shm files, the key files and the locks are for
the server's account only, in a new home, in one an older version left
readable by everyone (fixed on start), and in one disorder-rescan created.
An unrelated local user (a uid that is neither root nor the server's
account) cannot read any of it nor forge the cookie that used to make them
root, and a cookie forged from a copy of the database is refused.  A cookie
dies when its user's password changes or the account is deleted, even if an
account of the same name is made again; one for an unchanged account keeps
working, across a restart too.
"""
import hashlib
import hmac
import json
import os
import pwd
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
import wave

from harness import BUILDDIR, Server, closing, run_tests, split, test, wait_for

DISORDER_RESCAN = os.path.join(BUILDDIR, "server", "disorder-rescan")

# A uid (and gid) that is neither root nor the server's account (nobody)
# and owns nothing: the other local user.
ATTACKER = 54321
ATTACKER_PYTHON = "/usr/bin/python3"


def server_account():
    """(uid, gid) the harness's server runs as: nobody when the tests run as
    root, else the tests' own."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam("nobody")
        return pw.pw_uid, pw.pw_gid
    return os.geteuid(), os.getegid()


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def files_under(home):
    """Every file below home (as root sees it), sockets aside."""
    out = []
    for d, _, names in os.walk(home):
        for n in names:
            p = os.path.join(d, n)
            if not stat.S_ISSOCK(os.lstat(p).st_mode):
                out.append(p)
    return sorted(out)


def assert_private(home):
    """The modes of disorderd(8) FILES."""
    assert mode(home) == 0o711, oct(mode(home))
    assert mode(os.path.join(home, "private")) == 0o700
    socket_path = os.path.join(home, "socket")
    assert stat.S_ISSOCK(os.lstat(socket_path).st_mode) and mode(socket_path) == 0o666
    too_open = {p: oct(mode(p)) for p in files_under(home) if mode(p) & 0o077}
    assert not too_open, too_open
    uid, _ = server_account()
    for p in [home] + files_under(home):
        assert os.lstat(p).st_uid == uid, p


def cookie_of(client):
    text, _ = client.ok("make-cookie")
    return split(text)[0]


def cookie_login(server, cookie):
    """The reply to `cookie COOKIE` on a fresh connection to the public socket."""
    with closing(server.connect()) as c:
        return c.command("cookie", cookie)[:2]


def forge(user, key_id, secret, extra=b""):
    """A cookie as an older version signed it: HMAC-SHA256 of the cookie's
    text under the key as stored in the database."""
    body = f"v1/{int(time.time()) + 3600:x}/{user.encode().hex()}/{key_id}"
    return body + "/" + hmac.new(secret, body.encode() + extra, hashlib.sha256).hexdigest()


def copy_database(home, into):
    """Copies disorder.db and its write-ahead log (what a backup or a reader
    of the files gets) and opens the copy."""
    for suffix in ("", "-wal"):
        src = os.path.join(home, "disorder.db" + suffix)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(into, "copy.db" + suffix))
    return sqlite3.connect(os.path.join(into, "copy.db"))


def wait_for_journal(server):
    """The server keeps the database open: its -wal and -shm files exist."""
    db = os.path.join(server.home, "disorder.db")
    wait_for(lambda: os.path.exists(db + "-wal") and os.path.exists(db + "-shm"),
             "the database's -wal and -shm files")


def with_collection(server):
    """Gives the server a collection of one short WAV track; returns its name."""
    music = os.path.join(server.dir, "music")
    track = os.path.join(music, "Artist", "Album", "01 Tone.wav")
    os.makedirs(os.path.dirname(track))
    with wave.open(track, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(b"\0" * 44100)
    for d in (music, os.path.dirname(os.path.dirname(track)), os.path.dirname(track)):
        os.chmod(d, 0o755)
    os.chmod(track, 0o644)
    server.extra_config = f"collection fs utf-8 {music}\n"
    server.write_config()
    return track


# The other user's attempt, run as ATTACKER: read what it can below home,
# copy the database, and log in as root with a cookie signed by every key
# found in it.  Prints what it got as JSON.
ATTACK = r"""
import hashlib, hmac, json, os, shutil, socket, sqlite3, sys, tempfile, time
home, candidates = sys.argv[1], sys.argv[2:]
out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
       "listed": None, "readable": [], "keys": None, "greeting": None,
       "private_socket": False, "logins": []}

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s, s.makefile("rb")

try:
    out["listed"] = os.listdir(home)
except OSError:
    pass
for path in candidates:
    try:
        with open(path, "rb") as f:
            f.read(1)
        out["readable"].append(path)
    except OSError:
        pass
work = tempfile.mkdtemp()
try:
    shutil.copyfile(os.path.join(home, "disorder.db"), os.path.join(work, "db"))
    try:
        shutil.copyfile(os.path.join(home, "disorder.db-wal"), os.path.join(work, "db-wal"))
    except OSError:
        pass
    db = sqlite3.connect(os.path.join(work, "db"))
    out["keys"] = [(i, s.hex()) for i, s in db.execute("SELECT id, secret FROM cookie_keys")]
except (OSError, sqlite3.Error):
    pass
finally:
    shutil.rmtree(work, ignore_errors=True)
s, f = connect(os.path.join(home, "socket"))
out["greeting"] = f.readline().decode()
s.close()
try:
    connect(os.path.join(home, "private", "socket"))[0].close()
    out["private_socket"] = True
except OSError:
    pass
for key_id, secret in out["keys"] or []:
    body = "v1/%x/%s/%d" % (int(time.time()) + 3600, b"root".hex(), key_id)
    cookie = body + "/" + hmac.new(bytes.fromhex(secret), body.encode(),
                                   hashlib.sha256).hexdigest()
    s, f = connect(os.path.join(home, "socket"))
    f.readline()
    s.sendall(b"cookie " + cookie.encode() + b"\n")
    reply = f.readline().decode().strip()
    if reply.startswith("232"):
        s.sendall(b"adduser mallory pw admin\n")
        reply += " / " + f.readline().decode().strip()
    out["logins"].append(reply)
    s.close()
print(json.dumps(out))
"""


def run_as_attacker(home, candidates):
    try:
        pwd.getpwuid(ATTACKER)
        raise AssertionError(f"uid {ATTACKER} exists here; the test needs an unused uid")
    except KeyError:
        pass
    # Debian's python3: the one running the tests may live where the
    # attacker cannot reach it.
    p = subprocess.run([ATTACKER_PYTHON, "-c", ATTACK, home, *candidates], user=ATTACKER,
                       group=ATTACKER, extra_groups=[], cwd="/", capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@test
def a_new_home_is_for_the_servers_account_only():
    s = Server()
    track = with_collection(s)
    with s:
        wait_for_journal(s)
        # The server's first rescan (a child sharing the database) has run,
        # found the track and created its own files privately too.
        with closing(s.root()) as r:
            assert r.command("rescan", "wait")[:2] == (250, "rescan completed")
            assert r.ok("files", os.path.dirname(track))[1] == [track]
        home = s.home
        db = os.path.join(home, "disorder.db")
        for p in (db, db + "-wal", db + "-shm", os.path.join(home, "lock"),
                  os.path.join(home, "rescan.lock"),
                  os.path.join(home, "private", "password-key"),
                  os.path.join(home, "private", "cookie-key")):
            assert mode(p) == 0o600, (p, oct(mode(p)))
        assert_private(home)
        # Nothing needed fixing.
        assert "mode changed" not in s.log_text(), s.log_text()


@test
def disorder_rescan_by_hand_creates_a_private_home():
    s = Server()
    track = with_collection(s)
    try:
        # No server yet: the rescan, as the server's account, creates the
        # home and the database.
        os.chown(s.dir, *server_account())
        p = subprocess.run([DISORDER_RESCAN, "--no-syslog", "--config", s.config_path],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        home = s.home
        assert mode(home) == 0o711, oct(mode(home))
        assert mode(os.path.join(home, "disorder.db")) == 0o600
        too_open = {p: oct(mode(p)) for p in files_under(home) if mode(p) & 0o077}
        assert not too_open, too_open
        s.start()
        with closing(s.root()) as r:
            assert r.ok("files", os.path.dirname(track))[1] == [track]
        assert_private(home)
    finally:
        s.cleanup()


def processes_holding(path):
    """The processes with path (or its journals) open."""
    names = {path, path + "-wal", path + "-shm"}
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in names:
                    out.append(int(pid))
                    break
            except OSError:
                pass
    return out


@test
def a_home_left_readable_by_an_older_version_is_fixed_on_start():
    with Server() as s:
        s.add_user("dave", "davepw", "read")
        with closing(s.connect("dave", "davepw")) as c:
            cookie = cookie_of(c)
        s.stop()
        home = s.home
        db = os.path.join(home, "disorder.db")
        # A disorder-rescan that outlived the server may still be writing
        # to the database: what follows rewrites it and its journals.
        wait_for(lambda: not processes_holding(db), "the server's children to close the database",
                 timeout=60)
        # Take the database back to the schema an older version wrote, with
        # the cookie key kept as it was and a cookie it signed for root.
        con = sqlite3.connect(db)
        if "cookie_binding" in [row[1] for row in con.execute("PRAGMA table_info(users)")]:
            con.execute("ALTER TABLE users DROP COLUMN cookie_binding")
            con.execute("PRAGMA user_version = 4")
        secret = os.urandom(32)
        key_id = con.execute("INSERT INTO cookie_keys (secret, created) VALUES (?, ?)",
                             (secret, int(time.time()))).lastrowid
        con.commit()
        # Everything into the database file before the journals are replaced
        # below: a disorder-rescan that outlived the server may still hold
        # the database open, and keep the last changes in the write-ahead log.
        wait_for(lambda: con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0,
                 "the write-ahead log to be checkpointed")
        con.close()
        old_cookie = forge("root", key_id, secret)
        cookie_key = os.path.join(home, "private", "cookie-key")
        if os.path.exists(cookie_key):
            os.unlink(cookie_key)
        # What a crash leaves, and the modes an older version used.
        for suffix in ("-wal", "-shm"):
            with open(db + suffix, "wb"):
                pass
            os.chown(db + suffix, *server_account())
        for p in files_under(home):
            os.chmod(p, 0o644)
        os.chmod(os.path.join(home, "private"), 0o755)
        os.chmod(home, 0o755)

        s.start()
        wait_for_journal(s)
        assert mode(home) == 0o711, oct(mode(home))
        assert mode(os.path.join(home, "private")) == 0o700
        for suffix in ("", "-wal", "-shm"):
            assert mode(db + suffix) == 0o600, (suffix, oct(mode(db + suffix)))
        assert_private(home)
        assert f"{db}: mode changed to 0600 (was 0644)" in s.log_text(), s.log_text()
        # The keys stored readable are gone: the cookies they signed (the
        # older version's, and the one made above) no longer log in ...
        assert cookie_login(s, old_cookie) == (530, "authentication failed")
        assert cookie_login(s, cookie) == (530, "authentication failed")
        # ... but passwords are kept, and new cookies work.
        with closing(s.connect("dave", "davepw")) as c:
            cookie = cookie_of(c)
        assert cookie_login(s, cookie) == (232, "dave")


@test
def another_local_user_can_read_no_secret_and_cannot_become_root():
    if os.geteuid() != 0:
        print("# skipped: running a process as another user needs root")
        return
    with Server() as s:
        wait_for_journal(s)
        with closing(s.root()) as r:
            cookie_of(r)  # so that the database holds a cookie key
        home = s.home
        candidates = files_under(home) + [
            os.path.join(home, n) for n in ("disorder.db", "disorder.db-wal", "disorder.db-shm",
                                            "lock", "private/password-key",
                                            "private/cookie-key")]
        got = run_as_attacker(home, sorted(set(candidates)))
        assert (got["uid"], got["gid"], got["groups"]) == (ATTACKER, ATTACKER, []), got
        # The public socket is still there for everyone ...
        assert got["greeting"].startswith("231 "), got
        # ... and nothing else.
        assert got["logins"] == [], got
        assert got["readable"] == [], got
        assert got["keys"] is None, got
        assert got["listed"] is None, got
        assert not got["private_socket"], got
        with closing(s.root()) as r:
            assert "mallory" not in r.ok("users")[1]


@test
def a_cookie_forged_from_a_copy_of_the_database_is_refused():
    with Server() as s:
        with closing(s.root()) as r:
            genuine = cookie_of(r)
        work = tempfile.mkdtemp()
        try:
            con = copy_database(s.home, work)
            keys = con.execute("SELECT id, secret FROM cookie_keys").fetchall()
            columns = [row[1] for row in con.execute("PRAGMA table_info(users)")]
            binding = b""
            if "cookie_binding" in columns:
                binding = con.execute(
                    "SELECT cookie_binding FROM users WHERE name = 'root'").fetchone()[0]
            con.close()
        finally:
            shutil.rmtree(work)
        assert keys
        for key_id, secret in keys:
            # The old attack, and the same with the account's binding (also
            # in the copy) mixed in as the server does.
            for extra in (b"", b"\0" + binding):
                forged = forge("root", key_id, secret, extra)
                assert cookie_login(s, forged) == (530, "authentication failed"), forged
        assert cookie_login(s, genuine) == (232, "root")


@test
def a_password_change_ends_the_cookies_made_before_it():
    with Server() as s:
        s.add_user("alice", "alicepw", "read,userinfo")
        with closing(s.connect("alice", "alicepw")) as c:
            first = cookie_of(c)
        assert cookie_login(s, first) == (232, "alice")
        with closing(s.root()) as r:
            r.ok("edituser", "alice", "password", "newpw")
        assert cookie_login(s, first) == (530, "authentication failed")
        with closing(s.connect("alice", "newpw")) as c:
            second = cookie_of(c)
            assert cookie_login(s, second) == (232, "alice")
            # Setting the same password again is a change too, here made by
            # the user herself.
            c.ok("edituser", "alice", "password", "newpw")
        assert cookie_login(s, second) == (530, "authentication failed")


@test
def a_cookie_does_not_log_in_to_a_recreated_account():
    with Server() as s:
        s.add_user("bob", "bobpw", "read")
        with closing(s.connect("bob", "bobpw")) as c:
            cookie = cookie_of(c)
        assert cookie_login(s, cookie) == (232, "bob")
        with closing(s.root()) as r:
            r.ok("deluser", "bob")
            assert cookie_login(s, cookie) == (530, "authentication failed")
            r.ok("adduser", "bob", "bobpw", "read,admin")
        assert cookie_login(s, cookie) == (530, "authentication failed")


@test
def a_cookie_for_an_unchanged_account_keeps_working_across_a_restart():
    with Server() as s:
        s.add_user("carol", "carolpw", "read")
        s.add_user("alice", "alicepw", "read")
        with closing(s.connect("carol", "carolpw")) as c:
            cookie = cookie_of(c)
        with closing(s.root()) as r:
            # Another account's password, and this one's email and rights.
            r.ok("edituser", "alice", "password", "other")
            r.ok("edituser", "carol", "email", "carol@example.org")
            r.ok("edituser", "carol", "rights", "read,play")
        assert cookie_login(s, cookie) == (232, "carol")
        s.stop()
        s.start()
        assert cookie_login(s, cookie) == (232, "carol")
        with closing(s.connect()) as c:
            assert c.command("cookie", cookie)[0] == 232
            # It logs in with the rights the account has now.
            assert split(c.ok("userinfo", "carol", "rights")[0]) == ["read,play"]


run_tests()
