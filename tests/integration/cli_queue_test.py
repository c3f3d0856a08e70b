#!/usr/bin/env python3
"""The disorder command line's queue and playing commands against a real
disorderd that plays through the command backend: what queue, recent and
playing print (in the --table form) after plays, moves, removals, scratches,
pauses and adoption, the volume (applied to the samples in software), and the
refusals a user sees."""
import os
import re

import audio
from audio import Events, tone, write_wav
from harness import closing, fields, run_tests, test


class Jukebox(audio.Jukebox):
    """A Jukebox with the CLI at hand."""

    def as_root(self, *args, check=True):
        return self.cli("--user", "root", *args, check=check)

    def as_user(self, user, *args, check=True):
        return self.cli(*args, user=user, password=user + "pw", check=check)

    def listing(self, command="queue", user=None):
        """What `disorder --table queue` (or recent, playing) prints, as
        (id, state, origin, submitter, track) tuples."""
        p = self.as_user(user, "--table", command) if user else self.as_root("--table", command)
        return [tuple(line.split(None, 4)) for line in p.stdout.splitlines()]


def refused(p, message):
    """The CLI failed with exit status 1 and the server's message."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stderr.startswith("disorder: ") and message in p.stderr, p.stderr


ID = re.compile(r"^[0-9a-f]{12}$")


@test
def queue_lists_entries_in_aligned_columns_next_first_with_table():
    with Jukebox() as s:
        t1 = s.track("A/01 first track.wav")
        t2 = s.track("A/02 second.wav")
        t3 = s.track("B/third one.wav")
        s.rescan()
        s.add_user("amy", "amypw", "read,play")
        s.add_user("bo", "bopw", "read,play")
        s.as_root("disable")
        assert s.as_root("queue").stdout == ""
        assert s.as_root("recent").stdout == ""
        p = s.as_root("--table", "playing")
        assert p.stdout == "" and p.stderr == "", p
        # play prints nothing; several tracks are queued in order
        p = s.as_user("amy", "play", t1, t2)
        assert p.stdout == "" and p.stderr == "", p
        # the ID of each queued track is in the --debug trace
        p = s.cli("--debug", "play", t3, user="bo", password="bopw")
        traced = re.findall(r"^< 252 (\S+)$", p.stderr, re.M)
        assert len(traced) == 1 and p.stdout == "", p
        out = s.as_root("--table", "queue").stdout
        q = [tuple(line.split(None, 4)) for line in out.splitlines()]
        assert [e[1:] for e in q] == [("unplayed", "picked", "amy", t1),
                                      ("unplayed", "picked", "amy", t2),
                                      ("unplayed", "picked", "bo", t3)], out
        assert all(ID.match(e[0]) for e in q) and q[2][0] == traced[0], q
        # columns are padded to line up, two spaces apart, the track last
        assert out.splitlines()[2] == f"{q[2][0]}  unplayed  picked  bo   {t3}", out
        assert len({line.index("/") for line in out.splitlines()}) == 1, out
        # the same IDs and order as the protocol's own queue listing
        with closing(s.root()) as r:
            raw = [fields(l) for l in r.ok("queue")[1]]
        assert [(e["id"], e["track"]) for e in raw] == [(e[0], e[4]) for e in q]
        # several commands on one command line, output in order
        p = s.as_root("--table", "enabled", "queue")
        assert p.stdout == "no\n" + out, p.stdout


@test
def move_moveafter_playafter_and_remove_reorder_the_queue():
    with Jukebox() as s:
        names = [s.track(f"t{i}.wav") for i in range(6)]
        s.rescan()
        s.add_user("amy", "amypw", "read,play,move_mine,remove_mine")
        s.add_user("bo", "bopw", "read,play,move_mine,remove_mine")
        s.as_root("disable")
        s.as_user("amy", "play", *names[:3])
        a, b, c = [e[0] for e in s.listing()]

        def order():
            return [e[0] for e in s.listing()]
        s.as_user("amy", "move", c, "2")
        assert order() == [c, a, b]
        # a negative distance needs no "--": options end at the first command
        s.as_user("amy", "move", c, "-1")
        assert order() == [a, c, b]
        # by name as well as by ID
        s.as_user("amy", "move", names[1], "5")
        assert order() == [b, a, c]
        s.as_user("amy", "moveafter", "", c, a)
        assert order() == [c, a, b]
        s.as_user("amy", "moveafter", c, b)
        assert order() == [c, b, a]
        # playafter puts the tracks, in order, after the target
        s.as_user("amy", "playafter", b, names[3], names[4])
        q = s.listing()
        assert [e[4] for e in q] == [names[2], names[1], names[3], names[4], names[0]], q
        d, e_ = q[2][0], q[3][0]
        s.as_user("amy", "playafter", "", names[5])
        q = s.listing()
        assert q[0][4] == names[5] and q[0][1:4] == ("unplayed", "picked", "amy"), q
        f = q[0][0]
        # two commands on one line; the second removes by name
        s.as_user("amy", "remove", f, "remove", names[4])
        assert order() == [c, b, d, a], order()
        # bo may move and remove only his own tracks
        refused(s.as_user("bo", "remove", a, check=False), "Prohibited")
        refused(s.as_user("bo", "move", a, "1", check=False), "Prohibited")
        refused(s.as_user("bo", "moveafter", "", d, check=False), "Prohibited")
        assert order() == [c, b, d, a]
        s.as_user("bo", "play", names[5])
        g = order()[-1]
        s.as_user("bo", "move", g, "1")
        assert order() == [c, b, d, g, a]
        s.as_user("bo", "remove", g)
        assert order() == [c, b, d, a]
        # what does not exist
        refused(s.as_root("remove", "0123456789ab", check=False), "no such queue entry")
        refused(s.as_root("move", a, "up", check=False), "invalid move distance")
        refused(s.as_root("moveafter", "0123456789ab", a, check=False), "no such queue entry")
        refused(s.as_root("playafter", "0123456789ab", names[0], check=False),
                "no such queue entry")
        refused(s.as_user("amy", "play", names[0], "/no/such.wav", check=False),
                "no such track")
        # the tracks before the bad one were queued; the command stopped there
        assert [x[4] for x in s.listing()][-1] == names[0]
        # a command without its arguments is a usage error: nothing is sent
        p = s.as_root("moveafter", a, check=False)
        assert p.returncode == 2 and "moveafter TARGET ID..." in p.stderr, p.stderr
        assert e_ not in order()


@test
def playing_pause_resume_scratch_and_recent():
    with Jukebox() as s:
        long_a = s.track("long a.wav", 20.0, 440)
        short_b = s.track("short b.wav", 0.3, 660)
        s.rescan()
        s.add_user("amy", "amypw", "read,play,pause,scratch_mine")
        s.add_user("bo", "bopw", "read,play,scratch_mine")
        s.add_user("cy", "cypw", "read,play")
        events = Events(s)
        s.as_root("disable")
        s.as_user("amy", "play", long_a, short_b)
        ida, idb = [e[0] for e in s.listing()]
        s.as_root("enable")
        events.wait("playing", long_a, "amy")
        assert s.listing("playing") == [(ida, "started", "picked", "amy", long_a)]
        assert s.listing(user="amy") == [(idb, "unplayed", "picked", "amy", short_b)]
        s.as_user("amy", "pause")
        events.wait("state", "pause")
        assert s.listing("playing")[0][1] == "paused"
        s.as_user("amy", "pause")  # already paused: not an error
        refused(s.as_user("bo", "resume", check=False), "Prohibited")
        s.as_user("amy", "resume")
        events.wait("state", "resume")
        assert s.listing("playing")[0][1] == "started"
        s.as_user("amy", "resume")  # not paused: not an error
        # scratch rights are per entry: bo may scratch his own tracks only,
        # cy none at all
        refused(s.as_user("bo", "scratch", check=False), "Prohibited")
        refused(s.as_user("cy", "scratch", check=False), "Prohibited")
        # an ID that is not playing: nothing happens, and no error (DisOrder)
        s.as_user("amy", "scratch-id", idb)
        assert [e[0] for e in s.listing()] == [idb]
        s.as_user("amy", "scratch-id", ida)
        events.wait("scratched", long_a, "amy")
        events.wait("completed", short_b)
        events.wait("state", "completed")
        assert s.as_root("playing").stdout == "nothing\n"
        assert s.listing() == []
        # oldest first, with how each ended
        assert s.listing("recent") == [(ida, "scratched", "picked", "amy", long_a),
                                       (idb, "ok", "picked", "amy", short_b)]
        # nothing to scratch or pause is no failure, as on DisOrder
        s.as_root("scratch")
        s.as_root("pause")
        events.close()


@test
def disable_now_stops_the_playing_track():
    with Jukebox() as s:
        a = s.track("a.wav", 20.0)
        b = s.track("b.wav", 20.0)
        s.rescan()
        events = Events(s)
        s.as_root("disable", "play", a, b, "enable")
        events.wait("playing", a)
        ida = s.listing("playing")[0][0]
        s.as_root("disable", "now")
        events.wait("scratched", a, "root")
        assert s.as_root("playing", "enabled").stdout == "nothing\nno\n"
        assert s.listing("recent") == [(ida, "scratched", "picked", "root", a)]
        assert [e[4] for e in s.listing()] == [b]
        # only "now" is disable's argument; another word is the next command
        p = s.as_root("disable", "later", check=False)
        assert p.returncode == 2 and "'later' is not a command, nor an argument that 'disable' " \
            "takes" in p.stderr, p.stderr
        events.close()


@test
def adopt_makes_a_random_pick_yours():
    with Jukebox("queue_pad 2\n") as s:
        for i in range(4):
            s.track(f"r{i}.wav")
        s.add_user("amy", "amypw", "read,play")
        s.as_root("disable")
        s.rescan()
        # The end of a rescan does not top the queue up by itself (yet):
        # enabling random play does, before it replies.
        s.as_root("random-enable")
        q = s.listing()
        assert len(q) == 2, q
        assert all(e[1:4] == ("unplayed", "random", "-") for e in q), q
        s.as_user("amy", "adopt", q[1][0])
        after = s.listing()
        assert after[1] == (q[1][0], "unplayed", "adopted", "amy", q[1][4]), after
        assert after[0] == q[0]
        refused(s.as_user("amy", "adopt", q[1][0], check=False),
                "only randomly picked tracks can be adopted")
        refused(s.as_user("amy", "adopt", "0123456789ab", check=False), "no such queue entry")


@test
def volume_is_reported_set_and_applied_to_the_samples():
    with Jukebox() as s:
        t = tone(500, 0.5)
        path = os.path.join(s.music, "v.wav")
        write_wav(path, t)
        s.rescan()
        s.add_user("amy", "amypw", "read,play")
        assert s.as_user("amy", "get-volume").stdout == "100 100\n"
        refused(s.as_user("amy", "set-volume", "50", "50", check=False), "Prohibited")
        # one value sets both sides
        assert s.as_root("set-volume", "40", "get-volume").stdout == "40 40\n"
        refused(s.as_root("set-volume", "101", "0", check=False), "from 0 to 100")
        assert s.as_root("set-volume", "0", "100", "get-volume").stdout == "0 100\n"
        events = Events(s)
        s.as_user("amy", "play", path)
        events.wait("completed", path)
        out = s.output_samples()
        left, right = out[0::2], out[1::2]
        # the left side is silent, the right one untouched, sample for sample
        assert not any(left), "left channel not muted"
        want = t[1::2].tobytes()
        assert want in right.tobytes(), "right channel changed"
        events.close()


run_tests()
