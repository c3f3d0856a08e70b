#!/usr/bin/env python3
"""Playlists: storing, reading and deleting them over the protocol and with
the CLI, who may read and change which, locks, command bodies, and the
playlist events."""
import os

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


class Users(Server):
    def __enter__(self):
        super().__enter__()
        self.add_user("amy", "pw", "read,play")
        self.add_user("ben", "pw", "read,play")
        self.add_user("cat", "pw", "read")
        return self


@test
def a_playlist_is_stored_read_listed_and_deleted():
    with Users() as s, closing(s.connect("amy", "pw")) as amy, closing(s.root()) as log:
        log.ok("log")
        tracks = ["/music/a.flac", ".starts with a dot", "/music/b c.ogg", ""]
        set_playlist(amy, "party", tracks)
        assert amy.ok("playlist-get", "party")[1] == tracks
        assert amy.ok("playlist-get-share", "party")[0] == "public"
        assert amy.ok("playlists")[1] == ["party"]
        set_playlist(amy, "party", tracks[:1])
        assert amy.ok("playlist-get", "party")[1] == tracks[:1]
        amy.ok("playlist-delete", "party")
        assert amy.command("playlist-get", "party")[0] == 555
        assert amy.ok("playlists")[1] == []
        events = [log.read_event() for _ in range(6)]
        events = [e for e in events if e.startswith("playlist_")]
        assert events == ["playlist_created party public", "playlist_modified party public",
                          "playlist_deleted party"], events


@test
def owners_sharing_and_administrators():
    with Users() as s, closing(s.connect("amy", "pw")) as amy, \
            closing(s.connect("ben", "pw")) as ben, closing(s.connect("cat", "pw")) as cat, \
            closing(s.root()) as root:
        set_playlist(amy, "amy.mine", ["/music/x.mp3"])
        # Private by default: nobody else sees it, except an administrator.
        assert amy.ok("playlist-get-share", "amy.mine")[0] == "private"
        assert ben.ok("playlists")[1] == []
        assert ben.command("playlist-get", "amy.mine")[0] == 555
        assert ben.command("playlist-lock", "amy.mine")[0] == 550
        assert root.ok("playlist-get", "amy.mine")[1] == ["/music/x.mp3"]
        # Nobody creates a playlist in another's name.
        assert ben.command("playlist-lock", "amy.other")[0] == 550
        # Shared: others read it; only the owner changes it.
        amy.ok("playlist-set-share", "amy.mine", "shared")
        assert ben.ok("playlists")[1] == ["amy.mine"]
        assert ben.ok("playlist-get", "amy.mine")[1] == ["/music/x.mp3"]
        code, text, _ = ben.command("playlist-set-share", "amy.mine", "public")
        assert code == 550 and "may not change" in text, (code, text)
        # Public: anyone with the play right changes it; `read` alone may not.
        amy.ok("playlist-set-share", "amy.mine", "public")
        set_playlist(ben, "amy.mine", ["/music/y.mp3"])
        assert amy.ok("playlist-get", "amy.mine")[1] == ["/music/y.mp3"]
        assert cat.command("playlist-lock", "amy.mine")[0] == 510
        assert cat.ok("playlist-get", "amy.mine")[1] == ["/music/y.mp3"]
        # A name without an owner is always public.
        set_playlist(ben, "common", [])
        code, text, _ = ben.command("playlist-set-share", "common", "private")
        assert code == 550 and "only be public" in text, (code, text)
        for bad in ("a.b.c", ".x", "x.", "tab\there"):
            code, text, _ = amy.command("playlist-lock", bad)
            assert code == 550 and "invalid playlist name" in text, (bad, code, text)
        assert amy.command("playlist-set-share", "common", "secret")[0] == 550


@test
def a_private_playlists_events_reach_only_its_owner_and_administrators():
    with Users() as s, closing(s.connect("amy", "pw")) as amy, \
            closing(s.connect("amy", "pw")) as amy_log, closing(s.connect("ben", "pw")) as ben_log, \
            closing(s.root()) as root_log:
        for log in (amy_log, ben_log, root_log):
            log.ok("log")
        set_playlist(amy, "amy.secret", ["/music/s.flac"])
        set_playlist(amy, "open", [])  # public: everyone hears of it

        def playlist_events(log):
            got = []
            while not got or got[-1] != "playlist_created open public":
                event = log.read_event()
                if event.startswith("playlist_"):
                    got.append(event)
            return got
        private = ["playlist_created amy.secret private", "playlist_created open public"]
        assert playlist_events(amy_log) == private
        assert playlist_events(root_log) == private
        assert playlist_events(ben_log) == ["playlist_created open public"]


@test
def locks_and_bodies_keep_connections_in_step():
    with Users() as s, closing(s.connect("amy", "pw")) as amy, \
            closing(s.connect("ben", "pw")) as ben:
        amy.ok("playlist-lock", "mix")
        code, text, _ = ben.command("playlist-lock", "mix")
        assert code == 550 and "locked" in text, (code, text)
        # A refused command's body is still read: the connection stays in step.
        code, text = body_command(ben, ["playlist-set", "mix"], ["/music/z.wav", "."])
        assert code == 550 and "not locked" in text, (code, text)
        assert ben.ok("playlists")[1] == []
        assert ben.command("playlist-unlock")[0] == 550
        # The lock goes with the connection.
        amy.close()
        wait_for(lambda: ben.command("playlist-lock", "mix")[0] == 250, "amy's lock to go")
        code, _ = body_command(ben, ["playlist-set", "mix"], ["/music/z.wav"])
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
def the_cli_sets_lists_gets_and_deletes_playlists():
    with Users() as s:
        path = os.path.join(s.dir, "list.txt")
        with open(path, "w") as f:
            f.write("/music/one.flac\n/music/two.flac\n")
        s.cli("playlist-set", "road", path, user="amy", password="pw")
        s.cli("playlist-set", "amy.quiet", user="amy", password="pw", input="/music/q.ogg\n.\n")
        out = s.cli("playlists", user="amy", password="pw").stdout.split()
        assert sorted(out) == ["amy.quiet", "road"], out
        out = s.cli("playlist-get", "road", user="ben", password="pw").stdout
        assert out.split("\n")[:2] == ["/music/one.flac", "/music/two.flac"], out
        assert s.cli("playlists", user="ben", password="pw").stdout.split() == ["road"]
        s.cli("playlist-del", "road", user="ben", password="pw")
        assert s.cli("playlists", user="ben", password="pw").stdout.split() == []
        r = s.cli("playlist-get", "amy.quiet", user="ben", password="pw", check=False)
        assert r.returncode != 0 and "no such playlist" in r.stderr, r


run_tests()
