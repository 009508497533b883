"""One scheduled aggregate run: due sources -> incidents -> filters -> evidence -> backtrace ->
dedupe -> send queue (or a review hold). The rules themselves are pure (aggregate, filters,
evidence); this module only orders them and does the I/O.

Cost: the run reads the ACTIVE work list (one Query per shard, only items due by now), then
per due source one Query (its 72-hour window plus its current-incident pointer), at most one
GetItem (the incident) and a few writes. Nothing depends on how many events or sources the
table holds overall, and there is no Scan.

Safety when runs overlap: every incident save expects the version it read, so of two runs
that both finalize an incident exactly one saves it, and only the one that saved enqueues.
A run stops starting new sources at `time_budget_seconds`; what it left stays due, and the
next run (15 minutes later) continues from there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from probewatch.aggregate import (
    WINDOW,
    assign_events,
    close_due,
    distinct_events,
    final_due,
    finalize_reason,
    in_window,
    mark_final,
    mark_logged,
    merge_outcomes,
    next_look,
    summarize,
    unlogged_filtered,
)
from probewatch.config import AggregateSettings
from probewatch.errors import LookupFailed
from probewatch.evidence import EvidenceRules, judge_evidence
from probewatch.filters import (
    BACKTRACE_RULES,
    EVENT_RULES,
    FilterOutcome,
    apply_rules,
    source_facts,
)
from probewatch.model import Incident, ProbeEvent, Reporter, iso_z
from probewatch.observability import logger
from probewatch.send_queue import enqueue_send
from probewatch.store import incidents as store
from probewatch.store.reporters import append_log, list_reporters

# Leave this much of the budget for finishing the source in hand and the closing pass.
_BUDGET_MARGIN = 0.1


@dataclass
class RunSummary:
    due: int = 0  # sources due at the start of the run
    processed: int = 0
    deferred: int = 0  # left for the next run by the time budget
    opened: int = 0
    finalized: int = 0
    queued: int = 0
    held: int = 0
    not_reported: int = 0
    lookup_pending: int = 0
    conflicts: int = 0  # another writer saved first; this run stepped back
    closed: int = 0
    errors: int = 0
    filtered: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_aggregate(settings: AggregateSettings, now: datetime, backtracer: Any = None) -> RunSummary:
    """Process every source due by `now`, then close incidents quiet for 7 days.

    `backtracer` (probewatch.backtrace.Backtracer or a stand-in with `.trace(ip)`) is built
    from the settings only when an incident actually needs one.
    """
    run = _Run(settings, now, backtracer)
    deadline = time.monotonic() + settings.time_budget_seconds * (1 - _BUDGET_MARGIN)
    due = list(store.due_sources(settings.table_name, now))
    run.summary.due = len(due)
    for position, item in enumerate(due):
        if time.monotonic() >= deadline:
            run.summary.deferred = len(due) - position
            logger.info(
                "aggregate: time budget used, the next run continues",
                extra={"deferred": run.summary.deferred},
            )
            break
        run.process_source(item)
    if time.monotonic() < deadline:
        run.close_quiet_incidents(deadline)
    logger.info("aggregate run", extra={"summary": run.summary.to_dict()})
    return run.summary


class _Run:
    def __init__(self, settings: AggregateSettings, now: datetime, backtracer: Any) -> None:
        self.settings = settings
        self.table = settings.table_name
        self.now = now
        self._backtracer = backtracer
        self._reporters: dict[str, Reporter] | None = None
        self.summary = RunSummary()
        self.quiet = timedelta(minutes=settings.quiet_minutes)
        self.age = timedelta(hours=settings.finalize_after_hours)
        self.requeue = timedelta(minutes=settings.requeue_after_minutes)
        self.rules = EvidenceRules.from_settings(settings)

    # --- per source ----------------------------------------------------------------------

    def process_source(self, item: store.DueItem) -> None:
        ip = item.key
        try:
            store.set_next_look(self.table, item, self._source(ip))
        except store.IncidentChanged as exc:
            # Another run (or the send function, or a CANCEL) got there first: its result
            # stands; the source stays due and the next run looks again.
            self.summary.conflicts += 1
            logger.info("aggregate: incident changed meanwhile", extra={"ip": ip, "why": str(exc)})
            return
        except Exception:  # one bad source must not stall every other one
            self.summary.errors += 1
            logger.exception("aggregate: source failed; it stays due", extra={"ip": ip})
            return
        self.summary.processed += 1

    def _source(self, ip: str) -> datetime | None:
        """Bring the source's incidents up to date; return when to look again (None: never,
        until new events arrive)."""
        window = store.load_source_window(self.table, ip, self.now - WINDOW)
        events = distinct_events(in_window(window.events, self.now))
        current = store.get_incident(self.table, window.incident_id) if window.incident_id else None
        if current is not None:
            self._advance_final(current)
        plan = assign_events(ip, current, events, self.now)
        if plan.changed_previous is not None and self._save_quietly(plan.changed_previous):
            self._log_absorbed(plan.changed_previous, plan.absorbed)
        incident = plan.incident
        if incident is not None:
            self._work(incident, plan.events)
        looks = [t for t in (self._look(current), self._look(incident)) if t is not None]
        return min(looks) if looks else None

    def _look(self, incident: Incident | None) -> datetime | None:
        return next_look(incident, self.quiet, self.age, self.requeue)

    def _advance_final(self, incident: Incident) -> None:
        """A held incident whose review window is over goes to the send queue; a queued one
        nobody picked up is enqueued again (the send function sends each attempt once)."""
        if incident.status == "held" and incident.hold_until and self.now >= incident.hold_until:
            self._enqueue(incident, reason="review window over, nobody cancelled")
        elif incident.status == "queued":
            due = self._look(incident)
            if due is not None and self.now >= due:
                self._enqueue(incident, reason="enqueued again: the send function had not taken it")

    def _work(self, incident: Incident, events: Sequence[ProbeEvent]) -> None:
        is_new = incident.version == 0
        reporters = self.reporters()
        first = apply_rules(events, reporters, source_facts(events), EVENT_RULES)
        summarize(incident, first.kept, first.dropped, reporters)
        dropped: Mapping[str, list[ProbeEvent]] = first.dropped
        final = finalize_reason(incident, self.now, self.quiet, self.age)
        if final is None:
            due = final_due(incident, self.quiet, self.age)
            incident.decision = f"collecting events; final at {iso_z(due)} unless more arrive"
        else:
            dropped = self._finalize(incident, first.kept, first.dropped, final, reporters)
        # Count each dropped event once in the reporters' logs, even though filters run on
        # every pass: what is logged is remembered in the incident, saved in the same write.
        delta = unlogged_filtered(incident)
        mark_logged(incident, delta)
        self._save(incident, is_new)  # raises IncidentChanged if another writer was first
        self._count_decision(incident)
        if incident.status == "queued":
            enqueue_send(self.settings.send_queue_url, incident.incident_id, 0)
        elif incident.status == "held" and incident.review_notified_at is None:
            self._notify_reviewers(incident)
        self._log_filtered(incident, delta, dropped)
        if incident.status != "open":
            self._log_decision(incident, events)

    def _finalize(
        self,
        incident: Incident,
        kept: list[ProbeEvent],
        dropped: dict[str, list[ProbeEvent]],
        why_final: str,
        reporters: Mapping[str, Reporter],
    ) -> dict[str, list[ProbeEvent]]:
        """Decide the final incident's fate; returns every dropped event by reason."""
        verdict = judge_evidence(kept, self.rules)
        incident.evidence = verdict.label
        incident.evidence_code, incident.evidence_reason = verdict.code, verdict.reason
        if not kept and not dropped:
            self._not_reported(incident, "expired", "its events aged past 72 hours first")
            return dropped
        if not kept:
            self._all_filtered(incident)
            return dropped
        if not verdict.reportable:
            self._not_reported(incident, verdict.code, verdict.reason)
            return dropped
        try:
            trace = self.backtracer().trace(incident.src_ip)
        except LookupFailed as exc:
            incident.decision = (
                f"final ({why_final}); waiting for a failed lookup to succeed: {exc}"
            )
            incident.decision_code = "lookup-pending"
            return dropped
        if not trace.reportable:
            self._not_reported(
                incident,
                "special-purpose-source",
                f"the backtrace refuses this address: {trace.reason}",
            )
            return dropped
        incident.ptr = trace.ptr
        incident.network = dict(trace.network or {})
        incident.contacts = list(trace.contacts or [])
        facts = source_facts(
            kept, ptr=trace.ptr, ptr_confirmed=trace.ptr is not None, network=incident.network
        )
        second = apply_rules(kept, reporters, facts, BACKTRACE_RULES)
        merged = merge_outcomes(FilterOutcome(kept, dropped), second)
        summarize(incident, second.kept, merged, reporters)
        verdict = judge_evidence(second.kept, self.rules)
        incident.evidence = verdict.label
        incident.evidence_code, incident.evidence_reason = verdict.code, verdict.reason
        if not second.kept:
            self._all_filtered(incident)
        elif not verdict.reportable:
            self._not_reported(incident, verdict.code, verdict.reason)
        elif not incident.contacts:
            self._not_reported(incident, "no-contact", "no abuse mailbox found for this source")
        elif not store.claim_dedupe(
            self.table,
            incident.src_ip,
            incident.contacts[0].email,
            incident.incident_id,
            self.now,
            WINDOW,
        ):
            self._not_reported(
                incident,
                "duplicate",
                f"{incident.contacts[0].email} already had a report about "
                f"{incident.src_ip} within 72 hours",
            )
        elif any(reporters.get(r) is not None and reporters[r].review for r in incident.reporters):
            hold = timedelta(hours=self.settings.review_hold_hours)
            mark_final(
                incident,
                "held",
                "held-for-review",
                f"reportable ({verdict.reason}); held for review until {iso_z(self.now + hold)}",
                self.now,
            )
            incident.hold_until = self.now + hold
        else:
            mark_final(incident, "queued", verdict.code, f"reported: {verdict.reason}", self.now)
            incident.queued_at = self.now
            incident.enqueue_count += 1
        return merged

    def _notify_reviewers(self, incident: Incident) -> None:
        """At once, not only in the digest: the report waits for the reporter's CANCEL."""
        from probewatch.review_notice import notify_reviewers

        sender = getattr(self.settings, "sender_address", None)
        if notify_reviewers(self.table, sender, incident, self.reporters(), self.now):
            incident.review_notified_at = self.now
            self._save_quietly(incident)

    def _count_decision(self, incident: Incident) -> None:
        if incident.status == "open":
            self.summary.lookup_pending += incident.decision_code == "lookup-pending"
            return
        self.summary.finalized += 1
        if incident.status == "queued":
            self.summary.queued += 1
        elif incident.status == "held":
            self.summary.held += 1
        else:
            self.summary.not_reported += 1

    def _not_reported(self, incident: Incident, code: str, reason: str) -> None:
        mark_final(incident, "not-reported", code, f"not reported: {reason}", self.now)

    def _all_filtered(self, incident: Incident) -> None:
        counts = ", ".join(f"{code} {n}" for code, n in incident.filtered.items())
        self._not_reported(
            incident, "filtered", f"every event matched a false-positive rule: {counts}"
        )

    # --- writes --------------------------------------------------------------------------

    def _save(self, incident: Incident, is_new: bool) -> None:
        try:
            store.save_incident(self.table, incident)
        except store.IncidentChanged:
            if is_new:
                # Same deterministic id written before: by an overlapping run, or by a run
                # that stopped before it set the pointer. Point at it; the next run resumes.
                store.set_current_incident(self.table, incident.src_ip, incident.incident_id)
            raise
        if is_new:
            store.set_current_incident(self.table, incident.src_ip, incident.incident_id)
            self.summary.opened += 1

    def _enqueue(self, incident: Incident, reason: str) -> None:
        mailbox = incident.contacts[0].email if incident.contacts else None
        if mailbox and not store.claim_dedupe(
            self.table, incident.src_ip, mailbox, incident.incident_id, self.now, WINDOW
        ):
            mark_final(
                incident,
                "not-reported",
                "duplicate",
                f"not reported: {mailbox} already had a report about {incident.src_ip} "
                "within 72 hours",
                self.now,
            )
            store.save_incident(self.table, incident)
            self.summary.not_reported += 1
            return
        incident.status = "queued"
        incident.decision = f"{incident.decision}; {reason}"
        incident.queued_at = self.now
        incident.enqueue_count += 1
        store.save_incident(self.table, incident)  # only the run that saved goes on to send
        enqueue_send(self.settings.send_queue_url, incident.incident_id, 0)
        self.summary.queued += 1

    def _save_quietly(self, incident: Incident) -> bool:
        """Record later activity on a final incident (it delays closing); losing this write
        to a concurrent one costs nothing that the next run will not redo."""
        try:
            store.save_incident(self.table, incident)
        except store.IncidentChanged:
            logger.info(
                "aggregate: activity note skipped", extra={"incident": incident.incident_id}
            )
            return False
        return True

    def _log_absorbed(self, incident: Incident, absorbed: Sequence[ProbeEvent]) -> None:
        """Tell each reporter that events of theirs joined an incident already final: they
        are in no report and no second report goes out. Logged only after the save that
        moved last_activity past them, so a later run does not count them again."""
        counts: dict[str, int] = {}
        for event in absorbed:
            email = (event.reporter or "").lower()
            if email:
                counts[email] = counts.get(email, 0) + 1
        newest = iso_z(incident.last_activity) or ""
        for email, n in sorted(counts.items()):
            data = {
                "incident_id": incident.incident_id,
                "src_ip": incident.src_ip,
                "status": incident.status,
                "events": n,
            }
            append_log(self.table, email, self.now, "added", f"{incident.incident_id}-{newest}", data)

    def _log_filtered(
        self,
        incident: Incident,
        delta: Mapping[str, Mapping[str, int]],
        dropped: Mapping[str, list[ProbeEvent]],
    ) -> None:
        """Tell each reporter what of theirs was dropped, why, and one line of theirs each."""
        for email, counts in delta.items():
            for code, n in counts.items():
                self.summary.filtered[code] = self.summary.filtered.get(code, 0) + n
            if not email:
                continue
            examples = {code: _example(dropped.get(code, []), email) for code in counts}
            append_log(
                self.table,
                email,
                self.now,
                "filtered",
                incident.incident_id,
                {
                    "incident_id": incident.incident_id,
                    "src_ip": incident.src_ip,
                    "counts": dict(counts),
                    "examples": examples,
                },
            )

    def _log_decision(self, incident: Incident, events: Sequence[ProbeEvent]) -> None:
        kind = "held" if incident.status == "held" else "decision"
        data: dict[str, Any] = {
            "incident_id": incident.incident_id,
            "src_ip": incident.src_ip,
            "status": incident.status,
            "code": incident.decision_code,
            "reason": incident.decision,
            "events": incident.event_count,
            "evidence": incident.evidence,
        }
        if incident.status == "held":
            data["hold_until"] = iso_z(incident.hold_until)
            data["cancel"] = f"CANCEL {incident.incident_id}"
        carrying = set(incident.reporters)
        for email in sorted({(e.reporter or "").lower() for e in events} - {""}):
            if incident.status in ("queued", "held") and email not in carrying:
                # Every event of theirs was filtered out (their "filtered" line says why): the
                # report rests on others' evidence, so it is not theirs to wait for or cancel.
                # The digest shows no incident for this status, only the dropped events.
                mine = {**data, "status": "filtered", "code": "filtered"}
                mine["reason"] = "every event of yours matched a false-positive rule"
                append_log(self.table, email, self.now, "decision", incident.incident_id, mine)
                continue
            append_log(self.table, email, self.now, kind, incident.incident_id, data)

    # --- closing -------------------------------------------------------------------------

    def close_quiet_incidents(self, deadline: float) -> None:
        for item in store.due_closings(self.table, self.now):
            if time.monotonic() >= deadline:
                return
            incident = store.get_incident(self.table, item.key)
            if incident is None:
                continue
            due = close_due(incident)
            if due is None or due > self.now:
                continue  # activity or a status change moved it meanwhile
            incident.status = "closed"
            incident.closed_at = self.now
            incident.decision = f"{incident.decision}; closed after 7 quiet days"
            try:
                store.save_incident(self.table, incident)
            except store.IncidentChanged:
                continue
            self.summary.closed += 1

    # --- collaborators -------------------------------------------------------------------

    def reporters(self) -> dict[str, Reporter]:
        if self._reporters is None:
            self._reporters = {r.email.lower(): r for r in list_reporters(self.table)}
        return self._reporters

    def backtracer(self) -> Any:
        if self._backtracer is None:
            # Imported here: a run with nothing final never loads ipwhois or dnspython.
            from probewatch.backtrace import Backtracer

            self._backtracer = Backtracer.from_settings(self.settings)
        return self._backtracer


def _example(events: Sequence[ProbeEvent], email: str) -> str:
    """One of the reporter's own dropped lines (never another reporter's)."""
    return next((e.raw for e in events if (e.reporter or "").lower() == email), "")
