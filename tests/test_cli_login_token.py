"""``scene-picker login PROVIDER --token``: an access token (NASA Earthdata) stored with an empty user
name, typed without echo on a real terminal or read from standard input, in a separate process."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PKG_PARENT, TESTS
from support.pty_session import run_in_pty

CHILD = """
import sys
sys.path[:0] = [{pkg!r}, {tests!r}]
from scene_picker.cli.main import main
from scene_picker.core.credentials import load_credentials
from scene_picker.providers.cmr import CmrProvider
rc = main({argv!r})
creds = load_credentials({name!r})
print("RESULT", rc, repr(creds.username) if creds else None, creds is not None and creds.secret == {secret!r})
if creds is not None and {name!r} == "cmr":  # an empty user name: the provider sends it as Bearer
    used = CmrProvider()._credentials()
    print("PROVIDER", repr(used.username), used.secret == {secret!r})
sys.stdout.flush()
"""

TOKEN = "eyJ0eXAi.earthdata-Token-7788"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHON_KEYRING_BACKEND="support.memory_keyring.MemoryKeyring")


def _code(argv: list[str], name: str = "cmr", secret: str = TOKEN) -> str:
    return CHILD.format(pkg=str(PKG_PARENT), tests=str(TESTS), argv=argv, name=name, secret=secret)


def test_a_token_is_typed_without_echo_and_stored_with_an_empty_user_name():
    status, text = run_in_pty(
        [sys.executable, "-c", _code(["login", "cmr", "--token"])],
        _env(),
        answers=[(b"token (not shown): ", TOKEN.encode() + b"\n")],
    )
    assert "RESULT 0 '' True" in text, text
    assert "PROVIDER '' True" in text
    assert TOKEN not in text  # neither echoed nor printed
    assert "username:" not in text  # no user name asked for
    assert status == 0


def test_a_token_from_standard_input():
    done = subprocess.run(
        [sys.executable, "-c", _code(["login", "cmr", "--token", "--password-stdin"])],
        input=TOKEN + "\n",
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "RESULT 0 '' True" in done.stdout, done.stdout + done.stderr
    assert "PROVIDER '' True" in done.stdout
    assert "Stored the cmr token" in done.stdout
    assert TOKEN not in done.stdout + done.stderr


def test_token_refused_where_it_makes_no_sense():
    for argv, message in [
        (["login", "terrascope", "--token", "--password-stdin"], "takes no token"),
        (["login", "cmr", "--token", "-u", "alice", "--password-stdin"], "without a user name"),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", _code(argv, name=argv[1])],
            input=TOKEN + "\n",
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "RESULT 2 None False" in done.stdout, done.stdout + done.stderr
        assert message in done.stderr and TOKEN not in done.stderr
