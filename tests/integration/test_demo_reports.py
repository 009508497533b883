"""Every abuse report the demo sends meets every reporting rule, and none is sent twice."""

from __future__ import annotations

import email
import json
import subprocess
import sys
from email.policy import default
from email.utils import parseaddr
from pathlib import Path

import pytest

from probewatch.report_rules import SUBJECT_RE, report_violations

REPO = Path(__file__).resolve().parents[2]
EMAILS = REPO / "events" / "emails"


def _anonymous_reporters() -> list[str]:
    """Every sender of the sample emails, minus those reporters.json lets be named."""
    listing = EMAILS / "reporters.json"
    named = set()
    if listing.exists():
        named = {e["email"].lower() for e in json.loads(listing.read_text()) if e.get("identify")}
    senders = set()
    for path in EMAILS.glob("*.eml"):
        sender = parseaddr(email.message_from_bytes(path.read_bytes())["From"] or "")[1].lower()
        if sender:
            senders.add(sender)
    return sorted(senders - named)


@pytest.mark.network
@pytest.mark.skipif(not list(EMAILS.glob("*.eml")), reason="no sample emails in events/emails")
def test_every_report_the_demo_sends_meets_every_rule(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "probewatch.cli", "demo", "--out", str(tmp_path), "--quiet"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    anonymous = _anonymous_reporters()
    seen: set[tuple[str, str]] = set()
    reports = 0
    for path in sorted((tmp_path / "sent").glob("*.eml")):
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=default)
        match = SUBJECT_RE.match(str(msg.get("Subject", "")))
        if not match:
            continue  # a digest or a reply to a reporter
        reports += 1
        assert report_violations(raw, forbidden=anonymous) == [], path.name
        key = (match.group("id"), str(msg["To"]).lower())
        assert key not in seen, f"{path.name}: a second copy of {key}"
        seen.add(key)
    assert reports >= 1, "the sample emails should lead to at least one report"
