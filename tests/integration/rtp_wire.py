"""What the RTP tests share: a pair of UDP ports P and P+1 to receive a
stream and its RTCP on, datagrams dated by the kernel, and the RTP header
read field by field (RFC 3550 5.1)."""

import socket
import struct
import time

# Linux's socket option for receive timestamps as a struct timespec;
# Python's socket module does not name it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def recv_stamped(sock):
    """A datagram from sock (with SO_TIMESTAMPNS set) and when it arrived,
    by the kernel's receive timestamp rather than when the thread reading
    got to it, which on a busy machine may be much later: (monotonic
    seconds, wall-clock seconds, data).  Without a timestamp, now."""
    return recv_stamped_from(sock)[:3]


def recv_stamped_from(sock):
    """recv_stamped(), and the sender's address last."""
    data, ancillary, _, source = sock.recvmsg(65536, socket.CMSG_SPACE(16))
    now_wall, now_mono = time.time(), time.monotonic()
    wall = now_wall
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanoseconds = struct.unpack("=qq", value[:16])
            wall = min(now_wall, seconds + nanoseconds / 1e9)
    return now_mono - (now_wall - wall), wall, data, source


def udp_pair(host="127.0.0.1", rcvbuf=None):
    """Two UDP sockets on host, ports P (even) and P+1, with receive buffers
    of at least rcvbuf bytes if given."""
    for _ in range(100):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind((host, 0))
        port = rtp.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtcp.bind((host, port + 1))
                if rcvbuf:
                    for s in (rtp, rtcp):
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
                return rtp, rtcp
            except OSError:
                rtcp.close()
        rtp.close()
    raise AssertionError("no free pair of UDP ports")


def parse_rtp(data):
    """The header of an RTP packet without CSRCs, and its payload."""
    b0, b1, seq, ts, ssrc = struct.unpack(">BBHII", data[:12])
    assert b0 >> 6 == 2 and b0 & 0x0f == 0, data[:12]
    return {"marker": bool(b1 & 0x80), "pt": b1 & 0x7f, "seq": seq, "ts": ts, "ssrc": ssrc,
            "payload": data[12:]}
