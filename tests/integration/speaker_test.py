#!/usr/bin/env python3
"""disorder-speaker end to end, driven here directly as disorderd would: a
SOCK_SEQPACKET socket pair, `prepare` messages carrying the read end of a
pipe (SCM_RIGHTS) that the test fills with raw-stream bytes it generates
(lib/raw_stream.hpp), and the speaker's reports read back.  Every backend
writes somewhere the test can read: the command backend to a file through
`cat`, RTP to a UDP socket on 127.0.0.1, ALSA through a file PCM plugin
(no sound card), libao through its raw file driver.  The checks are on
the samples that came out: exact where no resampling happens (including
the frames either side of a track boundary), length and pitch where it
does."""
import array
import fcntl
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import rtp_wire
from audio import raw_header
from harness import BUILDDIR, quote, run_tests, split, test, unheld_udp_ports, wait_for
from rtp_wire import udp_pair

SPEAKER = os.path.join(BUILDDIR, "server", "disorder-speaker")
NATIVE_BIG = sys.byteorder == "big"


# ------------------------------------------------------------- test signals

def tone(freq, rate, frames, channels, amplitude=12000, offset=0, phase=0.0):
    """Interleaved integer samples of a sine (the same on every channel
    unless phase differs per channel index)."""
    out = []
    for i in range(frames):
        for c in range(channels):
            out.append(int(round(offset + amplitude *
                                 math.sin(2 * math.pi * freq * i / rate + phase * c))))
    return out


def pack(samples, bits, big=False):
    if bits == 16:
        a = array.array("h", samples)
        if big != NATIVE_BIG:
            a.byteswap()
        return a.tobytes()
    if bits == 24:
        out = bytearray()
        for s in samples:
            b = (s & 0xffffff).to_bytes(3, "big" if big else "little")
            out += b
        return bytes(out)
    if bits == 32:
        a = array.array("i", samples)
        if big != NATIVE_BIG:
            a.byteswap()
        return a.tobytes()
    raise ValueError(bits)


def stream(bits, channels, rate, samples, big=False):
    pcm = pack(samples, bits, big)
    return raw_header(bits, channels, rate, len(pcm), big) + pcm


def s16(data, big=NATIVE_BIG):
    a = array.array("h")
    a.frombytes(data[:len(data) - len(data) % 2])
    if big != NATIVE_BIG:
        a.byteswap()
    return a


def zero_crossings(samples, channels, channel, start, end):
    n = 0
    prev = samples[start * channels + channel]
    for i in range(start + 1, end):
        s = samples[i * channels + channel]
        if (prev < 0) != (s < 0):
            n += 1
        prev = s
    return n


# ------------------------------------------------------------- the speaker

class Speaker:
    """One disorder-speaker with its control socket; messages it sends are
    collected by a thread, with the time they arrived."""

    def __init__(self, config_lines, args=(), env=None):
        self.dir = tempfile.mkdtemp(prefix="disorder-speaker-test-")
        self.config = os.path.join(self.dir, "config")
        with open(self.config, "w") as f:
            f.write("\n".join(config_lines) + "\n")
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.stderr = open(os.path.join(self.dir, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [SPEAKER, "--config", self.config, "--control-fd", str(theirs.fileno()),
             "--no-syslog", *args],
            pass_fds=[theirs.fileno()], env=full_env, stderr=self.stderr)
        theirs.close()
        self.messages = []  # (time, fields)
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.writers = []
        self.writer_errors = {}
        self.send("hello", "1")
        self.wait_for(["hello", "1"])

    def _read(self):
        while True:
            try:
                data = self.sock.recv(8192)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    self.messages.append((time.monotonic(), ["EOF"]))
                    self.cond.notify_all()
                    return
                self.messages.append((time.monotonic(), split(data.decode())))
                self.cond.notify_all()

    def send(self, *fields):
        self.sock.send(" ".join(quote(f) for f in fields).encode())
        return time.monotonic()

    def prepare(self, track_id, data, wait=True, pause_after=None):
        """Hands over a pipe whose writer (a thread) writes data and closes.
        With wait, returns once everything has been written (so the speaker
        has it buffered: tracks here are shorter than its buffer).  With
        pause_after=(N, SECONDS) the writer stops for SECONDS after N bytes,
        as a slow decoder would."""
        r, w = os.pipe()
        if pause_after:
            # Already in the pipe when the speaker gets it (the pipe is
            # made big enough; pipe-max-size is 1 MiB by default).
            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
            assert os.write(w, data[:pause_after[0]]) == pause_after[0]
            data = data[pause_after[0]:]
        socket.send_fds(self.sock, [f"prepare {track_id}".encode()], [r])
        os.close(r)

        def write():
            try:
                with os.fdopen(w, "wb") as f:
                    if pause_after:
                        time.sleep(pause_after[1])
                    f.write(data)
            except BrokenPipeError as e:
                self.writer_errors[track_id] = e

        t = threading.Thread(target=write, daemon=True)
        t.start()
        self.writers.append(t)
        if wait:
            t.join(10)
            assert not t.is_alive(), f"the speaker did not read {track_id}"
        return t

    def wait_for(self, fields, timeout=10.0, after=0):
        """The index of the first message equal to fields (or whose first
        fields match, if fields ends with None) at or after index `after`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.messages)):
                    m = self.messages[i][1]
                    if m == fields or (fields[-1] is None and m[:len(fields) - 1] == fields[:-1]):
                        return i
                if any(m[1] == ["EOF"] for m in self.messages):
                    raise AssertionError(f"speaker exited waiting for {fields}: {self.log()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {fields}; got "
                                         f"{[m[1] for m in self.messages]}; {self.log()}")
                self.cond.wait(left)

    def message(self, i):
        with self.cond:
            return self.messages[i]

    def reports(self, kinds=("started", "finished", "failed")):
        with self.cond:
            return [m[1] for m in self.messages if m[1][0] in kinds]

    def log(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def quit(self):
        self.send("quit")
        self.proc.wait(10)
        self.sock.close()
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def command_speaker(*extra):
    d = tempfile.mkdtemp(prefix="disorder-speaker-out-")
    out = os.path.join(d, "out.raw")
    sp = Speaker([f"speaker_command {quote('cat > ' + out)}", *extra])
    sp.out_dir = d
    return sp, out


def read_and_clean(sp, path):
    with open(path, "rb") as f:
        data = f.read()
    shutil.rmtree(sp.out_dir, ignore_errors=True)
    return data


# ----------------------------------------------------------------- command

@test
def hello_volume_and_exit_on_eof():
    sp, _ = command_speaker()
    try:
        sp.wait_for(["volume", "100", "100"])
        sp.send("volume", "40", "60")
        sp.wait_for(["volume", "40", "60"])
        sp.send("pause")
        sp.wait_for(["paused"])
        sp.send("resume")
        sp.wait_for(["resumed"])
        # disorderd died: the speaker goes too.
        sp.sock.shutdown(socket.SHUT_RDWR)
        assert sp.proc.wait(5) == 0, sp.log()
    finally:
        sp.close()


@test
def command_back_to_back_formats():
    """Four tracks back to back to `cat > FILE` in 16/44100/2: two in the
    output format (sample-exact, no gap at their boundary), one at 48 kHz
    mono 24-bit and one at 22.05 kHz stereo (resampled: right length and
    pitch)."""
    sp, out = command_speaker()
    try:
        a1 = tone(440, 44100, 52920, 2, phase=0.5)  # 1.2 s: one progress report
        a2 = tone(660, 44100, 22050, 2, amplitude=9000, offset=100)
        b = tone(1000, 48000, 24000, 1, amplitude=4000000)  # 24-bit
        c = tone(500, 22050, 11025, 2, amplitude=10000)
        sp.prepare("a1", stream(16, 2, 44100, a1))
        sp.prepare("a2", stream(16, 2, 44100, a2))
        sp.prepare("b", stream(24, 1, 48000, b))
        # The last one split in two segments of the same format.
        c_pcm = pack(c, 16)
        half = (len(c_pcm) // 8) * 4
        sp.prepare("c", raw_header(16, 2, 22050, half) + c_pcm[:half] +
                   raw_header(16, 2, 22050, len(c_pcm) - half) + c_pcm[half:])
        for t in ("a1", "a2", "b", "c"):
            sp.send("play", t)
        sp.wait_for(["finished", "c"], timeout=15)
        assert sp.reports() == [["started", "a1"], ["finished", "a1"], ["started", "a2"],
                                ["finished", "a2"], ["started", "b"], ["finished", "b"],
                                ["started", "c"], ["finished", "c"]], sp.reports()
        progress = [m[1] for m in sp.messages if m[1][0] == "progress"]
        assert progress == [["progress", "a1", "1"]], progress
        assert sp.quit() == 0, sp.log()
        got = s16(read_and_clean(sp, out))
        # The two tracks in the output format: exactly, boundary included.
        n_a = len(a1) + len(a2)
        assert list(got[:n_a]) == a1 + a2, "first two tracks differ"
        # 0.5 s at 48 kHz and 0.5 s at 22.05 kHz, each 22050 frames at 44.1 kHz.
        frames = len(got) // 2
        assert abs(frames - (n_a // 2 + 22050 + 22050)) <= 8, frames
        rest = got[n_a:]
        # b: mono made stereo, 1 kHz: 1000 crossings in half a second
        # (measured away from the edges, where the resampler ramps).
        b_start, b_end = 500, 22050 - 500
        for i in range(b_start, b_end):
            assert rest[2 * i] == rest[2 * i + 1], f"b frame {i} channels differ"
        crossings = zero_crossings(rest, 2, 0, b_start, b_end)
        assert abs(crossings - 2 * 1000 * (b_end - b_start) / 44100) <= 3, crossings
        peak = max(abs(s) for s in rest[2 * b_start:2 * b_end])
        assert abs(peak - 4000000 / 256) < 300, peak
        c_start, c_end = 22050 + 500, 44100 - 500
        crossings = zero_crossings(rest, 2, 1, c_start, c_end)
        assert abs(crossings - 2 * 500 * (c_end - c_start) / 44100) <= 3, crossings
        # No silence anywhere inside: the only zeros are the sine's own.
        assert all(rest[2 * i] or rest[2 * i + 2] for i in range(200, len(rest) // 2 - 200))
    finally:
        sp.close()


def one_silent_run(got, track):
    """got (interleaved stereo) is track with one run of silent frames
    inserted somewhere; returns the run's length in frames."""
    frames = [(got[2 * i], got[2 * i + 1]) for i in range(len(got) // 2)]
    zero = [i for i, f in enumerate(frames) if f == (0, 0)]
    assert zero, "no silence"
    assert zero == list(range(zero[0], zero[-1] + 1)), "silence not in one piece"
    assert all(f[0] and f[1] for f in frames if f != (0, 0)), "half-silent frames"
    assert [s for f in frames if f != (0, 0) for s in f] == track, "track samples changed"
    return len(zero)


@test
def command_format_changes_inside_a_track():
    """One track whose segments change format: each part converted, the
    resampler drained before the next format starts."""
    sp, out = command_speaker()
    try:
        one = tone(440, 44100, 13230, 2, phase=0.3)
        two = tone(1000, 48000, 14400, 1, amplitude=9000)
        three = tone(300, 44100, 13230, 2, amplitude=2000000)  # 24-bit
        data = (stream(16, 2, 44100, one) + stream(16, 1, 48000, two) +
                stream(24, 2, 44100, three, big=True))
        sp.prepare("t", data)
        sp.send("play", "t")
        sp.wait_for(["finished", "t"])
        assert sp.quit() == 0, sp.log()
        got = list(s16(read_and_clean(sp, out)))
        assert got[:len(one)] == one, "first part differs"
        assert got[-len(three):] == [s >> 8 for s in three], "last part differs"
        middle = got[len(one):-len(three)]
        assert abs(len(middle) // 2 - 13230) <= 8, len(middle) // 2
        crossings = zero_crossings(middle, 2, 0, 300, len(middle) // 2 - 300)
        assert abs(crossings - 2 * 1000 * (len(middle) // 2 - 600) / 44100) <= 3, crossings
    finally:
        sp.close()


@test
def command_underrun_is_silence():
    """A decoder that stalls in the middle of a track: the command gets
    silence meanwhile, then the rest of the track, nothing lost."""
    sp, out = command_speaker()
    try:
        t = tone(300, 44100, 44100, 2, amplitude=8000, offset=12000)
        data = stream(16, 2, 44100, t)
        # 0.6 s buffered (enough to start), then a stall of 1 s.
        sp.prepare("t", data, wait=False, pause_after=(20 + 4 * 26460, 1.0))
        sp.send("play", "t")
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        silent = one_silent_run(list(s16(read_and_clean(sp, out))), t)
        # About 0.4 s (1 s of stall less the 0.6 s buffered); more when a
        # busy machine is slow to wake the stalled writer up again.
        assert 0.2 < silent / 44100 < 2.0, silent / 44100
        # The log says so, with the silence the output got.
        said = re.search(r"t: 1 gap of silence, (\d+) ms in all: its decoder fell behind",
                         sp.log())
        assert said and abs(int(said.group(1)) - silent * 1000 / 44100) < 50, \
            (silent, sp.log())
    finally:
        sp.close()


@test
def command_slow_decoder_start_waits_rather_than_stutters():
    """A decoder that writes a little and then stalls, as one just started
    on a busy machine may: the track waits until half a second of it is
    buffered, so it plays through without a gap, after the silence
    of the wait."""
    sp, out = command_speaker()
    try:
        t = tone(300, 44100, 44100, 2, amplitude=8000, offset=12000)
        data = stream(16, 2, 44100, t)
        # 0.1 s in the pipe, then a stall of 0.5 s.
        sp.prepare("t", data, wait=False, pause_after=(20 + 4 * 4410, 0.5))
        sent = sp.send("play", "t")
        started = sp.message(sp.wait_for(["started", "t"]))[0]
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        got = list(s16(read_and_clean(sp, out)))
        frames = [(got[2 * i], got[2 * i + 1]) for i in range(len(got) // 2)]
        lead = next(i for i, f in enumerate(frames) if f != (0, 0))
        # Silence before the track (the wait), then the whole track in one
        # piece.
        assert got[2 * lead:] == t, "the track did not play through in one piece"
        assert started - sent >= 0.4, f"started after {started - sent:.2f} s"
        # The wait before the start is no gap in the track.
        assert "gap" not in sp.log(), sp.log()
    finally:
        sp.close()


@test
def command_restarted_when_it_exits():
    """A speaker_command that exits is started again and the track goes on
    (what the dead command had not read is lost)."""
    d = tempfile.mkdtemp(prefix="disorder-speaker-out-")
    out = os.path.join(d, "out.raw")
    sp = Speaker([f"speaker_command {quote('head -c 88200 >> ' + out)}"])
    try:
        t = tone(300, 44100, 44100, 2)
        sp.prepare("t", stream(16, 2, 44100, t))
        sp.send("play", "t")
        sp.wait_for(["error", None])
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        assert len([m for m in sp.reports(("error",))]) == 1, sp.reports(("error",))
        size = os.path.getsize(out)
        assert 88200 < size <= 2 * 88200, size
    finally:
        sp.close()
        shutil.rmtree(d, ignore_errors=True)


@test
def command_pause_inserts_only_silence():
    """pause_mode silence: while paused only zero samples are written; the
    track's own samples, once the zeros are taken out, are all there."""
    sp, out = command_speaker("pause_mode silence")
    try:
        # Never zero, so that the paused part stands out.
        t = tone(300, 44100, 44100, 2, amplitude=8000, offset=12000)
        sp.prepare("t", stream(16, 2, 44100, t))
        sp.send("play", "t")
        sp.wait_for(["started", "t"])
        time.sleep(0.3)
        paused_at = sp.send("pause")
        sp.wait_for(["paused"])
        time.sleep(0.4)
        resumed_at = sp.send("resume")
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        paused = one_silent_run(list(s16(read_and_clean(sp, out))), t) / 44100
        # The speaker's control loop, an ordinary thread, passes the pause
        # and the resume on when a busy machine lets it run.
        assert abs(paused - (resumed_at - paused_at)) < 0.25, (paused, resumed_at - paused_at)
    finally:
        sp.close()


@test
def command_cancel_playing_track_moves_on():
    sp, out = command_speaker()
    try:
        long_track = tone(200, 44100, 44100 * 6, 2, amplitude=5000, offset=9000)
        short = tone(800, 44100, 11025, 2, amplitude=5000, offset=-9000)
        writer = sp.prepare("long", stream(16, 2, 44100, long_track), wait=False)
        sp.prepare("short", stream(16, 2, 44100, short))
        sp.send("play", "long")
        sp.send("play", "short")
        sp.wait_for(["started", "long"])
        time.sleep(0.3)
        cancelled_at = sp.send("cancel", "long")
        i = sp.wait_for(["started", "short"])
        # At once, not after the 5.7 s left of the cancelled track (the
        # bound leaves room for a busy machine).
        assert sp.message(i)[0] - cancelled_at < 1.0, "next track late after cancel"
        sp.wait_for(["finished", "short"])
        # The decoder feeding the cancelled track sees its pipe closed.
        writer.join(5)
        assert "long" in sp.writer_errors, "writer not told of the cancel"
        assert ["finished", "long"] not in sp.reports()
        assert sp.quit() == 0, sp.log()
        got = list(s16(read_and_clean(sp, out)))
        assert got[-len(short):] == short, "the next track is not intact"
        head = got[:-len(short)]
        assert 0 < len(head) < 44100 * 2, len(head)
        # Never zero (its offset), so silence stands out: the speaker plays
        # silence while its decoder, here a thread of this test that a busy
        # machine may hold up, has not caught up.
        heard = [x for x in head if x != 0]
        assert heard == long_track[:len(heard)], "cancelled track's start differs"
    finally:
        sp.close()


@test
def command_bad_streams_fail_and_the_next_plays():
    sp, out = command_speaker()
    try:
        good_part = tone(440, 44100, 8820, 2, offset=3000)
        bad = stream(16, 2, 44100, good_part) + b"DRAX" + bytes(16) + b"garbage"
        truncated_part = tone(550, 44100, 4410, 2, offset=3000)
        tpcm = pack(truncated_part, 16)
        truncated = raw_header(16, 2, 44100, len(tpcm) + 4000) + tpcm
        nxt = tone(330, 44100, 13230, 2, offset=-3000)
        sp.prepare("bad", bad)
        sp.prepare("trunc", truncated)
        sp.prepare("next", stream(16, 2, 44100, nxt))
        for t in ("bad", "trunc", "next"):
            sp.send("play", t)
        sp.wait_for(["finished", "next"])
        reports = sp.reports()
        assert [r[:2] for r in reports] == [["started", "bad"], ["failed", "bad"],
                                            ["started", "trunc"], ["failed", "trunc"],
                                            ["started", "next"], ["finished", "next"]], reports
        assert "magic" in reports[1][2], reports[1]
        assert "truncated" in reports[3][2], reports[3]
        sp.send("play", "nonesuch")
        sp.wait_for(["failed", "nonesuch", None])
        assert sp.quit() == 0, sp.log()
        got = list(s16(read_and_clean(sp, out)))
        assert got == good_part + truncated_part + nxt, "played samples differ"
    finally:
        sp.close()


# --------------------------------------------------------------------- RTP

def recv_stamped(sock):
    """A datagram and when it arrived on the monotonic clock (the kernel's
    receive timestamp)."""
    mono, _, data = rtp_wire.recv_stamped(sock)
    return mono, data


def rtp_receiver():
    """A port on loopback for an RTP stream, and a thread collecting what
    arrives there as (arrival time, datagram).  Its port+1, where sender
    reports go, is held too, so that they cannot stray into another test.
    finish() stops the thread once the sender has quit, reads what is
    left in the socket, and returns everything."""
    r, rtcp = udp_pair(rcvbuf=4 << 20)
    r.setsockopt(socket.SOL_SOCKET, rtp_wire.SO_TIMESTAMPNS, 1)
    packets = []
    stop = threading.Event()

    def receive():
        r.settimeout(0.1)
        while not stop.is_set():
            try:
                packets.append(recv_stamped(r))
            except socket.timeout:
                continue
            except OSError:
                return

    t = threading.Thread(target=receive, daemon=True)
    t.start()

    def finish():
        stop.set()
        t.join()
        r.setblocking(False)
        while True:
            try:
                packets.append(recv_stamped(r))
            except BlockingIOError:
                break
        r.close()
        rtcp.close()
        return packets

    return r.getsockname()[1], packets, finish


def parse_rtp(data):
    b0, b1, seq, ts, ssrc = struct.unpack(">BBHII", data[:12])
    return {"version": b0 >> 6, "cc": b0 & 15, "marker": bool(b1 & 0x80), "pt": b1 & 0x7f,
            "seq": seq, "ts": ts, "ssrc": ssrc, "payload": data[12 + 4 * (b0 & 15):]}


def l16_samples(packets):
    """The samples the parsed RTP packets carry, in order (L16 is
    big-endian)."""
    samples = array.array("h")
    samples.frombytes(b"".join(p["payload"] for p in packets))
    if not NATIVE_BIG:
        samples.byteswap()
    return samples


@test
def rtp_stream():
    port, packets, finish = rtp_receiver()
    sp = Speaker([f"broadcast 127.0.0.1 {port}"])
    try:
        a = tone(440, 44100, 30000, 2, phase=1.0)
        b = tone(1000, 48000, 24000, 1, amplitude=10000)  # resampled, mono to stereo
        sp.prepare("a", stream(16, 2, 44100, a))
        sp.prepare("b", stream(16, 1, 48000, b, big=True))
        sp.send("play", "a")
        sp.send("play", "b")
        sp.wait_for(["finished", "b"], timeout=10)
        assert sp.quit() == 0, sp.log()
        got = [(t, parse_rtp(d)) for t, d in finish()]
        assert len(got) > 100, len(got)
        ssrcs = {p["ssrc"] for _, p in got}
        assert len(ssrcs) == 1, ssrcs
        for i, (_, p) in enumerate(got):
            assert p["version"] == 2 and p["cc"] == 0
            assert p["pt"] == 10, p["pt"]
            assert p["marker"] == (i == 0), f"marker on packet {i}"
            assert len(p["payload"]) % 4 == 0 and 0 < len(p["payload"]) <= 1460
            if i:
                prev = got[i - 1][1]
                assert p["seq"] == (prev["seq"] + 1) & 0xffff, "sequence gap"
                assert (p["ts"] - prev["ts"]) & 0xffffffff == len(prev["payload"]) // 4, \
                    "timestamp step is not the frames in the previous packet"
        assert len(got[0][1]["payload"]) == 1460  # 365 frames fill a 1500-byte MTU
        samples = l16_samples(p for _, p in got)
        assert list(samples[:len(a)]) == a, "first track's samples differ"
        frames_b = (len(samples) - len(a)) // 2
        assert abs(frames_b - 22050) <= 8, frames_b
        # Paced by the clock: the packets span the audio's duration, and
        # each one is near its time (generous bounds for a loaded machine).
        total = len(samples) // 2 / 44100
        span = got[-1][0] - got[0][0]
        assert abs(span - total) < 0.25, (span, total)
        start = got[0][0]
        frames = 0
        late = []
        for t, p in got:
            late.append(t - start - frames / 44100)
            frames += len(p["payload"]) // 4
        assert max(late) - min(late) < 0.25, (min(late), max(late))
    finally:
        sp.close()


@test
def rtp_pause_gap():
    port, packets, finish = rtp_receiver()
    sp = Speaker([f"broadcast 127.0.0.1 {port}"], args=["--rtp-timestamps", "samples"])
    try:
        t = tone(440, 44100, 44100, 2)
        sp.prepare("t", stream(16, 2, 44100, t))
        sp.send("play", "t")
        sp.wait_for(["started", "t"])
        time.sleep(0.3)  # some of the track, then
        paused_at = sp.send("pause")
        sp.wait_for(["paused"])
        time.sleep(0.7)  # a pause long enough to tell
        resuming = time.monotonic()  # send() reads the clock after: the speaker may be first
        sp.send("resume")
        sp.wait_for(["finished", "t"])
        assert sp.quit() == 0, sp.log()
        got = [(t, parse_rtp(d)) for t, d in finish()]
        # Nothing is sent while paused.  The speaker's control loop is an
        # ordinary thread, which a busy machine may hold up for a while
        # before it passes the pause on.
        paused = [t - paused_at for t, _ in got if paused_at < t < resuming]
        assert not paused or max(paused) < 0.3, paused
        # A marker on the first packet and on the first after the pause.
        # (An audio thread that a busy machine held up may mark its catching
        # up as a new talkspurt too: that one may follow.)
        markers = [i for i, (_, p) in enumerate(got) if p["marker"]]
        assert markers[0] == 0, markers
        after_pause = [i for i in markers if got[i][0] > resuming]
        assert after_pause and not [i for i in markers[1:] if got[i][0] <= resuming], markers
        i = after_pause[0]
        (sent_before, before), (sent_after, after) = got[i - 1], got[i]
        assert after["seq"] == (before["seq"] + 1) & 0xffff
        assert sent_after > resuming, (sent_after, resuming)
        # --rtp-timestamps samples: two per stereo frame; across the pause
        # the timestamp moved on by the time that passed between the two
        # packets (as they arrived over loopback from the audio thread,
        # which runs at real-time priority) after the first one's frames.
        step = (after["ts"] - before["ts"]) & 0xffffffff
        gap = (step - len(before["payload"]) // 2) / 2 / 44100
        passed = sent_after - sent_before - len(before["payload"]) // 4 / 44100
        assert abs(gap - passed) < 0.05, (gap, passed)
        samples = l16_samples(p for _, p in got)
        assert list(samples) == t, "samples differ"
    finally:
        sp.close()


@test
def rtp_speaker_held_up_skips_ahead_and_says_so():
    """A speaker held up while it plays (here: stopped for 0.3 s) keeps its
    RTP timestamps on the clock, so that listeners stay on the timeline:
    the stream skips ahead, nothing of the track is lost, and the speaker
    logs by how much, so that a listener's silence there is explained."""
    port, packets, finish = rtp_receiver()
    sp = Speaker([f"broadcast 127.0.0.1 {port}"])
    try:
        t = tone(440, 88200, 44100, 2)
        sp.prepare("t", stream(16, 2, 44100, t))
        sp.send("play", "t")
        sp.wait_for(["started", "t"])
        wait_for(lambda: len(packets) > 20, "packets")
        sp.proc.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        sp.proc.send_signal(signal.SIGCONT)
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        got = [parse_rtp(d) for _, d in finish()]
        # Timestamps that moved on by more than the previous packet's frames.
        skipped = sum((p["ts"] - q["ts"] - len(q["payload"]) // 4) & 0xffffffff
                      for q, p in zip(got, got[1:]))
        assert 0.2 * 44100 < skipped < 1.0 * 44100, skipped
        assert list(l16_samples(got)) == t, "samples differ"
        said = re.findall(r"t: skipped (\d+) ms of the stream in (\d+) places?: the speaker was "
                          r"held up, and listeners heard silence there", sp.log())
        assert len(said) == 1 and abs(int(said[0][0]) - skipped * 1000 / 44100) <= 1, \
            (skipped, sp.log())
    finally:
        sp.close()


@test
def rtp_nobody_listening_is_logged_once():
    port = unheld_udp_ports(2)  # nobody listens: ICMP port unreachable
    sp = Speaker([f"broadcast 127.0.0.1 {port}"])
    try:
        t = tone(440, 44100, 26460, 2)
        sp.prepare("t", stream(16, 2, 44100, t))
        sp.send("play", "t")
        sp.wait_for(["finished", "t"])
        assert sp.quit() == 0, sp.log()
        lines = [l for l in sp.log().splitlines() if "sending RTP" in l]
        assert len(lines) == 1, lines
        assert "refused" in lines[0], lines
    finally:
        sp.close()


# -------------------------------------------------------------- ALSA and ao

@test
def alsa_file_plugin_with_software_volume():
    d = tempfile.mkdtemp(prefix="disorder-speaker-alsa-")
    out = os.path.join(d, "out.raw")
    conf = os.path.join(d, "asound.conf")
    with open(conf, "w") as f:
        f.write('pcm.speakertest {\n  type file\n  slave { pcm { type null } }\n'
                f'  file "{out}"\n  format raw\n}}\n')
    sp = Speaker(["api alsa", "device speakertest", "sample_format 16b/48000/2"],
                 env={"ALSA_CONFIG_PATH": conf})
    try:
        sp.send("volume", "50", "100")
        sp.wait_for(["volume", "50", "100"])
        t = tone(440, 48000, 24000, 2, amplitude=20000)
        sp.prepare("t", stream(16, 2, 48000, t))
        sp.send("play", "t")
        sp.wait_for(["finished", "t"], timeout=10)
        assert sp.quit() == 0, sp.log()
        with open(out, "rb") as f:
            got = list(s16(f.read(), big=True))
        gain = round(65536 * 10 ** (-30 / 20))  # volume 50: -30 dB
        expected = [(s * gain) >> 16 if i % 2 == 0 else s for i, s in enumerate(t)]
        assert got[:len(expected)] == expected, "samples differ"
        assert not any(got[len(expected):]), "non-zero samples after the track"
    finally:
        sp.close()
        shutil.rmtree(d, ignore_errors=True)


@test
def ao_raw_file_driver():
    d = tempfile.mkdtemp(prefix="disorder-speaker-ao-")
    out = os.path.join(d, "out.raw")
    sp = Speaker(["api ao", "sample_format 16/44100/1"], args=["--ao-file", out],
                 env={"HOME": d})
    try:
        a = tone(440, 44100, 11025, 1)
        b = tone(440, 44100, 11025, 2)  # made mono: the mean of equal channels
        sp.prepare("a", stream(16, 1, 44100, a))
        sp.prepare("b", stream(16, 2, 44100, b))
        sp.send("play", "a")
        sp.send("play", "b")
        sp.wait_for(["finished", "b"], timeout=10)
        assert sp.quit() == 0, sp.log()
        with open(out, "rb") as f:
            got = list(s16(f.read()))
        assert got == a + b[::2], "samples differ"
    finally:
        sp.close()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_tests()
