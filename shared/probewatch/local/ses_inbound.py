"""The demo's stand-in for SES inbound: stamp each email as SES would before it goes to S3.

SES prepends, above everything the sender wrote, the envelope sender and its verdicts:
  Return-Path, Received (by inbound-smtp.<region>.amazonaws.com), X-SES-Spam-Verdict,
  X-SES-Virus-Verdict, Received-SPF, Authentication-Results: amazonses.com; spf= dkim= dmarc=
ingest trusts only that top stamp (mail.auth). An email saved from a mail client has none, so
without this every such email would be refused as "not-authenticated".

  * every sender passes SPF, DKIM and DMARC by default (the demo's senders are real people
    with working mail setups);
  * an email that already carries SES's stamp on top (the samples in events/emails) keeps its
    own verdicts: only a Received line with the simulated receipt time is added;
  * reporters.json can make one sender fail, to show the refusal:
      {"email": "mallory@example.com", "ses": {"spf": "fail", "dkim": "fail"}, "register": false}
    ("ses" keys: spf, dkim, dmarc, spam, virus; "register": false stamps without registering).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser
from email.utils import format_datetime

from probewatch.mail.auth import read_auth
from probewatch.mail.headers import _peek_block, peek_sender, ses_receipt_time

DEFAULT_VERDICTS = {"spf": "pass", "dkim": "pass", "dmarc": "pass", "spam": "PASS", "virus": "PASS"}
CLIENT_IP = "192.0.2.25"  # TEST-NET-1: the demo's senders have no real address


def has_ses_stamp(raw: bytes) -> bool:
    """The email's top headers are SES's own (a Received by SES and SES's verdicts)."""
    head = BytesHeaderParser(policy=policy.default).parsebytes(_peek_block(raw))
    verdict = read_auth(head)
    return ses_receipt_time(head) is not None and bool(verdict.spf or verdict.dkim)


def stamp(
    raw: bytes,
    received: datetime,
    *,
    region: str,
    inbound_address: str,
    verdicts: Mapping[str, Mapping[str, str]] | None = None,
) -> bytes:
    """`raw` as SES would write it to S3, received at `received`."""
    prefix, skip = stamp_prefix(
        raw[:1024 * 1024], received, region=region, inbound_address=inbound_address,
        verdicts=verdicts,
    )  # fmt: skip
    return prefix + raw[skip:]


def stamp_prefix(
    head: bytes,
    received: datetime,
    *,
    region: str,
    inbound_address: str,
    verdicts: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[bytes, int]:
    """What SES puts above an email whose start (at least its header block) is `head`, and
    how many bytes of the email to leave out (a saved Return-Path SES replaces). Lets the
    demo stream a big email to S3 without holding it twice."""
    raw = head
    token = hashlib.sha256(raw[:65536]).hexdigest()[:40]
    received_line = (
        f"Received: from mail.sender.invalid ([{CLIENT_IP}]) by inbound-smtp.{region}.amazonaws.com"
        f" with SMTP id {token} for {inbound_address}; {format_datetime(received)}\r\n"
    )
    if has_ses_stamp(raw):
        return received_line.encode(), 0
    sender = peek_sender(raw).sender  # the From, or the envelope a mail client saved
    if not sender:
        got = {"spf": "none", "dkim": "none", "dmarc": "none", "spam": "PASS", "virus": "PASS"}
        envelope = ""
    else:
        got = {
            **DEFAULT_VERDICTS,
            **{k: str(v) for k, v in (verdicts or {}).get(sender, {}).items()},
        }
        envelope = sender
    domain = envelope.rpartition("@")[2] or "sender.invalid"
    spf_why = (
        f"(spfCheck: domain of {domain} designates {CLIENT_IP} as permitted sender)"
        if got["spf"] == "pass"
        else f"(spfCheck: domain of {domain} does not designate {CLIENT_IP} as permitted sender)"
    )
    lines = [
        f"Return-Path: <{envelope}>",
        received_line.rstrip("\r\n"),
        f"X-SES-Spam-Verdict: {got['spam'].upper()}",
        f"X-SES-Virus-Verdict: {got['virus'].upper()}",
        f"Received-SPF: {got['spf']} {spf_why} client-ip={CLIENT_IP}; envelope-from={envelope};"
        f" helo=mail.{domain};",
        "Authentication-Results: amazonses.com;",
        f" spf={got['spf']} {spf_why} smtp.mailfrom={envelope};",
        f" dkim={got['dkim']} header.i=@{domain};",
        f" dmarc={got['dmarc']} header.from={domain};",
    ]
    return ("\r\n".join(lines) + "\r\n").encode(), _saved_return_path(raw)


def _saved_return_path(raw: bytes) -> int:
    """Length of a Return-Path at the very top (SES writes the envelope's own; a saved one
    would be a second), or 0."""
    if raw[:12].lower() == b"return-path:":
        end = raw.find(b"\n")
        while end >= 0 and raw[end + 1 : end + 2] in (b" ", b"\t"):
            end = raw.find(b"\n", end + 1)
        return end + 1 if end >= 0 else 0
    return 0
