"""Planning commands: rank open hazards, schedule them, forecast completion and cost, and
backtest the forecast."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, checked_output, console, context, said, state
from mineaction.messages import in_locale
from mineaction.services import planning

plan_app = typer.Typer(no_args_is_help=True, help="Prioritise, schedule and forecast.")
app.add_typer(plan_app, name="plan")

KM2 = 1e6


class OutFormat(StrEnum):
    table = "table"
    json = "json"


def _q(values: list[Any], fmt: str = "{}") -> str:
    return " / ".join("-" if v is None else fmt.format(v) for v in values)


@plan_app.command("forecast")
def forecast(
    scenario: list[Path] = typer.Option(None, "--scenario", help="Scenario TOML file; "
                                        "repeat to compare scenarios side by side (the record "
                                        "as it is always comes first)"),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same forecast"),
    runs: int = typer.Option(None, "--runs", min=100, max=100_000,
                             help="Monte Carlo runs (default: the scenario's, 2000)"),
    figure: Path = typer.Option(None, "--figure", help="Fan chart: written as PNG and PDF "
                                "(FILE.png and FILE.pdf)"),
    years: int = typer.Option(10, "--years", min=1, max=80, help="Years shown per scenario"),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
) -> None:
    """Completion year and cost at P10/P50/P90, and land released per year, for the record
    and each scenario; published targets and estimates set beside them."""
    paths = []
    if figure:
        paths = [checked_output(figure.with_suffix(s)) for s in (".png", ".pdf")]
    scs = [planning.scenario(None)]
    for p in scenario or []:
        scs.append(planning.scenario(p.read_text(encoding="utf-8"), p.stem))
    with context() as ctx:
        res = planning.forecast(ctx, scs, seed=seed, runs=runs)
    if fmt == OutFormat.json:
        sys.stdout.write(json.dumps(_forecast_json(res, years), indent=1) + "\n")
    else:
        _print_forecast(res, years)
    if paths and res.forecasts:
        for p in planning.fan_chart(res, paths, title="Land released per year: record and "
                                    "forecast"):
            console.print(f"wrote {p}")
    elif paths:
        console.print("No fan chart: there is no forecast of the store's own record to draw.")


def _forecast_json(res: Any, years: int) -> dict[str, Any]:
    out: dict[str, Any] = {"history_km2": {y: v / KM2 for y, v in res.history.items()},
                           "missing": res.missing, "synthetic": res.synthetic,
                           "scenarios": [], "targets": []}
    for fc in res.forecasts:
        comp, share = fc.completion_quantiles()
        band = fc.band(fc.released)
        out["scenarios"].append({
            "name": fc.scenario, "seed": fc.seed, "runs": int(fc.released.shape[0]),
            "completion_year_p10_p50_p90": comp, "complete_within_horizon": share,
            "cost_usd_p10_p50_p90": fc.cost_quantiles(),
            "released_km2_p10_p50_p90": {y: [v / KM2 for v in band[y]]
                                         for y in fc.years[:years]},
            "open_km2_at_start": sum(fc.inputs.stock.values()) / KM2})
    out["targets"] = [c.__dict__ for c in res.checks]
    return out


def _print_forecast(res: Any, years: int) -> None:
    if res.synthetic:
        console.print("[bold red]SYNTHETIC DATA[/]")
    if not res.forecasts:
        console.print("No forecast: the store holds no land release history (activities and "
                      "release steps) to measure productivity, survey shares and capacity "
                      "from.")
    if res.history:
        console.print("Released per year (record, km²): " + ", ".join(
            f"{y}: {v / KM2:,.1f}" for y, v in sorted(res.history.items())))
    if res.forecasts:
        t = Table(title="Forecast by scenario (P10 / P50 / P90)")
        t.add_column("")
        for fc in res.forecasts:
            t.add_column(escape(fc.scenario), justify="right")
        rows: list[list[str]] = [["open land at the start, km²"], ["completion year"],
                                 ["runs complete within the horizon"], ["cost, million USD"]]
        first = res.forecasts[0].years[:years]
        for y in first:
            rows.append([f"released {y}, km²"])
        for fc in res.forecasts:
            comp, share = fc.completion_quantiles()
            band = fc.band(fc.released)
            rows[0].append(f"{sum(fc.inputs.stock.values()) / KM2:,.1f}")
            rows[1].append(_q(comp))
            rows[2].append(f"{share:.0%}")
            rows[3].append(_q([c / 1e6 for c in fc.cost_quantiles()], "{:,.1f}"))
            for k, y in enumerate(first):
                rows[4 + k].append(_q([v / KM2 for v in band[y]], "{:,.1f}"))
        for r in rows:
            t.add_row(*r)
        console.print(t)
        console.print("[dim]Completion: open land under 1% of the land open at the start. "
                      "Cost: team-days used x the scenario's cost per team-day (the record "
                      "holds no costs). Released land adds cancelled, reduced and cleared land "
                      "(per hazard).[/]")
    if res.missing:
        console.print("[dim]Not in the record (defaults used): " + ", ".join(res.missing)
                      + "[/]")
    if res.checks:
        t = Table(title="Published targets and estimates beside the forecast")
        for h in ("figure", "metric", "value", "country", "basis", "verdict", "why"):
            t.add_column(h)
        for c in res.checks:
            t.add_row(c.figure, c.metric, f"{c.value:,.6g} {c.unit}", c.country, c.basis,
                      c.verdict, escape(c.why))
        console.print(t)


@plan_app.command("backtest")
def backtest(
    seeds: str = typer.Option("0,1,2", "--seeds", help="Random seeds, comma-separated"),
    cutoffs: str = typer.Option(None, "--cutoffs", help="Cut-off years, comma-separated "
                                "(default: every complete year of the record but the last)"),
    runs: int = typer.Option(1000, "--runs", min=100, max=100_000),
    scenario: Path = typer.Option(None, "--scenario", help="Scenario TOML file"),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
) -> None:
    """Forecast from the record up to each cut-off and compare with what happened after."""
    from mineaction.errors import InvalidInput

    def numbers(option: str, text: str) -> list[int]:
        try:
            return [int(s) for s in text.split(",") if s.strip()]
        except ValueError:
            raise InvalidInput.of("planning.bad_list", option=option, value=text) from None

    seed_list = numbers("--seeds", seeds)
    cut = numbers("--cutoffs", cutoffs) if cutoffs else None
    text = scenario.read_text(encoding="utf-8") if scenario else None
    with context() as ctx:
        bt = planning.backtest(ctx, seeds=seed_list, cutoffs=cut, runs=runs,
                               scenario_text=text)
    mae, bias = bt.p50_error()
    if fmt == OutFormat.json:
        sys.stdout.write(json.dumps({
            "coverage_p10_p90": bt.coverage, "p50_median_abs_error": mae,
            "p50_median_error": bias, "cutoffs": bt.cutoffs, "seeds": bt.seeds,
            "missing": bt.missing, "by_horizon": bt.by_horizon(),
            "points": [{**p.__dict__, "inside": p.inside} for p in bt.points]}, indent=1)
            + "\n")
        return
    if bt.missing:
        console.print(f"No backtest: {bt.missing}.")
        return
    t = Table(title="Backtest: land released per year, km²")
    for h in ("cut-off", "seed", "year", "actual", "P10", "P50", "P90", "inside"):
        t.add_column(h, justify="right")
    for p in bt.points:
        t.add_row(str(p.cutoff), str(p.seed), str(p.year), f"{p.actual / KM2:,.2f}",
                  f"{p.p10 / KM2:,.2f}", f"{p.p50 / KM2:,.2f}", f"{p.p90 / KM2:,.2f}",
                  "yes" if p.inside else "no")
    console.print(t)
    console.print(f"coverage of P10-P90: {bt.coverage:.0%} of {len(bt.points)} points "
                  f"(cut-offs {', '.join(map(str, bt.cutoffs))}; seeds "
                  f"{', '.join(map(str, bt.seeds))})")
    if mae is not None and bias is not None:
        console.print(f"P50 error: median |P50 - actual| / actual {mae:.0%}, median signed "
                      f"{bias:+.0%}")
    for h, (n, cov) in bt.by_horizon().items():
        console.print(f"  {h} year(s) ahead: {cov:.0%} of {n}")


class RankFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@plan_app.command("rank")
def rank(
    weights: Path = typer.Option(None, "--weights", help="Criteria and weights (TOML); "
                                 "default: the shipped file (see --show-weights)"),
    places: Path = typer.Option(None, "--places", help="Settlements or returns planned: "
                                "points with a population column (any format import reads)"),
    places_layer: str = typer.Option(None, "--places-layer", help="Layer of --places"),
    population_field: str = typer.Option("population", "--population-field"),
    district: str = typer.Option(None, "--district", help="Only this district (name or id)"),
    limit: int = typer.Option(30, "--limit", min=0, help="Hazards shown (0: all)"),
    show_weights: bool = typer.Option(False, "--show-weights", help="Print the default "
                                      "weights file and stop"),
    fmt: RankFormat = typer.Option(RankFormat.table, "--format"),
) -> None:
    """Score and rank open hazards; each score shows each criterion's part of it."""
    from mineaction.io.readers import read_file

    if show_weights:
        sys.stdout.write(planning.default_weights())
        return
    text = weights.read_text(encoding="utf-8") if weights else None
    pts = None
    if places:
        pts = planning.places_from(read_file(places, places_layer).features, population_field)
    with context() as ctx:
        ranking = planning.rank(ctx, weights_text=text, places=pts)
    items = ranking.items
    if district:
        d = district.strip().lower()
        items = [r for r in items if r.district.lower() == d
                 or (r.hazard.admin_area_id or "").lower() == d]
    shown = items[:limit] if limit else items
    crit = [k for k, v in ranking.weights.items() if float(v.get("weight", 0))]
    if fmt == RankFormat.json:
        sys.stdout.write(json.dumps({"notes": ranking.notes, "weights": ranking.weights,
                                     "hazards": [_rank_json(r) for r in shown]}, indent=1,
                                    default=str) + "\n")
        return
    if fmt == RankFormat.csv:
        sys.stdout.write(planning.rank_csv(shown, crit))
        return
    t = Table(title=said("cli.rank_title", count=len(items)))
    for h in ("cli.head_rank", "cli.head_hazard", "cli.head_district", "cli.head_km2",
              "cli.head_score"):
        t.add_column(said(h), justify="left" if h in ("cli.head_hazard", "cli.head_district")
                     else "right")
    for k in crit:  # the criteria's headings as the ranked-tasks report says them
        t.add_column(planning.criterion_heading(k, state.locale), justify="right")
    for r in shown:
        t.add_row(str(r.rank), escape(r.hazard.id), escape(r.district),
                  f"{r.hazard.area_m2 / KM2:,.3f}", f"{r.score:.1f}",
                  *(f"{r.parts[k]:.1f}" for k in crit))
    console.print(t)
    for n in ranking.notes:
        console.print(f"[dim]{escape(in_locale(n, state.locale))}[/]")


def _rank_json(r: Any) -> dict[str, Any]:
    return {"rank": r.rank, "hazard": r.hazard.id, "district": r.district,
            "area_m2": r.hazard.area_m2, "score": r.score, "parts": r.parts,
            "values": r.values}


@plan_app.command("schedule")
def schedule(
    start: str = typer.Option(None, "--start", help="First month, YYYY-MM (default: the "
                              "month after the last release)"),
    months: int = typer.Option(36, "--months", min=1, max=600),
    weights: Path = typer.Option(None, "--weights", help="Criteria and weights (TOML)"),
    teams: str = typer.Option(None, "--team-days", help="Team-days a month per method, "
                              "e.g. nts=20,ts=60,clearance=150 (default: the record's)"),
    limit: int = typer.Option(40, "--limit", min=0, help="Tasks shown (0: all)"),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format"),
) -> None:
    """Which hazards are addressed when, by which method: NTS first, then TS, then clearance,
    in the ranking's order and within capacity."""
    import datetime as dt

    from mineaction.errors import InvalidInput

    first = None
    if start:
        try:
            first = dt.date.fromisoformat(start + "-01")
        except ValueError:
            raise InvalidInput.of("planning.bad_month", value=start) from None
    capacity = None
    if teams:
        names = {"nts": "cancelled", "ts": "reduced", "clearance": "cleared"}
        capacity = {m: 0.0 for m in names.values()}
        for part in teams.split(","):
            k, _, v = part.partition("=")
            try:
                capacity[names[k.strip()]] = float(v)
            except (KeyError, ValueError):
                raise InvalidInput.of("planning.bad_team_days", value=part) from None
    text = weights.read_text(encoding="utf-8") if weights else None
    with context() as ctx:
        if first is None:
            first = planning.next_month(ctx)
        sch = planning.schedule(ctx, start=first, months=months, weights_text=text,
                                capacity=capacity)
    shown = sch.tasks[:limit] if limit else sch.tasks
    if fmt == OutFormat.json:
        sys.stdout.write(json.dumps({
            "capacity_team_days_per_month": sch.capacity, "m2_per_team_day": sch.rates,
            "shares": {"cancelled_by_nts": sch.shares[0], "reduced_by_ts": sch.shares[1]},
            "released_m2_by_month": sch.released, "unscheduled_hazards": sch.unscheduled,
            "notes": sch.notes, "tasks": [t.__dict__ for t in shown]}, indent=1) + "\n")
        return
    method = {"cancelled": "NTS", "reduced": "TS", "cleared": "clearance"}
    t = Table(title=f"Schedule {sch.months[0]} to {sch.months[-1]} ({len(sch.tasks):,} tasks)")
    for h in ("start", "end", "method", "hazard", "rank", "district", "team-days",
              "expected km² released"):
        t.add_column(h, justify="right" if h in ("rank", "team-days",
                                                 "expected km² released") else "left")
    for task in shown:
        t.add_row(task.start, task.end, method[task.method], escape(task.hazard),
                  str(task.rank), escape(task.district), f"{task.team_days:,.0f}",
                  f"{task.area_m2 / KM2:,.3f}")
    console.print(t)
    by_year: dict[str, dict[str, float]] = {}
    for label, per in sch.released.items():
        y = by_year.setdefault(label[:4], dict.fromkeys(per, 0.0))
        for m, v in per.items():
            y[m] += v
    console.print("Expected release by year, km² (cancelled / reduced / cleared): " + "; ".join(
        f"{y}: {v['cancelled'] / KM2:,.2f} / {v['reduced'] / KM2:,.2f} / "
        f"{v['cleared'] / KM2:,.2f}" for y, v in by_year.items()))
    console.print(f"{sch.unscheduled:,} hazard(s) still have work left after "
                  f"{sch.months[-1]}.")
    for n in sch.notes:
        console.print(f"[dim]{escape(n)}[/]")
