"""Add API tokens.

Revision ID: d20ae0c243d7
Revises: 339450532e96
Create Date: 2026-11-27 05:29:46.773707
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d20ae0c243d7"
down_revision = "339450532e96"
branch_labels = None
depends_on = None

BIG_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Add the table of the server's API tokens (hashed)."""
    op.create_table(
        "api_token",
        sa.Column("id", BIG_INT, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", BIG_INT, nullable=False),
        sa.Column("expires_at", BIG_INT, nullable=True),
        sa.Column("revoked_at", BIG_INT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("key", name=op.f("uq_api_token_key")),
    )


def downgrade() -> None:
    """Drop the API tokens."""
    op.drop_table("api_token")
