"""What the tests of disorder-web's audio stream share: a jukebox with
`api rtp` in request mode, disorder-web in front of it, and tracks of two
tones; an Ogg page reader and OpusTags parser and an ICY metadata reader
written from RFC 3533, RFC 7845 and the ICY convention alone; and the
tone check (ffmpeg decodes to WAV, a Goertzel filter finds the frequency
and the level)."""
import http.client
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import wave

from harness import Skip, closing, split, wait_for
from web_harness import WebJukebox

LOW_HZ, HIGH_HZ = 440, 880
AMPLITUDE = 8000  # of the generated tones' left channel (audio.tone)
TRACK_SECONDS = 30
LOW = "Stream Artist/Stream Album/01 Low Tone.wav"
HIGH = "Stream Artist/Stream Album/02 High Tone.wav"


def needs(program):
    if not shutil.which(program):
        raise Skip(f"{program} is not installed")


class StreamJukebox(WebJukebox):
    """A WebJukebox whose server sends RTP in request mode (or broadcasts
    it to 127.0.0.1 broadcast_port), with two more tracks: LOW (440 Hz) and HIGH (880 Hz), TRACK_SECONDS each."""

    def __init__(self, web_extra="", broadcast_port=None, server_extra="", **kw):
        mode = (f"broadcast 127.0.0.1 {broadcast_port}" if broadcast_port
                else "rtp_mode request")
        super().__init__(extra=f"api rtp\n{mode}\n{server_extra}", web_extra=web_extra, **kw)
        self.low = self.track(LOW, TRACK_SECONDS, LOW_HZ)
        self.high = self.track(HIGH, TRACK_SECONDS, HIGH_HZ)
        for d, _, _ in os.walk(self.dir):
            os.chmod(d, 0o755)

    def start(self, preexec=None):
        super().start(preexec)
        self.realtime_speaker()
        return self

    def display(self, path, part):
        with closing(self.root()) as r:
            code, text, _ = r.command("part", path, "display", part)
            assert code == 252, (code, text)
            return split(text)[0]

    def title_of(self, path):
        return self.display(path, "artist"), self.display(path, "title")

    def playing_track(self):
        with closing(self.root()) as r:
            code, text, _ = r.command("playing")
        if code != 252:
            return None
        f = split(text)
        return dict(zip(f[::2], f[1::2])).get("track")

    def play(self, path):
        """Plays path now (scratching what plays) and waits until it is the
        playing track."""
        with closing(self.root()) as r:
            r.ok("play", path)
            r.ok("enable")
            if self.playing_track() not in (None, path):
                r.ok("scratch")
        wait_for(lambda: self.playing_track() == path, f"{path} to play", 20)


# ------------------------------------------------------------------ Ogg

def ogg_pages(data):
    """The complete pages at the start of data, and the bytes after them:
    ([(header_type, granule, serial, sequence, [packet bytes...]) ...], rest).
    Packets continued over pages are not needed here (ours end on each)."""
    pages, pos = [], 0
    while len(data) - pos >= 27:
        assert data[pos:pos + 4] == b"OggS", f"no page at byte {pos}: {data[pos:pos + 8]!r}"
        htype, granule, serial, seq = struct.unpack("<BqII", data[pos + 5:pos + 22])
        nsegs = data[pos + 26]
        if len(data) - pos < 27 + nsegs:
            break
        lacing = data[pos + 27:pos + 27 + nsegs]
        size = sum(lacing)
        if len(data) - pos < 27 + nsegs + size:
            break
        body = data[pos + 27 + nsegs:pos + 27 + nsegs + size]
        packets, cur, off = [], b"", 0
        for lace in lacing:
            cur += body[off:off + lace]
            off += lace
            if lace < 255:
                packets.append(cur)
                cur = b""
        pages.append((htype, granule, serial, seq, packets))
        pos += 27 + nsegs + size
    return pages, data[pos:]


def opus_tags(packet):
    """The comments of an OpusTags packet as a dict (upper-case keys)."""
    assert packet.startswith(b"OpusTags"), packet[:8]
    vlen = struct.unpack("<I", packet[8:12])[0]
    pos = 12 + vlen
    count = struct.unpack("<I", packet[pos:pos + 4])[0]
    pos += 4
    out = {}
    for _ in range(count):
        n = struct.unpack("<I", packet[pos:pos + 4])[0]
        key, _, value = packet[pos + 4:pos + 4 + n].decode().partition("=")
        out[key.upper()] = value
        pos += 4 + n
    return out


class StreamReader:
    """GET of a stream, read in pieces as they come (http.client undoes
    the chunked encoding)."""

    def __init__(self, port, path, headers=None, timeout=10, rcvbuf=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        if rcvbuf:
            # A small receive buffer: a listener that stops reading shows
            # at the server soon.
            self.conn.connect()
            self.conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.conn.request("GET", path, headers=headers or {})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status

    def header(self, name):
        return self.resp.getheader(name)

    def read(self, n=4096):
        data = self.resp.read1(n)
        if not data:
            raise AssertionError("the stream ended")
        return data

    def close(self):
        self.conn.close()


class OggStream(StreamReader):
    def __init__(self, port, path="/stream.opus", **kw):
        super().__init__(port, path, **kw)
        self.buf = b""
        self.queue = []
        self.seen = []  # every page returned so far

    def next_page(self):
        while not self.queue:
            self.buf += self.read()
            pages, self.buf = ogg_pages(self.buf)
            self.queue.extend(pages)
        self.seen.append(self.queue.pop(0))
        return self.seen[-1]

    def wait_tags(self, predicate, what, timeout=20):
        """Reads pages until an OpusTags packet whose comments satisfy
        predicate; returns the comments."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page = self.next_page()
            for p in page[4]:
                if p.startswith(b"OpusTags") and predicate(opus_tags(p)):
                    self.tags_serial = page[2]
                    return opus_tags(p)
        raise AssertionError(f"timed out waiting for {what}")


class IcyStream(StreamReader):
    """An MP3 stream asked for with ICY metadata: audio bytes and the
    StreamTitle of each metadata block, apart."""

    def __init__(self, port, path="/stream.mp3", **kw):
        super().__init__(port, path, headers={"Icy-MetaData": "1"}, **kw)
        self.metaint = int(self.header("icy-metaint"))
        self.buf = b""
        self.audio = b""

    def _need(self, n):
        while len(self.buf) < n:
            self.buf += self.read()

    def next_title(self):
        """Reads up to the next metadata block that is not empty; returns
        its StreamTitle."""
        while True:
            self._need(self.metaint + 1)
            self.audio += self.buf[:self.metaint]
            length = self.buf[self.metaint] * 16
            self._need(self.metaint + 1 + length)
            meta = self.buf[self.metaint + 1:self.metaint + 1 + length]
            self.buf = self.buf[self.metaint + 1 + length:]
            if length:
                text = meta.rstrip(b"\0").decode()
                assert text.startswith("StreamTitle='") and text.endswith("';"), text
                return text[len("StreamTitle='"):-2]

    def wait_title(self, title, timeout=20):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            t = self.next_title()
            seen.append(t)
            if t == title:
                return
        raise AssertionError(f"timed out waiting for StreamTitle {title!r}; saw {seen}")


# ------------------------------------------------------------------ tones

def capture(url, seconds, out_dir, timeout=60):
    """ffmpeg reads url for `seconds` of audio and decodes it to a WAV;
    returns (rate, left-channel samples)."""
    needs("ffmpeg")
    path = os.path.join(out_dir, f"capture-{time.monotonic_ns()}.wav")
    p = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", url, "-t", str(seconds),
                        "-f", "wav", "-acodec", "pcm_s16le", "-y", path],
                       capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"ffmpeg failed: {p.stderr}"
    with wave.open(path) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    os.unlink(path)
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)[::channels]
    return rate, samples


def goertzel(samples, rate, freq):
    """The power of freq in samples (normalised by their count)."""
    w = 2 * math.pi * freq / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + c * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / len(samples) ** 2


def assert_tone(rate, samples, freq, other, what):
    """The last second of samples is freq (not other), at the tones' level."""
    tail = samples[-rate:]
    assert len(tail) == rate, f"{what}: only {len(samples)} samples"
    want, not_want = goertzel(tail, rate, freq), goertzel(tail, rate, other)
    rms = math.sqrt(sum(x * x for x in tail) / len(tail))
    expected = AMPLITUDE / math.sqrt(2)
    assert want > 50 * not_want, f"{what}: {freq} Hz power {want:.0f}, {other} Hz {not_want:.0f}"
    assert 0.7 * expected < rms < 1.3 * expected, f"{what}: level {rms:.0f}, expected {expected:.0f}"


def tmpdir():
    return tempfile.mkdtemp(prefix="disorder-stream-")
