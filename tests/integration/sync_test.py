#!/usr/bin/env python3
"""Every room in step, end to end: disorderd (api rtp, rtp_mode request)
plays the position-coded test signal in a hub network namespace; listeners,
each in a network namespace and a time namespace of its own (so their
monotonic clocks disagree by hours), ask for the stream and play it into a
recorder; one listener's packets, both ways, cross a relay that delays
them by 15 ms +- 3 ms and loses 1%.  From the recordings (CLOCK_REALTIME
against the position each listener played) the test asserts that the two
listeners play the same position within 1 ms of each other once in step,
that a third listener started later joins in step, and that each one's
--status says it is synchronised.  See sync_harness.py for the set-up,
bench/sync for the same at length and against Snapcast."""
import shutil
import tempfile
import time

import sync_analysis as analysis
from harness import Skip, run_tests, test, wait_for
from sync_harness import Capture, Listener, Network, SyncJukebox, why_not_possible

NS = analysis.NS
# Monotonic clock offsets of the listeners' time namespaces, in seconds.
OFFSETS = {"a": 11, "b": 3 * 3600 + 17, "c": 5 * 60 + 3}
CONVERGE = 5.0  # seconds a listener may take to come into step
STEADY = 8.0  # seconds of measurement after that


def covered(listener, since_ns, seconds):
    """Whether the recording shows `seconds` of the signal after since_ns."""
    if not hasattr(listener, "followed"):
        listener.followed = analysis.Recording(listener.recording)
    points = listener.followed.points()
    return points and points[-1][0] - max(points[0][0], since_ns) >= seconds * NS


def describe(name, s):
    return (f"{name}: median {analysis.fmt(s['median'])}, p99 {analysis.fmt(s['p99'])}, "
            f"max {analysis.fmt(s['max'])} over {s['n']} instants")


@test
def listeners_in_namespaces_of_their_own_play_in_step():
    why = why_not_possible()
    if why:
        raise Skip(why)
    work = tempfile.mkdtemp(prefix="sync-test-")
    listeners = []
    try:
        with Network() as net:
            a_path = net.add_listener("a")
            b_path = net.add_listener("b", delay=0.015, jitter=0.003, loss=0.01)
            c_path = net.add_listener("c")
            capture = Capture(net, work)
            with SyncJukebox(net, seconds=60) as jukebox:
                jukebox.play()
                a = Listener(net, a_path, OFFSETS["a"])
                b = Listener(net, b_path, OFFSETS["b"])
                listeners += [a, b]
                begin = time.clock_gettime_ns(time.CLOCK_REALTIME)
                for x in (a, b):
                    def plays(x=x):
                        if x.proc.poll() is not None:
                            raise AssertionError(f"{x.name} exited:\n{x.log_text()}")
                        return covered(x, begin, 0.5)
                    wait_for(plays, f"listener {x.name} to play the signal", 20)
                first_b = b.followed.points()[0][0]
                wait_for(lambda: all(covered(x, first_b, CONVERGE + STEADY) for x in (a, b)),
                         "the recordings of a and b", 40)
                # A latecomer.
                c = Listener(net, c_path, OFFSETS["c"])
                listeners.append(c)
                wait_for(lambda: covered(c, 0, 0.5), "listener c to play the signal", 20)
                first_c = c.followed.points()[0][0]
                wait_for(lambda: covered(c, first_c, CONVERGE + 4), "the recording of c", 30)
                statuses = {x.name: x.status() for x in listeners}
                status_text = [x.status_command() for x in listeners]
                for x in listeners:
                    x.stop()
                capture.stop()
            counts = b_path.relay.close()

        tl = {x.name: analysis.Timeline(analysis.points_from_recording(x.recording))
              for x in listeners}
        sender = {x.name: analysis.Timeline(analysis.points_from_capture(capture.path,
                                                                         x.path.address))
                  for x in listeners}
        ab = analysis.skew_series(tl["a"], tl["b"])
        ca = analysis.skew_series(tl["c"], tl["a"])
        converged_b = analysis.converged_at(ab, first_b)
        converged_c = analysis.converged_at(ca, first_c)
        steady_ab = analysis.after(ab, (converged_b or first_b + CONVERGE * NS))
        steady_ca = analysis.after(ca, (converged_c or first_c + CONVERGE * NS))
        s_ab, s_ca = analysis.summary(steady_ab), analysis.summary(steady_ca)
        latencies = {n: analysis.latency(tl[n], sender[n]) for n in tl}
        print("# skew " + describe("a-b", s_ab))
        print("# skew " + describe("c-a", s_ca))
        print("# in step (under 1 ms for 2 s) after: b %s, c %s" % tuple(
            "never" if t is None else f"{(t - f) / NS:.2f} s"
            for t, f in ((converged_b, first_b), (converged_c, first_c))))
        print("# end-to-end latency: " + ", ".join(
            f"{n} {analysis.fmt(v and v * 1e3)}" for n, v in latencies.items()))
        print(f"# relay: {counts}")

        # The harness: every listener played the signal, the relay impaired
        # b's path as asked, and the measurement covers the time it should.
        assert s_ab["n"] >= 50 and s_ca["n"] >= 20, (s_ab, s_ca)
        assert counts and counts["offered"] > 1000, counts
        assert 0.002 < counts["lost"] / counts["offered"] < 0.03, counts
        assert all(v is not None and 0 < v < 2 for v in latencies.values()), latencies
        assert latencies["b"] > latencies["a"] - 0.005, latencies  # the relay's 15 ms

        for name, st in statuses.items():
            assert st.get("synchronised") == "yes", (name, st)
        for p in status_text:
            assert p.returncode == 0 and p.stdout.strip(), (p.stdout, p.stderr)
        assert converged_b is not None and (converged_b - first_b) / NS <= CONVERGE, ab[:50]
        assert converged_c is not None and (converged_c - first_c) / NS <= CONVERGE, ca[:50]
        for s in (s_ab, s_ca):
            assert s["p99"] < 1.0 and s["max"] < 2.0, s
    finally:
        for x in listeners:
            x.close()
        shutil.rmtree(work, ignore_errors=True)


run_tests()
