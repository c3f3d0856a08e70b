#!/usr/bin/env python3
"""Mail from disorderd: the `reminder` command (disorder_protocol(5)) sends a
user their password through `sendmail -bs` (config item sendmail) or over
SMTP to smtp_server, at most once per reminder_interval, and answers the
same whether or not the user exists (disorder_config(5) mail items)."""
import email
import email.policy
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, closing, run_tests, test, wait_for  # noqa: E402
from mail_capture import capture_sendmail  # noqa: E402

SENDER = "jukebox@example.org"
PASSWORD = "pässwörd ♫ 1"


def add_user(s, name, password, email=None):
    s.add_user(name, password, "read")
    if email:
        with closing(s.root()) as r:
            r.ok("edituser", name, "email", email)


def wait_for_log(s, text, what):
    wait_for(lambda: text in s.log_text(), what, timeout=30)


def check_reminder(msg, name, email):
    assert msg["From"] == SENDER, msg["From"]
    assert msg["To"] == email, msg["To"]
    assert msg.envelope_from == SENDER, msg.envelope_from
    assert msg.envelope_to == [email], msg.envelope_to
    assert "password" in msg["Subject"].lower(), msg["Subject"]
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Message-ID"] and msg["Date"]
    text = msg.get_content().replace("\r\n", "\n")
    assert f"  {name}\n" in text, text
    assert f"  {PASSWORD}\n" in text, text


@test
def reminder_mails_the_password_once_per_interval():
    s = Server()
    try:
        sendmail, mailbox = capture_sendmail(s.dir)
        s.extra_config = f"mail_sender {SENDER}\nsendmail {sendmail}\nreminder_interval 3600"
        s.write_config()
        s.start()
        add_user(s, "fred", PASSWORD, "fred@example.com")
        add_user(s, "jim", PASSWORD, "jim@example.net")
        with closing(s.connect("jim", PASSWORD)) as c:
            code, text, _ = c.command("reminder", "fred")
            assert code == 250, (code, text)
            check_reminder(mailbox.wait_for_message(), "fred", "fred@example.com")
            wait_for_log(s, "password reminder sent to 'fred'", "the log of the sent reminder")
            # Again within reminder_interval: the same answer, no mail.
            code2, text2, _ = c.command("reminder", "fred")
            assert (code2, text2) == (code, text), (code2, text2)
            wait_for_log(s, "no password reminder for 'fred': one was sent less than 3600s ago",
                         "the refusal to send a second reminder")
            # The limit is per user: jim still gets one (through the CLI).
            p = s.cli("reminder", "jim", user="jim", password=PASSWORD)
            assert p.stdout == "", p.stdout
            check_reminder(mailbox.wait_for_message(), "jim", "jim@example.net")
            assert len(mailbox.messages()) == 2, [m["To"] for m in mailbox.messages()]
    finally:
        s.cleanup()


@test
def reminder_reveals_nothing_about_unknown_users_or_addresses():
    s = Server()
    try:
        sendmail, mailbox = capture_sendmail(s.dir)
        s.extra_config = f"mail_sender {SENDER}\nsendmail {sendmail}"
        s.write_config()
        s.start()
        add_user(s, "noemail", "pw")
        add_user(s, "fred", PASSWORD, "fred@example.com")
        with closing(s.root()) as r:
            code, text, _ = r.command("register", "newbie", "pw", "newbie@example.com")
            assert code == 252, (code, text)
        with closing(s.connect("fred", PASSWORD)) as c:
            replies = {name: c.command("reminder", name)[:2]
                       for name in ("nosuchuser", "noemail", "newbie", "fred")}
        assert len(set(replies.values())) == 1 and replies["fred"][0] == 250, replies
        mailbox.wait_for_message(lambda m: m["To"] == "fred@example.com")
        wait_for_log(s, "no password reminder for 'nosuchuser': no such user", "unknown user")
        wait_for_log(s, "no password reminder for 'noemail': the user has no email address",
                     "no email")
        wait_for_log(s, "no password reminder for 'newbie': the registration is not confirmed",
                     "unconfirmed")
        assert [m["To"] for m in mailbox.messages()] == ["fred@example.com"]
        # Without a login, nothing at all.
        with closing(s.connect()) as anon:
            code, text, _ = anon.command("reminder", "fred")
            assert code == 530, (code, text)
    finally:
        s.cleanup()


@test
def an_address_that_would_add_headers_gets_no_mail():
    s = Server()
    try:
        sendmail, mailbox = capture_sendmail(s.dir)
        s.extra_config = f"mail_sender {SENDER}\nsendmail {sendmail}"
        s.write_config()
        s.start()
        add_user(s, "mallory", PASSWORD)
        with closing(s.root()) as c:
            # The protocol can carry a line feed in a quoted field.
            code, text, _ = c.command("edituser", "mallory", "email",
                                      "mallory@example.com\nBcc: victim@example.org")
            if code == 250:
                assert c.command("reminder", "mallory")[0] == 250
                wait_for_log(s, "password reminder for 'mallory' not sent: the recipient is not "
                             "a usable email address", "the refusal")
            else:
                assert code == 550, (code, text)  # refused when set: as good
        add_user(s, "fred", PASSWORD, "fred@example.com")
        with closing(s.root()) as r:
            r.ok("reminder", "fred")
        mailbox.wait_for_message(lambda m: m["To"] == "fred@example.com")
        assert [m.envelope_to for m in mailbox.messages()] == [["fred@example.com"]]
    finally:
        s.cleanup()


@test
def reminder_without_mail_sender_is_refused():
    with Server() as s:
        add_user(s, "fred", PASSWORD, "fred@example.com")
        with closing(s.root()) as r:
            code, text, _ = r.command("reminder", "fred")
        assert (code, text) == (550, "Cannot send a reminder email"), (code, text)
        wait_for_log(s, "mail_sender is not set", "the log line")


@test
def a_failing_or_missing_sendmail_is_logged_and_harmless():
    s = Server()
    try:
        failing = os.path.join(s.dir, "failing-sendmail")
        with open(failing, "w") as f:
            f.write("#!/bin/sh\necho 'cannot deliver today' >&2\nexit 3\n")
        os.chmod(failing, 0o755)
        s.extra_config = f"mail_sender {SENDER}\nsendmail {failing}\nreminder_interval 0"
        s.write_config()
        s.start()
        add_user(s, "fred", PASSWORD, "fred@example.com")
        with closing(s.root()) as r:
            code, text, _ = r.command("reminder", "fred")
            assert code == 250, (code, text)
            wait_for_log(s, "password reminder for 'fred' not sent: sendmail "
                         f"{failing} closed the connection", "the failure")
            wait_for_log(s, "exited with status 3", "sendmail's exit status")
            # Now a sendmail that is not there at all.
            s.extra_config = (f"mail_sender {SENDER}\nsendmail /nonexistent/sendmail\n"
                              "reminder_interval 0")
            s.write_config()
            r.ok("reconfigure")
            code, text, _ = r.command("reminder", "fred")
            assert code == 250, (code, text)
            wait_for_log(s, "password reminder for 'fred' not sent: cannot run sendmail "
                         "/nonexistent/sendmail: No such file or directory", "the missing sendmail")
            # The server carries on.
            r.ok("nop")
            assert s.proc.poll() is None
    finally:
        s.cleanup()


@test
def the_capture_sendmail_speaks_smtp_and_files_each_message():
    """tests/integration/mail_capture.py, which other tests rely on: a
    dot-stuffed line comes back unstuffed, with the envelope."""
    d = tempfile.mkdtemp(prefix="disorder-mail-")
    try:
        sendmail, mailbox = capture_sendmail(d)
        conversation = ("EHLO me\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
                        "DATA\r\nSubject: hi\r\nTo: b@example.org\r\n\r\n..starts with a dot"
                        "\r\nline 2\r\n.\r\nQUIT\r\n")
        p = subprocess.run([sendmail, "-bs"], input=conversation.encode(), capture_output=True,
                           timeout=30)
        assert p.returncode == 0, p
        codes = [line[:3] for line in p.stdout.decode().splitlines() if line[3:4] == " "]
        assert codes == ["220", "250", "250", "250", "354", "250", "221"], p.stdout
        msg = mailbox.wait_for_message(timeout=10)
        assert msg["Subject"] == "hi"
        assert (msg.envelope_from, msg.envelope_to) == ("a@example.org", ["b@example.org"])
        assert msg.get_content().replace("\r\n", "\n") == ".starts with a dot\nline 2\n", \
            msg.get_content()
        assert len(mailbox.messages()) == 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


class SmtpListener(socketserver.ThreadingTCPServer):
    """A small SMTP server on loopback: records each message's envelope and
    data; refuses RCPT TO with refuse_rcpt (a reply line) when set."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, refuse_rcpt=None):
        self.messages = []
        self.refuse_rcpt = refuse_rcpt
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]

    def close(self):
        self.shutdown()
        self.server_close()


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test.example ESMTP")
        sender, rcpts = None, []
        while True:
            line = self.rfile.readline(8192)
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                self.reply("250-test.example")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                sender = cmd[10:].strip("<>")
                self.reply("250 ok")
            elif verb == "RCPT":
                if self.server.refuse_rcpt:
                    self.reply(self.server.refuse_rcpt)
                else:
                    rcpts.append(cmd[8:].strip("<>"))
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while True:
                    raw = self.rfile.readline(8192)
                    if not raw or raw == b".\r\n":
                        break
                    data += raw[1:] if raw.startswith(b".") else raw
                with self.server.lock:
                    self.server.messages.append((sender, rcpts, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("500 what")


@test
def reminder_over_smtp_to_smtp_server():
    listener = SmtpListener()
    try:
        with Server(f"mail_sender {SENDER}\nsmtp_server 127.0.0.1:{listener.port}") as s:
            add_user(s, "fred", PASSWORD, "fred@example.com")
            with closing(s.root()) as r:
                code, text, _ = r.command("reminder", "fred")
                assert code == 250, (code, text)
            wait_for(lambda: listener.messages, "the mail at the SMTP listener", timeout=30)
            sender, rcpts, data = listener.messages[0]
            assert (sender, rcpts) == (SENDER, ["fred@example.com"]), (sender, rcpts)
            msg = email.message_from_bytes(data, policy=email.policy.default)
            msg.envelope_from, msg.envelope_to = sender, rcpts
            check_reminder(msg, "fred", "fred@example.com")
            wait_for_log(s, "password reminder sent to 'fred'", "the log of the sent reminder")
    finally:
        listener.close()


@test
def a_refusal_from_smtp_server_is_logged():
    listener = SmtpListener(refuse_rcpt="550 5.1.1 no such mailbox here")
    try:
        with Server(f"mail_sender {SENDER}\nsmtp_server 127.0.0.1:{listener.port}") as s:
            add_user(s, "fred", PASSWORD, "fred@example.com")
            with closing(s.root()) as r:
                code, text, _ = r.command("reminder", "fred")
                assert code == 250, (code, text)
            wait_for_log(s, f"password reminder for 'fred' not sent: SMTP server 127.0.0.1 port "
                         f"{listener.port} refused RCPT TO:<fred@example.com>: 550 5.1.1 no such "
                         "mailbox here", "the refusal in the log")
            assert not listener.messages
    finally:
        listener.close()


if __name__ == "__main__":
    run_tests()
