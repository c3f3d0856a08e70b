#!/usr/bin/env python3
"""The disorder CLI's conveniences against a real disorderd: status (and
disorder alone on a terminal), queue/playing/recent --long, watch, play-dir,
play-playlist, queue-clear, the JSON form of every listing command, and the
bash completion script."""
import json
import os
import pty
import re
import select
import subprocess
import time

import audio
from audio import Events
from harness import DISORDER, Server, free_udp_port, run_tests, test, track_info as raw

# A fixed zone three hours east of UTC, so that clock times are known
# whatever the machine's zone (a POSIX TZ string: no zone files).
TZ = "XYZ-3"
SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPLETION = os.path.join(SRCDIR, "completion", "disorder.bash")
DASH = "\u2013"


def env_for(server, user=None, password=None):
    e = server.cli_env(user, password, tag="status-")
    e["TZ"] = TZ
    return e


def cli(server, *args, check=True, user=None, password=None, input=None):
    """The CLI as root (privileged socket) or as user, in zone TZ."""
    if user is None:
        args = ("--user", "root") + args
    p = subprocess.run([DISORDER, *args], env=env_for(server, user, password),
                       capture_output=True, text=True, timeout=30, input=input)
    if check and p.returncode != 0:
        raise AssertionError(f"disorder {args} exited {p.returncode}: {p.stderr}")
    return p


def out(server, *args, **kw):
    return cli(server, *args, **kw).stdout


def clock(seconds):
    """A time of day as the CLI prints it under TZ."""
    return time.strftime("%H:%M:%S", time.gmtime(int(seconds) + 3 * 3600))


def seconds_of(hms):
    h, m, s = (int(x) for x in hms.split(":"))
    return h * 3600 + m * 60 + s


def named_jukebox():
    """A jukebox whose tracks have artists and titles: ARTIST/NN TITLE.wav."""
    return audio.Jukebox(
        'namepart title "/([0-9]+ *[-:]? *)?([^/]+)[.][a-zA-Z0-9]+$" $2 display\n'
        'namepart artist "/([^/]+)/[^/]+$" $1 display\n')


@test
def status_shows_the_playing_track_the_switches_and_the_next_five():
    with named_jukebox() as s:
        a = s.track("Amy/01 Long Song.wav", 30.0)
        others = [s.track(f"Bob/0{i} Tune {i}.wav", float(i)) for i in range(2, 9)]
        s.rescan()
        events = Events(s)
        cli(s, "disable", "random-disable", "set-volume", "40", "60")
        # nothing playing, nothing queued
        assert out(s, "status") == ("nothing playing\n"
                                    "volume 40 60   playing disabled   random play disabled\n"
                                    "queue empty\n"), out(s, "status")
        cli(s, "play", a, *others)
        cli(s, "enable")
        events.wait("playing", a, "root")
        cli(s, "pause")
        events.wait("state", "pause")
        [p] = raw(s, "playing")
        sofar = int(p["sofar"])
        before = time.time()
        text = out(s, "status")
        after = time.time()
        lines = text.splitlines()
        assert lines[:4] == [f"Amy {DASH} Long Song (root)", f"[paused] 0:{sofar:02d}/0:30",
                             "volume 40 60   playing enabled   random play disabled",
                             "next:"], text
        assert len(lines) == 10 and lines[9] == "  and 2 more", text
        starts = []
        for i, line in enumerate(lines[4:9]):
            n = i + 2
            m = re.fullmatch(r"  (\d\d:\d\d:\d\d)  (.*)", line)
            assert m and m.group(2) == f"Bob {DASH} Tune {n} (root)", text
            starts.append(seconds_of(m.group(1)))
        # The first starts when the paused track's remaining 30 - sofar
        # seconds have played, counted from the query; each next one the
        # length of the one before later.
        first = [seconds_of(clock(t + 30 - sofar)) for t in (before, after)]
        # (modulo a day: the times are clock times)
        day = 86400
        assert (starts[0] - first[0]) % day <= (first[1] - first[0]) % day, (starts, first)
        assert [(b - a) % day for a, b in zip(starts, starts[1:])] == [2, 3, 4, 5], starts
        # --json: the same as one object
        st = json.loads(out(s, "--json", "status"))
        assert st["playing"]["track"] == a and st["playing"]["name"] == f"Amy {DASH} Long Song"
        assert st["playing"]["length"] == 30 and st["playing"]["sofar"] == sofar, st
        assert st["paused"] is True and st["enabled"] is True and st["random_enabled"] is False
        assert st["volume"] == {"left": 40, "right": 60} and st["queued"] == 7, st
        assert [e["track"] for e in st["next"]] == others[:5], st
        assert [e["length"] for e in st["next"]] == [2, 3, 4, 5, 6], st
        assert [b["start"] - a["start"] for a, b in zip(st["next"], st["next"][1:])] == \
            [2, 3, 4, 5], st
        # Playing disabled: nothing will start, so no times.
        cli(s, "disable")
        lines = out(s, "status").splitlines()
        assert lines[4] == f"  --:--:--  Bob {DASH} Tune 2 (root)", lines
        assert json.loads(out(s, "--json", "status"))["next"][0]["start"] is None
        events.close()


@test
def disorder_alone_is_silent_for_scripts_and_shows_the_status_on_a_terminal():
    with named_jukebox() as s:
        s.track("Amy/01 Song.wav", 1.0)
        s.rescan()
        cli(s, "disable")
        p = cli(s)
        assert (p.returncode, p.stdout, p.stderr) == (0, "", ""), p
        # On a terminal: what status prints.
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([DISORDER, "--user", "root"], env=env_for(s),
                                    stdout=slave, stderr=subprocess.PIPE)
            os.close(slave)
            slave = None
            got = b""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                r, _, _ = select.select([master], [], [], 1)
                if r:
                    try:
                        chunk = os.read(master, 4096)
                    except OSError:  # the terminal's last writer has gone
                        break
                    if not chunk:
                        break
                    got += chunk
                elif proc.poll() is not None:
                    break
            assert proc.wait(timeout=30) == 0, proc.stderr.read()
            proc.stderr.close()
        finally:
            os.close(master)
            if slave is not None:
                os.close(slave)
        want = out(s, "status")
        assert got.decode().replace("\r\n", "\n") == want, (got, want)
        assert want.startswith("nothing playing\n"), want


@test
def long_listings_show_lengths_and_elapsed_time():
    with named_jukebox() as s:
        a = s.track("Amy/01 Long Song.wav", 30.0)
        b = s.track("Bob/02 Short one.wav", 3.0)
        s.rescan()
        events = Events(s)
        cli(s, "disable", "play", a, b)
        q = raw(s, "queue")
        assert out(s, "--table", "queue", "--long") == (
            f"{q[0]['id']}  unplayed  picked  root  0:30  {a}\n"
            f"{q[1]['id']}  unplayed  picked  root  0:03  {b}\n")
        text = out(s, "queue", "--long")
        assert text.count("  length 0:30\n") == 1 and text.endswith("  length 0:03\n"), text
        assert [e["length"] for e in json.loads(out(s, "--json", "queue", "--long"))] == [30, 3]
        # without --long, as before
        assert "length" not in out(s, "queue") and "length" not in out(s, "--json", "queue")
        cli(s, "enable")
        events.wait("playing", a, "root")
        cli(s, "pause")
        events.wait("state", "pause")
        [p] = raw(s, "playing")
        sofar = int(p["sofar"])
        assert out(s, "--table", "playing", "--long") == (
            f"{p['id']}  paused  picked  root  0:{sofar:02d}/0:30  {a}\n")
        assert out(s, "playing", "--long").endswith(
            f"  {sofar}s so far  paused\n  elapsed 0:{sofar:02d} of 0:30\n")
        assert json.loads(out(s, "--json", "playing", "--long"))["length"] == 30
        # --long is playing's flag here, not a command: version follows
        lines = out(s, "--table", "playing", "--long", "version").splitlines()
        assert len(lines) == 2 and lines[0].endswith(a), lines
        events.close()


class Watch:
    """disorder watch (or another command that goes on) as a child, its
    output read a line at a time with a deadline."""

    def __init__(self, server, *options, command="watch"):
        self.proc = subprocess.Popen([DISORDER, "--user", "root", *options, command],
                                     env=env_for(server), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.pending = b""

    def line(self, timeout=20):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line from watch; so far {self.pending!r}")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    raise AssertionError("watch ended: " + self.proc.stderr.read().decode())
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode()

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()


def timed(line):
    """The text of a watch line, after checking its time is now's."""
    m = re.fullmatch(r"(\d\d:\d\d:\d\d) (.*)", line)
    assert m, line
    now = seconds_of(clock(time.time()))
    assert abs(seconds_of(m.group(1)) - now) <= 30 or abs(seconds_of(m.group(1)) - now) > 86000, \
        line
    return m.group(2)


def expect(w, text):
    line = timed(w.line())
    assert line == text, (line, text)


@test
def watch_prints_events_as_they_happen():
    with named_jukebox() as s:
        a = s.track("Amy/01 Long Song.wav", 30.0)
        b = s.track("Bob/02 Short one.wav", 0.5)
        s.rescan()
        s.add_user("bob", "bobpw", "read,play,remove_mine")
        cli(s, "disable", "random-disable", "set-volume", "80", "80")
        w = Watch(s)
        try:
            # The first line sums up the state: the watch follows the log.
            expect(w, "playing disabled, random play disabled, volume 80 80")
            cli(s, "play", a, user="bob", password="bobpw")
            expect(w, f"queued Amy {DASH} Long Song by bob")
            cli(s, "enable")
            expect(w, "playing enabled")
            expect(w, f"playing Amy {DASH} Long Song (bob)")
            cli(s, "pause")
            expect(w, "paused")
            cli(s, "resume", "set-volume", "50", "40")
            expect(w, "resumed")
            expect(w, "volume 50 40")
            cli(s, "play", b)
            expect(w, f"queued Bob {DASH} Short one by root")
            [q] = raw(s, "queue")
            cli(s, "remove", q["id"])
            expect(w, f"removed Bob {DASH} Short one by root")
            cli(s, "scratch")
            expect(w, f"scratched Amy {DASH} Long Song by root")
            cli(s, "set-global", "colour", "blue")
            expect(w, "global preference colour set to blue")
        finally:
            w.close()
        # An entry queued before the watch started is named when removed.
        cli(s, "disable", "play", b)
        [q] = raw(s, "queue")
        w = Watch(s)
        try:
            expect(w, "playing disabled, random play disabled, volume 50 40")
            # a refused removal is no event
            assert cli(s, "remove", q["id"], user="bob", password="bobpw",
                       check=False).returncode == 1
            cli(s, "remove", q["id"])
            expect(w, f"removed Bob {DASH} Short one by root")
        finally:
            w.close()
        cli(s, "enable")
        # --json: an object per event
        w = Watch(s, "--json")
        try:
            first = json.loads(w.line())
            assert first["event"] == "now" and first["args"] == ["50", "40"], first
            assert abs(first["time"] - time.time()) < 30, first
            cli(s, "play", b, user="bob", password="bobpw")
            e = json.loads(w.line())
            assert e["event"] == "queue" and e["track"] == b, e
            assert e["name"] == f"Bob {DASH} Short one", e
            assert e["text"] == f"queued Bob {DASH} Short one by bob", e
            e = json.loads(w.line())
            assert (e["event"], e["args"], e["text"]) == (
                "playing", [b, "bob"], f"playing Bob {DASH} Short one (bob)"), e
        finally:
            w.close()


@test
def play_dir_and_play_playlist_queue_in_order():
    with named_jukebox() as s:
        album = os.path.join(s.music, "Amy", "Some Album")
        t = [s.track("Amy/Some Album/02 b.wav"), s.track("Amy/Some Album/01 a.wav"),
             s.track("Amy/Some Album/CD 2/01 c.wav"), s.track("Amy/Some Album/03 d.wav"),
             s.track("Amy/Some Album/CD 1/01 e.wav")]
        s.track("Bob/01 other.wav")
        s.rescan()
        s.add_user("amy", "amypw", "read,play")
        s.add_user("guest2", "gpw", "read")
        cli(s, "disable")
        cli(s, "play-dir", album, user="amy", password="amypw")
        want = [t[1], t[0], t[3], t[4], t[2]]  # 01, 02, 03, CD 1/, CD 2/
        assert [e["track"] for e in raw(s, "queue")] == want
        assert all(e["submitter"] == "amy" for e in raw(s, "queue"))
        p = cli(s, "play-dir", album, user="guest2", password="gpw", check=False)
        assert p.returncode == 1 and p.stderr == "disorder: Prohibited: needs the 'play' right\n", p
        p = cli(s, "play-dir", os.path.join(s.music, "Amy", "Some Album", "CD 1", "nothing"),
                check=False)
        assert p.returncode == 1 and p.stderr.startswith("disorder: "), p
        cli(s, "queue-clear", "--all")
        assert raw(s, "queue") == []
        # a playlist, in its own order
        cli(s, "playlist-set", "amy.mix", user="amy", password="amypw",
            input=f"{t[3]}\n{t[0]}\n")
        cli(s, "play-playlist", "amy.mix", user="amy", password="amypw")
        assert [e["track"] for e in raw(s, "queue")] == [t[3], t[0]]
        cli(s, "playlist-set", "amy.empty", user="amy", password="amypw", input="")
        p = cli(s, "play-playlist", "amy.empty", user="amy", password="amypw", check=False)
        assert (p.returncode, p.stderr) == (1, "disorder: playlist amy.empty is empty\n"), p


@test
def queue_clear_removes_ones_own_entries_or_all_with_the_right():
    with named_jukebox() as s:
        tracks = [s.track(f"Amy/0{i} t{i}.wav") for i in range(1, 7)]
        s.rescan()
        s.add_user("amy", "amypw", "read,play,remove_mine")
        s.add_user("bob", "bobpw", "read,play,remove_mine")
        s.add_user("eve", "evepw", "read,play")
        s.add_user("boss", "bosspw", "read,play,remove_any")
        cli(s, "disable")
        cli(s, "play", tracks[0], tracks[1], user="amy", password="amypw")
        cli(s, "play", tracks[2], user="bob", password="bobpw")
        cli(s, "play", tracks[3], user="amy", password="amypw")
        cli(s, "play", tracks[4], user="eve", password="evepw")
        cli(s, "queue-clear", user="amy", password="amypw")
        assert [e["track"] for e in raw(s, "queue")] == [tracks[2], tracks[4]]
        # without the right: a clear refusal, nothing removed
        p = cli(s, "queue-clear", user="eve", password="evepw", check=False)
        assert (p.returncode, p.stderr) == (
            1, "disorder: queue-clear needs the 'remove mine' right\n"), p
        p = cli(s, "queue-clear", "--all", user="bob", password="bobpw", check=False)
        assert (p.returncode, p.stderr) == (
            1, "disorder: queue-clear --all needs the 'remove any' right\n"), p
        assert len(raw(s, "queue")) == 2
        # nothing of one's own: nothing happens
        cli(s, "queue-clear", user="boss", password="bosspw")
        assert len(raw(s, "queue")) == 2
        cli(s, "queue-clear", "--all", user="boss", password="bosspw")
        assert raw(s, "queue") == []
        assert "queue-clear [--all]" in out(s, "--help-commands")


# The commands that print nothing when they succeed: every other command
# of the table prints a list or a record, and must have a JSON form.
SILENT = {
    "adduser", "adopt", "authorize", "deluser", "disable", "disable-random", "edituser",
    "enable", "enable-random", "move", "moveafter", "nop", "pause", "play", "play-dir",
    "play-playlist", "playafter", "playlist-del", "playlist-set", "queue-clear",
    "random-disable", "random-enable", "reconfigure", "reminder", "remove", "rescan", "resume",
    "revoke", "schedule-del", "schedule-play", "schedule-set-global", "schedule-unset-global",
    "scratch", "scratch-id", "set", "set-global", "set-volume", "setup-guest", "shutdown",
    "unset", "unset-global",
    # Streams, tested on their own: one value per event.
    "log", "watch",
}


@test
def every_listing_command_has_a_json_form():
    with named_jukebox() as s:
        a = s.track("Amy/01 Long Song.wav", 30.0)
        b = s.track("Bob/02 Short one.wav", 3.0)
        s.rescan()
        events = Events(s)
        cli(s, "disable", "random-disable", "play", a, b, "set", a, "weight", "7",
            "set-global", "colour", "blue")
        cli(s, "playlist-set", "mix", input=f"{b}\n{a}\n")
        when = int(time.time()) + 3600
        cli(s, "schedule-play", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when + 3 * 3600)),
            "normal", b)
        table = out(s, "--help-commands")
        names = set(re.findall(r"^  ([a-z][a-z-]*)", table, re.M))
        checks = {
            "allfiles": (["allfiles", s.music], lambda v: sorted(v) == [f"{s.music}/Amy",
                                                                        f"{s.music}/Bob"]),
            "dirs": (["dirs", s.music], lambda v: v == [f"{s.music}/Amy", f"{s.music}/Bob"]),
            "files": (["files", f"{s.music}/Amy"], lambda v: v == [a]),
            "enabled": (["enabled"], lambda v: v is False),
            "random-enabled": (["random-enabled"], lambda v: v is False),
            "exists": (["exists", a], lambda v: v is True),
            "get": (["get", a, "weight"], lambda v: v == "7"),
            "get-global": (["get-global", "colour"], lambda v: v == "blue"),
            "get-volume": (["get-volume"], lambda v: set(v) == {"left", "right"}),
            "length": (["length", a], lambda v: v == "30"),
            "make-cookie": (["make-cookie"], lambda v: isinstance(v, str) and v),
            "new": (["new"], lambda v: sorted(v) == [a, b]),
            "part": (["part", a, "display", "artist"], lambda v: v == "Amy"),
            "playing": (["playing"], lambda v: v is None),
            "playlist-get": (["playlist-get", "mix"], lambda v: v == [b, a]),
            "playlists": (["playlists"], lambda v: v == ["mix"]),
            "prefs": (["prefs", a], lambda v: v.get("weight") == "7"),
            "queue": (["queue"], lambda v: [e["track"] for e in v] == [a, b]),
            "recent": (["recent"], lambda v: v == []),
            "resolve": (["resolve", a], lambda v: v == a),
            "schedule-list": (["schedule-list"], lambda v: len(v) == 1 and v[0]["when"] == when
                              and v[0]["track"] == b and v[0]["action"] == "play"
                              and v[0]["who"] == "root" and v[0]["priority"] == "normal"),
            "search": (["search", "long"], lambda v: v == [a]),
            "stats": (["stats"], lambda v: isinstance(v, list) and v),
            "status": (["status"], lambda v: v["playing"] is None and len(v["next"]) == 2),
            "tags": (["tags"], lambda v: v == []),
            "userinfo": (["userinfo", "root", "rights"], lambda v: "admin" in v),
            "users": (["users"], lambda v: v == ["root"]),
            "version": (["version"], lambda v: isinstance(v, str) and v),
        }
        # rtp-address and rtp-sdp need an RTP stream (below); rtp-listeners
        # prints one object a line, none here (see rtp_sync_test).
        special = {"rtp-address", "rtp-sdp", "rtp-listeners"}
        assert names - SILENT - special == set(checks), sorted(names - SILENT - special
                                                               ^ set(checks))
        for name, (args, ok) in checks.items():
            lines = out(s, "--json", *args).splitlines()
            assert len(lines) == 1, (name, lines)
            value = json.loads(lines[0])
            assert ok(value), (name, value)
        assert out(s, "--json", "rtp-listeners") == ""
        # the raw log as arrays of fields
        log = Watch(s, "--json", command="log")
        try:
            first = json.loads(log.line())
            assert first[1:] == ["state", "disable_play"], first
            assert int(first[0], 16) > 0, first
        finally:
            log.close()
        events.close()
    port = free_udp_port()
    with Server(f"broadcast 127.0.0.1 {port}\n") as s:
        assert json.loads(out(s, "--json", "rtp-address")) == {"address": "127.0.0.1",
                                                                "port": str(port)}
        sdp = json.loads(out(s, "--json", "rtp-sdp"))
        assert sdp[0] == "v=0" and any(line.startswith("m=audio ") for line in sdp), sdp


def complete(server, *words, cword=None):
    """The candidates the completion function gives for the command line
    WORDS, the cursor in the last word (or word `cword`)."""
    words = list(words)
    cword = len(words) - 1 if cword is None else cword
    script = ("source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=" + str(cword) +
              "; COMP_LINE=\"$*\"; COMP_POINT=${#COMP_LINE}; _disorder; "
              "printf '%s\\n' \"${COMPREPLY[@]}\"")
    e = env_for(server)
    e["PATH"] = os.path.dirname(DISORDER) + os.pathsep + e.get("PATH", "")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "bash", COMPLETION,
                        *words], env=e, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p
    return [x for x in p.stdout.split("\n") if x]


@test
def bash_completion_of_commands_options_and_tracks():
    with named_jukebox() as s:
        a = s.track("Amy/01 Long Song.wav")
        s.track("Amy/02 Other.wav")
        s.track("Bob/x.wav")
        s.rescan()
        cli(s, "playlist-set", "mix", input=f"{a}\n")
        assert complete(s, "disorder", "play") == ["play", "play-dir", "play-playlist",
                                                   "playafter", "playing", "playlist-del",
                                                   "playlist-get", "playlist-set", "playlists"]
        assert sorted(complete(s, "disorder", "--us")) == ["--user", "--user-config"]
        assert complete(s, "disorder", "--user", "root", "que") == ["queue", "queue-clear"]
        assert complete(s, "disorder", "queue", "--l") == ["--long"]
        assert complete(s, "disorder", "queue-clear", "--") == ["--all"]
        assert complete(s, "disorder", "play-playlist", "m") == ["mix"]
        # Tracks and directories of the collection, spaces quoted.
        assert complete(s, "disorder", "play", s.music + "/") == [
            s.music + "/Amy/", s.music + "/Bob/"]
        assert complete(s, "disorder", "play", s.music + "/Amy/01") == [
            s.music + "/Amy/01\\ Long\\ Song.wav"]
        assert sorted(complete(s, "disorder", "--user", "root", "play", s.music + "/Amy/0")) == [
            s.music + "/Amy/01\\ Long\\ Song.wav", s.music + "/Amy/02\\ Other.wav"]
        # a word already quoted
        assert complete(s, "disorder", "length", s.music + "/Amy/01\\ Lo") == [
            s.music + "/Amy/01\\ Long\\ Song.wav"]
        # after a track, another command may follow
        assert "version" in complete(s, "disorder", "play", a, "ver")


run_tests()
