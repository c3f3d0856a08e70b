"""From recordings to figures, for the synchronisation tests and
bench/sync: where in the stream each player was at each instant
(CLOCK_REALTIME, the one clock that all time namespaces share), the skew
between two players over time, how long one took to come into step, and
the end-to-end latency against the sender's send instants.

A recorder read is late by its own wake-up delay, never early, so a
player's timeline is built from the earliest reads: in each bin of 200 ms,
the read whose instant minus its position (in seconds) is smallest.  The
position at any instant is interpolated between neighbouring anchors, and
is undefined across a gap (silence, an outage) or a jump in the stream."""
import array
import bisect
import sys

import sync_capture
import sync_recorder
from sync_signal import RATE, position, unwrap

NS = 1_000_000_000


class Recording:
    """A recording read as it grows: points() gives (realtime_ns, position)
    for each read whose first frames carry the signal, positions unwrapped
    along the recording."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.pending = b""
        self._points = []

    def points(self):
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        records, used = sync_recorder.parse(self.pending + data)
        self.pending = (self.pending + data)[used:]
        out = self._points
        for now, _, _, raw in records:
            samples = array.array("h")
            samples.frombytes(raw)
            if sys.byteorder == "big":
                samples.byteswap()
            p = position(samples)
            if p is None:
                continue
            if out:
                t0, p0 = out[-1]
                p = unwrap(p, p0 + (now - t0) * RATE / NS)
            else:
                # The signal starts at position 0 and the tests are shorter
                # than half a PERIOD: the first point is the one nearest 0.
                # A listener that plays from the very start may decode its
                # first frames, bent by its resampler, a frame or so before
                # 0, which is PERIOD - 1, and would put the whole recording
                # a PERIOD (25 minutes) late.
                p = unwrap(p, 0)
            out.append((now, p))
        return out


def points_from_recording(path):
    """Recording(path).points() at once."""
    return Recording(path).points()


def points_from_capture(path, destination):
    """(realtime_ns, position) of the RTP packets sent to `destination`."""
    out = []
    for now, dst, _, p in sync_capture.read(path):
        if dst != destination:
            continue
        if out:
            t0, p0 = out[-1]
            p = unwrap(p, p0 + (now - t0) * RATE / NS)
        out.append((now, p))
    return out


class Timeline:
    """A player's (or sender's) position in the stream against realtime."""

    def __init__(self, points, bin_ns=200_000_000, max_gap_ns=700_000_000, max_step=0.002):
        best = {}
        for t, p in points:
            k = t // bin_ns
            lateness = t - p * NS / RATE
            if k not in best or lateness < best[k][0]:
                best[k] = (lateness, t, p)
        anchors = [best[k][1:] for k in sorted(best)]
        self.t = [a[0] for a in anchors]
        self.p = [a[1] for a in anchors]
        self.max_gap_ns = max_gap_ns
        self.max_step = max_step  # seconds of disagreement that mark a jump

    def __bool__(self):
        return len(self.t) >= 2

    def first(self):
        return self.t[0] if self.t else None

    def last(self):
        return self.t[-1] if self.t else None

    def _usable(self, i):
        """Whether the anchors i-1 and i may be interpolated between."""
        dt = self.t[i] - self.t[i - 1]
        if dt > self.max_gap_ns:
            return False
        return abs((self.p[i] - self.p[i - 1]) / RATE - dt / NS) < self.max_step

    def position(self, t):
        """The position at realtime t (ns), or None."""
        i = bisect.bisect_left(self.t, t)
        if i == 0 or i >= len(self.t):
            return self.p[i] if i < len(self.t) and self.t[i] == t else None
        if not self._usable(i):
            return None
        f = (t - self.t[i - 1]) / (self.t[i] - self.t[i - 1])
        return self.p[i - 1] + f * (self.p[i] - self.p[i - 1])

    def instant(self, p):
        """The realtime (ns) at which position p was reached, or None
        (positions taken as increasing, which they are between jumps)."""
        i = bisect.bisect_left(self.p, p)
        if i == 0 or i >= len(self.p) or not self._usable(i):
            return None
        f = (p - self.p[i - 1]) / (self.p[i] - self.p[i - 1])
        return self.t[i - 1] + f * (self.t[i] - self.t[i - 1])


def skew_series(a, b, start=None, end=None, step_ns=100_000_000):
    """[(t, seconds a is ahead of b)] every step where both are defined."""
    if not a or not b:
        return []
    start = max(a.first(), b.first(), start or 0)
    end = min(a.last(), b.last(), end or a.last())
    out = []
    t = start
    while t <= end:
        pa, pb = a.position(t), b.position(t)
        if pa is not None and pb is not None:
            out.append((t, (pa - pb) / RATE))
        t += step_ns
    return out


def percentile(values, q):
    v = sorted(values)
    if not v:
        return None
    return v[min(len(v) - 1, int(q * len(v)))]


def summary(series):
    """median, p99 and max of |skew| in milliseconds (None if empty)."""
    v = [abs(s) * 1e3 for _, s in series]
    if not v:
        return {"median": None, "p99": None, "max": None, "n": 0}
    return {"median": percentile(v, 0.5), "p99": percentile(v, 0.99), "max": max(v),
            "n": len(v)}


def converged_at(series, since, threshold=0.001, hold_ns=2 * NS):
    """The first instant t >= since from which |skew| stays under threshold
    for hold_ns (and the series covers that time), or None."""
    pts = [(t, s) for t, s in series if t >= since]
    for i, (t, s) in enumerate(pts):
        if abs(s) >= threshold:
            continue
        ok, end = True, t
        for t2, s2 in pts[i:]:
            if t2 > t + hold_ns:
                break
            if abs(s2) >= threshold:
                ok = False
                break
            end = t2
        if ok and end >= t + hold_ns - 200_000_000:
            return t
    return None


def after(series, t):
    return [(u, s) for u, s in series if u >= t]


def latency(player, sender):
    """Median seconds from a position's send instant (sender Timeline) to
    the player reaching it (player Timeline), over the player's anchors."""
    out = []
    for t, p in zip(player.t, player.p):
        s = sender.instant(p)
        if s is not None:
            out.append((t - s) / NS)
    return percentile(out, 0.5)


def fmt(x, unit="ms", digits=3):
    return "-" if x is None else f"{x:.{digits}f} {unit}".rstrip()
