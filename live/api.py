"""The JSON API of the desk, the units and the supervisors (docs/live.md, "The JSON API").

Each route: the role from ``Authorization: Bearer <token>`` (401 without a known token), the body read up to
``max_body`` (413) and parsed as JSON, then the service's action, which checks in order: the role may take the
action at all (403), the case or post exists and the role may see it (404), the body (422), the case's state
(409).  Every refusal is answered ``{"error": code, "detail": text}`` and counted under channel ``api``.

The actions take an ``Idempotency-Key`` header (Stripe's convention and the IETF draft "The Idempotency-Key
HTTP Header Field"): at most 64 printable ASCII characters, bare or as a quoted string.  A repeat of the key
by the same role with the same request gets the stored answer, byte for byte, and acts no second time; the
same key with another request is refused 422 (``LiveService.perform``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .auth import Refusal, Role, bearer, role_for
from .messages import t
from .service import BAD_JSON, CASE_ACTIONS, LiveService
from .views import supervision

__all__ = ["register", "read_body", "idempotency_key", "KEY_HEADER", "MAX_KEY"]

#: the request header carrying an idempotency key, and the most characters a key may have
KEY_HEADER = "Idempotency-Key"
MAX_KEY = 64
_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY}}}")


def idempotency_key(values: list[str], lang: str | None = None) -> str | None:
    """The key of the request's ``Idempotency-Key`` headers (None: no header).  The IETF draft writes it as a
    structured-field string (``"8e03978e-…"``), Stripe bare: both are taken.  Anything else is a 400."""
    if not values:
        return None
    key = values[0].strip()
    if len(key) >= 2 and key[0] == key[-1] == '"' and '"' not in key[1:-1] and "\\" not in key[1:-1]:
        key = key[1:-1]
    if len(values) > 1 or not _KEY.fullmatch(key) or not key.strip():
        raise Refusal(400, "bad-idempotency-key", t("api.bad_key", lang=lang, limit=MAX_KEY))
    return key


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed ``limit`` bytes (never read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > limit:
            return None
    return bytes(buf)


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return {}  # a POST without a body is the empty object (``statement`` needs nothing else)
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return BAD_JSON


def register(app: FastAPI, service: LiveService) -> None:
    """Add the API's routes to ``app`` (called by ``live.app.build_app``)."""

    def refused(r: Refusal) -> JSONResponse:
        service.refuse("api", r.code)
        return JSONResponse({"error": r.code, "detail": r.detail}, status_code=r.status)

    def role_of(request: Request) -> Role:
        role = role_for(service.config, bearer(request.headers.get("authorization")))
        if role is None:
            raise Refusal(401, "unauthorized", t("api.unauthorized", lang=service.lang))
        return role

    async def answer(request: Request, work: Callable[[Role, Any], Any], with_body: bool) -> Response:
        try:
            role = role_of(request)
            body: Any = None
            if with_body:
                raw = await read_body(request, service.config.max_body)
                if raw is None:
                    raise Refusal(413, "too-large", t("answer.too_large", lang=service.lang,
                                                      limit=service.config.max_body))
                body = _parse(raw)
            result = await run_in_threadpool(work, role, body)
        except Refusal as r:
            return await run_in_threadpool(refused, r)
        return JSONResponse(result)

    @app.get("/api/cases")
    async def cases(request: Request) -> Response:
        open_only = request.query_params.get("open", "") in ("1", "true", "yes")
        return await answer(request, lambda role, _: {"cases": service.list_cases(role, open_only)}, False)

    @app.get("/api/cases/{case_id}")
    async def case(request: Request, case_id: str) -> Response:
        return await answer(request, lambda role, _: service.read_case(role, case_id), False)

    async def perform(request: Request, action: str, target: str) -> Response:
        """An action: 401, 413, the key's form (400), then the service (403, the replay or 422 for a reused
        key, 404, 422, 409); the answer's bytes are the ones stored under the key."""
        try:
            role = role_of(request)
            raw = await read_body(request, service.config.max_body)
            if raw is None:
                raise Refusal(413, "too-large", t("answer.too_large", lang=service.lang,
                                                  limit=service.config.max_body))
            key = idempotency_key(request.headers.getlist(KEY_HEADER), service.lang)
            done, replayed = await run_in_threadpool(service.perform, role, action, target, _parse(raw), key)
        except Refusal as r:
            return await run_in_threadpool(refused, r)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return Response(content=done.body, status_code=done.status, media_type=done.media_type, headers=headers)

    def add_action(path: str, action: str) -> None:
        async def act(request: Request, case_id: str) -> Response:
            return await perform(request, action, case_id)
        app.add_api_route(f"/api/cases/{{case_id}}/{path}", act, methods=["POST"], name=f"api-{path}")

    for path, action in CASE_ACTIONS.items():
        add_action(path, action)

    @app.get("/api/posts")
    async def posts(request: Request) -> Response:
        # only unlocated posts are kept apart from cases: ``?unlocated=1`` is what there is to list
        return await answer(request, lambda role, _: {"posts": service.list_posts(role)}, False)

    @app.post("/api/posts/{post_id}/locate")
    async def locate(request: Request, post_id: str) -> Response:
        return await perform(request, "locate", post_id)

    @app.get("/api/supervision")
    async def supervise(request: Request) -> Response:
        def work(role: Role, _: Any) -> dict[str, Any]:
            service.require(role, "supervision")
            return supervision(service)
        return await answer(request, work, False)
