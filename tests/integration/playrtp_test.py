#!/usr/bin/env python3
"""disorder-playrtp as a listener hears it.  Each test runs the real
program with the command backend writing what it plays to a file, feeds
it RTP over loopback -- from a sender in this file (paced in real time,
optionally through a relay that loses, duplicates, delays and reorders
packets), from ffmpeg, from GStreamer, from disorderd itself -- and asserts
the samples that came out.  Also: asking the server where the stream is,
requesting a stream from a (stand-in) server, the remote control socket,
IPv6, and IPv6 multicast in a network namespace of its own."""
import array
import math
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from audio import RATE, find, tone, zero_crossings_per_second
from harness import (free_udp_port, run_tests, stand_in_priority, standing_in,
                     test, wait_for)
from playrtp_harness import (Listener, Relay, RtpJukebox, dropout_allowed, play_tracks,
                             what_they_said)

PACKET = 352  # frames per packet, as DisOrder 5.2 sends (disorder-speaker sends 365)


def big_endian(samples):
    a = array.array("h", samples)
    if sys.byteorder == "little":
        a.byteswap()
    return a.tobytes()


class Sender:
    """RTP L16 over UDP, paced in real time: packet k leaves at start +
    k * PACKET / RATE, from a thread at stand_in_priority() (it stands for
    another host).  Remembers each packet's sequence number and first
    frame."""

    def __init__(self, dest, samples, units=1, pt=10, ssrc=0x5eed1234, sequence=65500,
                 timestamp=0xffffffff - 30000, family=socket.AF_INET, channels=2):
        self.dest = dest
        self.samples = samples
        self.units = units
        self.pt = pt
        self.ssrc = ssrc
        self.sequence = sequence
        self.timestamp = timestamp
        self.channels = channels
        self.rate = RATE
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sent = []  # (sequence, first frame, frames)

    def run(self):
        with standing_in():
            return self._run()

    def _run(self):
        frames = len(self.samples) // self.channels
        start = time.monotonic() + 0.02
        for k, first in enumerate(range(0, frames, PACKET)):
            n = min(PACKET, frames - first)
            delay = start + first / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            seq = (self.sequence + k) & 0xffff
            ts = (self.timestamp + first * self.units) & 0xffffffff
            header = struct.pack(">BBHII", 0x80, (0x80 if k == 0 else 0) | self.pt, seq, ts,
                                 self.ssrc)
            payload = big_endian(self.samples[first * self.channels:(first + n) * self.channels])
            self.sock.sendto(header + payload, self.dest)
            self.sent.append((seq, first, n))
        self.sock.close()
        return len(self.sent)


def tone_start(out, signal_):
    """Where signal_ (array('h'), stereo) begins in out, by its first 1000
    frames after frame 0 (frame 0 of a sine is silence)."""
    at = find(out, signal_[2:2002])
    assert at >= 0, "the signal is not in the output"
    return at - 2


def resampled(listener):
    """Whether the listener left its locked (pass-through) state at any
    time, as its last report's count of glides says."""
    return int(listener.stats.get("glides", "0")) > 0


def silent_runs(out, shortest=100, edge=64):
    """Of out's sounding part (from its first to its last sample over 64):
    the runs of at least `shortest` silent frames, as (first frame,
    frames); and the pitch of what sounds between them (sign changes per
    second of the left channel), leaving out `edge` frames either side of
    each run, where a resampler rings."""
    loud = [i // 2 for i, v in enumerate(out) if abs(v) > 64]
    assert loud, "nothing sounds"
    runs = [(a + 1, b - a - 1) for a, b in zip(loud, loud[1:]) if b - a > shortest]
    starts = [loud[0]] + [first + n for first, n in runs]
    ends = [first for first, _ in runs] + [loud[-1] + 1]
    crossings = frames = 0
    for start, end in zip(starts, ends):
        start, end = start + edge, end - edge
        if end - start > edge:
            crossings += zero_crossings_per_second(out[start * 2:end * 2]) * (end - start) / RATE
            frames += end - start
    return runs, crossings / (frames / RATE)


def without_skips(out, said):
    """out, less the silences the listener concealed where disorderd's
    speaker, held up by the machine's load, skipped ahead on its timeline,
    if it said so in `said` (its log); else out as it is."""
    if "the speaker was held up" not in said:
        return out
    print("# the speaker was held up: its skips are left out", flush=True)
    kept, i, n = array.array("h"), 0, len(out) // 2
    while i < n:
        j = i
        while j < n and out[2 * j] == 0 and out[2 * j + 1] == 0:
            j += 1
        if j - i >= 32:
            i = j
            continue
        j = max(j, i + 1)
        kept.extend(out[2 * i:2 * j])
        i = j
    return kept


def assert_hears(out, track, listener, said, start=0):
    """Where track begins in out, from `start` on: sample for sample, or
    (when the listener resampled for a while: see assert_plays_exactly)
    what sounds there is the track's pitch for the track's length.  `said`
    is what the listener and disorderd logged (what_they_said()): see
    without_skips()."""
    out = without_skips(out, said)
    at = find(out, track, start)
    if at >= 0 or not resampled(listener):
        assert at >= 0, f"the track is not in the output\n{said}"
        return at
    print("# the listener resampled for a while, so not compared sample for sample", flush=True)
    at = next((i for i in range(start - start % 2, len(out), 2) if abs(out[i]) > 64), None)
    assert at is not None, f"nothing sounds\n{said}"
    part = out[at:at + len(track)]
    assert len(part) > len(track) * 0.99, f"{len(part) // 2} frames of {len(track) // 2}\n{said}"
    heard, want = zero_crossings_per_second(part), zero_crossings_per_second(track)
    assert abs(heard - want) < want * 0.005, f"heard {heard:.1f}, the track {want:.1f}\n{said}"
    return at


def assert_plays_exactly(out, signal_, listener):
    """out, the listener's output, is silence, then exactly signal_, then
    silence; returns where signal_ begins.  Unless the sender (a thread of
    this test) was held up by the machine's load after all, and the
    listener rightly left its locked (pass-through) state to glide back
    onto its schedule, as its reports show: then signal_ is there at its
    pitch and length, and None is returned."""
    if resampled(listener):
        print("# the sender's pacing was disturbed: the listener resampled, so not compared "
              "sample for sample", flush=True)
        loud = [i for i, v in enumerate(out) if abs(v) > 64]
        assert loud, f"nothing played\n{listener.log()}"
        frames = (loud[-1] - loud[0]) // 2
        assert abs(frames - len(signal_) // 2) < RATE // 50, (frames, listener.log())
        heard = zero_crossings_per_second(out[loud[0] // 2 * 2:loud[-1] // 2 * 2 + 2])
        sent = zero_crossings_per_second(signal_)
        assert abs(heard - sent) < sent * 0.005, (heard, sent, listener.log())
        return None
    at = tone_start(out, signal_)
    played = out[at:at + len(signal_)]
    if played != signal_:
        k = next((i for i, (a, b) in enumerate(zip(played, signal_)) if a != b), len(played))
        raise AssertionError(f"the samples differ from frame {k // 2} of {len(signal_) // 2} on "
                             f"({len(played) // 2} played)\n{listener.log()}")
    assert not any(out[:at]) and not any(out[at + len(signal_):]), \
        f"noise around the signal\n{listener.log()}"
    return at


@test
def a_paced_sender_is_played_sample_for_sample():
    # Frame-counted timestamps (RFC 3551), then sample-counted ones
    # (DisOrder 5.2); sequence numbers and timestamps wrap during each.
    for units, pause_mode in ((1, "silence"), (2, "suspend")):
        signal_ = tone(440, 2.0)
        port = free_udp_port()
        with Listener(str(port), pause_mode=pause_mode) as listener:
            listener.wait_listening()
            sent = Sender(("127.0.0.1", port), signal_, units=units).run()
            listener.wait_done(sent)
            listener.stop()
            out = listener.samples()
            at = assert_plays_exactly(out, signal_, listener)
            if pause_mode == "suspend":
                # Nothing written but the stream.
                assert at == 0 and len(out) == len(signal_), (at, len(out), len(signal_))
            stats = listener.stats
            assert stats["format"] == ("16b/44100/2/samples" if units == 2 else "16b/44100/2/frames")
            assert stats["locked"] == "yes" and stats["glides"] == "0", stats
            assert stats["jumps"] == "0", stats
            assert stats["late"] == "0" and stats["concealed_frames"] == "0", stats


@test
def alsa_output():
    signal_ = tone(440, 1.5)
    port = free_udp_port()
    with Listener(str(port), alsa=True, pause_mode="silence") as listener:
        listener.wait_listening()
        sent = Sender(("127.0.0.1", port), signal_).run()
        listener.wait_done(sent)
        listener.stop()
        assert_plays_exactly(listener.samples(), signal_, listener)
        assert listener.stats["jumps"] == "0" and listener.stats["locked"] == "yes", listener.stats


@test
def loss_duplication_reordering_and_jitter_leave_only_silence_for_lost_packets():
    signal_ = tone(440, 5.0)
    port = free_udp_port()
    # All the threads of this process stand in for the network (they
    # inherit the priority; the listener does not): a relay thread waiting
    # for Python's lock while an ordinary thread that holds it is held up
    # by the machine's load would add jitter of its own, beyond the
    # relay's, and the listener would rightly resample or skip.
    with standing_in(), Listener(str(port)) as listener:
        listener.wait_listening()
        relay = Relay(("127.0.0.1", port))
        try:
            sender = Sender(relay.address, signal_)
            sender.run()
        finally:
            relay.close()
        listener.wait_done(relay.datagrams)
        listener.stop()
        out = listener.samples()
        stats = listener.stats
    forwarded = set(relay.forwarded)
    lost = [(first, n) for seq, first, n in sender.sent if seq not in forwarded]
    assert 0 < len(lost) < len(sender.sent) // 5, len(lost)
    assert int(stats["duplicates"]) > 0 and stats["late"] == "0", stats
    kept = [(first, n) for seq, first, n in sender.sent if seq in forwarded]
    begin = min(first for first, _ in kept)
    end = max(first + n for first, n in kept)
    if int(stats["underruns"]) > 0:
        # The machine held up the listener itself past what its output
        # holds, and it skipped what it fell behind by (see
        # playrtp_harness.dropout_allowed): what is left is the tone, at its
        # pitch, short by no more than its latency at each hold-up.
        allowed_ms = dropout_allowed(stats, 0)
        short = (end - begin) - len(out) // 2
        assert -PACKET <= short <= int(stats["underruns"]) * RATE * allowed_ms // 1000 + PACKET, \
            (short, stats)
        _, heard = silent_runs(out)
        want = zero_crossings_per_second(signal_)
        assert abs(heard - want) < want * 0.01, (heard, want, stats)
        return
    # The stream's time, from its first frame that arrived to its last,
    # within a packet.
    assert abs(len(out) // 2 - (end - begin)) <= PACKET, (len(out) // 2, end - begin, stats)
    expected = array.array("h", signal_)
    for first, n in lost:
        expected[first * 2:(first + n) * 2] = array.array("h", bytes(n * 4))
    expected = expected[begin * 2:end * 2]
    inside = [(first, n) for first, n in lost if begin < first < end]
    assert int(stats["concealed_frames"]) == sum(n for _, n in inside), stats
    if resampled(listener):
        # A packet the machine's load held up past the relay's jitter made
        # the listener glide back onto its schedule, resampling slightly
        # for a while; so each run of lost packets is a run of silence of
        # its length, give or take the resampler's reach, and between them
        # the tone plays at its pitch.
        print("# the listener resampled for a while, so not compared sample for sample",
              flush=True)
        gaps = []
        for first, n in inside:
            if gaps and gaps[-1][0] + gaps[-1][1] == first:
                gaps[-1] = (gaps[-1][0], gaps[-1][1] + n)
            else:
                gaps.append((first, n))
        runs, heard = silent_runs(out)
        # The resampler reaches 32 frames either side of its position.
        assert len(runs) == len(gaps) and all(
            abs(run - gap) <= 64 + gap // 500 for (_, run), (_, gap) in zip(runs, gaps)), \
            (gaps, runs, stats)
        want = zero_crossings_per_second(signal_)
        assert abs(heard - want) < want * 0.01, (heard, want, stats)
        return
    assert out[:len(expected)] == expected, f"lost packets are not exactly silence: {stats}"


@test
def ffmpeg_stream_plays_at_the_right_pitch_and_length():
    port = free_udp_port()
    with Listener(str(port)) as listener:
        listener.wait_listening()
        # ffmpeg stands for another host.  Were its pacing held up by this
        # machine's load, the listener would rightly glide (resample) onto
        # the steadier schedule that later packets show, and what it plays
        # would no longer be ffmpeg's samples exactly.
        # Its sender reports go to a port held here, so that they cannot
        # stray into another test that happens to bind it.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtcp:
            rtcp.bind(("127.0.0.1", 0))
            subprocess.run(
                ["ffmpeg", "-v", "error", "-re", "-f", "lavfi",
                 "-i", "sine=frequency=1000:sample_rate=44100:duration=3",
                 "-ac", "2", "-c:a", "pcm_s16be", "-ar", "44100", "-f", "rtp",
                 f"rtp://127.0.0.1:{port}?rtcpport={rtcp.getsockname()[1]}"],
                check=True, timeout=30, stdout=subprocess.DEVNULL, preexec_fn=stand_in_priority)
        # All it sent is at the listener's port: the count once it is read
        # is the final one.
        listener.wait_read(port)
        listener.wait_done(int(listener.stats["accepted"]))
        listener.stop()
        out = listener.samples()
        stats = listener.stats
    assert stats["format"] == "16b/44100/2/frames", stats
    frames = len(out) // 2
    assert abs(frames - 3 * RATE) < 2 * 1024, (frames, listener.log())
    rate = zero_crossings_per_second(out)
    assert abs(rate - 2000) < 10, f"heard {rate / 2:.1f} Hz, expected 1000"
    # ffmpeg's own rendering of the same sine, sample for sample.
    reference = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         "sine=frequency=1000:sample_rate=44100:duration=3", "-ac", "2", "-f", "s16le", "-"],
        check=True, capture_output=True).stdout
    ref = array.array("h")
    ref.frombytes(reference)
    # Sample for sample, unless ffmpeg's pacing was held up by this
    # machine's load after all and the listener rightly left its locked
    # (pass-through) state to glide onto the new schedule, as its reports
    # show; the pitch and the length above hold either way.
    if not resampled(listener):
        at = find(out, ref[2000:4000])
        assert at >= 0 and out[at:at + 200000] == ref[2000:2000 + 200000][:len(out) - at]
    else:
        print("# ffmpeg's pacing was disturbed: the listener resampled, so not compared "
              "sample for sample", flush=True)


@test
def gstreamer_stream_plays_at_the_right_pitch_and_length():
    port = free_udp_port()
    with Listener(str(port)) as listener:
        listener.wait_listening()
        # 150 buffers of 882 frames: 3 s.  rtpL16pay uses dynamic payload
        # type 96, which means 16/44100/2 unless --format says otherwise.
        subprocess.run(
            ["gst-launch-1.0", "-q", "audiotestsrc", "num-buffers=150", "samplesperbuffer=882",
             "freq=1000", "!", "audioconvert", "!",
             "audio/x-raw,format=S16BE,rate=44100,channels=2", "!", "rtpL16pay", "!",
             "udpsink", "host=127.0.0.1", f"port={port}"],
            check=True, timeout=30, stdout=subprocess.DEVNULL, preexec_fn=stand_in_priority)
        listener.wait_read(port)
        listener.wait_done(int(listener.stats["accepted"]))
        listener.stop()
        out = listener.samples()
        stats = listener.stats
    assert stats["format"] == "16b/44100/2/frames", stats
    frames = len(out) // 2
    assert abs(frames - 3 * RATE) < 2 * 1024, (frames, listener.log())
    rate = zero_crossings_per_second(out)
    assert abs(rate - 2000) < 10, f"heard {rate / 2:.1f} Hz, expected 1000"


@test
def a_dynamic_payload_type_in_another_format_is_converted_for_the_command():
    # 48 kHz mono as payload type 97, announced with --format; the command
    # gets 44.1 kHz stereo whatever the stream is.
    rate = 48000
    mono = array.array("h", (int(8000 * math.sin(2 * math.pi * 1000 * i / rate))
                             for i in range(2 * rate)))
    port = free_udp_port()
    with Listener(str(port), extra=("--format", "16/48000/1")) as listener:
        listener.wait_listening()
        sender = Sender(("127.0.0.1", port), mono, pt=97, channels=1)
        sender.rate = rate
        sent = sender.run()
        listener.wait_done(sent)
        listener.stop()
        out = listener.samples()
        stats = listener.stats
    assert stats["format"] == "16b/48000/1/frames" and stats["locked"] == "yes", stats
    assert out[0::2] == out[1::2], "mono should be the same in both channels"
    assert abs(len(out) // 2 - 2 * RATE) < 2 * PACKET, len(out) // 2
    rate_ = zero_crossings_per_second(out)
    assert abs(rate_ - 2000) < 10, f"heard {rate_ / 2:.1f} Hz, expected 1000"


# disorderd's speaker states a timeline, and on it the listener trims its
# playout by resampling tens of microseconds at a time
# (playrtp_sync_test.py); these tests compare samples bit for bit, so they
# play by arrival.
NO_SYNC = ("--no-sync",)


@test
def two_listeners_on_a_multicast_group_hear_disorderd_play_the_tracks():
    port = free_udp_port()
    group = f"239.255.{random.randint(0, 255)}.{random.randint(1, 254)}"
    with RtpJukebox(f"{group} {port}") as s:
        tracks = [tone(440, 1.2), tone(660, 0.8, amplitude=6000)]
        with Listener(f"{group}%lo", str(port), extra=NO_SYNC) as a, \
                Listener(f"{group}%lo", str(port), extra=NO_SYNC) as b:
            a.wait_listening()
            b.wait_listening()
            play_tracks(s, tracks)
            # Every packet sent is at the listeners' port; once they have
            # read them all, their counts are final.
            a.wait_read(port)
            b.wait_read(port)
            for listener in (a, b):
                listener.wait_done(int(listener.stats["packets"]))
                listener.stop()
                out = listener.samples()
                # What the listener and the server said, should it fail.
                said = what_they_said(listener, s)
                first = assert_hears(out, tracks[0], listener, said)
                second = assert_hears(out, tracks[1], listener, said, first + len(tracks[0]))
                # With a resampled stretch, within the 1000 ppm of resampling.
                assert abs(second - (first + len(tracks[0]))) <= \
                    (2 * len(tracks[0]) // 1000 if resampled(listener) else 0), \
                    f"the second does not follow the first (at {second} rather than " \
                    f"{first + len(tracks[0])})\n{said}"
                assert listener.stats["jumps"] == "0", said


@test
def with_no_address_it_asks_the_server_where_the_stream_is():
    port = free_udp_port()
    with RtpJukebox(f"127.0.0.1 {port}") as s:
        track = tone(550, 1.0)
        with Listener(config=s.config_path, extra=NO_SYNC) as listener:
            listener.wait_listening()
            assert any(f"port {port}" in line for line in listener.lines), listener.log()
            play_tracks(s, [track])
            listener.wait_read(port)
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            assert_hears(listener.samples(), track, listener, what_they_said(listener, s))


@test
def in_request_mode_the_server_streams_to_the_listener_that_asks():
    with RtpJukebox("request") as s:
        track = tone(620, 1.0)
        with Listener(config=s.config_path, extra=NO_SYNC) as listener:
            listener.wait_listening()
            wait_for(lambda: any("sending a stream" in line for line in listener.lines),
                     "the stream to be requested")
            port = int(next(line for line in listener.lines
                            if "sending a stream" in line).rsplit(" ", 1)[1])
            play_tracks(s, [track])
            listener.wait_read(port)
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            assert_hears(listener.samples(), track, listener, what_they_said(listener, s))
            # It asked for, and got, frame-counted timestamps and RTCP.
            assert listener.stats["format"] == "16b/44100/2/frames", listener.stats
            assert " (frames rtcp)" in s.log_text(), s.log_text()


class StandInServer:
    """Enough of disorderd on its privileged socket for a listener to log
    in (trusted) and request a stream: it sends `signal_` by RTP to the
    address the listener names, and records the commands it got.  As
    DisOrder's server (disorder=True) it takes rtp-request with ADDRESS and
    PORT only (anything longer is a 500) and counts timestamps in
    samples."""

    def __init__(self, home, signal_, disorder=False):
        self.disorder = disorder
        os.makedirs(os.path.join(home, "private"))
        self.path = os.path.join(home, "private", "socket")
        self.signal = signal_
        self.commands = []
        self.sender = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _ = self.listener.accept()
        f = conn.makefile("rwb", buffering=0)
        f.write(b"231 2 sha1 0123456789abcdef\n")
        while True:
            line = f.readline()
            if not line:
                return
            words = line.decode().split()
            self.commands.append(words)
            if words[0] == "user":
                f.write(b"230 OK\n")
            elif words[0] == "rtp-request" and self.disorder and len(words) != 3:
                f.write(b"500 wrong number of arguments\n")
            elif words[0] == "rtp-request":
                f.write(b"250 OK\n")
                dest = (words[1], int(words[2]))
                # Started before the test can see it, so that it can join it.
                units = 2 if self.disorder else 1
                sender = threading.Thread(target=Sender(dest, self.signal, units=units).run)
                sender.start()
                self.sender = sender
            else:
                f.write(b"250 OK\n")


@test
def a_listener_requests_its_own_stream_and_cancels_it():
    home = tempfile.mkdtemp(prefix="playrtp-home-")
    try:
        config = os.path.join(home, "config")
        with open(config, "w") as f:
            f.write(f"home {home}\nrtp_always_request yes\nusername tester\n"
                    "rtp_instance_name kitchen\n")
        signal_ = tone(770, 1.5)
        server = StandInServer(home, signal_)
        with Listener(config=config) as listener:
            listener.wait_listening()
            wait_for(lambda: server.sender, "the listener to request a stream")
            server.sender.join()
            listener.wait_done(-(-len(signal_) // 2 // PACKET))  # every packet sent
            listener.stop()
            assert_plays_exactly(listener.samples(), signal_, listener)
            # rtp_instance_name names this listener in its log.
            assert listener.lines and all(line.startswith("disorder-playrtp[kitchen]: ")
                                          for line in listener.lines), listener.lines
        assert server.commands[0] == ["user", "tester", "-"], server.commands
        request = server.commands[1]
        # It asks for frame-counted timestamps and RTCP sender reports.
        assert request[:2] == ["rtp-request", "127.0.0.1"] and request[3:] == ["frames", "rtcp"], \
            request
        assert ["rtp-cancel"] in server.commands, server.commands
    finally:
        shutil.rmtree(home, ignore_errors=True)


@test
def from_a_disorder_server_it_requests_a_plain_stream_and_plays_its_samples():
    home = tempfile.mkdtemp(prefix="playrtp-home-")
    try:
        config = os.path.join(home, "config")
        with open(config, "w") as f:
            f.write(f"home {home}\nrtp_always_request yes\nusername tester\n")
        signal_ = tone(770, 1.5)
        server = StandInServer(home, signal_, disorder=True)
        with Listener(config=config) as listener:
            listener.wait_listening()
            wait_for(lambda: server.sender, "the listener to request a stream")
            server.sender.join()
            listener.wait_done(-(-len(signal_) // 2 // PACKET))  # every packet sent
            listener.stop()
            assert_plays_exactly(listener.samples(), signal_, listener)
            assert listener.stats["format"] == "16b/44100/2/samples", listener.stats
        requests = [c for c in server.commands if c[0] == "rtp-request"]
        assert [len(r) for r in requests] == [5, 3], requests  # with options, then without
    finally:
        shutil.rmtree(home, ignore_errors=True)


@test
def the_remote_control_socket():
    port = free_udp_port()
    d = tempfile.mkdtemp(prefix="playrtp-control-")
    path = os.path.join(d, "control")
    try:
        with Listener(str(port), extra=("--socket", path)) as listener:
            listener.wait_listening()

            def ask(line):
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                    c.settimeout(5)
                    c.connect(path)
                    c.sendall(line.encode() + b"\n")
                    data = b""
                    while True:
                        chunk = c.recv(100)
                        if not chunk:
                            return data.decode()
                        data += chunk
            def answers():
                # The file appears when the socket is bound, a moment
                # before it listens: until then a connection is refused.
                try:
                    return ask("query")
                except (FileNotFoundError, ConnectionRefusedError):
                    return None
            assert wait_for(answers, "the control socket to answer") == "running\n"
            assert ask("getvol") == "100 100\n"
            assert ask("setvol 50 40") == "50 40\n"
            assert ask("getvol") == "50 40\n"
            assert ask("nonsense") == ""
            # At 50 the left channel is 30 dB down.
            signal_ = tone(440, 1.0)
            sent = Sender(("127.0.0.1", port), signal_).run()
            listener.wait_done(sent)
            out = listener.samples()
            peak = max(abs(v) for v in out[0::2])
            assert 200 < peak < 300, peak
            assert ask("stop") == ""
            listener.proc.wait(10)
            assert listener.proc.returncode == 0
            assert not os.path.exists(path)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@test
def ipv6_unicast():
    port = free_udp_port(socket.AF_INET6, "::1")
    signal_ = tone(330, 1.0)
    with Listener(str(port)) as listener:
        listener.wait_listening()
        sent = Sender(("::1", port), signal_, family=socket.AF_INET6).run()
        listener.wait_done(sent)
        listener.stop()
        assert_plays_exactly(listener.samples(), signal_, listener)


def ipv6_multicast_inside():
    """Run inside a new network namespace: a veth pair (lo cannot carry
    IPv6 multicast), a listener joined to a group on one end, a sender
    whose packets come back to it by multicast loopback."""
    with open("/proc/sys/net/ipv6/conf/default/accept_dad", "w") as f:
        f.write("0")  # addresses usable at once
    for command in (["ip", "link", "set", "lo", "up"],
                    ["ip", "link", "add", "rtp0", "type", "veth", "peer", "name", "rtp1"],
                    ["ip", "link", "set", "rtp0", "up"], ["ip", "link", "set", "rtp1", "up"]):
        subprocess.run(command, check=True)
    port = 9000
    group = "ff15::d15:ca7"
    index = socket.if_nametoindex("rtp0")
    signal_ = tone(880, 1.0)
    with Listener(f"{group}%rtp0", str(port)) as listener:
        listener.wait_listening()
        sender = Sender((group, port, 0, index), signal_, family=socket.AF_INET6)
        sender.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sent = sender.run()
        listener.wait_done(sent)
        listener.stop()
        assert_plays_exactly(listener.samples(), signal_, listener)


@test
def ipv6_multicast_in_a_network_namespace():
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        print("# skipped: needs root, unshare and ip to make a network namespace")
        return
    p = subprocess.run(["unshare", "--net", sys.executable, __file__, "--inside-namespace"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr


if __name__ == "__main__" and sys.argv[1:] == ["--inside-namespace"]:
    ipv6_multicast_inside()
    sys.exit(0)

run_tests()
