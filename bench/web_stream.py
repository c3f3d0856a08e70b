#!/usr/bin/env python3
"""disorder-web's audio stream under load, run by hand: a jukebox with
`api rtp` plays a tone, N `curl` readers take /stream.opus (or
/stream.mp3) from disorder-web, and the CPU time disorder-web uses is
measured over BENCH_SECONDS (default 8) for each N; then, as a peer,
icecast2 fed by disorder-web (web_icecast) serves the same N readers of
its mount, and its CPU time is measured the same way.  Last, for each
format, the delay from a track change to the new title at a listener of
an Icecast mount that disorder-web feeds (BENCH_CHANGES changes, default
5): from just before the `scratch` that changes the track to the new
title in the OpusTags of the next Ogg chain, or in the next ICY
StreamTitle (icecast2 inserts one every 16000 bytes of MP3, about a
second at 128 kbit/s).

    DISORDER_BUILDDIR=$PWD/build bench/web_stream.py [N...]

Prints one line per format and N: the share of one core each uses; then
the title delays."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import closing, wait_for  # noqa: E402
from icecast_test import PASSWORD, Icecast  # noqa: E402
from stream_harness import IcyStream, OggStream, StreamJukebox  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
CHANGES = int(os.environ.get("BENCH_CHANGES", "5"))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def share(pid):
    """The share of one core pid uses over SECONDS."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(SECONDS)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0) * 100


def readers(url, n):
    return [subprocess.Popen(["curl", "-s", "-o", "/dev/null", url]) for _ in range(n)]


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()


def keep_playing(j):
    """The tones, then random picks, so that the stream is never silence."""
    j.play(j.low)
    with closing(j.root()) as r:
        r.ok("random-enable")


def main():
    counts = [int(a) for a in sys.argv[1:]] or [1, 10, 50, 100, 200]
    print(f"{'':27}{'listeners':>10}{'% of a core':>14}")
    with StreamJukebox(web_extra="web_stream_listeners 1000\n") as j:
        keep_playing(j)
        web = j.web.proc.pid
        print(f"{'disorder-web, idle':27}{0:>10}{share(web):>14.1f}", flush=True)
        for fmt in ("opus", "mp3"):
            for n in counts:
                procs = readers(f"{j.url}/stream.{fmt}", n)
                time.sleep(2)
                print(f"{'disorder-web ' + fmt:27}{n:>10}{share(web):>14.1f}", flush=True)
                stop(procs)
    ice = Icecast(clients=max(counts) + 10)
    ice.start()
    try:
        extra = f"web_icecast 127.0.0.1 {ice.port} /bench.opus source {PASSWORD} opus\n"
        with StreamJukebox(web_extra=extra) as j:
            keep_playing(j)
            wait_for(lambda: ice.mount("/bench.opus"), "the mount", 20)
            print(f"{'disorder-web to Icecast':27}{0:>10}{share(j.web.proc.pid):>14.1f}",
                  flush=True)
            for n in counts:
                procs = readers(f"http://127.0.0.1:{ice.port}/bench.opus", n)
                time.sleep(2)
                print(f"{'icecast2 opus (peer)':27}{n:>10}{share(ice.proc.pid):>14.1f}",
                      flush=True)
                stop(procs)
    finally:
        ice.cleanup()


def title_delays(fmt):
    """Seconds from each track change to its title at a listener of the
    Icecast mount."""
    ice = Icecast()
    ice.start()
    try:
        mount = f"/bench.{fmt}"
        extra = f"web_icecast 127.0.0.1 {ice.port} {mount} source {PASSWORD} {fmt}\n"
        with StreamJukebox(web_extra=extra) as j:
            j.play(j.low)
            wait_for(lambda: ice.mount(mount), "the mount", 20)
            if fmt == "opus":
                listener = OggStream(ice.port, mount)
                def wait(path):
                    title = j.title_of(path)[1]
                    listener.wait_tags(lambda t: t.get("TITLE") == title, title)
            else:
                listener = IcyStream(ice.port, mount)
                def wait(path):
                    listener.wait_title(" - ".join(j.title_of(path)))
            try:
                wait(j.low)
                delays = []
                for k in range(CHANGES):
                    path = j.high if k % 2 == 0 else j.low
                    t0 = time.monotonic()
                    j.play(path)
                    wait(path)
                    delays.append(time.monotonic() - t0)
            finally:
                listener.close()
            return delays
    finally:
        ice.cleanup()


def report_title_delays():
    print(f"\ntrack change to the new title at a listener of an Icecast mount "
          f"({CHANGES} changes), s")
    for fmt in ("opus", "mp3"):
        d = sorted(title_delays(fmt))
        print(f"   {fmt:<5} median {d[len(d) // 2]:.2f}   min {d[0]:.2f}   max {d[-1]:.2f}",
              flush=True)


if __name__ == "__main__":
    main()
    report_title_delays()
