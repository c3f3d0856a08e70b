#!/usr/bin/env python3
"""What DisOrder's own clients rely on from the server, over the raw protocol
and through our CLI: "new 0", rights written with spaces (and read in every
spelling), the rights_changed event, the replies of commands with nothing
playing or an unknown name, and disorderd --wait-for-root."""
import os
import sqlite3
import subprocess
import wave

from harness import DISORDERD, Server, closing, run_tests, split, test, wait_for


def _write_tracks(root, names):
    """Short silent WAV files: enough for the rescan to list them."""
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)  # the server runs as another user (nobody)
    for name in names:
        path = os.path.join(root, name)
        with wave.open(path, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes(b"\0" * 4 * 4410)
        os.chmod(path, 0o644)


def _value(c, *args):
    code, text, _ = c.command(*args)
    assert code == 252, (args, code, text)
    return split(text)[0]


@test
def new_0_lists_new_max_tracks():
    s = Server()
    try:
        music = os.path.join(s.dir, "music")
        _write_tracks(music, ["a.wav", "b.wav", "c.wav"])
        s.extra_config = f"collection fs utf-8 {music}\nnew_max 2\n"
        s.write_config()
        s.start()
        with closing(s.root()) as c:
            assert c.command("rescan", "wait")[:2] == (250, "rescan completed")
            # DisOrder's CLI, GTK client and CGI all send "new 0".
            code, text, body = c.command("new", "0")
            assert code == 253, (code, text)
            assert len(body) == 2, body
            assert len(c.command("new")[2]) == 2
            assert len(c.command("new", "3")[2]) == 3
            code, text, _ = c.command("new", "-1")
            assert code == 550 and "'-1'" in text, (code, text)
            assert c.command("new", "x")[0] == 550
        p = s.cli("--user", "root", "new", "0")
        assert len(p.stdout.splitlines()) == 2, p.stdout
    finally:
        s.cleanup()


@test
def rights_are_written_as_disorder_writes_them_and_read_in_any_spelling():
    with Server(extra_config="default_rights read,play,move mine,global_prefs") as s:
        with closing(s.root()) as r:
            r.ok("adduser", "alice", "pw", "read,move_any,global prefs,scratch-mine")
            assert _value(r, "userinfo", "alice", "rights") == \
                "read,move any,scratch mine,global prefs"
            # default_rights, written unquoted with spaces in the configuration
            r.ok("adduser", "bob", "pw")
            assert _value(r, "userinfo", "bob", "rights") == "read,play,move mine,global prefs"
            r.ok("edituser", "bob", "rights", "read,remove_random,remove any")
            assert _value(r, "userinfo", "bob", "rights") == "read,remove any,remove random"
            # what a DisOrder client sees of root, and of every right
            root_rights = _value(r, "userinfo", "root", "rights")
            assert "_" not in root_rights and "move any" in root_rights, root_rights
            assert r.command("adduser", "carol", "pw", "read,move_nothing")[0] == 550
        # a user reads their own rights in the same form
        with closing(s.connect("alice", "pw")) as a:
            assert _value(a, "userinfo", "alice", "rights") == \
                "read,move any,scratch mine,global prefs"
            a.ok("disable")  # global prefs, given with a space
        p = s.cli("--user", "root", "userinfo", "alice", "rights")
        assert p.stdout == "read,move any,scratch mine,global prefs\n", p.stdout
        s.cli("--user", "root", "adduser", "dave", "pw", "read,pause,move_random")
        p = s.cli("--user", "root", "userinfo", "dave", "rights")
        assert p.stdout == "read,move random,pause\n", p.stdout


@test
def rights_stored_with_underscores_still_count():
    """A database written by an earlier version holds "move_any": it is read
    as before and shown in DisOrder's form."""
    s = Server()
    try:
        s.start()
        s.add_user("old", "pw", "read")
        s.stop()
        db = sqlite3.connect(os.path.join(s.home, "disorder.db"))
        with db:
            db.execute("UPDATE users SET rights = 'read,global_prefs,move_any' WHERE name = 'old'")
        db.close()
        s.start()
        with closing(s.connect("old", "pw")) as c:
            c.ok("disable")
            assert _value(c, "userinfo", "old", "rights") == "read,move any,global prefs"
    finally:
        s.cleanup()


@test
def rights_change_is_an_event_of_its_own():
    """DisOrder's server sends "rights_changed RIGHTS", not a state line
    (its event client drops "state rights_changed")."""
    with Server() as s:
        s.add_user("u", "p", "read")
        with closing(s.connect("u", "p")) as watcher:
            assert watcher.command("log")[0] == 254
            with closing(s.root()) as r:
                r.ok("edituser", "u", "rights", "read,move_any,global_prefs")
            event = watcher.read_event()
            while event.startswith(("state ", "volume ")):  # the log's opening state lines
                event = watcher.read_event()
            assert split(event) == ["rights_changed", "read,move any,global prefs"], event


@test
def pause_and_scratch_with_nothing_playing_succeed():
    with Server() as s:
        with closing(s.root()) as r:
            assert r.command("playing")[0] == 259
            for cmd in (("pause",), ("scratch",), ("resume",)):
                code, text, _ = r.command(*cmd)
                assert code == 250, (cmd, code, text)
        # scripts written for DisOrder's CLI see success
        for cmd in ("pause", "scratch", "resume"):
            p = s.cli("--user", "root", cmd, check=False)
            assert p.returncode == 0, (cmd, p.returncode, p.stderr)


@test
def unknown_user_and_unknown_track_answer_as_disorder_does():
    with Server() as s:
        with closing(s.root()) as r:
            # the user is gone either way
            assert r.command("deluser", "nobody-here")[:2] == (250, "User deleted")
            # a name that is no alias is its own real name, track or not
            assert _value(r, "resolve", "/no/such/track.ogg") == "/no/such/track.ogg"
            assert _value(r, "exists", "/no/such/track.ogg") == "no"
        s.cli("--user", "root", "deluser", "nobody-here")
        p = s.cli("--user", "root", "resolve", "/no/such/track.ogg")
        assert p.stdout == "/no/such/track.ogg\n", p.stdout


@test
def refusals_use_disorders_codes():
    with Server() as s:
        with closing(s.root()) as r:
            # an unknown user is an error, an unset property a harmless one
            assert r.command("userinfo", "nobody-here", "email")[:2] == (550, "No such user")
            assert r.command("userinfo", "root", "email")[0] == 555
            # unsetting a global preference that is not set fails, quietly
            r.ok("set-global", "motd", "hi")
            r.ok("unset-global", "motd")
            assert r.command("unset-global", "motd")[:2] == (550, "not found")
            # revoke without a cookie
            assert r.command("revoke")[0] == 510
            # DisOrder's Python module takes a 555 for an answer: a name that
            # is no track has no length (550) and no preferences (empty body)
            assert r.command("length", "/no/such/track.ogg")[0] == 550
            assert r.command("prefs", "/no/such/track.ogg")[::2] == (253, [])
        p = s.cli("--user", "root", "userinfo", "nobody-here", "email", check=False)
        assert p.returncode == 1 and "No such user" in p.stderr, (p.returncode, p.stderr)


@test
def move_answers_the_distance_it_could_not_go():
    s = Server()
    try:
        music = os.path.join(s.dir, "music")
        _write_tracks(music, ["a.wav", "b.wav", "c.wav"])
        s.extra_config = f"collection fs utf-8 {music}\n"
        s.write_config()
        s.start()
        with closing(s.root()) as c:
            assert c.command("rescan", "wait")[:2] == (250, "rescan completed")
            c.ok("disable")
            c.ok("random-disable")
            for e in c.ok("queue")[1]:
                c.ok("remove", split(e)[split(e).index("id") + 1])
            ids = [_value(c, "play", os.path.join(music, t)) for t in ("a.wav", "b.wav", "c.wav")]
            assert _value(c, "move", ids[1], "0") == "0"
            assert _value(c, "move", ids[1], "1") == "0"  # now at the head
            assert _value(c, "move", ids[1], "5") == "5"  # already there: could not go at all
            assert _value(c, "move", ids[1], "-5") == "-3"
            order = [split(e)[split(e).index("id") + 1] for e in c.ok("queue")[1]]
            assert order == [ids[0], ids[2], ids[1]], order
    finally:
        s.cleanup()


@test
def wait_for_root_returns_at_once_beside_a_running_server():
    with Server() as s:
        p = subprocess.run([DISORDERD, "--wait-for-root", "--config", s.config_path],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert "another disorderd" not in p.stderr, p.stderr
        # the running server is untouched, and no second one came up
        assert s.proc.poll() is None
        with closing(s.root()) as r:
            r.ok("version")
        assert s.log_text().count("listening on") == 1, s.log_text()


def _state(pid):
    """The state letter of a process (R, S, D, Z...)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


@test
def wait_for_root_waits_for_a_server_to_create_root():
    s = Server()
    try:
        waiter = subprocess.Popen([DISORDERD, "--wait-for-root", "--config", s.config_path],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # No server and no database: it looks, finds nothing and sleeps
            # before it looks again; it starts nothing itself.
            wait_for(lambda: _state(waiter.pid) == "S", "--wait-for-root to sleep")
            assert waiter.poll() is None, waiter.communicate()
            assert not os.path.exists(s.home), os.listdir(s.home)
            s.start()
            out, err = waiter.communicate(timeout=30)
            assert waiter.returncode == 0, (waiter.returncode, err)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait()
        s.stop()
        # The server has gone; its database still holds root.
        p = subprocess.run([DISORDERD, "--wait-for-root", "--config", s.config_path],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert not os.path.exists(s.socket_path), "a server was started"
    finally:
        s.cleanup()


run_tests()
