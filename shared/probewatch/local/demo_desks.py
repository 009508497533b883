"""The abuse desks' side of `probewatch demo`, from the optional DIR/desks.json:

    {"xarf": ["abuse@cloudlayer-demo.net"],              opted in to the XARF attachment
     "optouts": [{"target": "flyhost-demo.net",           a network owner that opted out
                  "reason": "asked by phone"}],            before the run (CIDR or domain)
     "replies": [{"source": "185.220.101.47",              after the reports went out, the
                  "from": "abuse@relaycoop-demo.org",      desk the report for that source
                  "body": "Thanks, we notified the customer."}]}   went to replies (any text,
                                                           or LOOKUP, OPT-OUT, XARF ON|OFF)

Replies are real inbound mail (SES's verdict headers, a "Re:" of the report's subject)
delivered through S3 and the ingest handler like any other email, one simulated minute apart.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from email import message_from_string, policy
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from probewatch.clock import frozen
from probewatch.local import handlers

FILE = "desks.json"


def load(folder: Path) -> dict[str, Any]:
    path = folder / FILE
    return dict(json.loads(path.read_text())) if path.exists() else {}


def prepare(table_name: str, folder: Path, now: datetime) -> None:
    """What desks asked before the run: XARF opt-ins and opt-outs, as the operator CLI adds them."""
    from probewatch.model import iso_z
    from probewatch.optouts import operator_target
    from probewatch.store import desks

    config = load(folder)
    for target in config.get("xarf", []):
        desks.set_xarf(table_name, str(target), True, now, by="operator")
    for entry in config.get("optouts", []):
        kind, value = operator_target(str(entry["target"]))
        reason = str(entry.get("reason") or "asked not to receive port-probe reports")
        desks.put_optout(
            table_name, desks.OptOut(kind, value, reason, "operator", iso_z(now) or "")
        )


def deliver_replies(local: Any, folder: Path, now: datetime) -> datetime:
    """Each configured reply, to the report about its source; returns the clock after them."""
    from probewatch.local.moto_server import sent_messages
    from probewatch.report_rules import SUBJECT_RE

    subjects: dict[str, str] = {}
    for _destinations, raw in sent_messages():
        subject = str(message_from_string(raw, policy=policy.default)["Subject"] or "")
        match = SUBJECT_RE.match(subject)
        if match:
            subjects.setdefault(match.group("ip"), subject)
    for number, reply in enumerate(load(folder).get("replies", []), start=1):
        reported = subjects.get(str(reply["source"]))
        if reported is None:
            continue  # no report went out about it (filtered, opted out): nothing to answer
        now += timedelta(minutes=1)
        with frozen(now):
            mail = _desk_mail(str(reply["from"]), f"Re: {reported}", str(reply["body"]), now, local)
            handlers.deliver_email(local, f"raw/desk-reply-{number:02d}", mail)
            handlers.drain_ingest(local)
    return now


def _desk_mail(sender: str, subject: str, body: str, now: datetime, local: Any) -> bytes:
    domain = sender.rpartition("@")[2]
    stamp = format_datetime(now)
    lines = [
        f"Received: from mail.{domain} by inbound-smtp.{local.region}.amazonaws.com with SMTP "
        f"id desk; {stamp}",
        "X-SES-Spam-Verdict: PASS",
        "X-SES-Virus-Verdict: PASS",
        f"Authentication-Results: amazonses.com; spf=pass smtp.mailfrom={sender}; "
        f"dkim=pass header.i=@{domain}; dmarc=pass header.from={domain}",
        "MIME-Version: 1.0",
        f"From: Abuse Desk <{sender}>",
        f"To: {local.inbound_address}",
        f"Subject: {subject}",
        f"Date: {stamp}",
        f"Message-ID: <{hashlib.sha256(f'{sender}{subject}{body}'.encode()).hexdigest()[:16]}@{domain}>",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()
