"""Checksums: algorithms, STAC multihash, file verification."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from scene_picker.core.checksums import Checksum, file_checksum, verify_file
from scene_picker.core.errors import ChecksumMismatchError, UsageError

DATA = b"scene picker " * 100_000


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256", "sha512"])
def test_file_checksum_matches_hashlib(tmp_path, algorithm):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    assert file_checksum(path, algorithm) == hashlib.new(algorithm, DATA).hexdigest()
    verify_file(path, Checksum(algorithm.upper(), hashlib.new(algorithm, DATA).hexdigest().upper()))


def test_crc32(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    expected = Checksum.from_crc32(zlib.crc32(DATA))
    assert file_checksum(path, "crc32") == expected.hexdigest
    assert Checksum("crc32", "abc").hexdigest == "00000abc"


def test_multihash_round_trip():
    digest = hashlib.sha256(DATA).hexdigest()
    multihash = "1220" + digest
    parsed = Checksum.from_multihash(multihash)
    assert parsed == Checksum("sha256", digest)
    assert parsed.to_multihash() == multihash
    md5 = hashlib.md5(DATA).hexdigest()
    assert Checksum.from_multihash("d50110" + md5) == Checksum("md5", md5)


@pytest.mark.parametrize("bad", ["12", "1220abcd", "zz", "9999", "1f20" + "00" * 32])
def test_bad_multihash_refused(bad):
    with pytest.raises(UsageError):
        Checksum.from_multihash(bad)


def test_bad_digest_refused():
    with pytest.raises(UsageError):
        Checksum("sha256", "abc")
    with pytest.raises(UsageError):
        Checksum("whirlpool", "00")


def test_verify_file_mismatch(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    with pytest.raises(ChecksumMismatchError, match="expected"):
        verify_file(path, Checksum("md5", "0" * 32))
    assert not Checksum("md5", "0" * 32).matches_file(path)
