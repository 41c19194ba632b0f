"""The pages of the desk, the units and the supervisors: rendered on the server (Jinja2, autoescaped), no
front-end build step, Chinese by default (``?lang=en`` for English).

Log-in is a form at ``/login`` taking a role token; the token is kept in an HttpOnly, SameSite=Strict cookie
(so no other site can make the browser post a form with it), ``/logout`` drops it.  Every form posts to the
very service actions the JSON API calls (``LiveService.confirm`` …), then redirects back; a refusal is a page
with the same status and detail as the API's answer, counted under channel ``pages``.

The desk's countdowns are rendered by the server against the service's clock; a few lines of inline script
tick them down each second at the clock's speed (an accelerated clock runs them faster).
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool

from engine.i18n import get_lang, lang_scope, normalise_lang
from engine.messages import t as engine_t
from reporting.leaders import group_label
from simulator.labels import METRIC_LABELS, metric_label

from .api import idempotency_key, read_body
from .auth import Refusal, Role, role_for
from .messages import t
from .service import CASE_ACTIONS, PROMISE_KIND, REPLY_KINDS, LiveService
from .views import quarterly_by_group, supervision

__all__ = ["register", "COOKIE", "countdown", "total_label", "event_label", "effect_label", "by_label", "REPLIED_SHOWN"]

#: the log-in cookie's name (its value is the role's token)
COOKIE = "wenzheng_token"
HOME = {"desk": "/desk", "supervisor": "/supervisor", "unit": "/unit"}
#: the largest form a page posts (a follow-up's text is the longest field)
FORM_LIMIT = 64 * 1024
#: replied forms a unit's page lists (most recent first); the older ones are counted
REPLIED_SHOWN = 20
#: /api/supervision totals named by a metric of docs/metrics.md under another key
_TOTAL_METRIC = {"hot": "hot_events"}


def total_label(key: str, lang: str) -> str:
    """A supervision total's name for people: the metric's label (simulator.labels) where the total is one of
    docs/metrics.md's metrics, else the live catalogue's (on time, statements, statements on time)."""
    metric = _TOTAL_METRIC.get(key, key)
    if metric in METRIC_LABELS:
        return metric_label(metric, lang)
    return t(f"total.{key}", lang=lang) if f"total.{key}" in t else key


def event_label(kind: str, lang: str) -> str:
    """A stored event's kind in words: the engine's name for its own events (收到帖子 …), the live catalogue's
    for the desk's acts; an unknown kind as it is."""
    if f"value.event.{kind}" in engine_t:
        return engine_t(f"value.event.{kind}", lang=lang)
    return t(f"event.{kind}", lang=lang) if f"event.{kind}" in t else kind


def effect_label(kind: str, lang: str) -> str:
    """An effect's type in words (分类, 转办, 设定时限 …); an unknown type as it is."""
    return t(f"effect.{kind}", lang=lang) if f"effect.{kind}" in t else kind


def deadline_label(kind: str, lang: str) -> str:
    return engine_t(f"value.deadline.{kind}", lang=lang) if f"value.deadline.{kind}" in engine_t else kind


def by_label(by: str | None, lang: str) -> str:
    """Who acted (an event's ``by``): 值班台, 督办人员, or the unit's name."""
    if not by:
        return ""
    if by.startswith("unit:"):
        return by[len("unit:"):]
    return t(f"role.{by}", lang=lang) if f"role.{by}" in t else by


def countdown(seconds: float, lang: str) -> str:
    """Time left as ``[N天 ]hh:mm:ss`` (or overdue by that much), as the page's script writes it too."""
    s = int(abs(seconds))
    days, s = divmod(s, 86400)
    text = (t("page.days", lang=lang, n=days) + " " if days else "") + f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return t("page.overdue", lang=lang, t=text) if seconds < 0 else text


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def _form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict of its first values (blank fields kept)."""
    parsed = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in parsed.items()}


def _effect_rows(decision: dict[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for eff in (decision or {}).get("effects", []):
        tr = eff.get("trace", {})
        details = {k: v for k, v in eff.items() if k not in ("trace", "type")}
        rows.append({"type": eff.get("type"), "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
                     "rule_id": tr.get("rule_id"), "where": f"{tr.get('file')}:{tr.get('line')}",
                     "inputs": json.dumps(tr.get("inputs", {}), ensure_ascii=False, sort_keys=True)})
    return rows


def register(app: FastAPI, service: LiveService) -> None:
    """Add the pages' routes to ``app`` (called by ``live.app.build_app``)."""
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True)
    env.filters["when"] = _when
    # each action form carries an Idempotency-Key of its own (a hidden field, new at every render): a form
    # sent twice — a double click, a resend after a lost answer — is taken once (docs/live.md)
    env.globals["form_key"] = lambda: secrets.token_urlsafe(18)

    def lang_of(request: Request) -> str:
        return normalise_lang(request.query_params.get("lang")) or service.lang or get_lang()

    def suffix(request: Request) -> str:
        """``?lang=…`` when the request chose a language, so links and forms keep it."""
        chosen = normalise_lang(request.query_params.get("lang"))
        return "?" + urlencode({"lang": chosen}) if chosen else ""

    def render(request: Request, name: str, status: int = 200, role: Role | None = None,
               **context: Any) -> HTMLResponse:
        lang = lang_of(request)

        def tr(key: str, **values: Any) -> str:
            return t(key, lang=lang, **values)

        def group(g: str) -> str:
            with lang_scope(lang):
                return group_label(g)

        labels = {"total_label": total_label, "event_label": event_label, "effect_label": effect_label,
                  "deadline_label": deadline_label, "by_label": by_label}
        bound = {name: functools.partial(lambda fn, value: fn(value, lang), fn) for name, fn in labels.items()}
        html = env.get_template(name).render(t=tr, lang=lang, q=suffix(request), role=role, group_label=group,
                                             countdown=countdown, **bound, **context)
        return HTMLResponse(html, status_code=status)

    def refused(request: Request, r: Refusal, role: Role | None) -> HTMLResponse:
        service.refuse("pages", r.code)
        return render(request, "error.html", r.status, role, error=r.code, detail=r.detail)

    def role_of(request: Request) -> Role | None:
        return role_for(service.config, request.cookies.get(COOKIE))

    def to_login(request: Request) -> RedirectResponse:
        return RedirectResponse("/login" + suffix(request), status_code=303)

    async def page(request: Request, kinds: tuple[str, ...], work: Callable[[Role], dict[str, Any]],
                   template: str) -> Response:
        role = role_of(request)
        if role is None:
            return to_login(request)
        try:
            if role.kind not in kinds:
                raise Refusal(403, "forbidden", t("page.forbidden", lang=lang_of(request),
                                                  role=t(f"role.{role.kind}", lang=lang_of(request))))
            context = await run_in_threadpool(work, role)
        except Refusal as r:
            return await run_in_threadpool(refused, request, r, role)
        return render(request, template, role=role, **context)

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> Response:
        role = role_of(request)
        if role is None:
            return to_login(request)
        return RedirectResponse(HOME[role.kind] + suffix(request), status_code=303)

    @app.get("/login", include_in_schema=False)
    async def login_page(request: Request) -> Response:
        return render(request, "login.html", role=role_of(request))

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        raw = await read_body(request, FORM_LIMIT)
        token = _form(raw).get("token", "").strip() if raw is not None else ""
        role = role_for(service.config, token)
        if role is None:
            await run_in_threadpool(service.refuse, "pages", "unauthorized")
            return render(request, "login.html", 401, error=t("page.bad_token", lang=lang_of(request)))
        response = RedirectResponse(HOME[role.kind] + suffix(request), status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
        return response

    @app.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
    async def logout(request: Request) -> Response:
        response = to_login(request)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    def clock_context(now: datetime) -> dict[str, Any]:
        """What the ticking script needs: the service clock's now (ms), its speed, the policy's UTC offset."""
        local = now.astimezone(service.engine.calendar.tz)
        offset = local.utcoffset()
        return {"now_iso": local.isoformat(), "now_text": local.strftime("%Y-%m-%d %H:%M:%S"),
                "now_ms": int(now.timestamp() * 1000), "speed": getattr(service.clock, "speed", 1.0),
                "tz_minutes": int(offset.total_seconds() // 60) if offset is not None else 0}

    def with_dues(cases: list[dict[str, Any]], now: datetime) -> None:
        """Each open case's statement (hot, none recorded yet) and reply deadlines, as the countdowns show them."""
        def due(iso: str | None) -> dict[str, Any] | None:
            if iso is None:
                return None
            at = datetime.fromisoformat(iso)
            return {"iso": iso, "ms": int(at.timestamp() * 1000), "left": (at - now).total_seconds()}

        for c in cases:
            d = c["deadlines"]
            c["statement_due"] = due(d["external_statement"]["due"]) \
                if "external_statement" in d and c["statement_at"] is None else None
            c["reply_due"] = due(d["reply"]["due"]) if "reply" in d else None

    def desk_context(role: Role) -> dict[str, Any]:
        now = service.clock.now()
        cases = service.list_cases(role, open_only=True)
        cases.sort(key=lambda c: not c["hot"])  # hot first; oldest first within each (the sort is stable)
        with_dues(cases, now)
        return {"cases": cases, "posts": service.list_posts(role), "units": list(service.engine.policy.units),
                "places": list(service.engine.policy.places), **clock_context(now)}

    def unit_context(role: Role) -> dict[str, Any]:
        """Open forms first, the reply due soonest at the top, with their countdowns; then the replied ones, the
        latest reply first, the first ``REPLIED_SHOWN`` of them listed and the rest counted."""
        now = service.clock.now()
        cases = service.list_cases(role)
        open_ = [c for c in cases if c["replied_at"] is None]
        with_dues(open_, now)
        open_.sort(key=lambda c: (c["reply_due"] is None, c["reply_due"]["ms"] if c["reply_due"] else 0,
                                  c["opened_at"], c["case_id"]))
        replied = sorted((c for c in cases if c["replied_at"] is not None),
                         key=lambda c: (datetime.fromisoformat(c["replied_at"]), c["case_id"]), reverse=True)
        return {"open": open_, "replied": replied[:REPLIED_SHOWN], "replied_total": len(replied),
                "replied_more": max(0, len(replied) - REPLIED_SHOWN), "kinds": REPLY_KINDS,
                "promise_kind": PROMISE_KIND,
                "today": now.astimezone(service.engine.calendar.tz).date().isoformat(), **clock_context(now)}

    @app.get("/desk", include_in_schema=False)
    async def desk(request: Request) -> Response:
        return await page(request, ("desk",), desk_context, "desk.html")

    @app.get("/unit", include_in_schema=False)
    async def unit(request: Request) -> Response:
        return await page(request, ("unit",), unit_context, "unit.html")

    @app.get("/supervisor", include_in_schema=False)
    async def supervisor(request: Request) -> Response:
        def work(role: Role) -> dict[str, Any]:
            service.require(role, "supervision")
            s = supervision(service)
            return {"s": s, "quarters": quarterly_by_group(service, s["quarterly"])}
        return await page(request, ("supervisor", "desk"), work, "supervisor.html")

    @app.get("/cases/{case_id}", include_in_schema=False)
    async def case_page(request: Request, case_id: str) -> Response:
        def work(role: Role) -> dict[str, Any]:
            data = service.read_case(role, case_id)
            for ev in data["events"]:
                ev["effects"] = _effect_rows(ev["decision"])
                ev["by"] = ev["event"].get("by") if isinstance(ev["event"], dict) else None
            return data
        return await page(request, ("desk", "supervisor", "unit"), work, "case.html")

    # -- forms: the same actions as the API -----------------------------------------------------------------

    def body_of(form: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {k: v for k, v in form.items() if v != ""}
        if "reposts" in body and body["reposts"].strip().isdigit():
            body["reposts"] = int(body["reposts"])
        return body

    async def post_form(request: Request, action: str, target: str) -> Response:
        """A form's action, as the API takes it, under the form's own key (``idempotency_key``, when sent):
        a form sent a second time is answered as the first time (nothing done again), a form sent again with
        other content is refused with a page that says to reload."""
        role = role_of(request)
        if role is None:
            return to_login(request)
        try:
            raw = await read_body(request, FORM_LIMIT)
            if raw is None:
                raise Refusal(413, "too-large", t("answer.too_large", lang=lang_of(request), limit=FORM_LIMIT))
            form = _form(raw)
            sent = form.pop("idempotency_key", None)
            key = idempotency_key([sent], lang_of(request)) if sent is not None else None
            try:
                await run_in_threadpool(service.perform, role, action, target, body_of(form), key)
            except Refusal as r:
                if r.code != "idempotency-key-reused":
                    raise
                raise Refusal(r.status, r.code, t("page.form_resent", lang=lang_of(request))) from None
        except Refusal as r:
            return await run_in_threadpool(refused, request, r, role)
        return RedirectResponse(HOME[role.kind] + suffix(request), status_code=303)

    @app.post("/act/cases/{case_id}/{action}", include_in_schema=False)
    async def act(request: Request, case_id: str, action: str) -> Response:
        name = CASE_ACTIONS.get(action)
        if name is None:
            return to_login(request) if role_of(request) is None else \
                await run_in_threadpool(refused, request, Refusal(404, "not-found", action), role_of(request))
        return await post_form(request, name, case_id)

    @app.post("/act/posts/{post_id}/locate", include_in_schema=False)
    async def locate(request: Request, post_id: str) -> Response:
        return await post_form(request, "locate", post_id)
