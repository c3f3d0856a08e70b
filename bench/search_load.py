#!/usr/bin/env python3
"""bench/search_load.py: search latency of disorderd or MPD, for bench/rescan.

Takes COUNT words from the manifest of bench/gen_collection.py (each the
made-up word of exactly one track; the same sample for the same seed, so
both servers get the same words), sends one search per word over one
connection, one at a time, and times each round trip (send to the end of
the reply).  Also times COUNT round trips of the trivial command (nop /
ping) on the same connection: the floor that the client, the socket and the
wake-ups set, whatever the search costs.

  search_load.py disorder --socket HOME/private/socket --manifest M [--root ROOT]
  search_load.py mpd --port PORT --manifest M
  search_load.py disorder --socket S --manifest M --run "rescan wait" --run stats

disorderd: logs in as root through the privileged socket ("user root -")
and sends "search WORD".  MPD: "search any WORD" (--mpd-tag to change).
With --pid, the server's CPU time (all threads, /proc/PID/task/*/schedstat)
over the timed searches is reported per search.  Prints "key value" lines;
exits 1 if the run failed (a search that does not find exactly its track
counts as a failure only through the "wrong" figure).
"""
import argparse
import csv
import glob
import math
import os
import random
import socket
import sys
import time

class Conn:
    def __init__(self, sock, timeout):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.buf = b""

    def line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                return line
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("server closed the connection")
            self.buf += data

    def send(self, text):
        self.sock.sendall(text.encode("utf-8"))


class Disorder:
    trivial = "nop"

    def __init__(self, args):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(args.socket)
        self.c = Conn(s, args.timeout)
        greeting = self.c.line()
        if not greeting.startswith(b"231 "):
            raise RuntimeError(f"unexpected greeting {greeting!r}")
        self.c.send("user root -\n")
        reply = self.c.line()
        if not reply.startswith(b"230"):
            raise RuntimeError(f"login refused: {reply!r}")
        self.root = args.root

    def request(self, command):
        """Sends a command; returns its body lines (or [] without a body)."""
        self.c.send(command + "\n")
        reply = self.c.line()
        if reply[:1] != b"2":
            raise RuntimeError(f"{command!r}: {reply.decode(errors='replace')}")
        if reply[2:3] != b"3":
            return []
        body = []
        while True:
            line = self.c.line()
            if line == b".":
                return body
            body.append(line[1:] if line.startswith(b".") else line)

    def search(self, word):
        return [b.decode("utf-8") for b in self.request("search " + word)]

    def matches(self, results, path):
        want = os.path.join(self.root, path) if self.root else None
        return len(results) == 1 and (results[0] == want if want else results[0].endswith(path))


class Mpd:
    trivial = "ping"

    def __init__(self, args):
        s = socket.create_connection(("127.0.0.1", args.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.c = Conn(s, args.timeout)
        greeting = self.c.line()
        if not greeting.startswith(b"OK MPD"):
            raise RuntimeError(f"unexpected greeting {greeting!r}")
        self.tag = args.mpd_tag

    def request(self, command):
        self.c.send(command + "\n")
        lines = []
        while True:
            line = self.c.line()
            if line == b"OK":
                return lines
            if line.startswith(b"ACK"):
                raise RuntimeError(f"{command!r}: {line.decode(errors='replace')}")
            lines.append(line)

    def search(self, word):
        return [line[6:].decode("utf-8") for line in self.request(f"search {self.tag} {word}")
                if line.startswith(b"file: ")]

    def matches(self, results, path):
        return results == [path]


def cpu_ns(pid):
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("server", choices=("disorder", "mpd"))
    ap.add_argument("--socket", help="disorderd's privileged socket")
    ap.add_argument("--root", help="disorderd's collection root (to check the track names)")
    ap.add_argument("--port", type=int, help="MPD's TCP port on 127.0.0.1")
    ap.add_argument("--mpd-tag", default="any", help="MPD search tag (default: any)")
    ap.add_argument("--manifest")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=50, help="untimed searches first")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pid", type=int, help="the server's pid, for its CPU time")
    ap.add_argument("--timeout", type=float, default=10.0,
                    help="seconds to wait for any reply (default 10)")
    ap.add_argument("--run", action="append", metavar="COMMAND",
                    help="only send COMMAND (repeatable) and print its reply's body")
    args = ap.parse_args()

    if args.run:
        server = Disorder(args) if args.server == "disorder" else Mpd(args)
        for command in args.run:
            for line in server.request(command):
                print(line.decode("utf-8", errors="replace"))
        return

    if not args.manifest:
        ap.error("--manifest is needed")
    with open(args.manifest, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    rng = random.Random(args.seed)
    sample = rng.sample(rows, min(len(rows), args.count + args.warmup))
    warmup, timed = sample[:args.warmup], sample[args.warmup:]

    server = Disorder(args) if args.server == "disorder" else Mpd(args)

    for r in warmup:
        server.search(r["word"])

    # The trivial command: the round-trip floor.
    nop = []
    for _ in range(len(timed)):
        t0 = time.perf_counter_ns()
        server.request(server.trivial)
        nop.append(time.perf_counter_ns() - t0)

    lat, wrong = [], 0
    c0 = cpu_ns(args.pid) if args.pid else 0
    client0 = time.process_time_ns()
    for r in timed:
        t0 = time.perf_counter_ns()
        results = server.search(r["word"])
        lat.append(time.perf_counter_ns() - t0)
        if not server.matches(results, r["path"]):
            wrong += 1
            if wrong <= 3:
                print(f"# {r['word']}: expected {r['path']}, got {results[:3]}", file=sys.stderr)
    client_ns = time.process_time_ns() - client0
    c1 = cpu_ns(args.pid) if args.pid else 0

    lat.sort()
    nop.sort()
    n = len(lat)
    print(f"searches {n}")
    print(f"wrong {wrong}")
    print(f"search_p50_us {percentile(lat, 50) / 1e3:.1f}")
    print(f"search_p99_us {percentile(lat, 99) / 1e3:.1f}")
    print(f"search_mean_us {sum(lat) / n / 1e3:.1f}")
    print(f"search_max_us {lat[-1] / 1e3:.1f}")
    print(f"nop_p50_us {percentile(nop, 50) / 1e3:.1f}")
    print(f"nop_p99_us {percentile(nop, 99) / 1e3:.1f}")
    print(f"client_cpu_us_per_search {client_ns / n / 1e3:.1f}")
    if args.pid:
        print(f"server_cpu_us_per_search {(c1 - c0) / n / 1e3:.1f}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, EOFError, RuntimeError) as e:
        sys.exit(f"search_load.py: {e}")
