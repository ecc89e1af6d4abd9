"""The ``mltrail`` command line: the root group, its global options and the ``main`` entry point."""

from __future__ import annotations

from typing import Any

import click

from mltrail.__about__ import __version__
from mltrail.cli._context import CliState
from mltrail.cli.db import db
from mltrail.cli.experiments import experiments
from mltrail.cli.lineage import lineage
from mltrail.cli.models import models
from mltrail.cli.runs import runs
from mltrail.cli.serve import serve
from mltrail.cli.server import server
from mltrail.cli.spool import spool
from mltrail.cli.tokens import tokens
from mltrail.cli.trials import trials
from mltrail.core.errors import ConfigError, ConflictError, MltrailError, NotFoundError, ValidationError

TRACKING_URI_ENV = "MLTRAIL_TRACKING_URI"
EXIT_INTERRUPTED = 130


def exit_code_for(error: MltrailError) -> int:
    """Return the exit code for an error: 2 for bad input (as Click uses for usage errors), else 1."""
    is_bad_input = isinstance(error, (ValidationError, NotFoundError, ConfigError, ConflictError))
    return 2 if is_bad_input else 1


class RootGroup(click.Group):
    """The ``mltrail`` group; the one place where ``MltrailError`` becomes a message and exit code.

    Each command or group lives in its own module and is registered below. Commands parse their
    options, call the store and render; they let ``MltrailError`` propagate. Catching it here,
    rather than around ``main()``, means ``CliRunner`` tests exercise the same path as the
    console script.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command, reporting mltrail errors and Ctrl-C instead of a traceback."""
        try:
            return super().invoke(ctx)
        except MltrailError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(exit_code_for(error))
        except KeyboardInterrupt:
            click.echo(err=True)  # close the terminal's ^C echo
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mltrail", message="%(prog)s %(version)s")
@click.option(
    "--tracking-uri",
    envvar=TRACKING_URI_ENV,
    metavar="URL",
    help=(
        "Database of the tracking store, e.g. sqlite:///mltrail.db or postgresql+psycopg://host/db "
        f"(else from mltrail.yml, else sqlite:///.mltrail/mltrail.db). [env var: {TRACKING_URI_ENV}]"
    ),
)
@click.pass_context
def mltrail(ctx: click.Context, tracking_uri: str | None) -> None:
    """Inspect experiments, trials and runs tracked by mltrail."""
    from_env = ctx.get_parameter_source("tracking_uri") is click.core.ParameterSource.ENVIRONMENT
    # A value from the environment is left to resolve_settings, so its errors name the env var.
    ctx.obj = CliState(tracking_uri=None if from_env else tracking_uri)


mltrail.add_command(db)
mltrail.add_command(experiments)
mltrail.add_command(trials)
mltrail.add_command(runs)
mltrail.add_command(lineage)
mltrail.add_command(spool)
mltrail.add_command(server)
mltrail.add_command(serve)
mltrail.add_command(tokens)
mltrail.add_command(models)


def main() -> None:
    """Run the ``mltrail`` command line (the console script); exits with the command's code."""
    mltrail.main(prog_name="mltrail")


__all__ = ["RootGroup", "exit_code_for", "main", "mltrail"]
