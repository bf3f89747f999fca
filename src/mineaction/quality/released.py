"""Items found in released land: which finds lie in land released before them (no I/O).

A find counts when its location lies in the polygon of a release step dated before the find,
of an activity other than the one that found it, and not rejected by a QC inspection: land a
failed inspection returned to a hazard is a hazard again, not released land (the inspection
that rejected it counts its own items). A find in land released more than once is attributed
once, to the first release (then by step id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import shapely
from shapely import STRtree

from mineaction.domain.ordnance import Find
from mineaction.domain.release import ReleaseStep


def attribute(finds: Sequence[Find], steps: Sequence[ReleaseStep]
              ) -> list[tuple[Find, ReleaseStep]]:
    """Each find lying in land released before it, with the release step that released the
    land first; rejected steps, steps without a date or polygon, and the finding activity's
    own steps are skipped. In the order of the finds given."""
    kept = [s for s in steps if s.rejected_by is None and s.released_on is not None
            and s.geometry is not None and not s.geometry.is_empty]
    if not kept:
        return []
    tree = STRtree([s.geometry for s in kept])
    for s in kept:
        shapely.prepare(s.geometry)
    out = []
    for f in finds:
        if f.geometry is None or f.geometry.is_empty or f.found_on is None:
            continue
        found_on: dt.date = f.found_on
        hits = [kept[int(i)] for i in tree.query(f.geometry, predicate="intersects")]
        hits = [s for s in hits if s.released_on is not None and s.released_on < found_on
                and s.activity_id != f.activity_id]
        if hits:
            out.append((f, min(hits, key=lambda s: (s.released_on, s.id))))
    return out
