"""The FastAPI application, built by a factory with no import-time side effects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mltrail.__about__ import __version__
from mltrail.config import Settings, resolve_settings
from mltrail.server.errors import install_error_handlers
from mltrail.server.group_commit import GroupCommit
from mltrail.server.paths import RawPathRouting
from mltrail.server.routers import api_router
from mltrail.server.ui import install_ui
from mltrail.store import Store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the server for the database ``settings.tracking_uri`` (by default, the resolved settings).

    The store is opened (and its schema migrated) when the app starts and closed when it stops,
    so that ``uvicorn --factory mltrail.server:create_app`` workers each hold their own.
    """
    resolved = settings or resolve_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = Store(resolved.tracking_uri)
        app.state.group_commit = GroupCommit(app.state.store)
        app.state.group_commit.start()
        try:
            yield
        finally:
            await app.state.group_commit.stop()
            app.state.store.close()

    app = FastAPI(
        title="mltrail",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/mltrail/v1/docs",
        redoc_url=None,
        openapi_url="/api/mltrail/v1/openapi.json",
    )
    app.state.settings = resolved
    app.add_middleware(RawPathRouting)
    install_error_handlers(app)
    app.include_router(api_router)
    install_ui(app)
    return app


__all__ = ["create_app"]
