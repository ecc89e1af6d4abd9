"""Read commands given a server's URL print what they print for the database it serves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from live_server import live_server

Invoke = Callable[..., Result]

EXPERIMENT = "fraud-detection"
RUN_1 = "00000000-0000-0000-0000-000000000001"

READS = [
    ("experiments", "list", "--all", "--format", "json"),
    ("trials", "search", EXPERIMENT, "--filter", "params.learning_rate < 0.5", "--format", "csv"),
    ("runs", "search", EXPERIMENT, "--order-by", "metrics.val_auc DESC", "--format", "json"),
    ("runs", "show", RUN_1, "--format", "json"),
    ("lineage", "upstream", f"run:{RUN_1}", "--edges", "--format", "json"),
]


@pytest.mark.parametrize("command", READS, ids=lambda command: " ".join(command[:2]))
def test_reads_through_the_server_match_the_database(
    invoke: Invoke, seeded: str, command: tuple[str, ...]
) -> None:
    direct = invoke(*command)
    assert direct.exit_code == 0, direct.output
    with live_server(seeded) as url:
        served = invoke(*command, tracking_uri=url)
    assert served.exit_code == 0, served.output
    assert served.output == direct.output


def test_a_bad_filter_through_the_server_points_at_the_token(invoke: Invoke, seeded: str) -> None:
    with live_server(seeded) as url:
        result = invoke("trials", "search", EXPERIMENT, "--filter", "params.lr < AND", tracking_uri=url)
    assert result.exit_code != 0
    assert "params.lr < AND" in result.output and "^" in result.output
