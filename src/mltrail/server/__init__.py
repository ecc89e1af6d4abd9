"""mltrail's HTTP server: OpenLineage ingest, a Marquez-compatible API and mltrail's own REST API.

Run it with ``mltrail server`` or ``uvicorn --factory mltrail.server:create_app``.
"""

from mltrail.server.app import create_app

__all__ = ["create_app"]
