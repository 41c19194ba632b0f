"""wenzheng's policy engine: rule files → validated policy → durable_rules → decisions.

The engine never imports the simulator and never reads the wall clock.
"""

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
