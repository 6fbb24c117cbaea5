"""``scene-picker providers``: the catalogs this installation knows, what they serve, what they need,
and whether their credentials are in the keyring.
"""

from __future__ import annotations

import argparse
import json
import sys

from ..catalogs import list_providers
from ..core.credentials import load_credentials
from ..core.errors import CredentialsError
from .command import add_command


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_command(subparsers, "providers", run)
    parser.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    parser.add_argument(
        "--details",
        metavar="NAME",
        help="print provider NAME's description: endpoints, options (--option), credentials, limits",
    )
    parser.add_argument(
        "--collections",
        metavar="NAME",
        help="list the collections provider NAME offers (providers with a collection list: geodes)",
    )
    parser.add_argument(
        "--refresh", action="store_true", help="with --collections: ask the catalog's live list"
    )
    parser.add_argument("--url", help="with --collections --refresh: the catalog URL")


def run_collections(args: argparse.Namespace) -> int:
    """``--collections NAME``: the shipped list, or the catalog's live one with ``--refresh``."""
    from ..catalogs import build_provider
    from ..core.errors import UsageError

    provider = build_provider(args.collections, {"url": args.url} if args.url else {})
    if not hasattr(provider, "collections"):
        raise UsageError(f"Provider {args.collections} has no collection list.")
    collections = provider.refresh_collections() if args.refresh else provider.collections()
    if args.json:
        rows = [{"id": c.id, "title": c.title, "platforms": list(c.platforms)} for c in collections]
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    width = max((len(c.id) for c in collections), default=0)
    for c in collections:
        print(f"{c.id.ljust(width)}  {c.title}")
    return 0


def credential_status(name: str, needed: bool) -> str:
    """``"not needed"``, ``"stored"``, ``"missing"`` or ``"no keyring"``."""
    if not needed:
        return "not needed"
    try:
        return "stored" if load_credentials(name) is not None else "missing"
    except CredentialsError:
        return "no keyring"


def run(args: argparse.Namespace) -> int:
    """list the catalogs and their credential needs

    List the registered catalogs: name (for --provider), title, platforms, credentials.
    """
    if args.details:
        from ..catalogs import provider_details

        print(provider_details(args.details))
        return 0
    if args.collections:
        return run_collections(args)
    if args.refresh or args.url:
        from ..core.errors import UsageError

        raise UsageError("--refresh and --url go with --collections NAME.")
    rows = []
    for info in list_providers():
        spec = info.credentials
        rows.append(
            {
                "name": info.name,
                "title": info.title,
                "platforms": list(info.platforms),
                "credentials": spec.kind if spec else None,
                "credentials_help": spec.description if spec else None,
                "signup_url": spec.signup_url if spec else None,
                "credentials_status": credential_status(info.name, spec is not None),
            }
        )
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    headers = ("NAME", "TITLE", "PLATFORMS", "CREDENTIALS")
    table = [
        (
            r["name"],
            r["title"],
            ",".join(r["platforms"]) or "any",
            "-" if r["credentials"] is None else f"{r['credentials']} ({r['credentials_status']})",
        )
        for r in rows
    ]
    widths = [
        max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(headers)
    ]
    for row in (headers, *table):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    missing = [r["name"] for r in rows if r["credentials_status"] == "missing"]
    if missing:
        print(f"\nStore credentials with: scene-picker login {missing[0]}", file=sys.stderr)
    return 0
