"""No credential of a signed link ever reaches a file the download engine writes or a log line, even at
``-vv`` (urllib3's request lines) and in error messages: every file under the output folder (the queue
database with its -wal, sidecar records, resume records) and all output are scanned for the secrets."""

from __future__ import annotations

import json
import subprocess

from support.fixtures_engine import cli_command, cli_env, make_bytes

SECRETS = {
    "aws": "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASECRETCRED1&X-Amz-Signature=AMZSECRETSIG1",
    "azure": "sv=2022-11-02&se=2031-01-01T00%3A00%3A00Z&sp=r&sig=AZURESECRETSIG1",
    "google": "X-Goog-Algorithm=GOOG4-RSA&X-Goog-Credential=GOOGSECRETCRED1&X-Goog-Signature=GOOGSECRETSIG1",
    "cloudfront": "Signature=CFSECRETSIG1&Key-Pair-Id=CFSECRETKEYPAIR1&Policy=CFSECRETPOLICY1",
    "tokens": "token=TOKSECRET1&access_token=ACCESSSECRET1&apikey=APIKEYSECRET1",
}
NEEDLES = [
    "AKIASECRETCRED1", "AMZSECRETSIG1", "AZURESECRETSIG1", "2031-01-01", "GOOGSECRETCRED1", "GOOGSECRETSIG1",
    "CFSECRETSIG1", "CFSECRETKEYPAIR1", "CFSECRETPOLICY1", "TOKSECRET1", "ACCESSSECRET1", "APIKEYSECRET1",
    "USERINFOSECRET1",
]  # fmt: skip


def _item(index: int, assets: dict) -> dict:
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": f"SIGNED_{index}",
        "geometry": {"type": "Point", "coordinates": [index, index]},
        "bbox": [index, index, index, index],
        "properties": {"datetime": "2024-05-01T10:00:00Z"},
        "links": [],
        "assets": assets,
    }


def test_signed_links_leave_no_secret_on_disk_or_in_logs(served_dir, proxy, tmp_path):
    items = []
    for index, (kind, query) in enumerate(SECRETS.items()):
        name = f"signed-{kind}.bin"
        (served_dir / name).write_bytes(make_bytes(200_000, seed=1650 + index))
        assets = {"data": {"href": f"{proxy.url(name)}?{query}", "roles": ["data"]}}
        if kind == "azure":  # a failing asset: its URL ends up in an error message
            assets["gone"] = {"href": f"{proxy.url('absent.bin')}?{query}", "roles": ["data"]}
        items.append(_item(index, assets))
    userinfo = proxy.url("signed-aws.bin").replace("http://", "http://alice:USERINFOSECRET1@")
    items.append(_item(9, {"data": {"href": userinfo, "roles": ["data"]}}))
    catalog = tmp_path / "catalog" / "items.json"
    catalog.parent.mkdir()
    catalog.write_text(json.dumps({"type": "FeatureCollection", "features": items}))
    results = tmp_path / "catalog" / "results.geojson"
    search = subprocess.run(
        cli_command("search", "--provider", "stac-static", "--url", str(catalog), "--bbox=-1,-1,20,20",
                    "--out", str(results)),
        env=cli_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert search.returncode == 0, search.stderr
    out = tmp_path / "out"
    table = str(out / "t.csv")
    run = subprocess.run(
        cli_command("-vv", "download", str(results), "--out", str(out), "-j", "2", "--table", table),
        env=cli_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 4, run.stderr  # the missing asset: a network (404) error
    assert "urllib3.connectionpool" in run.stderr and "404" in run.stderr  # the -vv lines are there
    for kind in SECRETS:
        assert (out / f"SIGNED_{list(SECRETS).index(kind)}" / f"signed-{kind}.bin").is_file()
    written = [path for path in out.rglob("*") if path.is_file()]
    assert any(p.name == "queue.sqlite" for p in written)
    for text in [run.stdout, run.stderr, *(p.read_bytes().decode("latin-1") for p in written)]:
        found = [needle for needle in NEEDLES if needle in text]
        assert not found, (found, text[:2000])
