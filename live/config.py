"""The service's configuration: a YAML or TOML file and ``WENZHENG_*`` environment variables, checked by pydantic.

Secrets (the WeChat token, the Weibo secret) come from the file or the environment, never from code.  The
environment overrides the file.  Every bad value is a ``SourceError`` naming the file (or ``environment``),
the line where it can be found and the key, so ``wenzheng serve`` exits 2 with a message, not a traceback.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)

from engine.errors import Problem, SourceError, suggest
from engine.messages import os_reason
from engine.messages import t as engine_t
from engine.yamlsrc import locate, pydantic_message

from .messages import t

__all__ = ["LiveConfig", "Origins", "load_config", "ENV_PREFIX", "ENV_KEYS", "DEFAULT_DB"]

ENV_PREFIX = "WENZHENG_"
DEFAULT_DB = "sqlite:///wenzheng-live.db"
#: shortest role token accepted (a token is a password: guessable ones are refused)
MIN_TOKEN = 16


class _KeyedError(ValueError):
    """A check of the whole configuration that blames one setting (``loc``: its key path, e.g. a unit's token)."""

    def __init__(self, message: str, loc: tuple[str, ...]) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class Origins:
    """Where each setting of a configuration came from: the file (and its parsed text, to find a key's line),
    the environment (the variable) or the command line; a setting in none of them has its default."""

    path: str | None = None
    text: str = field(default="", repr=False)  # the file holds secrets: never in a repr
    data: Any = field(default=None, repr=False)
    #: setting → ("file" | "environment" | "command line", the key or variable as written there)
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)

    def where(self, *loc: str) -> tuple[str, int | None, str]:
        """(file or ``environment`` or the option, line or None, key) of the setting at ``loc``
        (``("unit_tokens", "城北街道")`` for a unit's token)."""
        if not loc:
            return self.path or "environment", None, ""
        name = loc[0]
        kind, key = self.sources.get(name, ("default", name))
        if kind == "environment":
            return "environment", None, key
        if kind == "command line":
            return f"--{key}", None, name
        dotted = ".".join(loc)
        if kind == "file" and self.path is not None:
            return self.path, _line_of(self.text, self.data, loc), dotted
        # not set anywhere (its default): the file it would go in, else the variable that sets it
        if self.path is not None:
            return self.path, None, dotted
        return "environment", None, ENV_PREFIX + name.upper()

    def problem(self, message: str, *loc: str) -> Problem:
        file, line, key = self.where(*loc)
        return Problem(file, line, None, message, key=key, code="config")


class LiveConfig(BaseModel):
    """What the service needs to know beyond the rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: the token set in the WeChat official-account console (None: /wechat answers 404)
    wechat_token: SecretStr | None = None
    #: the secret shared with the Weibo push service (None: /weibo answers 404)
    weibo_secret: SecretStr | None = None
    #: largest request body accepted, in bytes (WeChat's messages are a few kB)
    max_body: int = Field(default=64 * 1024, ge=1024, le=10 * 1024 * 1024)
    #: a signed request whose timestamp is further than this from the service's clock is refused (replays)
    stale_seconds: int = Field(default=300, ge=1, le=86_400)
    #: SQLAlchemy URL of the store (the --db option overrides it)
    db: str = DEFAULT_DB
    #: the place a post is filed under when its text names none of the policy's places (None: the post is
    #: stored and waits for the desk, no case is opened)
    default_place: str | None = None
    #: how often the scheduler looks for due deadlines at most, in seconds (it also wakes at the next due time)
    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    #: the desk's token (None: no one acts as the desk; its pages and API answer 401)
    desk_token: SecretStr | None = None
    #: the supervisors' token
    supervisor_token: SecretStr | None = None
    #: each unit's token, by the unit's name in the policy (units.yaml)
    unit_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    #: accelerated time (load tests, demonstrations): the service's clock runs this many times faster than
    #: the wall clock; 1 is real time
    clock_speed: float = Field(default=1.0, gt=0, le=1_000_000)
    #: the time the service's clock shows the first time it starts (with ``clock_speed``; default: now);
    #: stored, so a restart continues the same timeline
    clock_start: AwareDatetime | None = None
    #: where each setting came from (set by ``load_config``), for the service's own checks' messages
    _origins: Origins = PrivateAttr(default_factory=Origins)

    @property
    def origins(self) -> Origins:
        return self._origins

    @model_validator(mode="after")
    def _tokens_distinct(self) -> LiveConfig:
        seen: dict[str, str] = {}
        named: list[tuple[tuple[str, ...], SecretStr | None]] = [
            (("desk_token",), self.desk_token), (("supervisor_token",), self.supervisor_token)]
        named += [(("unit_tokens", unit), tok) for unit, tok in self.unit_tokens.items()]
        for loc, tok in named:
            if tok is None:
                continue
            value, name = tok.get_secret_value(), ".".join(loc)
            if len(value) < MIN_TOKEN:
                raise _KeyedError(t("config.short_token", name=name, n=MIN_TOKEN), loc)
            if value in seen:
                raise _KeyedError(t("config.same_token", a=seen[value], b=name), loc)
            seen[value] = name
        return self


#: environment variable → setting
ENV_KEYS = {ENV_PREFIX + name.upper(): name for name in LiveConfig.model_fields}


def _line_of(text: str, data: Any, loc: tuple[str, ...]) -> int | None:
    """The line of the file where the key at ``loc`` is written (the deepest part of it that is found)."""
    if getattr(data, "lc", None) is not None:  # ruamel's round-trip map knows where each key is
        return locate(data, list(loc))[0]
    return _toml_line(text, loc)


#: one part of a TOML key: quoted or bare (bare keys here also allow the unit names' Chinese characters)
_TOML_PART = r"""(?:"[^"]*"|'[^']*'|[^\s=."'\[\]#]+)"""
_TOML_PATH = re.compile(rf"\s*({_TOML_PART}(?:\s*\.\s*{_TOML_PART})*)\s*")


def _toml_key(part: str) -> str:
    """A pattern for one part of a TOML key as it may be written: bare or quoted."""
    return rf"""(?:{re.escape(part)}|"{re.escape(part)}"|'{re.escape(part)}')"""


def _toml_parts(path: str) -> tuple[str, ...]:
    return tuple(p.strip('"\'') for p in re.findall(_TOML_PART, path))


def _toml_line(text: str, loc: tuple[str, ...]) -> int | None:
    """The line of a TOML file that sets the key at ``loc``: ``a.b = …``, ``b = …`` in a table ``[a]``, or
    ``a = {b = …}`` (an inline table); else the first line that sets or opens its first part."""
    table: tuple[str, ...] = ()
    first: int | None = None
    for n, line in enumerate(text.splitlines(), 1):
        header = re.fullmatch(r"\s*\[(.+)\]\s*(#.*)?", line)
        if header and not line.lstrip().startswith("[["):
            table = _toml_parts(header.group(1))
            if first is None and table[:1] == loc[:1]:
                first = n
            continue
        m = _TOML_PATH.match(line)
        if m is None or not line[m.end():].startswith("="):
            continue
        full = table + _toml_parts(m.group(1))
        if full == loc:
            return n
        if first is None and full[:1] == loc[:1]:
            first = n
        if len(full) < len(loc) and loc[:len(full)] == full and \
                re.search(rf"[{{,]\s*{_toml_key(loc[-1])}\s*=", line[m.end():]):
            return n  # an inline table holding it
    return first


def _read(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError([Problem(str(path), None, None, t("config.unreadable", reason=os_reason(exc)), code="config")]) \
            from None
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            return text, tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            line = getattr(exc, "lineno", None)
            raise SourceError([Problem(str(path), line, None, t("config.bad_syntax", fmt="TOML", reason=exc),
                                       code="config")]) from None
    if suffix in (".yaml", ".yml"):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        try:
            return text, YAML(typ="rt").load(text)
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise SourceError([Problem(str(path), mark.line + 1 if mark else None, None,
                                       t("config.bad_syntax", fmt="YAML", reason=exc), code="config")]) from None
    raise SourceError([Problem(str(path), None, None, t("config.bad_suffix", name=path.name), code="config")])


def _from_env(name: str, value: str) -> Any:
    """An environment variable's text as the setting's value: ``unit_tokens`` is written
    ``城北街道=token,城南街道=token`` (or as a JSON object)."""
    if name != "unit_tokens":
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return value
    out: dict[str, str] = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        unit, sep, tok = item.partition("=")
        if not sep:
            return value  # pydantic then says it is not a table of unit → token
        out[unit.strip()] = tok.strip()
    return out


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None,
                **overrides: Any) -> LiveConfig:
    """The configuration from ``path`` (optional), then the environment, then ``overrides`` (the CLI's options).

    The result knows where each setting came from (``config.origins``): the service's own checks at start-up
    (an unknown unit, a place, a changed clock) name the file and line, or the variable, as these errors do.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, tuple[str, str]] = {}
    text, data = "", None
    if path is not None:
        path = Path(path)
        text, data = _read(path)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise SourceError([Problem(str(path), 1, None, t("config.not_mapping"), code="config")])
        for key, value in data.items():
            values[str(key)] = value
            sources[str(key)] = ("file", str(key))
    for var, name in ENV_KEYS.items():
        if var in environ:
            values[name] = _from_env(name, environ[var])
            sources[name] = ("environment", var)
    for name, value in overrides.items():
        if value is not None:
            values[name] = value
            sources[name] = ("command line", name)
    origins = Origins(str(path) if path is not None else None, text, data, sources)
    try:
        config = LiveConfig.model_validate(values)
    except ValidationError as exc:
        raise SourceError([_problem(origins, e) for e in exc.errors(include_url=False)]) from None
    config._origins = origins
    return config


def _problem(origins: Origins, err: Any) -> Problem:
    """One of pydantic's errors in the words of the scenario and rule files (engine/yamlsrc.py's translation,
    in the service's language), at the file and line (or variable) the setting came from."""
    loc = tuple(str(part) for part in err["loc"])
    error = (err.get("ctx") or {}).get("error")
    if isinstance(error, _KeyedError):  # a check of the whole configuration that blames one setting
        loc = error.loc
    suggestion = None
    if err["type"] == "extra_forbidden":
        known = set(LiveConfig.model_fields) if len(loc) == 1 else set()
        message = engine_t("key.unknown", key=loc[-1])
        if known:
            message += engine_t("key.allowed", allowed=", ".join(sorted(known)))
            suggestion = suggest(loc[-1], known)
    elif err["type"] == "timezone_aware" and not re.search(r"\d[T ]\d", str(err.get("input"))):
        # a date alone: "2014-04-01+08:00" would not do either
        message = engine_t("value.datetime", value=str(err.get("input")))
    else:
        message, suggestion = pydantic_message(err)
    problem = origins.problem(t("config.invalid", reason=message), *loc)
    if suggestion is not None:
        problem = Problem(problem.file, problem.line, None, problem.message, key=problem.key,
                          suggestion=suggestion, code="config")
    return problem
