#!/usr/bin/env python3
"""Scheduled events against a real disorderd: schedule-add, schedule-del,
schedule-get and schedule-list over the raw protocol (events that fire at
their time, what a restart and kill -9 keep, what happens to events that
fell due while the server was down, rights and ownership, bad input), and
the schedule commands of the disorder CLI."""
import re
import time

import audio
from harness import closing, fields, run_tests, split, test, wait_for


class Jukebox(audio.Jukebox):
    """A Jukebox that does not play (what a scheduled play queues stays in
    the queue to be looked at), with users and the CLI at hand."""

    def start(self, preexec=None):
        super().start(preexec)
        with closing(self.root()) as r:
            r.ok("disable")
        return self

    def as_user(self, user, *args, check=True):
        return self.cli(*args, user=user, password=user + "pw", check=check)

    def user(self, name, rights=None):
        self.add_user(name, name + "pw", rights)
        return self.connect(name, name + "pw")

    def restart(self, kill=False):
        if kill:
            self.proc.kill()
            self.proc.wait()
            self.log.close()
            self.proc = None
        else:
            self.stop()
        self.start()


def event(c, id):
    """schedule-get as a dict."""
    text, body = c.ok("schedule-get", id)
    out = {}
    for line in body:
        k, v = split(line)
        out[k] = v
    return out


def queued(s):
    with closing(s.root()) as r:
        return [fields(line) for line in r.ok("queue")[1]]


def global_pref(c, key):
    code, text, _ = c.command("get-global", key)
    if code == 555:
        return None
    assert code == 252, (code, text)
    return split(text)[0]


def soon(seconds=2):
    """A time a few seconds from now, as the protocol gives it."""
    return int(time.time()) + seconds


def wait_until_past(when):
    """Waits until the wall clock has passed `when` (a timestamp)."""
    wait_for(lambda: time.time() >= when + 1, f"time {when} to pass", timeout=30)


@test
def a_play_event_queues_the_track_as_its_owner_at_its_time():
    with Jukebox() as s:
        track = s.track("A/scheduled one.wav")
        s.rescan()
        with closing(s.user("alice")) as alice:
            when = soon(3)
            id, _ = alice.ok("schedule-add", str(when), "normal", "play", track)
            id = split(id)[0]
            assert id in alice.ok("schedule-list")[1]
            assert event(alice, id) == {"action": "play", "when": str(when), "who": "alice",
                                        "priority": "normal", "track": track}
            assert not any(e["track"] == track for e in queued(s))
            entry = wait_for(lambda: next((e for e in queued(s) if e["track"] == track), None),
                             "the scheduled track in the queue", timeout=20)
            assert entry["submitter"] == "alice", entry
            assert entry["origin"] == "scheduled", entry
            assert int(entry["when"]) >= when, (entry, when)
            # It ran once, and is gone.
            assert alice.ok("schedule-list")[1] == []
            code, text, _ = alice.command("schedule-get", id)
            assert code == 555 and "no such event" in text, (code, text)
            assert [e["track"] for e in queued(s)] == [track]


@test
def set_global_events_set_and_unset_a_preference_at_their_time():
    with Jukebox() as s:
        with closing(s.root()) as r:
            r.ok("set-global", "gone-later", "here")
            when = soon(2)
            set_id = split(r.ok("schedule-add", str(when), "junk", "set-global", "colour",
                                "deep blue")[0])[0]
            unset_id = split(r.ok("schedule-add", str(when + 1), "normal", "set-global",
                                  "gone-later")[0])[0]
            play_id = split(r.ok("schedule-add", str(when), "normal", "set-global", "playing",
                                 "yes")[0])[0]
            assert event(r, set_id) == {"action": "set-global", "when": str(when), "who": "root",
                                        "priority": "junk", "key": "colour",
                                        "value": "deep blue"}
            # Unsetting: no value.
            assert event(r, unset_id) == {"action": "set-global", "when": str(when + 1),
                                          "who": "root", "priority": "normal",
                                          "key": "gone-later"}
            # Soonest first.
            assert r.ok("schedule-list")[1] == sorted([set_id, play_id]) + [unset_id]
            assert global_pref(r, "colour") is None
            wait_for(lambda: global_pref(r, "colour") == "deep blue", "colour to be set")
            wait_for(lambda: global_pref(r, "gone-later") is None, "gone-later to be unset")
            # The switches go through as set-global would (the state follows).
            wait_for(lambda: r.ok("enabled")[0] == "yes", "playing to be enabled")
            assert r.ok("schedule-list")[1] == []


@test
def events_survive_a_restart_and_kill_9():
    with Jukebox() as s:
        track = s.track("kept.wav")
        s.rescan()
        with closing(s.user("alice")) as alice:
            later = soon(3600)
            a = split(alice.ok("schedule-add", str(later), "junk", "play", track)[0])[0]
            b = split(alice.ok("schedule-add", str(later + 60), "normal", "set-global", "k",
                               "v")[0])[0]
            before = {a: event(alice, a), b: event(alice, b)}
        for kill in (False, True):
            s.restart(kill=kill)
            with closing(s.connect("alice", "alicepw")) as alice:
                assert alice.ok("schedule-list")[1] == [a, b]
                assert {a: event(alice, a), b: event(alice, b)} == before
        # An event made just before kill -9 and due about when the server
        # is back runs (at startup or on its timer, being normal).
        with closing(s.connect("alice", "alicepw")) as alice:
            alice.ok("schedule-add", str(soon(3)), "normal", "set-global", "after", "kill")
        s.restart(kill=True)
        with closing(s.connect("alice", "alicepw")) as alice:
            wait_for(lambda: global_pref(alice, "after") == "kill", "the event after the restart")
            assert alice.ok("schedule-list")[1] == [a, b]


def events_due_while_the_server_was_down(kill):
    with Jukebox() as s:
        normal_track = s.track("normal.wav")
        junk_track = s.track("junk.wav")
        s.rescan()
        with closing(s.user("alice")) as alice:
            when = soon(6)
            ids = [split(alice.ok("schedule-add", str(when), *args)[0])[0] for args in (
                ("normal", "play", normal_track),
                ("junk", "play", junk_track),
                ("normal", "set-global", "normal-pref", "ran"),
                ("junk", "set-global", "junk-pref", "ran"),
            )]
            assert sorted(alice.ok("schedule-list")[1]) == sorted(ids)
        if kill:
            s.proc.kill()
            s.proc.wait()
            s.log.close()
            s.proc = None
        else:
            s.stop()
        assert time.time() < when, "the server took too long to stop for this test"
        wait_until_past(when)
        s.start()
        with closing(s.connect("alice", "alicepw")) as alice:
            # Normal ones ran at startup, junk ones were dropped.
            assert alice.ok("schedule-list")[1] == []
            assert global_pref(alice, "normal-pref") == "ran"
            assert global_pref(alice, "junk-pref") is None
        q = queued(s)
        assert [(e["track"], e["submitter"], e["origin"]) for e in q] == \
            [(normal_track, "alice", "scheduled")], q
        log = s.log_text()
        assert f"dropped scheduled event {ids[1]}" in log, log


@test
def past_events_at_startup_after_a_clean_stop():
    events_due_while_the_server_was_down(kill=False)


@test
def past_events_at_startup_after_kill_9():
    events_due_while_the_server_was_down(kill=True)


@test
def rights_and_ownership():
    with Jukebox() as s:
        track = s.track("t.wav")
        s.rescan()
        later = str(soon(3600))
        with closing(s.user("alice")) as alice, closing(s.user("bob")) as bob, \
                closing(s.user("carol", "read")) as carol, \
                closing(s.user("dave", "read,play")) as dave, closing(s.root()) as root:
            # The right an action needs, at the time the event is made.
            assert carol.command("schedule-add", later, "normal", "play", track)[:2] == \
                (510, "Prohibited: needs the 'play' right")
            assert carol.command("schedule-add", later, "normal", "set-global", "k", "v")[:2] \
                == (510, "Prohibited: needs the 'global prefs' right")
            assert dave.command("schedule-add", later, "normal", "set-global", "k", "v")[:2] == \
                (510, "Prohibited: needs the 'global prefs' right")
            dave_id = split(dave.ok("schedule-add", later, "normal", "play", track)[0])[0]
            alice_id = split(alice.ok("schedule-add", later, "junk", "set-global", "k")[0])[0]
            bob_id = split(bob.ok("schedule-add", later, "junk", "play", track)[0])[0]
            # Events are public: read is enough to see them all.
            assert sorted(carol.ok("schedule-list")[1]) == sorted([dave_id, alice_id, bob_id])
            assert event(carol, alice_id)["who"] == "alice"
            # Only the owner, or an administrator, deletes.
            assert bob.command("schedule-del", alice_id)[:2] == \
                (510, "Prohibited: needs the 'admin' right")
            assert carol.command("schedule-del", dave_id)[:2] == \
                (510, "Prohibited: needs the 'admin' right")
            assert alice.ok("schedule-del", alice_id)[0] == "deleted"
            root.ok("schedule-del", bob_id)
            assert carol.ok("schedule-list")[1] == [dave_id]
        # Nothing without a login.
        with closing(s.connect()) as anon:
            assert anon.command("schedule-list")[0] == 530
            assert anon.command("schedule-add", later, "normal", "play", track)[0] == 530


@test
def an_event_whose_owner_was_deleted_does_not_run():
    with Jukebox() as s:
        with closing(s.user("erin")) as erin:
            when = soon(2)
            id = split(erin.ok("schedule-add", str(when), "normal", "set-global", "erin",
                               "was-here")[0])[0]
        with closing(s.root()) as r:
            r.ok("deluser", "erin")
            wait_for(lambda: r.ok("schedule-list")[1] == [], "the event to fall due")
            assert global_pref(r, "erin") is None
        wait_for(lambda: f"scheduled event {id} not run: its owner erin no longer exists"
                 in s.log_text(), "the log line")


@test
def bad_input_gets_a_clear_error():
    with Jukebox() as s:
        track = s.track("t.wav")
        s.rescan()
        later = str(soon(3600))
        with closing(s.root()) as r:
            def refused(args, code, words):
                got, text, _ = r.command(*args)
                assert got == code and words in text, (args, got, text)
            refused(("schedule-get", "nosuchevent"), 555, "no such event 'nosuchevent'")
            refused(("schedule-del", "nosuchevent"), 550, "no such event 'nosuchevent'")
            for when in ("soon", "-5", "12x", "", "99999999999999999999999"):
                refused(("schedule-add", when, "normal", "play", track), 550, "invalid time")
            refused(("schedule-add", str(int(time.time()) - 100), "normal", "play", track), 550,
                    "is in the past")
            refused(("schedule-add", later, "urgent", "play", track), 550,
                    "invalid priority 'urgent'")
            refused(("schedule-add", later, "normal", "explode", track), 550,
                    "unknown action 'explode'")
            refused(("schedule-add", later, "normal", "play"), 550,
                    "wrong number of arguments for action 'play'")
            refused(("schedule-add", later, "normal", "play", track, track), 550,
                    "wrong number of arguments")
            refused(("schedule-add", later, "normal", "set-global"), 550,
                    "wrong number of arguments for action 'set-global'")
            refused(("schedule-add", later, "normal", "set-global", "a", "b", "c"), 550,
                    "wrong number of arguments")
            refused(("schedule-add", later, "normal", "play", "/no/such/track.wav"), 550,
                    "no such track")
            refused(("schedule-add", later, "normal", "set-global", "_dbversion", "1"), 550,
                    "read-only")
            refused(("schedule-add", later, "normal"), 500, "missing argument")
            refused(("schedule-list", "x"), 500, "too many arguments")
            # Nothing was stored, and the connection still works.
            assert r.ok("schedule-list")[1] == []
            r.ok("nop")


# The CLI -------------------------------------------------------------------

def local(when, form="%Y-%m-%d %H:%M:%S"):
    return time.strftime(form, time.localtime(when))


LINE = re.compile(r"^([0-9a-f]{12}) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([NJ]) (\S+) (\S+) ?(.*)$")


def cli_list(s, user):
    out = s.as_user(user, "schedule-list").stdout
    return [LINE.match(line).groups() for line in out.splitlines()]


@test
def cli_schedule_commands():
    with Jukebox() as s:
        track = s.track("A/a track.wav")
        s.rescan()
        s.add_user("fay", "faypw")
        later = soon(3600)
        far = soon(7200)
        for args in (("schedule-play", local(later), "normal", track),
                     ("schedule-set-global", local(far), "junk", "colour", "deep blue"),
                     ("schedule-unset-global", local(later), "junk", "colour")):
            p = s.as_user("fay", *args)
            assert p.stdout == "" and p.stderr == "", p
        listed = cli_list(s, "fay")
        assert [l[1:] for l in listed] == [
            (local(later), "N", "fay", "play", track),
            (local(later), "J", "fay", "set-global", "colour"),
            (local(far), "J", "fay", "set-global", "colour deep blue"),
        ] or [l[1:] for l in listed] == [
            (local(later), "J", "fay", "set-global", "colour"),
            (local(later), "N", "fay", "play", track),
            (local(far), "J", "fay", "set-global", "colour deep blue"),
        ], listed
        # What the CLI sent is what the server holds.
        with closing(s.connect("fay", "faypw")) as fay:
            for id, *_ in listed:
                assert int(event(fay, id)["when"]) in (later, far)
        # schedule-del
        play_id = next(l[0] for l in listed if l[4] == "play")
        assert s.as_user("fay", "schedule-del", play_id).stdout == ""
        assert [l[0] for l in cli_list(s, "fay")] == [l[0] for l in listed if l[0] != play_id]
        p = s.as_user("fay", "schedule-del", play_id, check=False)
        assert p.returncode == 1 and "no such event" in p.stderr, p
        # A time of day alone is its next occurrence.
        now = time.time()
        p = s.as_user("fay", "schedule-play", local(now + 120, "%H:%M"), "junk", track)
        assert p.stdout == "" and p.stderr == "", p
        p = s.as_user("fay", "schedule-play", local(now - 120, "%H:%M:%S"), "junk", track)
        assert p.stdout == "" and p.stderr == "", p
        times = sorted(l[1] for l in cli_list(s, "fay") if l[4] == "play")
        t = time.localtime(now + 120)
        in_two_minutes = local(time.mktime(t[:5] + (0,) + t[6:]))
        y = time.localtime(now - 120)
        tomorrow = local(time.mktime(y[:2] + (y.tm_mday + 1,) + y[3:8] + (-1,)))
        assert times == [in_two_minutes, tomorrow], (times, in_two_minutes, tomorrow)
        # Bad input
        p = s.as_user("fay", "schedule-play", "tomorrowish", "normal", track, check=False)
        assert p.returncode == 1 and "invalid time 'tomorrowish'" in p.stderr, p
        p = s.as_user("fay", "schedule-play", local(later), "urgent", track, check=False)
        assert p.returncode == 1 and "invalid priority 'urgent'" in p.stderr, p
        p = s.as_user("fay", "schedule-play", "2001-01-01 00:00:00", "normal", track, check=False)
        assert p.returncode == 1 and "is in the past" in p.stderr, p
        p = s.as_user("fay", "schedule-set-global", local(later), "normal", "k", check=False)
        assert p.returncode == 2, p


@test
def cli_scheduled_events_run():
    with Jukebox() as s:
        track = s.track("cli.wav")
        s.rescan()
        s.add_user("gus", "guspw")
        with closing(s.root()) as r:
            r.ok("set-global", "mood", "old")
        when = soon(3)
        s.as_user("gus", "schedule-play", local(when), "normal", track)
        s.as_user("gus", "schedule-set-global", local(when), "junk", "colour", "red")
        s.as_user("gus", "schedule-unset-global", local(when), "normal", "mood")
        wait_for(lambda: s.as_user("gus", "schedule-list").stdout == "", "the events to run",
                 timeout=20)
        with closing(s.root()) as r:
            assert global_pref(r, "colour") == "red"
            assert global_pref(r, "mood") is None
        assert [(e["track"], e["submitter"], e["origin"]) for e in queued(s)] == \
            [(track, "gus", "scheduled")]


run_tests()
