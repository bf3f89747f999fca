"""Commands on layers: init, import, export, list, summary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import (
    app,
    console,
    context,
    err_console,
    progress_bar,
    state,
)
from mineaction.domain.layers import ACCOUNT_LAYERS, all_layers
from mineaction.domain.schema import INT64_MAX
from mineaction.io.readers import read_file
from mineaction.services import exports, imports, layers
from mineaction.services import summary as summaries
from mineaction.services.context import protected

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


@app.command()
def init() -> None:
    """Create the store (or migrate it to the current schema)."""
    with context(require=False) as ctx:
        done = layers.init(ctx)
    if not done.applied:
        console.print(f"{state.db}: already at schema version {done.before}")
    elif done.before == 0:
        console.print(f"{state.db}: created (schema version {done.applied[-1]})")
    else:
        console.print(f"{state.db}: migrated from {done.before} to {done.applied[-1]}")
    for version, message in done.changes:
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
    lyr = imports.importable(layer)
    with context() as ctx:
        src = read_file(file, layer=source_layer, encoding=encoding)
        with progress_bar(f"importing {lyr.name}") as advance:
            result = imports.import_source(ctx, lyr.name, src, crs=crs, operation=operation,
                                           repair=repair, allow_large=allow_large,
                                           progress=advance, on_total=advance.set_total)
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}")
    crs_note = f" from {result.source_crs}" if result.source_crs else ""
    if result.operation:
        crs_note += f" via {result.operation}"
    console.print(f"imported {result.count} {lyr.name} record(s) from {file}{crs_note}")
    repaired = imports.repair_summary(result.repairs)
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
    _personal(personal, reason)
    lyr = exports.check(layer, output, fmt.value if fmt else None, protected(state.db))
    with context() as ctx:
        n = exports.export(ctx, lyr.name, output, fmt.value if fmt else None)
    console.print(f"wrote {n} {lyr.name} record(s) to {output}")


@app.command("list")
def list_(
    layer: str = typer.Argument(..., help=LAYER_HELP),
    bbox: str = typer.Option(None, "--bbox", help="minx,miny,maxx,maxy in degrees (EPSG:4326)"),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format"),
    limit: int = typer.Option(None, "--limit", min=0, max=INT64_MAX,
                              help="At most this many records"),
    at: str = typer.Option(None, "--at", metavar="YYYY-MM-DD",
                           help="hazards only: each hazard as it stood on that date"),
    personal: bool = typer.Option(False, "--personal", help=PERSONAL_HELP),
    reason: str = typer.Option(None, "--reason", metavar="TEXT", help=REASON_HELP),
) -> None:
    """List the records of LAYER, as the actor may read them."""
    _personal(personal, reason)
    imports.layer(layer)
    box = layers.parse_bbox(bbox)
    with context() as ctx:
        found = layers.list_records(ctx, layer, bbox=box, limit=limit,
                                    at=layers.parse_date(at, "--at"))
    if fmt == ListFormat.geojson:
        json.dump(exports.geojson(found.layer, found.records), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    elif fmt == ListFormat.csv:
        sys.stdout.write(exports.csv_text(found.layer, found.records))
    else:
        grid = exports.grid(found.layer, found.records)
        table = Table(title=grid.title,
                      caption="SYNTHETIC DATA (demonstration records, not a real programme)"
                      if grid.synthetic else None)
        for c in grid.columns:
            table.add_column(c, justify="right" if c in grid.numeric else "left",
                             overflow="fold")
        for row in grid.rows:
            # Stored text is shown as it is, never read as console markup.
            table.add_row(*[escape(v) for v in row])
        console.print(table)


@app.command()
def summary() -> None:
    """What the store holds: records per layer, hazard area by kind and status, finds."""
    with context() as ctx:
        s = summaries.summary(ctx)
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
    r = Table(title="Land released, by method (never summed into 'cleared'; "
                    "land released by two steps counted once)")
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
