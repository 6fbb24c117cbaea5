"""The one HTTP client every provider and the download engine use (on ``requests``).

:class:`HttpClient` adds to ``requests``: bounded retries with exponential back-off and jitter on
connection errors, timeouts, 5xx and 429 (honouring ``Retry-After`` in seconds or as an HTTP date),
authentication sent only to the auth's allowed hosts (and never after a redirect from https to plain
http), redirects followed here so that credentials and sensitive caller headers never reach another
origin, one token refresh on 401, shared rate limiters and concurrency caps, and errors from
:mod:`scene_picker.core.errors` with secrets removed.

A streamed response (``stream=True``) holds its concurrency slot until it is closed: use it in a
``with`` block.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Mapping, Optional
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ..__version__ import __version__
from .auth import Auth, login_command
from .cancel import CancelToken
from .errors import (
    AuthenticationError,
    HttpStatusError,
    NetworkError,
    ProviderResponseError,
    RetriesExhaustedError,
    UsageError,
)
from .http_failures import failure_text, never_sent, refused_nearby, truncation
from .network import DIRECT, NetworkConfig
from .ratelimit import ConcurrencyLimiter, RateLimiter
from .redact import redact, redact_url

log = logging.getLogger(__name__)


class _RedactingFilter(logging.Filter):
    """Masks secrets in records of loggers we do not control (urllib3 logs full URLs at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


for _name in ("urllib3.connectionpool", "urllib3.connection", "urllib3.response", "requests"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, _RedactingFilter) for f in _logger.filters):
        _logger.addFilter(_RedactingFilter())

USER_AGENT = f"scene-picker/{__version__} (+QGIS plugin; python-requests/{requests.__version__})"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Caller headers that only go to the origin of the first URL (dropped on a cross-origin redirect).
_SENSITIVE_HEADER = re.compile(r"(?i)authorization|cookie|token|key|secret|auth|session|signature|password")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry transient failures.

    Attempt ``n`` (1-based) that failed waits ``min(backoff_max, backoff_base * 2**(n-1))``, of which the
    fraction ``jitter`` is random; a ``Retry-After`` header replaces that wait. A server asking to wait
    longer than ``max_retry_after`` ends the retries at once. ``sleep`` replaces the (cancellable) wait,
    for tests.
    """

    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    max_retry_after: float = 300.0
    sleep: Optional[Callable[[float], None]] = None
    #: Retry a connection refused by a loopback/private-network host (nothing listens there: by default
    #: the first refusal ends the request at once instead of after seconds of back-off).
    retry_refused_nearby: bool = False

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2 ** max(0, attempt - 1)))
        return delay * (1 - self.jitter) + delay * self.jitter * random.random()

    def wait(self, seconds: float, cancel: Optional[CancelToken]) -> None:
        """Wait ``seconds`` (through ``sleep`` when given), ending early with CancelledError."""
        if self.sleep is not None:
            self.sleep(seconds)
        elif cancel is not None:
            cancel.wait(seconds)
        else:
            threading.Event().wait(seconds)
        if cancel is not None:
            cancel.raise_if_cancelled()


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP-date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def same_origin(url_a: str, url_b: str) -> bool:
    """True when both URLs have the same scheme, host and port."""
    a, b = urlsplit(url_a), urlsplit(url_b)
    ports = {"http": 80, "https": 443}
    try:
        port_a = a.port or ports.get(a.scheme)
        port_b = b.port or ports.get(b.scheme)
    except ValueError:
        return False
    return (a.scheme, (a.hostname or "").lower(), port_a) == (b.scheme, (b.hostname or "").lower(), port_b)


class HttpClient:
    """Retrying, rate-limited, auth-aware HTTP; thread-safe (one pooled ``requests.Session``).

    ``name`` (e.g. the provider's) prefixes error messages; ``provider`` (its registry key) is named in
    the "scene-picker login …" hint when the credentials are refused. ``rate_limiter`` and
    ``concurrency`` may be shared between clients (see :mod:`scene_picker.core.ratelimit`).
    """

    def __init__(
        self,
        auth: Optional[Auth] = None,
        rate_limiter: Optional[RateLimiter] = None,
        retry: Optional[RetryPolicy] = None,
        timeout: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        concurrency: Optional[ConcurrencyLimiter] = None,
        *,
        name: Optional[str] = None,
        provider: Optional[str] = None,
        max_redirects: int = 10,
        pool_size: int = 16,
        network: Optional[NetworkConfig] = None,
    ) -> None:
        network = network or DIRECT
        self.auth = auth
        self.rate_limiter = rate_limiter or network.rate_limiter
        self.retry = retry or network.retry or RetryPolicy()
        self.timeout = timeout or network.timeout or (10.0, 60.0)
        self.headers = dict(headers or {})
        self.concurrency = concurrency
        self.name = name
        #: The provider's registry key (``planet``), named in "scene-picker login …" hints.
        self.provider = provider
        self.max_redirects = max_redirects
        self.session = requests.Session()
        self.session.headers["User-Agent"] = network.user_agent or USER_AGENT
        self.session.proxies.update(network.proxies)
        adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    # -- public API ---------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        accept_status: Collection[int] = (),
        cancel: Optional[CancelToken] = None,
        idempotent: Optional[bool] = None,
        origin: Optional[str] = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send a request and return the final (non-redirect) response.

        Statuses >= 400 not in ``accept_status`` raise :class:`HttpStatusError` (or
        :class:`AuthenticationError` for a 401 with credentials); transient failures are retried per
        :attr:`retry` and end in :class:`RetriesExhaustedError`. A 401 or 403 to a request that
        carried credentials makes the auth refresh once (``Auth.refresh()``) and the request repeat.
        ``idempotent`` (default: by method) says whether a request whose sending may have reached the
        server can be repeated. ``origin`` (default: ``url``) is the URL whose origin the caller's
        sensitive headers belong to: a client that goes straight to where an earlier request was
        redirected passes the original URL, so those headers stay behind.
        ``kwargs`` go to ``requests`` (``params``, ``data``, ``json``, ``stream``, ``timeout``...).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        kwargs.setdefault("timeout", self.timeout)
        policy = self.retry
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if cancel is not None:
                cancel.raise_if_cancelled()
            release = self._acquire_slot(cancel)
            try:
                response, auth_used = self._send(method, url, headers, kwargs, cancel, origin or url)
            except requests.RequestException as exc:
                release()
                if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
                    raise UsageError(f"Invalid URL {redact_url(url)}: {self._clean(exc)}") from None
                if isinstance(exc, requests.exceptions.InvalidSchema):
                    raise UsageError(f"Unsupported URL scheme in {redact_url(url)}.") from None
                cut = truncation(exc)
                if cut:  # urllib3 2 raises on a short body where 1.26 returns it: one error for both
                    raise ProviderResponseError(
                        f"{self._prefix()}{redact_url(url)} sent a truncated answer ({cut}).",
                        provider=self.name,
                    ) from None
                retryable = idempotent or never_sent(exc)
                if not policy.retry_refused_nearby and refused_nearby(exc, url):
                    retryable = False
                if not retryable or attempt >= policy.max_attempts:
                    raise RetriesExhaustedError(
                        f"{self._prefix()}{method} {redact_url(url)} failed after {attempt} "
                        f"tr{'y' if attempt == 1 else 'ies'}: {self._clean(failure_text(exc))}"
                    ) from None
                delay = policy.backoff(attempt)
                log.info("%s %s: %s; retrying in %.1fs", method, redact_url(url), self._clean(exc), delay)
                policy.wait(delay, cancel)
                continue
            except BaseException:
                release()  # cancelled while waiting for the rate limit, or an unexpected failure
                raise
            status = response.status_code
            if status in (401, 403) and auth_used and not refreshed and self.auth is not None:
                # Some services answer an expired token with 403: one refresh tells them apart.
                refreshed = True
                if self.auth.refresh():
                    response.close()
                    release()
                    attempt -= 1  # a refresh is not a failed try
                    continue
            retryable = status in policy.retry_statuses and status not in accept_status
            if retryable and (idempotent or status in (429, 503)):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                response.close()
                release()
                reason = f"HTTP {status}"
                if attempt >= policy.max_attempts:
                    raise RetriesExhaustedError(
                        f"{self._prefix()}{method} {redact_url(url)} still answered {reason} after "
                        f"{attempt} tries; try again later."
                    )
                if retry_after is not None and retry_after > policy.max_retry_after:
                    raise RetriesExhaustedError(
                        f"{self._prefix()}{redact_url(url)} answered {reason} and asks to wait "
                        f"{retry_after:.0f} s; try again later."
                    )
                delay = retry_after if retry_after is not None else policy.backoff(attempt)
                log.info("%s %s: %s; retrying in %.1fs", method, redact_url(url), reason, delay)
                policy.wait(delay, cancel)
                continue
            if status >= 400 and status not in accept_status:
                try:
                    raise self._status_error(method, response, auth_used)
                finally:
                    response.close()
                    release()
            if kwargs.get("stream"):
                _release_on_close(response, release)
            else:
                release()
                if method != "HEAD":
                    self._refuse_truncated(response)
            return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON answer, refusing HTML pages and truncated bodies with
        :class:`ProviderResponseError`."""
        headers = {"Accept": "application/json", **dict(kwargs.pop("headers", None) or {})}
        kwargs.pop("stream", None)
        response = self.request(method, url, headers=headers, **kwargs)
        return self.decode_json(response)

    def get_json(self, url: str, params: Optional[Mapping[str, Any]] = None, **kwargs: Any) -> Any:
        """GET ``url`` and decode its JSON answer (see :meth:`request_json`)."""
        return self.request_json("GET", url, params=params, **kwargs)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------------
    def _prefix(self) -> str:
        return f"{self.name}: " if self.name else ""

    def _secrets(self) -> tuple[str, ...]:
        return tuple(self.auth.secrets) if self.auth is not None else ()

    def _clean(self, exc: BaseException | str) -> str:
        return redact(str(exc), self._secrets())[:300]

    def _acquire_slot(self, cancel: Optional[CancelToken]) -> Callable[[], None]:
        limiter = self.concurrency
        if limiter is None:
            return _noop
        limiter.acquire(cancel)
        released = threading.Lock()

        def release() -> None:
            if released.acquire(blocking=False):
                limiter.release()

        return release

    def _send(
        self,
        method: str,
        url: str,
        caller_headers: Optional[Mapping[str, str]],
        kwargs: dict[str, Any],
        cancel: Optional[CancelToken],
        first_url: str,
    ) -> tuple[requests.Response, bool]:
        """One try: send and follow redirects ourselves; returns the response and whether credentials
        were sent with its request. Sensitive caller headers go only to ``first_url``'s origin."""
        current, current_method, body = url, method, dict(kwargs)
        for _hop in range(self.max_redirects + 1):
            headers = dict(self.headers)
            headers.update(caller_headers or {})
            if not same_origin(current, first_url):
                headers = {k: v for k, v in headers.items() if not _SENSITIVE_HEADER.search(k)}
            # Wait for the rate limit *before* asking for credentials: a short-lived token fetched
            # before a long wait could expire before the request leaves.
            if self.rate_limiter is not None:
                self.rate_limiter.acquire(cancel)
            auth_headers = {}
            if self.auth is not None and not _downgraded(first_url, current):
                auth_headers = self.auth.headers_for(current)
            headers.update(auth_headers)
            response = self.session.request(
                current_method, current, headers=headers, allow_redirects=False, **body
            )
            log.debug("%s %s -> %s", current_method, redact_url(current), response.status_code)
            location = response.headers.get("Location")
            if response.status_code not in REDIRECT_STATUSES or not location:
                return response, bool(auth_headers)
            response.close()
            current = urljoin(current, location)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and current_method == "POST"
            ):
                current_method = "GET" if current_method != "HEAD" else "HEAD"
                for key in ("data", "json", "files"):
                    body.pop(key, None)
            if "params" in body:
                body.pop("params")  # already part of the redirect target
        raise NetworkError(
            f"{self._prefix()}{redact_url(url)} redirected more than {self.max_redirects} times."
        )

    def _status_error(self, method: str, response: requests.Response, auth_used: bool) -> Exception:
        status = response.status_code
        url = redact_url(response.url or "")
        snippet = _body_snippet(response)
        detail = redact(snippet, self._secrets())
        if status == 401 and auth_used:
            return AuthenticationError(
                f"{self._prefix()}{url} refused the credentials (HTTP 401){': ' + detail if detail else ''}."
                f" Check the stored account ({login_command(self.provider)})."
            )
        hint = {
            401: " This resource needs credentials.",
            403: " Access is forbidden for this account (rights, quota or licence).",
            404: " The resource does not exist (any more).",
        }.get(status, "")
        message = f"{self._prefix()}{method} {url} answered HTTP {status} {response.reason or ''}".rstrip()
        if detail:
            message += f": {detail}"
        return HttpStatusError(message + "." + hint, status=status, url=url)

    def _refuse_truncated(self, response: requests.Response) -> None:
        """Raise :class:`ProviderResponseError` when a read body is shorter than its Content-Length
        (urllib3 1.26 returns such a body; 2.x raises, see :func:`.http_failures.truncation`)."""
        declared = response.headers.get("Content-Length")
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if not declared or not declared.isdigit() or encoded or response.status_code in (204, 304):
            return
        if int(declared) != len(response.content):
            raise ProviderResponseError(
                f"{self._prefix()}{redact_url(response.url or '')} sent a truncated answer "
                f"({len(response.content)} of {declared} bytes).",
                provider=self.name,
            )

    def decode_json(self, response: requests.Response) -> Any:
        """Decode a response's JSON body, refusing HTML pages, truncated and malformed bodies with
        :class:`ProviderResponseError` (for callers that also need the response's headers)."""
        url = redact_url(response.url or "")
        content_type = response.headers.get("Content-Type", "").lower()
        content = response.content
        if "html" in content_type or content.lstrip()[:1] == b"<":
            raise ProviderResponseError(
                f"{self._prefix()}{url} answered an HTML page instead of JSON "
                "(the service may be down or under maintenance).",
                provider=self.name,
            )
        self._refuse_truncated(response)
        try:
            return response.json()
        except ValueError:
            raise ProviderResponseError(
                f"{self._prefix()}{url} answered something that is not valid JSON "
                f"(truncated or malformed, {len(content)} bytes).",
                provider=self.name,
            ) from None


def _downgraded(first_url: str, current: str) -> bool:
    """True when a redirect led from https to plain http: credentials would travel in clear text."""
    return urlsplit(first_url).scheme == "https" and urlsplit(current).scheme != "https"


def interrupt_response(response: requests.Response) -> None:
    """Make a read blocked on ``response``'s body return at once (from another thread, on cancel).

    The socket is shut down rather than closed: the blocked ``recv`` then ends (EOF or an error)
    without the file descriptor being freed under it; closing the response stays with its owner.
    """
    raw = getattr(response, "raw", None)
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:  # not pooled by urllib3: reach it through http.client's buffered reader
        buffered = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(buffered, "raw", None), "_sock", None)
    if not isinstance(sock, socket.socket):
        return
    try:
        # the plain socket's shutdown, also for TLS: it leaves the SSL object to the reading thread
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:  # already closed or not connected: nothing left to interrupt
        pass


def _noop() -> None:
    return None


def _release_on_close(response: requests.Response, release: Callable[[], None]) -> None:
    original_close = response.close

    def close() -> None:
        try:
            original_close()
        finally:
            release()

    response.close = close  # type: ignore[method-assign]


def _body_snippet(response: requests.Response, limit: int = 300) -> str:
    try:
        if response.raw is not None and not response._content_consumed:  # type: ignore[attr-defined]
            chunk = next(response.iter_content(limit), b"")
        else:
            chunk = response.content[:limit]
    except (requests.RequestException, StopIteration, OSError):
        return ""
    if isinstance(chunk, str):
        chunk = chunk.encode()
    text = chunk.decode("utf-8", "replace")
    if "<html" in text.lower():
        return ""
    return " ".join(text.split())[:limit]
