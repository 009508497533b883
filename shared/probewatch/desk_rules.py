"""What abuse desks asked for, applied by the send function on every attempt.

* Opted out (probewatch.optouts): the incident ends "not-reported" with decision code
  "opted-out" before any mailbox is chosen, and each reporter's log gets an "opted-out"
  line (the digest tells them the source was not reported, and why).
* XARF: the report carries the XARF attachment only when the mailbox, or its whole domain,
  opted in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from probewatch.model import Incident, iso_z
from probewatch.observability import logger, metrics
from probewatch.optouts import covering, mailbox_domain
from probewatch.store import desks
from probewatch.store.desks import OptOut

OPTED_OUT = "opted-out"


def stop_if_opted_out(
    table_name: str, incident: Incident, now: datetime, optouts: Sequence[OptOut]
) -> OptOut | None:
    """End the incident when its network or domain opted out; returns the opt-out, or None."""
    from probewatch.sending import log_for_reporters, update_incident  # sending imports us

    optout = covering(optouts, incident)
    if optout is None:
        return None
    why = (
        f"not reported: the network owner asked for no reports ({optout.kind} {optout.value}, "
        f"{optout.by}, since {optout.since})"
    )

    def stop(stored: Incident) -> None:
        if stored.status == "queued":
            stored.status, stored.decision_code, stored.decision = "not-reported", OPTED_OUT, why

    update_incident(table_name, incident.incident_id, stop)
    incident.status, incident.decision_code, incident.decision = "not-reported", OPTED_OUT, why
    data = {
        "incident_id": incident.incident_id,
        "src_ip": incident.src_ip,
        "events": incident.event_count,
        "optout_kind": optout.kind,
        "optout_value": optout.value,
        "optout_by": optout.by,
        "optout_since": optout.since,
        "reason": why,
        "at": iso_z(now),
    }
    log_for_reporters(table_name, incident, now, OPTED_OUT, data)
    logger.info("send: network opted out", extra={"incident_id": incident.incident_id})
    metrics.add_metric(name="ReportsSkippedOptOut", unit="Count", value=1)
    return optout


def wants_xarf(table_name: str, mailbox: str) -> bool:
    return desks.wants_xarf(table_name, mailbox.lower(), mailbox_domain(mailbox))
