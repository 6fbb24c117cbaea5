"""The zip format parser and safety rules, on archives written by zipfile and by hand (no network)."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from scene_picker.core import zipdecode, zipformat, zipsafety
from scene_picker.core.errors import (
    ArchiveError,
    UnsafeArchiveError,
    UnsupportedCompressionError,
)

from support import zipgen


def directory_of(data: bytes, tail_size: int = 8192, limits=zipformat.ZipLimits()):
    reads: list[tuple[int, int]] = []

    def read(start: int, end: int) -> bytes:
        assert 0 <= start < end <= len(data)
        reads.append((start, end))
        return data[start:end]

    tail = data[-tail_size:]
    eocd, members = zipformat.read_directory(read, len(data), tail, limits)
    return eocd, members, reads


def decode(data: bytes, member: zipformat.ZipMember, chunk: int = 65536) -> bytes:
    header = zipformat.parse_local_header(data[member.header_offset : member.header_offset + 30])
    name = data[member.header_offset + 30 : member.header_offset + 30 + header.name_length]
    zipformat.check_local_header(member, header, name)
    start = member.header_offset + header.length
    payload = data[start : start + member.compressed_size]
    decoder = zipdecode.MemberDecoder(member, piece=100_000)
    out = bytearray()
    for i in range(0, len(payload), chunk):
        for piece in decoder.feed(payload[i : i + chunk]):
            assert len(piece) <= max(100_000, chunk)  # stored members pass chunks through
            out += piece
    for piece in decoder.finish():
        out += piece
    assert decoder.crc_ok
    return bytes(out)


@pytest.fixture(scope="module")
def bands() -> tuple[bytes, list[zipgen.Member]]:
    buf = io.BytesIO()
    members = zipgen.bands_members(0.2)
    zipgen.write_with_zipfile(buf, members)
    return buf.getvalue(), members


def test_directory_matches_zipfile(bands):
    data, members = bands
    eocd, parsed, reads = directory_of(data)
    assert reads == []  # a 14-member directory fits in an 8 KiB tail
    oracle = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert eocd.entries == len(members) == len(parsed)
    for ours, theirs in zip(parsed, oracle):
        assert (ours.name, ours.compressed_size, ours.file_size, ours.crc32, ours.compress_type) == (
            theirs.filename,
            theirs.compress_size,
            theirs.file_size,
            theirs.CRC,
            theirs.compress_type,
        )
        assert ours.header_offset == theirs.header_offset
        assert ours.date_time == theirs.date_time
        assert not ours.is_dir and not ours.is_symlink
    assert {m.compress_type for m in parsed} == {0, 8, 12, 14}


def test_large_directory_is_read_in_one_more_call(bands):
    data, _ = bands
    eocd, parsed, reads = directory_of(data, tail_size=600)
    assert len(parsed) == 14
    assert reads == [(eocd.cd_offset, len(data) - 600)]


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_every_method_decodes_in_any_chunking(bands, chunk):
    data, members = bands
    _, parsed, _ = directory_of(data)
    for member, original in zip(parsed, members):
        if chunk == 1 and member.compressed_size > 60_000:
            continue  # one-byte feeding of the big members is slow and proves nothing more
        assert decode(data, member, chunk) == original.data, member.name


def test_comment_holding_a_fake_record_and_the_longest_comment():
    fake = b"PK\x05\x06" + b"\x00" * 18
    for comment in (b"processed by " + fake + b" tail", b"c" * 65535, fake * 2978 + b"x" * 19):
        buf = io.BytesIO()
        zipgen.write_with_zipfile(buf, zipgen.bands_members(0.01), comment=comment)
        data = buf.getvalue()
        eocd, parsed, reads = directory_of(data)
        assert eocd.comment == comment
        assert len(parsed) == 14
        assert eocd.offset == len(data) - 22 - len(comment)
        if len(comment) > 8192:
            assert len(reads) == 2  # a longer tail for the record, then the front of the directory


def test_zip64_records_and_extra_fields():
    entries = zipgen.zip64_entries(0.05)
    data = zipgen.build_zip(entries, comment=b"zip64!", zip64=True)
    oracle = zipfile.ZipFile(io.BytesIO(data))
    assert oracle.testzip() is None  # the hand-written archive is valid for the standard library
    eocd, parsed, _ = directory_of(data)
    assert eocd.needs_zip64 and eocd.comment == b"zip64!"
    assert [m.name for m in parsed] == [e.name for e in entries]
    for member, entry, theirs in zip(parsed, entries, oracle.infolist()):
        assert member.file_size == len(entry.data) == theirs.file_size
        assert member.header_offset == theirs.header_offset
        assert decode(data, member, 3000) == entry.data


def test_zip64_from_zipfile_with_more_than_65535_members():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for i in range(65540):
            archive.writestr(zipfile.ZipInfo(f"t/{i}", zipgen.DATE_TIME), b"")
    data = buf.getvalue()
    eocd, parsed, reads = directory_of(data)
    assert eocd.needs_zip64 and eocd.entries == 65540 == len(parsed)
    assert parsed[-1].name == "t/65539"
    assert len(reads) == 1  # the front of the directory


def test_data_descriptors(tmp_path):
    path = tmp_path / "dd.zip"
    originals = zipgen.make_descriptor_archive(path, scale=0.02)
    data = path.read_bytes()
    _, parsed, _ = directory_of(data)
    for member, original in zip(parsed, originals):
        assert member.has_descriptor
        assert decode(data, member) == original.data
        header = zipformat.parse_local_header(data[member.header_offset : member.header_offset + 30])
        end = member.header_offset + header.length + member.compressed_size
        descriptor = zipformat.parse_data_descriptor(data[end : end + 24], zip64=False)
        assert (descriptor.crc32, descriptor.compressed_size, descriptor.file_size) == (
            member.crc32,
            member.compressed_size,
            member.file_size,
        )


def test_not_a_zip():
    with pytest.raises(ArchiveError, match="no end-of-central-directory"):
        directory_of(b"<html>not found</html>" * 100)
    with pytest.raises(ArchiveError, match="only 5 bytes"):
        directory_of(b"hello", tail_size=5)


def test_truncated_directory_is_an_archive_error(bands):
    data, _ = bands
    eocd, _, _ = directory_of(data)
    broken = bytearray(data)
    broken[eocd.cd_offset] ^= 0xFF
    with pytest.raises(ArchiveError, match="central directory entry signature"):
        directory_of(bytes(broken))


@pytest.mark.parametrize("key", ["dotdot", "absolute", "drive", "backslash"])
def test_zip_slip_names_refuse_the_archive(key):
    data = zipgen.zip_slip_archives()[key]
    eocd, members, _ = directory_of(data)
    with pytest.raises(UnsafeArchiveError, match="archive refused"):
        zipsafety.check_archive(members, eocd.cd_offset)


def test_symlink_entry_refuses_the_archive():
    eocd, members, _ = directory_of(zipgen.symlink_archive())
    assert members[1].is_symlink
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        zipsafety.check_archive(members, eocd.cd_offset)


def test_ratio_bomb_and_total_size_refuse_the_archive():
    eocd, members, _ = directory_of(zipgen.ratio_bomb_archive())
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        zipsafety.check_archive(members, eocd.cd_offset)
    eocd, members, _ = directory_of(zipgen.build_zip(zipgen.zip64_entries(0.05)))
    zipsafety.check_archive(members, eocd.cd_offset)
    with pytest.raises(UnsafeArchiveError, match="more than the limit"):
        zipsafety.check_archive(members, eocd.cd_offset, zipformat.ZipLimits(max_total_size=100_000))


def test_overlapping_entries_refuse_the_archive():
    eocd, members, _ = directory_of(zipgen.overlap_bomb_archive())
    with pytest.raises(UnsafeArchiveError, match="overlap"):
        zipsafety.check_archive(members, eocd.cd_offset)


def test_duplicate_and_shadowing_members():
    dup = zipgen.build_zip([zipgen.RawEntry("a/b.txt", b"1"), zipgen.RawEntry("a/./b.txt", b"2")])
    eocd, members, _ = directory_of(dup)
    with pytest.raises(UnsafeArchiveError, match="twice"):
        zipsafety.check_archive(members, eocd.cd_offset)
    shadow = zipgen.build_zip([zipgen.RawEntry("a", b"file"), zipgen.RawEntry("a/b.txt", b"2")])
    eocd, members, _ = directory_of(shadow)
    with pytest.raises(UnsafeArchiveError, match="under file member"):
        zipsafety.check_archive(members, eocd.cd_offset)


def test_lying_size_is_caught_while_streaming():
    data = zipgen.lying_size_archive()
    eocd, members, _ = directory_of(data)
    zipsafety.check_archive(members, eocd.cd_offset)  # nothing visible in the directory
    with pytest.raises(UnsafeArchiveError, match="beyond its declared size"):
        decode(data, members[1])


def test_corrupt_data_and_crc():
    payload = b"hello world " * 1000
    data = zipgen.build_zip([zipgen.RawEntry("x.txt", payload)])
    _, members, _ = directory_of(data)
    member = members[0]
    start = member.header_offset + 30 + len(b"x.txt")
    flipped = bytearray(data)
    flipped[start + member.compressed_size // 2] ^= 0x55
    with pytest.raises((ArchiveError, AssertionError)):
        decode(bytes(flipped), member)
    stored = zipgen.build_zip([zipgen.RawEntry("x.txt", payload, method=zipfile.ZIP_STORED)])
    _, (member,), _ = directory_of(stored)
    flipped = bytearray(stored)
    flipped[40] ^= 1
    decoder = zipdecode.MemberDecoder(member)
    out = b"".join(decoder.feed(bytes(flipped[35 : 35 + member.compressed_size])))
    list(decoder.finish())
    assert len(out) == len(payload) and not decoder.crc_ok
    assert decoder.crc == zlib.crc32(out)


def test_truncated_compressed_stream():
    data = zipgen.build_zip([zipgen.RawEntry("x.bin", zipgen.band_bytes(1, 50_000))])
    _, (member,), _ = directory_of(data)
    decoder = zipdecode.MemberDecoder(member)
    list(decoder.feed(data[35 : 35 + member.compressed_size // 2]))
    with pytest.raises(ArchiveError, match="ends before"):
        list(decoder.finish())


def test_unsupported_method_and_encryption():
    member = zipformat.ZipMember("a.bin", 10, 10, 0, 9, 0)
    with pytest.raises(UnsupportedCompressionError, match="deflate64"):
        zipdecode.MemberDecoder(member)
    member = zipformat.ZipMember("a.bin", 10, 10, 0, 8, 0, flags=1)
    with pytest.raises(ArchiveError, match="encrypted"):
        zipdecode.check_supported(member)


def test_local_header_must_match_directory():
    data = zipgen.overlap_bomb_archive(copies=1)
    _, members, _ = directory_of(data)
    alias = members[2]
    header = zipformat.parse_local_header(data[alias.header_offset : alias.header_offset + 30])
    name = data[alias.header_offset + 30 : alias.header_offset + 30 + header.name_length]
    with pytest.raises(UnsafeArchiveError, match="local header names"):
        zipformat.check_local_header(alias, header, name)


def test_names_decoding_and_reasons():
    assert zipformat.decode_name("é".encode("cp437"), 0) == "é"
    assert zipformat.decode_name("é".encode(), zipformat.FLAG_UTF8) == "é"
    assert zipsafety.unsafe_name_reason("a/b/c.jp2") is None
    assert zipsafety.unsafe_name_reason("a/..b/c") is None
    assert zipsafety.unsafe_name_reason("a/../../c") == "'..' path component"
    assert zipsafety.unsafe_name_reason("d:x") == "drive letter"
    assert zipsafety.member_parts("./a//b/") == ("a", "b")


def test_an_all_zero_deflated_mask_is_not_a_bomb():
    data = zipgen.build_zip([zipgen.RawEntry("MASKS/CLM_R1.tif", bytes(20 << 20))])  # ~1030:1, deflate's max
    eocd, (member,), _ = directory_of(data)
    assert member.file_size / member.compressed_size > 1000
    zipsafety.check_archive([member], eocd.cd_offset)
    assert decode(data, member) == bytes(20 << 20)


def test_damaged_directories_raise_only_archive_errors(bands):
    """Random byte flips and cuts in the directory region end in ArchiveError or parse; never a
    struct.error, IndexError or UnicodeDecodeError."""
    import random

    data, _ = bands
    eocd, _, _ = directory_of(data)
    rng = random.Random(42)
    outcomes = {"parsed": 0, "refused": 0}
    for _ in range(400):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(eocd.cd_offset, len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[: rng.randrange(len(damaged) - 3000, len(damaged))]
        try:
            found, members, _ = directory_of(bytes(damaged))
            zipsafety.check_archive(members, found.cd_offset)
            outcomes["parsed"] += 1
        except ArchiveError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 50 and sum(outcomes.values()) == 400


def test_a_directory_larger_than_the_limit_is_refused_before_it_is_read(bands):
    data, _ = bands
    eocd, _, _ = directory_of(data)
    reads = []

    def read(start: int, end: int) -> bytes:
        reads.append((start, end))
        return data[start:end]

    limits = zipformat.ZipLimits(max_directory_size=eocd.cd_size - 1)
    with pytest.raises(UnsafeArchiveError, match=f"central directory of {eocd.cd_size} bytes.*refused"):
        zipformat.read_directory(read, len(data), data[-64:], limits)
    assert reads == []  # the directory (outside the 64-byte tail) was never fetched
    zipformat.read_directory(
        read, len(data), data[-64:], zipformat.ZipLimits(max_directory_size=eocd.cd_size)
    )
    assert len(reads) == 1 and reads[0][0] == eocd.cd_offset  # (the rest comes from the tail)
