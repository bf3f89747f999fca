"""Quality management of released land: sampling plans for post-clearance inspection (no I/O;
see :mod:`mineaction.services.quality` for the reads and writes)."""
