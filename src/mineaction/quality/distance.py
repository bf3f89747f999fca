"""Distance from points (EORE sessions) to the nearest of a set of polygons (open hazards), in
metres on the WGS84 ellipsoid, and the bands a report groups them in.

Candidates are found in degrees with a spatial index, in a box wide enough to hold every
polygon closer than the widest band; the distance to each candidate is then measured in an
azimuthal equidistant projection centred on the point, in which distances from the centre are
geodesic distances. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import pyproj
import shapely
from shapely import STRtree, box
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

#: Band limits in metres: under 1 km, 1 to 5 km, over 5 km.
BANDS: tuple[tuple[str, float], ...] = (("under 1 km", 1000.0), ("1-5 km", 5000.0),
                                        ("over 5 km", math.inf))
NO_LOCATION = "no location"
NO_HAZARD = "no open hazard"
#: Metres per degree of latitude, at least (the smallest on the ellipsoid is 110,574 m).
_M_PER_DEG_LAT = 110_000.0


@lru_cache(maxsize=4096)
def _aeqd(lon: float, lat: float) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m")
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


class Nearest:
    """The polygons to measure to, indexed once."""

    def __init__(self, polygons: Sequence[BaseGeometry], reach_m: float = 5000.0):
        self.polygons = [p for p in polygons if p is not None and not p.is_empty]
        self.tree = STRtree(self.polygons)
        self.reach_m = reach_m

    def distance_m(self, point: Point) -> float:
        """Metres from ``point`` to the nearest polygon within the reach (0 inside one);
        infinity when none lies within the reach."""
        lon, lat = point.x, point.y
        dlat = 1.2 * self.reach_m / _M_PER_DEG_LAT
        dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.0))), 1e-6)
        found = self.tree.query(box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        if len(found) == 0:
            return math.inf
        tr = _aeqd(round(lon, 7), round(lat, 7))
        centre = Point(*tr.transform(lon, lat))
        best = math.inf
        for i in found:
            g = self.polygons[int(i)]
            if g.covers(point):
                return 0.0
            best = min(best, shapely.transform(g, tr.transform, interleaved=False).distance(centre))
        return best if best <= self.reach_m else math.inf

    def band(self, point: BaseGeometry | None) -> str:
        """The band of a point's distance to the nearest polygon."""
        return self.measure(point)[0]

    def measure(self, point: BaseGeometry | None) -> tuple[str, float | None]:
        """The band of a point's distance to the nearest polygon, and the distance in metres
        (None without a location or a polygon; infinity beyond the reach)."""
        if point is None or point.is_empty:
            return NO_LOCATION, None
        if not self.polygons:
            return NO_HAZARD, None
        p = point if isinstance(point, Point) else point.representative_point()
        d = self.distance_m(p)
        return next(name for name, limit in BANDS if d < limit or math.isinf(limit)), d
