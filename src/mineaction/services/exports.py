"""Records of a layer as the actor may see them, in a file format: a file, GeoJSON, CSV text,
or the columns of a table on a screen."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mineaction.domain.layers import Layer
from mineaction.domain.schema import Record
from mineaction.io.writers import (
    check_target,
    feature_collection,
    format_for,
    record_columns,
    spreadsheet_text,
    write_records,
)
from mineaction.services.context import Context, protected
from mineaction.services.imports import layer as layer_of

#: Columns a table on a screen leaves out (long, or for machines).
HIDDEN_ON_SCREEN = ("source", "notes", "attributes", "version", "src_crs", "crs_operation")


def check(name: str, path: Path, fmt: str | None, protect: list[Path]) -> Layer:
    """The layer to export if ``path`` may be written (format known, not a store, folder
    there), InvalidInput otherwise: checked before any store is opened."""
    lyr = layer_of(name)
    check_target(path, protected=protect)
    format_for(path, fmt)
    return lyr


def export(ctx: Context, name: str, path: Path, fmt: str | None = None) -> int:
    """Write every record of layer ``name`` the actor may see to ``path`` (format ``fmt``, else
    from the suffix); never onto the store itself nor over another mineaction store. Returns
    how many records were written."""
    lyr = layer_of(name)
    format_for(path, fmt)  # an unknown format fails before the store is read
    return write_records(lyr, ctx.reader.iter(lyr), path, fmt,
                         protected=protected(ctx.store.url))


def geojson(layer: Layer, records: Sequence[Record], *,
            geometry: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The records as a GeoJSON FeatureCollection (coordinates exactly as stored, or as
    ``geometry`` maps them: another coordinate system)."""
    return feature_collection(layer, records, geometry=geometry)


def csv_text(layer: Layer, records: Sequence[Record]) -> str:
    """The records as CSV text, geometry as WKT in a last ``wkt`` column; no cell a
    spreadsheet would read as a formula."""
    cols = record_columns(layer, records)
    out = io.StringIO()
    # the csv module's own line ending (\r\n): a value holding \r or \n is then quoted
    writer = csv.writer(out)
    writer.writerow(list(cols) + (["wkt"] if layer.spatial else []))
    for i, r in enumerate(records):
        row = [spreadsheet_text(cols[c][i]) for c in cols]
        if layer.spatial:
            g = getattr(r, "geometry", None)
            row.append("" if g is None else g.wkt)
        writer.writerow(row)
    return out.getvalue()


@dataclass
class Grid:
    """Records as a table for a screen: a title, the columns shown, text cells."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    synthetic: bool  # every figure of synthetic data must say so
    numeric: frozenset[str] = frozenset({"area_m2"})


def grid(layer: Layer, records: Sequence[Record]) -> Grid:
    cols = record_columns(layer, records)
    shown = [c for c in cols if c not in HIDDEN_ON_SCREEN]
    rows = [["" if cols[c][i] is None else str(cols[c][i]) for c in shown]
            for i in range(len(records))]
    synthetic = any((r.source or "").startswith("synthetic") for r in records)
    return Grid(f"{layer.title} ({len(records)})", shown, rows, synthetic)

