"""What a failed request ran into: user-facing words for requests/urllib3 failures, whether a request
certainly never reached the server, whether a nearby host refused it, and whether a body was cut short
(under urllib3 1.26 and 2.x alike)."""

from __future__ import annotations

import http.client
import ipaddress
import re
from urllib.parse import urlsplit

import requests
import urllib3

_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def failure_text(exc: requests.RequestException) -> str:
    """What a failed request ran into, in words a user can act on (not urllib3's nested reprs)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the connection timed out (is the server up and reachable from here?)"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "the server stopped answering (read timeout); try again later"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS/SSL error: {exc}"
    if isinstance(exc, requests.exceptions.ConnectionError):
        match = _ERRNO_TEXT.search(str(exc))
        if match:
            return (
                f"cannot connect: {match.group(1).strip()} "
                "(check the URL, the network connection and any proxy setting)"
            )
        if "RemoteDisconnected" in str(exc) or "aborted" in str(exc):
            return "the server closed the connection without answering; try again later"
    return str(exc)


def truncation(exc: BaseException) -> str:
    """ "N of M bytes" when ``exc`` (or an exception it wraps) is a body cut short, else "".

    urllib3 2.x raises ``IncompleteRead(bytes read, bytes missing)`` wrapped in ``ProtocolError`` and
    requests' ``ChunkedEncodingError``; http.client's own ``IncompleteRead`` carries the partial bytes.
    """
    seen: set[int] = set()
    pending: list[object] = [exc]
    while pending:
        item = pending.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, http.client.IncompleteRead):
            got = item.partial if isinstance(item.partial, int) else len(item.partial)
            missing = item.expected if isinstance(item.expected, int) else None
            return f"{got} of {got + missing} bytes" if missing is not None else f"{got} bytes, then cut"
        pending.extend([*item.args, item.__cause__, item.__context__])
    return ""


def never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server (so even a POST may be repeated)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def refused_nearby(exc: requests.RequestException, url: str) -> bool:
    """True for a connection refused by a loopback or private-network host (a server that is not running
    there; retrying does not start it)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if not isinstance(reason, urllib3.exceptions.NewConnectionError):
        return False
    cause = reason.__cause__ or reason.__context__
    if not isinstance(cause, ConnectionRefusedError) and "refused" not in str(reason).lower():
        return False
    host = (urlsplit(getattr(exc.request, "url", None) or url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local
