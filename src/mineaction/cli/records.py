"""Commands on minefield records: import, georef, assess, show, withdraw."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
import textwrap
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, checked_output, console, err_console, opened
from mineaction.domain.minefield_records import MinefieldRecord, StoredMinefieldRecord
from mineaction.errors import InvalidInput, NotFound, Problem
from mineaction.geo.measure import area_m2

records_app = typer.Typer(no_args_is_help=True,
                          help="Minefield records: import, georeference, assess reliability.")
app.add_typer(records_app, name="records")


class AssessFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


#: Largest --tolerance: a find farther than this from a mine is no evidence about it.
MAX_TOLERANCE_M = 100.0

CSV_FIELDS = ("record_id", "status", "expected_mines", "matched_finds", "finds_in_field",
              "explained_share", "expected_on_covered_ground", "found_share_on_covered_ground",
              "shift_east_m", "shift_north_m", "rotation_deg", "scale", "residual_rms_m",
              "interpretation", "transformation")


@records_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="JSON files, each one record or an array"),
    transformation: str = typer.Option(
        None, "--transformation",
        help="Datum transformation to WGS84 for records that name none, e.g. EPSG:1808"),
) -> None:
    """Import minefield records; any invalid record and nothing is written (exit 2)."""
    from mineaction.records.storage import import_records, read_files

    records = read_files(files)
    with opened() as store:
        stored, notes = import_records(store, records, transformation=transformation)
    for note in notes:
        err_console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    console.print(f"imported {len(stored)} minefield record(s): "
                  + ", ".join(r.id for r in stored), highlight=False, markup=False)


def _rows(store: Any, ids: list[str] | None, what: str = "assessed"
          ) -> list[tuple[StoredMinefieldRecord, MinefieldRecord]]:
    """The records to work on; withdrawn ones are skipped with a note on stderr."""
    from mineaction.records.assess import stored_records

    withdrawn: list[StoredMinefieldRecord] = []
    try:
        rows = list(stored_records(store, ids, withdrawn=withdrawn))
    except NotFound as exc:
        raise InvalidInput(str(exc)) from None
    except InvalidInput as exc:
        # A stored record that no longer reads (it came in before records were checked).
        exc.problems.append(Problem.of("hint", None, "records.withdraw_hint"))
        raise InvalidInput(exc.problems, source=exc.source) from None
    if withdrawn:
        err_console.print(f"{len(withdrawn)} withdrawn record(s) not {what}: "
                          + ", ".join(r.id for r in withdrawn), highlight=False, markup=False)
    return rows


@records_app.command("georef")
def georef_cmd(
    ids: list[str] = typer.Option(None, "--id", help="Record id (repeat for several; all "
                                                     "when absent)"),
    transformation: str = typer.Option(
        None, "--transformation",
        help="Datum transformation to WGS84 (EPSG:1808 or part of its name); default: the "
             "record's own, else the best-ranked for its area, with a warning"),
    geojson: Path = typer.Option(None, "--geojson",
                                 help="Also write perimeters, rows and expected mines here"),
) -> None:
    """Georeference stored records again (perimeter, rows, expected mines) and save them."""
    from mineaction.records.storage import regeoreference

    if geojson:
        checked_output(geojson)
    features: list[dict[str, Any]] = []
    table = Table("record", "crs", "transformation", "area m²", "rows", "mines", "warnings")
    with opened() as store:
        pairs = _rows(store, ids, "georeferenced")
        with store.transaction() as tx:
            for row, rec in pairs:
                _, g = regeoreference(tx, row, rec, transformation)
                features.extend(g.to_geojson()["features"])
                table.add_row(rec.record_id, escape(g.src_crs),
                              escape(g.operation or "(none: WGS84)"),
                              f"{area_m2(g.perimeter):,.0f}", str(len(g.rows)),
                              str(len(g.mines)), escape("\n".join(g.warnings)))
    console.print(table)
    if geojson:
        geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                           encoding="utf-8")
        console.print(f"wrote {geojson}")


@records_app.command("assess")
def assess_cmd(
    ids: list[str] = typer.Option(None, "--id", help="Record id (repeat; all when absent)"),
    fmt: AssessFormat = typer.Option(AssessFormat.table, "--format"),
    transformation: str = typer.Option(None, "--transformation",
                                       help="Datum transformation for the records as written"),
    datum_transformation: str = typer.Option(
        None, "--sk42-transformation",
        help="Transformation used to test 'SK-42 read as WGS84' (default: best-ranked)"),
    tolerance: float = typer.Option(3.0, "--tolerance", min=0.1, max=MAX_TOLERANCE_M,
                                    help="Metres within which a find matches a mine"),
    save: bool = typer.Option(True, "--save/--no-save",
                              help="Write the status and assessment onto each record"),
) -> None:
    """Measure each record's reliability against the finds and the covered ground (withdrawn
    records are skipped)."""
    from mineaction.io.writers import spreadsheet_text
    from mineaction.records.assess import (
        AssessOptions,
        aggregate,
        assess_stored,
        save_assessment,
    )

    opts = AssessOptions(tolerance_m=tolerance, datum_transformation=datum_transformation)
    results = []
    with opened() as store:
        pairs = _rows(store, ids)
        assessed = [(row, assess_stored(store, row, rec, opts, transformation=transformation))
                    for row, rec in pairs]
        if save:
            with store.transaction() as tx:
                for row, a in assessed:
                    save_assessment(tx, row, a, dt.date.today())
        results = [a for _, a in assessed]
    summary = aggregate(results)
    if fmt == AssessFormat.json:
        out = {"records": [a.to_dict() for a in results], "aggregate": summary}
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == AssessFormat.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        for a in results:
            w.writerow({k: spreadsheet_text(v) for k, v in a.to_dict().items()})
        return
    table = Table("record", "status", "mines", "matched", "shift E/N m", "rotation °",
                  "RMS m", "interpretation")
    for a in results:
        d = a.to_dict()
        table.add_row(a.record_id, a.status, str(a.expected_mines), str(a.matched_finds),
                      f"{d['shift_east_m']:+.1f} / {d['shift_north_m']:+.1f}",
                      f"{d['rotation_deg']:+.2f}",
                      "" if d["residual_rms_m"] is None else f"{d['residual_rms_m']:.2f}",
                      escape(a.interpretation))
    console.print(table)
    shares = ", ".join(f"{s} {c} ({(summary['share'][s] or 0):.0%})"
                       for s, c in summary["counts"].items())
    console.print(f"{summary['records']} record(s): {shares}", highlight=False)
    if summary["reliable_share_of_judged"] is not None:
        console.print(f"reliable as written: {summary['reliable_share_of_judged']:.0%} of the "
                      f"records that could be judged; usable (reliable or correctable): "
                      f"{summary['usable_share_of_judged']:.0%}. {summary['comparison']}",
                      highlight=False)


@records_app.command("show")
def show_cmd(
    record_id: str = typer.Argument(..., help="Record id"),
    figure: Path = typer.Option(None, "--figure", help="Draw the record and the finds (PNG)"),
    transformation: str = typer.Option(None, "--transformation"),
    tolerance: float = typer.Option(3.0, "--tolerance", min=0.1, max=MAX_TOLERANCE_M),
) -> None:
    """Show one record: what it says, its latest assessment, and optionally a figure. A
    withdrawn record is shown with the date and reason, and is not assessed."""
    from mineaction.records.assess import AssessOptions, assess_record, evidence_near, search_bbox
    from mineaction.records.georef import georeference

    if figure:
        checked_output(figure)
        if figure.suffix.lower() not in FIGURE_SUFFIXES:
            raise InvalidInput.of("cli.figure_suffix", path=figure,
                                  suffixes=", ".join(FIGURE_SUFFIXES))
    opts = AssessOptions(tolerance_m=tolerance)
    with opened() as store:
        try:
            stored = store.get(StoredMinefieldRecord, record_id)
        except NotFound as exc:
            raise InvalidInput(str(exc)) from None
        if stored.withdrawn_on is not None:
            _show_withdrawn(stored, figure)
            return
        ((row, rec),) = _rows(store, [record_id])
        g = georeference(rec, transformation, warn=False)
        xy, fids, covered = evidence_near(store, search_bbox(g, opts.search_m))
    a = assess_record(rec, xy, fids, covered, opts, transformation=transformation)
    console.print(f"[bold]{escape(rec.record_id)}[/] from {escape(rec.provider)}"
                  + (f", received {rec.received_on}" if rec.received_on else "")
                  + (f", laid {rec.laid_on}" if rec.laid_on else ""), highlight=False)
    console.print(f"  document: {escape(rec.document or '-')}; source: "
                  f"{escape(rec.source or '-')}", highlight=False)
    console.print(f"  CRS {escape(g.src_crs)} to WGS84 by {escape(g.operation or '(none)')}; "
                  "bearings "
                  f"{rec.bearings.reference} in {rec.bearings.unit}"
                  + (f", declination {rec.bearings.declination_deg:+g}°"
                     if rec.bearings.declination_deg is not None else ""), highlight=False)
    console.print(f"  {len(rec.rows)} row(s), {rec.expected_mines} mine(s), perimeter "
                  f"{area_m2(g.perimeter):,.0f} m²", highlight=False)
    if row.assessment_status:
        console.print(f"  stored assessment ({row.assessed_on}): {row.assessment_status}",
                      highlight=False)
    console.print(f"  now: [bold]{a.status}[/], {a.matched_finds} of {a.expected_mines} "
                  f"matched; interpretation: {escape(a.interpretation)}", highlight=False)
    for line in a.evidence:
        console.print(f"    - {escape(line)}", highlight=False)
    for w in g.warnings:
        err_console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    if figure:
        draw(a, xy, covered, figure)
        console.print(f"wrote {figure}")


FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def _show_withdrawn(row: StoredMinefieldRecord, figure: Path | None) -> None:
    console.print(f"[bold]{escape(row.id)}[/] from {escape(row.provider)}: [bold]withdrawn[/] "
                  f"on {row.withdrawn_on}: {escape(row.withdrawal_reason or '')}",
                  highlight=False)
    console.print(f"  document: {escape(row.document or '-')}; source: "
                  f"{escape(row.source or '-')}", highlight=False)
    if row.assessment_status:
        console.print(f"  last assessment before it was withdrawn ({row.assessed_on}): "
                      f"{row.assessment_status}", highlight=False)
    console.print("  kept as received; no longer georeferenced or assessed", highlight=False)
    if figure:
        err_console.print(f"[yellow]warning:[/] no figure drawn: record {escape(row.id)} is "
                          "withdrawn", highlight=False)


@records_app.command("withdraw")
def withdraw_cmd(
    record_id: str = typer.Argument(..., help="Record id"),
    reason: str = typer.Option(..., "--reason", help="Why the record is withdrawn (kept with "
                               "the record)"),
) -> None:
    """Withdraw a record: it is kept as received, with today's date and the reason, and is no
    longer georeferenced or assessed (nor counted in the shares of reliable records)."""
    from mineaction.records.storage import withdraw

    with opened() as store:
        row = withdraw(store, record_id, reason)
    console.print(f"withdrew minefield record {row.id} on {row.withdrawn_on}: "
                  f"{row.withdrawal_reason}", highlight=False, markup=False)


def draw(a: Any, finds_lonlat: Any, covered: Any, path: Path) -> None:
    """Expected mines as recorded and corrected, found mines, covered ground (metres)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch
    from matplotlib.patches import Polygon as MplPolygon

    from mineaction.geo.traverse import LocalFrame

    g0 = a.recorded
    frame = LocalFrame(*g0.reference)

    def local(lonlat: Any) -> Any:
        arr = np.asarray(lonlat, float).reshape(-1, 2)
        return frame.to_local(arr[:, 0], arr[:, 1]) if len(arr) else arr

    def polygons(geom: Any) -> list[Any]:
        if geom is None or geom.is_empty:
            return []
        return [p for p in getattr(geom, "geoms", [geom]) if p.geom_type == "Polygon"]

    fig, ax = plt.subplots(figsize=(11, 7), dpi=110)
    for p in polygons(covered):
        ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True,
                                facecolor="#cfe8cf", edgecolor="#6aa56a", lw=0.8, zorder=1))
    for p in polygons(g0.perimeter):
        ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True, fill=False,
                                edgecolor="#555555", lw=1.2, ls="--", zorder=2))
    e0 = local(g0.mine_lonlat)
    if len(e0):
        ax.scatter(e0[:, 0], e0[:, 1], marker="x", s=18, c="#777777", lw=0.9, zorder=3,
                   label="expected mine, as recorded")
    if a.corrected is not None:
        for p in polygons(a.corrected.perimeter):
            ax.add_patch(MplPolygon(local(np.asarray(p.exterior.coords)), closed=True,
                                    fill=False, edgecolor="#1f5fbf", lw=1.6, zorder=4))
        ec = local(a.corrected_mines)
        ax.scatter(ec[:, 0], ec[:, 1], marker="o", s=30, facecolors="none",
                   edgecolors="#1f5fbf", lw=1.0, zorder=5,
                   label="expected mine, corrected (proposed)")
    f = local(finds_lonlat)
    if len(f):
        matched = {fid for _, fid, _ in a.matches}
        is_matched = np.array([i in matched for i in a.find_ids], bool)
        ax.scatter(f[~is_matched, 0], f[~is_matched, 1], s=14, c="#e07b00", zorder=6,
                   label="find (AP/AV), not matched")
        if is_matched.any():
            ax.scatter(f[is_matched, 0], f[is_matched, 1], s=14, c="#b00020", zorder=6,
                       label="find matched to the record")
    ax.scatter([0], [0], marker="^", s=90, c="black", zorder=7,
               label="reference point, as recorded")
    if a.corrected is not None:
        rc = local(np.array([a.corrected.reference]))
        ax.scatter(rc[:, 0], rc[:, 1], marker="^", s=90, facecolors="none",
                   edgecolors="#1f5fbf", lw=1.4, zorder=7, label="reference point, corrected")
    # Frame the record (as recorded and corrected) and the reference point, not every find.
    frame_pts = [np.zeros((1, 2)), e0]
    if a.corrected is not None:
        frame_pts.append(local(a.corrected_mines))
        frame_pts.append(local(np.array([a.corrected.reference])))
    for p in polygons(g0.perimeter):
        frame_pts.append(local(np.asarray(p.exterior.coords)))
    pts = np.vstack([x for x in frame_pts if len(x)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = max(30.0, 0.12 * float((hi - lo).max()))
    lo, hi = lo - pad, hi + pad
    if len(f):
        outside = int((~((f >= lo) & (f <= hi)).all(axis=1)).sum())
        if outside:
            ax.scatter([], [], s=0, label=f"({outside} more finds outside this view)")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    handles, labels = ax.get_legend_handles_labels()
    handles += [Patch(facecolor="#cfe8cf", edgecolor="#6aa56a"),
                Patch(fill=False, edgecolor="#555555", ls="--")]
    labels += ["cleared or surveyed ground", "perimeter as recorded"]
    if a.corrected is not None:
        handles.append(Patch(fill=False, edgecolor="#1f5fbf", lw=1.6))
        labels.append("perimeter corrected (proposed)")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              frameon=False)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("metres east of the reference point")
    ax.set_ylabel("metres north of the reference point")
    ax.grid(True, lw=0.3, alpha=0.6)
    rms = "-" if a.residual_rms_m is None else f"{a.residual_rms_m:.1f} m"
    title = (f"{a.record_id}: {a.status}, {a.matched_finds} of {a.expected_mines} expected "
             f"mines matched, RMS {rms}")
    sub = "\n".join(textwrap.wrap(f"interpretation: {a.interpretation}", 100))
    ax.set_title(f"{title}\n{sub}", fontsize=9, loc="left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
