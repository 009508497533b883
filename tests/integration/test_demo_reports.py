"""`probewatch demo` on events/emails, run once for the module: every report it sends meets
every reporting rule and none is sent twice (issue 6); every reporter's digest accounts for
every event of theirs (issue 7) and shows every dropped event's reason (issue 4); and
summary.json's counts add up with what was sent and stored."""

from __future__ import annotations

import email
import json
from collections import Counter
from email.utils import parseaddr

import pytest
from demo_helpers import EMAILS, DemoRun, run_demo

from probewatch.report_rules import SUBJECT_RE, report_violations

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(not list(EMAILS.glob("*.eml")), reason="no sample emails in events/emails"),
]

# Where a digest must list an incident whose report rests on the reporter's events.
SECTION_OF_STATUS = {
    "sent": "Reports sent",
    "held": "Reports waiting for your review",
    "open": "Still being watched",
    "queued": "Still being watched",
    "not-reported": "Addresses not reported",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    run = run_demo(tmp_path_factory.mktemp("demo"))
    assert run.returncode == 0, run.stderr[-2000:]
    return run


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


def _xarf_mailboxes() -> set[str]:
    listing = EMAILS / "desks.json"
    return (
        {m.lower() for m in json.loads(listing.read_text()).get("xarf", [])}
        if listing.exists()
        else set()
    )


def _demo_reporters() -> list[str]:
    return sorted(e["email"].lower() for e in json.loads((EMAILS / "reporters.json").read_text()))


def test_every_report_the_demo_sends_meets_every_rule(demo: DemoRun) -> None:
    anonymous = _anonymous_reporters()
    seen: set[tuple[str, str]] = set()
    reports = 0
    for number, msg in enumerate(demo.sent, start=1):
        match = SUBJECT_RE.match(str(msg.get("Subject", "")))
        if not match:
            continue  # a digest or a reply to a reporter
        reports += 1
        # Only a mailbox that opted in (desks.json) may get the XARF attachment.
        xarf = str(msg["To"]).lower() in _xarf_mailboxes()
        assert report_violations(msg.as_bytes(), forbidden=anonymous, allow_xarf=xarf) == [], number
        key = (match.group("id"), str(msg["To"]).lower())
        assert key not in seen, f"message {number}: a second copy of {key}"
        seen.add(key)
    assert reports >= 1, "the sample emails should lead to at least one report"


def test_every_demo_reporter_gets_a_digest(demo: DemoRun) -> None:
    assert sorted(demo.digests()) == _demo_reporters()


@pytest.mark.parametrize("reporter", _demo_reporters())
def test_digest_accounts_for_every_event_of_the_reporter(demo: DemoRun, reporter: str) -> None:
    digest = demo.digests()[reporter]
    stored = Counter(e["src_ip"] for e in demo.table["events"] if e["reporter"] == reporter)
    incidents = demo.table["incidents"]
    filtered: Counter[str] = Counter()
    for incident in incidents:
        filtered.update(incident["filtered_by_reporter"].get(reporter, {}))

    # Accepted = every event stored for them; filtered = what the incidents dropped of theirs.
    assert digest.count("Events accepted") == sum(stored.values())
    assert digest.count("Events filtered out") == sum(filtered.values())
    # Issue 4: every dropped event's reason is shown, with its count.
    assert digest.dropped("filtering") == dict(filtered)

    # Every event not filtered out is in an incident of its source that the digest lists
    # under its fate; sources whose events were all dropped are not theirs to wait for.
    for src_ip, count in stored.items():
        mine = [i for i in incidents if i["src_ip"] == src_ip]
        assert mine, f"{reporter}: events from {src_ip} are in no incident"
        dropped = sum(sum(i["filtered_by_reporter"].get(reporter, {}).values()) for i in mine)
        kept = count - dropped
        assert kept >= 0, f"{reporter}/{src_ip}: more dropped than stored"
        carrying = [i for i in mine if reporter in i["reporters"]]
        assert bool(carrying) == (kept > 0), f"{reporter}/{src_ip}: kept {kept}"
        for incident in carrying:
            section = SECTION_OF_STATUS[incident["status"]]
            assert incident["incident_id"] in digest.incidents_in(section), (
                f"{reporter}: {incident['incident_id']} ({incident['status']}) not in {section}"
            )
    # Nothing is shown as still open once it is final.
    final = {i["incident_id"] for i in incidents if i["status"] not in ("open", "queued")}
    assert not digest.incidents_in("Still being watched") & final


def test_summary_counts_add_up(demo: DemoRun) -> None:
    summary = demo.summary
    digests = demo.digests().values()
    reports = [m for m in demo.sent if SUBJECT_RE.match(str(m.get("Subject", "")))]
    assert summary["emails"] == len(list(EMAILS.glob("*.eml")))
    assert summary["emails"] == sum(d.count("Emails received") for d in digests)
    assert summary["events_stored"] == len(demo.table["events"])
    assert summary["events_stored"] == sum(d.count("Events accepted") for d in digests)
    filtered: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for digest in digests:
        filtered.update(digest.dropped("filtering"))
        rejected.update(digest.dropped("reading"))
    assert summary["filtered_by_reason"] == dict(filtered)
    assert summary["rejected_by_reason"] == dict(rejected)
    assert summary["reports_sent"] == len(reports)
    assert summary["digests_sent"] == len(digests) == len(_demo_reporters())


def test_the_demo_shows_what_abuse_desks_get(demo: DemoRun) -> None:
    """desks.json: a XARF opt-in, an opt-out made before the run, and three replies (a
    thank-you relayed to the reporters, LOOKUP answered, OPT-OUT confirmed)."""
    desks = json.loads((EMAILS / "desks.json").read_text())

    def to(msg: email.message.Message) -> str:
        return str(msg["To"]).lower()

    def text(msg: email.message.EmailMessage) -> str:
        body = msg.get_body(("plain",))
        assert body is not None
        return " ".join(body.get_content().split())

    reports = [m for m in demo.sent if SUBJECT_RE.match(str(m.get("Subject", "")))]
    xarf = [m for m in reports if m.is_multipart()]
    assert {to(m) for m in xarf} == set(desks["xarf"])  # plain text for everyone else
    # The network that opted out got no report; its reporters' digests say why.
    opted_out = {i["src_ip"] for i in demo.table["incidents"] if i["decision_code"] == "opted-out"}
    assert opted_out and not any(
        SUBJECT_RE.match(str(m["Subject"])).group("ip") in opted_out  # type: ignore[union-attr]
        for m in reports
    )
    assert any("(opted out: domain flyhost-demo.net" in d.text for d in demo.digests().values())
    # Every report says how to opt out, in one line.
    for msg in reports:
        body = msg.get_body(("plain",))
        assert body is not None
        assert "Reply OPT-OUT to receive no more reports about your network." in (
            body.get_content().splitlines()
        )
    answers = {to(m): text(m) for m in demo.sent if str(m["Subject"]).startswith("Re: Security")}
    assert "History (UTC):" in answers["abuse@cloudlayer-demo.net"]  # LOOKUP
    assert "no more reports about" in answers["security@northgrid-demo.net"]  # OPT-OUT
    relayed = [m for m in demo.sent if str(m["Subject"]).startswith("Abuse desk replied:")]
    assert relayed and all("They wrote: Thank you." in text(m) for m in relayed)
