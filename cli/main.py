"""Root of the ``scene-picker`` command: argument parsing, sub-command registry and exit codes.

Each sub-command lives in its own module under ``cli/`` exposing ``register(subparsers)``, which
declares the command with :func:`scene_picker.cli.command.add_command` (its help is its handler's
docstring); the module names are listed in :data:`COMMAND_MODULES`. A sub-command's handler returns
an exit code; a :class:`~scene_picker.core.errors.ScenePickerError` escaping a handler is printed as
one clear line on stderr and mapped to its ``exit_code``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from ..__version__ import __version__
from ..core.errors import ScenePickerError

#: Sub-command modules, each with ``register(subparsers)``.
COMMAND_MODULES: tuple[str, ...] = (
    "providers_cmd",
    "login",
    "fetch",
    "members",
    "extract",
    "search",
    "download",
    "sync",
    "queue_cmd",
    "cdse_cmd",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scene-picker",
        description="Find and fetch satellite scenes from several catalogs (headless Scene Picker).",
    )
    parser.add_argument("--version", action="version", version=f"scene-picker {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log detail on stderr")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        module.register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(handler(args) or EXIT_OK)
    except ScenePickerError as exc:
        print(f"scene-picker: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("scene-picker: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _configure_logging(verbosity: int) -> None:
    import logging

    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from ..core.redact import RedactingFilter

    for handler in logging.getLogger().handlers:  # e.g. urllib3's request lines at -vv: no signature
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


if __name__ == "__main__":
    sys.exit(main())
