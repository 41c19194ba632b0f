"""click's own usage errors ("No such option", "Missing argument", "Invalid value for ...") in the current language.

click words its messages in English through ``gettext`` with no catalogue of its own, and installing one would
change the process-wide gettext domain for every library.  Instead the command line renders click's exceptions
itself: each class carries the parts of its message (the option's name, the parameter, the close matches), and
the few messages click's parameter types raise (a choice, a number, a range, a path) are recognised by their
fixed English wording.  Anything not recognised keeps click's own words inside the translated frame, so a new
click message is never lost, only left in English.  English output is click's, unchanged (``exc.show``).
"""

from __future__ import annotations

import re
import sys
from typing import IO

import click

from engine.i18n import get_lang

from .messages import t

__all__ = ["show_usage_error", "usage_message"]

# the messages click's parameter types raise (click/types.py), with the keys that say them in Chinese
_TYPE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<value>.+) is not one of (?P<choices>.+)\.$", re.S), "usage.choice"),
    (re.compile(r"^(?P<value>'.*'|\S+) is not (?P<choices>'[^']*')\.$", re.S), "usage.choice_single"),
    (re.compile(r"^(?P<value>.+) is not a valid integer( range)?\.$", re.S), "usage.not_int"),
    (re.compile(r"^(?P<value>.+) is not a valid float( range)?\.$", re.S), "usage.not_float"),
    (re.compile(r"^(?P<value>.+) is not in the range (?P<range>.+)\.$", re.S), "usage.range"),
    (re.compile(r"^(?:Path|File|Directory) (?P<path>.+) does not exist\.$", re.S), "usage.path_missing"),
]


def _unquote(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def _choices(text: str) -> str:
    """click's "'csv', 'xes', 'parquet'" as a Chinese list (csv、xes、parquet); English as click wrote it."""
    if get_lang() == "en":
        return text
    return "、".join(_unquote(item.strip()) for item in text.split(","))


def _type_message(message: str) -> str:
    """A message of click's parameter types in Chinese when it is one of the known ones; else as it is."""
    for pattern, key in _TYPE_MESSAGES:
        m = pattern.match(message.strip())
        if m is None:
            continue
        values = {k: _unquote(v) if k in ("value", "path") else v for k, v in m.groupdict().items()}
        if key == "usage.choice":
            return t("usage.choice", value=values["value"], choices=_choices(values["choices"]))
        if key == "usage.choice_single":
            return t("usage.choice_single", value=values["value"], choices=values["choices"])
        if key == "usage.not_int":
            return t("usage.not_int", value=values["value"])
        if key == "usage.not_float":
            return t("usage.not_float", value=values["value"])
        if key == "usage.range":
            return t("usage.range", value=values["value"], range=values["range"])
        return t("usage.path_missing", path=values["path"])
    return message


def _hint(exc: click.BadParameter) -> str | None:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return " / ".join(f"'{h}'" for h in hint) if not isinstance(hint, str) else hint
    if exc.param is not None:
        return exc.param.get_error_hint(exc.ctx)
    return None


_REQUIRES = re.compile(r"^Option (?P<name>.+) requires (?:an argument|(?P<n>\d+) arguments)\.$")
_EXTRA = re.compile(r"^Got unexpected extra arguments? \((?P<args>.*)\)$", re.S)


def usage_message(exc: click.ClickException) -> str:
    """The message of one of click's exceptions in Chinese (without "错误：")."""
    if isinstance(exc, click.NoSuchOption):
        if exc.possibilities:
            return t("usage.no_such_option_did_you_mean", name=exc.option_name,
                     possibilities="、".join(exc.possibilities))
        return t("usage.no_such_option", name=exc.option_name)
    no_such_command = getattr(click.exceptions, "NoSuchCommand", None)  # click ≥ 8.4
    if no_such_command is not None and isinstance(exc, no_such_command):
        name = exc.command_name  # type: ignore[attr-defined]
        possibilities = getattr(exc, "possibilities", None)
        if possibilities:
            return t("usage.no_such_command_did_you_mean", name=name, possibilities="、".join(possibilities))
        return t("usage.no_such_command", name=name)
    if isinstance(exc, click.MissingParameter):
        hint = _hint(exc)
        kind = exc.param_type or (exc.param.param_type_name if exc.param is not None else "parameter")
        if hint is None:
            return t("usage.missing_parameter")
        return t("usage.missing_argument", name=hint) if kind == "argument" else t("usage.missing_option", name=hint)
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        detail = _type_message(exc.message)
        return t("usage.invalid_value", name=hint if get_lang() == "en" else _unquote(hint), message=detail) \
            if hint is not None else \
            t("usage.invalid_value_plain", message=detail)
    message = exc.format_message()
    m = _REQUIRES.match(message)
    if m is not None:
        return t("usage.requires_arguments", name=m["name"], n=m["n"]) if m["n"] else \
            t("usage.requires_argument", name=m["name"])
    m = _EXTRA.match(message)
    if m is not None:
        return t("usage.extra_argument", args=m["args"])
    m = re.match(r"^No such command (?P<name>.+)\.$", message)
    if m is not None:
        return t("usage.no_such_command", name=_unquote(m["name"]))
    return message


def show_usage_error(exc: click.ClickException, file: IO[str] | None = None) -> None:
    """Print ``exc`` as click would (usage line, help hint, the error), in the current language."""
    file = file or sys.stderr
    if get_lang() == "en":
        exc.show(file=file)
        return
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        usage = ctx.get_usage()
        usage = re.sub(r"^Usage:\s*", "用法：", usage)
        click.echo(usage, file=file, color=ctx.color)
        if ctx.command.get_help_option(ctx) is not None:
            option = max(ctx.command.get_help_option_names(ctx), key=len)
            click.echo(t("usage.try_help", command=f"{ctx.command_path} {option}"), file=file, color=ctx.color)
        click.echo("", file=file)
    click.echo(t("usage.error", message=usage_message(exc)), file=file)
