"""Provider options survive in queued scene jobs: a job queued with ``--option`` is run, after the
process that queued it was killed, by a new process (``--resume``) or a dask worker (``--cluster
local:1``) with exactly those options; a job queued by an older version (no options) still runs; an
option this version's spec refuses fails its job alone, with one clear message; no credential is queued.

The catalog is :class:`support.signing_stac.SigningStac`: its asset links are pre-signed, so a scene is
queued by provider and id and looked up again when its job runs. Its landing page offers item search by
GET and POST: the STAC provider searches by POST unless ``--option method=GET``, so the method of each
lookup the emulator sees says which options built the provider.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from scene_picker.catalogs import job_options
from scene_picker.cli.download import SCENE_JOB, queue_file
from scene_picker.core.errors import UsageError
from scene_picker.core.queue import DownloadQueue
from scene_picker.core.transfer import part_path
from scene_picker.providers import registry
from scene_picker.providers.base import Provider
from scene_picker.providers.spec import OptionSpec, ProviderSpec

from support.fixtures_engine import cli_command, cli_env, make_bytes, run_cli, sha256
from support.signing_stac import SigningStac

BIG = 3 << 20
GATE = 1 << 20
SCENE = "SIGNED_1"
OTHER = "SIGNED_2"


@pytest.fixture
def stac() -> Iterator[SigningStac]:
    items = {SCENE: {"big.bin": make_bytes(BIG, seed=13)}, OTHER: {"small.bin": make_bytes(4096, seed=14)}}
    with SigningStac(items) as emulator:
        yield emulator


def _queue_files(out: Path) -> list[Path]:
    path = queue_file(out)
    return [f for f in path.parent.glob(path.name + "*") if f.is_file()]  # with -wal, -shm


def _queued_then_killed(stac: SigningStac, out: Path, *options: str) -> None:
    """``download --provider stac --id SCENE`` with ``options``, killed (SIGKILL) once a third of the
    scene's file is in its ``.part``: the job stays in the queue, to resume."""
    stac.asset_server.gate("big.bin", after=GATE)
    command = cli_command(
        "download", "--provider", "stac", "--url", stac.base_url, "--id", SCENE, "--out", str(out), *options
    )
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        stdin=subprocess.DEVNULL,
    )
    try:
        assert stac.asset_server.gated.wait(120), "the file was never asked for"
        part = part_path(out / SCENE / "big.bin")
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= GATE) and time.monotonic() < deadline:
            time.sleep(0.05)  # bounded wait for the first MiB to reach the .part
        assert part.stat().st_size >= GATE
    finally:
        process.kill()
        process.communicate(timeout=60)
        stac.asset_server.release()
    (job,) = _jobs(out)
    assert job.state == "queued"  # left active by the killed process: queued again when a queue opens


def _jobs(out: Path):
    queue = DownloadQueue(queue_file(out), workers=1, handlers={SCENE_JOB: lambda *a: {}})
    try:
        return queue.jobs()
    finally:
        queue.close()


def _resumed_from_the_part(stac: SigningStac, out: Path) -> None:
    (resumed,) = stac.downloads("big.bin")  # since the kill: one request, from where the .part ended
    assert resumed.range is not None and int(resumed.range[len("bytes=") :].split("-")[0]) >= GATE
    assert sha256((out / SCENE / "big.bin").read_bytes()) == sha256(stac.files["big.bin"])
    assert all(stac.signature.encode() not in f.read_bytes() for f in _queue_files(out))


def test_a_resumed_job_is_built_with_the_options_it_was_queued_with(stac, tmp_path):
    out = tmp_path / "out"
    _queued_then_killed(stac, out, "--option", "method=GET")
    (job,) = _jobs(out)
    assert job.payload["options"] == {"method": "GET", "url": stac.base_url}
    assert job.payload["scene"] is None  # signed links: queued by id
    assert [r.method for r in stac.searches()] == ["GET", "GET"]  # the id looked up, then the job ran
    listed = run_cli("queue", str(out))
    assert f"options: method=GET, url={stac.base_url}" in listed.stdout, listed.stdout
    stac.clear_logs()

    again = run_cli("download", "--resume", "--out", str(out))  # a new process, no --option, no --url

    assert again.returncode == 0, again.stderr
    (search,) = stac.searches()  # the job signed its links again with the queued options: GET
    assert search.method == "GET" and search.query["ids"] == [SCENE]
    _resumed_from_the_part(stac, out)


@pytest.mark.slow
def test_a_job_resumed_on_a_dask_worker_is_built_with_its_options(stac, tmp_path):
    import distributed  # noqa: F401 - dev/requirements-test.txt installs it

    out = tmp_path / "out"
    _queued_then_killed(stac, out, "--option", "method=GET")
    stac.clear_logs()

    again = run_cli("download", "--resume", "--out", str(out), "--cluster", "local:1", timeout=300)

    assert again.returncode == 0, again.stderr
    (search,) = stac.searches()  # on the worker process, from the job's payload alone
    assert search.method == "GET" and search.query["ids"] == [SCENE]
    _resumed_from_the_part(stac, out)


def test_the_default_options_search_by_post(stac, tmp_path):
    """The contrast that makes the tests above meaningful: without the option, the lookup is a POST."""
    run = run_cli(
        "download", "--provider", "stac", "--url", stac.base_url, "--id", OTHER, "--out", str(tmp_path)
    )
    assert run.returncode == 0, run.stderr
    assert [r.method for r in stac.searches()] == ["POST", "POST"]
    (job,) = _jobs(tmp_path)
    assert job.payload["options"] == {"url": stac.base_url}


def test_a_sync_plan_keeps_its_provider_options_in_its_jobs(stac, tmp_path):
    plan = {
        "search": [
            {
                "name": "signed",
                "provider": "stac",
                "url": stac.base_url,
                "start": "2024-01-01",
                "end": "2024-12-31",
            }
        ]
    }
    plan["search"][0]["options"] = {"method": "GET", "page_size": 50}  # typed, as TOML gives them
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    out = tmp_path / "out"

    run = run_cli("sync", str(path), "--out", str(out))

    assert run.returncode == 0, run.stderr
    # the search, then each (signed) scene looked up again by its job: all with the plan's options
    assert [r.method for r in stac.searches()] == ["GET"] * 3
    jobs = _jobs(out)
    assert [j.payload["options"] for j in jobs] == [
        {"url": stac.base_url, "method": "GET", "page_size": "50"}
    ] * 2
    assert (out / OTHER / "small.bin").read_bytes() == stac.files["small.bin"]


def _old_payload(stac: SigningStac, out: Path, scene_id: str) -> dict:
    """A scene job as versions before queued options wrote it (cli/download.py at commit 311ec9b,
    ``SceneJobs.payload``): the catalog URL under ``url``, no ``options``."""
    return {
        "key": json.dumps(["stac", scene_id, [], []]),
        "provider": "stac",
        "url": stac.base_url,
        "scene_id": scene_id,
        "source": {},
        "scene": None,
        "assets": None,
        "members": None,
        "out": str(out),
        "overwrite": False,
        "clip": None,
    }


def _queue(out: Path, *payloads: dict) -> None:
    queue = DownloadQueue(queue_file(out), workers=1, handlers={SCENE_JOB: lambda *a: {}})
    try:
        queue.add_many(SCENE_JOB, [(p, p["scene_id"], p["key"]) for p in payloads])
    finally:
        queue.close()


def test_a_job_queued_by_an_older_version_still_runs(stac, tmp_path):
    out = tmp_path / "out"
    _queue(out, _old_payload(stac, out, OTHER))

    run = run_cli("download", "--resume", "--out", str(out))

    assert run.returncode == 0, run.stderr
    (search,) = stac.searches()  # at the URL the job kept, with the provider's defaults
    assert search.method == "POST"
    assert (out / OTHER / "small.bin").read_bytes() == stac.files["small.bin"]


def test_an_option_this_version_refuses_fails_its_job_alone(stac, tmp_path):
    out = tmp_path / "out"
    broken = {**_old_payload(stac, out, SCENE), "options": {"url": stac.base_url, "method": "PATCH"}}
    broken.pop("url")
    fine = {**_old_payload(stac, out, OTHER), "options": {"url": stac.base_url, "method": "GET"}}
    _queue(out, broken, fine)
    table = tmp_path / "table.json"

    run = run_cli("download", "--resume", "--out", str(out), "--table", str(table))

    assert run.returncode == 2, run.stderr  # a usage error: the job's options
    rows = {row["scene_id"]: row for row in json.loads(table.read_text())}
    assert rows[OTHER]["status"] == "done" and rows[SCENE]["status"] == "failed"
    assert "does not take" in rows[SCENE]["error"] and "method" in rows[SCENE]["error"]
    assert run.stderr.count("does not take") == 1, run.stderr
    assert "Traceback" not in run.stderr
    (search,) = stac.searches()  # the good job only, with its own options
    assert search.method == "GET" and search.query["ids"] == [OTHER]


@pytest.mark.parametrize(
    "option",
    ["password=hunter2-secret", "token=hunter2-secret", "url=http://alice:hunter2-secret@127.0.0.1:9/"],
)
def test_a_credential_given_as_an_option_is_never_queued(stac, tmp_path, option):
    """From a result file (no provider is built before the scenes are queued): the job is refused."""
    feature = stac.item(OTHER)
    feature["properties"]["provider"] = "stac"
    results = tmp_path / "results.geojson"
    results.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    out = tmp_path / "out"

    run = run_cli("download", str(results), "--out", str(out), "--option", option)

    assert run.returncode == 2, run.stderr
    assert "credential" in run.stderr and "hunter2-secret" not in run.stderr
    assert all(b"hunter2-secret" not in f.read_bytes() for f in _queue_files(out))
    assert not _jobs(out)
    assert stac.downloads("small.bin") == []


class _SecretOptionProvider(Provider):
    """A throw-away provider whose spec declares a secret option (registered by the test only)."""

    name = "secret-option-test"
    spec = ProviderSpec(
        name,
        "Secret option test",
        options=(OptionSpec("url", "url"), OptionSpec("session", "str", secret=True, help="a session key")),
    )


@pytest.fixture
def secret_option_provider() -> Iterator[str]:
    registry.register(_SecretOptionProvider)
    yield _SecretOptionProvider.name
    registry.unregister(_SecretOptionProvider.name)


def test_job_options_keep_declared_text_and_refuse_secrets_and_objects(secret_option_provider):
    # typed values (the dock's settings, a plan's TOML) are kept as the text a user writes
    assert job_options("stac", {"url": "http://127.0.0.1:9/", "page_size": 50, "method": "GET"}) == {
        "url": "http://127.0.0.1:9/",
        "page_size": "50",
        "method": "GET",
    }
    assert job_options("terrascope", {"auth": "basic", "api": "stac"}) == {"auth": "basic", "api": "stac"}
    refused = [
        (secret_option_provider, {"session": "abc"}),  # a secret option of the spec
        ("stac", {"page_size": "many"}),  # invalid for the spec
        ("stac", {"colour": "red"}),  # not declared
        ("stac", {"url": "https://h.example/?access_token=abc"}),  # a URL carrying a credential
        ("stac", {"http": object()}),  # an object the faces pass beside the options
        ("terrascope", {"auth": object()}),  # the spec's text option given as an object
        ("terrascope", {"password": "abc"}),
    ]
    for name, options in refused:
        with pytest.raises(UsageError) as info:
            job_options(name, options)
        assert "abc" not in str(info.value), info.value


def test_the_queue_refuses_provider_options_naming_a_credential(tmp_path):
    """Whoever builds the payload (another front end): the queue itself never stores such options."""
    queue = DownloadQueue(tmp_path / "queue.sqlite", workers=1, handlers={SCENE_JOB: lambda *a: {}})
    try:
        for options in ({"Password": "hunter2-secret"}, {"url": "http://u:hunter2-secret@127.0.0.1:9/"}):
            with pytest.raises(UsageError) as info:
                queue.add(SCENE_JOB, {"provider": "stac", "scene_id": "x", "options": options}, key="x")
            assert "credential" in str(info.value) and "hunter2-secret" not in str(info.value)
        assert queue.jobs() == []
    finally:
        queue.close()
    assert all(b"hunter2-secret" not in f.read_bytes() for f in tmp_path.glob("queue.sqlite*") if f.is_file())
