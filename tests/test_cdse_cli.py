"""``scene-picker cdse``: accounts and S3 keys into the keyring, a batch CSV against the CDSE emulator."""

from __future__ import annotations

import csv
import io
import sys

import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import load_credentials
from scene_picker.providers.cdse import CdseProvider

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import S2_TILES, generate_products


def test_accounts_and_s3_keys_go_to_the_keyring(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw-two\n"))
    assert main(["cdse", "account", "--number", "2", "-u", "two@example.org", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3-secret\n"))
    assert main(["cdse", "s3-keys", "--access-key", "AKIAEXAMPLE", "--secret-stdin"]) == 0
    try:
        assert load_credentials("cdse-2").username == "two@example.org"
        assert load_credentials("cdse-s3").secret == "s3-secret"
        assert CdseProvider().s3_keys() == ("AKIAEXAMPLE", "s3-secret")
        out = capsys.readouterr().out
        assert "pw-two" not in out and "s3-secret" not in out
    finally:
        assert main(["cdse", "account", "--number", "2", "--delete"]) == 0
        assert main(["cdse", "s3-keys", "--delete"]) == 0
    assert load_credentials("cdse-2") is None and load_credentials("cdse-s3") is None
    assert main(["cdse", "account", "--number", "0", "-u", "x"]) == 2  # a usage error, one clear line
    assert "start at 1" in capsys.readouterr().err


def test_batch_csv_in_products_csv_out(tmp_path, capsys):
    products = generate_products(years=1, tiles=S2_TILES[:2], sentinel1=False)
    queries = tmp_path / "queries.csv"
    with queries.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "start", "end", "geometry", "collection", "product_type", "sensor_mode", "name"]
        )
        writer.writerow(
            ["q1", "2021-02-01", "2021-03-31", "POINT(1.0 43.6)", "SENTINEL-2", "S2MSI1C", "", ""]
        )
        writer.writerow(["q2", "2021-05-01", "2021-05-31", "", "SENTINEL-2", "", "", "T31TDJ"])
    with CdseEmulator(products) as emu:
        out = tmp_path / "products.csv"
        args = ["cdse", "batch", str(queries), "--out", str(out), "--parallel", "2", "--catalogue-url"]
        assert main([*args, emu.catalogue_url, "--cache", str(tmp_path / "cache")]) == 0
        rows = list(csv.DictReader(out.open()))
    assert {r["query_id"] for r in rows} == {"q1", "q2"}
    q1 = sorted(r["name"] for r in rows if r["query_id"] == "q1")
    assert q1 and all(n.startswith(("S2A_MSIL1C_", "S2B_MSIL1C_")) and "_T31TCJ_" in n for n in q1)
    assert all("T31TDJ" in r["name"] for r in rows if r["query_id"] == "q2")
    assert f"{len(rows)} products from 2 of the queries" in capsys.readouterr().err


@pytest.mark.parametrize("table", ["missing.csv"])
def test_batch_without_a_table_is_a_usage_error(tmp_path, capsys, table):
    assert main(["cdse", "batch", str(tmp_path / table)]) == 2
    assert "No query table" in capsys.readouterr().err
