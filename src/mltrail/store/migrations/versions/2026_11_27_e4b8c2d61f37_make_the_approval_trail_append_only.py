"""Make the approval audit trail append-only: the database refuses to change or delete its rows.

Revision ID: e4b8c2d61f37
Revises: a7d3e9c1b5f2
Create Date: 2026-11-27 10:55:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "e4b8c2d61f37"
down_revision = "a7d3e9c1b5f2"
branch_labels = None
depends_on = None

MESSAGE = "the model approval audit trail is append-only"


def upgrade() -> None:
    """Add triggers that abort any UPDATE or DELETE of ``model_approval``."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION model_approval_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        for action in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER model_approval_no_{action} BEFORE {action.upper()} ON model_approval "
                "FOR EACH ROW EXECUTE FUNCTION model_approval_append_only()"
            )
        return
    for action in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER model_approval_no_{action} BEFORE {action.upper()} ON model_approval "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    """Drop the triggers (and PostgreSQL's function)."""
    postgres = op.get_context().dialect.name == "postgresql"
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER model_approval_no_{action}" + (" ON model_approval" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION model_approval_append_only()")
