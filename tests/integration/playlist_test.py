#!/usr/bin/env python3
"""Playlists: storing, reading and deleting them over the protocol and with
the CLI; DisOrder's sharing rules (an unowned playlist is shared, an owned
one public or private, only its owner changes it, 510 for everyone else);
locks and their lifetime, playlist_max, command bodies, the playlist events
and who hears them, and the migration of playlists stored before these
rules."""
import os
import sqlite3
import time

from harness import Server, closing, run_tests, test, wait_for


def body_command(client, args, lines):
    """A command followed by a dot-stuffed body; returns (code, text)."""
    text = " ".join(args) + "\n"
    for line in lines:
        text += ("." + line if line.startswith(".") else line) + "\n"
    client.send_raw(text + ".\n")
    return client.read_response()


def set_playlist(client, name, tracks):
    client.ok("playlist-lock", name)
    code, text = body_command(client, ["playlist-set", name], tracks)
    assert code == 250, (code, text)
    client.ok("playlist-unlock")


def playlist_events(log, last):
    """The playlist events log receives, up to and including `last`."""
    got = []
    while not got or got[-1] != last:
        event = log.read_event()
        if event.startswith("playlist_"):
            got.append(event)
    return got


class Users(Server):
    """alice and bob may play; carol may only read."""

    def __enter__(self):
        super().__enter__()
        self.add_user("alice", "pw", "read,play")
        self.add_user("bob", "pw", "read,play")
        self.add_user("carol", "pw", "read")
        return self


@test
def a_playlist_is_stored_read_listed_and_deleted():
    with Users() as s, closing(s.connect("alice", "pw")) as alice, closing(s.root()) as log:
        log.ok("log")
        tracks = ["/music/a.flac", ".starts with a dot", "/music/b c.ogg", ""]
        set_playlist(alice, "party", tracks)
        assert alice.ok("playlist-get", "party")[1] == tracks
        assert alice.ok("playlists")[1] == ["party"]
        set_playlist(alice, "party", tracks[:1])
        assert alice.ok("playlist-get", "party")[1] == tracks[:1]
        alice.ok("playlist-delete", "party")
        assert alice.command("playlist-get", "party")[0] == 555
        assert alice.command("playlist-delete", "party")[0] == 555
        assert alice.ok("playlists")[1] == []
        assert playlist_events(log, "playlist_deleted party") == [
            "playlist_created party shared", "playlist_modified party shared",
            "playlist_deleted party"]


@test
def an_unowned_playlist_is_shared_and_anyone_who_plays_changes_it():
    with Users() as s, closing(s.connect("alice", "pw")) as alice, \
            closing(s.connect("bob", "pw")) as bob, closing(s.connect("carol", "pw")) as carol:
        set_playlist(alice, "party", ["/music/a.flac"])
        assert alice.ok("playlist-get-share", "party")[0] == "shared"
        # bob changes alice's creation; carol reads it but may not play.
        set_playlist(bob, "party", ["/music/b.flac"])
        assert alice.ok("playlist-get", "party")[1] == ["/music/b.flac"]
        assert carol.ok("playlist-get", "party")[1] == ["/music/b.flac"]
        assert carol.ok("playlists")[1] == ["party"]
        assert carol.command("playlist-lock", "party")[0] == 510
        assert carol.command("playlist-delete", "party")[0] == 510
        # DisOrder's GTK client sends "shared" for an unowned playlist; the
        # other two make no sense without an owner.
        bob.ok("playlist-set-share", "party", "shared")
        for share in ("public", "private"):
            code, text, _ = bob.command("playlist-set-share", "party", share)
            assert code == 550 and "can only be shared" in text, (share, code, text)
        assert alice.ok("playlist-get-share", "party")[0] == "shared"
        bob.ok("playlist-delete", "party")
        assert alice.ok("playlists")[1] == []


@test
def only_the_owner_changes_an_owned_playlist_and_only_the_owner_reads_a_private_one():
    with Users() as s, closing(s.connect("alice", "pw")) as alice, \
            closing(s.connect("bob", "pw")) as bob, closing(s.connect("carol", "pw")) as carol, \
            closing(s.root()) as root:
        set_playlist(bob, "bob.pub", ["/music/p.flac"])
        set_playlist(bob, "bob.priv", ["/music/q.flac"])
        # Owned playlists start private.
        assert bob.ok("playlist-get-share", "bob.pub")[0] == "private"
        bob.ok("playlist-set-share", "bob.pub", "public")
        code, text, _ = bob.command("playlist-set-share", "bob.pub", "shared")
        assert code == 550 and "public or private" in text, (code, text)
        assert bob.ok("playlists")[1] == ["bob.priv", "bob.pub"]

        # Everyone else, the administrator included: the public one is read
        # but not changed; the private one neither read nor listed.
        for other in (alice, carol, root):
            assert other.ok("playlists")[1] == ["bob.pub"]
            assert other.ok("playlist-get", "bob.pub")[1] == ["/music/p.flac"]
            assert other.ok("playlist-get-share", "bob.pub")[0] == "public"
            assert other.command("playlist-get", "bob.priv")[:2] == (510, "Access denied")
            assert other.command("playlist-get-share", "bob.priv")[:2] == (510, "Access denied")
        for other in (alice, root):
            for name in ("bob.pub", "bob.priv", "bob.new"):
                assert other.command("playlist-lock", name)[:2] == (510, "Access denied"), name
                assert body_command(other, ["playlist-set", name], ["/x"]) == \
                    (510, "Access denied"), name
                assert other.command("playlist-set-share", name, "public")[:2] == \
                    (510, "Access denied"), name
                assert other.command("playlist-delete", name)[:2] == (510, "Access denied"), name
        # A playlist that does not exist is not there to read.
        assert alice.command("playlist-get", "bob.none")[0] == 555
        assert bob.ok("playlist-get", "bob.pub")[1] == ["/music/p.flac"]
        assert bob.ok("playlist-get", "bob.priv")[1] == ["/music/q.flac"]
        assert bob.ok("playlists")[1] == ["bob.priv", "bob.pub"]

        # The owner keeps full control: private again, then gone.
        bob.ok("playlist-set-share", "bob.pub", "private")
        assert alice.command("playlist-get", "bob.pub")[0] == 510
        bob.ok("playlist-delete", "bob.pub")
        assert bob.ok("playlists")[1] == ["bob.priv"]

        # Nobody creates a playlist in another's name; names are checked.
        set_playlist(alice, "alice.mine", [])
        for bad in ("a.b.c", ".x", "x.", "tab\there"):
            code, text, _ = alice.command("playlist-lock", bad)
            assert code == 550 and "invalid playlist name" in text, (bad, code, text)
        code, text, _ = alice.command("playlist-set-share", "alice.mine", "secret")
        assert code == 550 and "invalid sharing status" in text, (code, text)


@test
def a_private_playlists_events_reach_only_its_owner():
    with Users() as s, closing(s.connect("bob", "pw")) as bob, \
            closing(s.connect("bob", "pw")) as bob_log, \
            closing(s.connect("alice", "pw")) as alice_log, closing(s.root()) as root_log:
        for log in (bob_log, alice_log, root_log):
            log.ok("log")
        set_playlist(bob, "bob.secret", ["/music/s.flac"])
        bob.ok("playlist-set-share", "bob.secret", "public")
        # Made private again: those who could read it hear that they no
        # longer can; what happens to it next is bob's alone.
        bob.ok("playlist-set-share", "bob.secret", "private")
        set_playlist(bob, "bob.secret", [])
        bob.ok("playlist-delete", "bob.secret")
        set_playlist(bob, "open", [])  # shared: everyone hears of it
        last = "playlist_created open shared"
        assert playlist_events(bob_log, last) == [
            "playlist_created bob.secret private", "playlist_modified bob.secret public",
            "playlist_modified bob.secret private", "playlist_modified bob.secret private",
            "playlist_deleted bob.secret", last]
        others = ["playlist_modified bob.secret public", "playlist_modified bob.secret private",
                  last]
        assert playlist_events(alice_log, last) == others
        assert playlist_events(root_log, last) == others


@test
def locks_and_bodies_keep_connections_in_step():
    with Users() as s, closing(s.connect("alice", "pw")) as alice, \
            closing(s.connect("bob", "pw")) as bob:
        alice.ok("playlist-lock", "mix")
        code, text, _ = bob.command("playlist-lock", "mix")
        assert (code, text) == (550, "Already locked"), (code, text)
        # One lock per connection, as on DisOrder: a second is refused, even
        # of the same playlist, and the first is kept.
        assert alice.command("playlist-lock", "other")[:2] == (550, "Already holding a lock")
        assert alice.command("playlist-lock", "mix")[:2] == (550, "Already holding a lock")
        assert bob.command("playlist-lock", "other")[:2] == (250, "Acquired lock")
        assert bob.command("playlist-unlock")[:2] == (250, "Released lock")
        # A refused command's body is still read: the connection stays in step.
        code, text = body_command(bob, ["playlist-set", "mix"], ["/music/z.wav", "."])
        assert code == 550 and "not locked" in text, (code, text)
        assert bob.ok("playlists")[1] == []
        assert bob.command("playlist-unlock")[:2] == (550, "Not holding a lock")
        # The lock goes with the connection.
        alice.close()
        wait_for(lambda: bob.command("playlist-lock", "mix")[0] == 250, "alice's lock to go")
        code, _ = body_command(bob, ["playlist-set", "mix"], ["/music/z.wav"])
        assert code == 250
        # A body from a client that has not logged in is not read: the
        # command is refused and the connection closed.
        with closing(s.connect()) as anon:
            code, _ = body_command(anon, ["playlist-set", "mix"], ["x"])
            assert code == 530
            try:
                gone = anon.sock.recv(1) == b""
            except ConnectionResetError:
                gone = True
            assert gone, "the connection is still open"


@test
def a_lock_lasts_playlist_lock_timeout_seconds():
    with Users(extra_config="playlist_lock_timeout 3") as s, \
            closing(s.connect("alice", "pw")) as alice, closing(s.connect("bob", "pw")) as bob:
        taken = time.monotonic()
        alice.ok("playlist-lock", "mix")
        code, text, _ = bob.command("playlist-lock", "mix")
        assert code == 550 or time.monotonic() - taken >= 3, (code, text)
        # Once it has expired, another connection takes it, and the first
        # may no longer set the playlist.
        wait_for(lambda: bob.command("playlist-lock", "mix")[0] == 250, "alice's lock to expire")
        assert time.monotonic() - taken >= 3
        code, text = body_command(alice, ["playlist-set", "mix"], ["/music/a.wav"])
        assert code == 550 and "not locked" in text and "3 s" in text, (code, text)
        code, text = body_command(bob, ["playlist-set", "mix"], ["/music/b.wav"])
        assert code == 250, (code, text)
        assert alice.ok("playlist-get", "mix")[1] == ["/music/b.wav"]


@test
def playlist_max_limits_a_playlists_length():
    with Users(extra_config="playlist_max 3") as s, closing(s.connect("alice", "pw")) as alice:
        set_playlist(alice, "short", ["/1", "/2", "/3"])
        alice.ok("playlist-lock", "short")
        code, text = body_command(alice, ["playlist-set", "short"], ["/1", "/2", "/3", "/4"])
        assert code == 550 and "too long" in text and "playlist_max is 3" in text, (code, text)
        assert alice.ok("playlist-get", "short")[1] == ["/1", "/2", "/3"]


# The tables of database schema 5, the last before playlists followed
# DisOrder's sharing rules (FTS5 keeps its own tables beside search and
# pref_search).
SCHEMA_5_TABLES = {"users", "globals", "cookie_keys", "revoked_cookies", "tracks", "file_tags",
                   "dirs", "prefs", "search", "rescan_state", "track_tags", "pref_words",
                   "pref_search", "queue", "recent", "playlists"}


def back_to_schema_5(con):
    """Makes a database look as schema 5 left it: later steps' tables go."""
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        if name not in SCHEMA_5_TABLES and not name.startswith(
                ("sqlite_", "search_", "pref_search_")):
            con.execute(f'DROP TABLE "{name}"')
    con.execute("PRAGMA user_version = 5")


@test
def playlists_stored_under_the_old_rules_are_migrated():
    with Users() as s:
        s.stop()
        db = os.path.join(s.home, "disorder.db")
        con = sqlite3.connect(db)
        back_to_schema_5(con)
        # Under schema 5 an unowned playlist was "public", an owned "public"
        # one could be changed by anyone, and an owned "shared" one was
        # read by everyone and changed by its owner.
        con.executemany("INSERT INTO playlists (name, share, tracks) VALUES (?, ?, ?)",
                        [("party", "public", "/music/a.flac\n"),
                         ("alice.open", "public", "/music/b.flac\n"),
                         ("alice.read", "shared", "/music/c.flac\n"),
                         ("alice.mine", "private", "/music/d.flac\n")])
        con.commit()
        con.close()
        owner = os.stat(db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.chown(db + suffix, owner.st_uid, owner.st_gid)
        s.start()
        with closing(s.connect("alice", "pw")) as alice, closing(s.connect("bob", "pw")) as bob:
            shares = {name: alice.ok("playlist-get-share", name)[0]
                      for name in ("party", "alice.open", "alice.read", "alice.mine")}
            assert shares == {"party": "shared", "alice.open": "public",
                              "alice.read": "public", "alice.mine": "private"}, shares
            # Everyone reads what they read before ...
            assert bob.ok("playlists")[1] == ["alice.open", "alice.read", "party"]
            assert bob.ok("playlist-get", "alice.open")[1] == ["/music/b.flac"]
            assert bob.command("playlist-get", "alice.mine")[0] == 510
            # ... anyone still changes the unowned one, but only alice hers.
            set_playlist(bob, "party", ["/music/e.flac"])
            assert bob.command("playlist-lock", "alice.open")[0] == 510
            set_playlist(alice, "alice.open", ["/music/f.flac"])
            assert bob.ok("playlist-get", "alice.open")[1] == ["/music/f.flac"]


@test
def the_cli_sets_lists_gets_and_deletes_playlists():
    with Users() as s:
        path = os.path.join(s.dir, "list.txt")
        with open(path, "w") as f:
            f.write("/music/one.flac\n/music/two.flac\n")
        s.cli("playlist-set", "road", path, user="alice", password="pw")
        s.cli("playlist-set", "alice.quiet", user="alice", password="pw", input="/music/q.ogg\n.\n")
        out = s.cli("playlists", user="alice", password="pw").stdout.split()
        assert sorted(out) == ["alice.quiet", "road"], out
        out = s.cli("playlist-get", "road", user="bob", password="pw").stdout
        assert out.split("\n")[:2] == ["/music/one.flac", "/music/two.flac"], out
        assert s.cli("playlists", user="bob", password="pw").stdout.split() == ["road"]
        r = s.cli("playlist-get", "alice.quiet", user="bob", password="pw", check=False)
        assert r.returncode == 1 and "Access denied" in r.stderr, r
        r = s.cli("playlist-set", "alice.quiet", path, user="bob", password="pw", check=False)
        assert r.returncode == 1 and "Access denied" in r.stderr, r
        r = s.cli("playlist-del", "alice.quiet", user="bob", password="pw", check=False)
        assert r.returncode == 1 and "Access denied" in r.stderr, r
        s.cli("playlist-set", "road", user="bob", password="pw", input="/music/three.flac\n")
        s.cli("playlist-del", "road", user="bob", password="pw")
        assert s.cli("playlists", user="bob", password="pw").stdout.split() == []
        r = s.cli("playlist-get", "road", user="bob", password="pw", check=False)
        assert r.returncode == 1 and "no such playlist" in r.stderr, r
        out = s.cli("playlist-get", "alice.quiet", user="alice", password="pw").stdout
        assert out.split("\n")[:1] == ["/music/q.ogg"], out


run_tests()
