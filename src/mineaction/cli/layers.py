"""Commands on layers: init, import, export, list, summary."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import (
    app,
    checked_output,
    console,
    context,
    err_console,
    progress_bar,
    said,
    say,
    state,
    warn,
)
from mineaction.domain.layers import ACCOUNT_LAYERS, all_layers
from mineaction.domain.schema import INT64_MAX
from mineaction.errors import InvalidInput
from mineaction.io.readers import open_columnar, read_file
from mineaction.messages import in_locale, render
from mineaction.services import exports, imports, layers, review
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
    parquet = "parquet"


@app.command()
def init() -> None:
    """Create the store (or migrate it to the current schema)."""
    with context(require=False) as ctx:
        done = layers.init(ctx)
    if not done.applied:
        said_ = said("cli.init_current", db=state.db, version=done.before)
    elif done.before == 0:
        said_ = said("cli.init_created", db=state.db, version=done.applied[-1])
    else:
        said_ = said("cli.init_migrated", db=state.db, before=done.before,
                     version=done.applied[-1])
    console.print(said_, highlight=False, markup=False)
    for version, message in done.changes:
        console.print("  " + said("cli.init_migration", version=version, change=message),
                      highlight=False, markup=False)


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
    submit: bool = typer.Option(False, "--submit",
                                help="Stage the checked rows for review instead of writing "
                                "them (mineaction review ...)"),
    mapping: str = typer.Option(None, "--mapping", metavar="M",
                                help="Column mapping: a shipped one by name (geoboundaries, "
                                "cod-ab, colombia-aicma) or a TOML file (docs/mappings.md)"),
    sets: list[str] = typer.Option(None, "--set", metavar="FIELD=VALUE",
                                   help="A constant value of a field (repeatable)"),
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Check everything and say what would happen; write "
                                 "nothing"),
    problems_file: Path = typer.Option(None, "--problems", metavar="FILE",
                                       help="Write every problem to this CSV file"),
    rejects_file: Path = typer.Option(None, "--rejects", metavar="FILE",
                                      help="Import the good rows; write the bad ones, with "
                                      "their reason, to FILE"),
    retire_missing: bool = typer.Option(False, "--retire-missing",
                                        help="Retire stored records of the same source that "
                                        "the file no longer holds"),
    source: str = typer.Option(None, "--source", metavar="TEXT",
                               help="What the file is (recorded with the import)"),
) -> None:
    """Import FILE into LAYER: every row is checked; any bad row and nothing is written
    (unless --rejects). Records already stored (by the layer's natural key) are reconciled:
    new ones added, changed ones given a new version, unchanged ones counted, missing ones
    reported.

    Release steps and hazard history are never imported (the land release engine writes
    them), and minefield records come in through ``mineaction records import``. With
    --submit the rows wait for an approver (``mineaction review``)."""
    lyr = imports.importable(layer)
    m = imports.mapping_for(lyr.name, mapping, sets)
    for target in (problems_file, rejects_file):
        if target is not None:
            checked_output(target)
    options = imports.intake_.Options(
        crs=crs, operation=operation, repair=repair, allow_large=allow_large,
        dry_run=dry_run, partial=rejects_file is not None, retire_missing=retire_missing,
        description=source)
    with context() as ctx:
        if not submit and m is None:
            # a fresh import of a large file goes column by column; None: row by row
            cf = open_columnar(file, source_layer, encoding=encoding)
            if cf is not None:
                with progress_bar(said("cli.progress_importing", layer=lyr.name)) as advance:
                    bulk = imports.intake_columnar(ctx, lyr.name, cf, options=options,
                                                   progress=advance)
                if bulk is not None:
                    show_outcome(bulk, str(file), problems_file, ctx.locale)
                    return
        src = read_file(file, layer=source_layer,
                        encoding=encoding or (m.encoding if m else None))
        if submit:
            if m is not None or dry_run or rejects_file is not None or retire_missing:
                raise InvalidInput.of("cli.submit_alone")
            sub = review.submit(ctx, lyr.name, src, crs=crs, operation=operation,
                                repair=repair, allow_large=allow_large,
                                checksum=review.checksum(file.read_bytes()))
            say("cli.submitted", count=sub.record_count, layer=lyr.name,
                file=file, id=sub.id)
            for w in review.warnings_of(sub):
                warn(w)
            return
        with progress_bar(said("cli.progress_importing", layer=lyr.name)) as advance:
            try:
                result = imports.intake(ctx, lyr.name, src, m, options=options,
                                        progress=advance)
            except InvalidInput as exc:
                found = getattr(exc, "outcome", None)
                if found is not None:
                    _unmapped_out(found, ctx.locale)
                _problems_out(exc.problems, problems_file, ctx.locale)
                raise
    show_outcome(result, str(file), problems_file, ctx.locale)
    if rejects_file is not None and result.rejects and not result.dry_run:
        n = imports.write_rejects(result, src, rejects_file, ctx.locale)
        console.print(render("cli.wrote_rejects", {"count": n, "path": rejects_file},
                             ctx.locale), markup=False)
    if result.problems and (result.dry_run or rejects_file is None):
        raise typer.Exit(2)


def _unmapped_out(result: imports.Outcome, locale: str) -> None:
    from mineaction.domain.layers import get_layer

    # in a layer of people an unknown column is taken to be personal (load.split_personal)
    kept = ("cli.import_column_kept_personal" if get_layer(result.layer).private_companion
            else "cli.import_column_kept")
    for column in result.uncovered:
        console.print(render(kept, {"column": column}, locale), highlight=False, markup=False)
    if result.unmapped:
        console.print(render("cli.import_values_unmapped", {}, locale), markup=False)
        for (fname, column, value), n in sorted(result.unmapped.items()):
            console.print(f"  {fname}, {column}, {value!r}: {n:,}", highlight=False)


def _problems_out(problems: list, path: Path | None, locale: str) -> None:
    if path is not None:
        n = imports.write_problems(problems, path, locale)
        err_console.print(render("cli.wrote_problems", {"count": n, "path": path}, locale),
                          markup=False)
    if len(problems) > 10:
        err_console.print(render("cli.problems_by_reason", {}, locale), markup=False)
        for group in imports.problems_by_reason(problems):
            err_console.print(f"  {group.count:>7,}  {escape(group.code)}", highlight=False)
            for example in group.examples:
                err_console.print("             " + render(
                    "cli.for_example", {"problem": example.line(locale)}, locale),
                    highlight=False, markup=False)


def show_outcome(result: imports.Outcome, file: str, problems_file: Path | None,
                 locale: str) -> None:
    """What an import did (or would do, in a dry run), for the screen, in ``locale``."""
    def say(code: str, **params: Any) -> str:
        return render(code, params, locale)

    for w in result.warnings:
        warn(w)
    counts = " ".join([
        say("cli.import_counts", added=result.added, changed=result.changed,
            unchanged=result.unchanged, missing=result.missing)
        + (" " + say("cli.import_retired", retired=result.retired) if result.retired else "")
        + ("; " + say("cli.import_rejected", rejected=result.rejected)
           if result.rejected else ""),
        say("cli.import_of_rows", rows=result.rows)])
    if result.dry_run:
        console.print(say("cli.import_dry_run", file=file, counts=counts), highlight=False,
                      markup=False)
    else:
        said = {"count": result.count, "layer": result.layer, "file": file}
        if result.source_crs and result.operation:
            line = say("cli.imported_crs_operation", **said, crs=result.source_crs,
                       operation=result.operation)
        elif result.source_crs:
            line = say("cli.imported_crs", **said, crs=result.source_crs)
        else:
            line = say("cli.imported", **said)
        console.print(line, highlight=False, markup=False)
        console.print(say("cli.import_recorded", counts=counts, import_id=result.import_id,
                          sha256=result.sha256[:12]), highlight=False, markup=False)
    if result.first_date:
        console.print(say("cli.import_dates", first=result.first_date, last=result.last_date),
                      highlight=False, markup=False)
    for method, area in sorted(result.released.items()):
        console.print(say("cli.import_released", method=method, area=area), markup=False)
    _unmapped_out(result, locale)
    if result.missing_ids and not result.retired:
        shown = ", ".join(result.missing_ids[:10])
        more = len(result.missing_ids) - 10
        console.print(say("cli.import_missing_more", shown=shown, more=more) if more > 0
                      else say("cli.import_missing", shown=shown), highlight=False,
                      markup=False)
    repaired = imports.repair_summary(result.repairs)
    if repaired:
        console.print(in_locale(repaired, locale), highlight=False, markup=False)
    for msg in result.messages:
        console.print(in_locale(msg, locale), highlight=False, markup=False)
    if result.problems:
        err_console.print(say("cli.problem_count", count=len(result.problems)),
                          markup=False)
        _problems_out(result.problems, problems_file, locale)
        if len(result.problems) <= 10:
            for p in result.problems:
                err_console.print(f"  {escape(p.line(locale))}", highlight=False)


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
    say("cli.exported", count=n, layer=lyr.name, path=output)


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
    synthetic = said("cli.synthetic_data")
    console.print(f"[bold]{escape(str(state.db))}[/]"
                  + (f" [yellow]{synthetic}[/]" if s.synthetic else ""))
    t = Table(title=said("cli.summary_layers"))
    t.add_column(said("cli.head_layer"))
    t.add_column(said("cli.head_records"), justify="right")
    for name, n in s.counts.items():
        t.add_row(name, f"{n:,}")  # a layer's name is what commands take: never translated
    console.print(t)
    h = Table(title=said("cli.summary_hazard_area"))
    for c in ("cli.head_kind", "cli.head_status", "cli.head_hazards", "cli.head_area_m2"):
        h.add_column(said(c), justify="left" if c in ("cli.head_kind", "cli.head_status")
                     else "right")
    for (kind, status), (n, area) in sorted(s.hazard_area.items()):
        h.add_row(summaries.term(kind, state.locale), summaries.term(status, state.locale),
                  f"{n:,}", f"{area:,.0f}")
    console.print(h)
    r = Table(title=said("cli.summary_released"))
    for c in ("cli.head_method", "cli.head_steps", "cli.head_area_m2"):
        r.add_column(said(c), justify="left" if c == "cli.head_method" else "right")
    for method, (n, area) in s.released.items():
        r.add_row(summaries.term(method, state.locale), f"{n:,}", f"{area:,.0f}")
    console.print(r)
    f = Table(title=said("cli.summary_finds"))
    f.add_column(said("cli.head_category"))
    f.add_column(said("cli.head_items"), justify="right")
    for cat, n in s.finds.items():
        f.add_row(summaries.term(cat, state.locale), f"{n:,}")
    console.print(f)
