"""Live mode: the policy engine as a service (``wenzheng serve``).

The platforms' callbacks come in over HTTP (WeChat's signed XML, Weibo's signed status JSON) through the
engine's own adapters; each accepted post opens a case whose decisions, with their traces, are stored in one
transaction; deadlines are rows a scheduler fires exactly once, at their due time, even across restarts.
Imports the engine, never the simulator.  FastAPI, uvicorn, SQLAlchemy and Alembic come with the ``live``
extra (``pip install 'wenzheng[live]'``).
"""

from __future__ import annotations

__all__ = ["create_app", "build_app", "LiveService", "LiveConfig", "load_config", "Clock", "SystemClock",
           "FakeClock", "signature"]


def __getattr__(name: str) -> object:
    # lazy: ``import live`` must not need FastAPI (the CLI imports it only for ``serve``)
    if name in ("create_app", "build_app"):
        from . import app
        return getattr(app, name)
    if name in ("LiveService", "signature"):
        from . import service
        return getattr(service, name)
    if name in ("LiveConfig", "load_config"):
        from . import config
        return getattr(config, name)
    if name in ("Clock", "SystemClock", "FakeClock"):
        from . import clock
        return getattr(clock, name)
    raise AttributeError(name)
