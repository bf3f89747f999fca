"""``mineaction package``: export, verify and import signed exchange packages."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from mineaction.audit.checkpoint import load_private, load_public
from mineaction.cli.app import app, checked_output, context, err_console, plain, said, say, state
from mineaction.services import packages as svc

package_app = typer.Typer(no_args_is_help=True, help="Exchange packages: what data-sharing "
                          "agreements grant an organisation, in a signed GeoPackage.")
app.add_typer(package_app, name="package")


@package_app.command("export")
def export(
    to: str = typer.Option(..., "--to", metavar="ORG", help="Organisation the package is for"),
    layer: list[str] = typer.Option(None, "--layer", metavar="LAYER",
                                    help="Only this shared layer (repeatable; default: every "
                                         "layer an active agreement shares)"),
    key: Path = typer.Option(..., "--key", metavar="PRIVATE.pem",
                             help="Ed25519 private key that signs the manifest "
                                  "('mineaction audit keygen -o FILE' makes one)"),
    out: Path = typer.Option(..., "-o", "--out", metavar="FILE.gpkg", help="Package to write"),
) -> None:
    """Write what the active agreements grant ORG, read as ORG reads it (exact, generalised,
    snapped or counts only), with a manifest signed by KEY. The export is audited."""
    target = checked_output(out)
    private = load_private(key)
    with context() as ctx:
        done = svc.export_package(ctx, to, target, private, layers=layer or None)
    for table, rows in done.tables.items():
        plain("  " + said("cli.package_table_rows", table=table, count=rows))
    say("cli.package_written", path=done.path, recipient=done.recipient,
        agreements=", ".join(done.agreements), digest=done.digest, key=done.key_id)


@package_app.command("verify")
def verify(
    file: Path = typer.Argument(..., metavar="FILE", help="The package"),
    key: Path = typer.Option(..., "--key", metavar="PUBLIC.pem",
                             help="The sender's public key, as you received it from them"),
) -> None:
    """Recompute every table's SHA-256 and check the manifest's signature with KEY. Prints OK,
    or the first problem and exits 2."""
    public = load_public(key)
    checked = svc.verify_package(file, public)
    if checked.problem is not None:
        refused = said("cli.refused")
        err_console.print(f"[bold red]{escape(refused)}[/] "
                          f"{escape(checked.problem.line(state.locale))}", highlight=False)
        raise typer.Exit(2)
    m = checked.manifest or {}
    tables = m.get("tables") or []
    say("cli.package_ok", file=file, source=m["source"]["organisation"],
        recipient=m["recipient"]["organisation"], at=m.get("exported_at"),
        tables=len(tables), rows=sum(int(t["rows"]) for t in tables),
        key=checked.key_id, digest=checked.digest)


@package_app.command("import")
def import_(
    file: Path = typer.Argument(..., metavar="FILE", help="The package"),
    key: Path = typer.Option(..., "--key", metavar="PUBLIC.pem",
                             help="The sender's public key, as you received it from them"),
) -> None:
    """Import a package that verifies with KEY (a package that does not is refused, nothing
    written), each record stamped 'received from ORG on DATE, package SHA-256 ...'.
    Importing the same package again writes nothing."""
    public = load_public(key)
    with context() as ctx:
        done = svc.import_package(ctx, file, public)
    for name, n in done.added.items():
        plain("  " + said("cli.package_added", table=name, count=n))
    for name, n in done.replaced.items():
        plain("  " + said("cli.package_replaced", table=name, count=n, source=done.source))
    for name, n in done.unchanged.items():
        plain("  " + said("cli.package_unchanged", table=name, count=n))
    for table in done.counts_tables:
        plain("  " + said("cli.package_counts_only", table=table))
    say("cli.package_imported", digest=done.digest, source=done.source,
        count=done.written)
