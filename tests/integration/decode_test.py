#!/usr/bin/env python3
"""disorder-decode end to end: short tracks generated at test time with sox
and ffmpeg (WAV of every width, FLAC, Ogg Vorbis, Opus, MP3; a sine and a
stereo signal whose channels differ) are decoded into the raw stream, which
is parsed here from its documented layout (lib/raw_stream.hpp) and compared
with ffmpeg's own decoding of the same file: sample for sample for the
lossless formats, same length and close in value for the lossy ones (MP3
exactly as long as the PCM that was encoded: gapless).  Then the ways a
track goes wrong: corrupt, truncated, empty, unsupported and missing
files, and a reader that closes the pipe."""
import math
import os
import random
import shutil
import struct
import subprocess
import tempfile

from harness import BUILDDIR, run_tests, test

DECODE = os.path.join(BUILDDIR, "server", "disorder-decode")
TIMEOUT = 20  # seconds: a decoder that takes longer on these files hangs
WORK = tempfile.mkdtemp(prefix="disorder-decode-test-")


# ----------------------------------------------------------- the raw stream

class Segment:
    def __init__(self, bits, channels, big_endian, rate, pcm):
        self.bits, self.channels, self.big_endian, self.rate = bits, channels, big_endian, rate
        self.pcm = pcm

    @property
    def format(self):
        return (self.bits, self.channels, self.rate)


def parse_raw(data):
    """Splits a raw stream into Segments: a 20-byte big-endian header (magic
    "DRAW", version 1, bits, channels, flags with bit 0 = big-endian
    samples, rate, byte count) followed by that many bytes of PCM."""
    segments = []
    at = 0
    while at < len(data):
        header = data[at:at + 20]
        assert len(header) == 20, f"stream ends inside a header at byte {at}"
        magic, version, bits, channels, flags, rate, count = struct.unpack(">4sBBBBIQ", header)
        assert magic == b"DRAW", f"bad magic {magic!r} at byte {at}"
        assert version == 1, f"version {version}"
        assert bits in (8, 16, 24, 32), f"bits {bits}"
        assert 1 <= channels <= 8, f"channels {channels}"
        assert rate > 0
        assert count % (bits // 8 * channels) == 0, "segment is not whole frames"
        pcm = data[at + 20:at + 20 + count]
        assert len(pcm) == count, "stream ends inside a segment"
        segments.append(Segment(bits, channels, bool(flags & 1), rate, pcm))
        at += 20 + count
    return segments


def little_endian(segment):
    """The segment's PCM with samples little-endian."""
    if not segment.big_endian or segment.bits == 8:
        return segment.pcm
    w = segment.bits // 8
    pcm = segment.pcm
    return b"".join(pcm[i:i + w][::-1] for i in range(0, len(pcm), w))


def samples16(pcm):
    return struct.unpack(f"<{len(pcm) // 2}h", pcm)


# ------------------------------------------------------------------ helpers

def path(name):
    return os.path.join(WORK, name)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, **kw)


def sox(name, *args):
    """Makes a file with sox's synth: args are the options before the file
    name, then the synth arguments after '--'."""
    i = args.index("--")
    # A little below full scale, so that sox's dither never clips.
    subprocess.run(["sox", "-n", *args[:i], path(name), "synth", *args[i + 1:], "gain", "-1"],
                   check=True, timeout=TIMEOUT)
    return path(name)


def ffmpeg(name, source, *args):
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", source, *args,
                    path(name)], check=True, timeout=TIMEOUT)
    return path(name)


def reference(f, fmt):
    """ffmpeg's decoding of f as raw samples of format fmt (s8, s16le...)."""
    codec = {"s8": "pcm_s8", "s16le": "pcm_s16le", "s24le": "pcm_s24le", "s32le": "pcm_s32le"}
    r = run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", f, "-f", fmt, "-c:a", codec[fmt],
             "-"])
    assert r.returncode == 0, r.stderr
    return r.stdout


def decode(f):
    """Runs disorder-decode on f: (returncode, segments, stderr text)."""
    r = run([DECODE, f])
    return r.returncode, parse_raw(r.stdout), r.stderr.decode()


def decode_ok(f):
    rc, segments, err = decode(f)
    assert rc == 0 and err == "", f"{f}: exit {rc}: {err}"
    assert segments, "no segments"
    # The header costs next to nothing: segments are large (a block of up to
    # about 64 KiB, one per format change or end of track).
    for s, after in zip(segments, segments[1:]):
        if s.format == after.format:
            assert len(s.pcm) >= 16384, f"small segment of {len(s.pcm)} bytes"
    assert max(len(s.pcm) for s in segments) <= 128 * 1024
    return segments


def one_format(segments):
    formats = {s.format for s in segments}
    assert len(formats) == 1, f"formats {formats}"
    return formats.pop()


def pcm_of(segments):
    return b"".join(little_endian(s) for s in segments)


def rms(xs):
    return math.sqrt(sum(x * x for x in xs) / max(1, len(xs)))


def assert_close(ours, theirs, channels):
    """Lossy decoders differ in rounding and dither: over what both hold,
    the difference must be small against the signal, in each channel."""
    a, b = samples16(ours), samples16(theirs)
    n = min(len(a), len(b)) // channels * channels
    assert n > 0
    for c in range(channels):
        sa, sb = a[c:n:channels], b[c:n:channels]
        signal = rms(sa)
        error = rms([x - y for x, y in zip(sa, sb)])
        assert signal > 1000, f"channel {c} is silent"
        assert error < 0.02 * signal, f"channel {c}: error {error:.1f} vs signal {signal:.1f}"


# Two signals: a sine, and a stereo signal whose channels differ (so that
# swapped or mixed channels show).
def stereo_source(rate, seconds, bits=16):
    name = f"src-{rate}-{seconds}-{bits}.wav"
    if not os.path.exists(path(name)):
        sox(name, "-b", str(bits), "-r", str(rate), "-c", "2", "--", str(seconds),
            "sine", "440", "sine", "1250")
    return path(name)


def mono_source(rate, seconds):
    name = f"mono-{rate}-{seconds}.wav"
    if not os.path.exists(path(name)):
        sox(name, "-b", "16", "-r", str(rate), "-c", "1", "--", str(seconds), "sine", "660")
    return path(name)


# ----------------------------------------------------------------- lossless

def check_wav(bits, channels, rate, seconds, ref_fmt):
    f = sox(f"w{bits}-{channels}.wav", "-b", str(bits), "-e", "unsigned" if bits == 8 else "signed",
            "-r", str(rate), "-c", str(channels), "--", str(seconds), "sine", "440", "sine", "1250",
            "sine", "300", "sine", "2000", "sine", "100", "sine", "5000")
    segments = decode_ok(f)
    assert one_format(segments) == (bits, channels, rate)
    ours = pcm_of(segments)
    assert len(ours) == round(rate * seconds) * channels * bits // 8
    assert ours == reference(f, ref_fmt), "samples differ from ffmpeg's"
    return f


@test
def wav_8bit_mono():
    f = check_wav(8, 1, 8000, 0.3, "s8")
    with open(f, "rb") as fh:
        assert fh.read(22)[20:22] == b"\x01\x00"  # plain PCM, unsigned samples


@test
def wav_8bit_stereo():
    check_wav(8, 2, 22050, 0.4, "s8")


@test
def wav_16bit_mono():
    check_wav(16, 1, 44100, 0.5, "s16le")


@test
def wav_16bit_stereo():
    check_wav(16, 2, 44100, 0.7, "s16le")


@test
def wav_24bit_stereo_extensible():
    f = check_wav(24, 2, 48000, 0.5, "s24le")
    with open(f, "rb") as fh:
        assert fh.read(22)[20:22] == b"\xfe\xff"  # WAVE_FORMAT_EXTENSIBLE


@test
def wav_24bit_mono():
    check_wav(24, 1, 96000, 0.3, "s24le")


@test
def wav_32bit_stereo():
    check_wav(32, 2, 44100, 0.4, "s32le")


@test
def wav_16bit_six_channels():
    check_wav(16, 6, 48000, 0.3, "s16le")


@test
def wav_from_ffmpeg_with_list_chunk():
    # ffmpeg writes a LIST/INFO chunk between fmt and data.
    f = ffmpeg("ff.wav", stereo_source(44100, 0.5), "-c:a", "pcm_s16le", "-metadata", "title=x")
    assert b"LIST" in open(f, "rb").read(200)
    segments = decode_ok(f)
    assert pcm_of(segments) == reference(f, "s16le")


@test
def flac_16bit():
    f = ffmpeg("s16.flac", stereo_source(44100, 1.3), "-c:a", "flac")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 2, 44100)
    ours = pcm_of(segments)
    assert len(ours) == round(44100 * 1.3) * 4
    assert ours == reference(f, "s16le")


@test
def flac_24bit_packed():
    f = ffmpeg("s24.flac", stereo_source(48000, 0.8, bits=24), "-c:a", "flac")
    segments = decode_ok(f)
    # 24-bit FLAC comes out as packed 3-byte samples.
    assert one_format(segments) == (24, 2, 48000)
    ours = pcm_of(segments)
    assert len(ours) == round(48000 * 0.8) * 6
    assert ours == reference(f, "s24le")


@test
def flac_mono():
    f = ffmpeg("m.flac", mono_source(22050, 0.5), "-c:a", "flac")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 1, 22050)
    assert pcm_of(segments) == reference(f, "s16le")


@test
def flac_in_ogg():
    f = ffmpeg("s.oga", stereo_source(44100, 0.6), "-c:a", "flac")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 2, 44100)
    assert pcm_of(segments) == reference(f, "s16le")


# -------------------------------------------------------------------- lossy

def check_mp3(rate, channels, seconds):
    src = stereo_source(rate, seconds) if channels == 2 else mono_source(rate, seconds)
    f = ffmpeg(f"s-{rate}-{channels}.mp3", src, "-c:a", "libmp3lame", "-b:a", "128k")
    segments = decode_ok(f)
    assert one_format(segments) == (16, channels, rate)
    ours = pcm_of(segments)
    # Gapless: the encoder's delay and padding are gone.
    frames = len(ours) // (2 * channels)
    assert frames == round(rate * seconds), f"{frames} frames, not {round(rate * seconds)}"
    assert_close(ours, reference(f, "s16le"), channels)


@test
def mp3_44100_stereo_gapless():
    check_mp3(44100, 2, 1.3)


@test
def mp3_48000_stereo_gapless():
    check_mp3(48000, 2, 0.7)


@test
def mp3_48000_mono_gapless():
    check_mp3(48000, 1, 0.5)


@test
def ogg_vorbis():
    f = ffmpeg("s.ogg", stereo_source(44100, 1.1), "-c:a", "libvorbis")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 2, 44100)
    ours = pcm_of(segments)
    # The stream's granule positions give the exact length (ffmpeg's own
    # decoding of Vorbis drops the last 128 frames, so it is no guide).
    assert len(ours) // 4 == round(44100 * 1.1)
    assert_close(ours, reference(f, "s16le"), 2)


@test
def opus():
    f = ffmpeg("s.opus", stereo_source(48000, 0.9), "-c:a", "libopus")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 2, 48000)
    ours = pcm_of(segments)
    theirs = reference(f, "s16le")
    # Pre-skip and end trimming honoured, as ffmpeg does.
    assert len(ours) == len(theirs) == round(48000 * 0.9) * 4
    assert_close(ours, theirs, 2)


@test
def opus_resampled_source_decodes_at_48k():
    f = ffmpeg("m.opus", mono_source(44100, 0.6), "-c:a", "libopus")
    segments = decode_ok(f)
    assert one_format(segments) == (16, 1, 48000)
    ours = pcm_of(segments)
    theirs = reference(f, "s16le")
    assert len(ours) == len(theirs)
    assert_close(ours, theirs, 1)


@test
def chained_ogg_vorbis_changes_format():
    # Small pages: libvorbisfile loses a link that fits in a single page.
    a = ffmpeg("a.ogg", mono_source(22050, 0.5), "-c:a", "libvorbis", "-page_duration", "100000")
    b = ffmpeg("b.ogg", stereo_source(44100, 0.6), "-c:a", "libvorbis", "-page_duration",
               "100000", "-serial_offset", "1000")
    chained = path("chained.ogg")
    with open(chained, "wb") as out:
        out.write(open(a, "rb").read() + open(b, "rb").read())
    segments = decode_ok(chained)
    formats = [s.format for s in segments]
    first = formats.index((16, 2, 44100))
    assert set(formats[:first]) == {(16, 1, 22050)}, formats
    assert set(formats[first:]) == {(16, 2, 44100)}, formats
    assert sum(len(s.pcm) for s in segments[:first]) == round(22050 * 0.5) * 2
    assert sum(len(s.pcm) for s in segments[first:]) == round(44100 * 0.6) * 4


@test
def chained_opus_changes_channels():
    a = ffmpeg("a.opus", stereo_source(48000, 0.4), "-c:a", "libopus")
    b = ffmpeg("b.opus", mono_source(48000, 0.3), "-c:a", "libopus", "-serial_offset", "77")
    chained = path("chained.opus")
    with open(chained, "wb") as out:
        out.write(open(a, "rb").read() + open(b, "rb").read())
    segments = decode_ok(chained)
    formats = [s.format for i, s in enumerate(segments) if i == 0 or s.format != segments[i - 1].format]
    assert formats == [(16, 2, 48000), (16, 1, 48000)], formats


# ------------------------------------------------------ choosing a decoder

@test
def content_wins_over_a_wrong_extension():
    f = ffmpeg("s16.flac", stereo_source(44100, 1.3), "-c:a", "flac")
    misnamed = path("really-flac.mp3")
    shutil.copy(f, misnamed)
    assert pcm_of(decode_ok(misnamed)) == reference(f, "s16le")
    opus_in_ogg = path("opus.ogg")
    shutil.copy(ffmpeg("s.opus", stereo_source(48000, 0.9), "-c:a", "libopus"), opus_in_ogg)
    assert one_format(decode_ok(opus_in_ogg)) == (16, 2, 48000)


@test
def unknown_extension_is_sniffed():
    for src, name in ((stereo_source(44100, 0.5), "track.dat"),
                      (ffmpeg("x.mp3", mono_source(44100, 0.5), "-c:a", "libmp3lame"), "noext")):
        f = path(name)
        shutil.copy(src, f)
        decode_ok(f)


@test
def uppercase_extension():
    f = path("LOUD.WAV")
    shutil.copy(stereo_source(44100, 0.5), f)
    decode_ok(f)


# --------------------------------------------------------- what goes wrong

def decode_fails(f, message):
    """disorder-decode exits 1, quickly, with `disorder-decode: PATH: ...`
    containing message; returns what it wrote before giving up."""
    r = run([DECODE, f])
    err = r.stderr.decode()
    assert r.returncode == 1, f"{f}: exit {r.returncode}: {err}"
    assert err.startswith(f"disorder-decode: {f}: "), err
    assert message in err, f"{message!r} not in {err!r}"
    assert err.count("\n") == 1, err
    return parse_raw(r.stdout)


@test
def empty_files():
    for ext in ("mp3", "ogg", "opus", "flac", "wav", "xyz"):
        f = path(f"empty.{ext}")
        open(f, "wb").close()
        assert decode_fails(f, "file is empty") == []


@test
def missing_file_and_directory():
    decode_fails(path("no-such-file.mp3"), "No such file or directory")
    os.makedirs(path("dir.flac"), exist_ok=True)
    decode_fails(path("dir.flac"), "Is a directory")


@test
def unreadable_file():
    if os.geteuid() == 0:
        return  # root reads everything
    f = path("secret.wav")
    shutil.copy(stereo_source(44100, 0.5), f)
    os.chmod(f, 0)
    decode_fails(f, "Permission denied")


@test
def garbage_files():
    text = b"This is not audio, whatever its name says.\n" * 200
    for ext, message in (("mp3", "no MPEG audio found"), ("flac", "not a FLAC file"), ("ogg", "Ogg Vorbis"),
                         ("opus", "Opus"), ("wav", "not a WAV file"), ("txt", "unrecognised")):
        f = path(f"garbage.{ext}")
        with open(f, "wb") as out:
            out.write(text)
        assert decode_fails(f, message) == []


@test
def unsupported_wav_encodings():
    src = stereo_source(44100, 0.3)
    decode_fails(ffmpeg("adpcm.wav", src, "-c:a", "adpcm_ms"),
                 "compressed WAV (format 0x0002, Microsoft ADPCM) is not supported")
    decode_fails(ffmpeg("alaw.wav", src, "-c:a", "pcm_alaw"), "compressed WAV (format 0x0006")
    decode_fails(ffmpeg("float.wav", src, "-c:a", "pcm_f32le"), "floating-point WAV is not supported")


@test
def unsupported_ogg_codec():
    f = path("speex.ogg")
    with open(f, "wb") as out:
        # An Ogg page whose first packet is no codec we know.
        packet = b"Speex   " + bytes(72)
        out.write(b"OggS\x00\x02" + bytes(8) + b"\x01\x00\x00\x00" + bytes(8) + b"\x01" +
                  bytes([len(packet)]) + packet)
    decode_fails(f, "Ogg file of a codec that is not supported")


@test
def truncated_wav_plays_what_is_there():
    src = stereo_source(44100, 0.7)
    data = open(src, "rb").read()
    f = path("truncated.wav")
    with open(f, "wb") as out:
        out.write(data[:len(data) // 2 + 1])
    segments = decode_fails(f, "truncated")
    ours = pcm_of(segments)
    whole = reference(src, "s16le")
    assert 0 < len(ours) < len(whole)
    assert whole.startswith(ours)
    assert len(ours) == (len(data) // 2 + 1 - 44) // 4 * 4


@test
def truncated_flac_plays_up_to_the_end():
    f = ffmpeg("s16.flac", stereo_source(44100, 1.3), "-c:a", "flac")
    whole = reference(f, "s16le")
    data = open(f, "rb").read()
    cut = path("truncated.flac")
    with open(cut, "wb") as out:
        out.write(data[:len(data) * 6 // 10])
    ours = pcm_of(decode_fails(cut, "truncated"))
    assert len(whole) // 3 < len(ours) < len(whole)
    assert whole.startswith(ours)


@test
def corrupt_flac_plays_up_to_the_damage():
    f = ffmpeg("s16.flac", stereo_source(44100, 1.3), "-c:a", "flac")
    whole = reference(f, "s16le")
    data = bytearray(open(f, "rb").read())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0x5a for b in data[middle:middle + 64])
    bad = path("corrupt.flac")
    with open(bad, "wb") as out:
        out.write(data)
    ours = pcm_of(decode_fails(bad, "FLAC file is damaged"))
    assert 0 < len(ours) < len(whole)
    assert whole.startswith(ours)


@test
def flac_metadata_of_an_impossible_size_is_damage():
    # An APPLICATION block too short to hold its own identifier: libFLAC
    # computes a size below zero and reports that it ran out of memory,
    # which must reach the log as a damaged file, not as "std::bad_alloc".
    f = ffmpeg("app.flac", stereo_source(44100, 0.2), "-c:a", "flac")
    data = open(f, "rb").read()
    assert data[:4] == b"fLaC" and data[4] == 0  # STREAMINFO, not the last block
    bad = path("short-application-block.flac")
    with open(bad, "wb") as out:
        out.write(data[:42] + bytes([2, 0, 0, 0]) + data[42:])
    assert decode_fails(bad, "FLAC file is damaged") == []


@test
def truncated_lossy_files_end_cleanly_or_with_a_message():
    # Ogg and MP3 do not record the track length where a truncation would
    # contradict it: whatever frames survive play, and the decoder must not
    # hang or crash either way.
    # (Ogg pages of 0.1 s, so that the cut leaves whole pages of audio
    # after the headers.)
    for name, args in (("t.mp3", ["-c:a", "libmp3lame"]),
                       ("t.ogg", ["-c:a", "libvorbis", "-page_duration", "100000"]),
                       ("t.opus", ["-c:a", "libopus", "-page_duration", "100000"])):
        f = ffmpeg(name, stereo_source(44100, 1.3), *args)
        data = open(f, "rb").read()
        cut = path("cut-" + name)
        with open(cut, "wb") as out:
            out.write(data[:len(data) * 7 // 10])
        r = run([DECODE, cut])
        assert r.returncode in (0, 1), r.returncode
        assert parse_raw(r.stdout), f"{name}: nothing decoded"
        if r.returncode == 1:
            assert r.stderr.decode().startswith(f"disorder-decode: {cut}: ")


@test
def damaged_files_never_crash_or_hang():
    # A few mutations of each format (scripts/fuzz and a longer run of the
    # same idea under ASan go further): the answer is always a well-formed
    # stream and exit 0, or exit 1 with a message.
    rng = random.Random(2024)
    sources = [stereo_source(44100, 0.5),
               ffmpeg("s16.flac", stereo_source(44100, 1.3), "-c:a", "flac"),
               ffmpeg("mut.mp3", stereo_source(44100, 0.5), "-c:a", "libmp3lame"),
               ffmpeg("mut.ogg", stereo_source(44100, 0.5), "-c:a", "libvorbis"),
               ffmpeg("mut.opus", stereo_source(44100, 0.5), "-c:a", "libopus")]
    for src in sources:
        original = open(src, "rb").read()
        for n in range(8):
            data = bytearray(original)
            for _ in range(rng.randint(1, 10)):
                at = rng.randrange(len(data))
                if rng.random() < 0.7:
                    data[at] = rng.randrange(256)
                else:
                    del data[at:at + rng.randint(1, 100)]
            f = path(f"mutant-{n}" + os.path.splitext(src)[1])
            with open(f, "wb") as out:
                out.write(data)
            r = run([DECODE, f])
            assert r.returncode in (0, 1), f"{f}: exit {r.returncode}"
            parse_raw(r.stdout)
            if r.returncode == 1:
                assert r.stderr.decode().startswith(f"disorder-decode: {f}: ")


@test
def scratched_track_exits_quietly():
    # The reader closes the pipe part-way (EPIPE): exit 0, no message.
    f = ffmpeg("long.flac", stereo_source(48000, 2), "-c:a", "flac")
    p = subprocess.Popen([DECODE, f], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert len(p.stdout.read(1000)) == 1000
    p.stdout.close()
    try:
        rc = p.wait(timeout=TIMEOUT)
    finally:
        p.kill()
    assert rc == 0, rc
    assert p.stderr.read() == b""
    p.stderr.close()


@test
def options():
    r = run([DECODE, "--version"])
    assert r.returncode == 0 and r.stdout.startswith(b"disorder-decode version ")
    r = run([DECODE, "-h"])
    assert r.returncode == 0 and b"Usage: disorder-decode" in r.stdout
    r = run([DECODE])
    assert r.returncode == 2 and b"Usage" in r.stderr
    r = run([DECODE, "a", "b"])
    assert r.returncode == 2


if __name__ == "__main__":
    try:
        run_tests()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
