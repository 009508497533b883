"""The ingest handler on moto: every forwarding style becomes the right events, the same
email twice stores nothing twice, and every bad email ends as a submission record saying why.

Creating the stack costs a second or two, so each test drives several emails through one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from ingest_helpers import (
    MAIL_FIXTURES,
    all_items,
    deliver,
    events_of,
    ingest_app,
    replies_sent,
    run_ingest,
    sqs_record,
    submissions,
    table,
)

from probewatch.clock import frozen
from probewatch.config import get_settings
from probewatch.model import Reporter
from probewatch.store.reporters import put_reporter, read_log

NOW = datetime(2026, 11, 24, 20, 0, 5, tzinfo=UTC)


@pytest.fixture
def stack(aws_stack: Any) -> Iterator[Any]:
    put_reporter(aws_stack.table_name, Reporter(email="alice@example.net", tz="America/New_York"))
    put_reporter(aws_stack.table_name, Reporter(email="bob@example.org", tz="Europe/Berlin"))
    with frozen(NOW):
        yield aws_stack


@pytest.fixture
def app() -> Any:
    return ingest_app()


def fixture_bytes(name: str) -> bytes:
    return (MAIL_FIXTURES / name).read_bytes()


def ingest(stack: Any, app: Any, name: str, raw: bytes | None = None, key: str = "") -> None:
    records = deliver(stack, key or f"raw/{name}", fixture_bytes(name) if raw is None else raw)
    assert records, "S3 did not notify the ingest queue"
    assert run_ingest(app, records) == {"batchItemFailures": []}


def submission_of(stack: Any, key: str) -> dict[str, Any]:
    """The finished submission record of the email stored under `key` (a GetItem)."""
    from probewatch.errors import MailRejected
    from probewatch.ingest import submission_id_for
    from probewatch.mail.inbound import peek_sender, read_email

    raw = boto3.client("s3").get_object(Bucket=stack.raw_bucket, Key=key)["Body"].read()
    try:
        mail = read_email(raw)
        sender, message_id = mail.sender, mail.message_id
    except MailRejected:
        envelope = peek_sender(raw)
        sender, message_id = envelope.sender, envelope.message_id
    item = table(stack).get_item(
        Key={"PK": f"SUB#{submission_id_for(sender, message_id, key)}", "SK": "SUBMISSION"}
    )["Item"]
    assert item["state"] == "done"
    return json.loads(item["data"])


# fixture -> its UFW lines (line n: source 45.155.205.(10+n), port 3389+n, 14:0n:1n local time)
FORWARDS = {
    "gmail_inline.eml": [0, 1],
    "outlook_original_message.eml": [2, 3],
    "outlook_html_only_qp.eml": [4, 5],
    "apple_mail_flowed.eml": [0, 1],  # from Bob, in Berlin
    "thunderbird_forward.eml": [2, 3],
    "quoted_nested.eml": [0, 1, 2, 3],
    "rfc822_attachment.eml": [4, 5],
    "rfc822_nested.eml": [4, 5],
    "log_attachments.eml": [0, 1],
    "gzip_attachment.eml": [2, 3],
    "zip_attachment.eml": [4, 5],
    "html_table_pre.eml": [1, 2, 3, 4],  # line 0 sits in a table row after a date cell
    "qp_soft_breaks.eml": [0, 5],
    "base64_body.eml": [1],
    "charset_iso8859_base64.eml": [2],
    "charset_mislabelled_8bit.eml": [3],
    "charset_undeclared_8bit.eml": [4],
    "charset_unknown.eml": [5],
    "charset_koi8r_qp.eml": [0],
    "dkim_only.eml": [1],
    "auto_submitted_list.eml": [2],  # automated mail is still read, just never answered
    "wrapped_plain_alternative.eml": [2, 3],  # from the HTML version: the plain one is wrapped
    "rfc822_base64_encoded.eml": [4, 5],
    "outlook_german.eml": [4, 5],  # from Bob, in Berlin
}


def test_every_forward_style_round_trips_into_events(stack: Any, app: Any) -> None:
    problems: list[str] = []
    for name, lines in sorted(FORWARDS.items()):
        ingest(stack, app, name)
        submission = submission_of(stack, f"raw/{name}")
        if submission["status"] != "accepted":
            problems.append(f"{name}: {submission['status']} {submission['reason']}")
            continue
        bob = name.startswith(("apple_mail", "outlook_german"))
        for n in lines:
            found = [
                e
                for e in events_of(stack, f"45.155.205.{10 + n}")
                if e["submission_id"] == submission["submission_id"]
            ]
            if len(found) != 1:
                problems.append(f"{name}: line {n}: {len(found)} events")
                continue
            local_hour = 14 - (1 if bob else -5)  # Berlin is UTC+1, New York UTC-5 in November
            want = (
                datetime(2026, 11, 24, local_hour, n, 10 + n, tzinfo=UTC).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
                3389 + n,
                "TCP",
                "SYN",
                "bob@example.org" if bob else "alice@example.net",
            )
            event = found[0]
            got = (
                event["time"],
                int(event["dst_port"]),
                event["proto"],
                event["tcp_flags"],
                event["reporter"],
            )
            if got != want:
                problems.append(f"{name}: line {n}: {got} != {want}")
        if submission["events_stored"] != len(lines):
            problems.append(f"{name}: {submission['events_stored']} events stored")
    assert problems == []


def test_accepted_email_record_log_and_active_sources(stack: Any, app: Any) -> None:
    ingest(stack, app, "rfc822_attachment.eml")
    submission = submission_of(stack, "raw/rfc822_attachment.eml")
    assert submission["reporter"] == "alice@example.net"
    assert (submission["status"], submission["events_stored"]) == ("accepted", 2)
    assert submission["formats"] == {"netfilter": 2}
    assert submission["received_at"] == "2026-11-24T20:00:00Z"  # SES's Received header
    # The attached alert's Date (19:05:58Z) against its arrival at Alice's server (19:06:02Z).
    assert submission["clock_offset_seconds"] == -4.0
    assert submission["log_lag_seconds"] == 3285.0  # newest line 19:05:15Z
    day = (datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
    log = read_log(stack.table_name, "alice@example.net", *day)
    assert [(line["kind"], line["data"]["events_stored"]) for line in log] == [("submission", 2)]

    # One state item per source, flagged on the aggregator's sparse index.
    for n in (4, 5):
        (event,) = events_of(stack, f"45.155.205.{10 + n}")
        state = table(stack).get_item(Key={"PK": f"SRC#45.155.205.{10 + n}", "SK": "STATE"})
        assert state["Item"]["GSI1PK"].startswith("ACTIVE#")
        assert state["Item"]["GSI1SK"] == event["time"]
    # The aggregator cleared the flag; an older event arriving later flags the source again
    # and keeps the newest time.
    table(stack).update_item(
        Key={"PK": "SRC#45.155.205.14", "SK": "STATE"}, UpdateExpression="REMOVE GSI1PK, GSI1SK"
    )
    older = fixture_bytes("zip_attachment.eml").replace(b"alice@example.net", b"bob@example.org")
    ingest(stack, app, "older.eml", older)  # Bob's 14:04:14 is 13:04:14Z
    state = table(stack).get_item(Key={"PK": "SRC#45.155.205.14", "SK": "STATE"})["Item"]
    assert state["GSI1SK"] == state["last_event"] == "2026-11-24T19:04:14Z"
    assert state["GSI1PK"].startswith("ACTIVE#")


def test_same_email_twice_stores_nothing_twice(stack: Any, app: Any) -> None:
    from probewatch.ingest import submission_id_for
    from probewatch.store.submissions import claim_submission

    # A first attempt that died after claiming the email must not block the retry.
    sid = submission_id_for("alice@example.net", "<fwd:-ufw-alert-1@mail.example.net>", "")
    assert claim_submission(stack.table_name, sid, "raw/gmail_inline.eml", NOW) is None
    ingest(stack, app, "gmail_inline.eml")
    before = sorted((item["PK"], item["SK"]) for item in all_items(stack))
    assert submission_of(stack, "raw/gmail_inline.eml")["events_stored"] == 2
    # S3 notifying twice for one key, and SES storing the same email under another key.
    ingest(stack, app, "gmail_inline.eml")
    ingest(stack, app, "gmail_inline.eml", key="raw/another-ses-message-id")
    after = sorted((item["PK"], item["SK"]) for item in all_items(stack))
    assert after == before
    assert len(events_of(stack, "45.155.205.10")) == 1


BAD = {
    "empty.eml": ("rejected", "empty"),
    "limit_size.eml": ("rejected", "too-large"),
    "limit_depth.eml": ("rejected", "too-deep"),
    "limit_parts.eml": ("rejected", "too-many-parts"),
    "auth_failed.eml": ("rejected", "not-authenticated"),
    "auth_dmarc_fail.eml": ("rejected", "not-authenticated"),
    "auth_forged_below.eml": ("rejected", "not-authenticated"),
    "not_firewall.eml": ("no-events", "no-firewall-lines"),
    "limit_gzip_bomb.eml": ("no-events", "decompressed-too-large"),
}


def test_every_bad_email_ends_with_a_submission_saying_why(
    stack: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBEWATCH_MAX_EMAIL_BYTES", "100000")  # limit_size.eml is 180 kB
    get_settings.cache_clear()
    s3 = boto3.client("s3")
    problems = []
    for name, expected in sorted(BAD.items()):
        ingest(stack, app, name)
        submission = submission_of(stack, f"raw/{name}")
        if (submission["status"], submission["reason"]) != expected:
            problems.append(f"{name}: {submission['status']}, {submission['reason']}")
        assert s3.head_object(Bucket=stack.raw_bucket, Key=f"raw/{name}")  # never deleted
    assert problems == []
    assert submission_of(stack, "raw/limit_size.eml")["reporter"] == "alice@example.net"
    put_reporter(stack.table_name, Reporter(email="bob@example.org", status="paused"))
    ingest(stack, app, "apple_mail_flowed.eml")
    assert submission_of(stack, "raw/apple_mail_flowed.eml")["reason"] == "reporter-paused"
    assert not [item for item in all_items(stack) if item["PK"].startswith("SRC#")]


def test_no_from_is_tied_to_the_envelope_sender_ses_recorded(stack: Any, app: Any) -> None:
    """No From, but SES's envelope (Return-Path, smtp.mailfrom) names alice: her line counts
    and the submission is hers, so her digest says what happened to it."""
    ingest(stack, app, "no_sender.eml")
    submission = submission_of(stack, "raw/no_sender.eml")
    assert (submission["status"], submission["reporter"]) == ("accepted", "alice@example.net")
    assert len(events_of(stack, "45.155.205.10")) == 1


def test_replies_go_only_to_authenticated_people(stack: Any, app: Any) -> None:
    ingest(stack, app, "not_firewall.eml")
    (no_events,) = replies_sent()
    assert set(no_events.destinations) == {"alice@example.net"}
    assert "could not take any firewall events" in no_events.raw_data
    assert "netfilter" in no_events.raw_data  # the supported formats are listed
    assert "In-Reply-To: <fwd:-your-invoice-1@mail.example.net>" in no_events.raw_data
    assert "Auto-Submitted: auto-replied" in no_events.raw_data

    stranger = fixture_bytes("gmail_inline.eml").replace(b"example.net", b"example.com")
    ingest(stack, app, "stranger.eml", stranger)
    assert submission_of(stack, "raw/stranger.eml")["reason"] == "not-registered"
    assert not events_of(stack, "45.155.205.10")
    register = replies_sent()[1]
    assert set(register.destinations) == {"alice@example.com"}
    assert "SUBSCRIBE" in register.raw_data

    # Forged, bulk and auto-submitted mail gets nothing back.
    ingest(stack, app, "spoof.eml", fixture_bytes("auth_failed.eml").replace(b"alice@", b"eve@"))
    for n, header in enumerate([b"Precedence: bulk", b"Auto-Submitted: auto-replied"]):
        automated = fixture_bytes("not_firewall.eml").replace(
            b"MIME-Version: 1.0", header + b"\r\nMIME-Version: 1.0"
        )
        ingest(stack, app, f"automated-{n}.eml", automated.replace(b"-1@", f"-a{n}@".encode()))
        assert submission_of(stack, f"raw/automated-{n}.eml")["status"] == "no-events"
    assert len(replies_sent()) == 2


def test_replies_are_rate_limited_per_sender_per_day(stack: Any, app: Any) -> None:
    raw = fixture_bytes("not_firewall.eml")
    for n in range(7):
        ingest(stack, app, f"again-{n}.eml", raw.replace(b"-1@", f"-{n + 2}@".encode()))
    assert len(submissions(stack)) == 7
    assert len(replies_sent()) == 5  # IngestSettings.replies_per_day


def test_trigger_shapes_and_transient_errors(
    stack: Any, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    s3_test_event = sqs_record("t1", '{"Service":"Amazon S3","Event":"s3:TestEvent"}', "arn:x")
    assert run_ingest(app, [s3_test_event]) == {"batchItemFailures": []}
    assert submissions(stack) == []

    def throttled(*args: object, **kwargs: object) -> int:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
            "BatchWriteItem",
        )

    import probewatch.ingest

    real_put_events = probewatch.ingest.put_events
    monkeypatch.setattr(probewatch.ingest, "put_events", throttled)
    records = deliver(stack, "raw/with space+plus.eml", fixture_bytes("gmail_inline.eml"))
    response = run_ingest(app, [*records, s3_test_event])
    assert response == {"batchItemFailures": [{"itemIdentifier": records[0]["messageId"]}]}
    monkeypatch.setattr(probewatch.ingest, "put_events", real_put_events)
    assert run_ingest(app, records) == {"batchItemFailures": []}  # SQS's retry finishes it
    submission = submission_of(stack, "raw/with space+plus.eml")  # the key was URL-decoded
    assert submission["events_stored"] == 2


# events/emails: the demo's forwarded alerts, as the demo registers their reporters.
DEMO = {
    "01-alice-netgear-gmail-inline.eml": ("accepted", {"netgear": 6}),
    "02-bob-ufw-outlook-forward.eml": ("accepted", {"netfilter": 9}),
    "03-carol-pfsense-log-attachment.eml": ("accepted", {"pf-filterlog": 8}),
    "04-alice-alert-attached-rfc822.eml": ("accepted", {"netfilter": 6}),
    "05-bob-no-firewall-lines.eml": ("no-events", {}),
    "06-carol-html-only-quoted-printable.eml": ("accepted", {"netfilter": 5}),
    # Issue 12: a router logging local time, no zone set, no evidence of it: held.
    "07-dave-router-local-time-no-zone.eml": ("no-events", {}),
}


def test_demo_emails_give_the_events_the_demo_expects(stack: Any, app: Any) -> None:
    demo = MAIL_FIXTURES.parents[2] / "events" / "emails"
    for entry in json.loads((demo / "reporters.json").read_text()):
        put_reporter(
            stack.table_name,
            Reporter(
                email=entry["email"],
                tz=entry.get("tz", "UTC"),
                tz_declared="tz" in entry,
                mask_octets=entry.get("mask", 2),
            ),
        )
    assert sorted(p.name for p in demo.glob("*.eml")) == sorted(DEMO)
    outcomes = {}
    for name in sorted(DEMO):
        ingest(stack, app, name, (demo / name).read_bytes())
        submission = submission_of(stack, f"raw/{name}")
        outcomes[name] = (submission["status"], submission["formats"])
    assert outcomes == DEMO
    alert = submission_of(stack, "raw/04-alice-alert-attached-rfc822.eml")
    assert alert["clock_offset_seconds"] == 3.0  # inside +-5 s: accepted
    assert alert["clock_basis"] == "attached-alert" and alert["clock_held"] == 0
    dave = submission_of(stack, "raw/07-dave-router-local-time-no-zone.eml")
    assert (dave["zone"], dave["zone_basis"], dave["zone_suggestion"]) == (None, None, "-05:00")
    assert (dave["zone_held"], dave["rejected"]) == (3, {"zone-unknown": 3})
    replies = {(r.destinations[0],): r.raw_data for r in replies_sent()}
    assert set(replies) == {("bob@example.org",), ("dave@example.com",)}
    assert "America/New_York" in replies[("dave@example.com",)]


def test_ingest_learns_the_networks_the_alerts_were_addressed_to(stack: Any, app: Any) -> None:
    """Where probes were addressed is where the reporter lives: the filters never report
    traffic from there (own-network), even from a log line that hides its direction."""
    from probewatch.store.reporters import get_reporter

    raw = fixture_bytes("gmail_inline.eml").replace(b"DST=203.0.113.10", b"DST=81.2.69.10")
    ingest(stack, app, "public_destination.eml", raw)
    alice = get_reporter(stack.table_name, "alice@example.net")
    assert alice is not None and alice.observed_sites == ["81.2.69.0/24"]
    # Documentation-range destinations (the other fixtures) teach nothing.
    ingest(stack, app, "gmail_inline.eml")
    alice = get_reporter(stack.table_name, "alice@example.net")
    assert alice is not None and alice.observed_sites == ["81.2.69.0/24"]


def test_a_clock_measured_42_seconds_ahead_holds_the_events(stack: Any, app: Any) -> None:
    """Issue 12: never file skewed times. The attached alert's Date (the NAS clock) is 42 s
    after its Received stamp: its events are held, the reporter is told at once, and the
    measurement is remembered, so the next forward without one is held too."""
    from probewatch.store.reporters import get_reporter

    demo = MAIL_FIXTURES.parents[2] / "events" / "emails"
    put_reporter(stack.table_name, Reporter("alice@example.net", tz="America/New_York"))
    raw = (demo / "04-alice-alert-attached-rfc822.eml").read_bytes()
    skewed = raw.replace(
        b"Date: Wed, 25 Nov 2026 07:45:16 -0500", b"Date: Wed, 25 Nov 2026 07:45:55 -0500"
    )
    assert skewed != raw
    ingest(stack, app, "skewed.eml", skewed)
    held = submission_of(stack, "raw/skewed.eml")
    assert (held["status"], held["reason"], held["events_stored"]) == (
        "no-events",
        "events-held",
        0,
    )
    assert (held["clock_offset_seconds"], held["clock_held"]) == (42.0, 6)
    assert held["rejected"] == {"clock-skew": 6}
    alice = get_reporter(stack.table_name, "alice@example.net")
    assert alice is not None and alice.clock_offset_seconds == 42.0
    [reply] = replies_sent()
    assert "42 seconds ahead" in reply.raw_data and "NTP" in reply.raw_data
    # The next forward carries no measurement of its own: the known skew still holds it.
    inline = (demo / "01-alice-netgear-gmail-inline.eml").read_bytes()
    ingest(stack, app, "inline.eml", inline)
    later = submission_of(stack, "raw/inline.eml")
    assert later["clock_held"] == 6 and later["events_stored"] == 0
