"""The land release engine and the reading of its history.

:mod:`mineaction.release.engine` writes: it applies activities to hazards, keeping every step
(and the demonstration's release plan follows its releases with the same engine, in memory).
:mod:`mineaction.release.queries` only reads: hazards as of a date, one hazard's timeline,
released area, overlaps.
"""
