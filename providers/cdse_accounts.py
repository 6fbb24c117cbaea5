"""CDSE accounts: Keycloak tokens per account and a round-robin pool capped at 4 sessions per account.

Each :class:`CdseAccount` has its own :class:`~scene_picker.core.auth.OidcTokenProvider` (password grant
with client ``cdse-public``, refresh-token grant before expiry, a fresh login when the refresh token is
refused) and its own :class:`~scene_picker.core.http.HttpClient` that sends the bearer token only to
the CDSE hosts and shares the account's :class:`~scene_picker.core.ratelimit.ConcurrencyLimiter`.
:class:`AccountPool` hands accounts out round-robin, never more leases per account than its session
limit, and blacklists for the rest of the run an account whose sign-in fails, saying so clearly.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

from ..core.auth import BearerAuth, OidcTokenProvider
from ..core.cancel import CancelToken
from ..core.credentials import Credentials
from ..core.errors import AuthenticationError, UsageError
from ..core.http import HttpClient, RetryPolicy
from ..core.network import NetworkConfig
from ..core.ratelimit import ConcurrencyLimiter, shared_concurrency_limiter
from ..core.redact import redact

log = logging.getLogger(__name__)

CLIENT_ID = "cdse-public"
#: Concurrent downloads a "Copernicus General" account may run (CDSE quotas: 4 connections).
SESSIONS_PER_ACCOUNT = 4


class CdseAccount:
    """One CDSE account: its token provider and the HTTP client that downloads with it."""

    def __init__(
        self,
        credentials: Credentials,
        token_url: str,
        auth_hosts: Sequence[str],
        token_http: HttpClient,
        sessions: int = SESSIONS_PER_ACCOUNT,
        retry: Optional[RetryPolicy] = None,
        login_key: str = "cdse",
        network: Optional[NetworkConfig] = None,
    ) -> None:
        self.username = credentials.username
        #: The keyring entry it came from (``cdse``, ``cdse-2``…), named in "scene-picker login" hints.
        self.login_key = login_key
        self.tokens = OidcTokenProvider(
            token_url,
            CLIENT_ID,
            credentials.username,
            credentials.secret,
            http=token_http,
            provider=login_key,
        )
        self.limiter: ConcurrencyLimiter = shared_concurrency_limiter(
            f"cdse:{credentials.username}", sessions
        )
        self.http = HttpClient(
            auth=BearerAuth(self.tokens, tuple(auth_hosts)),
            concurrency=self.limiter,
            name="CDSE",
            provider=login_key,
            timeout=(10.0, 120.0),
            retry=retry,
            network=network,
        )
        self.blacklisted: Optional[str] = None
        self.sign_in_lock = threading.Lock()
        self.leases = 0
        #: Products this account downloaded (or tried) in this run.
        self.used = 0

    def __repr__(self) -> str:
        return f"CdseAccount({self.username!r})"


class AccountPool:
    """Round-robin leases over accounts, at most ``sessions`` at once per account."""

    def __init__(self, accounts: Sequence[CdseAccount], sessions: int = SESSIONS_PER_ACCOUNT) -> None:
        if not accounts:
            raise UsageError("A CDSE download needs at least one account.")
        names = [a.username for a in accounts]
        if len(set(names)) != len(names):
            raise UsageError("The same CDSE account is listed twice.")
        self.accounts = list(accounts)
        self.sessions = sessions
        self._next = 0
        self._cond = threading.Condition()

    @property
    def usable(self) -> list[CdseAccount]:
        return [a for a in self.accounts if a.blacklisted is None]

    def all_failed_error(self) -> AuthenticationError:
        reasons = "; ".join(f"{a.username}: {a.blacklisted}" for a in self.accounts)
        return AuthenticationError(
            f"Every CDSE account failed to sign in ({reasons}). Check the stored accounts "
            "(scene-picker cdse account --number N --username USER)."
        )

    @contextmanager
    def lease(self, cancel: Optional[CancelToken] = None) -> Iterator[CdseAccount]:
        """The next account with a free session (waits for one; cancellable)."""
        account = self._acquire(cancel)
        try:
            yield account
        finally:
            with self._cond:
                account.leases -= 1
                self._cond.notify_all()

    def _acquire(self, cancel: Optional[CancelToken]) -> CdseAccount:
        with self._cond:
            while True:
                if cancel is not None:
                    cancel.raise_if_cancelled("Waiting for a free CDSE session")
                if not self.usable:
                    raise self.all_failed_error()
                count = len(self.accounts)
                for step in range(count):
                    account = self.accounts[(self._next + step) % count]
                    if account.blacklisted is None and account.leases < self.sessions:
                        account.leases += 1
                        account.used += 1
                        self._next = (self._next + step + 1) % count
                        return account
                # Bounded wait: woken by a release, re-checking cancellation every 0.2 s.
                self._cond.wait(0.2)

    def blacklist(self, account: CdseAccount, error: Exception) -> None:
        """Stop using ``account`` for this run (its sign-in failed), with a clear log message."""
        reason = redact(str(error))[:200]
        with self._cond:
            if account.blacklisted is None:
                account.blacklisted = reason
                log.warning(
                    "CDSE account '%s' failed to sign in and is not used again in this run: %s",
                    account.username,
                    reason,
                )
            self._cond.notify_all()

    def ensure_signed_in(self, account: CdseAccount) -> None:
        """Get a token for ``account`` now; a refused sign-in blacklists it and is re-raised.

        Threads leasing the same account sign in one at a time, so a wrong password is tried once.
        """
        with account.sign_in_lock:
            if account.blacklisted is not None:
                raise AuthenticationError(
                    f"CDSE account '{account.username}' is blacklisted: {account.blacklisted}"
                )
            try:
                account.tokens.get_token()
            except AuthenticationError as exc:
                self.blacklist(account, exc)
                raise
