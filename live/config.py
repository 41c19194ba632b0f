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
from pathlib import Path
from typing import Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)

from engine.errors import Problem, SourceError

from .messages import t

__all__ = ["LiveConfig", "load_config", "ENV_PREFIX", "ENV_KEYS", "DEFAULT_DB"]

ENV_PREFIX = "WENZHENG_"
DEFAULT_DB = "sqlite:///wenzheng-live.db"
#: shortest role token accepted (a token is a password: guessable ones are refused)
MIN_TOKEN = 16


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

    @model_validator(mode="after")
    def _tokens_distinct(self) -> LiveConfig:
        seen: dict[str, str] = {}
        named = [("desk_token", self.desk_token), ("supervisor_token", self.supervisor_token)]
        named += [(f"unit_tokens.{unit}", tok) for unit, tok in self.unit_tokens.items()]
        for name, tok in named:
            if tok is None:
                continue
            value = tok.get_secret_value()
            if len(value) < MIN_TOKEN:
                raise ValueError(t("config.short_token", name=name, n=MIN_TOKEN))
            if value in seen:
                raise ValueError(t("config.same_token", a=seen[value], b=name))
            seen[value] = name
        return self


#: environment variable → setting
ENV_KEYS = {ENV_PREFIX + name.upper(): name for name in LiveConfig.model_fields}


def _line_of(path: Path, text: str, data: Any, key: str) -> int | None:
    lc = getattr(data, "lc", None)  # ruamel's round-trip map knows where each key is
    if lc is not None and key in data:
        try:
            return int(lc.key(key)[0]) + 1
        except (KeyError, TypeError):
            return None
    for n, line in enumerate(text.splitlines(), 1):  # TOML: the line that sets it
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return n
    return None


def _read(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError([Problem(str(path), None, None, t("config.unreadable", reason=exc), code="config")]) \
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
    """The configuration from ``path`` (optional), then the environment, then ``overrides`` (the CLI's options)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    where: dict[str, tuple[str, int | None, str]] = {}  # setting → (file, line, key as written there)
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
            where[str(key)] = (str(path), _line_of(path, text, data, str(key)), str(key))
    for var, name in ENV_KEYS.items():
        if var in environ:
            values[name] = _from_env(name, environ[var])
            where[name] = ("environment", None, var)
    for name, value in overrides.items():
        if value is not None:
            values[name] = value
            where[name] = ("command line", None, name)
    try:
        return LiveConfig.model_validate(values)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            file, line, key = where.get(name, (str(path) if path else "environment", None, name))
            problems.append(Problem(file, line, None, t("config.invalid", reason=e["msg"].removeprefix("Value error, ")), key=key,
                                    code="config"))
        raise SourceError(problems) from None
