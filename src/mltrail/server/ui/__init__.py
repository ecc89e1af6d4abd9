"""mltrail's web UI: one HTML page and its scripts, shipped in the package (no build step).

The page's scripts read mltrail's REST API (``/api/mltrail/v1``) from the browser; every page
has a URL of its own that holds its state (filters, sort, selection, node), so it can be shared.
``/static/ui/`` serves the assets: mltrail's modules and the vendored libraries, Apache ECharts
and Cytoscape.js, with their licences beside them. The page's Content-Security-Policy allows
scripts from the server only, and the scripts render every value as text, never as markup.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(files("mltrail.server.ui") / "static"))
"""The assets' folder inside the installed package."""
ASSETS_PATH = "/static/ui"
PAGE_PATHS = (
    "/",
    "/experiments/{rest:path}",
    "/runs/{rest:path}",
    "/models",
    "/models/{rest:path}",
    "/lineage",
    "/sign-in",
)
"""The UI's page URLs; each answers the same HTML page, whose scripts draw the page the URL names."""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""Scripts only from the server (no inline script runs); ECharts sets inline styles on its canvas."""

router = APIRouter(include_in_schema=False)


def _page() -> HTMLResponse:
    return HTMLResponse(
        (STATIC / "index.html").read_text(),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-cache",
        },
    )


for _path in PAGE_PATHS:
    router.add_api_route(_path, _page, methods=["GET"], response_class=HTMLResponse)


def install_ui(app: FastAPI) -> None:
    """Serve the UI's pages and assets."""
    app.include_router(router)
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC), name="ui-assets")


__all__ = ["ASSETS_PATH", "PAGE_PATHS", "install_ui"]
