"""ingest_object's decisions, with the AWS edges replaced by in-memory fakes.

The moto round trips live in tests/integration/test_ingest_handler.py; here each routing
rule is checked on its own: replies to the service are never parsed, the reporter's zone
reaches the parser, untimed events are rejected, a stored submission is returned as is.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from probewatch import ingest
from probewatch.ingest import Collaborators, ingest_object, submission_id_for
from probewatch.model import ProbeEvent, Rejection, Reporter, Submission
from probewatch.store.raw_mail import RawMail

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
NOW = datetime(2026, 11, 24, 20, 0, 5, tzinfo=UTC)


@dataclass
class Settings:
    table_name: str = "t"
    inbound_address: str = "report@probes.example.org"
    sender_address: str = "reports@probes.example.org"
    max_email_bytes: int = 1_000_000
    max_decompressed_bytes: int = 1_000_000
    max_parts: int = 200
    max_depth: int = 5
    self_service: bool = True
    replies_per_day: int = 5


@dataclass
class FakeParse:
    """Stands in for probewatch.parsers.parse_text (same keyword interface)."""

    events: list[ProbeEvent] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, text: str, *, tz: str, received_at: datetime, reporter: str) -> Any:
        self.calls.append({"tz": tz, "received_at": received_at, "reporter": reporter})
        return _Result(list(self.events), [Rejection("bad-address", "SRC=999.1.1.1", "x")], 3)


@dataclass
class _Result:
    events: list[ProbeEvent]
    rejected: list[Rejection]
    lines: int


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """In-memory stand-ins for S3, the submission table, the events table and SES."""
    state: dict[str, Any] = {"objects": {}, "claimed": {}, "saved": {}, "events": [], "replies": []}

    def fetch(bucket: str, key: str, max_bytes: int) -> RawMail:
        data = state["objects"][key]
        return RawMail(data=data, size=len(data), last_modified=NOW, truncated=False)

    def claim(table: str, sid: str, key: str, now: datetime) -> Submission | None:
        return state["saved"].get(sid)

    monkeypatch.setattr(ingest, "fetch_raw_mail", fetch)
    monkeypatch.setattr(ingest, "claim_submission", claim)
    monkeypatch.setattr(
        ingest, "save_submission", lambda t, s, now: state["saved"].__setitem__(s.submission_id, s)
    )
    monkeypatch.setattr(
        ingest, "put_events", lambda t, events, sid: state["events"].extend(events) or len(events)
    )
    monkeypatch.setattr(ingest, "mark_sources_active", lambda t, newest, now: None)
    monkeypatch.setattr(
        ingest, "reply_no_events", lambda *a, **k: state["replies"].append("no-events")
    )
    monkeypatch.setattr(
        ingest, "reply_not_registered", lambda *a, **k: state["replies"].append("register")
    )
    return state


def deps(parse: FakeParse, *, command: bool = False, abuse: bool = False) -> Collaborators:
    reporters = {"alice@example.net": Reporter(email="alice@example.net", tz="America/New_York")}
    return Collaborators(
        parse=parse,
        get_reporter=lambda table, email: reporters.get(email),
        append_log=lambda *args: None,
        handle_command=lambda mail, settings, now: command,
        record_reply=lambda mail, settings, now: abuse,
    )


def event(time: datetime | None) -> ProbeEvent:
    return ProbeEvent(time, "45.155.205.10", 1, "203.0.113.10", 22, "TCP", "block", "x", "raw")


def run(world: dict[str, Any], name: str, collaborators: Collaborators) -> Submission:
    world["objects"][f"raw/{name}"] = (FIXTURES / name).read_bytes()
    return ingest_object("bucket", f"raw/{name}", Settings(), now=NOW, collaborators=collaborators)


def test_reporter_zone_and_receipt_time_reach_the_parser(world: dict[str, Any]) -> None:
    parse = FakeParse([event(NOW), event(None)])
    submission = run(world, "base64_body.eml", deps(parse))
    assert parse.calls == [
        {
            "tz": "America/New_York",
            "received_at": datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
            "reporter": "alice@example.net",
        }
    ]
    assert (submission.status, submission.events_stored) == ("accepted", 1)
    assert submission.rejected == {"bad-address": 1, "no-time": 1}
    assert submission.rejected_examples["bad-address"] == "SRC=999.1.1.1"
    assert world["events"] == [event(NOW)]


@pytest.mark.parametrize(
    ("command", "abuse", "reason"), [(True, False, "command"), (False, True, "abuse-reply")]
)
def test_replies_to_the_service_are_never_parsed(
    world: dict[str, Any], command: bool, abuse: bool, reason: str
) -> None:
    parse = FakeParse([event(NOW)])
    submission = run(world, "gmail_inline.eml", deps(parse, command=command, abuse=abuse))
    assert (submission.status, submission.reason) == ("no-events", reason)
    assert parse.calls == [] and world["events"] == []


def test_the_alternative_with_the_most_events_wins(world: dict[str, Any]) -> None:
    def parse_whole_lines(text: str, **context: Any) -> _Result:
        whole = [line for line in text.split("\n") if line.startswith("Nov") and "URGP" in line]
        return _Result([event(NOW) for _ in whole], [], len(text.split("\n")))

    collaborators = replace(deps(FakeParse()), parse=parse_whole_lines)
    submission = run(world, "wrapped_plain_alternative.eml", collaborators)
    assert submission.events_stored == 2  # the HTML version's two, not the wrapped plain's 0


def test_no_events_gets_the_no_events_reply(world: dict[str, Any]) -> None:
    submission = run(world, "not_firewall.eml", deps(FakeParse()))
    assert (submission.status, submission.reason) == ("no-events", "all-lines-rejected")
    assert world["replies"] == ["no-events"]


def test_unknown_sender_is_not_parsed_and_told_how_to_register(world: dict[str, Any]) -> None:
    parse = FakeParse([event(NOW)])
    submission = run(world, "apple_mail_flowed.eml", deps(parse))  # bob is not in the fake
    assert (submission.status, submission.reason) == ("rejected", "not-registered")
    assert parse.calls == [] and world["replies"] == ["register"]


def test_a_finished_submission_is_returned_not_redone(world: dict[str, Any]) -> None:
    parse = FakeParse([event(NOW)])
    first = run(world, "base64_body.eml", deps(parse))
    second = run(world, "base64_body.eml", deps(parse))
    assert second is first and len(parse.calls) == 1


def test_submission_ids_are_deterministic_and_scoped_to_the_sender() -> None:
    assert submission_id_for("a@x", "<1@x>", "raw/1") == submission_id_for("a@x", "<1@x>", "raw/2")
    assert submission_id_for("a@x", "<1@x>", "raw/1") != submission_id_for("b@x", "<1@x>", "raw/1")
    assert submission_id_for("", None, "raw/1") != submission_id_for("", None, "raw/2")


def test_the_handler_imports_nothing_heavy() -> None:
    """Cold start: the ingest function must not pull in ipwhois, dnspython or moto."""
    import subprocess

    code = (
        "import importlib.util, sys\n"
        "spec = importlib.util.spec_from_file_location('app', 'functions/ingest/app.py')\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "from probewatch.ingest import Collaborators; Collaborators.default()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'ipwhois', 'dns', 'moto'})\n"
        "print(','.join(heavy))\n"
    )
    repo = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_a_parser_crash_ends_in_a_record_not_a_retry_loop(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stdlib email bug")

    monkeypatch.setattr(ingest, "read_email", crash)
    submission = run(world, "gmail_inline.eml", deps(FakeParse()))
    assert (submission.status, submission.reason) == ("rejected", "unreadable")
    assert submission.reporter == "alice@example.net"  # still named from the headers
    assert submission.received_at == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def test_virus_verdict_stops_everything(world: dict[str, Any]) -> None:
    raw = (FIXTURES / "base64_body.eml").read_bytes()
    world["objects"]["raw/virus.eml"] = raw.replace(
        b"X-SES-Virus-Verdict: PASS", b"X-SES-Virus-Verdict: FAIL"
    )
    parse = FakeParse([event(NOW)])
    submission = ingest_object(
        "bucket", "raw/virus.eml", Settings(), now=NOW, collaborators=deps(parse)
    )
    assert (submission.status, submission.reason) == ("rejected", "virus")
    assert parse.calls == []
