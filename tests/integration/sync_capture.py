#!/usr/bin/env python3
"""The send instants of a sender's RTP packets, for the synchronisation
tests' end-to-end latency: run inside the sender's network namespace, it
watches every interface there (an AF_PACKET socket) and appends to OUT a
line per outgoing UDP packet that is RTP carrying the test signal
(sync_signal):

  REALTIME_NS DESTINATION PORT POSITION

REALTIME_NS is the kernel's timestamp of the packet leaving (CLOCK_REALTIME),
POSITION the signal position of its first frame (mod sync_signal.PERIOD).
Runs until SIGTERM.  Usage: sync_capture.py OUT"""
import os
import signal
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sync_signal import position_be  # noqa: E402

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.rsplit("Usage: ", 1)[1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        pass
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    with open(sys.argv[1], "a", buffering=1) as out:
        while True:
            data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
            if addr[2] != PACKET_OUTGOING or len(data) < 14 + 20 + 8 + 12 + 32:
                continue
            if data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            ihl = (ip[0] & 0x0f) * 4
            if ip[9] != 17:
                continue
            dst = socket.inet_ntoa(ip[16:20])
            udp = ip[ihl:]
            port = struct.unpack(">H", udp[2:4])[0]
            rtp = udp[8:]
            if rtp[0] >> 6 != 2 or rtp[1] & 0x7f >= 72:  # not RTP, or RTCP
                continue
            header = 12 + 4 * (rtp[0] & 0x0f)
            if rtp[0] & 0x10:
                if len(rtp) < header + 4:
                    continue
                header += 4 + 4 * struct.unpack(">H", rtp[header + 2:header + 4])[0]
            p = position_be(rtp[header:])
            if p is None:
                continue
            t = None
            for level, kind, value in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("=qq", value[:16])
                    t = sec * 1_000_000_000 + nsec
            if t is None:
                continue
            out.write(f"{t} {dst} {port} {p:.2f}\n")


def read(path):
    """The lines of a capture: a list of (realtime_ns, destination, port, position)."""
    out = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 4:
                out.append((int(w[0]), w[1], int(w[2]), float(w[3])))
    return out


if __name__ == "__main__":
    main()
