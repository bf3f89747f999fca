"""``mineaction serve``: the HTTP API (OGC API Features) over the store, under uvicorn."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from mineaction.cli.app import app, console, state


@app.command()
def serve(
    db: str = typer.Option(None, "--db", metavar="PATH_OR_URL",
                           help="Store to serve (default: the global --db)"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on"),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="Port to listen on"),
    risk_surface: Path = typer.Option(None, "--risk-surface", metavar="GEOTIFF",
                                      help="A risk surface (of 'risk surface') served as map "
                                           "tiles to signed-in users, never to the public"),
) -> None:
    """Serve the store: the public Observer (web pages in five languages, at /) and OGC API
    Features. The public sees the public views; a client
    with an API token (``Authorization: Bearer TOKEN``) sees what its user may read."""
    import uvicorn

    from mineaction.api import create_app
    from mineaction.services.context import Settings
    from mineaction.services.surface import describe_surface

    url = db or state.db
    if risk_surface is not None:
        describe_surface(risk_surface)  # a file GDAL reads, else refused before serving
    application = create_app(url, Settings(risk_surface=risk_surface))
    # one JSON line per request on stderr (method, path, status, duration, actor)
    requests = logging.getLogger("mineaction.api")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    requests.addHandler(handler)
    requests.setLevel(logging.INFO)
    requests.propagate = False
    console.print(f"serving {url} on http://{host}:{port}/ (the Observer in a browser, "
                  f"OGC API Features for programs; OpenAPI document at /api)", highlight=False)
    uvicorn.run(application, host=host, port=port, access_log=False, log_level="warning")
