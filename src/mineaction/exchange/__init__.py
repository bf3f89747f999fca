"""Exchange packages: what a data-sharing agreement grants an organisation, in a signed
GeoPackage that any GIS opens and that the recipient verifies and imports.

:mod:`.package` is the file: its tables, the canonical content each table's SHA-256 covers,
the manifest signed with Ed25519, and the check of all of it. Exporting (reading the store as
the recipient), verifying and importing are services (:mod:`mineaction.services.packages`).
See ``docs/exchange.md``.
"""

from mineaction.exchange.package import FORMAT, MANIFEST_TABLE, Checked, check, digest

__all__ = ["FORMAT", "MANIFEST_TABLE", "Checked", "check", "digest"]
