"""The project's exception hierarchy: callers catch what they can act on."""


class ProbewatchError(Exception):
    """Base of every error probewatch raises on purpose."""


class ConfigError(ProbewatchError):
    """A setting is missing or malformed; raised at cold start, naming the setting."""


class ParseError(ProbewatchError):
    """Input could not be understood."""


class UnknownFormat(ParseError):
    """No parser recognised the text."""


class MailRejected(ParseError):
    """An email cannot be processed (too large, too deep, not authenticated...); `reason` says why."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class StoreError(ProbewatchError):
    """DynamoDB refused or failed a request."""


class AlreadyStored(StoreError):
    """A conditional write found the item already there: the work was done before."""


class LookupFailed(ProbewatchError):
    """A DNS or RDAP lookup failed in a way worth retrying later (timeout, throttle, 5xx)."""
