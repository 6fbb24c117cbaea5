"""Side-car metadata: values read from each scene's own label file (JSON, XML or PVL).

Some filters need a value that only a per-scene metadata file holds (the USGS Astrogeology tutorial
reads each scene's PDS label to filter on the incidence angle). :func:`iter_with_sidecars` fetches
those files concurrently with a bounded pool, in order, and stores the extracted values in
``scene.properties[field.name]``; :func:`within` then filters on them.

- JSON: a dotted path (``"properties.view:incidence_angle"``, list indexes as numbers);
- XML: an ElementTree path on the document with namespaces removed (``".//INCIDENCE_ANGLE"``), or
  ``path@attribute``;
- PVL (PDS3/ISIS labels): a dotted key path (``"IMAGE.INCIDENCE_ANGLE"``) — only when the optional
  package ``pvl`` is installed; units (``42.5 <DEG>``) are dropped;
- any format: ``**.NAME`` finds the first key (JSON, PVL) or element (XML) named NAME anywhere in the
  document, in document order, ignoring case and a JSON key's ``prefix:`` (``view:incidence_angle``).

A side-car that cannot be fetched or parsed does not stop the others: its fields are None and the
reason is in ``scene.properties["sidecar_errors"]``.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Optional, Sequence
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from .errors import ProviderResponseError, ScenePickerError, UsageError
from .redact import redact_url
from .scene import ROLE_METADATA, Asset, Scene

if TYPE_CHECKING:  # pragma: no cover
    from .cancel import CancelToken
    from .http import HttpClient

FORMATS = ("auto", "json", "xml", "pvl")
#: Largest side-car read (labels are small; this bounds a wrong href pointing at an image).
MAX_BYTES = 16 * 1024 * 1024
ERRORS_KEY = "sidecar_errors"


@dataclass(frozen=True)
class SidecarField:
    """One value to read from a scene's side-car file.

    ``asset``: the asset key holding the file (default: the first asset with role ``metadata``);
    ``convert``: applied to the raw value (default ``float``; None keeps it as parsed).
    """

    name: str
    path: str
    asset: Optional[str] = None
    format: str = "auto"
    convert: Optional[Callable[[Any], Any]] = float

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise UsageError(f"Side-car format must be one of {', '.join(FORMATS)}, not {self.format!r}.")
        if not self.path:
            raise UsageError(f"Side-car field {self.name!r} needs a path.")


def sidecar_asset(scene: Scene, key: Optional[str]) -> Optional[Asset]:
    """The asset a field reads: ``key``, else the first ``metadata``-role asset."""
    if key is not None:
        return scene.assets.get(key)
    for asset in scene.assets.values():
        if ROLE_METADATA in asset.roles:
            return asset
    return None


def detect_format(asset: Asset, data: bytes) -> str:
    media = (asset.media_type or "").lower()
    path = urlsplit(asset.href).path.lower()
    if "json" in media or path.endswith((".json", ".geojson")):
        return "json"
    if "xml" in media or path.endswith(".xml"):
        return "xml"
    if path.endswith((".lbl", ".pvl", ".cub", ".img", ".label")) or "pvl" in media:
        return "pvl"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        return "json"
    if head == b"<":
        return "xml"
    return "pvl"


def parse(data: bytes, fmt: str, where: str) -> Any:
    """The parsed document (dict/list for JSON, an Element for XML, a PVL module)."""
    try:
        if fmt == "json":
            return json.loads(data.decode("utf-8-sig"))
        if fmt == "xml":
            root = ElementTree.fromstring(data)
            for element in root.iter():
                if isinstance(element.tag, str) and "}" in element.tag:
                    element.tag = element.tag.split("}", 1)[1]
                element.attrib = {k.split("}", 1)[-1]: v for k, v in element.attrib.items()}
            return root
    except (ValueError, ElementTree.ParseError) as exc:
        raise ProviderResponseError(f"{where} is not valid {fmt.upper()}: {exc}") from None
    try:
        with warnings.catch_warnings():
            # pvl 1.x warns at import time about its own deprecated Units class
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import pvl
    except ImportError:
        raise UsageError(
            f"{where} is a PVL label; reading PVL needs the optional package 'pvl' "
            "(pip install pvl, or install Scene Picker with the [pvl] extra)."
        ) from None
    try:
        return pvl.loads(data.decode("utf-8", errors="replace"))
    except Exception as exc:  # noqa: BLE001 - pvl raises its own (undocumented) parse error classes
        raise ProviderResponseError(f"{where} is not a valid PVL label: {exc}") from None


ANYWHERE = "**."


def extract(document: Any, fmt: str, path: str) -> Any:
    """The value at ``path`` in a parsed document, or None when absent."""
    if path.startswith(ANYWHERE):
        return _unit_free(_find(document, fmt, path[len(ANYWHERE) :].lower()))
    if fmt == "xml":
        element_path, _, attribute = path.partition("@")
        element = document if element_path in ("", ".") else document.find(element_path)
        if element is None:
            return None
        return element.get(attribute) if attribute else (element.text or "").strip() or None
    value = document
    for part in path.split("."):
        if isinstance(value, list):
            if not part.lstrip("-").isdigit() or not -len(value) <= int(part) < len(value):
                return None
            value = value[int(part)]
        elif hasattr(value, "get"):
            value = value.get(part)
        else:
            return None
        if value is None:
            return None
    return _unit_free(value)


def _unit_free(value: Any) -> Any:
    if hasattr(value, "value") and hasattr(value, "units"):  # a PVL Quantity
        return value.value
    return value


def _find(document: Any, fmt: str, name: str) -> Any:
    """The first value named ``name`` (lower case) anywhere in ``document``, depth first."""
    if fmt == "xml":
        for element in document.iter():
            if isinstance(element.tag, str) and element.tag.lower() == name:
                return (element.text or "").strip() or None
        return None
    if isinstance(document, list):
        items = [(None, value) for value in document]
    elif hasattr(document, "items"):
        items = list(document.items())
    else:
        return None
    for key, value in items:
        if isinstance(key, str) and name in (key.lower(), key.lower().rsplit(":", 1)[-1]):
            if value is not None and not isinstance(value, list) and not hasattr(value, "items"):
                return value
        found = _find(value, fmt, name)
        if found is not None:
            return found
    return None


def _read(asset: Asset, http: Optional[HttpClient], cancel: Optional[CancelToken]) -> bytes:
    parts = urlsplit(asset.href)
    if parts.scheme in ("", "file"):
        from pathlib import Path

        path = Path(unquote(parts.path))
        if path.stat().st_size > MAX_BYTES:
            raise ProviderResponseError(f"{path} is larger than {MAX_BYTES} bytes: not a label.")
        return path.read_bytes()
    if http is None:
        raise UsageError("Fetching side-car files over HTTP needs an HttpClient.")
    with http.request("GET", asset.href, stream=True, cancel=cancel) as response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_BYTES:
            raise ProviderResponseError(f"{redact_url(asset.href)} is {declared} bytes: not a label.")
        chunks, total = [], 0
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > MAX_BYTES:
                raise ProviderResponseError(f"{redact_url(asset.href)} is larger than {MAX_BYTES} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)


def load_sidecar(
    scene: Scene,
    fields: Sequence[SidecarField],
    http: Optional[HttpClient] = None,
    cancel: Optional[CancelToken] = None,
) -> Scene:
    """Fetch ``scene``'s side-car file(s) once each and store the fields' values on the scene."""
    documents: dict[tuple[str, str], Any] = {}
    errors: dict[str, str] = {}
    failures: dict[tuple[str, str], str] = {}
    for field in fields:
        scene.properties[field.name] = None
        asset = sidecar_asset(scene, field.asset)
        if asset is None:
            errors[field.name] = f"no {'asset ' + repr(field.asset) if field.asset else 'metadata asset'}"
            continue
        key = (asset.href, field.format)
        if key in failures:
            errors[field.name] = failures[key]
            continue
        try:
            if key not in documents:
                data = _read(asset, http, cancel)
                fmt = detect_format(asset, data) if field.format == "auto" else field.format
                documents[key] = (fmt, parse(data, fmt, redact_url(asset.href)))
            fmt, document = documents[key]
            value = extract(document, fmt, field.path)
            if value is not None and field.convert is not None:
                try:
                    value = field.convert(value)
                except (TypeError, ValueError) as exc:
                    errors[field.name] = f"{field.path} = {value!r} cannot be converted: {exc}"
                    continue
            scene.properties[field.name] = value
            if value is None:
                where = field.path[len(ANYWHERE) :] if field.path.startswith(ANYWHERE) else field.path
                errors[field.name] = f"{where} not found in {redact_url(asset.href)}"
        except (ScenePickerError, OSError) as exc:
            if isinstance(exc, UsageError) and not isinstance(exc, ProviderResponseError):
                raise  # a missing optional package or a bad field: the user must act, not per scene
            errors[field.name] = failures[key] = str(exc)
    if errors:
        scene.properties[ERRORS_KEY] = errors
    return scene


def iter_with_sidecars(
    scenes: Iterable[Scene],
    fields: Sequence[SidecarField],
    http: Optional[HttpClient] = None,
    workers: int = 8,
    cancel: Optional[CancelToken] = None,
) -> Iterator[Scene]:
    """Yield ``scenes`` in order, each with its side-car values, fetching at most ``workers`` files at
    once and reading ahead at most ``4 * workers`` scenes (so a lazy search stays lazy)."""
    workers = max(1, int(workers))
    window = 4 * workers
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scene-picker-sidecar") as pool:
        pending: deque[Future] = deque()

        def job(scene: Scene) -> Scene:
            if stop.is_set():
                return scene
            return load_sidecar(scene, fields, http, cancel)

        try:
            for scene in scenes:
                if cancel is not None:
                    cancel.raise_if_cancelled("Reading side-car metadata")
                pending.append(pool.submit(job, scene))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            stop.set()
            for future in pending:
                future.cancel()


def within(scenes: Iterable[Scene], name: str, minimum: Any = None, maximum: Any = None) -> Iterator[Scene]:
    """The scenes whose side-car value ``name`` is known and within [minimum, maximum]."""
    for scene in scenes:
        value = scene.properties.get(name)
        if value is None:
            continue
        if minimum is not None and value < minimum:
            continue
        if maximum is not None and value > maximum:
            continue
        yield scene
