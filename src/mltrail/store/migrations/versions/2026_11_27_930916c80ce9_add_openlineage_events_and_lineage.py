"""Add OpenLineage events and the lineage graph.

Revision ID: 930916c80ce9
Revises: 8356e3afc4da
Create Date: 2026-11-27 02:18:40.249109
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "930916c80ce9"
down_revision = "8356e3afc4da"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add raw OpenLineage events, jobs, lineage runs and their inputs and outputs."""
    op.create_table(
        "job",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("namespace", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=1500), nullable=False),
        sa.Column("facets", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_job_namespace_name")),
    )
    op.create_table(
        "ol_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=16), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("event_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("received_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ol_event")),
        sa.UniqueConstraint("digest", name=op.f("uq_ol_event_digest")),
    )
    with op.batch_alter_table("ol_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ol_event_run_id_event_time"), ["run_id", "event_time"], unique=False
        )

    op.create_table(
        "lineage_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("end_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("nominal_start_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("nominal_end_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_run_id", sa.Uuid(), nullable=True),
        sa.Column("root_run_id", sa.Uuid(), nullable=True),
        sa.Column("facets", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_lineage_run_job_id_job")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_run")),
    )
    with op.batch_alter_table("lineage_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lineage_run_job_id_created_at"), ["job_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lineage_run_parent_run_id"), ["parent_run_id"], unique=False)

    op.create_table(
        "run_io",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("version", sa.String(length=256), nullable=True),
        sa.Column("at_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("facets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], name=op.f("fk_run_io_dataset_id_dataset")),
        sa.ForeignKeyConstraint(["run_id"], ["lineage_run.id"], name=op.f("fk_run_io_run_id_lineage_run")),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", "direction", name=op.f("pk_run_io")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("run_io", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_io_dataset_id_direction_at_time"),
            ["dataset_id", "direction", "at_time"],
            unique=False,
        )

    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facets", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )


def downgrade() -> None:
    """Drop the lineage tables and the dataset facets."""
    with op.batch_alter_table("dataset", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("facets")

    with op.batch_alter_table("run_io", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_io_dataset_id_direction_at_time"))

    op.drop_table("run_io")
    with op.batch_alter_table("lineage_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lineage_run_parent_run_id"))
        batch_op.drop_index(batch_op.f("ix_lineage_run_job_id_created_at"))

    op.drop_table("lineage_run")
    with op.batch_alter_table("ol_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ol_event_run_id_event_time"))

    op.drop_table("ol_event")
    op.drop_table("job")
