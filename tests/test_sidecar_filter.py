"""Side-car filters from the command line: ``search --sidecar-filter`` and a ``sync`` plan's
``sidecar_filters``, reading PDS/PVL and namespaced XML labels served on loopback (some missing, some
malformed, some without the value); the result is compared with a brute-force sequential read of the
same labels, and the unreadable ones must be reported, never silently dropped."""

from __future__ import annotations

import csv
import json

import pvl  # noqa: F401 - dev/requirements-test.txt installs it: the labels are read for real
import pytest

from scene_picker.cli.main import main
from scene_picker.core.errors import UsageError
from scene_picker.core.sidecar_filter import SidecarSpec, parse_filter

from support.pds_labels import angle, brute_force, kind, write_catalog


@pytest.fixture()
def catalog(labels, tmp_path):
    return write_catalog(labels, tmp_path / "items.json")


def test_search_sidecar_filter_matches_a_brute_force_read(labels, catalog, tmp_path, capsys):
    passing, unreadable = brute_force(labels, 30.0)
    assert passing and len(unreadable) >= 10  # missing, malformed XML and PVL, labels without the value
    assert {kind(int(s[-2:])) for s in unreadable} == {"missing", "malformed", "no-value"}
    out = tmp_path / "found.geojson"
    labels.max_inflight = 0
    search = ["search", "--provider", "stac-static", "--url", str(catalog), "--bbox=9,44,11,46"]
    code = main(
        [*search, "--sidecar-filter", "incidence_angle<30", "--sidecar-workers", "3", "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    features = json.loads(out.read_text())["features"]
    assert {f["id"] for f in features} == passing
    for feature in features:  # the value read is a property of each scene
        assert feature["properties"]["incidence_angle"] == angle(int(feature["id"][-2:]))
        assert feature["properties"]["scene_picker:sidecar"] == ["incidence_angle"]
    reported = {
        line.split(":")[2].strip() for line in captured.err.splitlines() if "unreadable (left out)" in line
    }
    assert reported == unreadable  # every unreadable label named, none silently dropped
    assert f"{len(passing)} passed" in captured.err and f"{len(unreadable)} unreadable" in captured.err
    assert "reading side-car labels: 25" in captured.err  # progress (a line every 25 labels off a terminal)
    assert "incidence_angle not found in" in captured.err  # a label without the value says so
    assert 1 <= labels.max_inflight <= 3  # the bounded pool

    table = tmp_path / "all.csv"  # kept, with the reason as a column
    code = main(
        [*search, "--sidecar-filter", "incidence_angle<30", "--keep-unreadable", "--format", "csv"]
        + ["--out", str(table)]
    )
    assert code == 0
    assert "unreadable (kept)" in capsys.readouterr().err
    with table.open(newline="", encoding="utf-8") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == passing | unreadable
    for scene_id in passing:
        assert float(rows[scene_id]["incidence_angle"]) == angle(int(scene_id[-2:]))
        assert rows[scene_id]["sidecar_errors"] == ""
    for scene_id in unreadable:
        assert rows[scene_id]["incidence_angle"] == "" and rows[scene_id]["sidecar_errors"].startswith(
            "incidence_angle: "
        )


def test_a_range_and_an_explicit_path(labels, catalog, tmp_path, capsys):
    out = tmp_path / "found.geojson"
    code = main(
        ["search", "--provider", "stac-static", "--url", str(catalog), "--bbox=9,44,11,46", "--out", str(out)]
        + ["--sidecar-filter", "20<=inc<40", "--sidecar-field", "inc=**.INCIDENCE_ANGLE"]
    )
    assert code == 0, capsys.readouterr().err
    below40, _ = brute_force(labels, 40.0)
    below20, _ = brute_force(labels, 20.0)
    assert {f["id"] for f in json.loads(out.read_text())["features"]} == below40 - below20


def test_a_sync_plan_fetches_only_the_scenes_passing_its_sidecar_filter(labels, catalog, tmp_path, capsys):
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "search": [
                    {
                        "name": "low-incidence",
                        "provider": "stac-static",
                        "url": str(catalog),
                        "bbox": [9, 44, 11, 46],
                        "sidecar_filters": ["incidence_angle < 30"],
                        "fetch": {"assets": ["data"]},
                    }
                ]
            }
        )
    )
    out = tmp_path / "out"
    assert main(["sync", str(plan), "--out", str(out)]) == 0, capsys.readouterr().err
    passing, unreadable = brute_force(labels, 30.0)
    assert {p.parent.name for p in out.glob("*/*.tif")} == passing
    captured = capsys.readouterr()
    assert f"low-incidence: {len(passing)} found, {len(passing)} new" in captured.out
    assert all(scene_id in captured.err for scene_id in unreadable)


@pytest.mark.parametrize(
    "text",
    ["incidence_angle", "<30", "a<b<c<d", "angle < abc", "30 > angle", ""],
)
def test_bad_filters_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_filter(text)


def test_filter_forms():
    assert parse_filter("mode = 'IW'").passes("IW") and not parse_filter("mode != IW").passes("IW")
    ranged = parse_filter("10 <= a < 30")
    assert [ranged.passes(v) for v in (9.9, 10, 29.9, 30)] == [False, True, True, False]
    assert not parse_filter("a<30").passes(None)
    spec = SidecarSpec.build(["a<30"], ["b=IMAGE.B"], asset="label")
    assert spec.active and dict(spec.paths) == {"b": "IMAGE.B"}
    with pytest.raises(UsageError):
        SidecarSpec.build([], ["no-path"])
