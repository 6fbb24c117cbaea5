"""How a sub-command of ``scene-picker`` is declared (:func:`add_command`), and the arguments several
commands share (:func:`add_option_argument`)."""

from __future__ import annotations

import argparse
import inspect
from typing import Callable, Optional

#: A sub-command's handler: the parsed arguments in, the exit code out.
Handler = Callable[[argparse.Namespace], int]


def add_command(
    subparsers: argparse._SubParsersAction, name: str, handler: Optional[Handler], doc: Optional[str] = None
) -> argparse.ArgumentParser:
    """Add the sub-command ``name`` run by ``handler``; its parser, for the command's arguments.

    The help is ``doc``, by default the handler's docstring: its first paragraph is the summary that
    ``scene-picker --help`` lists, the other paragraphs the description ``scene-picker NAME --help`` shows
    (argparse re-wraps both). ``handler`` is None for a command made of sub-commands.
    """
    if doc is None and handler is not None:
        doc = handler.__doc__
    text = inspect.cleandoc(doc or "")
    summary, _, description = text.partition("\n\n")
    parser = subparsers.add_parser(name, help=summary or None, description=description or None)
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def add_option_argument(parser: argparse.ArgumentParser) -> None:
    """``--option NAME=VALUE`` (repeatable): a provider option, read with
    :func:`~scene_picker.catalogs.parse_option_pairs`."""
    parser.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="a provider option (repeatable); `scene-picker providers --details NAME` lists them",
    )
