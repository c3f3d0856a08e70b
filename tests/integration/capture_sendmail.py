#!/usr/bin/env python3
"""A stand-in for `sendmail -bs`, for tests: speaks the server side of SMTP
(RFC 5321) on stdin/stdout, as `sendmail -bs` does, and writes each message
it accepts into a directory instead of delivering it.

    capture_sendmail.py MAILDIR -bs

For each message it writes MAILDIR/N.json (the envelope: {"from": ADDRESS,
"to": [ADDRESS...]}) and then MAILDIR/N.eml (the message as received, dot-
stuffing removed), each by a rename, so that a reader that sees N.eml sees
all of it.  N is a nanosecond timestamp and the process id, so files sort in
arrival order.  tests/integration/mail_capture.py wraps this for tests.

Only the standard library: it runs under whatever Python the wrapper names,
as the user the program under test runs as."""
import json
import os
import sys
import time

MAX_LINE = 8192
MAX_MESSAGE = 4 << 20


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: capture_sendmail.py MAILDIR -bs\n")
        return 2
    maildir = sys.argv[1]
    if "-bs" not in sys.argv[2:]:
        sys.stderr.write("capture_sendmail.py: only -bs (SMTP on stdin/stdout) is supported\n")
        return 2
    inp, out = sys.stdin.buffer, sys.stdout.buffer

    def reply(text):
        out.write(text.encode() + b"\r\n")
        out.flush()

    def read_line():
        line = inp.readline(MAX_LINE)
        if not line:
            return None
        return line.rstrip(b"\r\n")

    reply("220 capture ESMTP ready")
    sender, recipients = None, []
    while True:
        line = read_line()
        if line is None:
            return 0
        verb = line[:4].upper()
        arg = line[4:].strip().decode("utf-8", "replace")
        if verb == b"EHLO":
            reply("250-capture greets " + arg)
            reply("250 8BITMIME")
        elif verb == b"HELO":
            reply("250 capture")
        elif verb == b"MAIL":
            if not arg.upper().startswith("FROM:"):
                reply("501 syntax: MAIL FROM:<address>")
                continue
            sender, recipients = arg[5:].strip().strip("<>"), []
            reply("250 2.1.0 ok")
        elif verb == b"RCPT":
            if sender is None:
                reply("503 MAIL first")
            elif not arg.upper().startswith("TO:"):
                reply("501 syntax: RCPT TO:<address>")
            else:
                recipients.append(arg[3:].strip().strip("<>"))
                reply("250 2.1.5 ok")
        elif verb == b"DATA":
            if not recipients:
                reply("503 RCPT first")
                continue
            reply("354 end data with <CR><LF>.<CR><LF>")
            data = bytearray()
            while True:
                raw = inp.readline(MAX_LINE)
                if not raw:
                    return 1  # the client went away mid-message: nothing is kept
                if raw.rstrip(b"\r\n") == b".":
                    break
                if raw.startswith(b"."):
                    raw = raw[1:]
                data += raw
                if len(data) > MAX_MESSAGE:
                    reply("552 message too big")
                    return 1
            store(maildir, sender, recipients, bytes(data))
            sender, recipients = None, []
            reply("250 2.0.0 captured")
        elif verb == b"RSET":
            sender, recipients = None, []
            reply("250 ok")
        elif verb == b"NOOP":
            reply("250 ok")
        elif verb == b"QUIT":
            reply("221 bye")
            return 0
        else:
            reply("500 unknown command")


def store(maildir, sender, recipients, data):
    name = f"{time.time_ns():020d}-{os.getpid()}"
    for suffix, content in ((".json", json.dumps({"from": sender, "to": recipients}).encode()),
                            (".eml", data)):
        tmp = os.path.join(maildir, "." + name + suffix + ".tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        os.rename(tmp, os.path.join(maildir, name + suffix))


if __name__ == "__main__":
    sys.exit(main())
