"""``mltrail serve ENDPOINT``: the local deployment target's model server (``/ping``, ``/invocations``)."""

from __future__ import annotations

import click

from mltrail.core.errors import ConfigError


@click.command()
@click.argument("endpoint")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port.")
def serve(endpoint: str, host: str, port: int) -> None:
    """Serve the model version deployed to ENDPOINT with the local target (mltrail.deploy.deploy)."""
    try:
        import uvicorn
    except ImportError as exc:
        raise ConfigError(
            "serving needs the 'server' extra: pip install 'mltrail[server]'", key="server"
        ) from exc
    from mltrail.deploy.serve import create_model_app

    uvicorn.run(create_model_app(endpoint), host=host, port=port, log_level="info")
