#!/usr/bin/env python3
"""disorder-playrtp playing Opus streams (RFC 7587) as a listener hears
them.  ffmpeg sends a tone as Opus with in-band FEC, through a relay that
loses packets (at random, or in bursts) or sends each packet by two paths,
one of them lossy; the listener's output (written by the command backend)
must be the tone at its pitch and level with no dropout longer than
concealment leaves, and the losses it reports as rebuilt from FEC, saved
by a duplicate or concealed must match what the relay did.  Also: what it
asks a server for in request mode, how it learns from the server's SDP
that a broadcast is Opus, and an Opus stream played on a sender's timeline
(synchronised playout, playrtp_sync_harness's sender)."""
import array
import math
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import tempfile
import threading
import time

from audio import RATE
from harness import free_udp_port, run_tests, stand_in_priority, standing_in, test, wait_for
from playrtp_harness import Listener, Relay, dropout_allowed, has_fec
from playrtp_sync_harness import PLAYRTP, SyncSender, free_port_pair
from playrtp_sync_harness import Listener as RecordingListener

SECONDS = 6
FREQUENCY = 440
# A tone whose level rises and falls four times a second, as speech does:
# the encoder adds FEC where its voice detector finds activity, which a
# steady tone soon stops being.
SOURCE = f"sine=frequency={FREQUENCY}:sample_rate=48000:duration={SECONDS}"
SHAPE = "tremolo=f=4:d=0.9"
FRAME = 960  # 20 ms at 48 kHz, ffmpeg's default Opus frame
WINDOW = RATE // 100  # 10 ms of the output, which is 44.1 kHz


def send_opus(port, seconds=SECONDS):
    """ffmpeg, standing for another host, sends the tone as Opus to port on
    loopback, in real time.  Its sender reports go to a port held here."""
    source = SOURCE.replace(f"duration={SECONDS}", f"duration={seconds}")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rtcp:
        rtcp.bind(("127.0.0.1", 0))
        subprocess.run(
            ["ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", source, "-af", SHAPE,
             "-ac", "2", "-c:a", "libopus", "-b:a", "96k", "-fec:a", "1", "-packet_loss:a", "10",
             "-f", "rtp", "-payload_type", "96",
             f"rtp://127.0.0.1:{port}?rtcpport={rtcp.getsockname()[1]}"],
            check=True, timeout=60, stdout=subprocess.DEVNULL, preexec_fn=stand_in_priority)


def capture_opus(seconds):
    """The Opus packets (RTP payloads) of `seconds` of the tone, as ffmpeg
    makes them, for a sender of the test's own to send."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.5)
        sender = threading.Thread(target=send_opus, args=(s.getsockname()[1], seconds))
        sender.start()
        packets = []
        while sender.is_alive() or packets == []:
            try:
                packets.append(s.recv(2048)[12:])
            except socket.timeout:
                pass
        sender.join()
        s.setblocking(False)
        while True:
            try:
                packets.append(s.recv(2048)[12:])
            except BlockingIOError:
                break
    return packets


def reference():
    """The tone as ffmpeg renders it without coding, as the listener's
    output is: 16-bit 44.1 kHz stereo."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", SOURCE, "-af", SHAPE, "-ac", "2",
         "-ar", str(RATE), "-f", "s16le", "-"], check=True, capture_output=True).stdout
    a = array.array("h")
    a.frombytes(raw)
    return a


def window_levels(samples):
    """RMS of the left channel in consecutive 10 ms windows."""
    left = samples[0::2]
    return [math.sqrt(sum(v * v for v in left[i:i + WINDOW]) / WINDOW)
            for i in range(0, len(left) - WINDOW + 1, WINDOW)]


def sounding(samples):
    """samples without the silence before and after the tone."""
    loud = [i for i, v in enumerate(samples) if abs(v) > 200]
    return samples[loud[0] // 2 * 2:loud[-1] // 2 * 2 + 2]


def frequency(samples, keep):
    """Zero crossings per second of the left channel, over the 10 ms
    windows that keep[] says (samples within a few LSBs of zero ignored, as
    audio.zero_crossings_per_second does)."""
    left = samples[0::2]
    crossings, kept, sign = 0, 0, None
    for w, ok in enumerate(keep):
        if not ok:
            sign = None
            continue
        kept += 1
        for v in left[w * WINDOW:(w + 1) * WINDOW]:
            if abs(v) < 64:
                continue
            if sign is not None and (v < 0) != sign:
                crossings += 1
            sign = v < 0
    return crossings / (kept * WINDOW / RATE) / 2


def assert_sounds_like_the_tone(out, stats, longest_dropout_ms):
    """out is the tone: as long, as loud, at its pitch, and nowhere much
    quieter than the tone is there for longer than longest_dropout_ms."""
    body = sounding(out)
    seconds = len(body) / 2 / RATE
    assert abs(seconds - SECONDS) < 0.25, f"{seconds:.2f} s of sound: {stats}"
    ref_levels = window_levels(sounding(reference()))
    levels = window_levels(body)[:len(ref_levels)]
    mean = sum(levels) / len(levels)
    ref_mean = sum(ref_levels) / len(ref_levels)
    assert 0.8 < mean / ref_mean < 1.25, f"level {mean:.0f}, the tone's {ref_mean:.0f}: {stats}"
    # A dropout: a window at less than a third of the tone's level there
    # (the least of its neighbours', as the codec delays a little).
    dropout = [0 < i < len(ref_levels) - 1 and level < min(ref_levels[i - 1:i + 2]) / 3
               for i, level in enumerate(levels)]
    run = longest = 0
    for quiet in dropout:
        run = run + 1 if quiet else 0
        longest = max(longest, run)
    allowed = dropout_allowed(stats, longest_dropout_ms)
    assert longest * 10 <= allowed, \
        f"a dropout of {longest * 10} ms (at most {allowed}): {stats}"
    # The pitch, where it sounds.
    heard = frequency(body, [not quiet for quiet in dropout])
    assert abs(heard - FREQUENCY) < FREQUENCY * 0.005, f"heard {heard:.1f} Hz: {stats}"


def play_through(relay_args, seed):
    """The tone through a Relay(**relay_args) to a listener; returns the
    relay, the listener's output, its last report (checked against what
    --status says), and its log."""
    port = free_udp_port()
    control = os.path.join(tempfile.mkdtemp(prefix="playrtp-opus-control-"), "control")
    # All the threads of this process stand in for the network (see
    # playrtp_test's loss test).  200 ms of latency (as for a busy Wi-Fi
    # network) rides out a busy machine's hold-ups of ffmpeg and the relay.
    with standing_in(), Listener(str(port), extra=("--format", "opus", "--socket", control,
                                                   "--min", "9600")) as listener:
        listener.wait_listening()
        relay = Relay(("127.0.0.1", port), seed=seed, **relay_args)
        try:
            send_opus(relay.address[1])
        finally:
            relay.close()
        listener.wait_read(port)
        listener.wait_done(relay.datagrams)
        status = subprocess.run([PLAYRTP, "--status", "--socket", control], check=True,
                                capture_output=True, text=True, timeout=10).stdout
        listener.stop()
        shutil.rmtree(os.path.dirname(control), ignore_errors=True)
        stats = listener.stats
        for label, key in (("Losses recovered by FEC", "fec_recovered"),
                           ("Losses saved by a duplicate", "duplicate_saved"),
                           ("Losses concealed (PLC)", "plc_concealed"),
                           ("Gaps concealed (PLC)", "plc_gaps"),
                           ("Gaps over 10 ms concealed (PLC)", "plc_gaps_over_10ms")):
            assert f"{label}: {stats[key]}\n" in status, (status, stats)
        return relay, listener.samples(), stats, listener.log()


def losses(relay):
    """The packets lost between the first and the last the relay passed on
    (the listener cannot know of others), and those of them it can
    rebuild: the next packet arrived and carries FEC."""
    # By sequence number: a packet the kernel dropped before the relay read
    # it (a busy machine can hold the relay up) is lost too.
    order = relay.offered
    passed = [i for i, s in enumerate(order) if s in relay.copies]
    first = order[passed[0]]
    lost, rebuildable = [], []
    for k in range(1, (order[passed[-1]] - first) & 0xffff):
        seq, after = (first + k) & 0xffff, (first + k + 1) & 0xffff
        if seq in relay.copies:
            continue
        lost.append(seq)
        if after in relay.copies and has_fec(relay.payloads[after]):
            rebuildable.append(seq)
    return lost, rebuildable


def assert_losses_accounted(relay, stats):
    lost, rebuildable = losses(relay)
    fec, plc = int(stats["fec_recovered"]), int(stats["plc_concealed"])
    # A busy machine can delay a packet (ffmpeg, the relay) past its time
    # to play: the listener counts it late and makes up for it as for a
    # lost one.
    late = int(stats["late"])
    assert late <= 3, stats
    # Every loss is either rebuilt or concealed.
    assert fec + plc == len(lost) + late, (len(lost), stats)
    # FEC rebuilds what it can, unless the next packet came too late.
    assert len(rebuildable) * 0.9 - 1 - late <= fec <= len(rebuildable) + late, \
        (len(rebuildable), stats)
    assert int(stats["concealed_frames"]) == plc * FRAME, stats
    assert stats["duplicate_saved"] == "0", stats
    # Concealed packets next to each other make one gap.
    gaps, longest = int(stats["plc_gaps"]), float(stats["plc_longest_ms"])
    if plc == 0:
        assert gaps == 0 and longest == 0, stats
    else:
        assert 1 <= gaps <= plc and longest >= FRAME * 1000 / 48000, stats
    return lost, rebuildable


@test
def an_opus_stream_without_loss_plays_the_tone():
    relay, out, stats, log = play_through(dict(loss=0, duplicate=0), seed=1)
    assert stats["format"] == "opus/48000/2/frames", stats
    assert_sounds_like_the_tone(out, stats, longest_dropout_ms=0)
    assert stats["fec_recovered"] == stats["plc_concealed"] == "0", stats
    # A jump only where the listener was held up (see dropout_allowed).
    assert stats["concealed_frames"] == "0" and int(stats["jumps"]) <= int(stats["underruns"]), \
        stats
    assert int(stats["accepted"]) == len(relay.forwarded), (len(relay.forwarded), stats)
    assert "packets lost on the way" not in log, log


@test
def five_percent_loss_is_rebuilt_from_fec_or_concealed():
    relay, out, stats, log = play_through(dict(loss=0.05, duplicate=0), seed=5)
    lost, rebuildable = assert_losses_accounted(relay, stats)
    assert len(lost) >= 5 and rebuildable, (lost, rebuildable)
    assert_sounds_like_the_tone(out, stats, longest_dropout_ms=60)
    # The log at exit says what happened.
    assert (f"{stats['fec_recovered']} recovered by FEC; "
            f"{stats['plc_concealed']} concealed (PLC)") in log, log


@test
def ten_percent_loss_is_rebuilt_from_fec_or_concealed():
    relay, out, stats, _ = play_through(dict(loss=0.10, duplicate=0), seed=10)
    lost, rebuildable = assert_losses_accounted(relay, stats)
    assert len(lost) >= 15 and len(rebuildable) >= 5, (lost, rebuildable)
    assert_sounds_like_the_tone(out, stats, longest_dropout_ms=60)


@test
def bursts_of_loss_are_concealed_up_to_the_last_packet_which_fec_rebuilds():
    # Bursts of 2 to 4 packets, about 2% of the stream.
    rng = random.Random(2)
    burst = {"left": 0}

    def drop(_sequence):
        if burst["left"] == 0 and rng.random() < 0.007:
            burst["left"] = rng.randint(2, 4)
        if burst["left"]:
            burst["left"] -= 1
            return True
        return False

    relay, out, stats, _ = play_through(dict(loss=0, duplicate=0, drop=drop), seed=2)
    lost, rebuildable = assert_losses_accounted(relay, stats)
    assert len(lost) >= 4, lost
    # In a burst, only the last packet can be rebuilt: most are concealed.
    assert int(stats["plc_concealed"]) >= len(lost) // 2, (lost, stats)
    assert_sounds_like_the_tone(out, stats, longest_dropout_ms=100)


@test
def packets_sent_by_two_paths_survive_the_loss_of_one():
    # Each packet twice, by paths that jitter apart; one loses 30%.
    relay, out, stats, log = play_through(
        dict(loss=0, duplicate=0, second_path_loss=0.30), seed=30)
    once = [s for s, copies in relay.copies.items() if copies == 1]
    twice = [s for s, copies in relay.copies.items() if copies == 2]
    assert len(once) > 0.2 * len(relay.copies), len(once)
    assert int(stats["duplicates"]) == len(twice), (len(twice), stats)
    saved = int(stats["duplicate_saved"])
    assert 0.9 * len(once) <= saved <= len(once), (len(once), stats)
    assert stats["fec_recovered"] == stats["plc_concealed"] == "0", stats
    assert stats["concealed_frames"] == "0" and stats["late"] == "0", stats
    assert_sounds_like_the_tone(out, stats, longest_dropout_ms=0)
    assert f"{saved} saved by a duplicate ({len(twice)} copies dropped)" in log, log


class StandInServer:
    """Enough of disorderd on its privileged socket for a listener: it
    answers rtp-address with `address` ("- -" in request mode) and rtp-sdp
    with `sdp` (None: not a command it knows, as DisOrder's), and on
    rtp-request has ffmpeg send the Opus tone to the address named --
    unless opus=False: then it refuses the option, as a server without
    Opus does.  Records the commands it got."""

    def __init__(self, home, address, sdp=None, opus=True):
        os.makedirs(os.path.join(home, "private"))
        self.address = address
        self.sdp = sdp
        self.opus = opus
        self.commands = []
        self.sender = None
        # The privileged socket (logged in as trusted) and the public one
        # (rtp-address and rtp-sdp need no login).
        self.sockets = []
        for path in (os.path.join(home, "private", "socket"), os.path.join(home, "socket")):
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(path)
            listener.listen(4)
            self.sockets.append(listener)
            threading.Thread(target=self._serve, args=(listener,), daemon=True).start()

    def _serve(self, listener):
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._converse, args=(conn,), daemon=True).start()

    def _converse(self, conn):
        f = conn.makefile("rwb", buffering=0)
        f.write(b"231 2 sha1 0123456789abcdef\n")
        for line in f:
            words = line.decode().split()
            self.commands.append(words)
            if words[0] == "rtp-address":
                f.write(f"252 {self.address}\n".encode())
            elif words[0] == "rtp-sdp" and self.sdp is None:
                f.write(b"500 unknown command\n")
            elif words[0] == "rtp-sdp":
                f.write(b"253 SDP follows\n" + "".join(f"{s}\n" for s in self.sdp).encode() +
                        b".\n")
            elif words[0] == "rtp-request" and not self.opus:
                f.write(b"550 unknown option 'opus' (frames, samples or rtcp)\n")
            elif words[0] == "rtp-request":
                f.write(b"250 OK\n")
                port = int(words[2])
                sender = threading.Thread(target=send_opus, args=(port, 2))
                sender.start()
                self.sender = sender
            else:
                f.write(b"250 OK\n")

    def close(self):
        for listener in self.sockets:
            listener.close()


def home_with_config(text):
    home = tempfile.mkdtemp(prefix="playrtp-opus-home-")
    with open(os.path.join(home, "config"), "w") as f:
        f.write(f"home {home}\nusername tester\n{text}")
    return home


@test
def in_request_mode_it_asks_for_opus_and_plays_it():
    home = home_with_config("rtp_always_request yes\n")
    server = StandInServer(home, "- -")
    try:
        with Listener(config=os.path.join(home, "config"),
                      extra=("--encoding", "opus")) as listener:
            listener.wait_listening()
            wait_for(lambda: server.sender, "the listener to request a stream")
            server.sender.join()
            wait_for(lambda: int(listener.stats.get("packets", 0)) >= 90, "the stream to arrive")
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            assert listener.stats["format"] == "opus/48000/2/frames", listener.stats
            body = sounding(listener.samples())
            assert abs(len(body) / 2 / RATE - 2) < 0.2, len(body)
            assert any("the server is sending an Opus stream to 127.0.0.1 port " in line
                       for line in listener.lines), listener.log()
        request = next(c for c in server.commands if c[0] == "rtp-request")
        assert request[:2] == ["rtp-request", "127.0.0.1"] and request[3:] == ["opus", "rtcp"], \
            request
        assert ["rtp-cancel"] in server.commands, server.commands
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)


@test
def a_server_without_opus_gets_a_clear_error():
    home = home_with_config("rtp_always_request yes\n")
    server = StandInServer(home, "- -", opus=False)
    try:
        result = subprocess.run(
            [PLAYRTP, "--api", "command", "--command", "cat >/dev/null",
             "--config", os.path.join(home, "config"), "--encoding", "opus"],
            capture_output=True, text=True, timeout=30,
            env={**os.environ, "DISORDER_USERCONFIG": os.path.join(home, "none")})
        assert result.returncode == 1, result
        assert ("the server cannot send an Opus stream (unknown option 'opus' (frames, samples "
                "or rtcp)): try --encoding l16") in result.stderr, result.stderr
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)


@test
def it_learns_from_the_servers_sdp_that_the_broadcast_is_opus():
    port = free_udp_port()
    home = home_with_config("")
    server = StandInServer(home, f"127.0.0.1 {port}", sdp=[
        "v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=disorder", "c=IN IP4 127.0.0.1", "t=0 0",
        f"m=audio {port} RTP/AVP 96", "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 stereo=1; sprop-stereo=1; useinbandfec=1", "a=recvonly"])
    try:
        with Listener(config=os.path.join(home, "config")) as listener:
            listener.wait_listening()
            assert ["rtp-sdp"] in server.commands, server.commands
            send_opus(port, 2)
            listener.wait_read(port)
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            assert listener.stats["format"] == "opus/48000/2/frames", listener.stats
            assert listener.stats["unsupported"] == "0", listener.stats
            body = sounding(listener.samples())
            assert abs(len(body) / 2 / RATE - 2) < 0.2, len(body)
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)


@test
def without_rtp_sdp_a_broadcast_plays_as_the_command_line_says():
    # DisOrder's server knows no rtp-sdp: the dynamic type is then L16
    # unless --format says otherwise.
    port = free_udp_port()
    home = home_with_config("")
    server = StandInServer(home, f"127.0.0.1 {port}")
    try:
        with Listener(config=os.path.join(home, "config"),
                      extra=("--format", "opus")) as listener:
            listener.wait_listening()
            send_opus(port, 2)
            listener.wait_read(port)
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            assert listener.stats["format"] == "opus/48000/2/frames", listener.stats
        # --format said it all: the server was not asked.
        assert ["rtp-sdp"] not in server.commands, server.commands
        with Listener(config=os.path.join(home, "config")) as listener:
            listener.wait_listening()
            wait_for(lambda: ["rtp-sdp"] in server.commands, "the listener to ask for the SDP")
            send_opus(port, 1)
            listener.wait_read(port)
            wait_for(lambda: int(listener.stats.get("packets", 0)) > 0, "a report")
            listener.stop()
            # Opus bytes taken for L16 are noise, but nothing worse.
            assert listener.stats["format"] == "16b/44100/2/frames", listener.stats
    finally:
        server.close()
        shutil.rmtree(home, ignore_errors=True)


@test
def on_the_senders_timeline_an_opus_stream_plays_in_step():
    # A sender standing for disorder-speaker sends Opus with sender reports
    # in 48 kHz units and a timeline: the listener follows it as it follows
    # L16, and the tone is heard when the timeline says (plus the codec's
    # own delay, 312 samples at 48 kHz).
    payloads = capture_opus(4)
    port = free_port_pair()
    sender = SyncSender(port, 0, rate=48000, packet=FRAME, payloads=payloads, payload_type=96)
    try:
        with RecordingListener(port, extra=("--format", "opus")) as listener:
            sender.start()
            errors, last = [], [0.0]

            def in_step():
                # Over most of a second: a busy machine can hold the
                # listener up, and it glides back in a few tens of ms.
                if time.monotonic() - last[0] < 0.1:
                    return False
                last[0] = time.monotonic()
                st = listener.status()
                if st["synchronised"] == "yes" and st["error_ms"] != "-":
                    errors.append(float(st["error_ms"]))
                return len(errors) >= 8

            wait_for(in_step, "the listener to play on the timeline")
            sender.thread.join()
            # All of it received, then played: the listener idles.
            wait_for(lambda: listener.status()["packets"] == str(len(payloads)),
                     "every packet to arrive")
            wait_for(lambda: listener.status()["error_ms"] == "-", "the stream to play out")
            listener.stop()
            print(f"# the listener's own error: {errors}", flush=True)
            assert abs(statistics.median(errors)) < 1, errors
            data = listener.output()
            onset = next(k for k in range(len(data) // 4)
                         if abs(struct.unpack("<h", data[4 * k:4 * k + 2])[0]) > 200)
            late_ms = (listener.write_instant(onset) - sender.frame_instant(0) -
                       sender.latency_us * 1000) / 1e6
            assert abs(late_ms - 312 / 48) < 4, f"the tone began {late_ms:+.2f} ms late"
            assert any(block and block["ssrc"] == sender.ssrc
                       for _, _, block, _ in sender.reports), sender.reports
    finally:
        sender.close()


@test
def a_bad_encoding_or_format_is_refused_with_the_usage():
    for args, message in ((["--encoding", "mp3"], "--encoding takes l16 or opus, not mp3"),
                          (["--format", "opus/48000"],
                           "format 'opus/48000' is not BITS/RATE/CHANNELS")):
        result = subprocess.run([PLAYRTP, *args, "9000"], capture_output=True, text=True,
                                timeout=10)
        assert result.returncode == 2, result
        assert result.stderr.startswith(f"disorder-playrtp: {message}\nUsage: "), result.stderr


if __name__ == "__main__":
    run_tests()
