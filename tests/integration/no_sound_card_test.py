#!/usr/bin/env python3
"""A machine whose sound device cannot be opened (no sound card): ALSA is
given a configuration (ALSA_CONFIG_PATH) whose PCM names a slave that does
not exist, as the stock configuration does without a card.  disorderd with
`api alsa` says once why the output is unavailable, without ALSA's own
lines flooding its log, keeps the queued track waiting instead of failing
it, and plays it once the configuration is replaced by one that opens (a
file plugin).  disorder-playrtp --monitor without an output says so once
and still counts the packets of a stream that flows."""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

from audio import Events, Jukebox, find, tone
from harness import BUILDDIR, closing, fields, free_udp_port, run_tests, terminate, test, wait_for

PLAYRTP = os.path.join(BUILDDIR, "clients", "disorder-playrtp")

UNAVAILABLE = ("audio output unavailable: cannot open ALSA device 'default': "
               "No such file or directory (ALSA: Unknown PCM nosuchcard); "
               "retrying after 1 s, then less and less often, up to every 30 s; "
               "tracks wait until it works (see api and device in disorder_config(5))")


def alsa_config(path, pcm, out, openable):
    """Writes ALSA's configuration: PCM `pcm` writes raw frames to `out`
    through a null slave, or (not openable) names a slave that does not
    exist.  Replaced with a rename, so that ALSA, which looks at the
    file's inode and time before each open, reads it again."""
    slave = "{ type null }" if openable else '"nosuchcard"'
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(f'pcm.{pcm} {{\n  type file\n  slave {{ pcm {slave} }}\n'
                f'  file "{out}"\n  format raw\n}}\n')
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def alsa_lines(log):
    """ALSA's own messages: printed by ALSA itself, or passed through our log."""
    return [l for l in log.splitlines() if "ALSA lib" in l or "ALSA: " in l]


@test
def without_a_sound_card_the_queue_waits_and_plays_when_the_output_opens():
    s = Jukebox()
    conf = os.path.join(s.dir, "asound.conf")
    alsa_config(conf, "!default", s.output, openable=False)
    # The stock output (api alsa, device default); the speaker inherits
    # ALSA_CONFIG_PATH from disorderd.
    s.extra_config = (f"collection fs utf-8 {s.music}\n"
                      "api alsa\n"
                      "sample_format 16l/44100/2\n"
                      "queue_pad 0\n")
    s.write_config()
    saved = os.environ.get("ALSA_CONFIG_PATH")
    os.environ["ALSA_CONFIG_PATH"] = conf
    try:
        s.start()
        track = s.track("waiting.wav", seconds=1.0, freq=523)
        s.rescan()
        events = Events(s)
        with closing(s.root()) as r:
            r.ok("play", track)
        wait_for(lambda: UNAVAILABLE in s.log_text(), "the output to be reported unavailable")
        # Past the 15 s after which a track that plays nothing is failed,
        # and several retries: the track is still waiting, not failed, and
        # the reason was said once.
        since = time.monotonic()
        while time.monotonic() - since < 18:
            with closing(s.root()) as r:
                _, recent = r.ok("recent")
                assert not recent, f"recorded as played: {recent}\n{s.log_text()}"
                _, queue = r.ok("queue")
                code, playing, _ = r.command("playing")
                waiting = [fields(l)["track"] for l in queue]
                if code == 252:
                    waiting.insert(0, fields(playing)["track"])
                assert waiting == [track], (waiting, s.log_text())
            time.sleep(0.5)
        log = s.log_text()
        assert log.count(UNAVAILABLE) == 1, log
        assert "produced no audio" not in log, log
        assert len(alsa_lines(log)) <= 2, alsa_lines(log)

        # The device appears: the track plays, from its start, to the end.
        alsa_config(conf, "!default", s.output, openable=True)
        events.wait("completed", track, timeout=45)
        with closing(s.root()) as r:
            _, recent = r.ok("recent")
            assert [fields(l)["state"] for l in recent] == ["ok"], recent
        # The speaker has given the device the whole track; the file plugin
        # writes the last of it as the device plays it out.
        wait_for(lambda: find(s.output_samples(), tone(523, 1.0)) >= 0,
                 "the whole track in the output", 10)
        log = s.log_text()
        assert "audio output working again" in log, log
        assert log.count(UNAVAILABLE) == 1, log
        assert len(alsa_lines(log)) <= 2, alsa_lines(log)
        events.close()
    finally:
        if saved is None:
            os.environ.pop("ALSA_CONFIG_PATH", None)
        else:
            os.environ["ALSA_CONFIG_PATH"] = saved
        s.cleanup()


def send_stream(dest, seconds, stop):
    """RTP L16 stereo 44.1 kHz (payload type 10) of a tone, paced in real
    time, until `seconds` have been sent or `stop` is set.  Returns the
    number of packets sent."""
    samples = tone(440, seconds)
    frames_per_packet = 352
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    start = time.monotonic()
    sent = 0
    for k, first in enumerate(range(0, len(samples) // 2, frames_per_packet)):
        if stop.is_set():
            break
        delay = start + first / 44100 - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        payload = samples[first * 2:(first + frames_per_packet) * 2]
        payload.byteswap()  # big-endian on the wire
        header = struct.pack(">BBHII", 0x80, (0x80 if k == 0 else 0) | 10, k & 0xffff,
                             first, 0x5eed0001)
        sock.sendto(header + payload.tobytes(), dest)
        sent += 1
    sock.close()
    return sent


@test
def playrtp_without_an_output_says_so_once_and_counts_the_packets():
    d = tempfile.mkdtemp(prefix="no-sound-card-")
    conf = os.path.join(d, "asound.conf")
    alsa_config(conf, "nocardtest", os.path.join(d, "out.raw"), openable=False)
    env = dict(os.environ)
    env["ALSA_CONFIG_PATH"] = conf
    env["DISORDER_USERCONFIG"] = os.path.join(d, "no-such-passwd")
    env.pop("DISORDER_HOME", None)
    port = free_udp_port()
    proc = subprocess.Popen([PLAYRTP, "--api", "alsa", "--device", "nocardtest", "--monitor",
                             "--config", "/dev/null", "--", str(port)],
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    stats = {}

    def read():
        for line in proc.stderr:
            line = line.rstrip("\n")
            lines.append(line)
            if ": monitor: " in line:
                words = line.split(": monitor: ", 1)[1].split()
                stats.clear()
                stats.update(w.split("=", 1) for w in words[2:])
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stop = threading.Event()
    sender = None
    try:
        wait_for(lambda: any("listening on" in l for l in lines) or proc.poll() is not None,
                 "disorder-playrtp to listen")
        assert proc.poll() is None, "\n".join(lines)
        sender = threading.Thread(target=send_stream, args=(("127.0.0.1", port), 8.0, stop))
        sender.start()
        # About 125 packets a second flow; several seconds of them, counted.
        wait_for(lambda: int(stats.get("packets", 0)) >= 500, "packets counted", timeout=15)
        assert stats.get("output") == "unavailable", stats
        log = "\n".join(lines)
        unavailable = [l for l in lines if "audio output unavailable" in l]
        assert len(unavailable) == 1, log
        assert ("audio output unavailable: cannot open ALSA device 'nocardtest': "
                "No such file or directory (ALSA: Unknown PCM nosuchcard); retrying after 1 s, "
                "then less and less often, up to every 30 s; meanwhile the stream is received "
                "but not heard (see --api and --device)") in unavailable[0], unavailable[0]
        assert len(alsa_lines(log)) <= 2, alsa_lines(log)
    finally:
        stop.set()
        if sender:
            sender.join()
        if proc.poll() is None:
            terminate(proc, "disorder-playrtp")
        reader.join(5)
        shutil.rmtree(d, ignore_errors=True)
    assert proc.returncode == 0, "\n".join(lines)


run_tests()
