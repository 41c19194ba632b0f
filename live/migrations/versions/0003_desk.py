"""What the desk and the units add to a case: when the desk confirmed the form, the date a 近期解决 reply promised.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.String(32), nullable=True))
        batch.add_column(sa.Column("promise_due", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("promise_due")
        batch.drop_column("confirmed_at")
