"""The review workbench: ``mineaction review list|show|approve|reject``."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from mineaction.cli.app import app, console, context, said, say, state
from mineaction.messages import in_locale
from mineaction.services import review
from mineaction.services import summary as summaries

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
    table = Table(title=said("cli.review_title", count=len(found)))
    for c in ("cli.head_id", "cli.head_layer", "cli.head_records", "cli.head_submitted_by",
              "cli.head_organisation", "cli.head_submitted_at", "cli.head_status",
              "cli.head_decided_by"):
        table.add_column(said(c), justify="right" if c == "cli.head_records" else "left")
    for s in found:
        table.add_row(*[escape(str(v or "")) for v in (
            s.id, s.target_layer, s.record_count, s.submitted_by, s.submitter_org,
            s.submitted_at, status_said(s.status.value), s.decided_by)])
    console.print(table)


#: A submission's status as the screen says it.
STATUS = {"pending": "cli.submission_pending", "approved": "cli.submission_approved",
          "rejected": "cli.submission_rejected"}


def status_said(status: str) -> str:
    return said(STATUS[status]) if status in STATUS else status


@review_app.command()
def show(sub_id: str = typer.Argument(..., metavar="ID")) -> None:
    """What approving submission ID would change now: new records, updates of stored ones,
    land released per hazard and method, and every problem or conflict."""
    with context() as ctx:
        view = review.show(ctx, sub_id)
    s = view.submission
    p = console.print
    p(f"[bold]{escape(s.id)}[/]: " + escape(said(
        "cli.review_head", count=s.record_count, layer=s.target_layer,
        status=status_said(s.status.value))), highlight=False)
    origin = " ".join([s.origin.value, *([s.file_name] if s.file_name else [])]) + (
        f", sha256 {s.checksum}" if s.checksum else "")
    p("  " + escape(said("cli.review_submitted_for", who=s.submitted_by, org=s.submitter_org,
                         at=s.submitted_at, origin=origin) if s.submitter_org else
                    said("cli.review_submitted", who=s.submitted_by, at=s.submitted_at,
                         origin=origin)), highlight=False)
    if s.decided_by:
        p("  " + escape(said("cli.review_decided", status=status_said(s.status.value),
                             who=s.decided_by, at=s.decided_at, note=s.note or "")),
          highlight=False)
    p(escape(said("cli.review_new", count=len(view.new))
             + (f" ({', '.join(view.new[:20])}" + (" ...)" if len(view.new) > 20 else ")")
                if view.new else "")), highlight=False)
    for rid, version in view.updates:
        p(escape(said("cli.review_update", id=rid, version=version)), highlight=False)
    if view.released:
        t = Table(title=said("cli.review_released"))
        for c in ("cli.head_hazard", "cli.head_method", "cli.head_steps", "cli.head_area_m2"):
            t.add_column(said(c), justify="right" if c in ("cli.head_steps", "cli.head_area_m2")
                         else "left")
        for r in view.released:
            t.add_row(escape(r.hazard_id or said("cli.outside_hazards")),
                      summaries.term(r.method, state.locale), str(r.steps), f"{r.area_m2:,.1f}")
        console.print(t)
    warning, conflict, problem_ = (said("cli.warning"), said("cli.conflict"),
                                   said("cli.problem"))
    for w in view.warnings:
        p(f"[yellow]{escape(warning)}[/] {escape(in_locale(w, state.locale))}", highlight=False)
    for m in view.messages:
        p(escape(in_locale(m, state.locale)), highlight=False)
    for key, then, now in view.conflicts:
        p(f"[yellow]{escape(conflict)}[/] " + escape(
            said("cli.review_conflict_gone", key=key, then=then) if now is None else
            said("cli.review_conflict", key=key, then=then, now=now)), highlight=False)
    for problem in view.problems:
        p(f"[red]{escape(problem_)}[/] {escape(problem.line(state.locale))}", highlight=False)


@review_app.command()
def approve(sub_id: str = typer.Argument(..., metavar="ID"),
            note: str = typer.Option(None, "--note", metavar="TEXT",
                                     help="Why it is approved (recorded)")) -> None:
    """Approve submission ID: its records are written in one transaction (land release
    included) and the approval is recorded with who, when and why."""
    with context() as ctx:
        done = review.approve(ctx, sub_id, note)
    say("cli.approved", id=done.submission.id, written=done.written,
        updated=done.updated, layer=done.submission.target_layer)
    for m in done.messages:
        console.print(in_locale(m, state.locale), highlight=False, markup=False)


@review_app.command()
def reject(sub_id: str = typer.Argument(..., metavar="ID"),
           note: str = typer.Option(None, "--note", metavar="TEXT",
                                    help="Why it is rejected (required, recorded)")) -> None:
    """Reject submission ID: it is kept, with the reason, and nothing is written."""
    with context() as ctx:
        done = review.reject(ctx, sub_id, note or "")
    say("cli.rejected", id=done.submission.id)
