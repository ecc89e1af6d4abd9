"""Core ``Table`` handles of the ORM rows, for the bulk statements the store runs."""

from __future__ import annotations

from sqlalchemy import Table

from mltrail.store import models as _models  # noqa: F401  (registers the tables on Base.metadata)
from mltrail.store.base import Base

_tables = Base.metadata.tables

experiment: Table = _tables["experiment"]
trial: Table = _tables["trial"]
run: Table = _tables["run"]
trial_component: Table = _tables["trial_component"]
run_param: Table = _tables["run_param"]
trial_param: Table = _tables["trial_param"]
run_tag: Table = _tables["run_tag"]
trial_tag: Table = _tables["trial_tag"]
metric_summary: Table = _tables["metric_summary"]
trial_metric: Table = _tables["trial_metric"]
metric_chunk: Table = _tables["metric_chunk"]
dataset: Table = _tables["dataset"]
run_dataset: Table = _tables["run_dataset"]
ol_event: Table = _tables["ol_event"]
job: Table = _tables["job"]
lineage_run: Table = _tables["lineage_run"]
run_io: Table = _tables["run_io"]
artifact: Table = _tables["artifact"]
context: Table = _tables["context"]
association: Table = _tables["association"]
api_token: Table = _tables["api_token"]
namespace: Table = _tables["namespace"]
tag: Table = _tables["tag"]
dataset_tag: Table = _tables["dataset_tag"]
job_tag: Table = _tables["job_tag"]
hidden_dataset: Table = _tables["hidden_dataset"]
hidden_job: Table = _tables["hidden_job"]
model_group: Table = _tables["model_group"]
model_version: Table = _tables["model_version"]
model_approval: Table = _tables["model_approval"]
model_alias: Table = _tables["model_alias"]
