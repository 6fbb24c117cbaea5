"""``scene-picker login PROVIDER``: store (or forget) a provider's account in the system keyring.

The secret is typed at a prompt that does not echo it (``getpass``) or, for scripts, read from the
first line of standard input with ``--password-stdin``; it is never taken from the command line (where
``ps`` and shell histories would see it) and never printed. ``--token`` stores an access token
instead of a user name and password (with an empty user name) for providers that accept one (NASA
Earthdata).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from ..catalogs import provider_spec
from ..core.credentials import delete_credentials, load_credentials, store_credentials
from ..core.errors import KeyringUnavailableError, UsageError
from .command import add_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "login", run)
    parser.add_argument("provider", help="provider name (see 'scene-picker providers')")
    parser.add_argument("-u", "--username", help="account name (prompted when needed and not given)")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password / API key / token from the first line of standard input",
    )
    parser.add_argument(
        "--token",
        action="store_true",
        help="store an access token instead of a user name and password (providers that accept one, "
        "e.g. cmr for an Earthdata token); typed without echo, or given with --password-stdin",
    )
    parser.add_argument("--delete", action="store_true", help="forget the stored account instead")


def run(args: argparse.Namespace) -> int:
    """store a provider's credentials in the keyring

    Store a provider's account in the system keyring (prompting without echo).
    """
    info = provider_spec(args.provider)  # a former name (theia): the provider now serving it
    if args.delete:
        delete_credentials(info.name)
        print(f"Forgot the {info.name} account (if one was stored).")
        return 0
    spec = info.credentials
    if spec is None:
        raise UsageError(f"Provider {info.name} needs no credentials.")
    if spec.description:
        print(f"{info.title}: {spec.description}", file=sys.stderr)
    if spec.signup_url:
        print(f"Get an account at {spec.signup_url}", file=sys.stderr)
    username = args.username or ""
    if args.token:
        if not (spec.kind == "token" or spec.accepts_token):
            raise UsageError(
                f"Provider {info.name} takes no token: it needs a {spec.kind.replace('_', ' ')}."
            )
        if username:
            raise UsageError("A token is stored without a user name: leave out --username.")
    elif spec.kind == "password" and not username:
        if args.password_stdin:
            raise UsageError("--password-stdin needs --username.")
        username = input(f"{info.name} username: ").strip()
        if not username:
            hint = f" (or store an access token: scene-picker login {info.name} --token)"
            raise UsageError("A user name is needed" + (hint if spec.accepts_token else "") + ".")
    label = "token" if args.token else "password" if spec.kind == "password" else spec.kind.replace("_", " ")
    if args.password_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    else:
        secret = getpass.getpass(f"{info.name} {label} (not shown): ")
    if not secret:
        raise UsageError(f"An empty {label} was not stored.")
    store_credentials(info.name, username, secret)
    stored = load_credentials(info.name)
    if stored is None or stored.username != username:
        raise KeyringUnavailableError(f"The keyring did not keep the {info.name} account.")
    who = f" for user {username}" if username else ""
    print(f"Stored the {info.name} {label}{who} in the system keyring.")
    return 0
