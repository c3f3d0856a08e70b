"""Sanitizer reports are never lost (a build configured with
--enable-sanitizers, as scripts/check --sanitize makes): a report from any
process a test starts, however deep, whatever user it runs as and wherever
its stderr goes, lands in DISORDER_SANITIZER_REPORTS, where the harness and
tests/sanitizer-run find it.  tests/sanitizer-canary makes the reports."""
import os
import pwd
import subprocess

from harness import BUILDDIR, SANITIZERS, Skip, run_tests, test

CANARY = os.path.join(BUILDDIR, "tests", "sanitizer-canary")


def report_of(argv, **kwargs):
    """Runs argv, which makes exactly one report; returns the report's text
    and removes it (it is expected, so it must not fail this test)."""
    if not SANITIZERS:
        raise Skip("the programs are not built with --enable-sanitizers")
    directory = os.environ["DISORDER_SANITIZER_REPORTS"]
    before = set(os.listdir(directory))
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       **kwargs)
    assert p.returncode != 0, "a report must fail the process that made it"
    assert b"ERROR" not in p.stderr, p.stderr  # the report went to the file, not here
    new = sorted(set(os.listdir(directory)) - before)
    assert len(new) == 1, f"expected one new report, found {new}"
    path = os.path.join(directory, new[0])
    with open(path, errors="replace") as f:
        text = f.read()
    os.remove(path)
    return text


@test
def leak_in_a_grandchild_whose_stderr_is_closed():
    text = report_of(["sh", "-c", f"{CANARY} leak 2>&-"])
    assert "LeakSanitizer: detected memory leaks" in text, text


@test
def overflow_in_a_process_running_as_nobody():
    # disorderd drops root for `user nobody`; its reports must still land.
    if os.geteuid() != 0:
        raise Skip("needs root to run a process as nobody")
    nobody = pwd.getpwnam("nobody")

    def become_nobody():
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)
    text = report_of([CANARY, "overflow"], preexec_fn=become_nobody)
    assert "heap-buffer-overflow" in text, text


@test
def undefined_behaviour_stops_the_process():
    text = report_of([CANARY, "undefined"])
    assert "signed integer overflow" in text, text


run_tests()
