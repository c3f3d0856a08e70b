#!/usr/bin/env python3
"""disorder-dump end to end: a dump of a running server restored into a
fresh home gives back the same users (logging in with their passwords),
rights, preferences, global preferences, playlists and scheduled events
through the protocol; a dump written by DisOrder 5.2's disorder-dump (written here by
hand in its format) comes across the same way; a truncated or
future-versioned file, or a running server, makes --undump refuse and
change nothing; and the dump file is written privately, whole or not at
all."""
import os
import stat
import subprocess
import time
import wave

from harness import BUILDDIR, Server, body, closing, run_tests, split, test, value

DUMP = os.path.join(BUILDDIR, "server", "disorder-dump")

TRACKS = ["Artist/Album/01 First.wav", "Artist/Album/02 Second.wav", "Other/Loose.wav"]


def make_collection(root):
    """A few short WAV files under root, readable by the server's user."""
    for rel in TRACKS:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with wave.open(path, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes(b"\0\0\0\0" * 4410)
    for d, _, _ in os.walk(root):
        os.chmod(d, 0o755)


class Jukebox(Server):
    """A server whose collection is music (shared between servers, so that
    track names, which preferences are keyed by, stay the same)."""

    def __init__(self, music=None):
        super().__init__()
        self.music = music or new_music(self.dir)
        self.extra_config = f"collection fs utf-8 {self.music}\nqueue_pad 0\n"
        self.write_config()

    def track(self, i):
        return os.path.join(self.music, TRACKS[i])

    def rescan(self):
        with closing(self.root()) as r:
            assert r.command("rescan", "wait", "fresh")[:2] == (250, "rescan completed")

    def dump(self, *args, check=True):
        p = subprocess.run([DUMP, "--config", self.config_path, *args], capture_output=True,
                           text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"disorder-dump {args} exited {p.returncode}: {p.stderr}")
        return p


def new_music(server_dir):
    music = os.path.join(server_dir, "music")
    make_collection(music)
    return music


def set_playlist(c, name, tracks, share=None):
    c.ok("playlist-lock", name)
    text = f"playlist-set {name}\n" + "".join(
        ("." + t if t.startswith(".") else t) + "\n" for t in tracks) + ".\n"
    c.send_raw(text)
    code, reply = c.read_response()
    assert code == 250, (code, reply)
    c.ok("playlist-unlock")
    if share:
        c.ok("playlist-set-share", name, share)


def events(c):
    """Every scheduled event as {ID: {key: value}}."""
    return {i: dict(split(line) for line in body(c, "schedule-get", i))
            for i in body(c, "schedule-list")}


def fill(s):
    """Users, preferences, global preferences, playlists and scheduled
    events, through the protocol.  Returns the events as events() gives
    them."""
    s.add_user("alice", "alice's \"pass\" word", "read,play,prefs")
    s.add_user("bob", "bob-pw", "read")
    with closing(s.root()) as r:
        r.ok("edituser", "bob", "email", "bob@example.com")
        r.ok("set", s.track(0), "weight", "5")
        r.ok("set", s.track(0), "tags", "Keeper, Other")
        r.ok("set", s.track(2), "trackname_display_title", "Renamed Loose")
        r.ok("set-global", "required-tags", "keeper")
        r.ok("set-global", "random-play", "no")
    with closing(s.connect("alice", "alice's \"pass\" word")) as alice:
        set_playlist(alice, "alice.mine", [s.track(1), s.track(0)])
        set_playlist(alice, "party", [s.track(2)])
        when = int(time.time()) + 86400
        alice.ok("schedule-add", str(when), "normal", "play", s.track(1))
    with closing(s.root()) as r:
        r.ok("schedule-add", str(when + 60), "junk", "set-global", "random-play", "yes")
        r.ok("schedule-add", str(when + 120), "normal", "set-global", "required-tags")
        scheduled = events(r)
    assert sorted(e["action"] for e in scheduled.values()) == ["play", "set-global", "set-global"]
    return scheduled


def check_filled(s, alias, scheduled):
    """What fill() stored, as clients see it; alias: the alias of track 2,
    scheduled: what fill() returned."""
    with closing(s.connect("alice", "alice's \"pass\" word")) as alice:
        assert value(alice, "userinfo", "alice", "rights") == "read,play,prefs"
        assert alice.ok("playlists")[1] == ["alice.mine", "party"]
        assert alice.ok("playlist-get", "alice.mine")[1] == [s.track(1), s.track(0)]
        assert alice.ok("playlist-get-share", "alice.mine")[0] == "private"
        assert alice.ok("playlist-get", "party")[1] == [s.track(2)]
    with closing(s.connect("bob", "bob-pw")) as bob:
        assert bob.ok("playlists")[1] == ["party"]
        assert value(bob, "get", s.track(0), "weight") == "5"
        assert value(bob, "get-global", "required-tags") == "keeper"
        assert value(bob, "get-global", "random-play") == "no"
        # The indexes derived from preferences: tags, search words, aliases.
        assert body(bob, "search", "tag:other") == [s.track(0)]
        assert body(bob, "search", "renamed") == [s.track(2)]
        assert value(bob, "resolve", alias) == s.track(2)
    with closing(s.root()) as r:
        assert value(r, "userinfo", "bob", "email") == "bob@example.com"
        assert value(r, "userinfo", "bob", "rights") == "read"
        assert sorted(r.ok("users")[1]) == ["alice", "bob", "root"]
        assert events(r) == scheduled


@test
def a_dump_restored_into_a_fresh_home_gives_back_the_same_data():
    a = Jukebox()
    b = Jukebox(a.music)
    try:
        a.start()
        a.rescan()
        scheduled = fill(a)
        alias = os.path.join(a.music, "Other/Renamed Loose.wav")
        check_filled(a, alias, scheduled)
        # Dumped while the server runs, into a file that exists, is open to
        # everyone, and is replaced.
        path = os.path.join(a.dir, "backup.dump")
        with open(path, "w") as f:
            f.write("old contents\n")
        os.chmod(path, 0o644)
        a.dump("--dump", path)
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
        assert st.st_uid == os.geteuid()
        assert [n for n in os.listdir(a.dir) if n.startswith("backup.dump")] == ["backup.dump"]
        with open(path) as f:
            text = f.read()
        assert text.startswith("disorder-dump 1\n") and "\nend " in text, text
        a.stop()
        # A home that does not exist yet.
        assert not os.path.exists(b.home)
        b.dump("--undump", path)
        if os.geteuid() == 0:
            nobody = os.stat(b.home).st_uid
            for name in ("disorder.db", "private", "private/password-key"):
                assert os.stat(os.path.join(b.home, name)).st_uid == nobody, name
        for name in ("disorder.db", "private/password-key"):
            assert stat.S_IMODE(os.stat(os.path.join(b.home, name)).st_mode) == 0o600, name
        b.start()
        b.rescan()
        check_filled(b, alias, scheduled)
        # The same dump again from the restored server.
        again = os.path.join(b.dir, "again.dump")
        b.dump("--dump", again)
        with open(again) as f:
            assert f.read() == text
    finally:
        a.cleanup()
        b.cleanup()


# A dump in the format of DisOrder 5.2's disorder-dump, written by hand as
# disorder-dump(8) COMPATIBILITY describes it: {root} is the collection's
# root (its name needs no encoding).  Values are NAME=VALUE lists whose
# parts are percent-encoded twice.
DISORDER_DUMP = """V0P{root}/Artist/Album/01%20First.wav
played%3d3%26weight%3d5%26tags%3dKeeper%252c%2520Other
P{root}/Other/Loose.wav
trackname_display_title%3dRenamed%2520Loose
G_dbversion
2
Grequired-tags
keeper
Grandom-play
no
Ualice
password%3dalice%2520pw%26rights%3dread%252cplay%252cprefs%26created%3d1767225600
Ubob
password%3dbob%2525pw%26rights%3dread%252cmove%2520any%26created%3d1767225601\
%26email%3dbob%2540example.com
Uroot
password%3droot-pw%26rights%3dall%26created%3d1767225000
Wc5uiykq75Ym
who%3dalice%26when%3d4102444800%26priority%3dnormal%26action%3dplay%26track%3d{root}/Other/Loose.wav
W6gxGDNv2dY0
who%3droot%26when%3d4102448400%26priority%3djunk%26action%3dset-global%26key%3drandom-play
Lparty
sharing%3dshared%260%3d{root}/Other/Loose.wav%26count%3d1
Lalice.mine
sharing%3dprivate%260%3d{root}/Artist/Album/02%2520Second.wav\
%261%3d{root}/Artist/Album/01%2520First.wav%26count%3d2
Lalice.pub
sharing%3dpublic%26count%3d0
E
"""


def with_record(text, record):
    """Our dump text with one more record before its end line, counted."""
    head, count = text.rstrip("\n").rsplit("\nend ", 1)
    return f"{head}\n{record}\nend {int(count) + 1}\n"


def rights_of(c, user):
    """user's rights as a set, whichever way multi-word rights are spelt."""
    return {r.replace("_", " ") for r in value(c, "userinfo", user, "rights").split(",")}


@test
def a_disorder_dump_comes_across():
    s = Jukebox()
    try:
        root = s.music
        assert all(ch.isalnum() or ch in "/._-" for ch in root), root
        path = os.path.join(s.dir, "disorder.dump")
        with open(path, "w") as f:
            f.write(DISORDER_DUMP.format(root=root))
        p = s.dump("--undump", path)
        # What has no place here is named, not silently dropped.
        assert "global preference '_dbversion' left out" in p.stderr, p.stderr
        s.start()
        s.rescan()
        first, second, loose = s.track(0), s.track(1), s.track(2)
        # Users log in with their DisOrder passwords, root too.
        with closing(s.connect("alice", "alice pw")) as alice, \
                closing(s.connect("bob", "bob%pw")) as bob, \
                closing(s.connect("root", "root-pw")) as r:
            assert rights_of(alice, "alice") == {"read", "play", "prefs"}
            assert rights_of(bob, "bob") == {"read", "move any"}
            assert value(r, "userinfo", "bob", "email") == "bob@example.com"
            assert value(r, "userinfo", "alice", "created") == "1767225600"
            assert "admin" in rights_of(r, "root")
            # Track preferences, and what is derived from them.
            assert value(bob, "get", first, "weight") == "5"
            assert value(bob, "get", first, "played") == "3"
            assert body(bob, "search", "tag:other") == [first]
            assert body(bob, "search", "renamed") == [loose]
            assert value(bob, "resolve", os.path.join(root, "Other/Renamed Loose.wav")) == loose
            # Global preferences, without DisOrder's bookkeeping.
            assert value(bob, "get-global", "required-tags") == "keeper"
            assert value(bob, "get-global", "random-play") == "no"
            assert bob.command("get-global", "_dbversion")[0] == 555
            # Playlists with their sharing.
            assert alice.ok("playlists")[1] == ["alice.mine", "alice.pub", "party"]
            assert alice.ok("playlist-get", "alice.mine")[1] == [second, first]
            assert alice.ok("playlist-get-share", "alice.mine")[0] == "private"
            assert alice.ok("playlist-get-share", "alice.pub")[0] == "public"
            assert alice.ok("playlist-get", "alice.pub")[1] == []
            assert bob.ok("playlists")[1] == ["alice.pub", "party"]
            assert bob.ok("playlist-get", "party")[1] == [loose]
            assert bob.ok("playlist-get-share", "party")[0] == "shared"
            # Scheduled events, under DisOrder's IDs.
            assert events(bob) == {
                "c5uiykq75Ym": {"action": "play", "when": "4102444800", "who": "alice",
                                "priority": "normal", "track": loose},
                "6gxGDNv2dY0": {"action": "set-global", "when": "4102448400", "who": "root",
                                "priority": "junk", "key": "random-play"}}
        s.stop()
        # Cut short, or of a version DisOrder 5.2 does not write: refused,
        # and nothing changes.
        text = DISORDER_DUMP.format(root=root)
        before = os.path.join(s.dir, "before.dump")
        s.dump("--dump", before)
        for content, why in ((text[:text.index("Lparty")], "truncated"),
                             ("V1" + text[2:], "format version 1")):
            with open(path, "w") as f:
                f.write(content.replace("alice%2520pw", "changed"))
            p = s.dump("--undump", path, check=False)
            assert p.returncode == 1, p
            assert why in p.stderr and "nothing was changed" in p.stderr, p.stderr
        after = os.path.join(s.dir, "after.dump")
        s.dump("--dump", after)
        with open(before) as f, open(after) as g:
            assert f.read() == g.read()
    finally:
        s.cleanup()


@test
def undump_refuses_bad_files_and_a_running_server_and_changes_nothing():
    s = Jukebox()
    try:
        s.start()
        s.rescan()
        scheduled = fill(s)
        good = os.path.join(s.dir, "good.dump")
        s.dump("--dump", good)
        with open(good) as f:
            text = f.read()
        # The server holds its home: nothing may replace the data under it.
        p = s.dump("--undump", good, check=False)
        assert p.returncode == 1, p
        assert "disorderd is running on" in p.stderr and "nothing was changed" in p.stderr, p.stderr
        s.stop()
        bad = {
            # Cut in the middle of a record, and after a whole line.
            "truncated.dump": (text[:len(text) // 2], "truncated"),
            "lines.dump": (text[:text.index("\n", len(text) // 2) + 1], "truncated"),
            "future.dump": (text.replace("disorder-dump 1\n", "disorder-dump 2\n", 1),
                            "newer version of disorder-dump (format 2"),
            "empty.dump": ("", "empty"),
            "garbage.dump": ("hello\nworld\n", "not a dump file"),
            # A record the server would not accept, after others that it would.
            "badname.dump": (with_record(text, 'user "a b" password p rights read created 0'),
                             "user 'a b'"),
        }
        for name, (content, why) in bad.items():
            path = os.path.join(s.dir, name)
            with open(path, "w") as f:
                f.write(content)
            p = s.dump("--undump", path, check=False)
            assert p.returncode == 1, (name, p)
            assert why in p.stderr and "nothing was changed" in p.stderr, (name, p.stderr)
        # Not a file at all.
        p = s.dump("--undump", s.dir, check=False)
        assert p.returncode == 1 and "not a regular file" in p.stderr, p.stderr
        after = os.path.join(s.dir, "after.dump")
        s.dump("--dump", after)
        with open(after) as f:
            assert f.read() == text
        s.start()
        check_filled(s, os.path.join(s.music, "Other/Renamed Loose.wav"), scheduled)
    finally:
        s.cleanup()


@test
def the_dump_file_is_written_privately_and_whole():
    s = Jukebox()
    try:
        s.start()
        s.rescan()
        fill(s)
        # A dump cannot replace something that is not a regular file.
        p = s.dump("--dump", s.dir, check=False)
        assert p.returncode == 1 and "not a regular file" in p.stderr, p.stderr
        path = os.path.join(s.dir, "new.dump")
        s.dump("--dump", path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        s.cleanup()


@test
def the_command_line():
    s = Jukebox()
    try:
        p = s.dump(check=False)
        assert p.returncode == 2 and "--dump FILE, --undump FILE or --recompute-aliases" in p.stderr
        p = s.dump("--dump", "x", "--undump", "y", check=False)
        assert p.returncode == 2, p
        p = s.dump("--help")
        assert "--recompute-aliases" in p.stdout and "--no-setuid" in p.stdout
        assert s.dump("--version").stdout.startswith("disorder-dump version ")
        p = s.dump("--recover")
        assert "--recover: nothing to do" in p.stderr, p.stderr
        s.start()
        s.rescan()
        scheduled = fill(s)
        s.stop()
        # Rebuilds what is derived from the preferences, with the same result.
        s.dump("--recompute-aliases", "--remove-pathless")
        s.start()
        check_filled(s, os.path.join(s.music, "Other/Renamed Loose.wav"), scheduled)
    finally:
        s.cleanup()


run_tests()
