#!/usr/bin/env python3
"""The server's RTP stream as a standard client hears it: disorderd plays a
generated tone with the rtp backend to a loopback address, ffmpeg receives
it using the SDP description the server gives (rtp-sdp), and the recording
must be that tone."""
import array
import os
import subprocess

from audio import RATE, Events, tone, write_wav, zero_crossings_per_second
from harness import Client, Server, closing, free_udp_port, run_tests, split, test


class RtpJukebox(Server):
    def __init__(self):
        super().__init__()
        self.music = os.path.join(self.dir, "music")
        os.makedirs(self.music)
        self.rtp_port = free_udp_port()
        self.extra_config = (f"collection fs utf-8 {self.music}\n"
                             f"broadcast 127.0.0.1 {self.rtp_port}\n"
                             "queue_pad 0\n")
        self.write_config()


@test
def rtp_address_and_sdp():
    with RtpJukebox() as s:
        with closing(Client(s.socket_path)) as c:  # no login needed
            code, text, _ = c.command("rtp-address")
            assert (code, split(text)) == (252, ["127.0.0.1", str(s.rtp_port)]), (code, text)
            code, _, body = c.command("rtp-sdp")
            assert code == 253
            assert f"m=audio {s.rtp_port} RTP/AVP 10" in body, body
            assert "c=IN IP4 127.0.0.1" in body and "a=rtpmap:10 L16/44100/2" in body, body


@test
def ffmpeg_records_the_tone_from_the_sdp():
    with RtpJukebox() as s:
        path = os.path.join(s.music, "tone.wav")
        write_wav(path, tone(440, 4.0))
        with closing(s.root()) as r:
            r.ok("rescan", "wait", "fresh")
            _, body = r.ok("rtp-sdp")
        sdp = os.path.join(s.dir, "stream.sdp")
        with open(sdp, "w") as f:
            f.write("\n".join(body) + "\n")
        out = os.path.join(s.dir, "heard.raw")
        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-v", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp,
             "-t", "2", "-f", "s16le", "-ac", "2", "-ar", str(RATE), "-y", out],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            events = Events(s)
            with closing(s.root()) as r:
                r.ok("play", path)
            events.wait("playing", path)
            ffmpeg.wait(20)
        finally:
            if ffmpeg.poll() is None:
                ffmpeg.kill()
        assert ffmpeg.returncode == 0, ffmpeg.stderr.read().decode()
        heard = array.array("h")
        with open(out, "rb") as f:
            heard.frombytes(f.read())
        assert len(heard) >= RATE * 2 * 1.5, f"only {len(heard) // 2} frames recorded"
        # ignore any leading silence before the stream started
        first = next(i for i, v in enumerate(heard) if v)
        heard = heard[first - first % 2:]
        rate = zero_crossings_per_second(heard)
        assert abs(rate - 880) < 20, f"heard {rate / 2:.1f} Hz, expected 440"
        peak = max(abs(v) for v in heard[0::2])
        assert 7000 < peak <= 8001, peak  # the right level, not noise or clipping
        right = max(abs(v) for v in heard[1::2])
        assert 3500 < right <= 4001, right  # the right channel is half as loud


run_tests()
