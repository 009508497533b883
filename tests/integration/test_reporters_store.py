"""Reporter profiles, the activity log and reply counters against the template's table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from probewatch.model import Reporter
from probewatch.store import reporters as store

T0 = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


@pytest.fixture
def table(aws_stack: object) -> str:
    return aws_stack.table_name  # type: ignore[attr-defined]


def test_profiles_round_trip_and_list_by_query(table: str) -> None:
    full = Reporter(
        email="Alice@Example.NET",
        tz="Europe/Berlin",
        mask_octets=3,
        review=True,
        isp_networks=["198.51.100.0/24"],
        isp_asns=[64500],
        resolvers=["198.51.100.53"],
        public_ips=["203.0.113.7"],
        created_at="2026-11-01T00:00:00Z",
    )
    store.put_reporter(table, full)
    store.put_reporter(table, Reporter(email="bob@example.org"))
    got = store.get_reporter(table, "alice@example.net")
    assert got is not None
    assert got.email == "alice@example.net"  # addresses are stored lower case
    assert (got.tz, got.mask_octets, got.review, got.isp_asns) == (
        "Europe/Berlin",
        3,
        True,
        [64500],
    )
    assert got.isp_networks == ["198.51.100.0/24"] and got.public_ips == ["203.0.113.7"]
    # A log line and a confirmation under the same partition are not profiles.
    store.append_log(table, "bob@example.org", T0, "command", "x", {"command": "HELP"})
    store.put_confirmation(table, "carol@example.org", "AAAA-BBBB", T0 + timedelta(days=2))
    assert [r.email for r in store.list_reporters(table)] == [
        "alice@example.net",
        "bob@example.org",
    ]
    assert store.delete_reporter(table, "bob@example.org") is True
    assert store.delete_reporter(table, "bob@example.org") is False
    assert [r.email for r in store.list_reporters(table)] == ["alice@example.net"]


def test_log_is_idempotent_windowed_and_expires(table: str) -> None:
    email = "alice@example.net"
    for _ in range(2):  # a retried Lambda writes the same line again
        store.append_log(
            table,
            email,
            T0 + timedelta(hours=1),
            "report-sent",
            "inc-1",
            {"src_ip": "192.0.2.1", "offset": 1.5, "at": T0},
        )
    store.append_log(table, email, T0, "submission", "s-0", {"events_stored": 3})  # at since
    store.append_log(table, email, T0 + timedelta(days=1), "submission", "s-2", {})  # at until
    store.append_log(table, email, T0 - timedelta(seconds=1), "submission", "s-old", {})
    store.append_log(table, "other@example.org", T0 + timedelta(hours=2), "held", "i", {})

    lines = store.read_log(table, email, T0, T0 + timedelta(days=1))
    assert [(e["kind"], e["ident"]) for e in lines] == [
        ("submission", "s-0"),
        ("report-sent", "inc-1"),
    ]
    assert lines[1]["time"] == "2026-11-25T01:00:00Z"
    assert lines[1]["data"] == {"src_ip": "192.0.2.1", "offset": 1.5, "at": "2026-11-25T00:00:00Z"}

    raw = boto3.resource("dynamodb").Table(table).scan()["Items"]  # test-only look at the items
    expiry = {int(i["expires_at"]) for i in raw if i["SK"].startswith("LOG#2026-11-25T01")}
    assert expiry == {int((T0 + timedelta(hours=1, days=35)).timestamp())}


def test_confirmation_codes_expire(table: str) -> None:
    store.put_confirmation(table, "new@example.org", "K7QF-M2XD", T0 + timedelta(hours=48))
    assert store.get_confirmation(table, "NEW@example.org", T0) == "K7QF-M2XD"
    assert store.get_confirmation(table, "new@example.org", T0 + timedelta(hours=48)) is None
    store.delete_confirmation(table, "new@example.org")
    assert store.get_confirmation(table, "new@example.org", T0) is None


def test_reply_slots_and_digest_claims(table: str) -> None:
    day = date(2026, 11, 25)
    assert [store.take_reply_slot(table, "a@example.net", day, 2) for _ in range(4)] == [
        True,
        True,
        False,
        False,
    ]
    assert store.take_reply_slot(table, "A@EXAMPLE.NET", day + timedelta(days=1), 2) is True
    assert store.take_reply_slot(table, "b@example.net", day, 2) is True

    # A digest is claimed once per local day until a failed send releases it.
    assert store.claim_digest(table, "a@example.net", day) is True
    assert store.claim_digest(table, "a@example.net", day) is False
    assert store.claim_digest(table, "a@example.net", day + timedelta(days=1)) is True
    store.release_digest(table, "a@example.net", day)
    assert store.claim_digest(table, "a@example.net", day) is True
    # The marker is not a log line: it never shows up in a digest.
    assert store.read_log(table, "a@example.net", T0, T0 + timedelta(days=3)) == []
