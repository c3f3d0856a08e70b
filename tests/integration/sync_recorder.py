#!/usr/bin/env python3
"""Records what a listener plays, for the synchronisation tests: run as the
listener's output command (disorder-playrtp --command, snapclient's file
player piped in), it reads raw 16-bit stereo frames in this host's byte
order from standard input and appends to OUT, for every read:

  realtime_ns  int64   CLOCK_REALTIME right after the read returned (time
                       namespaces do not move this clock, so it compares
                       across listeners in namespaces of their own)
  frames       uint64  frames read before this read
  count        uint32  frames in this read
  kept         uint32  frames of them stored below
  kept * 4 bytes       the first `kept` frames (at most --keep)

all little-endian.  A read holds what the writer wrote since the last one;
the analysis takes the earliest reads relative to their position, so that
this program's own wake-up delays do not count.  It asks for SCHED_FIFO
priority 1 (granted to root) for the same reason.  Usage:
  sync_recorder.py [--keep FRAMES] OUT"""
import os
import struct
import sys
import time

HEADER = struct.Struct("<qQII")


def main():
    args = sys.argv[1:]
    keep = 64
    if args[:1] == ["--keep"]:
        keep, args = int(args[1]), args[2:]
    if len(args) != 1:
        sys.exit(__doc__.rsplit("Usage:", 1)[1])
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        pass
    out = os.open(args[0], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    frames, pending = 0, b""
    while True:
        data = os.read(0, 1 << 16)
        now = time.clock_gettime_ns(time.CLOCK_REALTIME)
        if not data:
            return
        data = pending + data
        whole = len(data) // 4 * 4
        data, pending = data[:whole], data[whole:]
        count = whole // 4
        if not count:
            continue
        kept = min(keep, count)
        os.write(out, HEADER.pack(now, frames, count, kept) + data[:4 * kept])
        frames += count


def parse(data):
    """The complete records at the start of data, as a list of
    (realtime_ns, frames, count, bytes), and how many bytes they took."""
    out = []
    i = 0
    while i + HEADER.size <= len(data):
        now, frames, count, kept = HEADER.unpack_from(data, i)
        if i + HEADER.size + 4 * kept > len(data):
            break
        i += HEADER.size
        out.append((now, frames, count, data[i:i + 4 * kept]))
        i += 4 * kept
    return out, i


def read(path):
    """The records of a file (see parse())."""
    with open(path, "rb") as f:
        return parse(f.read())[0]


if __name__ == "__main__":
    main()
