"""The responsible (registrable) domain of a host name, from the offline Public Suffix List.

Only the ICANN section counts: for `ec2-1-2-3-4.compute-1.amazonaws.com` the party that
answers abuse@ is amazonaws.com, not the private sub-suffix the PSL lists for customers.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True)


def registrable_domain(name: str | None) -> str | None:
    """Lower-case registrable domain of `name`, or None for a bare suffix, an IP or nonsense."""
    if not name:
        return None
    cleaned = name.strip().rstrip(".").lower()
    if not cleaned or "." not in cleaned or cleaned.replace(".", "").isdigit():
        return None
    return _psl().privatesuffix(cleaned)
