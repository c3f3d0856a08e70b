#!/usr/bin/env python3
"""The Opus stream (RFC 7587) and duplicate packets, as listeners hear them:
a server with `api rtp` plays a generated tone.  With `rtp_encoding opus`
the broadcast stream is Opus: rtp-sdp describes it so that ffmpeg records
the tone from it, and its packets are payload type 96 with 48 kHz
timestamps, far smaller than L16's, on the timeline of its sender reports,
and carry in-band FEC once a listener reports loss.
In request mode a listener that asks with `opus` gets the Opus stream while
one that asks as DisOrder's does gets L16, at the same time.
rtp_duplicate_delay sends every packet again, byte for byte, after each of
its delays; rtp_duplicate_to sends the broadcast stream to a second destination
as well.  Bad values of the new items are refused with a clear error."""
import array
import math
import os
import socket
import struct
import subprocess
import threading
import time
import wave

from audio import RATE, Events, tone, write_wav
from harness import DISORDERD, Server, closing, free_udp_port, run_tests, test, wait_for
from rtp_wire import SO_TIMESTAMPNS, parse_rtp, recv_stamped_from, udp_pair

OPUS_RATE = 48000
L16_BYTES_PER_SECOND = RATE * 4


class Jukebox(Server):
    """api rtp, broadcast to `port` (or in request mode), with `extra`
    configuration lines."""

    def __init__(self, port=None, extra=()):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        lines = [f"collection fs utf-8 {self.music}", "queue_pad 0", "api rtp", *extra]
        lines.append(f"broadcast 127.0.0.1 {port}" if port else "rtp_mode request")
        self.extra_config = "\n".join(lines) + "\n"
        self.write_config()

    def start(self):
        super().start()
        # A speaker held up by the machine's load restarts its timeline;
        # the real-time priority it would have in use keeps it on time.
        self.realtime_speaker()
        return self

    def play_tone(self, freq=440, seconds=6.0):
        path = os.path.join(self.music, f"tone{freq}.wav")
        write_wav(path, tone(freq, seconds))
        with closing(self.root()) as r:
            r.ok("rescan", "wait", "fresh")
        events = Events(self)
        try:
            with closing(self.root()) as r:
                r.ok("play", path)
            events.wait("playing", path)
        finally:
            events.close()


def parse_sr(data):
    """The SR at the start of a compound RTCP packet: (SSRC, RTP timestamp,
    packet count), or None for anything else."""
    if len(data) < 28:
        return None
    b0, pt = data[0], data[1]
    if b0 >> 6 != 2 or pt != 200:
        return None
    ssrc, _, _, rtp_ts, packets = struct.unpack(">IIIII", data[4:24])
    return ssrc, rtp_ts, packets


class Listener:
    """RTP and RTCP sockets (ports P, P+1 on 127.0.0.1, or given sockets)
    whose datagrams a thread collects with their kernel arrival times; each
    RTP datagram is also passed to relay_to if set."""

    def __init__(self, pair=None, relay_to=None):
        self.rtp, self.rtcp = pair or udp_pair(rcvbuf=4 << 20)
        self.port = self.rtp.getsockname()[1]
        self.packets = []  # (monotonic, raw datagram)
        self.reports = []  # (monotonic, parsed SR)
        self.report_sources = []  # where the reports came from
        self.relay_to = relay_to
        self.relay = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.cond = threading.Condition()
        self.stopping = False
        self.threads = [threading.Thread(target=self._receive, args=(s,), daemon=True)
                        for s in (self.rtp, self.rtcp)]
        for t in self.threads:
            t.start()

    def _receive(self, sock):
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.settimeout(0.1)
        while not self.stopping:
            try:
                mono, _, data, source = recv_stamped_from(sock)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                if sock is self.rtp:
                    self.packets.append((mono, data))
                    if self.relay_to:
                        self.relay.sendto(data, ("127.0.0.1", self.relay_to))
                elif (sr := parse_sr(data)) is not None:
                    self.reports.append((mono, sr))
                    self.report_sources.append(source)
                self.cond.notify_all()

    def wait(self, what, n, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(getattr(self, what)) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"port {self.port}: only {len(getattr(self, what))} "
                                         f"of {n} {what}")
                self.cond.wait(left)

    def parsed(self):
        with self.cond:
            return [(t, parse_rtp(d), d) for t, d in self.packets]

    def close(self):
        self.stopping = True
        for t in self.threads:
            t.join()
        for s in (self.rtp, self.rtcp, self.relay):
            s.close()


def main_stream(packets):
    """The packets of the SSRC that sent most, in arrival order, without
    second copies."""
    ssrcs = [p["ssrc"] for _, p, _ in packets]
    ssrc = max(set(ssrcs), key=ssrcs.count)
    seen, out = set(), []
    for t, p, d in packets:
        if p["ssrc"] == ssrc and p["seq"] not in seen:
            seen.add(p["seq"])
            out.append((t, p, d))
    return out


def timestamp_steps(stream):
    """(timestamp step, packets) for each pair of consecutive sequence
    numbers in stream."""
    steps = []
    for (_, a, _), (_, b, _) in zip(stream, stream[1:]):
        if (b["seq"] - a["seq"]) % 65536 == 1 and not b["marker"]:
            steps.append((b["ts"] - a["ts"]) % 2**32)
    return steps


def check_opus_packets(stream, payload_type=96):
    """PT, 960 per 20 ms, and a bit rate at most a tenth of L16's."""
    assert all(p["pt"] == payload_type for _, p, _ in stream), \
        {p["pt"] for _, p, _ in stream}
    steps = timestamp_steps(stream)
    assert len(steps) >= 20, steps
    assert set(steps) == {960}, set(steps)
    # Each packet is 20 ms: bytes per second from the payload sizes.
    payload = sum(len(p["payload"]) for _, p, _ in stream)
    per_second = payload / (len(stream) * 0.020)
    assert per_second <= L16_BYTES_PER_SECOND / 10, (per_second, L16_BYTES_PER_SECOND)
    assert per_second > 4000, per_second  # 96 kbit/s is 12000 bytes a second


def opus_sdp(port, payload_type=96):
    return "\n".join([
        "v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=test", "c=IN IP4 127.0.0.1", "t=0 0",
        f"m=audio {port} RTP/AVP {payload_type}",
        f"a=rtpmap:{payload_type} opus/48000/2",
        f"a=fmtp:{payload_type} stereo=1; sprop-stereo=1; useinbandfec=1", ""])


def record(sdp_text, directory, seconds):
    """Starts ffmpeg recording the stream the SDP describes to a WAV file;
    returns (process, path)."""
    sdp = os.path.join(directory, "stream.sdp")
    with open(sdp, "w") as f:
        f.write(sdp_text)
    out = os.path.join(directory, "heard.wav")
    ffmpeg = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp,
         "-t", str(seconds), "-ar", str(OPUS_RATE), "-ac", "2", "-y", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return ffmpeg, out


def finish(ffmpeg, timeout=30):
    try:
        ffmpeg.wait(timeout)
    finally:
        if ffmpeg.poll() is None:
            ffmpeg.kill()
            ffmpeg.wait()
    assert ffmpeg.returncode == 0, ffmpeg.stderr.read().decode()


def power_at(samples, freq):
    """The power of `samples` (at OPUS_RATE) at one frequency (Goertzel)."""
    k = 2 * math.cos(2 * math.pi * freq / OPUS_RATE)
    s1 = s2 = 0.0
    for v in samples:
        s1, s2 = v + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / len(samples) ** 2


def check_recording(path, freq, seconds):
    """The WAV has about `seconds` of the tone: its frequency, and the
    level audio.tone() gives (8000 left, half that right)."""
    with wave.open(path) as w:
        assert (w.getframerate(), w.getnchannels()) == (OPUS_RATE, 2)
        heard = array.array("h")
        heard.frombytes(w.readframes(w.getnframes()))
    assert len(heard) >= OPUS_RATE * 2 * seconds * 0.75, f"only {len(heard) // 2} frames"
    first = next(i for i, v in enumerate(heard) if abs(v) > 1000)
    last = max(i for i, v in enumerate(heard) if abs(v) > 1000)
    # The tone, 100 ms in from either end: the silence around it carries
    # the codec's low-level noise (more of it in the hybrid mode that FEC
    # brings), whose crossings are not the tone's.
    heard = heard[first - first % 2 + 2 * 4800:last - last % 2 - 2 * 4800]
    assert len(heard) >= OPUS_RATE * 2 * seconds * 0.5, f"only {len(heard) // 2} frames of tone"
    # The pitch: the strongest frequency, and most of the sound in it.
    left = heard[0::2][:OPUS_RATE // 4]
    loudest = max(range(freq // 2, freq * 2, 4), key=lambda f: power_at(left, f))
    assert abs(loudest - freq) <= freq * 0.02, f"heard {loudest} Hz, expected {freq}"
    share = power_at(left, loudest) / (sum(v * v for v in left) / len(left) / 2)
    assert share > 0.9, f"only {share:.0%} of the sound at {loudest} Hz"
    left = sorted(abs(v) for v in heard[0::2])
    right = sorted(abs(v) for v in heard[1::2])
    # The 99th percentile: a lossy codec may overshoot a little here and there.
    assert 7000 < left[len(left) * 99 // 100] < 8800, left[len(left) * 99 // 100]
    assert 3500 < right[len(right) * 99 // 100] < 4400, right[len(right) * 99 // 100]


# ------------------------------------------------------- broadcast mode


@test
def rtp_sdp_describes_the_opus_stream():
    port = free_udp_port()
    with Jukebox(port, ["rtp_encoding opus", "rtp_opus_payload_type 101"]) as s:
        s.add_user("fred", "pw")
        out = s.cli("rtp-sdp", user="fred", password="pw").stdout.splitlines()
        assert f"m=audio {port} RTP/AVP 101" in out, out
        assert "a=rtpmap:101 opus/48000/2" in out, out
        assert "a=fmtp:101 stereo=1; sprop-stereo=1; useinbandfec=1" in out, out
        assert not any("L16" in line for line in out), out
        assert "c=IN IP4 127.0.0.1" in out, out


@test
def ffmpeg_records_the_opus_stream_from_the_sdp():
    port = free_udp_port()
    with Jukebox(port, ["rtp_encoding opus"]) as s:
        with closing(s.root()) as r:
            _, body = r.ok("rtp-sdp")
        assert "a=rtpmap:96 opus/48000/2" in body, body
        ffmpeg, wav = record("\n".join(body) + "\n", s.dir, 3)
        try:
            s.play_tone(1000, 6.0)
        finally:
            finish(ffmpeg)
        check_recording(wav, 1000, 3)


@test
def opus_packets_are_small_and_on_the_reports_timeline():
    listener = Listener()
    try:
        with Jukebox(listener.port, ["rtp_encoding opus"]) as s:
            s.play_tone(440, 5.0)
            listener.wait("packets", 100)
            listener.wait("reports", 2)
            stream = main_stream(listener.parsed())
            check_opus_packets(stream)
            assert stream[0][1]["marker"], "the first packet has no marker"
            with listener.cond:
                reports = list(listener.reports)
        ssrc = stream[0][1]["ssrc"]
        # Sender reports are the Opus stream's: its SSRC, 48 kHz units.
        ours = [(t, sr) for t, sr in reports if sr[0] == ssrc]
        assert ours, reports
        # Each packet's timestamp is the instant of its audio on the
        # reports' timeline: it leaves once its 20 ms (and the encoder's
        # look-ahead) have been played, so its timestamp is a little in
        # the past when it arrives, never in the future.
        t_sr, (_, ts_sr, _) = ours[-1]
        offsets = []
        for t, p, _ in stream:
            expected = ts_sr + (t - t_sr) * OPUS_RATE
            delta = (p["ts"] - int(expected)) % 2**32
            offsets.append((delta if delta < 2**31 else delta - 2**32) / OPUS_RATE)
        offsets.sort()
        median = offsets[len(offsets) // 2]
        assert -0.15 < median < 0.0, f"packets are {median * 1000:.1f} ms off the reports"
        assert offsets[-1] < 0.005, f"a packet {offsets[-1] * 1000:.1f} ms in the future"
    finally:
        listener.close()


def receiver_report(about_ssrc, fraction_lost, cname="ear@test"):
    """An RTCP compound of an RR with one report block about about_ssrc and
    an SDES with our CNAME (RFC 3550 6.4.2, 6.5)."""
    me = 0x1234abcd
    block = struct.pack(">IB3sIIII", about_ssrc, fraction_lost, b"\0\0\0", 0, 0, 0, 0)
    rr = struct.pack(">BBHI", 0x81, 201, (8 + len(block)) // 4 - 1, me) + block
    item = bytes([1, len(cname)]) + cname.encode() + b"\0"
    item += b"\0" * (-len(item) % 4)
    sdes = struct.pack(">BBHI", 0x81, 202, (8 + len(item)) // 4 - 1, me) + item
    return rr + sdes


@test
def listeners_loss_turns_on_in_band_fec():
    """With no report the FEC hint is rtp_opus_loss (here 0%), at which
    libopus sends CELT packets, which carry no FEC; once a listener reports 25%
    loss the packets are SILK or hybrid (TOC configurations below 16),
    which carry it."""
    listener = Listener()
    try:
        with Jukebox(listener.port, ["rtp_encoding opus", "rtp_opus_loss 0"]) as s:
            s.play_tone(440, 8.0)
            listener.wait("packets", 50)
            before = [p for _, p, _ in main_stream(listener.parsed())][5:]
            assert before and all(p["payload"][0] >> 3 >= 16 for p in before), \
                [p["payload"][0] >> 3 for p in before]
            # The reports come from the socket that listens for ours.
            listener.wait("reports", 1)
            with listener.cond:
                source = listener.report_sources[0]
            ssrc = before[0]["ssrc"]
            listener.rtcp.sendto(receiver_report(ssrc, 64), source)
            sent = time.monotonic()

            def hybrid():
                recent = [p for t, p, _ in main_stream(listener.parsed()) if t > sent + 0.1]
                return len(recent) >= 10 and all(p["payload"][0] >> 3 < 16 for p in recent[-10:])
            wait_for(hybrid, "packets with in-band FEC", timeout=10)
    finally:
        listener.close()


# ---------------------------------------------------------- request mode


@test
def opus_and_l16_listeners_at_once():
    ffmpeg_port = free_udp_port()
    opus = Listener(relay_to=ffmpeg_port)
    legacy = Listener()
    try:
        with Jukebox(extra=["rtp_request_allow 127.0.0.0/8"]) as s:
            s.add_user("opus", "pw")
            s.add_user("legacy", "pw")
            ffmpeg, wav = record(opus_sdp(ffmpeg_port), s.dir, 2.5)
            try:
                with closing(s.connect("opus", "pw")) as a, \
                        closing(s.connect("legacy", "pw")) as b:
                    a.ok("rtp-request", "127.0.0.1", str(opus.port), "frames", "rtcp", "opus")
                    b.ok("rtp-request", "127.0.0.1", str(legacy.port))  # DisOrder's way
                    s.play_tone(1000, 6.0)
                    opus.wait("packets", 100)
                    legacy.wait("packets", 200)
            finally:
                finish(ffmpeg)
            log = s.log_text()
            check_recording(wav, 1000, 2.5)  # the relayed Opus packets decode
        check_opus_packets(main_stream(opus.parsed()))
        l16 = main_stream(legacy.parsed())
        assert {p["pt"] for _, p, _ in l16} == {10}, {p["pt"] for _, p, _ in l16}
        steps = timestamp_steps(l16)
        # Samples, two per frame, as DisOrder's listener counts them.
        assert steps and all(step == len(p["payload"]) // 2 for step, (_, p, _) in
                             zip(steps, l16[1:])), steps[:5]
        assert "(Opus, RTCP)" in log and "(samples)" in log, log
        # Only the legacy listener's port+1 stays quiet; the Opus one had
        # sender reports of its own stream.
        assert not legacy.reports, legacy.reports
        assert any(sr[0] == main_stream(opus.parsed())[0][1]["ssrc"] for _, sr in opus.reports)
    finally:
        opus.close()
        legacy.close()


# ------------------------------------------------------------ duplicates


def check_duplicates(listener, *delays):
    """Every sequence number (but at the edges) arrived once and then again
    after each delay (seconds), every copy identical to the first."""
    by_seq = {}
    for t, p, d in listener.parsed():
        by_seq.setdefault((p["ssrc"], p["seq"]), []).append((t, d))
    n = len(delays) + 1
    complete = [v for v in by_seq.values() if len(v) == n]
    assert len(complete) >= 0.9 * len(by_seq) - 2 * n, \
        (len(complete), len(by_seq), sorted(len(v) for v in by_seq.values())[:5])
    assert all(len(v) <= n for v in by_seq.values())
    for v in complete:
        assert all(d == v[0][1] for _, d in v), "a copy differs"
    for k, delay in enumerate(delays, 1):
        gaps = sorted(v[k][0] - v[0][0] for v in complete)
        median = gaps[len(gaps) // 2]
        assert delay * 0.9 < median < delay + 0.08, \
            f"copy {k} {median * 1000:.1f} ms after the first, not {delay * 1000:g}"
        assert gaps[0] > delay * 0.75, f"a copy {k} only {gaps[0] * 1000:.1f} ms after the first"


@test
def duplicate_delay_sends_each_l16_packet_twice():
    listener = Listener()
    try:
        with Jukebox(listener.port, ["rtp_duplicate_delay 40"]) as s:
            s.play_tone(440, 4.0)
            listener.wait("packets", 300)
        check_duplicates(listener, 0.040)
    finally:
        listener.close()


@test
def duplicate_delay_with_two_delays_sends_each_opus_packet_three_times():
    listener = Listener()
    try:
        with Jukebox(listener.port, ["rtp_encoding opus", "rtp_duplicate_delay 20 60"]) as s:
            s.play_tone(440, 4.0)
            listener.wait("packets", 150)
        check_duplicates(listener, 0.020, 0.060)
        assert {p["pt"] for _, p, _ in listener.parsed()} == {96}
    finally:
        listener.close()


@test
def duplicate_delay_in_request_mode():
    opus = Listener()
    legacy = Listener()
    try:
        with Jukebox(extra=["rtp_duplicate_delay 30"]) as s:
            s.add_user("opus", "pw")
            s.add_user("legacy", "pw")
            with closing(s.connect("opus", "pw")) as a, closing(s.connect("legacy", "pw")) as b:
                a.ok("rtp-request", "127.0.0.1", str(opus.port), "opus")
                b.ok("rtp-request", "127.0.0.1", str(legacy.port))
                s.play_tone(440, 4.0)
                opus.wait("packets", 150)
                legacy.wait("packets", 300)
        check_duplicates(opus, 0.030)
        check_duplicates(legacy, 0.030)
        # The legacy listener's copies carry its unit too: samples.
        assert set(timestamp_steps(main_stream(legacy.parsed()))) == {720}
    finally:
        opus.close()
        legacy.close()


@test
def duplicate_to_sends_the_stream_to_a_second_destination():
    for encoding in ("l16", "opus"):
        first, second = Listener(), Listener()
        try:
            with Jukebox(first.port, [f"rtp_encoding {encoding}",
                                      f"rtp_duplicate_to 127.0.0.1 {second.port}"]) as s:
                s.play_tone(440, 4.0)
                first.wait("packets", 150)
                second.wait("packets", 150)
                first.wait("reports", 1)
                second.wait("reports", 1)
            a = {p["seq"]: d for _, p, d in main_stream(first.parsed())}
            b = {p["seq"]: d for _, p, d in main_stream(second.parsed())}
            both = set(a) & set(b)
            assert len(both) >= 0.9 * min(len(a), len(b)), (len(a), len(b), len(both))
            assert all(a[q] == b[q] for q in both), "the second destination got other packets"
            assert {p["pt"] for _, p, _ in second.parsed()} == {96 if encoding == "opus" else 10}
        finally:
            first.close()
            second.close()


# -------------------------------------------------------- configuration


def check_config(server, lines):
    server.write_config(server.config_text() + "\n".join(lines) + "\n")
    return subprocess.run([DISORDERD, "--check-config", "--config", server.config_path],
                          capture_output=True, text=True, timeout=30)


@test
def bad_opus_and_duplicate_items_are_refused():
    s = Server()
    try:
        c = s.config_path
        base = s.config_text().count("\n")
        cases = [
            ("rtp_encoding mp3", "rtp_encoding: 'mp3' is not one of l16, opus"),
            ("rtp_opus_frame 15",
             "rtp_opus_frame: '15' is not an Opus frame duration (2.5, 5, 10, 20, 40 or 60 ms)"),
            ("rtp_opus_bitrate 600000",
             "rtp_opus_bitrate: '600000' is too large (the maximum is 510000)"),
            ("rtp_opus_payload_type 10",
             "rtp_opus_payload_type: '10' is too small (the minimum is 96)"),
            ("rtp_opus_loss 50", "rtp_opus_loss: '50' is too large (the maximum is 30)"),
            ("rtp_duplicate_delay -5",
             "rtp_duplicate_delay: '-5' is too small (the minimum is 0)"),
            ("rtp_duplicate_delay 40 20",
             "rtp_duplicate_delay: the delays must be in ascending order ('20' is not after '40')"),
            ("rtp_duplicate_to 127.0.0.1", "rtp_duplicate_to: missing port"),
        ]
        for line, error in cases:
            p = check_config(s, [line])
            assert p.returncode == 1, (line, p)
            assert p.stderr.splitlines()[0] == f"{c}:{base + 1}: {error}", (line, p.stderr)
        # Items that do not go with request mode.
        for line, error in [
                ("rtp_duplicate_to 127.0.0.1 9005",
                 "rtp_duplicate_to needs a broadcast stream (not rtp_mode request)"),
                ("rtp_encoding opus",
                 "rtp_encoding is for a broadcast stream; in rtp_mode request each listener "
                 "asks for its encoding")]:
            p = check_config(s, ["api rtp", "rtp_mode request", line])
            assert p.returncode == 1, (line, p)
            assert f"{c}: {error}" in p.stderr, (line, p.stderr)
        p = check_config(s, ["broadcast 127.0.0.1 9003", "rtp_encoding opus",
                             "rtp_opus_frame 2.5", "rtp_duplicate_delay 20",
                             "rtp_duplicate_to 127.0.0.1 9005"])
        assert (p.returncode, p.stdout) == (0, "configuration OK\n"), p
    finally:
        s.cleanup()


run_tests()
