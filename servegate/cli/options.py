"""Command-line conveniences: global options anywhere, common options checked up front."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from typer.core import TyperGroup

from servegate.engines import ENGINE_NAMES
from servegate.errors import GateError


def check_engine(engine: str, opa_url: str | None) -> None:
    """Raise GateError for an unknown ``--engine`` or an unusable ``--opa-url``.

    Called before anything else a command does, so a typo never starts the Pulumi program.
    """
    if engine not in ENGINE_NAMES:
        raise GateError(f"--engine {engine!r} is not an engine; allowed: {', '.join(ENGINE_NAMES)}")
    if opa_url is not None:
        parts = urlsplit(opa_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise GateError(
                f"--opa-url {opa_url!r} (or OPA_URL) is not an http:// or https:// URL "
                "with a host, e.g. http://localhost:8181"
            )
    elif engine == "opa":
        raise GateError(
            "--engine opa needs --opa-url URL or the OPA_URL variable, e.g. http://localhost:8181"
        )


def check_formats(formats: str) -> tuple[str, ...]:
    """The ``--format`` list, or GateError naming the unknown format and the allowed ones."""
    from servegate.report.writer import FORMATS, parse_formats

    for part in formats.split(","):
        name = part.strip().lower()
        if name and name not in FORMATS:
            raise GateError(
                f"--format {name!r} is not a report format; allowed: {', '.join(FORMATS)}"
            )
    return tuple(parse_formats(formats))


def _option_spellings(params: Iterable[Any]) -> dict[str, bool]:
    """Each spelling of a group's options -> whether it takes a value."""
    spellings: dict[str, bool] = {}
    for param in params:
        takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
        for spelling in [*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())]:
            if spelling.startswith("-"):
                spellings[spelling] = takes_value
    return spellings


def hoist_global_options(args: list[str], params: Iterable[Any]) -> list[str]:
    """Move the group's own options that follow the subcommand to the front.

    ``preview -s dev -q`` becomes ``-q preview -s dev``. Arguments after ``--`` belong to
    another program (``up -- --refresh``) and stay where they are.
    """
    spellings = _option_spellings(params)
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    seen_command = False
    while index < len(args):
        token = args[index]
        if token == "--":
            rest.extend(args[index:])
            break
        name, equals, _ = token.partition("=")
        if not seen_command and not token.startswith("-"):
            seen_command = True
        elif seen_command and name in spellings:
            hoisted.append(token)
            if spellings[name] and not equals and index + 1 < len(args):
                index += 1
                hoisted.append(args[index])
            index += 1
            continue
        elif seen_command and _attached_short_value(token, spellings):
            hoisted.append(token)  # -C/some/dir
            index += 1
            continue
        elif not seen_command and name in spellings and spellings[name] and not equals:
            # A leading option's value is not the subcommand: keep the pair together.
            rest.extend(args[index : index + 2])
            index += 2
            continue
        rest.append(token)
        index += 1
    return [*hoisted, *rest]


def _attached_short_value(token: str, spellings: dict[str, bool]) -> bool:
    short = token[:2]
    return len(token) > 2 and not token.startswith("--") and short in spellings and spellings[short]


class GlobalOptionsAnywhere(TyperGroup):
    """A command group whose own options may also follow the subcommand."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args), self.params))
