"""Windowed reads of remote TIFFs: the engine fetches only the needed byte ranges, GDAL decodes them.

A GeoTIFF (COG or any tiled/stripped TIFF) at a URL, or stored uncompressed inside a remote zip, is
read like this: the first 16 KiB and every structural byte (IFDs, offset tables, GeoTIFF keys: see
:mod:`scene_picker.core.clip_tiff`) are fetched with range requests through the engine's
:class:`~scene_picker.core.http.HttpClient` (its authentication for that host only, token renewal,
retries and rate limits); GDAL opens a *sparse* in-memory copy holding just those bytes
(:class:`SparseCopy`, ``/vsisparse/`` over ``/vsimem/``) to learn the grid; the AOI's pixel window gives
the tiles/strips it touches, whose bytes are fetched (neighbours merged, a few requests in parallel) into
the sparse copy; GDAL then reads the window from it and
:func:`~scene_picker.core.clip_raster.write_clip` writes the clipped GeoTIFF. GDAL never opens a
network connection itself, so no credential ever reaches GDAL's configuration.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from shapely.geometry.base import BaseGeometry

from .cancel import CancelToken
from .clip_raster import ClipRequest, gdal_module, open_raster, quiet_gdal, source_window, write_clip
from .clip_tiff import HEADER_BYTES, merge_ranges, read_layout
from .http import HttpClient
from .progress import ProgressCallback, ProgressMeter
from .remotezip import RangeReader

#: Ranges closer than this are read with one request (the gap is read too).
MERGE_GAP = 16 * 1024
#: Range requests in flight at once for one raster.
PARALLEL_RANGES = 4


@dataclass
class ReadStats:
    """What a windowed read fetched: requests, bytes received, and the ranges (relative to the TIFF)."""

    requests: int = 0
    bytes_received: int = 0
    ranges: list[tuple[int, int]] = field(default_factory=list)
    structure_bytes: int = 0
    block_bytes: int = 0


class TiffReader(RangeReader):
    """A :class:`RangeReader` that can start with the first bytes of a file (learning its size)."""

    def head(self, length: int) -> bytes:
        with self._get(f"bytes=0-{length - 1}") as response:
            _first, _last, total = self._check_answer(response, 0)
            self.size = total
            want = min(length, total)
            data = bytearray()
            for chunk in self._body(response, want):
                data += chunk
        if len(data) < want:
            data += self.read(len(data), want)
        return bytes(data)


class RemoteTiff:
    """The bytes of one TIFF: a whole URL (``base=0``) or a stored zip member at ``base`` of ``size``.

    ``reader`` is an existing reader of the URL (a :class:`~scene_picker.core.remotezip.RemoteZip`'s,
    whose size is known); what it read before (``counted_from``: its requests and bytes then, default
    now) is not counted in :attr:`stats`.
    """

    def __init__(
        self,
        url: str,
        http: HttpClient,
        range_mode: str = "auto",
        *,
        base: int = 0,
        size: Optional[int] = None,
        reader: Optional[RangeReader] = None,
        cancel: Optional[CancelToken] = None,
        counted_from: Optional[tuple[int, int]] = None,
    ) -> None:
        self.url, self.http, self.range_mode, self.cancel = url, http, range_mode, cancel
        self.base = base
        self.size = size
        self.reader = reader or TiffReader(url, http, range_mode, cancel=cancel)
        self.stats = ReadStats()
        self._used = [self.reader]
        self._counted_from = counted_from or (self.reader.requests, self.reader.bytes_received)
        self._owner = threading.get_ident()
        self._local = threading.local()
        self._lock = threading.Lock()

    def first_bytes(self, length: int = HEADER_BYTES) -> bytes:
        if self.size is None and self.base == 0 and isinstance(self.reader, TiffReader):
            data = self.reader.head(length)
            self.size = self.reader.size
        else:
            assert self.size is not None
            data = self.fetch(0, min(length, self.size), record=False)
        self.stats.ranges.append((0, len(data)))
        return data

    def fetch(self, start: int, end: int, record: bool = True) -> bytes:
        data = self._reader().read(self.base + start, self.base + end)
        if record:
            self.stats.ranges.append((start, end))
        return data

    def fetch_many(self, ranges: list[tuple[int, int]], sink, meter: Optional[ProgressMeter] = None) -> None:
        """Fetch ``ranges`` (a few at once), calling ``sink(start, data)`` for each in this thread."""
        if not ranges:
            return
        workers = min(PARALLEL_RANGES, len(ranges))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clip-range") as pool:
            futures = [(start, pool.submit(self.fetch, start, end)) for start, end in ranges]
            try:
                for start, future in futures:
                    data = future.result()
                    sink(start, data)
                    if meter is not None:
                        meter.add(len(data))
                    if self.cancel is not None:
                        self.cancel.raise_if_cancelled("Reading the raster's tiles")
            finally:
                for _start, future in futures:
                    future.cancel()

    def _reader(self) -> RangeReader:
        """The constructing thread's reader, else one per worker thread (counters are not shared)."""
        if threading.get_ident() == self._owner:
            return self.reader
        reader = getattr(self._local, "reader", None)
        if reader is None:
            reader = RangeReader(self.url, self.http, self.range_mode, cancel=self.cancel)
            reader.size = self.reader.size
            reader._target = self.reader._target  # after a redirect, go straight there
            with self._lock:
                self._used.append(reader)
            self._local.reader = reader
        return reader

    def finish_stats(self) -> ReadStats:
        self.stats.requests = sum(r.requests for r in self._used) - self._counted_from[0]
        self.stats.bytes_received = sum(r.bytes_received for r in self._used) - self._counted_from[1]
        return self.stats


class SparseCopy:
    """The fetched spans of a remote file as a GDAL ``/vsisparse/`` file over ``/vsimem/`` buffers: GDAL
    reads it like the whole file, the bytes not fetched reading as zeros. Nothing touches the disk.
    GDAL 3.6's ``/vsisparse/`` answers a read that *starts* between spans with zeros only, even where it
    runs into a later span: harmless here, as every read GDAL makes of a TIFF starts in the structure or
    in a block fetched with 4 bytes before it. :meth:`close` frees the buffers."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.prefix = f"/vsimem/scene-picker-clip-{uuid.uuid4().hex}"
        self.regions: list[tuple[str, int, int]] = []

    def add(self, offset: int, data: bytes) -> None:
        name = f"{self.prefix}/{len(self.regions)}.bin"
        gdal_module().FileFromMemBuffer(name, bytes(data))
        self.regions.append((name, offset, len(data)))

    @property
    def path(self) -> str:
        """The GDAL path of the copy as it is now (written anew at each call)."""
        regions = "".join(
            f"<SubfileRegion><Filename relative='0'>{name}</Filename>"
            f"<DestinationOffset>{offset}</DestinationOffset><SourceOffset>0</SourceOffset>"
            f"<RegionLength>{length}</RegionLength></SubfileRegion>"
            for name, offset, length in self.regions
        )
        xml = f"<VSISparseFile><Length>{self.size}</Length>{regions}</VSISparseFile>"
        index = f"{self.prefix}/sparse{len(self.regions)}.xml"
        gdal_module().FileFromMemBuffer(index, xml.encode())
        return f"/vsisparse/{index}"

    def close(self) -> None:
        with quiet_gdal() as gdal:
            for name in gdal.ReadDir(self.prefix) or []:
                gdal.Unlink(f"{self.prefix}/{name}")


@contextlib.contextmanager
def remote_window(
    tiff: RemoteTiff, request: ClipRequest, progress: Optional[ProgressCallback] = None, label: str = ""
) -> Iterator[tuple[Any, tuple, BaseGeometry]]:
    """Fetch the structure and the AOI's blocks of the remote TIFF; yields ``(dataset, window, aoi)``:
    a GDAL dataset on the sparse copy (valid inside the block), the pixel window and the AOI in the
    raster's CRS."""
    first = tiff.first_bytes()
    assert tiff.size is not None
    layout = read_layout(lambda a, b: tiff.fetch(a, b), tiff.size, first)
    tiff.stats.structure_bytes = layout.structure_bytes
    copy = SparseCopy(tiff.size)
    try:
        for offset, data in layout.spans:
            copy.add(offset, data)
        window, geom = source_window(open_raster(copy.path), request)
        blocks = merge_ranges(layout.ranges_for(*window), MERGE_GAP)
        total = sum(end - start for start, end in blocks)
        tiff.stats.block_bytes = total
        meter = ProgressMeter(label or "raster", total, progress)
        meter.update(0, force=True)
        tiff.fetch_many(blocks, copy.add, meter)
        meter.finish()
        if tiff.cancel is not None:
            tiff.cancel.raise_if_cancelled(f"Clipping {label or 'the raster'}")
        dataset = open_raster(copy.path)  # a fresh handle on the copy with the blocks
        yield dataset, window, geom
        dataset = None
    finally:
        copy.close()


def clip_remote_tiff(
    tiff: RemoteTiff,
    request: ClipRequest,
    dest: Path,
    metadata: dict[str, str],
    progress: Optional[ProgressCallback] = None,
) -> tuple[tuple, ReadStats]:
    """Clip the remote TIFF into ``dest`` (see the module docstring); returns the window and stats."""
    with remote_window(tiff, request, progress, dest.name) as (dataset, window, geom):
        write_clip(dataset, window, geom, dest, request.mask, metadata)
        del dataset  # closed before the copy's buffers go
    return window, tiff.finish_stats()
