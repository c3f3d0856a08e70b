"""Test audio and event helpers shared by the playing tests: tones
generated at test time, WAV writing, encoding with ffmpeg, finding a run of
samples in recorded output, following the event log, and a Jukebox server
that plays its collection into a file."""
import array
import fcntl
import math
import os
import struct
import subprocess
import termios
import time
import wave

from harness import Server, closing, pids_named, split, wait_for

RATE = 44100


def tone(freq, seconds, amplitude=8000, phase=0):
    """Stereo 16-bit frames of a sine (left) and its half-amplitude (right)."""
    n = int(RATE * seconds)
    a = array.array("h")
    for i in range(n):
        v = int(amplitude * math.sin(2 * math.pi * freq * (i + phase) / RATE))
        a.append(v)
        a.append(v // 2)
    return a


def write_wav(path, samples):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def raw_header(bits, channels, rate, nbytes, big=False):
    """The header of a segment of disorder-decode's raw stream (lib/raw_stream.hpp)."""
    return (b"DRAW" + bytes([1, bits, channels, 1 if big else 0]) + struct.pack(">I", rate) +
            struct.pack(">Q", nbytes))


def encode(src, dst, *args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, *args, dst], check=True)


class Events:
    """Follows the event log on its own connection."""

    def __init__(self, server):
        self.c = server.root()
        code, _, _ = self.c.command("log")
        assert code == 254

    def wait(self, keyword, *fields, timeout=20):
        deadline = time.monotonic() + timeout
        self.c.sock.settimeout(timeout)
        while time.monotonic() < deadline:
            line = self.c.read_line()
            parts = split(line)[1:]
            if parts[:1 + len(fields)] == [keyword, *fields]:
                return parts
        raise AssertionError(f"no event {keyword} {fields}")

    def close(self):
        self.c.close()


def find(haystack, needle, start=0):
    """Index of the sample sequence needle in haystack (both array('h'))."""
    h = haystack.tobytes()
    n = needle.tobytes()
    i = h.find(n, start * 2)
    while i >= 0 and i % 2:
        i = h.find(n, i + 1)
    return -1 if i < 0 else i // 2




def zero_crossings_per_second(samples, channel=0, rate=RATE):
    """Sign changes per second of one channel of interleaved stereo.  Samples
    within a few LSBs of zero are ignored, so that the low-level ringing a
    rate converter leaves after the end of a tone is not counted."""
    mono = samples[channel::2]
    crossings, sign = 0, None
    for v in mono:
        if abs(v) < 64:
            continue
        if sign is not None and (v < 0) != sign:
            crossings += 1
        sign = v < 0
    return crossings / (len(mono) / rate)


class Jukebox(Server):
    """A server with a collection (self.music), playing to a file
    (self.output) through `cat`, with `extra` configuration lines."""

    def __init__(self, extra=""):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        self.output = os.path.join(self.dir, "output.raw")
        open(self.output, "wb").close()
        os.chmod(self.output, 0o666)
        self.extra_config = (f"collection fs utf-8 {self.music}\n"
                             "api command\n"
                             f"speaker_command \"cat >> {self.output}\"\n"
                             "sample_format 16l/44100/2\n"
                             "queue_pad 0\n" + extra)
        self.write_config()

    def track(self, name, seconds=0.2, freq=440):
        """A tone written as music/NAME; returns its path."""
        path = os.path.join(self.music, name)
        write_wav(path, tone(freq, seconds))
        return path

    def rescan(self):
        with closing(self.root()) as r:
            r.ok("rescan", "wait", "fresh")

    def _cat_is_done(self):
        """Whether every `cat` writing self.output has written all that the
        speaker gave it: it waits to read from a pipe that is empty (or
        has exited).  A finished track may still be in its pipe."""
        for pid in pids_named("cat"):
            try:
                if os.readlink(f"/proc/{pid}/fd/1") != self.output:
                    continue
                fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
                try:
                    queued = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
                finally:
                    os.close(fd)
                with open(f"/proc/{pid}/syscall") as f:
                    call = f.read().split()
            except OSError:
                continue  # it exited meanwhile
            # read(2) from fd 0 is "0 0x0 ..." on x86-64 and
            # "63 0x0 ..." on arm64.
            if queued or call[:2] not in (["0", "0x0"], ["63", "0x0"]):
                return False
        return True

    def output_samples(self):
        """What the output file holds, once `cat` has written all it was
        given (it may still be writing when a track is reported finished)."""
        wait_for(self._cat_is_done, "cat to write what it was given")
        with open(self.output, "rb") as f:
            data = f.read()
        a = array.array("h")
        a.frombytes(data[: len(data) // 4 * 4])
        return a
