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

from mineaction.cli.app import app, checked_output, console, context, plain, said, say, state
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
        for p in planning.fan_chart(res, paths, title=said("cli.fan_chart_title"),
                                    locale=state.locale):
            say("cli.wrote", path=p)
    elif paths:
        say("cli.no_fan_chart")


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


#: A published figure's check against the forecast, as the screen says it.
VERDICT = {"consistent": "cli.verdict_consistent", "not consistent": "cli.verdict_not_consistent",
           "cannot be computed": "cli.verdict_not_computable"}
BASIS = {"store forecast": "cli.basis_forecast", "published figures": "cli.basis_published"}


def _print_forecast(res: Any, years: int) -> None:
    if res.synthetic:
        banner = said("cli.synthetic_banner")
        console.print(f"[bold red]{escape(banner)}[/]")
    if not res.forecasts:
        say("cli.no_forecast")
    if res.history:
        say("cli.released_per_year", years=", ".join(
            f"{y}: {v / KM2:,.1f}" for y, v in sorted(res.history.items())))
    if res.forecasts:
        t = Table(title=said("cli.forecast_title"))
        t.add_column("")
        for fc in res.forecasts:
            t.add_column(escape(fc.scenario), justify="right")
        rows: list[list[str]] = [[said("cli.forecast_open")], [said("cli.forecast_completion")],
                                 [said("cli.forecast_within")], [said("cli.forecast_cost")]]
        first = res.forecasts[0].years[:years]
        for y in first:
            rows.append([said("cli.forecast_released", year=y)])
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
        note = said("cli.forecast_note")
        console.print(f"[dim]{escape(note)}[/]")
    if res.missing:
        missing = said("cli.forecast_missing", missing=", ".join(
            planning.missing_input(c, state.locale) for c in res.missing))
        console.print(f"[dim]{escape(missing)}[/]")
    if res.checks:
        t = Table(title=said("cli.targets_title"))
        for h in ("cli.head_figure", "cli.head_metric", "cli.head_value", "cli.head_country",
                  "cli.head_basis", "cli.head_verdict", "cli.head_why"):
            t.add_column(said(h))
        for c in res.checks:
            t.add_row(c.figure, c.metric, f"{c.value:,.6g} {c.unit}", c.country,
                      said(BASIS[c.basis]) if c.basis in BASIS else c.basis,
                      said(VERDICT[c.verdict]) if c.verdict in VERDICT else c.verdict,
                      escape(in_locale(c.why, state.locale)))
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
        say("cli.no_backtest", missing=in_locale(bt.missing, state.locale))
        return
    t = Table(title=said("cli.backtest_title"))
    for h in ("cli.head_cutoff", "cli.head_seed", "cli.head_year", "cli.head_actual", "P10",
              "P50", "P90", "cli.head_inside"):
        t.add_column(said(h) if h.startswith("cli.") else h, justify="right")
    yes, no = said("cli.yes"), said("cli.no")
    for p in bt.points:
        t.add_row(str(p.cutoff), str(p.seed), str(p.year), f"{p.actual / KM2:,.2f}",
                  f"{p.p10 / KM2:,.2f}", f"{p.p50 / KM2:,.2f}", f"{p.p90 / KM2:,.2f}",
                  yes if p.inside else no)
    console.print(t)
    say("cli.backtest_coverage", coverage=bt.coverage, count=len(bt.points),
       cutoffs=", ".join(map(str, bt.cutoffs)), seeds=", ".join(map(str, bt.seeds)))
    if mae is not None and bias is not None:
        say("cli.backtest_error", error=mae, bias=bias)
    for h, (n, cov) in bt.by_horizon().items():
        plain("  " + said("cli.backtest_ahead", ahead=h, coverage=cov, count=n))


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
    method = {"cancelled": "NTS", "reduced": "TS", "cleared": said("cli.method_clearance")}
    t = Table(title=said("cli.schedule_title", first=sch.months[0], last=sch.months[-1],
                         count=len(sch.tasks)))
    for h in ("cli.head_start", "cli.head_end", "cli.head_method", "cli.head_hazard",
              "cli.head_rank", "cli.head_district", "cli.head_team_days",
              "cli.head_expected_km2"):
        t.add_column(said(h), justify="right" if h in (
            "cli.head_rank", "cli.head_team_days", "cli.head_expected_km2") else "left")
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
    say("cli.schedule_by_year", years="; ".join(
        f"{y}: {v['cancelled'] / KM2:,.2f} / {v['reduced'] / KM2:,.2f} / "
        f"{v['cleared'] / KM2:,.2f}" for y, v in by_year.items()))
    say("cli.schedule_unscheduled", count=sch.unscheduled,
        month=sch.months[-1])
    for n in sch.notes:
        console.print(f"[dim]{escape(in_locale(n, state.locale))}[/]")
