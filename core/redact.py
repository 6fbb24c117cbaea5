"""Removing secrets from text before it reaches a log, an exception message, a file or the screen.

One rule decides which URL query parameters are credentials (:func:`is_secret_key`): AWS ``X-Amz-*``,
Google ``X-Goog-*``, Azure SAS ``sig``/``se``/``sp``/``sv``, CloudFront ``Signature``/``Key-Pair-Id``/
``Policy``, ``token``/``access_token``/``apikey`` and other secret-looking names. :func:`redact_url`
masks them and the user info of one URL; :func:`redact` does the same inside free text (URLs or bare
``?a=b&sig=…`` query strings, as urllib3's debug lines print them), plus bearer/basic credentials and
``token: …`` pairs. :class:`RedactingFilter` applies :func:`redact` to every record of a log handler.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_SECRET_KEYS = re.compile(
    r"(pass(word)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|signature|auth|credential|"
    r"session|code|policy|key-pair-id|^x-amz-|^x-goog-)",
    re.IGNORECASE,
)
#: Azure shared-access-signature parameters (short names: matched exactly, not as substrings).
_EXACT_SECRET_KEYS = frozenset({"sig", "se", "sp", "sv", "st", "skoid", "sktid", "skt", "ske", "sks", "skv"})
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_KEY_VALUE = re.compile(
    r"(?i)\b((?:access_|refresh_|id_)?token|password|pass|secret|api[_-]?key|apikey)"
    r"(\"?\s*[:=]\s*\"?)([^\s\"&,;}]+)"
)
#: A query parameter inside free text: after ``?``, ``&`` or ``;``, up to the next separator.
_QUERY_PAIR = re.compile(r"(?<=[?&;])([^=&;?\s\"'<>#]+)=([^&;\s\"'<>#]*)")
_USER_INFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
MASK = "***"


#: Option names that carry a credential (a provider option, a setting): never stored, never queued.
SECRET_OPTION_NAMES = frozenset(
    {"username", "password", "secret", "token", "key", "api_key", "apikey", "accounts"}
)


def is_secret_key(key: str) -> bool:
    """Whether a URL query parameter named ``key`` carries a credential."""
    return key.lower() in _EXACT_SECRET_KEYS or _SECRET_KEYS.search(key) is not None


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with secret query values masked."""
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
        query = urlencode([(k, MASK if is_secret_key(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_carries_secret(url: str) -> bool:
    """True when ``url`` holds a credential: user info, or a secret query parameter (a pre-signed
    URL's signature, an access token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if "@" in parts.netloc:
        return True
    return any(is_secret_key(key) for key, _ in parse_qsl(parts.query, keep_blank_values=True))


def feature_carries_secret(feature: dict[str, Any]) -> bool:
    """Whether any href of a scene feature (assets, alternates, quicklook) holds a credential."""
    hrefs = [feature.get("properties", {}).get("quicklook") or ""]
    for asset in (feature.get("assets") or {}).values():
        hrefs.append(asset.get("href", ""))
        hrefs.extend(alt.get("href", "") for alt in (asset.get("alternate") or {}).values())
    return any(href and url_carries_secret(href) for href in hrefs)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask bearer/basic credentials, ``token=…``-style pairs, secret query parameters of URLs,
    URL user info and the given ``secrets``."""
    out = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", str(text))
    out = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", out)
    out = _QUERY_PAIR.sub(lambda m: f"{m.group(1)}={MASK}" if is_secret_key(m.group(1)) else m.group(0), out)
    out = _USER_INFO.sub(rf"\1{MASK}@", out)
    for secret in secrets:
        if secret and len(secret) >= 3:
            out = out.replace(secret, MASK)
    return out


class RedactingFilter(logging.Filter):
    """A handler filter that formats each record's message and passes it through :func:`redact`
    (e.g. urllib3's ``"GET /b.tif?X-Amz-Signature=… HTTP/1.1" 200`` debug line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_text is None and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
