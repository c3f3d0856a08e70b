"""What the RTP tests share: a pair of UDP ports P and P+1 to receive a
stream and its RTCP on, and the RTP header read field by field (RFC 3550
5.1)."""

import socket
import struct


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
