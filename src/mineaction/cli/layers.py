"""Commands on layers: init, import, export, list, summary."""

from __future__ import annotations

import json
import math
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import (
    app,
    checked_output,
    console,
    err_console,
    opened,
    progress_bar,
    state,
    store_file,
)
from mineaction.domain.layers import ACCOUNT_LAYERS, all_layers, get_layer
from mineaction.errors import InvalidInput
from mineaction.io.load import check_importable, import_file, repair_summary
from mineaction.io.writers import (
    feature_collection,
    format_for,
    record_columns,
    spreadsheet_text,
    write_records,
)
from mineaction.store import Query, open_store

LAYER_HELP = "Layer: " + ", ".join(layer.name for layer in all_layers()
                                   if layer.name not in ACCOUNT_LAYERS)
PERSONAL_HELP = "Read personal data too (IM officers and administrators; with --reason)"
REASON_HELP = "Why personal data is read (recorded with the read)"


def _personal(personal: bool, reason: str | None) -> None:
    """--personal and --reason given after the command mean the same as before it."""
    state.personal = state.personal or personal
    state.reason = reason or state.reason


class ListFormat(StrEnum):
    table = "table"
    geojson = "geojson"
    csv = "csv"


class ExportFormat(StrEnum):
    geojson = "geojson"
    gpkg = "gpkg"
    csv = "csv"
    xlsx = "xlsx"


def _layer(name: str):  # type: ignore[no-untyped-def]
    try:
        return get_layer(name)
    except KeyError as exc:
        raise InvalidInput(str(exc.args[0])) from None


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput(f"--bbox must be minx,miny,maxx,maxy in degrees, got {text!r}"
                           ) from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise InvalidInput(f"--bbox {text!r}: every value must be a finite number")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90
            and -90 <= maxy <= 90):
        raise InvalidInput(f"--bbox {text!r}: longitudes lie in -180..180 and latitudes in "
                           "-90..90 (EPSG:4326)")
    if minx > maxx or miny > maxy:
        raise InvalidInput(f"--bbox {text!r}: min is greater than max")
    return minx, miny, maxx, maxy


@app.command()
def init() -> None:
    """Create the store (or migrate it to the current schema)."""
    store = open_store(state.db)
    said: list[tuple[int, str]] = []
    try:
        before = store.schema_version()
        applied = store.create(report=lambda version, message: said.append((version, message)))
    finally:
        store.close()
    if not applied:
        console.print(f"{state.db}: already at schema version {before}")
    elif before == 0:
        console.print(f"{state.db}: created (schema version {applied[-1]})")
    else:
        console.print(f"{state.db}: migrated from {before} to {applied[-1]}")
    for version, message in said:
        console.print(f"  schema migration {version}: {message}", highlight=False)


@app.command("import")
def import_(
    layer: str = typer.Argument(..., help=LAYER_HELP),
    file: Path = typer.Argument(..., help="GeoJSON, GeoPackage, zipped Shapefile, FlatGeobuf, "
                                "KML, CSV or XLSX"),
    crs: str = typer.Option(None, "--crs", help="CRS of the file's coordinates, e.g. EPSG:4284"),
    operation: str = typer.Option(None, "--operation",
                                  help="Coordinate operation to WGS84, e.g. EPSG:1808"),
    repair: bool = typer.Option(False, "--repair",
                                help="Repair invalid polygons (noted on each record)"),
    source_layer: str = typer.Option(None, "--source-layer", metavar="NAME",
                                     help="Layer (or sheet) to read from a file that holds "
                                     "several: a GeoPackage, a zip of Shapefiles, a KML"),
    encoding: str = typer.Option(None, "--encoding",
                                 help="Text encoding of a CSV or of a Shapefile without .cpg, "
                                 "e.g. cp1252, cp1251, utf-16"),
    allow_large: bool = typer.Option(False, "--allow-large-release",
                                     help="Accept activities larger than 100 km²"),
) -> None:
    """Import FILE into LAYER: every row is checked; any bad row and nothing is written.

    Release steps and hazard history are never imported (the land release engine writes
    them), and minefield records come in through ``mineaction records import``."""
    lyr = _layer(layer)
    check_importable(lyr.name)
    with opened() as store, progress_bar(f"importing {lyr.name}") as advance:
        result = import_file(store, lyr.name, file, crs=crs, operation=operation,
                             do_repair=repair, progress=advance,
                             on_total=advance.set_total, source_layer=source_layer,
                             encoding=encoding, allow_large=allow_large)
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}")
    crs_note = f" from {result.source_crs}" if result.source_crs else ""
    if result.operation:
        crs_note += f" via {result.operation}"
    console.print(f"imported {result.count} {lyr.name} record(s) from {file}{crs_note}")
    repaired = repair_summary(result.repairs)
    if repaired:
        console.print(repaired)
    for m in result.messages:
        console.print(m)


@app.command()
def export(
    layer: str = typer.Argument(..., help=LAYER_HELP),
    output: Path = typer.Option(..., "-o", "--output", help="File to write"),
    fmt: ExportFormat = typer.Option(None, "--format", help="Default: from the file name"),
    personal: bool = typer.Option(False, "--personal", help=PERSONAL_HELP),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help=REASON_HELP),
) -> None:
    """Export LAYER to a file (never onto the store itself nor over another mineaction
    store), as the actor may read it."""
    lyr = _layer(layer)
    _personal(personal, reason)
    checked_output(output)
    format_for(output, fmt.value if fmt else None)  # an unknown format fails before opening
    own = store_file()
    with opened() as store:
        n = write_records(lyr, store.iter(lyr), output, fmt.value if fmt else None,
                          protected=[own] if own is not None else [])
    console.print(f"wrote {n} {lyr.name} record(s) to {output}")


@app.command("list")
def list_(
    layer: str = typer.Argument(..., help=LAYER_HELP),
    bbox: str = typer.Option(None, "--bbox", help="minx,miny,maxx,maxy in degrees (EPSG:4326)"),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format"),
    limit: int = typer.Option(None, "--limit", min=0, help="At most this many records"),
    at: str = typer.Option(None, "--at", metavar="YYYY-MM-DD",
                           help="hazards only: each hazard as it stood on that date"),
    personal: bool = typer.Option(False, "--personal", help=PERSONAL_HELP),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help=REASON_HELP),
) -> None:
    """List the records of LAYER, as the actor may read them."""
    lyr = _layer(layer)
    _personal(personal, reason)
    box = parse_bbox(bbox)
    with opened() as store:
        if at is not None:
            if lyr.name != "hazards":
                raise InvalidInput("--at applies to hazards only")
            from mineaction.analysis.release import hazards_at

            records = [h for h in hazards_at(store, parse_date(at, "--at"))
                       if box is None or _in_box(h, box)][:limit]
        else:
            records = store.query(lyr, Query(bbox=box, limit=limit))
    emit_records(lyr, records, fmt)


def _in_box(record, box) -> bool:  # type: ignore[no-untyped-def]
    from shapely.geometry import box as make_box

    g = getattr(record, "geometry", None)
    return g is not None and not g.is_empty and g.intersects(make_box(*box))


def parse_date(text: str, option: str):  # type: ignore[no-untyped-def]
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} must be a date as YYYY-MM-DD, got {text!r}") from None


def emit_records(lyr, records, fmt: ListFormat) -> None:  # type: ignore[no-untyped-def]
    if fmt == ListFormat.geojson:
        json.dump(feature_collection(lyr, records), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return
    cols = record_columns(lyr, records)
    if fmt == ListFormat.csv:
        import csv

        writer = csv.writer(sys.stdout)
        names = list(cols) + (["wkt"] if lyr.spatial else [])
        writer.writerow(names)
        for i, r in enumerate(records):
            row = [spreadsheet_text(cols[c][i]) for c in cols]
            if lyr.spatial:
                g = getattr(r, "geometry", None)
                row.append("" if g is None else g.wkt)
            writer.writerow(row)
        return
    shown = [c for c in cols if c not in ("source", "notes", "attributes", "version", "src_crs",
                                          "crs_operation")]
    synthetic = any((r.source or "").startswith("synthetic") for r in records)
    table = Table(title=f"{lyr.title} ({len(records)})",
                  caption="SYNTHETIC DATA (demonstration records, not a real programme)"
                  if synthetic else None)
    for c in shown:
        table.add_column(c, justify="right" if c == "area_m2" else "left", overflow="fold")
    for i in range(len(records)):
        # Stored text is shown as it is, never read as console markup.
        table.add_row(*["" if cols[c][i] is None else escape(str(cols[c][i])) for c in shown])
    console.print(table)


@app.command()
def summary() -> None:
    """What the store holds: records per layer, hazard area by kind and status, finds."""
    from mineaction.analysis.summary import summarise

    with opened() as store:
        s = summarise(store)
    console.print(f"[bold]{state.db}[/]" + (" [yellow](synthetic data)[/]" if s.synthetic
                                            else ""))
    t = Table(title="Records per layer")
    t.add_column("layer")
    t.add_column("records", justify="right")
    for name, n in s.counts.items():
        t.add_row(name, f"{n:,}")
    console.print(t)
    h = Table(title="Hazardous area (m² on the WGS84 ellipsoid)")
    for c in ("kind", "status", "hazards", "area_m2"):
        h.add_column(c, justify="right" if c in ("hazards", "area_m2") else "left")
    for (kind, status), (n, area) in sorted(s.hazard_area.items()):
        h.add_row(kind, status, f"{n:,}", f"{area:,.0f}")
    console.print(h)
    r = Table(title="Land released, by method (never summed into 'cleared')")
    for c in ("method", "steps", "area_m2"):
        r.add_column(c, justify="left" if c == "method" else "right")
    for method, (n, area) in s.released.items():
        r.add_row(method, f"{n:,}", f"{area:,.0f}")
    console.print(r)
    f = Table(title="Explosive ordnance found, by category")
    f.add_column("category")
    f.add_column("items", justify="right")
    for cat, n in s.finds.items():
        f.add_row(cat, f"{n:,}")
    console.print(f)
