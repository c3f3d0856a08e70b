"""The test signal of the synchronisation tests: 16-bit stereo at 44.1 kHz
whose every frame says where it is in the stream, so that a recording of a
listener's output gives the stream position it played at each instant.

Frame p (p counted from the start of the signal) is
  left  = (p mod 65536) - 32768          a ramp: the fine position
  right = ((p >> 10) mod 65536) - 32768  a staircase: the coarse position
so positions are unambiguous over 2^26 frames (25 minutes).  Both are
smooth (the ramp jumps only once every 65536 frames), so a listener's drift
resampler, which interpolates, bends them only slightly: a run of decoded
positions minus their index in the run stays constant to within a frame or
two, except for a few frames at a wrap of the ramp, which the decoder
leaves out.  Silence (all zeros) decodes to no position at all.  The ramp
also gives the position to a fraction of a frame, averaged over a run."""
import array
import struct
import wave

RATE = 44100
COARSE_SHIFT = 10
PERIOD = 1 << (16 + COARSE_SHIFT)  # positions repeat after this many frames


def block(b):
    """Frames [b * 65536, (b + 1) * 65536) as interleaved array('h')."""
    out = array.array("h", bytes(4 * 65536))
    out[0::2] = array.array("h", range(-32768, 32768))
    steps = 65536 >> COARSE_SHIFT
    right = array.array("h")
    for s in range(steps):
        v = ((b * steps + s) & 0xffff) - 32768
        right.extend(array.array("h", [v]) * (1 << COARSE_SHIFT))
    out[1::2] = right
    return out


def frames(first, count):
    """Frames [first, first + count) as interleaved array('h')."""
    out = array.array("h")
    b = first >> 16
    while len(out) < 2 * count:
        blk = block(b)
        start = (first - (b << 16)) * 2 if not out else 0
        out.extend(blk[start:start + 2 * count - len(out)])
        b += 1
    return out


def write_wav(path, seconds):
    """The signal's first `seconds` as a WAV file (little-endian 16-bit)."""
    n = int(seconds * RATE)
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for b in range(0, (n + 65535) >> 16):
            blk = block(b)
            w.writeframes(blk[:2 * min(65536, n - (b << 16))].tobytes())
    return n


def decode_frame(left, right):
    """The position (mod PERIOD) that one frame encodes."""
    fine = left + 32768
    coarse = ((right + 32768) << COARSE_SHIFT) + (1 << (COARSE_SHIFT - 1))
    return fine + ((coarse - fine + 32768) & ~0xffff) & (PERIOD - 1)


def position(samples, start=0, count=64):
    """The position (mod PERIOD, a float) of frame `start` of interleaved
    samples (array('h') or a sequence of ints), from the frames
    [start, start + count): the mean of (decoded position - index) over
    the frames that agree with the median to within 2 frames, or None
    unless at least 3/4 of them do (silence, noise, a jump)."""
    n = min(count, len(samples) // 2 - start)
    if n < 8:
        return None
    d = []
    for k in range(n):
        i = 2 * (start + k)
        d.append((decode_frame(samples[i], samples[i + 1]) - k) % PERIOD)
    d.sort()
    median = d[len(d) // 2]
    near = [((x - median + PERIOD // 2) % PERIOD) - PERIOD // 2 for x in d]
    near = [x for x in near if abs(x) <= 2]
    if len(near) * 4 < n * 3:
        return None
    return (median + sum(near) / len(near)) % PERIOD


def position_be(payload, count=16):
    """position() of an RTP L16 payload (big-endian stereo)."""
    n = min(count, len(payload) // 4)
    if n < 8:
        return None
    values = struct.unpack(f">{2 * n}h", payload[:4 * n])
    return position(values, 0, n)


def unwrap(p, reference):
    """p (mod PERIOD) moved by a multiple of PERIOD to be nearest reference."""
    return p + round((reference - p) / PERIOD) * PERIOD
