"""``scene-picker cdse``: what only the Copernicus Data Space provider has.

    scene-picker cdse account [--number N] --username USER [--password-stdin] [--delete]
    scene-picker cdse s3-keys --access-key KEY [--secret-stdin] [--delete]
    scene-picker cdse batch QUERIES.csv [--out RESULTS.csv] [--parallel N] [--cache DIR]
        [--slice-days D] [--online-only] [--catalogue-url URL]

``account`` stores a CDSE account in the keyring: number 1 is ``cdse`` (what ``scene-picker login cdse``
stores too), number N > 1 is ``cdse-N``; downloads use every stored account round-robin.
``s3-keys`` stores the S3 keys for S3 downloads (keyring entry ``cdse-s3``). ``batch`` runs a CSV table
of queries (``id, start, end, geometry, collection, product_type, sensor_mode, name``) and writes one
CSV of products tagged with their query id. Secrets are read without echo or from standard input,
never from the command line.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ..core.credentials import delete_credentials, store_credentials
from ..core.errors import UsageError
from .command import add_command

#: The ``cdse`` command's own help (its actions have handlers and docstrings of their own).
COMMAND_HELP = """Copernicus Data Space: several accounts, S3 keys, batch queries

Copernicus Data Space Ecosystem specifics: store several accounts or the S3 keys, run a CSV table of
queries.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "cdse", None, COMMAND_HELP)
    sub = parser.add_subparsers(dest="cdse_command", metavar="ACTION")
    sub.required = True

    account = add_command(sub, "account", run_account)
    account.add_argument("--number", type=int, default=1, metavar="N", help="account number (default 1)")
    account.add_argument("-u", "--username", help="account e-mail")
    account.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    account.add_argument("--delete", action="store_true", help="forget this account instead")

    keys = add_command(sub, "s3-keys", run_s3_keys)
    keys.add_argument("--access-key", help="the S3 access key")
    keys.add_argument("--secret-stdin", action="store_true", help="read the secret key from stdin")
    keys.add_argument("--delete", action="store_true", help="forget the stored keys instead")

    batch = add_command(sub, "batch", run_batch)
    batch.add_argument("queries", type=Path, help="CSV with id,start,end,geometry,collection,...")
    batch.add_argument("--out", type=Path, help="result CSV (default: stdout)")
    batch.add_argument("--parallel", type=int, default=1, metavar="N", help="queries at a time (default 1)")
    batch.add_argument(
        "--cache", type=Path, metavar="DIR", help="keep each query's result here; re-runs read it"
    )
    batch.add_argument(
        "--slice-days", type=float, metavar="D", help="search long periods in slices of D days"
    )
    batch.add_argument("--online-only", action="store_true", help="only products online now")
    batch.add_argument("--catalogue-url", help="OData catalogue root (default: CDSE's)")


def _secret(from_stdin: bool, prompt: str) -> str:
    secret = sys.stdin.readline().rstrip("\r\n") if from_stdin else getpass.getpass(prompt)
    if not secret:
        raise UsageError("An empty secret was not stored.")
    return secret


def account_entry(number: int) -> str:
    """The keyring entry of CDSE account ``number`` (1 is ``cdse``)."""
    if number < 1:
        raise UsageError(f"Account numbers start at 1, not {number}.")
    return "cdse" if number == 1 else f"cdse-{number}"


def run_account(args: argparse.Namespace) -> int:
    """store (or forget) CDSE account number N in the keyring"""
    entry = account_entry(args.number)
    if args.delete:
        delete_credentials(entry)
        print(f"Forgot CDSE account {args.number} (if one was stored).")
        return 0
    if not args.username:
        raise UsageError("Give the account e-mail with --username.")
    store_credentials(entry, args.username, _secret(args.password_stdin, "CDSE password (not shown): "))
    print(f"Stored CDSE account {args.number} ({args.username}) in the system keyring.")
    return 0


def run_s3_keys(args: argparse.Namespace) -> int:
    """store (or forget) the S3 keys used for S3 downloads"""
    from ..providers.cdse import S3_CREDENTIALS

    if args.delete:
        delete_credentials(S3_CREDENTIALS)
        print("Forgot the CDSE S3 keys (if any were stored).")
        return 0
    if not args.access_key:
        raise UsageError("Give the S3 access key with --access-key.")
    store_credentials(
        S3_CREDENTIALS, args.access_key, _secret(args.secret_stdin, "S3 secret key (not shown): ")
    )
    print("Stored the CDSE S3 keys in the system keyring.")
    return 0


def run_batch(args: argparse.Namespace) -> int:
    """run a CSV table of queries into one CSV of products"""
    from ..providers.cdse import CATALOGUE_URL, CdseProvider
    from ..providers.cdse_batch import read_table, run_batch, write_table

    if not args.queries.is_file():
        raise UsageError(f"No query table at {args.queries}.")
    provider = CdseProvider(
        args.catalogue_url or CATALOGUE_URL, slice_days=args.slice_days, online_only=args.online_only
    )
    rows = run_batch(provider, read_table(args.queries), parallel=args.parallel, cache_dir=args.cache)
    write_table(rows, args.out if args.out is not None else sys.stdout)
    queries = len({r["query_id"] for r in rows})
    print(f"{len(rows)} products from {queries} of the queries", file=sys.stderr)
    return 0
