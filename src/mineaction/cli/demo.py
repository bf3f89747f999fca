"""``mineaction demo``: build the synthetic demonstration scenario into the store."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, console, err_console, progress_bar, said, say, state
from mineaction.messages import in_locale
from mineaction.services import demo as demos


@app.command()
def demo(
    seed: int = typer.Option(1, "--seed", help="Seed of the scenario: same seed, same data"),
    scale: float = typer.Option(1.0, "--scale", help="Multiplies the number of contaminated "
                                "sites, hazards, accidents and capacity (1 = default scenario)"),
    truth: Path = typer.Option(None, "--truth", help="Ground truth GeoPackage (default: "
                               "STORE-truth.gpkg next to the store); never the store itself"),
    figure: Path = typer.Option(None, "--figure", help="Also draw a PNG map of the territory"),
    records_dir: Path = typer.Option(None, "--records-dir", help="Folder for the minefield "
                                     "records as JSON (default: records/ next to the store)"),
) -> None:
    """Build the synthetic demonstration scenario (a fictional territory at sea) into the store,
    its ground truth into a separate file, and the minefield records into a folder."""
    db = state.db
    with ExitStack() as stack:

        def bar(label: str, total: int | None) -> Callable[[int], None]:
            return stack.enter_context(progress_bar(in_locale(label, state.locale), total))

        summary, truth = demos.build(db, truth, seed=seed, scale=scale,
                                     records_dir=records_dir,
                                     report=lambda m: err_console.print(
                                         f"[dim]{escape(in_locale(m, state.locale))}[/]"),
                                     progress=bar)
    t = Table(said("cli.head_layer"), said("cli.head_records"),
              title=said("cli.demo_title", db=db, seed=seed, scale=scale))
    for layer, n in summary.store.items():
        t.add_row(layer, f"{n:,}")
    console.print(t)
    u = Table(said("cli.head_truth"), said("cli.head_value"),
              title=said("cli.demo_truth_title", path=truth))
    for key, value in summary.truth.items():
        u.add_row(key, f"{value:,}" if isinstance(value, int) else f"{value:,.2f}")
    console.print(u)
    v = Table(said("cli.head_land_km2"), said("cli.head_area_word"),
              title=said("cli.demo_areas_title"))
    for key, value in summary.areas_km2.items():
        value = value or 0.0  # never "-0.0"
        v.add_row(key.replace("_", " "), f"{value:,.1f}" if value >= 1 or not value
                  else f"{value:,.3f}")
    console.print(v)
    say("cli.demo_records_imported" if summary.records_imported else
        "cli.demo_records", count=summary.records, folder=summary.records_dir)
    if figure is not None:
        demos.draw(db, truth, figure, title=said("cli.map_seed", seed=seed, scale=scale),
                   locale=state.locale)
        say("cli.demo_map", path=figure)
    say("cli.demo_synthetic")
