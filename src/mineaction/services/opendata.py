"""Open data: every table the public may read, as CSV with HXL hashtags (the Humanitarian
Exchange Language: a row of hashtags under the header, read by libhxl and HDX), and every
layer also as GeoJSON and GeoPackage; each with its licence and date.

Layers are read as the context's actor (the public: public fields, generalised geometries,
no computed area for generalised ones); report tables are those of the public reports
(counts of people suppressed: '<5' for fewer than the threshold, 'x' for a count hidden so
that a small one cannot be worked out)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mineaction.domain.layers import Layer, export_area_column
from mineaction.errors import NotFound
from mineaction.reports.model import Column, Report, Table
from mineaction.services import features
from mineaction.services.context import Context

#: The licence of the open data: name and address.
LICENCE = ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/")
#: Layers not offered as open data (records about the data's own handling).
NOT_OFFERED = frozenset({"imports"})


@dataclass(frozen=True)
class Offer:
    """One downloadable table: a layer (``layer`` set) or a report's table."""

    name: str  # as in the address: a layer name, or REPORT--TABLE
    title: str
    formats: tuple[str, ...]
    layer: str | None = None


def layers(ctx: Context) -> list[Layer]:
    """The layers the actor reads and that are offered."""
    return [lyr for lyr in features.collections(ctx) if lyr.name not in NOT_OFFERED]


def offers(ctx: Context, reports: list[Report]) -> list[Offer]:
    """Every table there is to download: the layers, then the tables of ``reports``."""
    out = [Offer(lyr.name, lyr.title, ("csv", "geojson", "gpkg") if lyr.spatial else ("csv",),
                 lyr.name) for lyr in layers(ctx)]
    for rep in reports:
        for t in rep.tables:
            if not t.withheld:
                out.append(Offer(f"{rep.name}--{t.name}", t.title, ("csv",)))
    return out


def layer_of(ctx: Context, name: str) -> Layer:
    for lyr in layers(ctx):
        if lyr.name == name:
            return lyr
    raise NotFound.of("api.no_collection", id=name)


def hashtag(name: str, kind: str = "") -> str:
    """The HXL hashtag of a column: a core hashtag where one fits (#country, #adm2, #date,
    #affected, #geo), else #indicator (numbers) or #meta, with the column's name as an
    attribute."""
    attr = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "value"
    if not attr[0].isalpha():
        attr = "v" + attr
    if name == "id":
        return "#meta+id"
    if name == "country":
        return "#country+code"
    if name == "admin_area_id":
        return "#adm2+code"
    if name in ("district",):
        return "#adm2+name"
    if name == "wkt":
        return "#geo+wkt"
    if name in ("killed", "injured"):
        return f"#affected+{attr}"
    if name == "total" and kind == "people":
        return "#affected+total"
    if kind == "date" or name.endswith("_on") or name in ("year", "as_of") \
            or name.startswith("period_"):
        return f"#date+{attr}"
    if name == "version":
        return "#meta+version"
    if kind in ("integer", "real", "number", "people") or name.endswith(("_m2", "_km2")):
        return f"#indicator+{attr}+num"
    return f"#meta+{attr}"


def _csv(header: list[str], tags: list[str], rows: list[list[Any]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerow(tags)
    w.writerows(rows)
    return out.getvalue()


def _records(ctx: Context, lyr: Layer) -> list[Any]:
    return list(ctx.reader.iter(lyr))


def layer_csv(ctx: Context, name: str) -> str:
    """The layer's records as CSV: header, HXL hashtags, rows (geometry as WKT)."""
    from mineaction.io.writers import record_columns, spreadsheet_text

    lyr = layer_of(ctx, name)
    recs = _records(ctx, lyr)
    cols = record_columns(lyr, recs)
    if ctx.reader.generalises(lyr):
        cols.pop(export_area_column(lyr) or "", None)
    kinds = {s.name: s.kind for s in lyr.fields}
    header = list(cols) + (["wkt"] if lyr.spatial else [])
    tags = [hashtag(c, kinds.get(c, "real" if c.endswith("m2") else "")) for c in header]
    rows = []
    for i, r in enumerate(recs):
        row = [spreadsheet_text(cols[c][i]) for c in cols]
        if lyr.spatial:
            g = getattr(r, "geometry", None)
            row.append("" if g is None else g.wkt)
        rows.append(row)
    return _csv(header, tags, rows)


def layer_geojson(ctx: Context, name: str) -> dict[str, Any]:
    """The layer's records as GeoJSON, with the licence and the date as members."""
    from mineaction.io.writers import feature_collection

    lyr = layer_of(ctx, name)
    recs = _records(ctx, lyr)
    fc = feature_collection(lyr, recs)
    area = export_area_column(lyr)
    if area and ctx.reader.generalises(lyr):
        for f in fc["features"]:
            f["properties"].pop(area, None)
    fc.update({"name": lyr.name, "title": lyr.title, "license": LICENCE[1],
               "licence": LICENCE[0], "date": ctx.today().isoformat()})
    return fc


def layer_gpkg(ctx: Context, name: str) -> bytes:
    """The layer's records as a GeoPackage whose metadata names the licence and the date."""
    from mineaction.io.writers import write_records

    lyr = layer_of(ctx, name)
    recs = _records(ctx, lyr)
    with tempfile.TemporaryDirectory(prefix="mineaction-open-") as folder:
        path = Path(folder) / f"{lyr.name}.gpkg"
        write_records(lyr, recs, path, "gpkg", computed_area=not ctx.reader.generalises(lyr),
                      metadata={"LICENCE": f"{LICENCE[0]} {LICENCE[1]}",
                                "DATE": ctx.today().isoformat(), "TITLE": lyr.title})
        return path.read_bytes()


def _shown(cell: Any, col: Column) -> Any:
    if cell.suppressed:
        return cell.mark
    v = cell.value
    if isinstance(v, float) and col.numeric:
        return round(v, max(col.decimals, 3) if col.unit in ("km²",) else col.decimals)
    return v


def table_csv(report: Report, table: str) -> str:
    """A table of a public report as CSV with HXL hashtags (suppressed counts as '<5' or
    'x')."""
    t: Table = report.table(table)
    header = [c.name for c in t.columns]
    tags = [hashtag(c.name, "people" if c.unit == "people" else "number") if c.numeric
            else hashtag(c.name) for c in t.columns]
    rows = [[_shown(r[c.name], c) for c in t.columns] for r in t.all_rows()]
    return _csv(header, tags, rows)


def geojson_text(fc: dict[str, Any]) -> str:
    return json.dumps(fc, ensure_ascii=False)

