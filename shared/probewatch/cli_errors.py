"""One line for every error the `probewatch` command can hit: what is wrong, how to fix it.

`explain` turns an exception into that line; probewatch.cli prints it on stderr and exits
non-zero, and `--debug` shows the traceback instead. botocore is imported only when an
error is being explained, so commands that never touch AWS do not pay for it.
"""

from __future__ import annotations

from probewatch.errors import ProbewatchError

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130
DEBUG_HINT = "run again with --debug for the details"

# ClientError codes, and what the operator can do about them.
_CLIENT_HINTS = {
    "ResourceNotFoundException": "check --stack and that the stack is deployed in this region",
    "NonExistentQueue": "check --stack and that the stack is deployed in this region",
    "AWS.SimpleQueueService.NonExistentQueue": "check --stack and the region",
    "ValidationError": "check --stack: no such stack in this region",
    "AccessDenied": "these credentials may not do this; use a role or profile that may",
    "AccessDeniedException": "these credentials may not do this; use a role or profile that may",
    "UnrecognizedClientException": "the credentials are not valid; check AWS_PROFILE or keys",
    "InvalidClientTokenId": "the credentials are not valid; check AWS_PROFILE or keys",
    "ExpiredToken": "the credentials have expired; log in again (e.g. aws sso login)",
    "ExpiredTokenException": "the credentials have expired; log in again (e.g. aws sso login)",
}


def explain(exc: BaseException, command: str) -> str:
    """The one line to print for `exc` raised by `probewatch <command>`."""
    where = f"probewatch {command}" if command else "probewatch"
    return f"{where}: {_what(exc)}"


def _what(exc: BaseException) -> str:
    aws = _aws(exc)
    if aws is not None:
        return aws
    if isinstance(exc, ProbewatchError | ValueError):
        return f"{_one_line(exc)} (see --help)"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"not allowed to read or write {exc.filename}"
    if isinstance(exc, OSError):
        return f"{_one_line(exc)} ({DEBUG_HINT})"
    return f"unexpected {type(exc).__name__}: {_one_line(exc)} ({DEBUG_HINT})"


def _aws(exc: BaseException) -> str | None:
    try:
        from botocore import exceptions as boto
    except ImportError:  # pragma: no cover - botocore is a dependency
        return None
    if isinstance(exc, boto.NoRegionError):
        return "no AWS region set: set AWS_REGION (or AWS_DEFAULT_REGION), or a profile's region"
    if isinstance(exc, boto.NoCredentialsError | boto.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run aws configure"
        )
    if isinstance(exc, boto.EndpointConnectionError | boto.ConnectTimeoutError):
        return (
            f"cannot reach AWS ({_one_line(exc)}): check the network, the region and "
            "AWS_ENDPOINT_URL"
        )
    if isinstance(exc, boto.ProfileNotFound):
        return f"{_one_line(exc)}: check AWS_PROFILE (aws configure list-profiles)"
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "error")
        message = " ".join(str(error.get("Message") or "").split())
        operation = getattr(exc, "operation_name", "") or "the request"
        hint = _CLIENT_HINTS.get(code, DEBUG_HINT)
        return f"AWS refused {operation}: {code}: {message} ({hint})".replace(": :", ":")
    if isinstance(exc, boto.BotoCoreError):
        return f"AWS: {_one_line(exc)} ({DEBUG_HINT})"
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
