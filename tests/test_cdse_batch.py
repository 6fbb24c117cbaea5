"""Batch CDSE queries from a CSV table: sequential and parallel runs give one table tagged by query id,
matching the emulator's ground truth; a re-run reads the on-disk cache instead of the catalogue."""

from __future__ import annotations

import csv
from datetime import datetime, timezone

import pytest
from shapely import wkt

from scene_picker.core.errors import ProviderError, UsageError
from scene_picker.core.http import HttpClient, RetryPolicy
from scene_picker.providers.cdse import CdseProvider
from scene_picker.providers.cdse_batch import read_table, run_batch, write_table

from support.cdse_emulator import CdseEmulator
from support.cdse_groundtruth import default_products

UTC = timezone.utc
QUERIES = [
    {
        "id": "montpellier-2021",
        "start": "2021-03-01",
        "end": "2021-06-30",
        "geometry": "POLYGON((3.7 43.5,4.0 43.5,4.0 43.7,3.7 43.7,3.7 43.5))",
        "collection": "SENTINEL-2",
        "product_type": "S2MSI2A",
        "sensor_mode": "",
        "name": "",
    },
    {
        "id": "toulouse-2022",
        "start": "2022-07-01",
        "end": "2022-08-31",
        "geometry": "POLYGON((1.3 43.5,1.5 43.5,1.5 43.7,1.3 43.7,1.3 43.5))",
        "collection": "SENTINEL-2",
        "product_type": "",
        "sensor_mode": "",
        "name": "_N0400_",
    },
    {
        "id": "s1-iw-grd",
        "start": "2023-01-01",
        "end": "2023-03-31",
        "geometry": "POLYGON((2.5 43.5,3.0 43.5,3.0 44.0,2.5 44.0,2.5 43.5))",
        "collection": "SENTINEL-1",
        "product_type": "IW_GRDH_1S",
        "sensor_mode": "IW",
        "name": "S1A_",
    },
]


@pytest.fixture(scope="module")
def products():
    return list(default_products())


@pytest.fixture(scope="module")
def emulator(products):
    with CdseEmulator(products) as emu:
        yield emu


@pytest.fixture()
def provider(emulator):
    http = HttpClient(retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    return CdseProvider(emulator.catalogue_url, emulator.zipper_url, emulator.token_url, http=http)


def expected(products, row) -> list[str]:
    start = datetime.fromisoformat(row["start"]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(row["end"] + "T23:59:59.999999").replace(tzinfo=UTC)
    area = wkt.loads(row["geometry"])
    return sorted(
        p.name
        for p in products
        if p.collection == row["collection"]
        and start <= p.start <= end
        and p.footprint.intersects(area)
        and (not row["product_type"] or p.product_type == row["product_type"])
        and (not row["sensor_mode"] or p.attribute("operationalMode") == row["sensor_mode"])
        and (not row["name"] or row["name"] in p.name)
    )


def table_file(tmp_path, rows=QUERIES):
    path = tmp_path / "queries.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_sequential_and_parallel_runs_give_one_tagged_table(provider, products, tmp_path):
    queries = read_table(table_file(tmp_path))
    sequential = run_batch(provider, queries)
    parallel = run_batch(provider, queries, parallel=3)
    assert sequential == parallel
    assert [r["query_id"] for r in sequential] == sorted(
        (r["query_id"] for r in sequential), key=[q["id"] for q in QUERIES].index
    )
    for row in QUERIES:
        got = sorted(r["name"] for r in sequential if r["query_id"] == row["id"])
        assert got == expected(products, row) and got
    s1 = [r for r in sequential if r["query_id"] == "s1-iw-grd"]
    assert {r["sensor_mode"] for r in s1} == {"IW"} and {r["product_type"] for r in s1} == {"IW_GRDH_1S"}
    out = tmp_path / "results.csv"
    write_table(sequential, out)
    back = read_table(out)
    assert [r["name"] for r in back] == [r["name"] for r in sequential]
    assert back[0]["query_id"] == "montpellier-2021" and back[0]["md5"] in ("", sequential[0]["md5"])


def test_a_rerun_hits_the_cache(provider, emulator, tmp_path):
    queries = read_table(table_file(tmp_path))
    cache = tmp_path / "cache"
    first = run_batch(provider, queries, cache_dir=cache)
    assert len(list(cache.glob("*.json"))) == 3
    before = len(emulator.requests_to("catalogue"))
    again = run_batch(provider, queries, parallel=2, cache_dir=cache)
    assert again == first and len(emulator.requests_to("catalogue")) == before  # no request at all
    renamed = [dict(q, id=q["id"] + "-bis") for q in queries]  # same queries under other ids: cached
    assert [r["name"] for r in run_batch(provider, renamed, cache_dir=cache)] == [r["name"] for r in first]
    assert len(emulator.requests_to("catalogue")) == before
    changed = [dict(queries[0], end="2021-05-31")]
    run_batch(provider, changed, cache_dir=cache)
    assert len(emulator.requests_to("catalogue")) > before and len(list(cache.glob("*.json"))) == 4


def test_bad_tables_and_failing_queries_name_the_query(provider, emulator, tmp_path):
    with pytest.raises(UsageError, match="unique"):
        run_batch(provider, [QUERIES[0], QUERIES[0]])
    with pytest.raises(UsageError, match="Batch query 'bad'.*date"):
        run_batch(provider, [dict(QUERIES[0], id="bad", start="yesterday")])
    with pytest.raises(UsageError, match="Unknown column"):
        run_batch(provider, [dict(QUERIES[0], cloud="10")])
    emulator.inject_fault("catalogue", status=503, count=2, path_contains="/Products")
    with pytest.raises(ProviderError, match="Batch query 'montpellier-2021' failed: .*503"):
        run_batch(provider, [QUERIES[0]])
