"""Handover certificates: their canonical content, its SHA-256, and the coordinates they print.

The content is a JSON object; its canonical form is UTF-8 JSON with sorted keys, no spaces and
no escaping of non-ASCII text, and the certificate's checksum is the SHA-256 of that form. The
PDF carries the canonical form as an attachment, the checksum in its metadata (keywords) and
printed, so that a copy can be verified later: the attachment must hash to the checksum, and
the summary lines printed must be those of the content. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyproj
from shapely.geometry.base import BaseGeometry

#: Vertices within this distance (degrees, about 1 cm) of a straight line are no corners.
CORNER_TOLERANCE_DEG = 1e-7
ATTACHMENT = "certificate.json"
KEYWORD = "sha256="


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS 84 / UTM zone holding (lon, lat)."""
    zone = min(60, int((lon + 180.0) // 6.0) + 1)
    return (32600 if lat >= 0 else 32700) + zone


def corners(geom: BaseGeometry) -> list[list[list[float]]]:
    """The corners of each exterior ring of a polygon (lon, lat), without the closing repeat:
    vertices left after dropping those within about 1 cm of a straight line."""
    out = []
    polys = list(getattr(geom, "geoms", [geom]))
    for p in polys:
        ring = p.exterior.simplify(CORNER_TOLERANCE_DEG, preserve_topology=False)
        out.append([[round(x, 7), round(y, 7)] for x, y in list(ring.coords)[:-1]])
    return out


def utm_corners(rings: list[list[list[float]]], epsg: int) -> list[list[list[float]]]:
    """The same corners in the UTM zone ``epsg`` (easting, northing in metres, to the cm)."""
    tr = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
    return [[[round(v, 2) for v in tr.transform(x, y)] for x, y in ring] for ring in rings]


def summary_lines(content: dict[str, Any]) -> list[str]:
    """The lines a certificate prints from its content, one per fact, that verification
    finds again in a copy's text."""
    return [f"Certificate {content['number']}",
            f"Activity {content['activity']['id']}",
            f"Area released: {content['area_m2']:,.1f} m²"]
