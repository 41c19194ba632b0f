"""The engine's data model: posts, events on a case, effects and decisions.

Every timestamp is timezone-aware (naive datetimes are rejected): the engine
never reads the clock, it takes time from the events it is given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "Post",
    "Trace",
    "PostReceived",
    "RepostsUpdated",
    "FollowUpPosted",
    "StatementIssued",
    "ReplyFiled",
    "DeadlineReached",
    "Event",
    "Classify",
    "Route",
    "MarkHot",
    "SetDeadline",
    "Remind",
    "Escalate",
    "Deduct",
    "FlagAccountability",
    "Close",
    "Effect",
    "Decision",
    "ReplyKind",
    "DeadlineKind",
    "Channel",
]

Channel = Literal["weibo", "wechat"]
DeadlineKind = Literal["external_statement", "reply"]
ReplyKind = Literal["立行立改", "近期解决", "条件不具备", "不符合法规"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Post(_Model):
    """A citizen's post as the duty desk sees it, whatever platform it came from."""

    post_id: str = Field(min_length=1, max_length=64)
    channel: Channel
    author: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=5000)
    place: str = Field(min_length=1, description="Street/town area the post is about")
    posted_at: AwareDatetime
    reposts: int = Field(default=0, ge=0)
    phone: str | None = None


class Trace(_Model):
    """Why an effect happened: the rule (file:line) and the inputs it looked at."""

    rule_id: str
    table: str
    file: str
    line: int
    inputs: dict[str, Any] = Field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


# -- events ------------------------------------------------------------------
class _Event(_Model):
    case_id: str = Field(min_length=1)
    at: AwareDatetime


class PostReceived(_Event):
    """The desk forwards a post: the case opens and a feedback form is issued."""

    type: Literal["post_received"] = "post_received"
    post: Post


class RepostsUpdated(_Event):
    type: Literal["reposts_updated"] = "reposts_updated"
    reposts: int = Field(ge=0)


class FollowUpPosted(_Event):
    type: Literal["follow_up_posted"] = "follow_up_posted"
    text: str | None = None


class StatementIssued(_Event):
    """The unit gives its external statement (对外口径) on a hot event."""

    type: Literal["statement_issued"] = "statement_issued"


class ReplyFiled(_Event):
    """The unit files its reply on the feedback form."""

    type: Literal["reply_filed"] = "reply_filed"
    reply_kind: ReplyKind


class DeadlineReached(_Event):
    """A timer set by a SetDeadline effect has gone off (due time or reminder)."""

    type: Literal["deadline_reached"] = "deadline_reached"
    deadline: DeadlineKind
    reminder: bool = False


Event = Annotated[
    PostReceived | RepostsUpdated | FollowUpPosted | StatementIssued | ReplyFiled | DeadlineReached,
    Field(discriminator="type"),
]


# -- effects -----------------------------------------------------------------
class _Effect(_Model):
    trace: Trace


class Classify(_Effect):
    type: Literal["classify"] = "classify"
    category: str
    keywords: tuple[str, ...] = ()


class Route(_Effect):
    type: Literal["route"] = "route"
    unit: str


class MarkHot(_Effect):
    type: Literal["mark_hot"] = "mark_hot"


class SetDeadline(_Effect):
    type: Literal["set_deadline"] = "set_deadline"
    deadline: DeadlineKind
    within: str
    start: datetime
    due: datetime
    remind_at: datetime | None = None


class Remind(_Effect):
    type: Literal["remind"] = "remind"
    unit: str


class Escalate(_Effect):
    type: Literal["escalate"] = "escalate"
    unit: str
    to: str
    level: int


class Deduct(_Effect):
    type: Literal["deduct"] = "deduct"
    unit: str
    points: float
    reason: str


class FlagAccountability(_Effect):
    type: Literal["flag_accountability"] = "flag_accountability"
    unit: str


class Close(_Effect):
    type: Literal["close"] = "close"
    reply_kind: ReplyKind


Effect = Annotated[
    Classify | Route | MarkHot | SetDeadline | Remind | Escalate | Deduct | FlagAccountability | Close,
    Field(discriminator="type"),
]


class Decision(_Model):
    """What the engine decided for one event: typed effects, each with its trace."""

    case_id: str
    event: str
    at: datetime
    effects: tuple[Effect, ...] = ()

    def of_type(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.effects if isinstance(e, cls)]
