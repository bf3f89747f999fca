"""The web interface: the public Observer (no sign-in), in English, Azerbaijani, Armenian,
Georgian and Russian, on the server of the HTTP API (:func:`mount`)."""

from mineaction.web.app import mount

__all__ = ["mount"]
