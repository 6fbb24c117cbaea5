"""Names on disk that cannot clash: scene folders, temporary files, the engine's private folder.

- :func:`scene_folder_name` maps ``provider + scene id`` injectively to one path component: the id
  sanitised for every file system, with a short hash of ``provider:id`` appended whenever sanitising
  or truncating changed the id (so ``a/b`` and ``a:b``, or ids equal in their first 120 characters,
  get different folders). Readers take the folder recorded in the queue, never re-derive it.
- :func:`asset_file_names` names a scene's files after their hrefs (the key prefixed on clashes);
  :func:`local_path` tells a local href (``file://`` or a path) from a remote one.
- Temporary files (``.part``, resume records, locks) live in the folder's private
  :data:`PRIVATE_DIR` ``/tmp/``, named from a hash of the final file's name: nothing an archive, a
  catalog or another scene can name collides with them (:func:`is_private_name` lets extraction refuse
  member names that would reach into the private folder).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # pragma: no cover
    from .scene import Asset

#: The engine's own folder inside an output (or scene) folder: queue database, temporary files.
PRIVATE_DIR = ".scene-picker"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+=@,-]+")
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$")
_MAX_NAME = 120
_HASHED = re.compile(r"-[0-9a-f]{10}$")


def short_hash(text: str, length: int = 10) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def safe_component(text: str, max_len: int = _MAX_NAME) -> str:
    """``text`` made a portable single path component (not injective: see :func:`scene_folder_name`)."""
    name = _UNSAFE.sub("_", text).strip("._") or "scene"
    if _WINDOWS_RESERVED.match(name):
        name = f"_{name}"
    return name[:max_len]


def safe_name(text: str) -> str:
    """A file-system-safe single path component derived from ``text`` (a file name: up to 200 chars)."""
    name = _UNSAFE.sub("_", text).strip("._") or "scene"
    return name[:200]


def local_path(href: str) -> Optional[Path]:
    """The local file an href points to (``file://`` URL or plain path), or None for remote hrefs."""
    parts = urlsplit(href)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme == "" or (len(parts.scheme) == 1 and href[1:3] in (":\\", ":/")):
        return Path(href)
    return None


def asset_file_names(assets: Sequence[Asset]) -> dict[str, str]:
    """One distinct file name per asset: the href's base name, prefixed by the key on clashes."""
    names: dict[str, str] = {}
    seen: dict[str, int] = {}
    for asset in assets:
        path = urlsplit(asset.href).path if local_path(asset.href) is None else str(local_path(asset.href))
        base = safe_name(unquote(path.rstrip("/").rsplit("/", 1)[-1])) or safe_name(asset.key)
        seen[base] = seen.get(base, 0) + 1
        names[asset.key] = base
    for asset in assets:
        if seen[names[asset.key]] > 1:
            names[asset.key] = f"{safe_name(asset.key)}_{names[asset.key]}"
    return names


def scene_folder_name(scene_id: str, provider: Optional[str] = None) -> str:
    """The folder of a scene: its id when that is already a safe name, else the sanitised id plus
    ``-`` and a hash of ``provider:id``; distinct ids never share a folder."""
    clean = safe_component(scene_id, _MAX_NAME - 11)
    if clean == scene_id and not _HASHED.search(clean):  # hashed names never equal a kept id
        return clean
    return f"{clean}-{short_hash((provider or '') + ':' + scene_id)}"


def private_dir(folder: Path) -> Path:
    return Path(folder) / PRIVATE_DIR


def temp_path(dest: Path, suffix: str) -> Path:
    """A temporary file for ``dest`` (``suffix``: ``.part``, ``.part.json``, ``.lock``…) in the private
    folder beside it; the same ``dest`` always maps to the same name, so a download resumes."""
    dest = Path(dest)
    stem = safe_component(dest.name, 40)
    return private_dir(dest.parent) / "tmp" / f"{stem}-{short_hash(dest.name, 16)}{suffix}"


def tidy_private(folder: Path) -> None:
    """Remove the private temporary folder (and the private folder) of ``folder`` when empty."""
    private = private_dir(folder)
    for path in (private / "tmp", private):
        try:
            path.rmdir()
        except OSError:  # not empty (other files, another download), or already gone
            return


def is_private_name(component: str) -> bool:
    """Whether a path component names the engine's private folder or a verified-file record."""
    lowered = component.lower()
    return lowered == PRIVATE_DIR or (lowered.startswith(".") and lowered.endswith(".scene-picker.json"))
