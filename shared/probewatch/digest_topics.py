"""Which sections the digest shows, in which order, and the log kinds each explains.

To add a section: write one function (facts -> Section or None) in digest_sections or
digest_incidents and add it here with the log kinds it explains. Kinds no topic explains
still reach the reader, under "Other news", with every field they carry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from probewatch.digest_facts import DigestFacts, data, text
from probewatch.digest_incidents import (
    added,
    bounces,
    not_reported,
    reports_sent,
    review,
    still_open,
)
from probewatch.digest_sections import (
    Section,
    abuse_replies,
    clock,
    commands,
    dropped,
    emails,
    numbers,
    zone_unknown,
)


@dataclass(frozen=True)
class Topic:
    build: Callable[[DigestFacts], Section | None]
    kinds: tuple[str, ...] = ()


# In the order the digest shows them, after "In short" and "What needs you".
TOPICS: tuple[Topic, ...] = (
    Topic(numbers),
    Topic(clock),
    Topic(zone_unknown),
    Topic(review, ("held",)),
    Topic(reports_sent, ("report-sent",)),
    Topic(bounces, ("bounce", "rerouted", "undeliverable")),
    Topic(still_open),
    Topic(added, ("added",)),
    Topic(not_reported, ("decision", "opted-out")),
    Topic(dropped, ("filtered",)),
    Topic(emails, ("submission",)),
    Topic(abuse_replies, ("abuse-reply",)),
    Topic(commands, ("command",)),
)
EXPLAINED_KINDS = frozenset(kind for topic in TOPICS for kind in topic.kinds)


def other_news(f: DigestFacts, ignored: frozenset[str]) -> Section | None:
    """Log kinds no topic explains: shown with every field, rather than dropped unseen."""
    lines = [e for e in f.entries if e["kind"] not in EXPLAINED_KINDS | ignored]
    if not lines:
        return None
    rows = []
    for entry in lines:
        fields = "; ".join(
            f"{key.replace('_', ' ')}: {text(value)}" for key, value in sorted(data(entry).items())
        )
        rows.append(
            [entry["kind"].replace("-", " ").capitalize(), fields or "-", f.when(entry["time"])]
        )
    return Section("Other news", columns=["What", "Details", "When"], rows=rows)
