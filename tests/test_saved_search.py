"""Plan files of ``scene-picker sync``: the README's example, TOML and JSON, rolling and fixed windows,
provider options, refused mistakes, the writer's round trip, and Pythons without tomllib."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap

import pytest

from scene_picker.core.errors import UsageError
from scene_picker.core.saved_search import dump_plan, load_plan, parse_last, parse_plan, plan_text

from conftest import PKG_PARENT, ROOT

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 7, 1, 6, 0, tzinfo=UTC)


def readme_plan() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```toml\n(# field\.toml.*?)```", text, re.S).group(1)


def test_the_readme_example_is_a_valid_plan(tmp_path):
    path = tmp_path / "field.toml"
    path.write_text(readme_plan())
    (search,) = load_plan(path).searches
    assert (search.name, search.providers, search.collections) == ("field-s2", ("cdse",), ("SENTINEL-2",))
    assert search.product_type == "S2MSI2A" and search.cloud_max == 20.0
    assert search.fetch.members == ("*_B04_10m.jp2", "*_B08_10m.jp2")
    assert search.fetch.clip and search.fetch.clip_buffer == 20.0 and not search.fetch.clip_mask
    query = search.query(NOW)
    assert (query.start, query.end) == (NOW - dt.timedelta(days=60), NOW)
    assert query.cloud_max == 20.0 and query.product_type == "S2MSI2A"
    minx, miny, maxx, maxy = query.aoi.bounds
    assert (round(minx, 4), round(maxy, 4)) == (1.3612, 43.6079)


def test_windows_options_and_aoi_files(tmp_path):
    (tmp_path / "field.geojson").write_text(
        json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]})
    )
    plan = parse_plan(
        textwrap.dedent(
            """
            [[search]]
            providers = ["stac", "cdse"]
            aoi_file = "field.geojson"
            start = 2024-05-01
            end = "2024-05-31"
            [search.options]
            retries = 3
            stac = { url = "http://127.0.0.1:9/stac" }

            [[search]]
            name = "weekly"
            provider = "stac"
            url = "http://127.0.0.1:9/other"
            bbox = [5.5, 45, 7, 46]
            last = "2 weeks"
            """
        ),
        base=tmp_path,
    )
    fixed, rolling = plan.searches
    assert fixed.name == "search-1"
    assert fixed.provider_options("stac") == {"retries": 3, "url": "http://127.0.0.1:9/stac"}
    assert fixed.provider_options("cdse") == {"retries": 3}
    query = fixed.query(NOW)
    assert query.start == dt.datetime(2024, 5, 1, tzinfo=UTC)
    assert query.end == dt.datetime(2024, 5, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert query.aoi.bounds == (0.0, 0.0, 1.0, 1.0)
    assert fixed.query(NOW + dt.timedelta(days=99)).start == query.start  # fixed stays fixed
    later = NOW + dt.timedelta(days=3)
    assert rolling.query(later).start == later - dt.timedelta(days=14) and rolling.query(later).end == later
    assert rolling.provider_options("stac") == {"url": "http://127.0.0.1:9/other"}
    assert [parse_last(t) for t in ("36 hours", "last 30 days", "1w")] == [
        dt.timedelta(hours=36),
        dt.timedelta(days=30),
        dt.timedelta(days=7),
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        ('provider = "stac"\nbbox = [0, 0, 1, 1]\ncloud_mx = 20', "unknown key(s) cloud_mx"),
        ("bbox = [0, 0, 1, 1]", "name its provider"),
        ('provider = "stac"\nlast = "30 days"\nstart = "2024-01-01"', "takes no start or end"),
        ('provider = "stac"\nlast = "a month"', "Bad rolling window"),
        ('provider = "stac"\nstart = "2024-02-01"\nend = "2024-01-01"', "after the end"),
        ('provider = "stac"\ncloud_max = 120', "percentage"),
        ('provider = "stac"\naoi = "POLYGON ((0 0, 1"', "AOI"),
        ('provider = "stac"\naoi_file = "nowhere.geojson"', "does not exist"),
        ('provider = "stac"\nsidecar_filters = ["angle"]', "Bad side-car filter"),
        ('provider = "stac"\n[search.fetch]\nclip_buffer = 10', "need clip = true"),
        ('provider = "stac"\n[search.fetch]\nbands = ["B04"]', "unknown fetch key(s) bands"),
    ],
)
def test_mistakes_are_refused_with_the_search_named(tmp_path, body, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        parse_plan(f'[[search]]\nname = "mine"\n{body}\n', base=tmp_path)


def test_plan_level_mistakes(tmp_path):
    with pytest.raises(UsageError, match="names no search"):
        parse_plan("version = 1\n")
    with pytest.raises(UsageError, match="unknown top-level"):
        parse_plan('provider = "stac"\n')
    with pytest.raises(UsageError, match="must be unique"):
        parse_plan('[[search]]\nname = "a"\nprovider = "stac"\n[[search]]\nname = "a"\nprovider = "cdse"\n')
    with pytest.raises(UsageError, match="not valid TOML"):
        parse_plan("[[search]\n")
    with pytest.raises(UsageError, match="No such plan file"):
        load_plan(tmp_path / "missing.toml")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_the_writer_round_trips(tmp_path, suffix):
    tables = [
        {
            "name": 'field "north"',
            "provider": "stac",
            "url": "http://127.0.0.1:9/stac",
            "collections": ["sentinel-2-l2a"],
            "aoi": "POLYGON ((1 43, 1.1 43, 1.1 43.1, 1 43.1, 1 43))",
            "last": "60 days",
            "cloud_min": 0.5,
            "cloud_max": 20,
            "extras": {"sortby": "-datetime", "n": 2},
            "sidecar_filters": ["10<=incidence_angle<30"],
            "sidecar_fields": {"incidence_angle": "IMAGE.INCIDENCE_ANGLE"},
            "fetch": {"assets": ["B04", "B08"], "clip": True, "clip_buffer": 10.0},
        }
    ]
    path = dump_plan(tables, tmp_path / f"plan{suffix}")
    (search,) = load_plan(path).searches
    assert search.raw == tables[0]
    assert search.sidecar.filters[0].name == "incidence_angle"
    assert dict(search.sidecar.paths) == {"incidence_angle": "IMAGE.INCIDENCE_ANGLE"}
    with pytest.raises(UsageError):  # nothing invalid is written
        dump_plan([{"name": "x"}], tmp_path / f"bad{suffix}")
    assert not (tmp_path / f"bad{suffix}").exists()
    assert plan_text(tables).startswith("# Scene Picker saved search")


def test_without_tomllib_toml_asks_for_tomli_and_json_still_works(tmp_path):
    (tmp_path / "p.toml").write_text('[[search]]\nprovider = "stac"\n')
    (tmp_path / "p.json").write_text('{"search": [{"provider": "stac", "bbox": [0, 0, 1, 1]}]}')
    code = textwrap.dedent(
        f"""
        import sys
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name in ("tomllib", "tomli"):
                    raise ImportError("blocked")
        sys.meta_path.insert(0, Blocker())
        sys.path.insert(0, {str(PKG_PARENT)!r})
        from scene_picker.core.errors import UsageError
        from scene_picker.core.saved_search import load_plan
        print(load_plan({str(tmp_path / "p.json")!r}).searches[0].providers)
        try:
            load_plan({str(tmp_path / "p.toml")!r})
        except UsageError as exc:
            print("USAGE:", exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "('stac',)" in done.stdout
    assert "USAGE: Reading a TOML plan needs Python 3.11+ or the package tomli" in done.stdout
