"""The review workbench: ``mineaction review list|show|approve|reject``."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, console, context, state
from mineaction.messages import in_locale
from mineaction.services import review

review_app = typer.Typer(no_args_is_help=True,
                         help="Submissions waiting for review: list, show, approve, reject.")
app.add_typer(review_app, name="review")


@review_app.command("list")
def list_(
    status: str = typer.Option(None, "--status", help="pending, approved or rejected"),
    layer: str = typer.Option(None, "--layer", help="Only submissions to this layer"),
) -> None:
    """The submissions you may see (an operator its own organisation's; an authority's IM
    officers and approvers their country's), oldest first."""
    with context() as ctx:
        found = review.list_submissions(ctx, status=review.parse_status(status), layer=layer)
    table = Table(title=f"Submissions ({len(found)})")
    for c in ("id", "layer", "records", "submitted by", "organisation", "submitted at",
              "status", "decided by"):
        table.add_column(c, justify="right" if c == "records" else "left")
    for s in found:
        table.add_row(*[escape(str(v or "")) for v in (
            s.id, s.target_layer, s.record_count, s.submitted_by, s.submitter_org,
            s.submitted_at, s.status.value, s.decided_by)])
    console.print(table)


@review_app.command()
def show(sub_id: str = typer.Argument(..., metavar="ID")) -> None:
    """What approving submission ID would change now: new records, updates of stored ones,
    land released per hazard and method, and every problem or conflict."""
    with context() as ctx:
        view = review.show(ctx, sub_id)
    s = view.submission
    p = console.print
    p(f"[bold]{escape(s.id)}[/]: {s.record_count} {escape(s.target_layer)} record(s), "
      f"{s.status.value}", highlight=False)
    p(f"  submitted by {escape(s.submitted_by)}"
      + (f" for {escape(s.submitter_org)}" if s.submitter_org else "")
      + f" at {s.submitted_at} ({s.origin.value}"
      + (f" {escape(s.file_name)}" if s.file_name else "")
      + (f", sha256 {s.checksum}" if s.checksum else "") + ")", highlight=False)
    if s.decided_by:
        p(f"  {s.status.value} by {escape(s.decided_by)} at {s.decided_at}: "
          f"{escape(s.note or '')}", highlight=False)
    p(f"new: {len(view.new)}" + (f" ({escape(', '.join(view.new[:20]))}"
                                  + (" ...)" if len(view.new) > 20 else ")")
                                  if view.new else ""), highlight=False)
    for rid, version in view.updates:
        p(f"update: {escape(rid)} (stored version {version})", highlight=False)
    if view.released:
        t = Table(title="Land that would be released (m² on the WGS84 ellipsoid)")
        for c in ("hazard", "method", "steps", "area_m2"):
            t.add_column(c, justify="right" if c in ("steps", "area_m2") else "left")
        for r in view.released:
            t.add_row(escape(r.hazard_id or "(outside any hazard)"), r.method, str(r.steps),
                      f"{r.area_m2:,.1f}")
        console.print(t)
    for w in view.warnings:
        p(f"[yellow]warning:[/] {escape(in_locale(w, state.locale))}", highlight=False)
    for m in view.messages:
        p(escape(m), highlight=False)
    for key, then, now in view.conflicts:
        p(f"[yellow]conflict:[/] {escape(key)} was version {then}, is "
          + ("gone" if now is None else f"version {now}") + " now", highlight=False)
    for problem in view.problems:
        p(f"[red]problem:[/] {escape(problem.line(state.locale))}", highlight=False)


@review_app.command()
def approve(sub_id: str = typer.Argument(..., metavar="ID"),
            note: str = typer.Option(None, "--note", metavar="TEXT",
                                     help="Why it is approved (recorded)")) -> None:
    """Approve submission ID: its records are written in one transaction (land release
    included) and the approval is recorded with who, when and why."""
    with context() as ctx:
        done = review.approve(ctx, sub_id, note)
    console.print(f"approved {done.submission.id}: {done.written} new and {done.updated} "
                  f"updated {done.submission.target_layer} record(s)", highlight=False)
    for m in done.messages:
        console.print(escape(m), highlight=False)


@review_app.command()
def reject(sub_id: str = typer.Argument(..., metavar="ID"),
           note: str = typer.Option(None, "--note", metavar="TEXT",
                                    help="Why it is rejected (required, recorded)")) -> None:
    """Reject submission ID: it is kept, with the reason, and nothing is written."""
    with context() as ctx:
        done = review.reject(ctx, sub_id, note or "")
    console.print(f"rejected {done.submission.id}", highlight=False)
