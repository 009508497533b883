"""Registry desks (RIR/NIR mailboxes) that never get port-probe reports; list in registry_desks.txt."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def registry_desks() -> frozenset[str]:
    text = files("probewatch").joinpath("registry_desks.txt").read_text(encoding="ascii")
    entries = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(entry for entry in entries if entry)


def is_registry_desk(email: str, responsible_domain: str | None = None) -> bool:
    """True when `email` is a registry desk and the reported network is not the registry's own
    (its responsible domain is neither the desk's domain nor under it)."""
    address = email.strip().lower()
    if address not in registry_desks():
        return False
    desk_domain = address.rsplit("@", 1)[1]
    own = (responsible_domain or "").strip().lower().rstrip(".")
    return not (own == desk_domain or own.endswith("." + desk_domain))
