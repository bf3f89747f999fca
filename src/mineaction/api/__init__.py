"""The HTTP API (OGC API Features) over a store: :func:`create_app`, served by
``mineaction serve``."""

from mineaction.api.app import create_app

__all__ = ["create_app"]
