"""Records of verified files: a hidden file ``.<name>.scene-picker.json`` beside each downloaded file
(size, mtime, checksum, validators) so a later run skips it without re-reading it, and without
trusting a mere "file exists". URLs are stored redacted (see :mod:`scene_picker.core.redact`).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any, Mapping, Optional

from .checksums import Checksum
from .naming import temp_path, tidy_private
from .redact import redact_url


def verified_record_path(dest: Path) -> Path:
    """The hidden record saying ``dest`` was downloaded and verified."""
    return dest.with_name(f".{dest.name}.scene-picker.json")


def is_verified(dest: Path, expected_size: Optional[int], checksum: Optional[Checksum]) -> bool:
    """Whether ``dest`` is complete: its verified record matches its size and mtime (and the expected
    checksum), or the file matches ``checksum`` when read (then a record is written)."""
    if not dest.is_file():
        return False
    stat = dest.stat()
    if expected_size is not None and stat.st_size != expected_size:
        return False
    record = read_json(verified_record_path(dest))
    if record and record.get("size") == stat.st_size and record.get("mtime_ns") == stat.st_mtime_ns:
        if checksum is None:
            return True
        stored = record.get("checksum") or {}
        if stored.get("algorithm") == checksum.algorithm:
            return stored.get("hexdigest") == checksum.hexdigest
    if checksum is None or not checksum.matches_file(dest):
        return False
    # A complete file we did not record (or recorded with another algorithm): verified now.
    record_verified(dest, (record or {}).get("url", ""), checksum, {})
    return True


def record_verified(
    dest: Path, url: str, checksum: Optional[Checksum], validators: Optional[Mapping[str, Any]] = None
) -> None:
    """Write the verified record saying ``dest`` (from ``url``) is complete and verified."""
    stat = dest.stat()
    write_json(
        verified_record_path(dest),
        {
            "version": 1,
            "url": redact_url(url) if url else "",
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "checksum": {"algorithm": checksum.algorithm, "hexdigest": checksum.hexdigest}
            if checksum
            else None,
            **{k: v for k, v in (validators or {}).items() if v},
        },
    )
    tidy_private(dest.parent)  # the temporary file of the record went through the private folder


def read_json(path: Path) -> Optional[dict]:
    """A JSON object from ``path``, or None when missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` atomically with ``data`` (a temporary file beside it, then a rename)."""
    tmp = temp_path(path, f".{uuid.uuid4().hex[:12]}.tmp")  # in the private folder: clashes with nothing
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)
