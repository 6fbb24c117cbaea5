"""Removing secrets from text before it reaches a log, an exception message or the screen."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_KEYS = re.compile(
    r"(pass(word)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|signature|auth|credential|"
    r"session|code|x-amz-[a-z-]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_KEY_VALUE = re.compile(
    r"(?i)\b((?:access_|refresh_|id_)?token|password|pass|secret|api[_-]?key|apikey)"
    r"(\"?\s*[:=]\s*\"?)([^\s\"&,;}]+)"
)
MASK = "***"


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with secret-looking query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if _SECRET_KEYS.search(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_carries_secret(url: str) -> bool:
    """True when ``url`` holds a credential: user info, or a secret-looking query parameter (a
    pre-signed URL's signature, an access token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if "@" in parts.netloc:
        return True
    return any(_SECRET_KEYS.search(key) for key, _ in parse_qsl(parts.query, keep_blank_values=True))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask bearer/basic credentials, ``token=…``-style pairs, URL user info and given ``secrets``."""
    out = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", str(text))
    out = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    out = re.sub(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@", rf"\1{MASK}@", out)
    for secret in secrets:
        if secret and len(secret) >= 3:
            out = out.replace(secret, MASK)
    return out
