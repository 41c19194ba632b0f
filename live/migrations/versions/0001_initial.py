"""The initial live store: events, cases, deadlines, posts, intake counts.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(80)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("decision", sa.Text),
    )
    op.create_index("ix_events_case_id", "events", ["case_id"])
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(80), primary_key=True),
        sa.Column("post_id", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("hot", sa.Boolean, nullable=False),
        sa.Column("opened_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("reminder", sa.Boolean, nullable=False),
        sa.Column("due", sa.String(32), nullable=False),
        sa.Column("fired_at", sa.String(32)),
        sa.UniqueConstraint("case_id", "kind", "reminder", name="uq_deadline_clock"),
    )
    op.create_index("ix_deadlines_due", "deadlines", ["due"])
    op.create_table(
        "posts",
        sa.Column("post_id", sa.String(80), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(80)),
        sa.Column("received_at", sa.String(32), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
    )
    op.create_table(
        "intake_counts",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("reason", sa.String(32), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for name in ("intake_counts", "posts", "deadlines", "cases", "events"):
        op.drop_table(name)
