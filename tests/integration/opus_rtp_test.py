#!/usr/bin/env python3
"""The Opus stream end to end, as a listener hears it: disorderd's speaker
encodes a tone as Opus (rtp_encoding opus, or on request) and
disorder-playrtp plays it into a file, directly or through a relay that
loses packets at random or in bursts, or by two paths (rtp_duplicate_to)
of which one loses 30%.  The output must be the tone at its pitch and
level, with no dropout longer than concealment leaves, and the losses the
listener reports as rebuilt from FEC, saved by a duplicate or concealed
must add up to what the relay lost."""
import math
import random

from audio import RATE, tone
from harness import free_udp_port, run_tests, standing_in, test
from playrtp_harness import (Listener, Relay, RtpJukebox, dropout_allowed, has_fec, play_tracks,
                             what_they_said)

NO_SYNC = ("--no-sync",)
FREQUENCY = 440
SECONDS = 5.0
AMPLITUDE = 8000
WINDOW = RATE // 100  # 10 ms of the output, resampled to 44.1 kHz for the command


def levels(out):
    """RMS of the left channel in 10 ms windows."""
    left = out[0::2]
    return [math.sqrt(sum(v * v for v in left[i:i + WINDOW]) / WINDOW)
            for i in range(0, len(left) - WINDOW + 1, WINDOW)]


def assert_the_tone(out, stats, said, longest_dropout_ms):
    """The tone, as long and as loud, at its pitch, with no run of quiet
    windows (under a third of its level) longer than longest_dropout_ms
    (see dropout_allowed: stats is the listener's last report) between its
    first and last sounding window."""
    lv = levels(out)
    expected = AMPLITUDE / math.sqrt(2)
    sounding = [i for i, level in enumerate(lv) if level > expected / 3]
    assert sounding, f"no sound at all\n{said}"
    first, last = sounding[0], sounding[-1]
    seconds = (last - first + 1) / 100
    assert abs(seconds - SECONDS) < 0.25, f"{seconds:.2f} s of sound\n{said}"
    body = lv[first:last + 1]
    mean = sum(body) / len(body)
    assert 0.8 < mean / expected < 1.25, f"level {mean:.0f}, the tone's {expected:.0f}\n{said}"
    run = longest = 0
    for level in body:
        run = run + 1 if level < expected / 3 else 0
        longest = max(longest, run)
    allowed = dropout_allowed(stats, longest_dropout_ms)
    assert longest * 10 <= allowed, f"a dropout of {longest * 10} ms (at most {allowed})\n{said}"
    # The pitch: zero crossings over the sounding part.
    left = out[0::2][first * WINDOW:(last + 1) * WINDOW]
    crossings, sign = 0, None
    for v in left:
        if abs(v) < 64:
            continue
        if sign is not None and (v < 0) != sign:
            crossings += 1
        sign = v < 0
    heard = crossings / (len(left) / RATE) / 2
    assert abs(heard - FREQUENCY) < FREQUENCY * 0.01, f"heard {heard:.1f} Hz\n{said}"


def through_relay(relay_options, extra=lambda port: "", seed=1):
    """The tone from disorderd's Opus broadcast (with the configuration
    extra(the listener's port) adds), through a Relay made with
    relay_options, to disorder-playrtp told that the stream is Opus.
    Returns (relay, output, stats, what they said)."""
    port = free_udp_port()
    # 200 ms of latency (as for a busy Wi-Fi network) and the relay's
    # threads standing in for the network (see playrtp_test's loss test)
    # ride out a busy machine's hold-ups.
    with Listener(str(port), extra=(*NO_SYNC, "--format", "opus", "--min", "9600")) as listener:
        listener.wait_listening()
        with standing_in():
            relay = Relay(("127.0.0.1", port), seed=seed, **relay_options)
        try:
            relay_port = relay.address[1]
            with RtpJukebox(f"127.0.0.1 {relay_port}", "rtp_encoding opus\n" + extra(port)) as s:
                play_tracks(s, [tone(FREQUENCY, SECONDS, amplitude=AMPLITUDE)])
                said_server = s.log_text()
        finally:
            relay.close()
        listener.wait_read(port)
        listener.wait_done(int(listener.stats["packets"]))
        listener.stop()
        said = f"{listener.stats}\n{listener.log()}\n--- disorderd:\n{said_server}"
        return relay, listener.samples(), listener.stats, said


def lost_between(relay):
    """The packets lost between the first and the last the relay passed on:
    those it dropped, and any the kernel dropped before the relay read them
    (a busy machine can hold the relay up until its socket buffer is full),
    which its sequence numbers show."""
    passed = [i for i, seq in enumerate(relay.offered) if seq in relay.copies]
    if not passed:
        return []
    first = relay.offered[passed[0]]
    span = (relay.offered[passed[-1]] - first) & 0xffff
    return [(first + k) & 0xffff for k in range(span + 1)
            if (first + k) & 0xffff not in relay.copies]


def longest_run(lost):
    """The most consecutive sequence numbers among `lost`."""
    lost = set(lost)
    return max((next(n for n in range(len(lost) + 1) if (seq + n) & 0xffff not in lost)
                for seq in lost if (seq - 1) & 0xffff not in lost), default=0)


def assert_losses_add_up(relay, stats, said):
    """Every loss rebuilt or concealed, and FEC used wherever the next
    packet arrived carrying it (the encoder adds it where it judges it
    worth it)."""
    lost = lost_between(relay)
    fec, plc = int(stats["fec_recovered"]), int(stats["plc_concealed"])
    assert abs(fec + plc - len(lost)) <= 1, f"{len(lost)} lost\n{said}"
    after = {seq: (seq + 1) & 0xffff for seq in lost}
    rebuildable = [seq for seq in lost
                   if after[seq] in relay.copies and has_fec(relay.payloads[after[seq]])]
    assert len(rebuildable) * 0.9 - 1 <= fec <= len(rebuildable), \
        f"{fec} rebuilt of {len(rebuildable)} rebuildable\n{said}"
    return lost, fec, plc


@test
def from_the_server_by_itself_it_learns_the_stream_is_opus_and_plays_the_tone():
    port = free_udp_port()
    with RtpJukebox(f"127.0.0.1 {port}", "rtp_encoding opus\n") as s:
        with Listener(config=s.config_path, extra=NO_SYNC) as listener:
            listener.wait_listening()
            play_tracks(s, [tone(FREQUENCY, SECONDS, amplitude=AMPLITUDE)])
            listener.wait_read(port)
            listener.wait_done(int(listener.stats["packets"]))
            listener.stop()
            said = what_they_said(listener, s)
            assert listener.stats["format"] == "opus/48000/2/frames", said
            assert_the_tone(listener.samples(), listener.stats, said, longest_dropout_ms=0)
            assert listener.stats["plc_concealed"] == listener.stats["fec_recovered"] == "0", said


@test
def in_request_mode_it_asks_for_opus_and_gets_it():
    with RtpJukebox("request") as s:
        with Listener(config=s.config_path, extra=(*NO_SYNC, "--encoding", "opus")) as listener:
            listener.wait_listening()
            play_tracks(s, [tone(FREQUENCY, SECONDS, amplitude=AMPLITUDE)])
            said = what_they_said(listener, s)
            listener.wait_done(int(SECONDS * 50) - 5)
            listener.stop()
            assert listener.stats["format"] == "opus/48000/2/frames", said
            assert_the_tone(listener.samples(), listener.stats, said, longest_dropout_ms=0)


@test
def five_and_ten_percent_loss_are_rebuilt_from_fec_or_concealed():
    for loss, seed in ((0.05, 5), (0.10, 10)):
        relay, out, stats, said = through_relay(dict(loss=loss, duplicate=0), seed=seed)
        lost, fec, plc = assert_losses_add_up(relay, stats, said)
        assert len(lost) >= 5, (loss, lost)
        # The speaker's FEC floor (rtp_opus_loss 10 by default) puts FEC in
        # its packets.
        assert fec > 0, f"none of {len(lost)} rebuilt by FEC\n{said}"
        # Concealment fades over a run of losses: a dropout may last as
        # long as the longest run, and a window either side.
        assert_the_tone(out, stats, said, longest_dropout_ms=20 * longest_run(lost) + 40)


@test
def bursts_of_loss_are_concealed():
    # About 2% of packets, lost in bursts of 2 to 4.
    rng = random.Random(2)
    dropped = set()
    start = None

    def drop(sequence):
        nonlocal start
        if start is None:
            start = sequence
        k = (sequence - start) & 0xffff
        if k in dropped:
            return True
        if k > 5 and rng.random() < 0.007:
            dropped.update(range(k, k + rng.randint(2, 4)))
            return True
        return False
    relay, out, stats, said = through_relay(dict(loss=0, duplicate=0, drop=drop))
    lost, fec, plc = assert_losses_add_up(relay, stats, said)
    assert lost and plc, f"{lost}\n{said}"
    assert int(stats["plc_gaps"]) <= plc, said
    assert_the_tone(out, stats, said, longest_dropout_ms=100)


@test
def with_every_packet_sent_by_two_paths_a_path_losing_30_percent_loses_nothing():
    # rtp_duplicate_to: the second destination is the listener itself (a
    # clean path); the first goes through a relay that loses 30%.
    relay, out, stats, said = through_relay(
        dict(loss=0.30, duplicate=0), extra=lambda port: f"rtp_duplicate_to 127.0.0.1 {port}\n",
        seed=30)
    assert len(relay.offered) - len(relay.forwarded) > 20, said
    assert stats["plc_concealed"] == stats["fec_recovered"] == "0", said
    assert int(stats["duplicate_saved"]) > 20, said
    assert int(stats["duplicates"]) > 20, said
    assert_the_tone(out, stats, said, longest_dropout_ms=0)


run_tests()
