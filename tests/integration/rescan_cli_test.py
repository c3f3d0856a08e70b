#!/usr/bin/env python3
"""disorder rescan --wait and --fresh against a real disorderd and a small
collection generated with ffmpeg: tracks added after the server started
are there as soon as the command returns; on a terminal (a pty as
standard error) an administrator sees "rescanning: N tracks" rewritten in
place and then "rescan completed: N tracks", a user without the admin
right the same without the count, and nothing extra appears when standard
error is not a terminal."""
import os
import pty
import select
import subprocess
import time

from harness import DISORDER, Server, closing, run_tests, test

TRACKS = {
    "Band/Album/01 One.mp3": "libmp3lame",
    "Band/Album/02 Two.ogg": "libvorbis",
    "Band/Album/03 Three.flac": "flac",
}


class Collection:
    """A server whose only root starts empty; add() puts the tracks in."""

    def __init__(self):
        self.server = Server()
        self.root = os.path.join(self.server.dir, "music")
        os.mkdir(self.root)
        os.chmod(self.root, 0o755)  # the server may run as nobody
        self.server.extra_config = f"collection fs utf-8 {self.root}\n"
        self.server.write_config()

    def add(self):
        for rel, codec in TRACKS.items():
            path = os.path.join(self.root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                            "sine=f=440:d=1", "-c:a", codec, "-metadata", "artist=Band",
                            path], check=True)
        for d in (os.path.join(self.root, "Band"), os.path.join(self.root, "Band", "Album")):
            os.chmod(d, 0o755)
        return os.path.join(self.root, "Band", "Album")

    def __enter__(self):
        try:
            self.server.start()
            # The server's own first rescan (of the empty root) ends first, so
            # that the tracks added next are only found by the rescan under test.
            with closing(self.server.root()) as r:
                assert r.command("rescan", "wait")[:2] == (250, "rescan completed")
        except BaseException:
            self.server.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        self.server.cleanup()


def on_terminal(server, *args, user=None, password=None, timeout=30):
    """Runs the CLI as Server.cli does but with standard error on a pty;
    returns (exit status, stdout, what the terminal got).  Reading until
    every writer has closed the pty also shows that no helper process of
    the CLI outlives it."""
    env = server.cli_env(user, password, tag="tty-")
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([DISORDER, *args], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=slave)
    finally:
        os.close(slave)
    got = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                p.kill()
                raise AssertionError(f"terminal still open after {timeout}s: {got!r}")
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: nothing has the pty open any more
                break
            if not data:
                break
            got += data
    finally:
        os.close(master)
    stdout = p.stdout.read()
    p.stdout.close()
    p.wait(timeout)
    return p.returncode, stdout.decode(), got.decode()


def last_display(text):
    """What the line shows at the end: the last piece after a carriage
    return, without the padding."""
    pieces = [piece.strip() for piece in text.split("\r") if piece.strip()]
    return pieces[-1] if pieces else ""


def files(s, directory):
    return s.cli("--user", "root", "files", directory).stdout.splitlines()


@test
def wait_returns_when_the_new_tracks_are_there():
    with Collection() as col:
        album = col.add()
        assert files(col.server, album) == []
        p = col.server.cli("--user", "root", "rescan", "--wait")
        # Not a terminal: nothing but the silence of success.
        assert (p.stdout, p.stderr) == ("", ""), p
        want = sorted(os.path.join(album, os.path.basename(rel)) for rel in TRACKS)
        assert sorted(files(col.server, album)) == want


@test
def an_admin_on_a_terminal_sees_the_count():
    with Collection() as col:
        album = col.add()
        status, stdout, tty = on_terminal(col.server, "--user", "root", "rescan", "--wait")
        assert status == 0 and stdout == "", (status, stdout, tty)
        assert tty.startswith("\rrescanning..."), repr(tty)
        assert "\rrescanning: 3 tracks" in tty, repr(tty)
        assert last_display(tty) == "rescan completed: 3 tracks", repr(tty)
        assert tty.endswith("\n"), repr(tty)
        assert len(files(col.server, album)) == 3
        # The flags in either order, and again: nothing changed, same count.
        status, _, tty = on_terminal(col.server, "--user", "root", "rescan", "--fresh", "--wait")
        assert status == 0 and last_display(tty) == "rescan completed: 3 tracks", repr(tty)


@test
def a_user_without_admin_sees_no_count():
    with Collection() as col:
        col.server.add_user("dora", "dorapw", "read,rescan")
        album = col.add()
        status, stdout, tty = on_terminal(col.server, "rescan", "--wait", user="dora",
                                          password="dorapw")
        assert status == 0 and stdout == "", (status, stdout, tty)
        assert "tracks" not in tty, repr(tty)
        assert last_display(tty) == "rescan completed", repr(tty)
        assert len(files(col.server, album)) == 3


@test
def without_wait_it_returns_at_once_and_refusals_clear_the_line():
    with Collection() as col:
        col.server.add_user("eve", "evepw", "read")
        # --fresh alone, then another command on the same command line.
        p = col.server.cli("--user", "root", "rescan", "--fresh", "version")
        assert p.stderr == "" and p.stdout.count("\n") == 1, p
        status, stdout, tty = on_terminal(col.server, "rescan", "--wait", user="eve",
                                          password="evepw")
        assert status == 1 and stdout == "", (status, stdout, tty)
        assert last_display(tty).startswith("disorder: "), repr(tty)
        # A word that is not a flag is the next command.
        p = col.server.cli("--user", "root", "rescan", "--slow", check=False)
        assert p.returncode == 2 and "'--slow' is not a command, nor an argument that 'rescan' " \
            "takes" in p.stderr, p
        with closing(col.server.root()) as r:  # let a rescan still running end
            r.ok("rescan", "wait")


if __name__ == "__main__":
    run_tests()
