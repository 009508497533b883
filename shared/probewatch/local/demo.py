"""`probewatch demo`: the whole pipeline on the local stack, on a simulated clock.

moto (server mode, loopback) stands in for AWS; loopback DNS and RDAP servers answer from
recordings bundled in the package. The real Lambda handlers run in-process with the real
trigger shapes: S3 notification on SQS -> ingest, scheduled events -> aggregate and digest,
send-queue messages -> send, SES events on SNS -> feedback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from probewatch.clock import frozen
from probewatch.local import demo_desks, handlers
from probewatch.local.moto_server import local_aws, sent_mail, sent_messages
from probewatch.local.outcomes import count_outcomes, recorded_outcomes
from probewatch.local.ses_inbound import stamp_prefix
from probewatch.model import iso_z

REPO = Path(__file__).resolve().parents[3]
DEFAULT_EMAILS = REPO / "events" / "emails"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
STEP = timedelta(minutes=15)
HORIZON = timedelta(hours=72)
# After the pipeline settled, the clock runs on (digest only) at most this long: a local day
# ends within 24 hours, and no zone is more than 14 hours off UTC.
DIGEST_HORIZON = timedelta(hours=48)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--emails",
        type=Path,
        default=DEFAULT_EMAILS,
        help="folder of .eml files (and optional reporters.json)",
    )
    parser.add_argument(
        "--now",
        type=iso_time,
        help="simulated clock start, ISO-8601 with a zone, e.g. 2026-11-25T12:00:00Z "
        "(default: the newest Date of the emails)",
    )
    parser.add_argument("--out", type=Path, help="write sent/NNN.eml and summary.json here")
    parser.add_argument(
        "--live",
        action="store_true",
        help="use the real DNS and RDAP instead of the bundled recordings",
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")


def run(args: argparse.Namespace) -> int:
    if not args.emails.is_dir():
        print(f"probewatch demo: --emails {args.emails}: no such folder", file=sys.stderr)
        return 2
    emails = sorted(args.emails.glob("*.eml"))
    if not emails:
        print(
            f"probewatch demo: no .eml files in {args.emails} "
            "(save each email from your mail client as a .eml file there)",
            file=sys.stderr,
        )
        return 2
    # Only the header blocks stay in memory: each email is read again when it is delivered,
    # so a folder of big emails costs one email's memory at a time.
    raws = [_head_of(path) for path in emails]
    _quiet_logs()
    start = _parse_now(args.now) if args.now else max(_date_of(raw) for raw in raws)
    with ExitStack() as stack:
        stack.enter_context(local_aws())
        from probewatch.local.resources import create_stack

        local = create_stack()
        os.environ.update(local.env())
        # A moto server named by AWS_ENDPOINT_URL may hold mail from earlier runs.
        earlier = frozenset(m.id for m in sent_mail())
        handlers.skip_earlier_mail(earlier)
        _start_fixture_servers(stack, live=args.live)
        verdicts = _register_reporters(local.table_name, args.emails, raws)
        demo_desks.prepare(local.table_name, args.emails, start)  # DIR/desks.json, if any
        with recorded_outcomes() as outcomes:
            summary = _drive(local, emails, start, verdicts)
        messages = sent_messages(since=earlier)
    summary.update(count_outcomes(outcomes))
    reporters = {r.lower() for r in summary.pop("_reporters")}
    _show(messages, reporters, quiet=args.quiet)
    for path in emails:
        outcome = outcomes.get(f"raw/{path.stem}")
        print(outcome.line(path.name) if outcome else f"{path.name}: not ingested (see the DLQ)")
    # By subject: answers to abuse desks (LOOKUP...) are not reports, relayed notes not digests.
    summary["reports_sent"] = sum(1 for _, raw in messages if _is_report(raw))
    summary["digests_sent"] = sum(
        1
        for to, raw in messages
        if _to_reporter(to, reporters) and "digest" in _subject(raw).lower()
    )
    if args.out:
        _write_out(args.out, messages, summary)
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def _quiet_logs() -> None:
    """The demo prints what went out; the functions' JSON logs, metrics and moto's request
    log would bury it. Explicit settings in the environment still win."""
    import logging

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def iso_time(text: str) -> str:
    """argparse type for --now: the text, once it is a time with a zone."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: use ISO-8601, e.g. 2026-11-25T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone: add Z or +01:00")
    return text


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SystemExit("--now needs a zone, e.g. 2026-11-25T12:00:00Z")
    return moment


def _head_of(path: Path) -> bytes:
    """The header block of an email file (at most 1 MB), with the blank line after it."""
    with path.open("rb") as handle:
        data = handle.read(1024 * 1024)
    end = min((i for i in (data.find(b"\r\n\r\n"), data.find(b"\n\n")) if i >= 0), default=-1)
    return data[:end] + b"\n\n" if end >= 0 else data


def _date_of(raw: bytes) -> datetime:
    """The Date of an email, from its header block only (a hostile body costs nothing)."""
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    head = raw[: end if 0 <= end < 1024 * 1024 else 1024 * 1024]
    header = BytesHeaderParser(policy=policy.compat32).parsebytes(head + b"\n\n")["Date"]
    try:
        moment = parsedate_to_datetime(str(header)) if header else None
    except (TypeError, ValueError, IndexError):
        moment = None
    return moment if moment and moment.tzinfo else datetime.fromtimestamp(0).astimezone()


def _start_fixture_servers(stack: ExitStack, *, live: bool) -> None:
    """Loopback DNS and RDAP answering from the recordings bundled with the package, for
    whichever of PROBEWATCH_DNS_SERVERS / PROBEWATCH_RDAP_URL the environment does not set:
    explicit settings win (other recorded answers, or a real resolver); `--live` with nothing
    set uses the internet."""
    from probewatch.local.dns_server import serve_dns
    from probewatch.local.rdap_server import serve_rdap

    if live:
        return
    if not os.environ.get("PROBEWATCH_DNS_SERVERS"):
        os.environ["PROBEWATCH_DNS_SERVERS"] = stack.enter_context(serve_dns(FIXTURES / "dns.json"))
    if not os.environ.get("PROBEWATCH_RDAP_URL"):
        os.environ["PROBEWATCH_RDAP_URL"] = stack.enter_context(serve_rdap(FIXTURES / "rdap"))


def _register_reporters(
    table_name: str, folder: Path, raws: list[bytes]
) -> dict[str, dict[str, str]]:
    """reporters.json when present; otherwise every sender, as DESIGN.md says. Returns the
    SES verdicts asked for per sender ("ses" in reporters.json, see local.ses_inbound)."""
    from probewatch.local.ses_inbound import peek_sender
    from probewatch.model import Reporter
    from probewatch.store.reporters import put_reporter

    listing = folder / "reporters.json"
    if listing.exists():
        entries = json.loads(listing.read_text())
    else:
        senders = {peek_sender(raw).sender for raw in raws}
        entries = [{"email": s} for s in sorted(senders) if s]
    known = set(Reporter.__dataclass_fields__)
    verdicts: dict[str, dict[str, str]] = {}
    for entry in entries:
        if isinstance(entry.get("ses"), dict):
            verdicts[entry["email"].lower()] = {str(k): str(v) for k, v in entry["ses"].items()}
        if entry.get("register", True) is False:
            continue
        fields = {key: value for key, value in entry.items() if key in known}
        if "mask" in entry:
            fields["mask_octets"] = int(entry["mask"])
        if isinstance(fields.get("review"), str):
            fields["review"] = fields["review"] == "on"
        fields["email"] = fields["email"].lower()
        if "tz" in entry:  # a zone written down is declared, UTC included
            fields["tz_declared"] = True
        put_reporter(table_name, Reporter(**fields))
    return verdicts


def _drive(
    local: Any,
    emails: list[Path],
    start: datetime,
    verdicts: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """Deliver every email at the start, then step the clock until everything is handled and
    every reporter's digest of it is out."""
    delivered = 0
    for offset, path in enumerate(emails):
        received = start + timedelta(seconds=offset)
        with frozen(received):
            _deliver(local, path, received, verdicts)
            delivered += 1
            handlers.drain_ingest(local)
    # The first aggregate run comes after the last delivery: the clock never runs backwards,
    # so no report or digest line is stamped before the mail it rests on.
    first_run = now = received
    digest_at = _next_hour(start)
    while now <= start + HORIZON:
        # The hourly digest schedule fires between the aggregate runs, on the hour.
        digest_at = _run_digests(digest_at, until=now)
        with frozen(now):
            handlers.run_aggregate(now)
            handlers.drain_send(local)
        if handlers.all_settled(local) and now > first_run:
            break
        now += STEP
    # Settled: the abuse desks answer the reports (DIR/desks.json), through ingest.
    now = demo_desks.deliver_replies(local, emails[0].parent, now)
    # Settled: only the digests are left. Each reporter's goes out just after their local
    # midnight, so keep the hourly schedule going until every local day with activity ended.
    last_midnight = handlers.last_activity_midnight(local, start - timedelta(days=1), now + STEP)
    if last_midnight is not None:
        # The first run on or after that midnight sends its day (zones off by half an hour too).
        last_run = min(_next_hour(last_midnight), now + DIGEST_HORIZON)
        digest_at = _run_digests(digest_at, until=last_run)
    summary = handlers.summarize(local, start, digest_at)
    summary["emails"] = delivered
    summary["simulated_from"] = iso_z(start)
    summary["simulated_until"] = iso_z(max(now, digest_at - timedelta(hours=1)))
    return summary


def _deliver(
    local: Any, path: Path, received: datetime, verdicts: dict[str, dict[str, str]]
) -> None:
    """Stamp the email as SES would and put it in the bucket, streamed from a temporary
    file: a big email is never held in memory twice beside the local stack's own copy."""
    import shutil
    import tempfile

    prefix, skip = stamp_prefix(
        _head_of(path),
        received,
        region=local.region,
        inbound_address=local.inbound_address,
        verdicts=verdicts,
    )
    with tempfile.TemporaryFile() as body, path.open("rb") as source:
        body.write(prefix)
        source.seek(skip)
        shutil.copyfileobj(source, body)
        body.seek(0)
        handlers.deliver_email(local, f"raw/{path.stem}", body)


def _next_hour(moment: datetime) -> datetime:
    """The first whole hour at or after `moment`."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


def _run_digests(digest_at: datetime, *, until: datetime) -> datetime:
    """Run the digest at every hour from `digest_at` up to and including `until`; returns the
    next hour it is due."""
    while digest_at <= until:
        with frozen(digest_at):
            handlers.run_digest(digest_at)
        digest_at += timedelta(hours=1)
    return digest_at


def _to_reporter(destinations: list[str], reporters: set[str]) -> bool:
    from email.utils import parseaddr

    return any(parseaddr(d)[1].lower() in reporters for d in destinations)


def _show(messages: list[tuple[list[str], str]], reporters: set[str], *, quiet: bool) -> None:
    if quiet:
        return
    for destinations, raw in messages:
        kind = (
            "DIGEST / REPLY"
            if _to_reporter(destinations, reporters)
            else "ABUSE REPORT"
            if _is_report(raw)
            else "REPLY TO AN ABUSE DESK"
        )
        print("=" * 78)
        print(f"{kind} -> {', '.join(destinations)}")
        print("=" * 78)
        print(_readable(raw))


def _readable(raw: str) -> str:
    """Headers that matter and the plain-text body (digests also carry an HTML twin)."""
    message = message_from_bytes(raw.encode("utf-8", "replace"), policy=policy.default)
    lines = [
        f"{name}: {message[name]}"
        for name in ("From", "To", "Reply-To", "Subject")
        if message[name]
    ]
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else raw
    attached = [
        f"[attached: {part.get_filename()} ({part.get_content_type()})]"
        for part in message.iter_attachments()
        if part.get_filename()
    ]
    return "\n".join(lines) + "\n\n" + "\n".join([text.rstrip(), *attached]) + "\n"


def _subject(raw: str) -> str:
    return str(
        message_from_bytes(raw.encode("utf-8", "replace"), policy=policy.default)["Subject"] or ""
    )


def _is_report(raw: str) -> bool:
    from probewatch.report_rules import SUBJECT_RE

    return bool(SUBJECT_RE.match(_subject(raw)))


def _write_out(out: Path, messages: list[tuple[list[str], str]], summary: dict[str, Any]) -> None:
    sent = out / "sent"
    sent.mkdir(parents=True, exist_ok=True)
    for old in sent.glob("*.eml"):
        old.unlink()
    for number, (_destinations, raw) in enumerate(messages, start=1):
        (sent / f"{number:03d}.eml").write_text(raw)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
