"""Functions the tests of ``--cluster`` run on dask workers (imported there as ``support.cluster_tasks``)."""

from __future__ import annotations

import hashlib
import threading

from scene_picker.core.cancel import CancelToken
from scene_picker.core.cluster import install_worker_limits
from scene_picker.core.credentials import load_credentials
from scene_picker.core.errors import CancelledError
from scene_picker.core.ratelimit import shared_concurrency_limiter, shared_rate_limiter


def take_slots(kind: str, key: str, count: int, give_up_after: float) -> int:
    """On a worker: take ``count`` slots of the shared limiter (kept); how many it got before giving up."""
    install_worker_limits()
    if kind == "rate":
        limiter = shared_rate_limiter(key, [(3, 600.0)])
    else:
        limiter = shared_concurrency_limiter(key, 1)
    token = CancelToken()
    threading.Timer(give_up_after, token.cancel).start()  # a bound on the wait, not a synchronisation
    got = 0
    try:
        for _ in range(count):
            limiter.acquire(token)
            got += 1
    except CancelledError:
        pass
    return got


def worker_account(provider: str) -> tuple[str, str] | None:
    """On a worker: the account it reads for ``provider`` (user name, SHA-256 of the secret)."""
    creds = load_credentials(provider)
    return None if creds is None else (creds.username, hashlib.sha256(creds.secret.encode()).hexdigest())
