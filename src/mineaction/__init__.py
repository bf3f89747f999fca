"""mineaction: an open information system for humanitarian mine action."""

__version__ = "0.1.0"
