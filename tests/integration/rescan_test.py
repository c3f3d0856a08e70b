#!/usr/bin/env python3
"""disorder-rescan end to end: a collection generated at test time (ffmpeg
tracks of every format, tags that contradict the path, NFC and NFD names, a
Latin-1 root, nested folders, corrupt, empty and unreadable files, symlinks
and a symlink loop) is scanned into a fresh database, which is then read
with Python's sqlite3; then files are added, retagged and deleted and an
incremental rescan must change exactly what changed.

As root the rescan runs as `nobody` (the configuration's `user`), so that
permission errors are real."""
import os
import pwd
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile

from harness import BUILDDIR, run_tests, test

RESCAN = os.path.join(BUILDDIR, "server", "disorder-rescan")

try:
    import mutagen
except ImportError:
    # Debian's python3-mutagen is pure Python, installed for /usr/bin/python3;
    # the python3 running the tests may be another one.
    sys.path.append("/usr/lib/python3/dist-packages")
    import mutagen

AS_ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if AS_ROOT else None

# Generated once: base file of each format -> (seconds, tags).
FORMATS = {
    "mp3": (1.0, ["-c:a", "libmp3lame"],
            {"artist": "Tagged Artist", "album": "Tagged Album", "title": "The First Song",
             "genre": "Jazz", "date": "1999", "track": "1"}),
    "ogg": (1.5, ["-c:a", "libvorbis"], {"artist": "Ogg Artist", "title": "Ogg Title"}),
    "opus": (2.0, ["-c:a", "libopus"], {"artist": "Opus Artist", "album": "Opus Album"}),
    "flac": (0.5, ["-c:a", "flac"], {"artist": "Flac Artist", "title": "Flac Title"}),
    "wav": (1.2, ["-c:a", "pcm_s16le"], {"artist": "Wav Artist", "title": "Wav Title"}),
}
_bases = {}


def base(ext):
    """A short file of format ext with its tags, made by ffmpeg once."""
    if ext not in _bases:
        seconds, codec, tags = FORMATS[ext]
        d = tempfile.mkdtemp(prefix="disorder-rescan-base-")
        path = os.path.join(d, "base." + ext)
        meta = [a for k, v in tags.items() for a in ("-metadata", f"{k}={v}")]
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"sine=frequency=440:duration={seconds}", "-ac", "2", *codec, *meta,
                        path], check=True)
        _bases[ext] = path
    return _bases[ext]


def put(path, ext=None, data=None):
    """Creates path (str or bytes) as a copy of a base file, or with data."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if data is not None:
        with open(path, "wb") as f:
            f.write(data)
    else:
        shutil.copyfile(base(ext), path)


class Collection:
    """A temporary home, configuration and collection roots."""

    def __init__(self, roots, extra_config=""):
        self.dir = tempfile.mkdtemp(prefix="disorder-rescan-")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        os.mkdir(self.home)
        if AS_ROOT:
            os.chown(self.home, NOBODY.pw_uid, NOBODY.pw_gid)
        self.config = os.path.join(self.dir, "config")
        self.roots = {}
        lines = [f"home {self.home}"]
        if AS_ROOT:
            lines.append("user nobody")
        for key, encoding in roots:
            root = os.path.join(self.dir, key)
            os.mkdir(root)
            self.roots[key] = root
            lines.append(f"collection fs {encoding} {root}")
        lines.append(extra_config)
        self.write_config("\n".join(lines) + "\n")

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)
        os.chmod(self.config, 0o644)

    def rescan(self, *args, check=True):
        p = subprocess.run([RESCAN, "--no-syslog", "--config", self.config, *args],
                           capture_output=True, timeout=60)
        p.stdout = p.stdout.decode()
        p.stderr = p.stderr.decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise AssertionError(f"disorder-rescan exited {p.returncode}:\n{p.stderr}")
        return p

    def query(self, sql, *params):
        db = sqlite3.connect(os.path.join(self.home, "disorder.db"))
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()
            self.give_back_home()

    def give_back_home(self):
        # Reading as root may have created the WAL files as root; the
        # rescanner, as nobody, must be able to open them.
        if AS_ROOT:
            for name in os.listdir(self.home):
                os.chown(os.path.join(self.home, name), NOBODY.pw_uid, NOBODY.pw_gid)

    def tracks(self):
        """name -> dict of the tracks row, with its tags."""
        rows = self.query("SELECT id, name, dir, root, size, mtime, length, added, scan, path"
                          " FROM tracks")
        out = {}
        for r in rows:
            out[r[1]] = dict(zip(("id", "name", "dir", "root", "size", "mtime", "length",
                                  "added", "scan", "path"), r))
            out[r[1]]["tags"] = {}
        by_id = {t["id"]: t for t in out.values()}
        for track, name, value in self.query("SELECT track, name, value FROM file_tags"):
            by_id[track]["tags"][name] = value
        return out

    def dirs(self):
        return dict(self.query("SELECT name, parent FROM dirs"))

    def words(self, name):
        rows = self.query("SELECT words FROM search WHERE rowid ="
                          " (SELECT id FROM tracks WHERE name = ?)", name)
        return rows[0][0] if rows else None

    def search(self, match):
        return {r[0] for r in self.query(
            "SELECT name FROM tracks WHERE id IN"
            " (SELECT rowid FROM search WHERE search MATCH ?)", match)}

    def cleanup(self):
        for dirpath, dirnames, _ in os.walk(self.dir):
            for d in dirnames:
                p = os.path.join(dirpath, d)
                if not os.path.islink(p):
                    os.chmod(p, 0o755)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


def nfc(s):
    import unicodedata
    return unicodedata.normalize("NFC", s)


def nfd(s):
    import unicodedata
    return unicodedata.normalize("NFD", s)


def build_main_collection(c):
    """The big layout; returns the names expected to be tracks, with their
    formats."""
    r = c.roots["music"]
    l1 = c.roots["latin1"]
    put(f"{r}/Artist One/Album A/01 First.mp3", "mp3")
    put(f"{r}/Artist One/Album A/02 Second.ogg", "ogg")
    put(f"{r}/Artist One/Album A/03 Third.opus", "opus")
    put(f"{r}/Artist One/Album A/cover.jpg", data=b"\xff\xd8 not really a jpeg")
    put(f"{r}/Artist One/Album A/notes.txt", data=b"liner notes\n")
    put(f"{r}/Artist Two/Deep/Nested/Dir/04 Fourth.flac", "flac")
    put(f"{r}/Artist Two/05 Fifth.wav", "wav")
    put(f"{r}/Case/11 Loud.MP3", "mp3")
    # NFC and NFD spellings of one name in one directory: the NFC file is the
    # track.  A file and a directory spelled only in NFD get NFC names.
    put(f"{r}/Café/" + nfc("Dup é.mp3"), "mp3")
    put(f"{r}/Café/" + nfd("Dup é.mp3"), "mp3")
    put(f"{r}/Café/" + nfd("Solo ü.flac"), "flac")
    put(f"{r}/" + nfd("Müsik") + "/07 Seven.ogg", "ogg")
    # Corrupt, truncated, empty, a name that is not UTF-8, hidden.
    put(f"{r}/Broken/random.mp3", data=random.Random(42).randbytes(3000))
    with open(base("flac"), "rb") as f:
        put(f"{r}/Broken/truncated.flac", data=f.read(200))
    put(f"{r}/Broken/empty.mp3", data=b"")
    put(os.fsencode(f"{r}/Broken/") + b"bad\xff name.mp3", "mp3")
    put(f"{r}/.hidden/12 Hidden.mp3", "mp3")
    # Symbolic links: to a file, to a directory elsewhere, dangling, loops.
    put(f"{r}/Shared/Comp/10 Comp.wav", "wav")
    os.makedirs(f"{r}/Links")
    os.symlink("../Artist One/Album A/01 First.mp3", f"{r}/Links/linked.mp3")
    os.symlink("../Shared/Comp", f"{r}/Links/comp")
    os.symlink("nowhere.mp3", f"{r}/Links/dangling.mp3")
    put(f"{r}/Loop/08 Loop.mp3", "mp3")
    os.symlink("..", f"{r}/Loop/back")
    os.symlink(".", f"{r}/Loop/self")
    # Permissions: an unreadable file; a directory made unreadable later.
    put(f"{r}/Locked/secret.mp3", "mp3")
    os.chmod(f"{r}/Locked/secret.mp3", 0)
    put(f"{r}/Private/09 Hidden.mp3", "mp3")
    # The Latin-1 root.
    put(os.fsencode(l1) + b"/Caf\xe9/Ch\xe2teau.ogg", "ogg")
    put(os.fsencode(l1) + b"/Na\xefve.mp3", "mp3")
    return {
        f"{r}/Artist One/Album A/01 First.mp3": "mp3",
        f"{r}/Artist One/Album A/02 Second.ogg": "ogg",
        f"{r}/Artist One/Album A/03 Third.opus": "opus",
        f"{r}/Artist Two/Deep/Nested/Dir/04 Fourth.flac": "flac",
        f"{r}/Artist Two/05 Fifth.wav": "wav",
        f"{r}/Case/11 Loud.MP3": "mp3",
        nfc(f"{r}/Café/Dup é.mp3"): "mp3",
        nfc(f"{r}/Café/Solo ü.flac"): "flac",
        nfc(f"{r}/Müsik/07 Seven.ogg"): "ogg",
        f"{r}/Broken/random.mp3": None,
        f"{r}/Broken/truncated.flac": None,
        f"{r}/Shared/Comp/10 Comp.wav": "wav",
        f"{r}/Links/linked.mp3": "mp3",
        f"{r}/Links/comp/10 Comp.wav": "wav",
        f"{r}/Loop/08 Loop.mp3": "mp3",
        f"{r}/Private/09 Hidden.mp3": "mp3",
        nfc(f"{l1}/Café/Château.ogg"): "ogg",
        nfc(f"{l1}/Naïve.mp3"): "mp3",
    }


@test
def full_scan_then_incremental_rescan():
    with Collection([("music", "utf-8"), ("latin1", "iso-8859-1")]) as c:
        r, l1 = c.roots["music"], c.roots["latin1"]
        expected = build_main_collection(c)
        p = c.rescan()
        log = p.stderr
        tracks = c.tracks()
        assert set(tracks) == set(expected), (
            f"missing {set(expected) - set(tracks)}, extra {set(tracks) - set(expected)}\n{log}")

        # Lengths within a second, tags as the files have them (not as the
        # path says), everything else as the schema describes it.
        for name, fmt in expected.items():
            t = tracks[name]
            assert t["dir"] == name.rsplit("/", 1)[0], t
            assert t["root"] == (l1 if name.startswith(l1 + "/") else r), t
            assert t["scan"] == 1 and t["added"] > 0 and t["size"] > 0, t
            if fmt:
                seconds, _, tags = FORMATS[fmt]
                assert t["length"] is not None and abs(t["length"] - seconds) <= 1, t
                for k in ("artist", "title", "album"):
                    if k in tags:
                        assert t["tags"].get(k) == tags[k], (name, t["tags"])
        first = tracks[f"{r}/Artist One/Album A/01 First.mp3"]
        assert first["tags"]["artist"] == "Tagged Artist", first
        assert first["tags"]["genre"] == "Jazz", first
        assert first["tags"]["tracknumber"] == "1", first
        assert first["tags"]["date"] == "1999", first
        assert all(k == k.lower() for k in first["tags"]), first
        random_mp3 = tracks[f"{r}/Broken/random.mp3"]
        assert random_mp3["length"] is None and random_mp3["tags"] == {}, random_mp3

        # The file's bytes are kept where they differ from the name.
        assert tracks[nfc(f"{r}/Café/Dup é.mp3")]["path"] is None
        assert tracks[nfc(f"{r}/Café/Solo ü.flac")]["path"] == os.fsencode(
            f"{r}/Café/" + nfd("Solo ü.flac"))
        assert tracks[nfc(f"{r}/Müsik/07 Seven.ogg")]["path"] == os.fsencode(
            nfd(f"{r}/Müsik") + "/07 Seven.ogg")
        assert tracks[nfc(f"{l1}/Naïve.mp3")]["path"] == os.fsencode(l1) + b"/Na\xefve.mp3"
        assert tracks[nfc(f"{l1}/Café/Château.ogg")]["path"] == (
            os.fsencode(l1) + b"/Caf\xe9/Ch\xe2teau.ogg")
        assert tracks[first["name"]]["path"] is None

        # Every problem is logged with its path, and the scan went on.
        for needle in [
            f"{r}/Broken/random.mp3: no audio found",
            f"{r}/Broken/empty.mp3: empty file",
            f"{r}/Broken/bad\\xff name.mp3: name is not valid utf-8",
            f"{r}/Links/dangling.mp3: dangling symbolic link",
            f"{r}/Loop/back: symbolic link loop",
            f"{r}/Loop/self: symbolic link loop",
            f"{r}/Locked/secret.mp3: Permission denied; not added",
            f"{r}/Café/" + nfd("Dup é.mp3") + ": same name as " + nfc(f"{r}/Café/Dup é.mp3"),
        ]:
            assert needle in log, f"{needle!r} not in log:\n{log}"

        # Directories: every one that holds a track, down to the roots.
        dirs = c.dirs()
        expected_dirs = set()
        for name in expected:
            d = name.rsplit("/", 1)[0]
            root = l1 if name.startswith(l1 + "/") else r
            while len(d) >= len(root):
                expected_dirs.add(d)
                d = d.rsplit("/", 1)[0]
        assert set(dirs) == expected_dirs, (set(dirs) ^ expected_dirs)
        assert all(parent == name.rsplit("/", 1)[0] for name, parent in dirs.items()), dirs

        # Search words: the path below the root without the extension, then
        # artist, album and title, without stopwords ("A", "The").
        assert c.words(first["name"]) == (
            "Artist One Album 01 First Tagged Artist Tagged Album First Song"), c.words(
            first["name"])
        assert c.search("tagged") >= {first["name"], f"{r}/Links/linked.mp3"}
        assert c.search("chateau") == {nfc(f"{l1}/Café/Château.ogg")}  # diacritics folded
        assert c.search("musik") == {nfc(f"{r}/Müsik/07 Seven.ogg")}

        # --- Incremental: add, retag, delete, make a directory unreadable.
        before = tracks
        put(f"{r}/Artist One/Album A/06 Sixth.mp3", "mp3")
        second = f"{r}/Artist One/Album A/02 Second.ogg"
        audio = mutagen.File(second)
        audio["artist"] = "Retagged Artist"
        audio.save()
        st = os.stat(second)
        os.utime(second, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        os.unlink(f"{r}/Artist Two/05 Fifth.wav")
        shutil.rmtree(f"{r}/Artist Two/Deep")
        # The NFC spelling goes: the NFD one becomes the track of that name.
        os.unlink(f"{r}/Café/" + nfc("Dup é.mp3"))
        os.chmod(f"{r}/Private", 0)
        p = c.rescan("--progress")
        log = p.stderr
        after = c.tracks()
        added = set(after) - set(before)
        removed = set(before) - set(after)
        changed = {n for n in set(after) & set(before)
                   if (after[n]["size"], after[n]["mtime"], after[n]["path"], after[n]["tags"])
                   != (before[n]["size"], before[n]["mtime"], before[n]["path"],
                       before[n]["tags"])}
        assert added == {f"{r}/Artist One/Album A/06 Sixth.mp3"}, (added, log)
        assert removed == {f"{r}/Artist Two/05 Fifth.wav",
                           f"{r}/Artist Two/Deep/Nested/Dir/04 Fourth.flac"}, (removed, log)
        assert changed == {second, nfc(f"{r}/Café/Dup é.mp3")}, (changed, log)
        assert after[second]["tags"]["artist"] == "Retagged Artist", after[second]
        assert "Retagged" in c.words(second), c.words(second)
        assert after[nfc(f"{r}/Café/Dup é.mp3")]["path"] == os.fsencode(
            f"{r}/Café/" + nfd("Dup é.mp3"))
        for n in set(after) & set(before):
            # Same row, same time added; only what changed was written again.
            assert after[n]["id"] == before[n]["id"], n
            assert after[n]["added"] == before[n]["added"], n
            assert after[n]["scan"] == (2 if n in changed else 1), (n, after[n])
        assert after[f"{r}/Artist One/Album A/06 Sixth.mp3"]["scan"] == 2
        # Below the directory it could not read, the track is kept.
        assert f"{r}/Private/09 Hidden.mp3" in after
        assert f"{r}/Private: Permission denied" in log, log
        # Directories that hold no track any more are gone.
        dirs = c.dirs()
        assert not any(d.startswith(f"{r}/Artist Two") for d in dirs), dirs
        assert f"{r}/Artist One/Album A" in dirs
        # Progress lines: counts of tracks seen, the last one all of them (all
        # but the one kept in the unreadable directory).
        lines = p.stdout.split()
        assert lines == [str(len(after) - 1)], p.stdout
        assert "1 added, 2 changed, 2 removed" in log, log
        # No removed track's tags or words are left behind.
        ids = {t["id"] for t in after.values()}
        assert {r[0] for r in c.query("SELECT DISTINCT track FROM file_tags")} <= ids
        assert {r[0] for r in c.query("SELECT rowid FROM search")} == ids

        # Unchanged: nothing written at all.
        p = c.rescan()
        assert "0 added, 0 changed, 0 removed" in p.stderr, p.stderr
        assert c.tracks() == after

        # --fresh reads every file again; nothing else moves.
        os.chmod(f"{r}/Private", 0o755)
        p = c.rescan("--fresh")
        assert f"0 added, {len(after)} changed, 0 removed" in p.stderr, p.stderr
        again = c.tracks()
        assert {n: (t["id"], t["added"], t["length"], t["tags"]) for n, t in again.items()} == {
            n: (t["id"], t["added"], t["length"], t["tags"]) for n, t in after.items()}


@test
def restricted_rescan_touches_only_the_named_directories():
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        put(f"{r}/A/1.mp3", "mp3")
        put(f"{r}/B/2.ogg", "ogg")
        put(f"{r}/B/C/3.flac", "flac")
        c.rescan()
        put(f"{r}/A/new.mp3", "mp3")
        put(f"{r}/B/C/new.ogg", "ogg")
        os.unlink(f"{r}/B/2.ogg")
        c.rescan(f"{r}/B/C/")
        names = set(c.tracks())
        assert names == {f"{r}/A/1.mp3", f"{r}/B/2.ogg", f"{r}/B/C/3.flac",
                         f"{r}/B/C/new.ogg"}, names
        # A directory that has gone takes its tracks with it.
        shutil.rmtree(f"{r}/B/C")
        c.rescan(f"{r}/B/C")
        assert set(c.tracks()) == {f"{r}/A/1.mp3", f"{r}/B/2.ogg"}
        assert set(c.dirs()) == {r, f"{r}/A", f"{r}/B"}, c.dirs()
        c.rescan(r)
        assert set(c.tracks()) == {f"{r}/A/1.mp3", f"{r}/A/new.mp3"}
        assert set(c.dirs()) == {r, f"{r}/A"}, c.dirs()
        # Outside every root: refused before anything is scanned.
        p = c.rescan("/somewhere/else", check=False)
        assert p.returncode == 2 and "not in any collection root" in p.stderr, p


@test
def player_patterns_choose_the_tracks():
    with Collection([("music", "utf-8")],
                    "player *.ogg execraw disorder-decode\n"
                    "player */special/* execraw disorder-decode\n"
                    "tracklength *.ogg vorbis\n") as c:
        r = c.roots["music"]
        put(f"{r}/a.ogg", "ogg")
        put(f"{r}/b.mp3", "mp3")
        put(f"{r}/c.OGG", "ogg")
        put(f"{r}/special/d.mp3", "mp3")
        c.rescan()
        assert set(c.tracks()) == {f"{r}/a.ogg", f"{r}/special/d.mp3"}, c.tracks()


@test
def names_with_a_line_feed_are_skipped_and_logged():
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        put(f"{r}/Album/01 Good.mp3", "mp3")
        put(f"{r}/Album/02 Bad\nName.mp3", "mp3")
        put(f"{r}/Bad\nDir/03 Inside.mp3", "mp3")
        put(f"{r}/Album/not a track\n.txt", data=b"x")
        p = c.rescan()
        # No reply body could list them, so they are not tracks; the rest is.
        assert set(c.tracks()) == {f"{r}/Album/01 Good.mp3"}, c.tracks()
        assert set(c.dirs()) == {r, f"{r}/Album"}, c.dirs()
        assert (f"{r}/Album/02 Bad\\x0aName.mp3: name contains a line feed, which the"
                " protocol cannot carry; skipped\n") in p.stderr, p.stderr
        assert (f"{r}/Bad\\x0aDir: name contains a line feed, which the protocol cannot"
                " carry; skipped with everything below it\n") in p.stderr, p.stderr
        # A file that would not have been a track anyway is not worth a word.
        assert "not a track" not in p.stderr, p.stderr


@test
def roots_that_vanish_or_are_removed():
    with Collection([("one", "utf-8"), ("two", "utf-8")]) as c:
        one, two = c.roots["one"], c.roots["two"]
        put(f"{one}/a.mp3", "mp3")
        put(f"{two}/b.mp3", "mp3")
        c.rescan()
        assert set(c.tracks()) == {f"{one}/a.mp3", f"{two}/b.mp3"}
        # An empty root looks like a disk that is not mounted: kept.
        os.rename(f"{two}/b.mp3", f"{c.dir}/b.mp3")
        p = c.rescan()
        assert set(c.tracks()) == {f"{one}/a.mp3", f"{two}/b.mp3"}
        assert f"{two} is empty" in p.stderr, p.stderr
        # A root that cannot be opened: kept too, and logged.
        os.rmdir(two)
        p = c.rescan()
        assert f"{two}/b.mp3" in c.tracks(), p.stderr
        assert f"{two}: No such file or directory" in p.stderr, p.stderr
        # A root taken out of the configuration: its tracks go.
        with open(c.config) as f:
            text = f.read()
        c.write_config("".join(l for l in text.splitlines(True) if not l.endswith(two + "\n")))
        c.rescan()
        assert set(c.tracks()) == {f"{one}/a.mp3"}
        assert set(c.dirs()) == {one}, c.dirs()


@test
def nested_roots():
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        sub = f"{r}/sub"
        put(f"{r}/a.mp3", "mp3")
        put(f"{sub}/b.ogg", "ogg")
        with open(c.config) as f:
            text = f.read()
        c.write_config(text + f"collection fs utf-8 {sub}\n")
        c.rescan()
        before = c.tracks()
        assert {n: t["root"] for n, t in before.items()} == {f"{r}/a.mp3": r,
                                                            f"{sub}/b.ogg": sub}, before
        assert set(c.dirs()) == {r, sub}, c.dirs()
        # The inner root is dropped: its track now belongs to the outer one,
        # and is the same track (same row, same time added, same tags).
        c.write_config(text)
        c.rescan()
        after = c.tracks()
        b = after[f"{sub}/b.ogg"]
        assert b["root"] == r, b
        assert (b["id"], b["added"], b["tags"]) == (
            before[f"{sub}/b.ogg"]["id"], before[f"{sub}/b.ogg"]["added"],
            before[f"{sub}/b.ogg"]["tags"]), (b, before)
        assert set(c.dirs()) == {r, sub}, c.dirs()
        assert c.search("ogg") == {f"{sub}/b.ogg"}


@test
def killed_rescan_keeps_its_batches_and_the_next_one_continues():
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        # Many names for few files: hard links are cheap to make.
        put(f"{r}/src.mp3", "mp3")
        for d in range(40):
            os.makedirs(f"{r}/d{d:02}")
            for t in range(75):
                os.link(f"{r}/src.mp3", f"{r}/d{d:02}/t{t:02}.mp3")
        total = 40 * 75 + 1
        proc = subprocess.Popen([RESCAN, "--no-syslog", "--progress", "--config", c.config],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        assert first.strip() == b"500", first
        assert proc.returncode == -signal.SIGKILL, "the rescan finished before it was killed"
        committed = c.query("SELECT count(*) FROM tracks")[0][0]
        assert 500 <= committed < total, committed
        p = c.rescan("--debug")
        assert "the previous rescan did not finish" in p.stderr, p.stderr
        assert f"{total - committed} added" in p.stderr, p.stderr
        assert c.query("SELECT count(*) FROM tracks")[0][0] == total
        assert set(c.dirs()) == {r} | {f"{r}/d{d:02}" for d in range(40)}


# Preloaded into the rescanner: reading any file whose name holds "crashme"
# crashes the process, as a TagLib bug would (the tag reader's reads are
# pread calls).
CRASH_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
ssize_t pread(int fd, void *buf, size_t n, off_t off) {
  static ssize_t (*real)(int, void *, size_t, off_t);
  if (!real) real = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t len = readlink(link, target, sizeof target - 1);
  if (len > 0) {
    target[len] = 0;
    if (strstr(target, "crashme")) *(volatile int *)0 = 1;
  }
  return real(fd, buf, n, off);
}
"""


@test
def a_file_that_crashes_the_tag_reader_is_skipped_next_time():
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("# skipped: no C compiler for the crashing shim")
        return
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        shim_src = os.path.join(c.dir, "shim.c")
        shim = os.path.join(c.dir, "shim.so")
        with open(shim_src, "w") as f:
            f.write(CRASH_SHIM)
        subprocess.run([cc, "-shared", "-fPIC", "-o", shim, shim_src, "-ldl"], check=True)
        os.chmod(shim, 0o755)
        put(f"{r}/a/src.mp3", "mp3")
        for t in range(600):
            os.link(f"{r}/a/src.mp3", f"{r}/a/t{t:03}.mp3")
        put(f"{r}/b/crashme.ogg", "ogg")  # walked after a/: a's batches are in
        env = dict(os.environ, LD_PRELOAD=shim)
        p = subprocess.run([RESCAN, "--no-syslog", "--progress", "--config", c.config], env=env,
                           capture_output=True, timeout=60)
        assert p.returncode == -signal.SIGSEGV, (p.returncode, p.stderr)
        # What the crash must not lose: the tracks the rescan had reported
        # (with --progress, as the server runs it), each number printed once
        # those tracks are in the database.  The walk reaches b/ only when
        # all of a/ but the reads still in flight (at most 64) is written,
        # so it has reported 500.  How many more are in depends on where its
        # batches, which also commit when they grow old, happened to end.
        assert p.stdout.split() == [b"500"], p.stdout
        committed = c.query("SELECT count(*) FROM tracks")[0][0]
        # crashme is queued after every file of a/, with at most 64 reads in
        # flight, so at least 537 of a/ were written; batches commit every
        # 256 writes or 200 ms, so fewer than 256 of those can be lost.
        # (More are in when the machine is fast enough that no batch is cut
        # by age.)
        assert committed >= 600 - 63 - 255, committed
        p = c.rescan()
        assert f"{r}/b/crashme.ogg: the tag reader crashed on this file" in p.stderr, p.stderr
        tracks = c.tracks()
        assert len(tracks) == 602, len(tracks)
        crashed = tracks[f"{r}/b/crashme.ogg"]
        assert crashed["length"] is None and crashed["tags"] == {}, crashed
        # Once the file changes it is read again.
        os.utime(f"{r}/b/crashme.ogg", ns=(0, 10**18))
        c.rescan()
        assert c.tracks()[f"{r}/b/crashme.ogg"]["length"] == 2


@test
def a_reader_holding_a_snapshot_does_not_stop_the_rescan():
    with Collection([("music", "utf-8")]) as c:
        r = c.roots["music"]
        put(f"{r}/a.mp3", "mp3")
        c.rescan()
        put(f"{r}/b.mp3", "mp3")
        db = sqlite3.connect(os.path.join(c.home, "disorder.db"), isolation_level=None)
        try:
            db.execute("BEGIN")
            assert db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 1
            c.give_back_home()
            c.rescan()
            # The snapshot still sees the old state; a new one the new.
            assert db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 1
            db.execute("COMMIT")
            assert db.execute("SELECT count(*) FROM tracks").fetchone()[0] == 2
        finally:
            db.close()
            c.give_back_home()


@test
def command_line_and_configuration_errors():
    p = subprocess.run([RESCAN, "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and "--progress" in p.stdout, p
    p = subprocess.run([RESCAN, "--version"], capture_output=True, text=True)
    assert p.returncode == 0 and "disorder-rescan version" in p.stdout, p
    p = subprocess.run([RESCAN, "--no-such-option"], capture_output=True, text=True)
    assert p.returncode == 2, p
    with Collection([("music", "utf-8")]) as c:
        c.write_config(f"home {c.home}\ncollection nosuchmodule {c.roots['music']}\n"
                       + ("user nobody\n" if AS_ROOT else ""))
        p = c.rescan(check=False)
        assert p.returncode == 1 and "nosuchmodule" in p.stderr, p
        c.write_config(f"home {c.home}\nthis is not an option\n")
        p = c.rescan(check=False)
        assert p.returncode == 1 and "config" in p.stderr, p
        # With syslog chosen, the reason still reaches stderr.
        p = subprocess.run([RESCAN, "--syslog", "--config", c.config], capture_output=True,
                           text=True)
        assert p.returncode == 1 and "ERROR" in p.stderr, p


if __name__ == "__main__":
    run_tests()
