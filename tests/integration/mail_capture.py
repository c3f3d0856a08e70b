"""Capturing the mail that disorderd or disorder-web sends, for tests.

    from mail_capture import capture_sendmail

    sendmail, mailbox = capture_sendmail(some_temporary_dir)
    # in the configuration of the program under test:
    #     mail_sender jukebox@example.org
    #     sendmail SENDMAIL          (the path returned above)
    msg = mailbox.wait_for_message(lambda m: m["To"] == "fred@example.com", timeout=30)
    msg["Subject"]        # headers decoded (RFC 2047) by Python's email module
    msg.get_content()     # the text body, quoted-printable and charset decoded
    msg.envelope_from     # MAIL FROM address
    msg.envelope_to       # [RCPT TO addresses]

capture_sendmail(dir) makes dir/mail (the mailbox, writable by anyone) and
dir/sendmail, a small executable that speaks SMTP on stdin/stdout as
`sendmail -bs` does (tests/integration/capture_sendmail.py, copied beside
it) and files each message in the mailbox instead of delivering it.  dir
must be reachable by the user the program runs as (`user nobody` in the
tests): a directory from tempfile made 0755, like the harness's Server.dir.

wait_for_message returns the first message, in arrival order, that matches
the predicate (any message when it is None) and that no earlier call
returned; it raises AssertionError after timeout seconds.  messages()
lists every message received so far (to check that one did not come).
"""
import email
import email.policy
import json
import os
import shlex
import shutil
import stat
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))


def _python():
    # The test's own interpreter may live where another user cannot run it
    # (a pyenv under /root); Debian's is reachable by everyone.
    for candidate in ("/usr/bin/python3", sys.executable):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return "python3"


class Mailbox:
    """The messages a capture sendmail received (see the module's doc)."""

    def __init__(self, path):
        self.path = path
        self._returned = set()

    def _names(self):
        return sorted(n[:-4] for n in os.listdir(self.path) if n.endswith(".eml"))

    def _load(self, name):
        with open(os.path.join(self.path, name + ".eml"), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        with open(os.path.join(self.path, name + ".json")) as f:
            envelope = json.load(f)
        msg.envelope_from = envelope["from"]
        msg.envelope_to = envelope["to"]
        msg.capture_name = name
        return msg

    def messages(self):
        """Every message received so far, oldest first."""
        return [self._load(n) for n in self._names()]

    def wait_for_message(self, predicate=None, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            for name in self._names():
                if name in self._returned:
                    continue
                msg = self._load(name)
                if predicate is None or predicate(msg):
                    self._returned.add(name)
                    return msg
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for a mail in {self.path} "
                    f"({len(self._names())} received, none matching)")
            time.sleep(0.02)


def capture_sendmail(dir):
    """Returns (path of a sendmail for `sendmail PATH`, Mailbox)."""
    maildir = os.path.join(dir, "mail")
    os.makedirs(maildir, exist_ok=True)
    os.chmod(maildir, 0o1777)  # the program under test may run as another user
    script = os.path.join(dir, "capture_sendmail.py")
    shutil.copyfile(os.path.join(_HERE, "capture_sendmail.py"), script)
    os.chmod(script, 0o644)
    wrapper = os.path.join(dir, "sendmail")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec {shlex.quote(_python())} {shlex.quote(script)} "
                f"{shlex.quote(maildir)} \"$@\"\n")
    os.chmod(wrapper, 0o755 | stat.S_IRUSR)
    return wrapper, Mailbox(maildir)
