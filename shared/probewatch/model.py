"""The domain objects every stage passes along.

Plain dataclasses: no AWS, no I/O. The store (probewatch.store) turns them into items and back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Action = Literal["block", "allow", "unknown"]


def iso_z(moment: datetime | None) -> str | None:
    """ISO-8601 UTC to the second, ending in Z (the form every contract and report uses)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> datetime | None:
    """Inverse of iso_z; also accepts offsets and fractional seconds. None stays None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(slots=True)
class ProbeEvent:
    """One packet or connection a firewall logged, normalised.

    `time` is timezone-aware UTC or None when the log line carries no time at all.
    `tcp_flags` is the flags the line shows (e.g. "SYN", "ACK RST"), upper case, or None.
    """

    time: datetime | None
    src_ip: str
    src_port: int | None
    dst_ip: str | None
    dst_port: int | None
    proto: str
    action: Action
    format: str
    raw: str
    tcp_flags: str | None = None
    reporter: str | None = None
    # "ids" for an IDS alert on payload, "established" for a completed handshake: stronger
    # evidence than a lone SYN, which may come from a spoofed address.
    evidence: str | None = None
    line_no: int | None = None
    # "in", "out" or "forward" when the line says which way the packet went; None when it
    # does not. Outbound traffic was sent BY the reporter's network: never a probe of it.
    direction: str | None = None

    def to_json(self, **extra: Any) -> dict[str, Any]:
        """The `probewatch parse --json` shape (see DESIGN.md, contracts)."""
        out: dict[str, Any] = dict(extra)
        out.update(
            format=self.format,
            time=iso_z(self.time),
            src_ip=self.src_ip,
            src_port=self.src_port,
            dst_ip=self.dst_ip,
            dst_port=self.dst_port,
            proto=self.proto,
            action=self.action,
            tcp_flags=self.tcp_flags,
            evidence=self.evidence,
            direction=self.direction,
            raw=self.raw,
        )
        return out

    def event_id(self, submission_id: str) -> str:
        """Deterministic id: the same line of the same email always gets the same id."""
        import hashlib  # here: `probewatch parse` never needs it, and it is slow to import

        digest = hashlib.sha256(f"{submission_id}\0{self.line_no}\0{self.raw}".encode()).hexdigest()
        return digest[:20]


@dataclass(slots=True)
class Rejection:
    """A line that looked like a firewall log but cannot be trusted, and why."""

    reason: str
    raw: str
    format: str | None = None


@dataclass(slots=True)
class Submission:
    """One email a reporter forwarded, and what became of it."""

    submission_id: str
    reporter: str
    received_at: datetime
    s3_key: str
    status: Literal["accepted", "no-events", "rejected"]
    reason: str | None = None
    subject: str | None = None
    formats: dict[str, int] = field(default_factory=dict)
    events_stored: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_examples: dict[str, str] = field(default_factory=dict)
    clock_offset_seconds: float | None = None
    # Added by the ingest stage (probewatch.ingest):
    message_id: str | None = None
    lines: int = 0  # text lines read across all parts
    notes: list[str] = field(default_factory=list)  # skipped parts, limits hit
    # Raw clock evidence (seconds, receipt time minus the other time); the best estimate of
    # the reporter's clock error is clock_offset_seconds (see probewatch.clock_check).
    log_lag_seconds: float | None = None  # receipt - newest log line
    date_lag_seconds: float | None = None  # receipt - the alert mail's own Date
    # How times written without a zone were placed (probewatch.zone_evidence): the zone used
    # ("America/New_York", "-05:00") and why ("declared", "attached-alert-date",
    # "direct-alert-date", "device-tz-field"); None when it could not be known, and then
    # those events are held (rejected "zone-unknown"), never stored as if they were UTC.
    zone: str | None = None
    zone_basis: str | None = None
    zone_suggestion: str | None = None  # a weak hint (the forwarder's own Date offset)
    exact_times: int = 0  # events whose line carried its own offset/Z/epoch
    zone_held: int = 0  # events held because their zone is unknown
    # Clock (probewatch.clock_check): basis of clock_offset_seconds and whether this
    # submission's events were held because the firewall clock is off by more than 5 s.
    clock_basis: str | None = None
    clock_held: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = iso_z(self.received_at)
        return data


@dataclass(slots=True)
class Contact:
    """A mailbox that may act on reports for an address, with where we learned it."""

    email: str
    source: str  # "rdap", "abusix", "rfc2142", "fallback"
    confidence: float

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "source": self.source, "confidence": self.confidence}


IncidentStatus = Literal[
    "open",  # collecting events
    "held",  # final, waiting out a reporter's review window
    "queued",  # on the send queue
    "sent",  # delivered to SES; may still bounce
    "undeliverable",  # every mailbox in the chain bounced
    "not-reported",  # final, and a rule said no (reason in `decision`)
    "cancelled",  # a reporter cancelled it during review
    "closed",  # quiet for 7 days after a report
]


@dataclass(slots=True)
class EvidenceLine:
    """One event as it appears in a report: only parsed fields, never free text."""

    time: str  # ISO Z
    proto: str
    src_ip: str
    src_port: int | None
    dst_masked: str | None
    dst_port: int | None
    tcp_flags: str | None
    action: str
    reporter_no: int  # 1-based: reporters are numbered, never named, in reports


@dataclass(slots=True)
class Incident:
    """All reportable activity of one source IP inside one 72-hour window."""

    incident_id: str
    src_ip: str
    status: IncidentStatus
    opened_at: datetime
    first_seen: datetime
    last_seen: datetime
    event_count: int = 0
    dst_ports: list[int] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)
    tcp_flags: list[str] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    masked_destinations: list[str] = field(default_factory=list)
    evidence: str = "unknown"  # "syn-only", "udp", "established", "ids", "mixed"
    decision: str = ""  # why it was or was not reported, for people
    evidence_lines: list[EvidenceLine] = field(default_factory=list)
    filtered: dict[str, int] = field(default_factory=dict)  # reason -> dropped events
    contacts: list[Contact] = field(default_factory=list)
    contact_index: int = 0
    ptr: str | None = None
    network: dict[str, Any] = field(default_factory=dict)
    previous_incident: str | None = None
    finalized_at: datetime | None = None
    hold_until: datetime | None = None
    sent_at: datetime | None = None
    message_id: str | None = None
    # Added by the aggregate stage (probewatch.aggregate):
    version: int = 0  # optimistic lock: every save expects the version it read
    decision_code: str = ""  # machine form of `decision`, e.g. "uncorroborated", "queued"
    last_activity: datetime | None = None  # newest event of the source, absorbed ones included
    filtered_examples: dict[str, str] = field(default_factory=dict)  # reason -> one raw line
    # reporter -> reason -> dropped events, and how much of it their log already shows
    filtered_by_reporter: dict[str, dict[str, int]] = field(default_factory=dict)
    filtered_logged: dict[str, dict[str, int]] = field(default_factory=dict)
    queued_at: datetime | None = None
    enqueue_count: int = 0
    closed_at: datetime | None = None
    # Added for issue 12 (what reaches an abuse desk must be true):
    # the latest earlier incident of this source that was actually reported (the report
    # cites it; previous_incident may name one that was never sent);
    previous_report: str | None = None
    # events the send function took out because they had passed 72 hours (send_window);
    stale_at_send: int = 0
    # machine code and sentence of the evidence verdict (probewatch.evidence), for the
    # report and the digest: e.g. "corroborated-reporters", "strong-evidence";
    evidence_code: str = ""
    evidence_reason: str = ""
    # when the reporters with review on were told at once that the report waits (review_notice)
    review_notified_at: datetime | None = None


@dataclass(slots=True)
class Reporter:
    """Someone who forwards alerts. Everything they declare narrows what may be reported."""

    email: str
    status: Literal["active", "paused", "pending", "stopped"] = "active"
    tz: str = "UTC"
    mask_octets: int = 2  # lower octets hidden in reports: 2 -> a.b.0.0, 3 -> a.0.0.0
    review: bool = False  # hold finalized incidents so the reporter can CANCEL them
    digest: Literal["daily", "off"] = "daily"
    identify: bool = False  # opt in to having their address named in reports
    # Declared by the reporter: their ISP's networks/ASNs, resolvers, the IRC servers they use,
    # and their own public address. Traffic from these is never reported.
    isp_networks: list[str] = field(default_factory=list)
    isp_asns: list[int] = field(default_factory=list)
    resolvers: list[str] = field(default_factory=list)
    irc_servers: list[str] = field(default_factory=list)
    public_ips: list[str] = field(default_factory=list)
    # "I scanned myself at T": ISO times; probes within an hour of one are not reported.
    self_scans: list[str] = field(default_factory=list)
    created_at: str | None = None
    # Learned, not declared: the networks (/24, /48) their alerts were addressed to. That is
    # where the reporter lives, so traffic *from* there is their own, never a probe of them.
    observed_sites: list[str] = field(default_factory=list)
    # True once the reporter (or the operator) chose `tz`, UTC included. The default "UTC" of
    # a reporter who never said is not a fact: their zone-less log times are held unless the
    # alert itself shows its zone (probewatch.zone_evidence).
    tz_declared: bool = False
    # Last reliable measurement of their firewall clock (probewatch.clock_check): seconds
    # ahead (+) or behind (-), when, and how it was measured. While it is over +-5 s their
    # events are held (clock-skew), until a measurement inside +-5 s arrives.
    clock_offset_seconds: float | None = None
    clock_checked_at: str | None = None
    clock_basis: str | None = None

    @property
    def zone_known(self) -> bool:
        return self.tz_declared or self.tz.upper() != "UTC"
