"""Add Marquez's curation: namespace owners, tags on datasets, fields and jobs, soft deletes.

Revision ID: 7c41e2b9a0d5
Revises: 5b1f0c9e7a21
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7c41e2b9a0d5"
down_revision = "5b1f0c9e7a21"
branch_labels = None
depends_on = None

BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the namespace, tag, dataset_tag, job_tag, hidden_dataset and hidden_job tables."""
    op.create_table(
        "namespace",
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("owner_name", sa.String(length=256), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", BIG_INT, nullable=False),
        sa.Column("updated_at", BIG_INT, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_namespace")),
    )
    op.create_table(
        "tag",
        sa.Column("id", BIG_INT, nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", BIG_INT, nullable=False),
        sa.Column("updated_at", BIG_INT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_name")),
    )
    op.create_table(
        "dataset_tag",
        sa.Column("dataset_id", BIG_INT, nullable=False),
        sa.Column("field", sa.String(length=256), nullable=False),
        sa.Column("tag_id", BIG_INT, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_dataset_tag_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_dataset_tag_tag_id_tag")),
        sa.PrimaryKeyConstraint("dataset_id", "field", "tag_id", name=op.f("pk_dataset_tag")),
    )
    op.create_table(
        "job_tag",
        sa.Column("job_id", BIG_INT, nullable=False),
        sa.Column("tag_id", BIG_INT, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_job_tag_job_id_job")),
        sa.ForeignKeyConstraint(["tag_id"], ["tag.id"], name=op.f("fk_job_tag_tag_id_tag")),
        sa.PrimaryKeyConstraint("job_id", "tag_id", name=op.f("pk_job_tag")),
    )
    op.create_table(
        "hidden_dataset",
        sa.Column("dataset_id", BIG_INT, nullable=False),
        sa.Column("hidden_at", BIG_INT, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_hidden_dataset_dataset_id_dataset")
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_hidden_dataset")),
    )
    op.create_table(
        "hidden_job",
        sa.Column("job_id", BIG_INT, nullable=False),
        sa.Column("hidden_at", BIG_INT, nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_hidden_job_job_id_job")),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_hidden_job")),
    )


def downgrade() -> None:
    """Drop Marquez's curation tables."""
    for table in ("hidden_job", "hidden_dataset", "job_tag", "dataset_tag", "tag", "namespace"):
        op.drop_table(table)
