"""Deterministic synthetic catalog material shared by the emulators (CMR, M2M, Planet, CDSE, GEODES).

File contents derived from their names (so sizes and checksums are reproducible) and footprints.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timezone
from typing import Any

from .http_emulator import EmulatorHandler

MAX_JSON_BODY = 1 << 20


def synthetic_bytes(name: str, size: int) -> bytes:
    """Deterministic pseudo-random content for a named file."""
    return random.Random(hashlib.sha256(name.encode()).digest()).randbytes(size)


def iso_millis(moment: datetime) -> str:
    """``2024-05-01T10:20:30.123Z``: UTC with milliseconds, as the catalogs write their dates."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def square(lon: float, lat: float, half: float) -> list[list[float]]:
    """A closed counter-clockwise ring of ``[lon, lat]`` around a centre."""
    return [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]


def read_json_body(handler: EmulatorHandler) -> Any:
    """The request's JSON body (``{}`` when empty); raises ``ValueError`` when too large or not JSON."""
    length = int(handler.headers.get("Content-Length") or 0)
    if length > MAX_JSON_BODY:
        raise ValueError("request body too large")
    raw = handler.rfile.read(length) if length else b""
    return json.loads(raw.decode("utf-8")) if raw else {}


def send_json(
    handler: EmulatorHandler, status: int, payload: Any, headers: dict[str, str] | None = None
) -> None:
    """A JSON answer with extra headers (``EmulatorHandler.send_json`` takes none)."""
    handler.send_body(status, json.dumps(payload).encode("utf-8"), "application/json", headers)


def redirect(handler: EmulatorHandler, location: str, headers: dict[str, str] | None = None) -> None:
    handler.send_body(302, b"", "text/plain", {"Location": location, **(headers or {})})
