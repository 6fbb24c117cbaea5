"""``scene-picker providers`` and ``scene-picker login``: listing, keyring storage, prompts without echo."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest

from scene_picker.cli.main import main
from scene_picker.core.credentials import delete_credentials, load_credentials, store_credentials
from scene_picker.providers.registry import list_providers

from conftest import PKG_PARENT, TESTS
from support.pty_session import run_in_pty


def password_provider() -> str:
    names = [
        i.name for i in list_providers() if i.credentials is not None and i.credentials.kind == "password"
    ]
    assert names, "no registered provider needs a password"
    return names[0]


@pytest.fixture
def account():
    name = password_provider()
    delete_credentials(name)
    yield name
    delete_credentials(name)


def test_providers_json_lists_every_registered_provider_with_its_needs(capsys, account):
    assert main(["providers", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {i.name for i in list_providers()}
    assert rows["stac"]["credentials"] is None and rows["stac"]["credentials_status"] == "not needed"
    assert rows[account]["credentials"] == "password"
    assert rows[account]["credentials_status"] == "missing"
    store_credentials(account, "alice", "pw-123")
    assert main(["providers", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[account]["credentials_status"] == "stored"


def test_providers_table_is_readable(capsys, account):
    assert main(["providers"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["NAME", "TITLE", "PLATFORMS", "CREDENTIALS"]
    assert any(line.startswith(account) and "password (missing)" in line for line in lines)
    assert f"scene-picker login {account}" in captured.err


def test_login_from_stdin_stores_in_the_keyring_and_never_prints_the_secret(capsys, monkeypatch, account):
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-Pass\n"))
    assert main(["login", account, "--username", "alice", "--password-stdin"]) == 0
    creds = load_credentials(account)
    assert (creds.username, creds.secret) == ("alice", "s3cret-Pass")
    captured = capsys.readouterr()
    assert "s3cret-Pass" not in captured.out + captured.err
    assert "alice" in captured.out
    assert main(["login", account, "--delete"]) == 0
    assert load_credentials(account) is None


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["login", "no-such-catalog"], 2, "Unknown provider 'no-such-catalog'"),
        (["login", "stac"], 2, "needs no credentials"),
    ],
)
def test_login_errors_have_exit_codes(capsys, argv, code, message):
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_login_refuses_an_empty_secret(capsys, monkeypatch, account):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert main(["login", account, "-u", "alice", "--password-stdin"]) == 2
    assert "empty" in capsys.readouterr().err
    assert load_credentials(account) is None


CHILD = """
import sys
sys.path[:0] = [{pkg!r}, {tests!r}]
from scene_picker.cli.main import main
from scene_picker.core.credentials import load_credentials
rc = main(["login", {name!r}])
creds = load_credentials({name!r})
print("RESULT", rc, creds.username, creds.secret == "hunter2-secret", flush=True)
"""


def test_login_prompts_on_a_terminal_without_echoing_the_password(account):
    code = CHILD.format(pkg=str(PKG_PARENT), tests=str(TESTS), name=account)
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="support.memory_keyring.MemoryKeyring")
    status, text = run_in_pty(
        [sys.executable, "-c", code],
        env,
        answers=[(b"username: ", b"bob\n"), (b"(not shown): ", b"hunter2-secret\n")],
    )
    assert "RESULT 0 bob True" in text
    assert "bob" in text.split("(not shown)")[0]  # the user name is echoed as typed
    assert "hunter2-secret" not in text  # the password is not
    assert status == 0


def test_login_without_a_usable_keyring_is_a_clear_error(capsys, monkeypatch, account):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        code = main(["login", account, "-u", "alice", "--password-stdin"])
        listed = main(["providers", "--json"])
    finally:
        keyring.set_keyring(previous)
    captured = capsys.readouterr()
    assert code == 3
    assert "No usable system keyring" in captured.err and "pw\n" not in captured.err
    assert listed == 0
    rows = {r["name"]: r for r in json.loads(captured.out)}
    assert rows[account]["credentials_status"] == "no keyring"
