"""wenzheng's policy engine: rule files → validated policy → durable_rules → decisions.

The engine never imports the simulator and never reads the wall clock.

The public names below are imported on first use (PEP 562), so that
``import engine.errors`` — which the CLI needs for every command — does not
pay for pydantic, durable_rules and the calendar data: ``engine.Policy``
still works as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_names
from .native import install as _install_native

# the compiled builds of the hot modules, where they match their source (engine/native.py)
_install_native()

if TYPE_CHECKING:
    from .calendar import WorkCalendar
    from .durations import Duration, parse_duration
    from .engine import CaseState, Engine, parse_event
    from .errors import (
        CalendarError,
        DurationError,
        EventError,
        PolicyError,
        Problem,
        ScenarioError,
        SourceError,
        WenzhengError,
    )
    from .models import (
        Classify,
        Close,
        DeadlineReached,
        Decision,
        Deduct,
        Escalate,
        FlagAccountability,
        FollowUpPosted,
        MarkHot,
        Post,
        PostReceived,
        Remind,
        ReplyFiled,
        RepostsUpdated,
        Route,
        SetDeadline,
        StatementIssued,
        Trace,
    )
    from .policy import Policy

#: public name → the submodule that defines it
_WHERE = {
    "WorkCalendar": "calendar",
    "Duration": "durations", "parse_duration": "durations",
    "CaseState": "engine", "Engine": "engine", "parse_event": "engine",
    **dict.fromkeys(["CalendarError", "DurationError", "EventError", "PolicyError", "Problem", "ScenarioError",
                     "SourceError", "WenzhengError"], "errors"),
    **dict.fromkeys(["Classify", "Close", "DeadlineReached", "Decision", "Deduct", "Escalate", "FlagAccountability",
                     "FollowUpPosted", "MarkHot", "Post", "PostReceived", "Remind", "ReplyFiled", "RepostsUpdated",
                     "Route", "SetDeadline", "StatementIssued", "Trace"], "models"),
    "Policy": "policy",
}

__all__ = [
    "CalendarError",
    "CaseState",
    "Classify",
    "Close",
    "DeadlineReached",
    "Decision",
    "Deduct",
    "Duration",
    "DurationError",
    "Engine",
    "Escalate",
    "EventError",
    "FlagAccountability",
    "FollowUpPosted",
    "MarkHot",
    "Policy",
    "PolicyError",
    "Post",
    "PostReceived",
    "Problem",
    "Remind",
    "ReplyFiled",
    "RepostsUpdated",
    "Route",
    "ScenarioError",
    "SetDeadline",
    "SourceError",
    "StatementIssued",
    "Trace",
    "WenzhengError",
    "WorkCalendar",
    "parse_duration",
    "parse_event",
]


__getattr__, __dir__ = lazy_names(__name__, _WHERE, globals(), __all__)
