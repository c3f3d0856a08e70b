#!/usr/bin/env python3
"""Playing music end to end: disorderd, disorder-decode and disorder-speaker
with the command backend writing what it plays to a file.  Asserts the
samples that came out, queue order and events, and recovery when a decoder,
the speaker or the server is killed."""
import array
import os
import signal
import sys
import time

from audio import RATE, Events, Jukebox, encode, find, raw_header, tone, write_wav
from harness import BUILDDIR, closing, parent_pid, pids_named, fields, run_tests, test, wait_for
from harness import body, quote, split


@test
def three_tracks_play_back_to_back_without_a_gap():
    with Jukebox() as s:
        tracks = [tone(440, 0.7), tone(660, 1.1), tone(330, 0.5)]
        names = []
        for i, t in enumerate(tracks):
            path = os.path.join(s.music, "A", f"{i + 1:02d} track.wav")
            write_wav(path, t)
            names.append(path)
        # the middle one as FLAC: lossless, so still sample-exact
        encode(names[1], names[1][:-4] + ".flac")
        os.unlink(names[1])
        names[1] = names[1][:-4] + ".flac"
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            for n in names:
                r.ok("play", n)
            _, body = r.ok("queue")
            assert [fields(l)["track"] for l in body] == names
            r.ok("enable")
        for n in names:
            events.wait("completed", n)
        out = s.output_samples()
        expected = tracks[0] + tracks[1] + tracks[2]
        at = find(out, expected)
        assert at >= 0, f"output ({len(out)} samples) does not contain the tracks back to back"
        # nothing but silence around them
        assert not any(out[:at]) and not any(out[at + len(expected):])
        with closing(s.root()) as r:
            _, body = r.ok("recent")
            states = [fields(l)["state"] for l in body]
            assert states == ["ok", "ok", "ok"], states
        events.close()


@test
def pause_inserts_only_silence():
    with Jukebox("pause_mode silence\n") as s:
        t = tone(500, 2.0)
        path = os.path.join(s.music, "p.wav")
        write_wav(path, t)
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("play", path)
            events.wait("playing", path)
            time.sleep(0.4)
            r.ok("pause")
            time.sleep(0.5)
            r.ok("resume")
        events.wait("completed", path)
        out = s.output_samples()
        # Cut every run of more than 100 silent frames (the tone itself has
        # at most a couple of zero frames in a row, at its zero crossings).
        kept, inner_silence, run, seen_sound = array.array("h"), 0, [], False
        for i in range(0, len(out), 2):
            if out[i] == 0 and out[i + 1] == 0:
                run.append(i)
                continue
            if len(run) > 100:
                if seen_sound:
                    inner_silence += len(run)
            else:
                for j in run:
                    kept.extend(out[j:j + 2])
            run = []
            seen_sound = True
            kept.extend(out[i:i + 2])
        assert inner_silence > RATE * 0.3, f"no pause in the output ({inner_silence} frames)"
        # What is left is the track, sample for sample (zero frames aside: a
        # pause may begin or end at one of the tone's own zero crossings).
        def sound(a):
            return [(a[i], a[i + 1]) for i in range(0, len(a), 2) if a[i] or a[i + 1]]
        assert sound(kept) == sound(t), (len(kept), len(t))


@test
def a_corrupt_track_fails_and_the_next_plays():
    with Jukebox() as s:
        bad = os.path.join(s.music, "bad.mp3")
        with open(bad, "wb") as f:
            f.write(os.urandom(20000))
        good = os.path.join(s.music, "good.wav")
        write_wav(good, tone(440, 0.5))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", bad)
            r.ok("play", good)
            r.ok("enable")
        events.wait("failed", bad)
        events.wait("completed", good)
        assert find(s.output_samples(), tone(440, 0.5)) >= 0


@test
def queue_commands_and_rights():
    with Jukebox() as s:
        names = []
        for i in range(4):
            p = os.path.join(s.music, f"q{i}.wav")
            write_wav(p, tone(300 + 100 * i, 0.2))
            names.append(p)
        s.rescan()
        s.add_user("amy", "pw", "read,play,move_mine,remove_mine,scratch_mine")
        s.add_user("ben", "pw", "read,play")
        with closing(s.root()) as r, closing(s.connect("amy", "pw")) as amy, \
                closing(s.connect("ben", "pw")) as ben:
            r.ok("disable")
            ids = [amy.ok("play", names[0])[0], amy.ok("play", names[1])[0],
                   ben.ok("play", names[2])[0]]
            assert amy.command("play", "/no/such/track.wav")[0] == 550

            def order():
                return [fields(l)["id"] for l in r.ok("queue")[1]]
            assert order() == ids
            amy.ok("moveafter", "", ids[1])
            assert order() == [ids[1], ids[0], ids[2]]
            assert amy.command("move", ids[2], "1")[0] == 510  # ben's track
            assert ben.command("remove", ids[0])[0] == 510
            amy.ok("playafter", ids[1], names[3])
            q = order()
            assert q[0] == ids[1] and q[2] == ids[0] and len(q) == 4, q
            amy.ok("remove", ids[0])
            assert ids[0] not in order()
            r.ok("moveafter", ids[2], q[1])
            assert order()[-1] == q[1]
            info = fields(r.ok("queue")[1][0])
            assert info["submitter"] == "amy" and info["origin"] == "picked" \
                and info["state"] == "unplayed", info


@test
def queued_entries_say_when_they_are_expected_to_play():
    with Jukebox() as s:
        lengths = [4, 3, 2]
        names = []
        for i, seconds in enumerate(lengths):
            p = os.path.join(s.music, f"e{i}.wav")
            write_wav(p, tone(300 + 100 * i, seconds))
            names.append(p)
        s.rescan()
        with closing(s.root()) as r:
            def queue():
                return [fields(l) for l in r.ok("queue")[1]]
            r.ok("disable")
            r.ok("play", names[1])
            r.ok("play", names[2])
            # Nothing playing: the head is due now, the next after it.
            before = time.time()
            q = queue()
            assert before - 1 <= int(q[0]["expected"]) <= time.time() + 1, q
            assert int(q[1]["expected"]) - int(q[0]["expected"]) == lengths[1], q
            # Something playing: after what is left of it.
            r.ok("playafter", "", names[0])
            r.ok("enable")
            wait_for(lambda: r.command("playing")[0] == 252, "the first track to play")
            before = time.time()
            q = queue()
            head = int(q[0]["expected"])
            assert before - 1 <= head <= time.time() + lengths[0] + 1, q
            assert int(q[1]["expected"]) - head == lengths[1], q
            r.ok("disable")


@test
def recent_keeps_the_last_history_tracks():
    with Jukebox("history 2\n") as s:
        names = []
        for i in range(3):
            p = os.path.join(s.music, f"h{i}.wav")
            write_wav(p, tone(300 + 100 * i, 0.2))
            names.append(p)
        s.rescan()
        with closing(s.root()) as r:
            for n in names:
                r.ok("play", n)

            def recent():
                return [fields(l)["track"] for l in r.ok("recent")[1]]
            wait_for(lambda: len(r.ok("queue")[1]) == 0 and r.command("playing")[0] == 259
                     and names[2] in recent(), "the three tracks to play")
            assert recent() == names[1:], recent()


@test
def a_new_output_setting_restarts_the_speaker_with_it():
    with Jukebox() as s:
        track = tone(440, 3.0)
        path = os.path.join(s.music, "long.wav")
        write_wav(path, track)
        s.rescan()
        second = os.path.join(s.dir, "second.raw")
        open(second, "wb").close()
        os.chmod(second, 0o666)
        with closing(s.root()) as r:
            r.ok("play", path)
            wait_for(lambda: os.path.getsize(s.output) > RATE, "the track to start")
            s.extra_config = s.extra_config.replace(s.output, second)
            s.write_config()
            r.ok("reconfigure")
            wait_for(lambda: os.path.getsize(second) > RATE * 4, "the new command to play")
            # The old command gets nothing more; the new one plays the
            # interrupted track again from its start.
            first = os.path.getsize(s.output)
            time.sleep(0.3)
            assert os.path.getsize(s.output) == first
            with open(second, "rb") as f:
                data = f.read()
            out = array.array("h")
            out.frombytes(data[: len(data) // 4 * 4])
            at = find(out, track[:RATE])
            assert at >= 0 and not any(out[:at]), at
            info = fields(r.ok("playing")[0])
            assert info["track"] == path, info


@test
def random_play_fills_the_queue_and_respects_replay_min():
    with Jukebox("queue_pad 3\nreplay_min 3600\n") as s:
        for i in range(5):
            write_wav(os.path.join(s.music, f"r{i}.wav"), tone(200 + 50 * i, 0.2))
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("rescan", "wait", "fresh")
            r.ok("random-disable")
            r.ok("random-enable")
            q = wait_for(lambda: len(r.ok("queue")[1]) >= 3 and r.ok("queue")[1], "random picks")
            infos = [fields(l) for l in q]
            assert len(q) == 3 and all(i["origin"] == "random" for i in infos), infos
            assert len({i["track"] for i in infos}) == 3
            r.ok("set", infos[0]["track"], "pick_at_random", "0")
            # adopt makes a random pick the user's
            r.ok("adopt", infos[1]["id"])
            info = fields(r.ok("queue")[1][1])
            assert info["origin"] == "adopted" and info["submitter"] == "root"
            events = Events(s)
            r.ok("enable")
            # let five tracks play: none of the played ones may come back
            played = []
            for _ in range(5):
                played.append(events.wait("completed")[1])
            assert len(set(played)) == 5, played
            events.close()


@test
def queue_survives_restart_and_kill_9():
    s = Jukebox()
    try:
        s.start()
        names = []
        for i in range(3):
            p = os.path.join(s.music, f"k{i}.wav")
            write_wav(p, tone(400 + 100 * i, 0.3))
            names.append(p)
        s.rescan()
        with closing(s.root()) as r:
            r.ok("disable")
            ids = [r.ok("play", n)[0] for n in names]
        s.proc.kill()
        s.proc.wait()
        s.start()
        with closing(s.root()) as r:
            got = [fields(l)["id"] for l in r.ok("queue")[1]]
            assert got == ids, (got, ids)
            assert r.ok("enabled")[0] == "no"
    finally:
        s.cleanup()


@test
def killing_the_speaker_replays_the_interrupted_track():
    with Jukebox() as s:
        long_track = os.path.join(s.music, "long.wav")
        write_wav(long_track, tone(440, 3.0))
        after = os.path.join(s.music, "after.wav")
        write_wav(after, tone(880, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", long_track)
            r.ok("play", after)
            r.ok("enable")
        events.wait("playing", long_track)
        time.sleep(0.5)
        speakers = [p for p in pids_named("disorder-speaker")
                    if os.path.exists(f"/proc/{p}") and parent_pid(p) == s.proc.pid]
        assert speakers, "no speaker"
        os.kill(speakers[0], signal.SIGKILL)
        # documented behaviour: the interrupted track plays again from its start
        events.wait("playing", long_track)
        events.wait("completed", long_track)
        events.wait("completed", after)
        out = s.output_samples()
        assert find(out, tone(440, 3.0)) >= 0, "the replayed track is not whole"


@test
def killing_a_decoder_fails_only_that_track():
    with Jukebox() as s:
        slow = os.path.join(s.music, "slow.wav")
        write_wav(slow, tone(440, 30.0))
        nxt = os.path.join(s.music, "next.wav")
        write_wav(nxt, tone(660, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", slow)
            r.ok("play", nxt)
            r.ok("enable")
        events.wait("playing", slow)

        # "playing" is announced as the track is handed over, which may be
        # before its decoder has started.
        def kill_slow_decoder():
            for p in pids_named("disorder-decode"):
                try:
                    if parent_pid(p) != s.proc.pid:
                        continue
                    with open(f"/proc/{p}/cmdline", "rb") as f:
                        if f.read().endswith(b"slow.wav\0"):
                            os.kill(p, signal.SIGKILL)
                            return True
                except OSError:
                    pass  # another decoder that exited meanwhile
            return False
        wait_for(kill_slow_decoder, "the decoder of slow.wav")
        events.wait("failed", slow)
        events.wait("completed", nxt)


@test
def killing_the_server_mid_track_loses_nothing():
    s = Jukebox()
    try:
        s.start()
        a = os.path.join(s.music, "a.wav")
        write_wav(a, tone(440, 4.0))
        b = os.path.join(s.music, "b.wav")
        write_wav(b, tone(660, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            ida = r.ok("play", a)[0]
            idb = r.ok("play", b)[0]
            r.ok("enable")
        events.wait("playing", a)
        events.close()
        s.proc.kill()
        s.proc.wait()
        s.start()
        with closing(s.root()) as r:
            # the interrupted track is back at the head (or already playing
            # again), the rest of the queue behind it
            code, text, _ = r.command("playing")
            queued = [fields(l)["id"] for l in r.ok("queue")[1]]
            current = fields(text)["id"] if code == 252 else None
            assert [x for x in [current] + queued if x] == [ida, idb], (current, queued)
        events = Events(s)
        events.wait("completed", a)
        events.wait("completed", b)
    finally:
        s.cleanup()


@test
def scratch_moves_on_at_once():
    with Jukebox() as s:
        a = os.path.join(s.music, "a.wav")
        write_wav(a, tone(440, 20.0))
        b = os.path.join(s.music, "b.wav")
        write_wav(b, tone(660, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", a)
            r.ok("play", b)
            r.ok("enable")
            events.wait("playing", a)
            code, text, _ = r.command("playing")
            assert code == 252 and fields(text)["track"] == a
            r.ok("scratch")
            events.wait("scratched", a, "root")
            events.wait("completed", b)
            assert r.command("playing")[0] == 259


@test
def a_scratch_sound_plays_after_a_scratch_and_disable_now_stops():
    s = Jukebox()
    sound = os.path.join(s.dir, "scratch.wav")
    write_wav(sound, tone(1000, 0.2))
    s.extra_config += f"scratch {sound}\n"
    s.write_config()
    try:
        s.start()
        a = os.path.join(s.music, "a.wav")
        write_wav(a, tone(440, 20.0))
        b = os.path.join(s.music, "b.wav")
        write_wav(b, tone(660, 20.0))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", a)
            r.ok("play", b)
            r.ok("enable")
            events.wait("playing", a)
            r.ok("scratch")
            events.wait("scratched", a, "root")
            events.wait("playing", sound)
            events.wait("completed", sound)
            events.wait("playing", b)
            r.ok("disable", "now")
            events.wait("scratched", b, "root")
            assert r.command("playing")[0] == 259
            assert r.ok("queue")[1] == []
        assert find(s.output_samples(), tone(1000, 0.2)) >= 0
    finally:
        s.cleanup()


def _pipelined(c, *commands):
    """Sends the commands in one write, so that the server reads them in one
    go and answers the second before anything else can happen; returns the
    (code, text) of each reply."""
    c.send_raw("".join(" ".join(quote(a) for a in cmd) + "\n" for cmd in commands))
    return [c.read_response() for _ in commands]


def _warm_up(s, events, r):
    """Plays a short track through, so that the speaker is surely up."""
    warm = s.track("warm.wav", 0.1, 300)
    s.rescan()
    r.ok("play", warm)
    events.wait("completed", warm)


@test
def a_flood_of_volume_changes_reaches_the_speaker_and_the_last_one_stands():
    # Thousands of commands pipelined faster than the speaker reads its
    # control channel: disorderd keeps what the channel cannot take yet,
    # in order, rather than dropping it, so the speaker ends on the last
    # volume and reports that one.
    s = Jukebox()
    try:
        s.start()
        events = Events(s)
        with closing(s.root()) as r:
            _warm_up(s, events, r)
            n, batch = 20000, 1000
            for first in range(0, n, batch):
                replies = _pipelined(r, *(("volume", str(50 + i % 2)) for i in range(first, first + batch)))
                assert all(code == 252 for code, _ in replies), replies[:3]
            r.ok("volume", "77")
            # A track played through after them: the speaker has taken every
            # message sent before, and reported the volume each one set.
            _warm_up(s, events, r)
            assert r.ok("volume")[0] == "77 77"
        assert "speaker: sending" not in s.log_text(), s.log_text()[-2000:]
    finally:
        s.cleanup()


@test
def the_next_track_plays_at_once_after_enable_and_scratch():
    # DisOrder's clients poll `playing` once after enable or scratch: it
    # must already show the track that starts (disorder_protocol(5) playing).
    with Jukebox() as s:
        events = Events(s)
        with closing(s.root()) as r:
            _warm_up(s, events, r)
            a = s.track("a.wav", 20.0, 440)
            b = s.track("b.wav", 20.0, 660)
            c = s.track("c.wav", 2.0, 880)
            s.rescan()
            r.ok("disable")
            ida, idb = r.ok("play", a)[0], r.ok("play", b)[0]
            r.ok("play", c)
            (code, _), (code2, text) = _pipelined(r, ["enable"], ["playing"])
            assert code == 250 and code2 == 252, (code, code2, text)
            info = fields(text)
            assert info["id"] == ida and info["track"] == a and info["state"] == "started", info
            assert [fields(l)["id"] for l in r.ok("queue")[1]][0] == idb
            events.wait("playing", a)
            # scratch: the next track is playing by the time scratch is answered
            (code, _), (code2, text) = _pipelined(r, ["scratch"], ["playing"])
            assert code == 250 and code2 == 252, (code, code2, text)
            assert fields(text)["id"] == idb, text
            # and without pipelining, as a client that waits for each reply
            r.ok("scratch")
            info = fields(r.ok("playing")[0])
            assert info["track"] == c, info
            events.wait("completed", c)
            assert r.command("playing")[0] == 259
        # what played last played whole
        assert find(s.output_samples(), tone(880, 2.0)) >= 0
        events.close()


@test
def a_track_shown_playing_that_cannot_play_ends_as_failed():
    # Shown as playing from the moment it is handed to the speaker; if it
    # then cannot play, it is recorded as failed, and the next one plays.
    with Jukebox() as s:
        events = Events(s)
        with closing(s.root()) as r:
            _warm_up(s, events, r)
            bad = os.path.join(s.music, "bad.mp3")
            with open(bad, "wb") as f:
                f.write(os.urandom(20000))
            good = s.track("good.wav", 0.3, 550)
            s.rescan()
            r.ok("disable")
            idbad = r.ok("play", bad)[0]
            r.ok("play", good)
            (_, _), (code, text) = _pipelined(r, ["enable"], ["playing"])
            assert code == 252 and fields(text)["id"] == idbad, (code, text)
            events.wait("failed", bad)
            events.wait("completed", good)
            states = {fields(l)["track"]: fields(l)["state"] for l in r.ok("recent")[1]}
            assert states[bad] == "failed" and states[good] == "ok", states
        events.close()


@test
def after_a_scratch_the_scratch_sound_is_playing_at_once():
    s = Jukebox()
    sound = os.path.join(s.dir, "scratch.wav")
    write_wav(sound, tone(1000, 0.2))
    s.extra_config += f"scratch {sound}\n"
    s.write_config()
    try:
        s.start()
        events = Events(s)
        with closing(s.root()) as r:
            _warm_up(s, events, r)
            a = s.track("a.wav", 20.0, 440)
            b = s.track("b.wav", 0.3, 660)
            s.rescan()
            r.ok("play", a)
            r.ok("play", b)
            events.wait("playing", a)
            (code, _), (code2, text) = _pipelined(r, ["scratch"], ["playing"])
            assert code == 250 and code2 == 252, (code, code2, text)
            info = fields(text)
            assert info["track"] == sound and info["origin"] == "scratch", info
            events.wait("completed", b)
    finally:
        s.cleanup()


@test
def a_users_pick_goes_before_the_random_picks():
    with Jukebox("queue_pad 3\n") as s:
        for i in range(6):
            s.track(f"r/{i}.wav", 0.2, 200 + 50 * i)
        a, b, c, d = (s.track(f"u/{n}.wav", 0.2, 700) for n in "abcd")
        with closing(s.root()) as r:
            r.ok("disable")
            s.rescan()
            r.ok("random-disable")
            r.ok("random-enable")

            def queue():
                return [fields(l) for l in r.ok("queue")[1]]
            wait_for(lambda: len(queue()) >= 3, "the random picks")
            randoms = [e["id"] for e in queue()]
            assert all(e["origin"] == "random" for e in queue()), queue()
            ida = r.ok("play", a)[0]
            idb = r.ok("play", b)[0]
            # picks in the order they were made, then the random picks in theirs
            assert [e["id"] for e in queue()] == [ida, idb] + randoms, queue()
            # the CLI queues each of its tracks the same way
            s.cli("--user", "root", "play", c, d)
            q = queue()
            assert [e["track"] for e in q[:4]] == [a, b, c, d], q
            assert [e["id"] for e in q[4:]] == randoms, q
            # playafter with no target still goes to the head
            r.ok("playafter", "", a)
            assert queue()[0]["track"] == a and len(queue()) == 8


@test
def random_picks_have_the_required_tags_and_none_prohibited():
    with Jukebox("queue_pad 3\n") as s:
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("random-disable")
            rock = s.track("rock.wav")
            slow = s.track("rock-slow.wav")
            jazz = s.track("jazz.wav")
            s.track("none.wav")
            s.rescan()
            r.ok("set", rock, "tags", "Rock")
            r.ok("set", slow, "tags", "rock, Slow")
            r.ok("set", jazz, "tags", "jazz")
            # the lists are normalised as tags are (DisOrder's form)
            r.ok("set-global", "required-tags", "  ROCK ,  Jazz  Fusion")
            assert split(r.ok("get-global", "required-tags")[0]) == ["rock, jazz fusion"]
            r.ok("set-global", "prohibited-tags", "slow")
            r.ok("random-enable")

            def queue():
                return [fields(l)["track"] for l in r.ok("queue")[1]]
            # the only track with rock and without slow, however many are wanted
            assert wait_for(queue, "a random pick") == [rock]
            # new lists apply to the next picks
            r.ok("set-global", "required-tags", "JAZZ, slow")
            r.ok("unset-global", "prohibited-tags")
            r.ok("remove", fields(r.ok("queue")[1][0])["id"])
            assert sorted(wait_for(queue, "random picks")) == sorted([slow, jazz]), queue()


@test
def shell_and_exec_players_and_a_hung_decoder():
    decode = os.path.join(BUILDDIR, "server", "disorder-decode")
    s = Jukebox()
    s.extra_config += (f"player *.wav execraw {decode}\n"
                       # plays by itself: here it appends the raw file to the output
                       f"player *.pcm shell 'cat \"$TRACK\" >> {s.output}'\n"
                       # a decoder that never writes a byte
                       "player *.hang execraw sh -c 'exec sleep 600' sh\n")
    s.write_config()
    try:
        s.start()
        pcm = os.path.join(s.music, "raw.pcm")
        with open(pcm, "wb") as f:
            f.write(tone(1234, 0.2).tobytes())
        hang = os.path.join(s.music, "stuck.hang")
        open(hang, "wb").write(b"x")
        after = os.path.join(s.music, "after.wav")
        write_wav(after, tone(550, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", pcm)
            r.ok("play", hang)
            r.ok("play", after)
            r.ok("enable")
        events.wait("completed", pcm)
        # the stuck decoder is given up after its timeout, and the queue goes on
        events.wait("failed", hang, timeout=40)
        events.wait("completed", after)
        out = s.output_samples()
        assert find(out, tone(1234, 0.2)) >= 0 and find(out, tone(550, 0.3)) >= 0
    finally:
        s.cleanup()


@test
def a_player_that_plays_by_itself_waits_for_its_turn():
    """The decoder of the next track starts early, so that it follows
    without a gap; a player that plays by itself does not, or it would
    play over the track before it."""
    decode = os.path.join(BUILDDIR, "server", "disorder-decode")
    s = Jukebox()
    s.extra_config += (f"player *.wav execraw {decode}\n"
                       f"player *.pcm shell 'cat \"$TRACK\" >> {s.output}'\n")
    s.write_config()
    try:
        s.start()
        first = os.path.join(s.music, "first.wav")
        write_wav(first, tone(550, 1.0))
        pcm = os.path.join(s.music, "then.pcm")
        with open(pcm, "wb") as f:
            f.write(tone(1234, 0.2).tobytes())
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", first)
            r.ok("play", pcm)
            r.ok("enable")
        events.wait("completed", pcm)
        out = s.output_samples()
        at_first, at_pcm = find(out, tone(550, 1.0)), find(out, tone(1234, 0.2))
        assert at_first >= 0 and at_pcm >= 0, (at_first, at_pcm)
        assert at_pcm >= at_first + len(tone(550, 1.0)), (at_first, at_pcm)
    finally:
        s.cleanup()


@test
def a_decoder_that_fails_after_closing_its_output_fails_the_track():
    """The speaker hears the end of a decoder's output before the server
    learns how the decoder exited: the exit status still decides, and a
    decoder that outlives its output is not waited for long."""
    decode = os.path.join(BUILDDIR, "server", "disorder-decode")
    with Jukebox(
            f"player *.wav execraw {decode}\n"
            # the files hold a raw stream (a header and 0.2 s of a tone): each
            # player writes it, closes its output, then fails a second later...
            "player *.late execraw sh -c 'cat \"$1\"; exec >&-; sleep 1; exit 3' sh\n"
            # ...or goes on running
            "player *.linger execraw sh -c 'cat \"$1\"; exec >&-; exec sleep 600' sh\n") as s:
        late = os.path.join(s.music, "fails.late")
        linger = os.path.join(s.music, "stays.linger")
        for path, freq in ((late, 660), (linger, 770)):
            pcm = tone(freq, 0.2).tobytes()
            with open(path, "wb") as f:
                f.write(raw_header(16, 2, RATE, len(pcm), big=sys.byteorder == "big") + pcm)
        after = os.path.join(s.music, "after.wav")
        write_wav(after, tone(550, 0.3))
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("disable")
            r.ok("play", late)
            r.ok("play", linger)
            r.ok("play", after)
            r.ok("enable")
        events.wait("failed", late)
        events.wait("completed", linger, timeout=20)
        events.wait("completed", after)
        with closing(s.root()) as r:
            recent = {e["track"]: e for e in map(fields, body(r, "recent"))}
        assert recent[late]["state"] == "failed" and recent[late]["wstat"] == str(3 << 8), recent
        assert recent[linger]["state"] == "ok", recent
        out = s.output_samples()
        for freq, seconds in ((660, 0.2), (770, 0.2), (550, 0.3)):
            assert find(out, tone(freq, seconds)) >= 0, freq


run_tests()
