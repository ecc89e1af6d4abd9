"""Create the tracking schema.

Revision ID: 8356e3afc4da
Revises:
Create Date: 2026-11-26 23:54:04.746532
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8356e3afc4da"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the experiments, trials, runs, params, tags, metrics and datasets tables."""
    op.create_table(
        "dataset",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("namespace", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=1500), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset")),
        sa.UniqueConstraint("namespace", "name", name=op.f("uq_dataset_namespace_name")),
    )
    op.create_table(
        "experiment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("is_archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment")),
        sa.UniqueConstraint("name", name=op.f("uq_experiment_name")),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("end_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("code", sa.JSON(), nullable=True),
        sa.Column("environment", sa.JSON(), nullable=True),
        sa.Column("artifact_uri", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiment.id"], name=op.f("fk_run_experiment_id_experiment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_experiment_id_start_time_id"),
            ["experiment_id", "start_time", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_run_experiment_id_status_start_time"),
            ["experiment_id", "status", "start_time"],
            unique=False,
        )

    op.create_table(
        "trial",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("start_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("end_time", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"], ["experiment.id"], name=op.f("fk_trial_experiment_id_experiment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial")),
        sa.UniqueConstraint("experiment_id", "name", name=op.f("uq_trial_experiment_id_name")),
    )
    with op.batch_alter_table("trial", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_experiment_id_start_time_id"),
            ["experiment_id", "start_time", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_trial_experiment_id_status_start_time"),
            ["experiment_id", "status", "start_time"],
            unique=False,
        )

    op.create_table(
        "metric_summary",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("finite_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("avg", sa.Float(), nullable=True),
        sa.Column("count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nonfinite_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_step", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_timestamp", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_summary")),
        sa.UniqueConstraint("run_id", "key", name=op.f("uq_metric_summary_run_id_key")),
    )
    with op.batch_alter_table("metric_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metric_summary_experiment_id_key_last"),
            ["experiment_id", "key", "last"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summary_experiment_id_key_max"),
            ["experiment_id", "key", "max"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_metric_summary_experiment_id_key_min"),
            ["experiment_id", "key", "min"],
            unique=False,
        )

    op.create_table(
        "run_dataset",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["dataset.id"], name=op.f("fk_run_dataset_dataset_id_dataset")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_run_dataset_run_id_run")),
        sa.PrimaryKeyConstraint("run_id", "dataset_id", "direction", name=op.f("pk_run_dataset")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("run_dataset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_dataset_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "run_param",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value_type", sa.String(length=8), nullable=False),
        sa.Column("num_value", sa.Float(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "key", name=op.f("pk_run_param")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("run_param", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_param_experiment_id_key_num_value"),
            ["experiment_id", "key", "num_value"],
            unique=False,
        )

    op.create_table(
        "run_tag",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "key", name=op.f("pk_run_tag")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "trial_component",
        sa.Column("trial_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name=op.f("fk_trial_component_run_id_run")),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"], name=op.f("fk_trial_component_trial_id_trial")),
        sa.PrimaryKeyConstraint("trial_id", "run_id", name=op.f("pk_trial_component")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("trial_component", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trial_component_run_id"), ["run_id"], unique=False)

    op.create_table(
        "trial_metric",
        sa.Column("trial_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last", sa.Float(), nullable=True),
        sa.Column("min", sa.Float(), nullable=True),
        sa.Column("max", sa.Float(), nullable=True),
        sa.Column("avg", sa.Float(), nullable=True),
        sa.Column("count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("nonfinite_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_step", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_timestamp", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("trial_id", "key", name=op.f("pk_trial_metric")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("trial_metric", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_metric_experiment_id_key_last"),
            ["experiment_id", "key", "last"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_trial_metric_experiment_id_key_max"), ["experiment_id", "key", "max"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_trial_metric_experiment_id_key_min"), ["experiment_id", "key", "min"], unique=False
        )

    op.create_table(
        "trial_param",
        sa.Column("trial_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value_type", sa.String(length=8), nullable=False),
        sa.Column("num_value", sa.Float(), nullable=True),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("trial_id", "key", name=op.f("pk_trial_param")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("trial_param", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trial_param_experiment_id_key_num_value"),
            ["experiment_id", "key", "num_value"],
            unique=False,
        )

    op.create_table(
        "trial_tag",
        sa.Column("trial_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("experiment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("trial_id", "key", name=op.f("pk_trial_tag")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "metric_chunk",
        sa.Column("series_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "first_seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("steps", sa.LargeBinary(), nullable=False),
        sa.Column("timestamps", sa.LargeBinary(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "first_seq", name=op.f("pk_metric_chunk")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    """Drop every table of the tracking schema."""
    op.drop_table("metric_chunk")
    op.drop_table("trial_tag")
    with op.batch_alter_table("trial_param", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_param_experiment_id_key_num_value"))

    op.drop_table("trial_param")
    with op.batch_alter_table("trial_metric", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_metric_experiment_id_key_min"))
        batch_op.drop_index(batch_op.f("ix_trial_metric_experiment_id_key_max"))
        batch_op.drop_index(batch_op.f("ix_trial_metric_experiment_id_key_last"))

    op.drop_table("trial_metric")
    with op.batch_alter_table("trial_component", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_component_run_id"))

    op.drop_table("trial_component")
    op.drop_table("run_tag")
    with op.batch_alter_table("run_param", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_param_experiment_id_key_num_value"))

    op.drop_table("run_param")
    with op.batch_alter_table("run_dataset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_dataset_dataset_id"))

    op.drop_table("run_dataset")
    with op.batch_alter_table("metric_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metric_summary_experiment_id_key_min"))
        batch_op.drop_index(batch_op.f("ix_metric_summary_experiment_id_key_max"))
        batch_op.drop_index(batch_op.f("ix_metric_summary_experiment_id_key_last"))

    op.drop_table("metric_summary")
    with op.batch_alter_table("trial", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_experiment_id_status_start_time"))
        batch_op.drop_index(batch_op.f("ix_trial_experiment_id_start_time_id"))

    op.drop_table("trial")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_experiment_id_status_start_time"))
        batch_op.drop_index(batch_op.f("ix_run_experiment_id_start_time_id"))

    op.drop_table("run")
    op.drop_table("experiment")
    op.drop_table("dataset")
