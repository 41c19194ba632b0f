"""The ASGI app: the platforms' callbacks (``/wechat``, ``/weibo``), a status page, and the deadline scheduler.

Requests are checked in the order that costs least to a hostile sender: signature and timestamp from the
query (403), then the body's size while it is read (413), then the payload through the engine's adapters
(400 with the reason).  The scheduler is an asyncio task of the app's lifespan: at start-up it fires what fell
due while the service was down, then wakes at the next due time (or every ``poll_seconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.errors import WenzhengError
from engine.messages import os_reason

from .api import read_body
from .api import register as register_api
from .clock import Clock
from .config import LiveConfig
from .messages import t
from .pages import register as register_pages
from .service import Answer, ChannelName, LiveService

__all__ = ["create_app", "build_app", "listen_socket", "SERVER_LOG_CONFIG"]

#: uvicorn's logging, in place of its default (``uvicorn.config.LOGGING_CONFIG``), whose INFO lines ("Started
#: server process", "Waiting for application startup.", "Application startup complete.", "Shutting down") are
#: English inside a Chinese session: ``serve`` says start, ready and stop itself, in the chosen language
#: (serve.start, serve.ready, serve.stopping, serve.stopped).  uvicorn's warnings and errors (a malformed
#: request, a crash in the application) still show, machine-format, with time and logger name; the access log
#: is off (docs/live.md).
SERVER_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "uvicorn.error": {"level": "WARNING"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
    },
}

log = logging.getLogger("wenzheng.live")


def _response(answer: Answer) -> Response:
    return Response(content=answer.body, status_code=answer.status, media_type=answer.media_type)


async def _scheduler(service: LiveService, app: FastAPI) -> None:
    clock = service.clock
    # poll_seconds is real time: on an accelerated clock (speed 86400) it is that many seconds of the clock's
    # time, else the scheduler would look (two queries) every 1/86400 s
    poll = service.config.poll_seconds * getattr(clock, "speed", 1.0)
    warned = False
    try:
        while True:
            if not warned:  # at start-up, or once the clock comes within 60 days of the calendar's end
                warning = service.calendar_warning()
                if warning is not None:
                    log.warning(warning)
                    warned = True
            await run_in_threadpool(service.fire_due)
            nxt = await run_in_threadpool(service.next_due)
            wait = poll if nxt is None else min(poll, max(0.0, (nxt - clock.now()).total_seconds()))
            await clock.wait(wait)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # shown on /status; the deadlines stay in the store and fire after a restart
        app.state.scheduler_error = repr(exc)
        log.exception("deadline scheduler stopped")
        raise


def build_app(service: LiveService) -> FastAPI:
    """The app around an open service (tests build the service with a fake clock)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.fired_at_start = len(await run_in_threadpool(service.fire_due))
        task = asyncio.create_task(_scheduler(service, app))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    app = FastAPI(title="wenzheng live", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service
    app.state.scheduler_error = None
    app.state.fired_at_start = 0

    async def _intake(channel: ChannelName, request: Request) -> Response:
        q = request.query_params
        refused = await run_in_threadpool(service.check_signature, channel, q.get("signature"), q.get("timestamp"),
                                          q.get("nonce"))
        if refused is not None:
            return _response(refused)
        body = await read_body(request, service.config.max_body)
        if body is None:
            return _response(await run_in_threadpool(service.too_large, channel))
        return _response(await run_in_threadpool(service.intake, channel, body))

    @app.get("/wechat")
    async def wechat_verify(request: Request) -> Response:
        q = request.query_params
        refused = await run_in_threadpool(service.check_signature, "wechat", q.get("signature"), q.get("timestamp"),
                                          q.get("nonce"))
        if refused is not None:
            return _response(refused)
        return PlainTextResponse(q.get("echostr", ""))

    @app.post("/wechat")
    async def wechat(request: Request) -> Response:
        return await _intake("wechat", request)

    @app.post("/weibo")
    async def weibo(request: Request) -> Response:
        return await _intake("weibo", request)

    @app.get("/status")
    async def status() -> JSONResponse:
        def gather() -> dict[str, Any]:
            tz = service.engine.calendar.tz  # the policy's time zone, as every other time the service shows
            nxt = service.next_due()
            with service.lock:  # open as the desk counts them: cases without a reply
                open_cases = sum(1 for case in service.engine.cases.values() if case.replied_at is None)
            return {"now": service.clock.now().astimezone(tz).isoformat(),
                    "clock_speed": getattr(service.clock, "speed", 1.0),
                    "counts": service.counts(), "open_cases": open_cases,
                    "next_due": nxt.astimezone(tz).isoformat() if nxt else None,
                    "fired_at_start": app.state.fired_at_start, "scheduler_error": app.state.scheduler_error,
                    "calendar_through": service.calendar_through().isoformat(),
                    "deadlines_held": sorted(service.held_deadlines.values(), key=lambda d: (d["due"], d["case_id"]))}
        return JSONResponse(await run_in_threadpool(gather))

    register_api(app, service)  # the desk's, units' and supervisors' JSON API (live/api.py)
    register_pages(app, service)  # their pages (live/pages.py)
    return app


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (handed to uvicorn): ``serve`` takes its address before it opens the
    store, so an address in use or not of this machine is an error (exit 2) that leaves the store untouched,
    and no other program can take the port between the check and the serving."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                 flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise WenzhengError(t("serve.bad_host", host=host, reason=os_reason(exc))) from None
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a port left in TIME_WAIT by a stopped service is reusable, one being listened on is not
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        key = {errno.EADDRINUSE: "serve.port_in_use", errno.EADDRNOTAVAIL: "serve.not_local",
               errno.EACCES: "serve.port_denied"}.get(exc.errno or 0, "serve.cannot_bind")
        raise WenzhengError(t(key, host=host, port=port, reason=os_reason(exc))) from None
    sock.set_inheritable(True)
    return sock


def create_app(rules: str | Path, config: LiveConfig, clock: Clock | None = None,
               lang: str | None = None) -> FastAPI:
    """Load the rules, open (and migrate) the store, rebuild the open cases: the app ``wenzheng serve`` runs."""
    return build_app(LiveService.open(rules, config, clock, lang))
