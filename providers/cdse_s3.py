"""CDSE's S3 object store: download a product's prefix (its ``S3Path``) with the user's S3 keys.

``boto3`` is an optional extra (``pip install boto3``): it is imported only when an S3 download starts,
and its absence is a clear :class:`~scene_picker.core.errors.UsageError`. Every object under the
product prefix is written as ``<outdir>/<SAFE name>/<path inside the product>`` through a ``.part``
file renamed once complete; its size is checked, and its MD5 when the object's ETag is a plain MD5
(single-part uploads). Objects already there with the right size are kept unless ``overwrite``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
from pathlib import Path
from typing import Any, Optional

from ..core.cancel import CancelToken
from ..core.errors import (
    AuthenticationError,
    CancelledError,
    ChecksumMismatchError,
    NetworkError,
    ProviderError,
    SizeMismatchError,
    UsageError,
)
from ..core.progress import ProgressCallback, ProgressMeter
from ..core.redact import redact

log = logging.getLogger(__name__)

#: Objects listed per product at most (a SAFE holds a few hundred).
MAX_OBJECTS = 100_000
_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "403",
    "InvalidToken",
    "ExpiredToken",
}


def _boto3() -> Any:
    try:
        import boto3  # noqa: PLC0415 - optional extra, imported on use
    except ImportError:
        raise UsageError(
            "Downloading from the CDSE S3 store needs the optional Python package 'boto3', which is not "
            "installed here. Install it (pip install boto3) or download through HTTPS instead."
        ) from None
    return boto3


def split_s3_path(s3_path: str) -> tuple[str, str]:
    """``("eodata", "Sentinel-2/…/X.SAFE/")`` from ``/eodata/Sentinel-2/…/X.SAFE`` (or ``s3://…``)."""
    path = s3_path[5:] if s3_path.startswith("s3://") else s3_path
    bucket, _, prefix = path.lstrip("/").partition("/")
    if not bucket or not prefix.strip("/"):
        raise ProviderError(f"Not a usable S3 path: {s3_path!r}.", "cdse")
    return bucket, prefix.strip("/") + "/"


def make_client(access_key: str, secret_key: str, endpoint_url: str) -> Any:
    """An S3 client for CDSE's store (path-style addressing, bounded retries)."""
    boto3 = _boto3()
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="default",
        config=config,
    )


def download_prefix(
    s3_path: str,
    outdir: Path,
    *,
    access_key: str,
    secret_key: str,
    endpoint_url: str,
    overwrite: bool = False,
    cancel: Optional[CancelToken] = None,
    progress: Optional[ProgressCallback] = None,
) -> tuple[list[Path], int]:
    """Fetch every object under ``s3_path``; returns the files and the bytes fetched this time."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

    bucket, prefix = split_s3_path(s3_path)
    parent = posixpath.dirname(prefix.rstrip("/"))
    parent = parent + "/" if parent else ""
    client = make_client(access_key, secret_key, endpoint_url)
    secrets = (secret_key, access_key)
    try:
        objects = _list(client, bucket, prefix)
        if not objects:
            raise ProviderError(f"The CDSE S3 store holds nothing under s3://{bucket}/{prefix}.", "cdse")
        meter = ProgressMeter(
            posixpath.basename(prefix.rstrip("/")), sum(o["Size"] for o in objects), progress
        )
        files: list[Path] = []
        fetched = 0
        for obj in objects:
            if cancel is not None:
                cancel.raise_if_cancelled("The S3 download")
            dest = _target(Path(outdir), obj["Key"][len(parent) :])
            if not overwrite and dest.is_file() and dest.stat().st_size == obj["Size"]:
                meter.add(obj["Size"])
                files.append(dest)
                continue
            fetched += _fetch(client, bucket, obj, dest, meter, cancel)
            files.append(dest)
        meter.finish()
        return files, fetched
    except ClientError as exc:
        error = exc.response.get("Error", {}) if hasattr(exc, "response") else {}
        code = str(error.get("Code", ""))
        message = redact(str(error.get("Message") or exc), secrets)[:200]
        if code in _AUTH_CODES:
            raise AuthenticationError(
                f"The CDSE S3 store refused the S3 keys ({code}: {message}). Check or renew them in the "
                "CDSE S3 keys manager, then store them with 'scene-picker cdse s3-keys --access-key KEY'."
            ) from None
        raise ProviderError(f"The CDSE S3 store answered {code or 'an error'}: {message}", "cdse") from None
    except EndpointConnectionError as exc:
        raise NetworkError(f"The CDSE S3 store at {endpoint_url} cannot be reached: {exc}") from None
    except BotoCoreError as exc:
        raise NetworkError(
            f"S3 transfer from {endpoint_url} failed: {redact(str(exc), secrets)[:200]}"
        ) from None


def _list(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("list_objects_v2")
    objects: list[dict[str, Any]] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix, PaginationConfig={"MaxItems": MAX_OBJECTS}):
        for obj in page.get("Contents") or ():
            if not obj["Key"].endswith("/"):
                objects.append(obj)
    return objects


def _target(outdir: Path, relative: str) -> Path:
    parts = [p for p in relative.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ProviderError(f"Refusing the unsafe S3 object name {relative!r}.", "cdse")
    return outdir.joinpath(*parts)


def _fetch(client: Any, bucket: str, obj: dict[str, Any], dest: Path, meter: ProgressMeter, cancel) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")

    def on_bytes(count: int) -> None:
        if cancel is not None and cancel.is_cancelled():
            raise CancelledError("The S3 download was cancelled.")
        meter.add(count)

    try:
        client.download_file(bucket, obj["Key"], str(part), Callback=on_bytes)
        size = part.stat().st_size
        if size != obj["Size"]:
            raise SizeMismatchError(f"s3://{bucket}/{obj['Key']} arrived with {size} of {obj['Size']} bytes.")
        etag = str(obj.get("ETag", "")).strip('"').lower()
        if len(etag) == 32 and "-" not in etag and _md5(part) != etag:
            raise ChecksumMismatchError(f"s3://{bucket}/{obj['Key']} does not match its MD5 ETag.")
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return size


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
