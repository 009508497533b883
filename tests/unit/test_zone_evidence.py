"""zone_evidence: a zone is taken only from what the device wrote; otherwise the events whose
time depends on a zone are found (and held by ingest), exact ones are not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from probewatch.mail.inbound import read_email
from probewatch.model import Reporter
from probewatch.parsers import parse_text
from probewatch.zone_evidence import plan_zone, zone_dependent

EMAILS = Path(__file__).resolve().parents[2] / "events" / "emails"
RECEIVED = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
LOCAL = (
    "Nov 25 08:21:14 gw kernel: [DROP] IN=eth0 OUT= SRC=45.155.205.233 DST=198.51.100.23 "
    "LEN=44 PROTO=TCP SPT=52114 DPT=23 SYN"
)
EXACT = "2026-11-25T13:21:14Z gw kernel: [DROP] IN=eth0 OUT= SRC=45.155.205.233 " + (
    "DST=198.51.100.23 LEN=44 PROTO=TCP SPT=52114 DPT=22 SYN"
)


def test_a_declared_zone_is_used_as_is() -> None:
    raw = (EMAILS / "07-dave-router-local-time-no-zone.eml").read_bytes()
    plan = plan_zone(Reporter("d@x.org", tz="UTC", tz_declared=True), read_email(raw), raw)
    assert (plan.basis, plan.label) == ("declared", "UTC")


def test_a_persons_date_is_only_a_hint() -> None:
    raw = (EMAILS / "07-dave-router-local-time-no-zone.eml").read_bytes()
    plan = plan_zone(Reporter("dave@example.com"), read_email(raw), raw)
    assert not plan.known and plan.label is None and plan.hint == "-05:00"


def test_the_attached_alerts_own_date_gives_the_zone() -> None:
    raw = (EMAILS / "04-alice-alert-attached-rfc822.eml").read_bytes()
    plan = plan_zone(Reporter("alice@example.net"), read_email(raw), raw)
    assert (plan.basis, plan.label) == ("attached-alert-date", "-05:00")
    events = parse_text(LOCAL, tz=plan.tz, received_at=RECEIVED).events
    assert events[0].time == datetime(2026, 11, 25, 13, 21, 14, tzinfo=UTC)  # not 08:21 UTC


def test_only_zone_less_times_depend_on_the_zone() -> None:
    text = f"{LOCAL}\n{EXACT}"
    kw = {"received_at": RECEIVED, "reporter": "d@x.org"}
    events = parse_text(text, tz="UTC", **kw).events
    assert len(events) == 2
    assert zone_dependent(parse_text, text, events, **kw) == [True, False]
    assert events[1].time == RECEIVED - timedelta(minutes=38, seconds=46)
