"""Add the model registry: model groups, versions, the approval audit trail, aliases.

Revision ID: a7d3e9c1b5f2
Revises: 7c41e2b9a0d5
Create Date: 2026-11-27 09:28:37.718073
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7d3e9c1b5f2"
down_revision = "7c41e2b9a0d5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the model_group, model_version, model_approval and model_alias tables."""
    op.create_table(
        "model_group",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_group")),
        sa.UniqueConstraint("name", name=op.f("uq_model_group_name")),
    )
    op.create_table(
        "model_version",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_uri", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["model_group.id"], name=op.f("fk_model_version_group_id_model_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_version")),
        sa.UniqueConstraint("group_id", "version", name=op.f("uq_model_version_group_id_version")),
    )
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_version_run_id"), ["run_id"], unique=False)

    op.create_table(
        "model_alias",
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("alias", sa.String(length=256), nullable=False),
        sa.Column("version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["model_group.id"], name=op.f("fk_model_alias_group_id_model_group")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["model_version.id"], name=op.f("fk_model_alias_version_id_model_version")
        ),
        sa.PrimaryKeyConstraint("group_id", "alias", name=op.f("pk_model_alias")),
    )
    op.create_table(
        "model_approval",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["model_version.id"], name=op.f("fk_model_approval_version_id_model_version")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_approval")),
    )
    with op.batch_alter_table("model_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_approval_version_id_id"), ["version_id", "id"], unique=False
        )


def downgrade() -> None:
    """Drop the registry's tables."""
    with op.batch_alter_table("model_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_approval_version_id_id"))

    op.drop_table("model_approval")
    op.drop_table("model_alias")
    with op.batch_alter_table("model_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_version_run_id"))

    op.drop_table("model_version")
    op.drop_table("model_group")
