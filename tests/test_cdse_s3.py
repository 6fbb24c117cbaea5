"""CDSE S3 download of a product prefix against a real S3-compatible server on loopback (moto's
threaded server); skipped with a printed reason when moto/boto3 are not installed. The message for a
missing boto3 is tested without them."""

from __future__ import annotations

import hashlib
import sys

import pytest

from scene_picker.core.errors import AuthenticationError, ProviderError, UsageError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.providers.cdse import CdseProvider
from scene_picker.providers.cdse_s3 import split_s3_path

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import S2_TILES, generate_products

ACCESS, SECRET = "cdse-test-access", "cdse-test-secret-key"


def _moto_server():
    try:
        import boto3  # noqa: F401
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # pragma: no cover - depends on the machine
        print(f"S3 tests skipped: moto[server]/boto3 are not installed ({exc})")
        pytest.skip(f"no S3-compatible server available here: {exc}")
    return ThreadedMotoServer


@pytest.fixture(scope="module")
def s3():
    server_class = _moto_server()
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def seeded(s3):
    """Two products' SAFE members put under their S3Path in a bucket named like CDSE's."""
    import boto3

    products = [p for p in generate_products(years=1, tiles=S2_TILES[:1], sentinel1=False) if p.online][:2]
    client = boto3.client(
        "s3", endpoint_url=s3, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET, region_name="us-east-1"
    )
    client.create_bucket(Bucket="eodata")
    for product in products:
        bucket, prefix = split_s3_path(product.s3_path)
        parent = prefix.rstrip("/").rsplit("/", 1)[0] + "/"
        for member, data in product.members().items():
            client.put_object(Bucket=bucket, Key=parent + member, Body=data)
    with CdseEmulator(products) as emu:
        yield emu, products


def provider(emu: CdseEmulator, endpoint: str, keys=(ACCESS, SECRET)) -> CdseProvider:
    http = HttpClient(retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    return CdseProvider(
        emu.catalogue_url, emu.zipper_url, emu.token_url, s3_endpoint=endpoint, s3_keys=keys, http=http
    )


def test_s3_download_of_a_product_prefix(seeded, s3, tmp_path):
    emu, products = seeded
    product = products[0]
    cdse = provider(emu, s3)
    scene = cdse.get(product.id)
    result = cdse.download_s3(scene, tmp_path)
    members = product.members()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in result.files) == sorted(members)
    for path in result.files:
        data = path.read_bytes()
        assert (
            hashlib.md5(data).digest() == hashlib.md5(members[path.relative_to(tmp_path).as_posix()]).digest()
        )
    assert result.bytes_fetched == sum(len(d) for d in members.values())
    again = cdse.download_s3(scene, tmp_path)  # the SAFE folder is there now: skipped by name
    assert again.skipped == 1 and again.bytes_fetched == 0
    assert not list(tmp_path.rglob("*.part"))


def test_s3_errors_are_specific(seeded, s3, tmp_path):
    emu, products = seeded
    cdse = provider(emu, s3)
    scene = cdse.get(products[1].id)
    scene.properties["s3_path"] = "/eodata/Sentinel-2/MSI/L2A/1999/01/01/NOTHING.SAFE"
    with pytest.raises(ProviderError, match="holds nothing under s3://eodata/Sentinel-2/MSI/L2A/1999"):
        cdse.download_s3(scene, tmp_path)
    scene.properties["s3_path"] = "/no-such-bucket/Sentinel-2/X.SAFE"
    with pytest.raises(ProviderError, match="NoSuchBucket") as info:
        cdse.download_s3(scene, tmp_path)
    assert SECRET not in str(info.value) and not list(tmp_path.iterdir())


def test_missing_boto3_is_a_clear_message(monkeypatch, tmp_path):
    products = [p for p in generate_products(years=1, tiles=S2_TILES[:1], sentinel1=False)][:1]
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if boto3 were not installed
    with CdseEmulator(products) as emu:
        cdse = CdseProvider(emu.catalogue_url, emu.zipper_url, emu.token_url, s3_keys=(ACCESS, SECRET))
        with pytest.raises(UsageError, match="optional Python package 'boto3'"):
            cdse.download_s3(cdse.get(products[0].id), tmp_path)


def test_missing_s3_keys_say_how_to_store_them(tmp_path):
    products = [p for p in generate_products(years=1, tiles=S2_TILES[:1], sentinel1=False)][:1]
    with CdseEmulator(products) as emu:
        cdse = CdseProvider(emu.catalogue_url, emu.zipper_url, emu.token_url)
        with pytest.raises(AuthenticationError, match="scene-picker cdse s3-keys"):
            cdse.download_s3(cdse.get(products[0].id), tmp_path)
