"""Test audio and event helpers shared by the playing tests: tones
generated at test time, WAV writing, encoding with ffmpeg, finding a run of
samples in recorded output, and following the event log."""
import array
import math
import os
import subprocess
import time
import wave

from harness import split

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
