"""HTTP GETs bounded by one total deadline, not a per-read timeout.

A socket timeout bounds each read; a server that drips one byte every 2 s never trips a 5 s
read timeout and kept one RDAP lookup busy for 122 s. Here the whole request (connect, headers,
body) shares one deadline: the connect gets what is left of it, and a watchdog timer shuts the
socket down when it passes, which makes any blocked read return at once. (A TLS handshake is
bounded by the per-read timeout only: the watchdog can take over the socket once it exists.)
Bodies are capped too, so a server cannot make us hold an unbounded answer.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any

# RDAP answers are a few KB; the largest recorded one is ~60 KB.
MAX_BODY_BYTES = 2 * 1024 * 1024
_CHUNK = 64 * 1024


class DeadlineExceeded(TimeoutError):
    """The request as a whole took longer than its deadline."""


class BodyTooLarge(ValueError):
    """The answer was larger than MAX_BODY_BYTES."""


class Deadline:
    """One request's deadline and the watchdog that enforces it on the sockets it watches."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self) -> None:
        if self.expired or self.remaining() <= 0:
            self.expired = True
            raise DeadlineExceeded(f"no complete answer within {self.seconds:g}s")

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self._timer is None:
                self._timer = threading.Timer(max(0.0, self.remaining()), self._expire)
                self._timer.daemon = True
                self._timer.start()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                # socket.socket's own shutdown, also for an SSLSocket: it only ends the
                # transport, the reading thread then sees EOF or an error and returns.
                with contextlib.suppress(OSError):  # already closed
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _DeadlineConnection:
    """Mixed into http.client's connections: connect within, and watch, the deadline."""

    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def connect(self) -> None:
        self._deadline.check()
        # http.client's own attributes, set on the instance (a mixin cannot type them).
        fields = self.__dict__
        timeout = fields.get("timeout")
        limit = self._deadline.remaining()
        fields["timeout"] = min(limit, timeout) if isinstance(timeout, int | float) else limit
        super().connect()  # type: ignore[misc]
        self._deadline.watch(fields["sock"])


class _HTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        cls = functools.partial(_HTTPConnection, deadline=self._deadline)
        return self.do_open(cls, req)  # type: ignore[arg-type]


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        cls = functools.partial(_HTTPSConnection, deadline=self._deadline)
        return self.do_open(cls, req, context=getattr(self, "_context", None))  # type: ignore[arg-type]


class DeadlineResponse:
    """The response, read whole within the deadline; closing it stops the watchdog."""

    def __init__(self, response: Any, deadline: Deadline) -> None:
        self._response = response
        self._deadline = deadline

    def read(self) -> bytes:
        return read_with_deadline(self._response, self._deadline)

    def __enter__(self) -> DeadlineResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        self._deadline.cancel()
        self._response.close()


def read_with_deadline(response: Any, deadline: Deadline) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        deadline.check()
        try:
            chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        except (OSError, http.client.HTTPException):
            deadline.check()  # a read the watchdog cut short is a timeout, not a reset
            raise
        if not chunk:
            deadline.check()  # the watchdog's shutdown also looks like a clean EOF
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge(f"answer larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)


def urlopen(request: urllib.request.Request, timeout: float) -> DeadlineResponse:
    """Like urllib.request.urlopen, but `timeout` bounds the whole request (module docstring)."""
    deadline = Deadline(timeout)
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError:
        deadline.cancel()
        raise
    except (OSError, http.client.HTTPException):
        deadline.cancel()
        deadline.check()  # cut short by the watchdog while reading headers: say so
        raise
    except BaseException:
        deadline.cancel()
        raise
    return DeadlineResponse(response, deadline)
