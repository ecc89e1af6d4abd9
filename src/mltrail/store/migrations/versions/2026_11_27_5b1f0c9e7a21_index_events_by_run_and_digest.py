"""Index OpenLineage events by run and digest instead of by digest alone.

A run event is unique among its run's events; a dataset or job event among those without a run.
Run ids are time-ordered, so the new index takes inserts at its end, where the digest index took
them at random places (one dirtied page per event once it outgrew a batch).

Revision ID: 5b1f0c9e7a21
Revises: d20ae0c243d7
Create Date: 2026-11-27 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1f0c9e7a21"
down_revision = "d20ae0c243d7"
branch_labels = None
depends_on = None

_STATIC = sa.text("run_id IS NULL")


def upgrade() -> None:
    """Replace the digest's unique constraint and the (run, time) index."""
    with op.batch_alter_table("ol_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ol_event_digest"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_ol_event_run_id_event_time"))
        batch_op.create_index(batch_op.f("ix_ol_event_run_id_digest"), ["run_id", "digest"], unique=True)
        batch_op.create_index(
            "ix_ol_event_static_digest",
            ["digest"],
            unique=True,
            sqlite_where=_STATIC,
            postgresql_where=_STATIC,
        )


def downgrade() -> None:
    """Put the digest's unique constraint and the (run, time) index back."""
    with op.batch_alter_table("ol_event", schema=None) as batch_op:
        batch_op.drop_index("ix_ol_event_static_digest")
        batch_op.drop_index(batch_op.f("ix_ol_event_run_id_digest"))
        batch_op.create_index(
            batch_op.f("ix_ol_event_run_id_event_time"), ["run_id", "event_time"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_ol_event_digest"), ["digest"])
