#!/usr/bin/env python3
"""disorder-web's audio stream under load, run by hand: a jukebox with
`api rtp` plays a tone, N `curl` readers take /stream.opus (or
/stream.mp3) from disorder-web, and the CPU time disorder-web uses is
measured over BENCH_SECONDS (default 8) for each N; then, as a peer,
icecast2 fed by disorder-web (web_icecast) serves the same N readers of
its mount, and its CPU time is measured the same way.

    DISORDER_BUILDDIR=$PWD/build bench/web_stream.py [N...]

Prints one line per format and N: the share of one core each uses."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import closing, wait_for  # noqa: E402
from icecast_test import PASSWORD, Icecast  # noqa: E402
from stream_harness import StreamJukebox  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
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


if __name__ == "__main__":
    main()
