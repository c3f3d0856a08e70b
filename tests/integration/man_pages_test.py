#!/usr/bin/env python3
"""The manual pages: every page that one of them (or the README) refers to
exists and is installed, and each renders without a warning from groff."""
import os
import re
import subprocess

from harness import run_tests, test

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(TOP, "doc")
# DisOrder's pages for what this jukebox replaces rather than implements
# (the CGI's templates), named where the pages explain the difference.
DISORDER_ONLY = {"disorder_templates.5"}


def pages():
    return sorted(f for f in os.listdir(DOC) if re.fullmatch(r"[\w.-]+\.[158]", f))


def installed():
    """The pages Makefile.am installs (dist_man_MANS, continuation lines
    included)."""
    with open(os.path.join(TOP, "Makefile.am")) as f:
        text = f.read().replace("\\\n", " ")
    names = set()
    for line in text.splitlines():
        if re.match(r"\s*dist_man_MANS\s*\+?=", line):
            names.update(os.path.basename(w) for w in line.split("=", 1)[1].split())
    return names


@test
def every_page_referred_to_exists_and_is_installed():
    mentioned = {}
    sources = [os.path.join(DOC, p) for p in pages()] + [os.path.join(TOP, "README.md")]
    for path in sources:
        with open(path) as f:
            text = f.read()
        # roff ".BR disorder_config (5)" and prose "disorder_config(5)".
        for name, section in re.findall(r"\b(disorder[\w-]*|disorderd)\\?\s*\(([158])\)",
                                        text.replace("\\-", "-")):
            mentioned.setdefault(f"{name}.{section}", os.path.basename(path))
    missing = {p: by for p, by in mentioned.items()
               if p not in DISORDER_ONLY and not os.path.exists(os.path.join(DOC, p))}
    assert not missing, f"pages referred to but not written: {missing}"
    assert set(pages()) <= installed(), f"not installed: {set(pages()) - installed()}"


@test
def every_page_renders_without_warnings():
    for page in pages():
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(DOC, page)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and not r.stderr, f"{page}: {r.stderr}"


run_tests()
