#!/usr/bin/env python3
"""The collection commands end to end: a small collection generated with
ffmpeg (tagged MP3/Ogg/FLAC, WAV, a file that is no audio at all, non-ASCII
names, tags that contradict the path), scanned by the real disorder-rescan,
then asked through the protocol (and the CLI): exists, length, part,
resolve, files, dirs, allfiles, new, stats, tags, search, and the track
preferences get/set/unset/prefs with their events, aliases, rights, and
preferences that outlive a track's removal, a rescan and a restart."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unicodedata

from harness import Server, body, closing, run_tests, split, test, value, wait_for

# name below the root -> file tags (None: no tags written)
COLLECTION = {
    "Artist One/First Album/01 - Hello World.mp3":
        {"artist": "Artist One", "album": "First Album", "title": "Hello World"},
    "Artist One/First Album/02 - Path Title.ogg":
        {"artist": "Tagged Artist", "album": "Tagged Album", "title": "Tagged Title"},
    "Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac": None,
    "The Band/The Album/01 - The End.mp3": None,
    "Other/Loose Track.wav": None,
    "Other/Sub/Deep.mp3": None,
}
NOT_AUDIO = "Other/garbage.mp3"

_template = None


def _generate(root, rel, tags):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=f=440:d=1"]
    for k, v in (tags or {}).items():
        args += ["-metadata", f"{k}={v}"]
    if not tags:
        args += ["-map_metadata", "-1"]
    subprocess.run(args + [path], check=True)


def _collection_template():
    """Generates the collection once per run; tests get copies."""
    global _template
    if _template is None:
        _template = tempfile.mkdtemp(prefix="disorder-collection-")
        os.chmod(_template, 0o755)  # the server may run as another user (nobody)
        for rel, tags in COLLECTION.items():
            _generate(_template, rel, tags)
        with open(os.path.join(_template, NOT_AUDIO), "wb") as f:
            f.write(b"this is not an MP3 file at all\n" * 64)
    return _template


class Collection:
    """A server with a copy of the collection as its only root, scanned."""

    def __init__(self, extra_config=""):
        self.server = Server()
        self.root = os.path.join(self.server.dir, "music")
        shutil.copytree(_collection_template(), self.root)
        self.server.extra_config = f"collection fs utf-8 {self.root}\n{extra_config}"
        self.server.write_config()

    def path(self, rel):
        return os.path.join(self.root, rel)

    def rescan(self):
        with closing(self.server.root()) as r:
            assert r.command("rescan", "wait", "fresh")[:2] == (250, "rescan completed")

    def __enter__(self):
        self.server.start()
        self.rescan()
        return self

    def __exit__(self, *exc):
        self.server.cleanup()


def refused(c, code, *args):
    got, text, _ = c.command(*args)
    assert got == code, (args, got, text)
    return text


@test
def exists_length_and_resolve():
    with Collection() as col, closing(col.server.root()) as c:
        hello = col.path("Artist One/First Album/01 - Hello World.mp3")
        assert value(c, "exists", hello) == "yes"
        assert value(c, "exists", col.path("Other/nothing.mp3")) == "no"
        assert value(c, "exists", col.path("Other")) == "no"  # a directory is no track
        assert value(c, "length", hello) == "1"
        assert value(c, "length", col.path("Other/Loose Track.wav")) == "1"
        refused(c, 550, "length", col.path(NOT_AUDIO))  # in the collection, length unknown
        refused(c, 550, "length", col.path("Other/nothing.mp3"))
        assert value(c, "resolve", hello) == hello
        # a name that is no alias resolves to itself, as on DisOrder
        nothing = col.path("Other/nothing.mp3")
        assert value(c, "resolve", nothing) == nothing
        # A client that spells names decomposed (NFD) still finds them.
        cafe = col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac")
        nfd = unicodedata.normalize("NFD", cafe)
        assert nfd != cafe
        assert value(c, "exists", nfd) == "yes"
        assert value(c, "resolve", nfd) == cafe


@test
def parts_from_path_tags_and_preferences():
    with Collection() as col, closing(col.server.root()) as c:
        def part(rel, context, name):
            return value(c, "part", col.path(rel), context, name)
        hello = "Artist One/First Album/01 - Hello World.mp3"
        tagged = "Artist One/First Album/02 - Path Title.ogg"
        cafe = "Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac"
        end = "The Band/The Album/01 - The End.mp3"
        # the reply is one quoted field
        assert c.command("part", col.path(hello), "display", "artist")[:2] == \
            (252, '"Artist One"')
        # tags that contradict the path win over the namepart rules
        for context in ("display", "sort"):
            assert part(tagged, context, "artist") == "Tagged Artist"
            assert part(tagged, context, "album") == "Tagged Album"
            assert part(tagged, context, "title") == "Tagged Title"
        # no tags: the default namepart rules, which differ by context
        assert part(end, "display", "title") == "The End"
        assert part(end, "sort", "title") == "01 - The End"
        assert part(end, "display", "artist") == "The Band"
        assert part(end, "sort", "album") == "The Album"
        assert part(cafe, "display", "artist") == "Zoë Keating"
        assert part(cafe, "display", "album") == "Ünïcode Álbum"
        assert part(cafe, "display", "title") == "Café Crème"
        assert part(cafe, "sort", "title") == "03 - Café Crème"
        # the root is not a part: directly below it there is no artist
        assert part("Other/Loose Track.wav", "display", "artist") == ""
        assert part("Other/Loose Track.wav", "display", "album") == "Other"
        # built-in parts
        assert part(cafe, "display", "ext") == ".flac"
        assert part(cafe, "sort", "path") == col.path(cafe)
        # an unknown part is empty, not an error
        assert part(cafe, "display", "composer") == ""
        # a name that is no track still has the parts the rules give
        assert part("Someone/Some Album/09 - Gone.mp3", "display", "title") == "Gone"
        # preferences: trackname_CONTEXT_PART, then trackname_PART, then tags
        c.ok("set", col.path(hello), "trackname_artist", "Everywhere")
        assert part(hello, "display", "artist") == "Everywhere"
        assert part(hello, "sort", "artist") == "Everywhere"
        c.ok("set", col.path(hello), "trackname_display_artist", "Only Shown")
        assert part(hello, "display", "artist") == "Only Shown"
        assert part(hello, "sort", "artist") == "Everywhere"
        c.ok("set", col.path(cafe), "trackname_sort_title", "Creme, Cafe")
        assert part(cafe, "sort", "title") == "Creme, Cafe"
        assert part(cafe, "display", "title") == "Café Crème"
        c.ok("unset", col.path(hello), "trackname_artist")
        assert part(hello, "sort", "artist") == "Artist One"  # back to the tag


@test
def aliases_name_renamed_tracks():
    with Collection() as col, closing(col.server.root()) as c:
        hello = col.path("Artist One/First Album/01 - Hello World.mp3")
        cafe = col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac")
        alias = col.path("Pref Artist/First Album/Hello World.mp3")
        assert value(c, "resolve", alias) == alias  # not yet an alias
        c.ok("set", hello, "trackname_display_artist", "Pref Artist")
        assert value(c, "resolve", alias) == hello
        assert value(c, "resolve", hello) == hello
        # every command that takes a track takes its alias
        assert value(c, "exists", alias) == "yes"
        assert value(c, "length", alias) == "1"
        assert value(c, "part", alias, "display", "title") == "Hello World"
        assert value(c, "get", alias, "trackname_display_artist") == "Pref Artist"
        c.ok("set", alias, "weight", "12345")
        assert value(c, "get", hello, "weight") == "12345"  # stored under the real name
        assert body(c, "prefs", alias) == ['trackname_display_artist "Pref Artist"',
                                           "weight 12345"]
        c.ok("unset", alias, "weight")
        refused(c, 555, "get", hello, "weight")
        # aliases are virtual file names (as on DisOrder): listed in their
        # directories, which are listed too, filters and all
        assert body(c, "files", col.path("Pref Artist/First Album")) == [alias]
        assert body(c, "files", col.path("Pref Artist/First Album/"), "^hello") == [alias]
        assert body(c, "files", col.path("Pref Artist/First Album"), "^x") == []
        assert body(c, "dirs", col.root) == [col.path(d) for d in [
            "Artist One", "Other", "Pref Artist", "The Band", "Zoë Keating"]]
        assert body(c, "dirs", col.root, "^pref") == [col.path("Pref Artist")]
        assert body(c, "dirs", col.path("Pref Artist")) == [col.path("Pref Artist/First Album")]
        assert body(c, "allfiles", col.path("Pref Artist")) == [
            col.path("Pref Artist/First Album")]
        assert body(c, "files", col.path("Pref Artist")) == []
        assert body(c, "dirs", col.path("Pref Artist/First Album")) == []
        # the real name is still listed where it is
        assert body(c, "files", col.path("Artist One/First Album"), "hello") == [hello]
        # non-ASCII alias, from a value sent decomposed, in the track's own directory
        c.ok("set", cafe, "trackname_display_title", unicodedata.normalize("NFD", "Ça Va"))
        assert value(c, "resolve", col.path("Zoë Keating/Ünïcode Álbum/Ça Va.flac")) == cafe
        assert body(c, "files", col.path("Zoë Keating/Ünïcode Álbum")) == [
            cafe, col.path("Zoë Keating/Ünïcode Álbum/Ça Va.flac")]
        # renaming again moves the alias; removing the preference removes it
        c.ok("set", hello, "trackname_display_artist", "Second Name")
        assert value(c, "resolve", alias) == alias
        assert value(c, "resolve", col.path("Second Name/First Album/Hello World.mp3")) == hello
        assert body(c, "files", col.path("Pref Artist/First Album")) == []
        assert body(c, "files", col.path("Second Name/First Album")) == [
            col.path("Second Name/First Album/Hello World.mp3")]
        assert col.path("Pref Artist") not in body(c, "dirs", col.root)
        c.ok("unset", hello, "trackname_display_artist")
        second = col.path("Second Name/First Album/Hello World.mp3")
        assert value(c, "resolve", second) == second
        assert body(c, "dirs", col.root) == [col.path(d) for d in [
            "Artist One", "Other", "The Band", "Zoë Keating"]]

    # An alias follows the file's tags when a rescan finds them changed.
    with Collection() as col:
        rel = "Artist One/First Album/02 - Path Title.ogg"
        track = col.path(rel)
        with closing(col.server.root()) as c:
            c.ok("set", track, "trackname_artist", "Renamer")
            old_alias = col.path("Renamer/Tagged Album/Tagged Title.ogg")
            assert value(c, "resolve", old_alias) == track
        os.unlink(track)
        _generate(col.root, rel, {"album": "New Album", "title": "New Title"})
        col.rescan()
        with closing(col.server.root()) as c:
            assert value(c, "resolve", old_alias) == old_alias  # no longer an alias
            assert value(c, "resolve", col.path("Renamer/New Album/New Title.ogg")) == track


@test
def files_dirs_and_allfiles():
    with Collection() as col, closing(col.server.root()) as c:
        album = col.path("Artist One/First Album")
        assert body(c, "files", album) == [album + "/01 - Hello World.mp3",
                                           album + "/02 - Path Title.ogg"]
        assert body(c, "files", album + "/") == body(c, "files", album)
        # the regexp: PCRE, case-independent, against the basename only
        assert body(c, "files", album, "HELLO") == [album + "/01 - Hello World.mp3"]
        assert body(c, "files", album, r"^\d+ - P") == [album + "/02 - Path Title.ogg"]
        assert body(c, "files", album, "First") == []
        assert body(c, "files", col.root) == []  # no tracks directly in the root
        assert body(c, "dirs", col.root) == [col.path(d) for d in
                                             ["Artist One", "Other", "The Band", "Zoë Keating"]]
        assert body(c, "dirs", col.root, "^(?!the )") == [
            col.path(d) for d in ["Artist One", "Other", "Zoë Keating"]]
        assert body(c, "dirs", col.root, "Ë") == [col.path("Zoë Keating")]
        assert body(c, "dirs", album) == []
        # files and directories together, in one sorted list
        assert body(c, "allfiles", col.path("Other")) == [
            col.path("Other/Loose Track.wav"), col.path("Other/Sub"), col.path("Other/garbage.mp3")]
        assert body(c, "allfiles", col.path("Other"), "^[sg]") == [
            col.path("Other/Sub"), col.path("Other/garbage.mp3")]
        assert body(c, "files", col.path("Nowhere")) == []
        for command in ("files", "dirs", "allfiles"):
            text = refused(c, 550, command, col.root, "(")
            assert text == "missing closing parenthesis at offset 1 in regexp '('", text


@test
def a_catastrophic_regexp_is_refused_quickly_while_other_clients_are_served():
    s = Server()
    try:
        slow = os.path.join(s.dir, "music", "Slow")
        os.makedirs(slow)
        # Names on which "(a+)+$" backtracks exponentially: without a limit
        # of our own, PCRE2 gives up on each only after its default of ten
        # million steps, seconds for the sixteen of them.
        names = [os.path.join(slow, "a" * 40 + f"-{i:02d}.mp3") for i in range(16)]
        for name in names:
            with open(name, "wb") as f:
                f.write(b"not really an MP3\n" * 16)
        s.extra_config = f"collection fs utf-8 {os.path.dirname(slow)}\nqueue_pad 0\n"
        s.write_config()
        s.start()
        with closing(s.root()) as r:
            r.ok("rescan", "wait")
        s.add_user("reader", "pw", "read")
        with closing(s.connect("reader", "pw")) as attacker, closing(s.connect()) as other:
            attacker.sock.settimeout(120)
            other.sock.settimeout(120)
            stop = threading.Event()
            rounds = []  # (start, seconds) of each nop round trip

            def ping():
                while not stop.is_set():
                    start = time.monotonic()
                    code, _, _ = other.command("nop")
                    assert code == 250, code
                    rounds.append((start, time.monotonic() - start))

            pinger = threading.Thread(target=ping, daemon=True)
            pinger.start()
            try:
                wait_for(lambda: len(rounds) >= 5, "nop round trips before the attack")
                attack_start = time.monotonic()
                for command in ("allfiles", "files", "allfiles", "files", "allfiles"):
                    start = time.monotonic()
                    code, text, _ = attacker.command(command, slow, "(a+)+$")
                    took = time.monotonic() - start
                    assert code == 550, (command, code, text)
                    assert text.startswith("regexp too expensive"), text
                    assert took < 2.0, (command, took)
                count = len(rounds)
                wait_for(lambda: len(rounds) > count + 2, "nop round trips after the attack")
            finally:
                stop.set()
                pinger.join(30)
            during = [d for t, d in rounds if t >= attack_start - 1.0]
            assert during and max(during) < 1.0, max(during)
        with closing(s.connect("reader", "pw")) as c:
            # Nothing to match, nothing too expensive: the directory has no
            # subdirectories.
            assert c.command("dirs", slow, "(a+)+$")[:2] == (253, "Listing follows")
            # A reasonable pattern is answered as usual.
            assert body(c, "files", slow, "-03\\.mp3$") == [names[3]]
            assert body(c, "allfiles", slow, "^a{40}-[01][0-9]") == names
    finally:
        s.cleanup()


@test
def names_with_a_line_feed_are_skipped_and_never_break_a_listing():
    col = Collection()
    try:
        deep = col.path("Other/Sub/Deep.mp3")
        shutil.copy(deep, col.path("Other/Broken\nLine.mp3"))
        os.makedirs(col.path("Other/Bad\nDir"))
        shutil.copy(deep, col.path("Other/Bad\nDir/Inside.mp3"))
        # (rescan_test checks what the rescan logs about them.)
        with col, closing(col.server.root()) as c:
            other = [col.path("Other/Loose Track.wav"), col.path("Other/Sub"),
                     col.path("Other/garbage.mp3")]
            assert body(c, "files", col.path("Other")) == [other[0], other[2]]
            assert body(c, "dirs", col.path("Other")) == [other[1]]
            assert body(c, "allfiles", col.path("Other")) == other
            assert len(body(c, "new")) == len(COLLECTION) + 1
            assert body(c, "search", "loose") == [other[0]]
            assert body(c, "search", "line") == []

            # A database from an older version may hold such names: the
            # listings leave them out rather than fail.
            db = sqlite3.connect(os.path.join(col.server.home, "disorder.db"))
            with db:
                old = col.path("Other/Old\nName.mp3")
                cur = db.execute(
                    "INSERT INTO tracks (name, dir, root, size, mtime, added, scan)"
                    " SELECT ?, dir, root, size, mtime, added + 1, scan FROM tracks"
                    " WHERE name = ?", (old, other[0]))
                db.execute("INSERT INTO search (rowid, words) VALUES (?, 'oldname loose')",
                           (cur.lastrowid,))
                db.execute("INSERT INTO dirs (name, parent, scan) SELECT ?, parent, scan"
                           " FROM dirs WHERE name = ?", (col.path("Other/Old\nDir"), other[1]))
            db.close()
            assert body(c, "files", col.path("Other")) == [other[0], other[2]]
            assert body(c, "dirs", col.path("Other")) == [other[1]]
            assert body(c, "allfiles", col.path("Other")) == other
            assert body(c, "allfiles", col.path("Other"), "^[ls]") == [other[0], other[1]]
            newest = body(c, "new")
            assert len(newest) == len(COLLECTION) + 1 and old not in newest, newest
            assert len(body(c, "new", "3")) == 3
            assert body(c, "search", "loose") == [other[0]]
            assert body(c, "search", "oldname") == []
    finally:
        col.server.cleanup()


@test
def new_lists_newest_first_within_noticed_history():
    with Collection() as col:
        _generate(col.root, "Other/Newest.mp3", {"title": "Newest"})
        col.rescan()
        with closing(col.server.root()) as c:
            everything = body(c, "new")
            assert len(everything) == len(COLLECTION) + 2, everything
            assert everything[0] == col.path("Other/Newest.mp3"), everything
            assert body(c, "new", "1") == [col.path("Other/Newest.mp3")]
            assert body(c, "new", "3") == everything[:3]
            assert body(c, "new", "0") == everything  # as DisOrder's clients send it
            for bad in ("-1", "x", "1x"):
                refused(c, 550, "new", bad)
            # a track first seen longer ago than noticed_history is not new
            db = sqlite3.connect(os.path.join(col.server.home, "disorder.db"))
            with db:
                db.execute("UPDATE tracks SET added = added - 40 * 86400 WHERE name = ?",
                           (col.path("Other/Newest.mp3"),))
            db.close()
            assert body(c, "new") == everything[1:]


@test
def new_max_and_noticed_history_come_from_the_configuration():
    with Collection("new_max 2\nnoticed_history 1\n") as col, closing(col.server.root()) as c:
        assert len(body(c, "new")) == 2
        assert len(body(c, "new", "50")) == len(COLLECTION) + 1


@test
def stats_describe_the_collection():
    with Collection() as col, closing(col.server.root()) as c:
        c.ok("set", col.path("Other/Loose Track.wav"), "weight", "1")
        lines = body(c, "stats")
        want = {
            "tracks": str(len(COLLECTION) + 1),
            # root, Artist One, First Album, Zoë Keating, Ünïcode Álbum,
            # The Band, The Album, Other, Sub
            "directories": "9",
            "tracks of unknown length": "1",
            "tracks with preferences": "1",
            "tracks with aliases": "0",
            "rescan": "not running",
        }
        got = dict(line.split(": ", 1) for line in lines)
        for k, v in want.items():
            assert got.get(k) == v, (k, lines)
        assert got["database size"].endswith(" bytes") and int(got["database size"].split()[0]) > 0
        assert time.strftime("%Y-") in got["last rescan"], lines


@test
def tags_are_listed_once_whatever_their_spelling():
    with Collection() as col, closing(col.server.root()) as c:
        assert body(c, "tags") == []
        c.ok("set", col.path("Artist One/First Album/01 - Hello World.mp3"), "tags",
             "Rock, Slow Dance")
        c.ok("set", col.path("Artist One/First Album/02 - Path Title.ogg"), "tags",
             " rock ,  slow   DANCE , Café,")
        c.ok("set", col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac"), "tags", "cafe")
        # one spelling stands for them all: the first in code-point order
        assert body(c, "tags") == ["cafe", "rock", "slow dance"]
        # commas separate tags, so a tag cannot hold one; no control characters
        text = refused(c, 550, "set", col.path("Other/Loose Track.wav"), "tags", "a\nb")
        assert "control" in text, text
        c.ok("unset", col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac"), "tags")
        c.ok("unset", col.path("Artist One/First Album/02 - Path Title.ogg"), "tags")
        assert body(c, "tags") == ["rock", "slow dance"]


@test
def tags_are_normalised_as_disorder_does():
    with Collection() as col, closing(col.server.root()) as c:
        hello = col.path("Artist One/First Album/01 - Hello World.mp3")
        loose = col.path("Other/Loose Track.wav")
        events = col.server.root()
        events.command("log")
        c.ok("set", hello, "tags", "  first   tag, Another Tag")
        assert value(c, "get", hello, "tags") == "first tag, another tag"
        assert 'tags "first tag, another tag"' in body(c, "prefs", hello)
        assert body(c, "tags") == ["another tag", "first tag"]
        # the event says what was stored
        while True:
            words = split(events.read_event())
            if words[0] == "pref" and words[2:3] == ["tags"]:
                assert words == ["pref", hello, "tags", "first tag, another tag"], words
                break
        events.close()
        # repeats and empty tags go; the order stays
        c.ok("set", loose, "tags", "Zed,, ZED , Ünï  Côdé,")
        assert value(c, "get", loose, "tags") == "zed, ünï côdé"
        assert body(c, "tags") == ["another tag", "first tag", "ünï côdé", "zed"]
        # the random-play tag lists are normalised the same way
        c.ok("set-global", "prohibited-tags", " Loud,   VERY  Loud ")
        assert value(c, "get-global", "prohibited-tags") == "loud, very loud"
        c.ok("set-global", "other", " Not  A Tag List ")
        assert value(c, "get-global", "other") == " Not  A Tag List "

    # Values stored as given by an earlier version read back normalised.
    with Collection() as col:
        track = col.path("Other/Loose Track.wav")
        db = sqlite3.connect(os.path.join(col.server.home, "disorder.db"))
        with db:
            db.execute("INSERT INTO prefs (track, name, value) VALUES (?, 'tags', ?)",
                       (track, " Old   Style,OTHER "))
            db.executemany("INSERT INTO track_tags (key, track, tag) VALUES (?, ?, ?)",
                           [("old style", track, "Old   Style"), ("other", track, "OTHER")])
            db.execute("INSERT INTO globals (name, value) VALUES ('required-tags', ' Old  Style')")
        db.close()
        with closing(col.server.root()) as c:
            assert value(c, "get", track, "tags") == "old style, other"
            assert body(c, "prefs", track) == ['tags "old style, other"']
            assert body(c, "tags") == ["old style", "other"]
            assert value(c, "get-global", "required-tags") == "old style"


@test
def search_words_tags_stopwords_accents_and_case():
    with Collection() as col, closing(col.server.root()) as c:
        hello = col.path("Artist One/First Album/01 - Hello World.mp3")
        tagged = col.path("Artist One/First Album/02 - Path Title.ogg")
        cafe = col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac")
        end = col.path("The Band/The Album/01 - The End.mp3")

        def search(terms):
            return body(c, "search", terms)
        assert search("hello") == [hello]
        assert search("HELLO world") == [hello]
        assert search("hello nowhere") == []
        assert search("cafe") == [cafe]  # accents ignored both ways
        assert search("CAFÉ crème") == [cafe]
        assert search(unicodedata.normalize("NFD", "café")) == [cafe]
        assert search("zoe unicode") == [cafe]
        assert search("tagged") == [tagged]  # file tags are searched
        assert search("path title") == [tagged]  # and so is the name
        assert search("first album") == [hello, tagged]
        assert search("the") == []  # only a stopword: nothing usable
        assert search("The End") == [end]  # "the" ignored, "end" must match
        assert search("") == []
        assert search("—") == []
        # tag: terms
        c.ok("set", hello, "tags", "Rock, slow dance")
        c.ok("set", tagged, "tags", "ROCK,Café")
        c.ok("set", cafe, "tags", "  cafe ")
        assert search("tag:rock") == [hello, tagged]
        assert search("tag:Rock hello") == [hello]
        assert search("tag:CAFE") == [tagged, cafe]
        assert search("tag:café tag:rock") == [tagged]
        assert search('"tag:Slow   Dance"') == [hello]
        assert search("tag:nothing") == []
        assert search("tag:rock tagged hello") == []
        # the words of trackname_ preferences are searched too
        c.ok("set", end, "trackname_display_artist", "Renamed Ensemble")
        assert search("ensemble") == [end]
        assert search("ensemble end") == [end]  # one word from prefs, one from the name
        assert search("ensemble hello") == []
        c.ok("set", end, "trackname_display_title", "Finale")
        assert search("finale renamed") == [end]
        c.ok("unset", end, "trackname_display_artist")
        assert search("ensemble") == []
        assert search("finale") == [end]
        # terms are quoted as protocol fields; bad quoting is an error
        refused(c, 550, "search", '"unterminated')


@test
def preferences_get_set_unset_with_events_and_rights():
    with Collection() as col:
        s = col.server
        s.add_user("reader", "pw", "read")
        s.add_user("tweaker", "pw", "read,prefs")
        track = col.path("Zoë Keating/Ünïcode Álbum/03 - Café Crème.flac")
        with closing(s.root()) as watcher, closing(s.connect("tweaker", "pw")) as c, \
                closing(s.connect("reader", "pw")) as reader:
            assert watcher.command("log")[0] == 254
            # the initial state lines: play, random play, whether a track
            # plays, and the volume
            while not watcher.read_event().startswith("volume "):
                pass
            refused(c, 555, "get", track, "weight")
            assert body(c, "prefs", track) == []
            c.ok("set", track, "weight", "100")
            c.ok("set", track, "pick_at_random", "0")
            c.ok("set", track, "comment", 'say "hi"\\ now')
            assert value(c, "get", track, "weight") == "100"
            assert body(c, "prefs", track) == ['comment "say \\"hi\\"\\\\ now"',
                                               "pick_at_random 0", "weight 100"]
            c.ok("set", track, "weight", "200")
            c.ok("unset", track, "pick_at_random")
            c.ok("unset", track, "pick_at_random")  # already gone: no error, no event
            assert [split(line) for line in body(c, "prefs", track)] == [
                ["comment", 'say "hi"\\ now'], ["weight", "200"]]
            events = [split(watcher.read_event()) for _ in range(5)]
            assert events == [["pref", track, "weight", "100"],
                              ["pref", track, "pick_at_random", "0"],
                              ["pref", track, "comment", 'say "hi"\\ now'],
                              ["pref", track, "weight", "200"],
                              ["pref", track, "pick_at_random"]], events
            # reading needs read; changing needs prefs
            assert value(reader, "get", track, "weight") == "200"
            assert len(body(reader, "prefs", track)) == 2
            refused(reader, 510, "set", track, "weight", "1")
            refused(reader, 510, "unset", track, "weight")
            # no such track: 555 to get, nothing to list, 550 to change
            gone = col.path("Other/nothing.mp3")
            refused(c, 555, "get", gone, "weight")
            assert body(c, "prefs", gone) == []
            refused(c, 550, "set", gone, "weight", "1")
            refused(c, 550, "unset", gone, "weight")


@test
def preferences_outlive_removal_rescan_and_restart():
    with Collection() as col:
        s = col.server
        rel = "Other/Loose Track.wav"
        track = col.path(rel)
        alias = col.path("Other/Renamed Loose.wav")
        with closing(s.root()) as c:
            c.ok("set", track, "weight", "5")
            c.ok("set", track, "tags", "Keeper")
            c.ok("set", track, "trackname_display_title", "Renamed Loose")
            assert value(c, "resolve", alias) == track
        # the file goes away...
        saved = os.path.join(s.dir, "saved.wav")
        shutil.move(track, saved)
        col.rescan()
        with closing(s.root()) as c:
            assert value(c, "exists", track) == "no"
            refused(c, 555, "get", track, "weight")
            assert value(c, "resolve", alias) == alias  # no longer an alias
            assert body(c, "search", "renamed") == []
            assert body(c, "search", "tag:keeper") == []
            assert body(c, "tags") == []
        # ...and comes back (a new row in tracks, a new id)
        shutil.move(saved, track)
        col.rescan()

        def check():
            with closing(s.root()) as c:
                assert value(c, "exists", track) == "yes"
                assert value(c, "get", track, "weight") == "5"
                assert body(c, "prefs", track) == [
                    "tags keeper", 'trackname_display_title "Renamed Loose"', "weight 5"]
                assert value(c, "resolve", alias) == track
                assert value(c, "part", track, "display", "title") == "Renamed Loose"
                assert body(c, "search", "renamed loose") == [track]
                assert body(c, "search", "tag:keeper") == [track]
                assert body(c, "tags") == ["keeper"]
        check()
        s.stop()
        s.start()
        check()


@test
def the_cli_runs_the_collection_commands():
    with Collection() as col:
        s = col.server
        album = col.path("Artist One/First Album")
        hello = album + "/01 - Hello World.mp3"

        def cli(*args):
            return s.cli("--user", "root", *args).stdout

        assert cli("files", album, "~hello") == hello + "\n"
        assert cli("dirs", col.root, "~^z") == col.path("Zoë Keating") + "\n"
        assert cli("allfiles", col.path("Other"), "~^s") == col.path("Other/Sub") + "\n"
        assert cli("exists", hello) == "yes\n"
        assert cli("length", hello) == "1\n"
        assert cli("part", hello, "display", "title") == "Hello World\n"
        assert cli("search", "hello world") == hello + "\n"
        assert cli("set", hello, "weight", "7", "set", hello, "trackname_display_album",
                   "Two Words") == ""
        assert cli("prefs", hello) == "trackname_display_album = Two Words\nweight = 7\n"
        assert cli("get", hello, "weight") == "7\n"
        assert cli("resolve", col.path("Artist One/Two Words/Hello World.mp3")) == hello + "\n"
        assert len(cli("new", "2").splitlines()) == 2
        assert len(cli("new").splitlines()) == len(COLLECTION) + 1
        # `new` with no count, followed by another command
        assert cli("new", "exists", hello).splitlines()[-1] == "yes"
        assert cli("unset", hello, "weight") == ""
        assert "tracks: 7" in cli("stats").splitlines()
        assert cli("tags") == ""
        # tags come back normalised; aliases are listed with the files
        assert cli("set", hello, "tags", "  Two   Words, ROCK") == ""
        assert cli("get", hello, "tags") == "two words, rock\n"
        assert cli("tags") == "rock\ntwo words\n"
        alias = col.path("Artist One/Two Words/Hello World.mp3")
        assert cli("files", col.path("Artist One/Two Words")) == alias + "\n"
        assert cli("dirs", col.path("Artist One")) == (
            album + "\n" + col.path("Artist One/Two Words") + "\n")


@test
def the_server_answers_every_command_while_a_rescan_runs():
    import array
    import wave
    s = Server()
    try:
        root = os.path.join(s.dir, "big")
        one = os.path.join(s.dir, "one.wav")
        with wave.open(one, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(44100)
            w.writeframes(array.array("h", [1000, -1000] * 4410).tobytes())
        for album in range(100):
            d = os.path.join(root, f"Artist {album % 10}", f"Album {album}")
            os.makedirs(d)
            for t in range(40):
                shutil.copy(one, os.path.join(d, f"{t:02d} Song {album}-{t}.wav"))
        os.chmod(s.dir, 0o755)
        s.extra_config = f"collection fs utf-8 {root}\nqueue_pad 0\n"
        s.write_config()
        s.start()
        with closing(s.root()) as watcher, closing(s.root()) as c:
            # The first start's scan may be nearly over by now: let it end,
            # change every file, and time a rescan that reads all 4,000
            # again from its start.
            c.ok("rescan", "wait")
            later = time.time() + 60
            for dirpath, _, names in os.walk(root):
                for name in names:
                    os.utime(os.path.join(dirpath, name), (later, later))
            watcher.command("log")
            c.ok("rescan")
            watcher.sock.setblocking(False)
            answered_during_scan = 0
            scanning = True
            i = 0
            deadline = time.monotonic() + 120
            while scanning:
                assert time.monotonic() < deadline, "no rescanned event in 120 s"
                i += 1
                c.ok("set-global", "n", str(i))
                assert c.ok("get-global", "n")[0] == str(i)
                assert c.ok("version")[0]
                files = body(c, "files", os.path.join(root, "Artist 0", "Album 0"))
                assert all(f.startswith(os.path.join(root, "Artist 0", "Album 0")) for f in files)
                answered_during_scan += 1
                try:
                    while True:
                        line = watcher.read_line()
                        if split(line)[1] == "rescanned":
                            scanning = False
                            break
                except (BlockingIOError, OSError):
                    pass
            assert answered_during_scan >= 2, answered_during_scan
            assert len(body(c, "files", os.path.join(root, "Artist 0", "Album 0"))) == 40
            found = body(c, "search", "song 5-7")
            assert os.path.join(root, "Artist 5", "Album 5", "07 Song 5-7.wav") in found, found
    finally:
        s.cleanup()


if __name__ == "__main__":
    try:
        run_tests()
    finally:
        if _template:
            shutil.rmtree(_template, ignore_errors=True)
