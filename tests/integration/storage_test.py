#!/usr/bin/env python3
"""When the database cannot be written: the disk holding the server's home
full (a small tmpfs the test mounts on home and fills), or the database
file read-only.  Every command that writes is refused with a 550 naming the
cause and changes nothing, in memory or on disk; reads go on being
answered; writes work again as soon as there is space, without a restart.

Mounting needs root: without it the tests say they are skipped."""
import contextlib
import errno
import os
import pwd
import subprocess

import audio
from audio import Events
from harness import Skip, closing, fields, run_tests, test, wait_for

FULL = "database or disk is full"
READONLY = "readonly database"


class Jukebox(audio.Jukebox):
    def fill(self):
        """Fills the filesystem holding home; returns the filler's path."""
        path = os.path.join(self.home, "filler")
        with open(path, "wb", buffering=0) as f:
            for size in (1 << 20, 4096, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
        return path

    def ids(self, client):
        return [fields(line)["id"] for line in client.ok("queue")[1]]


@contextlib.contextmanager
def home_on_tmpfs(s, size="16m"):
    """A tmpfs of `size` mounted on s.home for the life of the block; the
    server is stopped and the tmpfs unmounted at the end, whatever
    happens.  Raises Skip when it cannot be mounted."""
    if os.geteuid() != 0:
        raise Skip("needs root to mount a tmpfs")
    os.makedirs(s.home)
    nobody = pwd.getpwnam("nobody")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o",
                        f"size={size},mode=0755,uid={nobody.pw_uid},gid={nobody.pw_gid}",
                        "disorder-test", s.home], capture_output=True, text=True)
    if p.returncode != 0:
        raise Skip("cannot mount a tmpfs: " + p.stderr.strip())
    try:
        yield
    finally:
        s.stop()
        # The server's children may hold it for a moment after it stops.
        def unmounted():
            return subprocess.run(["umount", s.home], capture_output=True).returncode == 0
        try:
            wait_for(unmounted, "the tmpfs to be unmounted")
        except AssertionError:
            subprocess.run(["umount", "-l", s.home])
            raise


def refused(client, cause, *args):
    code, text, _ = client.command(*args)
    assert code == 550 and cause in text, (args, code, text)
    assert "rollback" not in text, text


@test
def a_full_disk_refuses_every_write_with_its_cause_and_changes_nothing():
    s = Jukebox()
    try:
        with home_on_tmpfs(s):
            s.start()
            t1, t2, t3 = (s.track(f"{n}.wav") for n in ("one", "two", "three"))
            s.rescan()
            s.add_user("amy", "amypw", "read,play")
            with closing(s.root()) as r, closing(s.root()) as log:
                r.ok("disable")
                id1 = r.ok("play", t1)[0]
                id2 = r.ok("play", t2)[0]
                r.ok("set", t1, "colour", "red")
                r.ok("set-global", "motd", "hello")
                r.ok("playlist-lock", "root.mix")
                r.send_raw(f"playlist-set root.mix\n{t1}\n.\n")
                assert r.read_response()[0] == 250
                log.send_raw("log\n")
                assert log.read_response()[0] == 254
                while not log.read_event().startswith("volume"):  # the state lines
                    pass

                filler = s.fill()
                refused(r, FULL, "play", t3)
                refused(r, FULL, "playafter", "", t3, t3)
                refused(r, FULL, "remove", id1)
                refused(r, FULL, "move", id2, "1")
                refused(r, FULL, "moveafter", "", id2)
                refused(r, FULL, "set", t1, "colour", "blue")
                refused(r, FULL, "set", t2, "trackname_display_title", "Deux")
                refused(r, FULL, "unset", t1, "colour")
                refused(r, FULL, "set-global", "motd", "bye")
                refused(r, FULL, "unset-global", "motd")
                refused(r, FULL, "enable")
                refused(r, FULL, "random-disable")
                refused(r, FULL, "playlist-set-share", "root.mix", "public")
                r.send_raw(f"playlist-set root.mix\n{t2}\n.\n")
                code, text = r.read_response()
                assert code == 550 and FULL in text, (code, text)
                refused(r, FULL, "playlist-delete", "root.mix")
                refused(r, FULL, "adduser", "bo", "bopw")
                refused(r, FULL, "edituser", "amy", "rights", "read")
                refused(r, FULL, "deluser", "amy")

                # Reads still work, and show nothing of the refused writes.
                assert s.ids(r) == [id1, id2]
                assert r.ok("get", t1, "colour")[0] == "red"
                assert r.command("get", t2, "trackname_display_title")[0] == 555
                assert r.ok("get-global", "motd")[0] == "hello"
                assert r.ok("enabled")[0] == "no"
                assert r.ok("random-enabled")[0] == "yes"
                assert r.ok("playlist-get", "root.mix")[1] == [t1]
                assert r.ok("playlist-get-share", "root.mix")[0] == "private"
                assert r.ok("users")[1] == ["amy", "root"]
                assert r.ok("userinfo", "amy", "rights")[0] == "read,play"
                assert r.ok("recent")[1] == []
                assert r.ok("nop")[0] == "Quack"
                assert t3 in r.ok("files", s.music)[1]
                with closing(s.connect("amy", "amypw")) as amy:
                    assert amy.ok("playing")[0] == "nothing playing"

                # Space again: writes work without a restart, and the
                # first event anyone sees is theirs (the refused writes
                # announced nothing).
                os.remove(filler)
                id3 = r.ok("play", t3)[0]
                assert log.read_event().startswith("queue "), "unexpected event"
                r.ok("set-global", "motd", "back")
                assert log.read_event() == "global_pref motd back"
                assert s.ids(r) == [id1, id2, id3]

            # After a restart, the database holds what was accepted and
            # nothing that was refused.
            s.stop()
            s.start()
            with closing(s.root()) as r:
                assert s.ids(r) == [id1, id2, id3]
                assert r.ok("get", t1, "colour")[0] == "red"
                assert r.ok("get-global", "motd")[0] == "back"
                assert r.ok("users")[1] == ["amy", "root"]
                assert r.ok("playlist-get", "root.mix")[1] == [t1]
    finally:
        s.cleanup()


@test
def playing_goes_on_while_the_disk_is_full_and_is_saved_once_there_is_space():
    s = Jukebox()
    try:
        with home_on_tmpfs(s):
            s.start()
            track = s.track("long.wav", seconds=6)
            s.rescan()
            events = Events(s)
            with closing(s.root()) as r:
                id1 = r.ok("play", track)[0]
                events.wait("playing", track)
                filler = s.fill()
                # A scratch that cannot be saved is refused: the track
                # plays on.  Pausing needs no database.
                refused(r, FULL, "scratch")
                assert fields(r.ok("playing")[0])["id"] == id1
                assert r.ok("pause")[0] == "paused"
                assert r.ok("resume")[0] == "resumed"
                # It ends while nothing can be saved: in memory it is
                # recent, and it is not played again.
                events.wait("completed", track)
                recent = [fields(line) for line in r.ok("recent")[1]]
                assert [(e["id"], e["state"]) for e in recent] == [(id1, "ok")], recent
                assert r.command("playing")[0] == 259
                assert s.ids(r) == []
                # With space again it is saved, without a restart.
                os.remove(filler)
                wait_for(lambda: "the play queue is saved again" in s.log_text(),
                         "the play queue to be saved", timeout=30)
            events.close()
            s.stop()
            s.start()
            with closing(s.root()) as r:
                recent = [fields(line) for line in r.ok("recent")[1]]
                assert [(e["id"], e["state"]) for e in recent] == [(id1, "ok")], recent
                assert r.command("playing")[0] == 259
                assert s.ids(r) == []
    finally:
        s.cleanup()


@test
def a_read_only_database_refuses_writes_and_serves_reads():
    s = Jukebox()
    try:
        s.start()
        t1, t2 = s.track("one.wav"), s.track("two.wav")
        s.rescan()
        with closing(s.root()) as r:
            r.ok("disable")
            id1 = r.ok("play", t1)[0]
            r.ok("set", t1, "colour", "red")
        s.stop()
        # The file belongs to root, readable but not writable by the
        # server's account.
        db = os.path.join(s.home, "disorder.db")
        nobody = pwd.getpwnam("nobody")
        if os.geteuid() == 0:
            os.chown(db, 0, nobody.pw_gid)
            os.chmod(db, 0o640)
        else:
            os.chmod(db, 0o400)
        s.start()
        with closing(s.root()) as r:
            refused(r, READONLY, "play", t2)
            refused(r, READONLY, "set", t1, "colour", "blue")
            refused(r, READONLY, "set-global", "motd", "hello")
            assert [fields(l)["id"] for l in r.ok("queue")[1]] == [id1]
            assert r.ok("get", t1, "colour")[0] == "red"
            assert r.command("get-global", "motd")[0] == 555
    finally:
        s.cleanup()


if __name__ == "__main__":
    run_tests()
