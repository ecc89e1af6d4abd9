"""Add artifacts, contexts and associations.

Revision ID: 339450532e96
Revises: 930916c80ce9
Create Date: 2026-11-27 02:38:59.363770
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "339450532e96"
down_revision = "930916c80ce9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the tables of SageMaker-style manual lineage."""
    op.create_table(
        "association",
        sa.Column("source", sa.String(length=2100), nullable=False),
        sa.Column("destination", sa.String(length=2100), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("source", "destination", name=op.f("pk_association")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_association_destination"), ["destination"], unique=False)

    op.create_table(
        "context",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_context")),
        sa.UniqueConstraint("name", name=op.f("uq_context_name")),
    )
    op.create_table(
        "artifact",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("source_uri", sa.Text(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dataset.id"], name=op.f("fk_artifact_dataset_id_dataset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact")),
    )
    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_artifact_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_artifact_dataset_id"), ["dataset_id"], unique=False)


def downgrade() -> None:
    """Drop the manual lineage tables."""
    with op.batch_alter_table("artifact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_artifact_dataset_id"))
        batch_op.drop_index(batch_op.f("ix_artifact_created_at"))

    op.drop_table("artifact")
    op.drop_table("context")
    with op.batch_alter_table("association", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_association_destination"))

    op.drop_table("association")
