"""Ground-truth products for the CDSE emulator: Sentinel-1/2 metadata and SAFE zip payloads.

``generate_products()`` builds a deterministic set (seeded) of Sentinel-2 L1C/L2A tiles and Sentinel-1
IW GRD/SLC slices over southern France for a span of years, with footprints, the attributes the
catalogue exposes (``cloudCover``, ``productType``, ``operationalMode``, ``tileId``, …), ``S3Path`` and
``Online``. Each product's payload is a small SAFE-like zip built on demand (members such as
``GRANULE/L2A_T31TEJ_…/IMG_DATA/R10m/T31TEJ_…_B04_10m.jp2``) whose MD5 fills the ``Checksum`` list.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from shapely.geometry import Polygon

from .fake_catalog import iso_millis

#: (tileId, west lon, south lat, relative orbit) — plausible MGRS tiles over southern France.
S2_TILES: tuple[tuple[str, float, float, int], ...] = (
    ("31TCJ", 0.50, 43.20, 51),
    ("31TDJ", 1.75, 43.20, 51),
    ("31TEJ", 3.00, 43.20, 8),
    ("31TFJ", 4.25, 43.20, 8),
    ("31TCH", 0.50, 42.30, 51),
    ("31TDH", 1.75, 42.30, 8),
    ("31TEK", 3.00, 44.10, 108),
    ("31TFK", 4.25, 44.10, 108),
)
#: (relative orbit, direction, west lon, south lat)
S1_TRACKS: tuple[tuple[int, str, float, float], ...] = (
    (8, "DESCENDING", 1.0, 42.6),
    (30, "ASCENDING", 2.2, 43.0),
    (110, "DESCENDING", 3.4, 43.4),
)
S2_BANDS_10M = ("B02", "B03", "B04", "B08", "TCI", "AOT", "WVP")
S2_BANDS_20M = ("B05", "B06", "B07", "B8A", "B11", "B12", "SCL")
S2_BANDS_60M = ("B01", "B09")
S2_BANDS_L1C = (
    "B01",
    "B02",
    "B03",
    "B04",
    "B05",
    "B06",
    "B07",
    "B08",
    "B8A",
    "B09",
    "B10",
    "B11",
    "B12",
    "TCI",
)
S1B_END = datetime(2021, 12, 23, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Attribute:
    name: str
    value_type: str  # String, Double, Integer, DateTimeOffset
    value: object


@dataclass
class Product:
    """One catalogue product; ``payload()`` is its zip, built once on demand."""

    id: str
    name: str
    collection: str
    start: datetime
    end: datetime
    publication: datetime
    footprint: Polygon
    attributes: tuple[Attribute, ...]
    online: bool
    s3_path: str
    member_size: int = 256
    with_checksum: bool = True
    _payload: bytes | None = field(default=None, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def origin(self) -> datetime:
        return self.publication - timedelta(minutes=7)

    @property
    def modification(self) -> datetime:
        return self.publication

    def attribute(self, name: str) -> object:
        for att in self.attributes:
            if att.name == name:
                return att.value
        return None

    @property
    def cloud_cover(self) -> float | None:
        value = self.attribute("cloudCover")
        return float(value) if value is not None else None

    @property
    def product_type(self) -> str:
        return str(self.attribute("productType"))

    @property
    def safe_name(self) -> str:
        return self.name

    def members(self) -> dict[str, bytes]:
        """The SAFE's files: path inside the zip (starting with the SAFE name) -> bytes."""
        return dict(_members(self))

    def payload(self) -> bytes:
        with self._lock:
            if self._payload is None:
                self._payload = _build_zip(self)
            return self._payload

    @property
    def content_length(self) -> int:
        return len(self.payload())

    @property
    def md5(self) -> str:
        return hashlib.md5(self.payload()).hexdigest()


def _compact(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def _square(rng: random.Random, west: float, south: float, width: float, height: float) -> Polygon:
    jitter = lambda: rng.uniform(-0.02, 0.02)  # noqa: E731
    corners = [
        (west + jitter(), south + jitter()),
        (west + width + jitter(), south + jitter()),
        (west + width + jitter(), south + height + jitter()),
        (west + jitter(), south + height + jitter()),
    ]
    return Polygon(corners)


def _s2_footprint(rng: random.Random, west: float, south: float, partial: bool) -> Polygon:
    full = _square(rng, west, south, 1.35, 0.99)
    if not partial:
        return full
    # A swath edge crossing the tile: keep the eastern part only.
    cut = rng.uniform(0.3, 0.9)
    minx, miny, maxx, maxy = full.bounds
    edge = Polygon([(minx + cut * 1.35, miny), (maxx, miny), (maxx, maxy), (minx + cut * 1.35 - 0.2, maxy)])
    part = full.intersection(edge)
    return part if isinstance(part, Polygon) and not part.is_empty else full


def generate_products(
    *,
    seed: int = 20240501,
    start: date = date(2021, 1, 1),
    years: int = 3,
    sentinel2: bool = True,
    sentinel1: bool = True,
    member_size: int = 256,
    offline_ratio: float = 0.02,
    missing_checksum_ratio: float = 0.01,
    tiles: tuple[tuple[str, float, float, int], ...] = S2_TILES,
) -> list[Product]:
    """The emulator's ground truth: every product it knows, in no particular order."""
    rng = random.Random(seed)
    begin = datetime(start.year, start.month, start.day, tzinfo=timezone.utc)
    stop = datetime(start.year + years, start.month, start.day, tzinfo=timezone.utc)
    products: list[Product] = []
    if sentinel2:
        products += _sentinel2(rng, begin, stop, tiles, member_size, offline_ratio, missing_checksum_ratio)
    if sentinel1:
        products += _sentinel1(rng, begin, stop, member_size, offline_ratio, missing_checksum_ratio)
    rng.shuffle(products)
    return products


@functools.lru_cache(maxsize=1)
def default_products() -> tuple[Product, ...]:
    """The default ground truth, built once per test session (payloads are cached in the products)."""
    return tuple(generate_products())


def _product_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "cdse-emulator/" + name))


def _sentinel2(rng, begin, stop, tiles, member_size, offline_ratio, missing_ratio) -> list[Product]:
    out: list[Product] = []
    for index, (tile, west, south, orbit) in enumerate(tiles):
        for platform, phase in (("A", 0), ("B", 5)):
            day = begin + timedelta(days=(index % 5) + phase)
            absolute = 20000 + index * 7 + phase
            while day < stop:
                sensing = day.replace(hour=10, minute=30, second=21) + timedelta(
                    seconds=index * 3, microseconds=24000
                )
                partial = rng.random() < 0.25
                footprint = _s2_footprint(rng, west, south, partial)
                cloud = round(min(100.0, max(0.0, rng.betavariate(0.7, 1.2) * 100)), 6)
                for level, ptype in (("L1C", "S2MSI1C"), ("L2A", "S2MSI2A")):
                    generation = sensing + timedelta(
                        hours=3 if level == "L1C" else 6, minutes=rng.randint(0, 59)
                    )
                    baseline = "N0500" if sensing.year >= 2023 else "N0400"
                    name = (
                        f"S2{platform}_MSI{level}_{_compact(sensing)}_{baseline}_R{orbit:03d}_T{tile}_"
                        f"{_compact(generation)}.SAFE"
                    )
                    attrs = (
                        Attribute("cloudCover", "Double", cloud),
                        Attribute("productType", "String", ptype),
                        Attribute("tileId", "String", tile),
                        Attribute("platformShortName", "String", "SENTINEL-2"),
                        Attribute("platformSerialIdentifier", "String", platform),
                        Attribute("instrumentShortName", "String", "MSI"),
                        Attribute("orbitDirection", "String", "DESCENDING"),
                        Attribute("relativeOrbitNumber", "Integer", orbit),
                        Attribute("orbitNumber", "Integer", absolute),
                        Attribute("processingLevel", "String", f"S2MSI{level[1:]}"),
                        Attribute("beginningDateTime", "DateTimeOffset", sensing),
                        Attribute("endingDateTime", "DateTimeOffset", sensing),
                    )
                    out.append(
                        Product(
                            id=_product_id(name),
                            name=name,
                            collection="SENTINEL-2",
                            start=sensing,
                            end=sensing,
                            publication=generation + timedelta(hours=1),
                            footprint=footprint,
                            attributes=attrs,
                            online=rng.random() >= offline_ratio,
                            s3_path=f"/eodata/Sentinel-2/MSI/{level}/{sensing:%Y/%m/%d}/{name}",
                            member_size=member_size,
                            with_checksum=rng.random() >= missing_ratio,
                        )
                    )
                day += timedelta(days=10)
                absolute += 143
    return out


def _sentinel1(rng, begin, stop, member_size, offline_ratio, missing_ratio) -> list[Product]:
    out: list[Product] = []
    for index, (orbit, direction, west, south) in enumerate(S1_TRACKS):
        for platform, phase in (("A", 0), ("B", 6)):
            day = begin + timedelta(days=index * 2 + phase)
            absolute = 36000 + orbit + phase
            while day < stop:
                if platform == "B" and day >= S1B_END:
                    break
                hour = 5 if direction == "DESCENDING" else 17
                start = day.replace(hour=hour, minute=50 + index, second=rng.randint(0, 59))
                end = start + timedelta(seconds=25)
                datatake = rng.randint(0x40000, 0x5FFFF)
                footprint = _square(rng, west, south, 2.6, 2.1)
                for ptype, short in (("IW_GRDH_1S", "GRDH"), ("IW_SLC__1S", "SLC_")):
                    crc = rng.randint(0, 0xFFFF)
                    name = (
                        f"S1{platform}_IW_{short}_1SDV_{_compact(start)}_{_compact(end)}_{absolute:06d}_"
                        f"{datatake:06X}_{crc:04X}.SAFE"
                    )
                    attrs = (
                        Attribute("productType", "String", ptype),
                        Attribute("operationalMode", "String", "IW"),
                        Attribute("swathIdentifier", "String", "IW"),
                        Attribute("polarisationChannels", "String", "VV&VH"),
                        Attribute("platformShortName", "String", "SENTINEL-1"),
                        Attribute("platformSerialIdentifier", "String", platform),
                        Attribute("instrumentShortName", "String", "SAR"),
                        Attribute("orbitDirection", "String", direction),
                        Attribute("relativeOrbitNumber", "Integer", orbit),
                        Attribute("orbitNumber", "Integer", absolute),
                        Attribute("beginningDateTime", "DateTimeOffset", start),
                        Attribute("endingDateTime", "DateTimeOffset", end),
                    )
                    kind = "GRD" if short == "GRDH" else "SLC"
                    out.append(
                        Product(
                            id=_product_id(name),
                            name=name,
                            collection="SENTINEL-1",
                            start=start,
                            end=end,
                            publication=end + timedelta(hours=2, minutes=rng.randint(0, 59)),
                            footprint=footprint,
                            attributes=attrs,
                            online=rng.random() >= offline_ratio,
                            s3_path=f"/eodata/Sentinel-1/SAR/{kind}/{start:%Y/%m/%d}/{name}",
                            member_size=member_size,
                            with_checksum=rng.random() >= missing_ratio,
                        )
                    )
                day += timedelta(days=12)
                absolute += 175
    return out


# -- SAFE payloads ------------------------------------------------------------------------------------
def _blob(product: Product, member: str, size: int) -> bytes:
    seed = int.from_bytes(hashlib.sha256((product.id + member).encode()).digest()[:8], "big")
    return random.Random(seed).randbytes(max(16, size))


def _xml(product: Product, member: str) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<document product="{product.name}" member="{member}">',
        *(f"  <{att.name}>{att.value}</{att.name}>" for att in product.attributes),
        "</document>",
    ]
    return ("\n".join(lines) + "\n").encode()


def _members(product: Product):
    root = product.name
    size = product.member_size
    sensing = _compact(product.start)
    if product.collection == "SENTINEL-2":
        tile = str(product.attribute("tileId"))
        level = "L2A" if product.product_type == "S2MSI2A" else "L1C"
        absolute = product.attribute("orbitNumber")
        granule = f"{root}/GRANULE/{level}_T{tile}_A{absolute:06d}_{sensing}"
        yield f"{root}/manifest.safe", _xml(product, "manifest")
        yield f"{root}/MTD_MSI{level}.xml", _xml(product, "MTD")
        yield f"{granule}/MTD_TL.xml", _xml(product, "MTD_TL")
        if level == "L2A":
            for res, bands, scale in (
                ("10m", S2_BANDS_10M, 1),
                ("20m", S2_BANDS_20M, 2),
                ("60m", S2_BANDS_60M, 4),
            ):
                for band in bands:
                    member = f"{granule}/IMG_DATA/R{res}/T{tile}_{sensing}_{band}_{res}.jp2"
                    yield member, _blob(product, member, size // scale)
            yield f"{granule}/QI_DATA/MSK_CLDPRB_20m.jp2", _blob(product, "cld", size // 2)
        else:
            for band in S2_BANDS_L1C:
                member = f"{granule}/IMG_DATA/T{tile}_{sensing}_{band}.jp2"
                yield member, _blob(product, member, size)
        return
    platform = product.name[:3].lower()
    kind = "grd" if "GRD" in product.name else "slc"
    stamp = f"{sensing.lower()}-{_compact(product.end).lower()}"
    absolute = f"{product.attribute('orbitNumber'):06d}"
    yield f"{root}/manifest.safe", _xml(product, "manifest")
    swaths = ("iw",) if kind == "grd" else ("iw1", "iw2", "iw3")
    number = 1
    for swath in swaths:
        for pol in ("vv", "vh"):
            base = f"{platform}-{swath}-{kind}-{pol}-{stamp}-{absolute}-{number:03d}"
            yield f"{root}/annotation/{base}.xml", _xml(product, base)
            yield f"{root}/measurement/{base}.tiff", _blob(product, base, size * 2)
            number += 1
    yield f"{root}/preview/quick-look.png", _blob(product, "ql", size // 4)


def _build_zip(product: Product) -> bytes:
    buffer = io.BytesIO()
    stamp = product.start.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in _members(product):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            is_text = name.endswith((".xml", ".safe"))
            info.compress_type = zipfile.ZIP_DEFLATED if is_text else zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def product_json(product: Product, *, expand: tuple[str, ...] = ()) -> dict:
    """The product as the OData catalogue serialises it (``$expand`` adds ``Attributes``/``Assets``)."""
    coords = [list(map(lambda v: round(v, 6), xy)) for xy in product.footprint.exterior.coords]
    wkt_ring = ", ".join(f"{x} {y}" for x, y in coords)
    checksum = (
        [{"Value": product.md5, "Algorithm": "MD5", "ChecksumDate": iso_millis(product.publication)}]
        if product.with_checksum
        else []
    )
    item: dict = {
        "@odata.mediaContentType": "application/octet-stream",
        "Id": product.id,
        "Name": product.name,
        "ContentType": "application/octet-stream",
        "ContentLength": product.content_length,
        "OriginDate": iso_millis(product.origin),
        "PublicationDate": iso_millis(product.publication),
        "ModificationDate": iso_millis(product.modification),
        "Online": product.online,
        "EvictionDate": "9999-12-31T23:59:59.999Z",
        "S3Path": product.s3_path,
        "Checksum": checksum,
        "ContentDate": {"Start": iso_millis(product.start), "End": iso_millis(product.end)},
        "Footprint": f"geography'SRID=4326;POLYGON (({wkt_ring}))'",
        "GeoFootprint": {"type": "Polygon", "coordinates": [coords]},
    }
    if "Attributes" in expand:
        item["Attributes"] = [
            {
                "@odata.type": f"#OData.CSC.{att.value_type}Attribute",
                "Name": att.name,
                "Value": iso_millis(att.value) if isinstance(att.value, datetime) else att.value,
                "ValueType": att.value_type,
            }
            for att in product.attributes
        ]
    if "Assets" in expand:
        item["Assets"] = []
    if "Locations" in expand:
        item["Locations"] = [
            {
                "FormatType": "Extracted",
                "DownloadLink": f"/odata/v1/Products({product.id})/$value",
                "ContentLength": product.content_length,
                "Checksum": checksum,
                "S3Path": product.s3_path,
            }
        ]
    return item
