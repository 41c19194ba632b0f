"""Who is asking: role tokens (desk, supervisor, each unit) and what each role may do.

A token is a password given in the configuration (``desk_token``, ``supervisor_token``, ``unit_tokens``).  A
request names it in ``Authorization: Bearer <token>`` (the API) or in the log-in cookie (the pages).  Every
configured token is compared, in constant time, whatever matches first, so the time an answer takes does not
tell how much of a guess was right or which role it came close to.

What a role may do is one table (``ALLOWED``); which cases a unit may see is the service's business (a unit
sees only its own cases, and another unit's case is "not found", not "forbidden").
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from .config import LiveConfig

__all__ = ["Role", "Refusal", "ACTIONS", "ALLOWED", "role_for", "bearer", "allowed"]

RoleKind = Literal["desk", "supervisor", "unit"]


@dataclass(frozen=True)
class Role:
    kind: RoleKind
    unit: str | None = None  # the unit's name in the policy, for ``kind == "unit"``

    @property
    def name(self) -> str:
        """``desk``, ``supervisor`` or ``unit:<name>`` (stored as ``by`` in the events the role causes)."""
        return f"unit:{self.unit}" if self.kind == "unit" else self.kind

    def sees(self, unit: str) -> bool:
        """Whether this role may see a case of ``unit`` (the desk and the supervisors see every case)."""
        return self.kind != "unit" or unit == self.unit


class Refusal(Exception):
    """A request refused: the HTTP status, the code (``unauthorized``, ``forbidden``, ``not-found``,
    ``conflict``, ``invalid``, ``too-large``) and a human-readable detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


#: every action of the API and the pages → the kinds of role that may take it at all
ALLOWED: dict[str, frozenset[RoleKind]] = {
    "list_cases": frozenset({"desk", "supervisor", "unit"}),
    "read_case": frozenset({"desk", "supervisor", "unit"}),
    "confirm": frozenset({"desk"}),
    "reroute": frozenset({"desk"}),
    "statement": frozenset({"desk"}),
    "reply": frozenset({"unit"}),
    "reposts": frozenset({"desk"}),
    "follow_up": frozenset({"desk"}),
    "list_posts": frozenset({"desk"}),
    "locate": frozenset({"desk"}),
    "supervision": frozenset({"desk", "supervisor"}),
}
ACTIONS = tuple(ALLOWED)


def allowed(role: Role, action: str) -> bool:
    return role.kind in ALLOWED[action]


def role_for(config: LiveConfig, token: str | None) -> Role | None:
    """The role whose token this is, or None.  Compares against every configured token (constant time each)."""
    if not token:
        return None
    given = token.encode("utf-8")
    found: Role | None = None
    candidates: list[tuple[Role, str]] = []
    if config.desk_token is not None:
        candidates.append((Role("desk"), config.desk_token.get_secret_value()))
    if config.supervisor_token is not None:
        candidates.append((Role("supervisor"), config.supervisor_token.get_secret_value()))
    candidates += [(Role("unit", unit), tok.get_secret_value()) for unit, tok in config.unit_tokens.items()]
    for role, secret in candidates:
        if hmac.compare_digest(secret.encode("utf-8"), given) and found is None:
            found = role
    return found


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (None when absent or of another scheme)."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
