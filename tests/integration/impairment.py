#!/usr/bin/env python3
"""A bad network in user space, for tests that need one (the kernel's netem
is not available everywhere): Impairment delays, jitters, loses and
duplicates datagrams on their way to a `send` function.  Two carriers use
it: playrtp_harness's UDP Relay (a port that forwards to another), and, run
as a program, TunRelay, which impairs every IP packet routed through a TUN
device in a network namespace, in both directions, without any address
translation (see sync_harness.Network, which routes a listener's traffic
through it).

  impairment.py tun NAME [--delay S] [--jitter S] [--loss P] [--seed N]

creates TUN device NAME (IFF_TUN, no packet information) in the namespace
it runs in, prints "ready" when the device exists, and forwards every
packet read from it back into it, impaired; the routing around the device
is the caller's.  SIGUSR1 starts an outage: nothing passes for
--outage seconds (default 2).  On SIGTERM it prints a JSON line of counts
and exits."""
import fcntl
import heapq
import json
import os
import random
import signal
import struct
import sys
import threading
import time

# SCHED_FIFO priority of the threads that stand for the network: above
# every ordinary process, below the programs' audio threads (see
# harness.STAND_IN_PRIORITY; repeated so that this file runs on its own).
STAND_IN_PRIORITY = 1


def stand_in_priority():
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(STAND_IN_PRIORITY))
        return True
    except (OSError, AttributeError):
        return False


class Impairment:
    """Each datagram offered is lost with probability `loss`, sent twice
    with `duplicate`, each copy after `delay` plus a uniform jitter in
    [-jitter, +jitter] seconds (so reordered when the jitter is larger than
    the gap between datagrams); during an outage() everything is lost.  The
    sending thread runs at stand_in_priority(), so that the delays are
    these and not the test machine's load.  offer() is called from one
    thread (the receiving one)."""

    def __init__(self, send, delay=0.0, jitter=0.0, loss=0.0, duplicate=0.0, seed=1):
        self.send_fn = send
        self.delay, self.jitter, self.loss, self.duplicate = delay, jitter, loss, duplicate
        self.rng = random.Random(seed)
        self.queue = []  # (when, n, data)
        self.n = 0
        self.offered = self.lost = self.sent = self.blacked_out = 0
        self.outage_until = 0.0
        self.cond = threading.Condition()
        self.done = False
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def outage(self, seconds):
        """Loses everything offered for the next `seconds`."""
        self.outage_until = time.monotonic() + seconds

    def offer(self, data):
        """Queues data; returns how many copies will be sent (0: lost)."""
        self.offered += 1
        if time.monotonic() < self.outage_until:
            self.blacked_out += 1
            return 0
        if self.rng.random() < self.loss:
            self.lost += 1
            return 0
        copies = 2 if self.rng.random() < self.duplicate else 1
        with self.cond:
            for _ in range(copies):
                self.n += 1
                when = time.monotonic() + self.delay + self.rng.uniform(-self.jitter, self.jitter)
                heapq.heappush(self.queue, (when, self.n, data))
            self.cond.notify()
        return copies

    def _send(self):
        stand_in_priority()
        with self.cond:
            while not (self.done and not self.queue):
                if not self.queue:
                    self.cond.wait(0.05)
                    continue
                when = self.queue[0][0]
                now = time.monotonic()
                if when > now:
                    self.cond.wait(when - now)
                    continue
                _, _, data = heapq.heappop(self.queue)
                try:
                    self.send_fn(data)
                    self.sent += 1
                except OSError:
                    pass

    def close(self):
        """Sends what is queued, then stops."""
        with self.cond:
            self.done = True
            self.cond.notify()
        self.thread.join()

    def counts(self):
        return {"offered": self.offered, "lost": self.lost, "outage": self.blacked_out,
                "sent": self.sent}


TUNSETIFF = 0x400454ca
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def tun_relay(argv):
    import argparse
    p = argparse.ArgumentParser(prog="impairment.py tun")
    p.add_argument("name")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--jitter", type=float, default=0.0)
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--outage", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    fd = open_tun(a.name)
    imp = Impairment(lambda data: os.write(fd, data), a.delay, a.jitter, a.loss, seed=a.seed)
    stop = threading.Event()
    signal.signal(signal.SIGUSR1, lambda *_: imp.outage(a.outage))
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def receive():
        stand_in_priority()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return
            imp.offer(data)
    threading.Thread(target=receive, daemon=True).start()
    print("ready", flush=True)
    while not stop.wait(0.2):
        pass
    imp.done = True
    print(json.dumps(imp.counts()), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["tun"]:
        tun_relay(sys.argv[2:])
    else:
        sys.exit(__doc__)
